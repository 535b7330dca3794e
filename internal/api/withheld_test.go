package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestWithheldFieldsAbsent: what a role may not see is absent from the JSON, not false or "";
// a role that sees the ID number masked gets the birth year only (the full date and the mask's
// visible digits would leave about ten candidates for the number). Field staff get it all.
func TestWithheldFieldsAbsent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		r := f.mustDo(t, staff, "POST", "/api/v1/households", newHousehold{TerritoryID: id(tr.stairA.ID), Address: "101室",
			Flags: model.HouseholdFlags{Hardship: true}, Residents: []person{{Name: "张建国", IDNumber: validID("510781", "19580312", 11),
				Phone: "13812345678", Relation: "户主", PoliticalStatus: "party_member"}}})
		h := mustJSON[householdOut](t, r, http.StatusCreated)
		leader := f.mustToken(t, model.RoleUnitLeader, tr.community)
		type object = map[string]json.RawMessage
		for _, c := range []struct {
			token  string
			masked bool
		}{{staff, false}, {leader, true}} {
			var l struct{ Items []object }
			mustLoose(t, f.mustDo(t, c.token, "GET", "/api/v1/residents?household="+h.ID, nil), &l)
			var one struct{ Residents []object }
			mustLoose(t, f.mustDo(t, c.token, "GET", "/api/v1/households/"+h.ID+"?include=residents", nil), &one)
			if len(l.Items) != 1 || len(one.Residents) != 1 {
				t.Fatalf("%d and %d residents", len(l.Items), len(one.Residents))
			}
			for _, res := range append(l.Items, one.Residents...) {
				for key, present := range map[string]bool{"birth_date": !c.masked, "age": !c.masked, "birth_year": c.masked,
					"political_status": !c.masked, "political_status_label": !c.masked} {
					if _, ok := res[key]; ok != present {
						t.Errorf("masked=%v: %s present = %v in %s", c.masked, key, ok, mustMarshal(t, res))
					}
				}
				if c.masked && string(res["birth_year"]) != "1958" {
					t.Errorf("birth_year = %s", res["birth_year"])
				}
			}
			var hh struct{ Flags object }
			mustLoose(t, f.mustDo(t, c.token, "GET", "/api/v1/households/"+h.ID, nil), &hh)
			if v, ok := hh.Flags["hardship"]; ok == c.masked || (ok && string(v) != "true") {
				t.Errorf("masked=%v: flags %s", c.masked, mustMarshal(t, hh.Flags))
			}
		}
	})
}

// mustLoose decodes a 200 answer into v, ignoring the fields v does not name.
func mustLoose(t *testing.T, r reply, v any) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %v", r)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
