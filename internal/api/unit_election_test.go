package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type electionOut struct {
	ID             string `json:"id"`
	UnitID         string `json:"unit_id"`
	UnitName       string `json:"unit_name"`
	OpensAt        string `json:"opens_at"`
	ClosesAt       string `json:"closes_at"`
	TermMonths     int    `json:"term_months"`
	StatusLabel    string `json:"status_label"`
	ResultLabel    string `json:"result_label"`
	WinnerID       string `json:"winner_id"`
	ClosedAt       string `json:"closed_at"`
	Status         string `json:"status"`
	Households     int    `json:"households"`
	Voted          int    `json:"voted"`
	Result         string `json:"result"`
	HouseholdVoted bool   `json:"household_voted"`
	Candidates     []struct {
		ID          string `json:"id"`
		HouseholdID string `json:"household_id"`
		ResidentID  string `json:"resident_id"`
		Name        string `json:"name"`
		Address     string `json:"address"`
		Votes       *int   `json:"votes"`
	} `json:"candidates"`
}

// TestUnitElectionAPI: staff open an election, a resident votes for its household once (the
// second vote 409), tallies stay hidden until staff close it, and the unit then shows its
// elected leader; the neighbour outside the unit gets 404.
func TestUnitElectionAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		ctx := context.Background()
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		a := f.mustHousehold(t, staff, tr.stairA, "101室", person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"})
		b := f.mustHousehold(t, staff, tr.stairA, "102室", person{Name: "李秀英", IDNumber: validID("510781", "19600505", 12), Relation: "户主"})
		c := f.mustHousehold(t, staff, tr.stairA, "103室", person{Name: "王大山", IDNumber: validID("510781", "19620707", 13), Relation: "户主"})
		ids := func(hs ...householdOut) []int64 {
			var out []int64
			for _, h := range hs {
				n, _ := strconv.ParseInt(h.ID, 10, 64)
				out = append(out, n)
			}
			return out
		}
		unit := storetest.MustUnit(t, st, "一号联建单元", ids(a, b)...)
		link := func(h householdOut, role model.Role, node *model.Territory) string {
			tok := f.mustToken(t, role, node)
			u, err := st.UserByUsername(ctx, string(role)+"-"+id(node.ID))
			if err != nil {
				t.Fatal(err)
			}
			r, _ := strconv.ParseInt(h.Residents[0].ID, 10, 64)
			if err := st.LinkResident(ctx, authz.System(), u.ID, r); err != nil {
				t.Fatal(err)
			}
			return tok
		}
		voter := link(a, model.RoleResident, tr.stairA)
		neighbour := link(c, model.RoleResident, tr.buildingA)

		path := "/api/v1/units/" + id(unit.ID) + "/elections"
		mustProblem(t, f.mustDo(t, voter, "POST", path, map[string]any{"closes_at": time.Now().Add(time.Hour)}), http.StatusForbidden)
		p := mustProblem(t, f.mustDo(t, staff, "POST", path, map[string]any{"closes_at": time.Now().Add(-time.Hour)}), http.StatusUnprocessableEntity)
		if fs := fields(p); len(fs) != 1 || fs[0] != "closes_at" {
			t.Errorf("closing in the past: %+v", p)
		}
		e := mustJSON[electionOut](t, f.mustDo(t, staff, "POST", path, map[string]any{"closes_at": time.Now().Add(48 * time.Hour), "term_months": 24}), http.StatusCreated)
		if e.Status != "open" || len(e.Candidates) != 2 || e.Households != 2 {
			t.Fatalf("opened: %+v", e)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", path, map[string]any{"closes_at": time.Now().Add(48 * time.Hour)}), http.StatusConflict)

		one := "/api/v1/unit-elections/" + e.ID
		var cb string
		for _, cand := range e.Candidates {
			if cand.HouseholdID == b.ID {
				cb = cand.ID
			}
		}
		mustProblem(t, f.mustDo(t, neighbour, "GET", one, nil), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, neighbour, "POST", one+"/votes", map[string]any{"candidate_id": cb}), http.StatusNotFound)
		got := mustJSON[electionOut](t, f.mustDo(t, voter, "POST", one+"/votes", map[string]any{"candidate_id": cb}), http.StatusCreated)
		if !got.HouseholdVoted || got.Voted != 1 {
			t.Errorf("after voting: %+v", got)
		}
		for _, cand := range got.Candidates {
			if cand.Votes != nil {
				t.Errorf("a tally shown while open: %+v", cand)
			}
		}
		mustProblem(t, f.mustDo(t, voter, "POST", one+"/votes", map[string]any{"candidate_id": cb}), http.StatusConflict)
		// Closing early at turnout 1/2 would show that household's choice: refused.
		if p := mustProblem(t, f.mustDo(t, staff, "POST", one+"/close", nil), http.StatusConflict); !strings.Contains(p.Detail, "全部住户") {
			t.Errorf("early close: %+v", p)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", one+"/proxy-votes", map[string]any{"candidate_id": cb, "household_id": c.ID}), http.StatusUnprocessableEntity)
		mustJSON[electionOut](t, f.mustDo(t, staff, "POST", one+"/proxy-votes", map[string]any{"candidate_id": cb, "household_id": b.ID}), http.StatusCreated)

		closed := mustJSON[electionOut](t, f.mustDo(t, staff, "POST", one+"/close", nil), http.StatusOK)
		if closed.Status != "closed" || closed.Result != "elected" || closed.Voted != 2 {
			t.Fatalf("closed: %+v", closed)
		}
		for _, cand := range closed.Candidates {
			if cand.Votes == nil || (cand.ID == cb) != (*cand.Votes == 2) {
				t.Errorf("tally after closing: %+v", cand)
			}
		}
		mustProblem(t, f.mustDo(t, voter, "POST", one+"/votes", map[string]any{"candidate_id": cb}), http.StatusConflict)
		var u struct {
			Leader *struct {
				HouseholdID json.Number `json:"household_id"`
				Method      string      `json:"method"`
				Until       string      `json:"until"`
			} `json:"leader"`
		}
		mustLoose(t, f.mustDo(t, staff, "GET", "/api/v1/units/"+id(unit.ID), nil), &u)
		if u.Leader == nil || u.Leader.HouseholdID.String() != b.ID || u.Leader.Method != "elected" || u.Leader.Until == "" {
			t.Errorf("unit after the election: %+v", u.Leader)
		}
		// Appointment: a head of the unit, with a reason.
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/units/"+id(unit.ID)+"/leader", map[string]any{"resident_id": a.Residents[0].ID}), http.StatusUnprocessableEntity)
		mustJSON[map[string]any](t, f.mustDo(t, staff, "POST", "/api/v1/units/"+id(unit.ID)+"/leader", map[string]any{"resident_id": a.Residents[0].ID, "reason": "原小组长外出务工"}), http.StatusOK)
	})
}
