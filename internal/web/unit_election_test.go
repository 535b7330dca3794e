package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestUnitElectionPage: a resident sees its unit's open election with one button per
// candidate, votes with one tap, then sees 已投票 and no button; whom it chose is on no page.
func TestUnitElectionPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		var hs []int64
		var residentOfFirst int64
		for i, name := range []string{"王建华", "李秀英"} {
			h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: fmt.Sprintf("1栋1单元%d室", 101+i)})
			if err != nil {
				t.Fatal(err)
			}
			r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: name, IDNumber: validID("510781", "19650308", 30+i), Relation: model.RelationHead})
			if err != nil {
				t.Fatal(err)
			}
			hs = append(hs, h.ID)
			if i == 0 {
				residentOfFirst = r.ID
			}
		}
		unit := storetest.MustUnit(t, st, "一号联建单元", hs...)
		u, err := st.UserByUsername(ctx, "resident")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.LinkResident(ctx, sys, u.ID, residentOfFirst); err != nil {
			t.Fatal(err)
		}
		c := f.as(t, "resident")
		res := c.get("/me/unit-election").want(t, http.StatusOK)
		if len(all(res.Doc, ".empty")) != 1 {
			t.Errorf("no election: no empty state")
		}
		e, err := st.OpenUnitElection(ctx, sys, unit.ID, model.ElectionInput{ClosesAt: time.Now().Add(48 * time.Hour), TermMonths: 36})
		if err != nil {
			t.Fatal(err)
		}
		res = c.get("/me/unit-election").want(t, http.StatusOK)
		buttons := all(res.Doc, "form.election-vote button")
		if len(buttons) != 2 {
			t.Fatalf("%d candidate buttons, want 2", len(buttons))
		}
		cand := e.Candidates[1]
		c.post("/me/unit-election", url.Values{"election_id": {fmt.Sprint(e.ID)}, "candidate_id": {fmt.Sprint(cand.ID)}}).want(t, http.StatusSeeOther)
		res = c.get("/me/unit-election").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#voted")); got != "已投票" {
			t.Errorf("after voting: %q", got)
		}
		if n := len(all(res.Doc, "form.election-vote")); n != 0 {
			t.Errorf("after voting %d vote buttons remain", n)
		}
		if strings.Contains(text(one(t, res.Doc, "#election")), "1 票") {
			t.Errorf("the page shows a tally")
		}
		c.post("/me/unit-election", url.Values{"election_id": {fmt.Sprint(e.ID)}, "candidate_id": {fmt.Sprint(cand.ID)}}).want(t, http.StatusConflict)
		f.as(t, "staff").get("/me/unit-election").want(t, http.StatusForbidden)
	})
}
