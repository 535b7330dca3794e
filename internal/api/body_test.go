package api_test

import (
	"net/http"
	"slices"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestBodyAPI: a term of the residents' committee through the API — bad input 422 naming every
// field, a grid leader refused the write but reading its community's term, a second term of
// the same start 409, decisions recorded and listed.
func TestBodyAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		grid := f.mustToken(t, model.RoleGridLeader, tr.gridA)
		p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/bodies", map[string]any{"community_id": id(tr.community.ID), "starts_on": "2026-01-01",
			"ends_on": "2035-01-01", "elected_on": "2026-02-01", "members": []map[string]any{{"post": "deputy", "name": "甲"}}}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"elected_on", "ends_on", "members"}) {
			t.Errorf("bad term: %v", got)
		}
		body := map[string]any{"community_id": id(tr.community.ID), "starts_on": "2026-01-01", "ends_on": "2030-12-31", "elected_on": "2025-12-20",
			"election_result": "5 人当选", "members": []map[string]any{{"post": "director", "name": "陈主任"}, {"post": "member", "name": "张委员"}}}
		mustProblem(t, f.mustDo(t, grid, "POST", "/api/v1/bodies", body), http.StatusForbidden)
		b := partJSON[struct {
			ID        string
			Kind      string
			KindLabel string `json:"kind_label"`
			Members   []struct{ Name string }
		}](t, f.mustDo(t, staff, "POST", "/api/v1/bodies", body), http.StatusCreated)
		if b.Kind != "residents" || b.KindLabel != "居民委员会" || len(b.Members) != 2 {
			t.Errorf("term: %+v", b)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/bodies", body), http.StatusConflict)
		list := partJSON[struct{ Items []struct{ ID string } }](t, f.mustDo(t, grid, "GET", "/api/v1/bodies?community="+id(tr.community.ID), nil), http.StatusOK)
		if len(list.Items) != 1 || list.Items[0].ID != b.ID {
			t.Errorf("the grid leader's list: %+v", list)
		}
		partJSON[struct{ ID string }](t, f.mustDo(t, staff, "POST", "/api/v1/bodies/"+b.ID+"/decisions", map[string]any{"kind": "decision", "date": "2026-03-05", "title": "通过停车收费方案"}), http.StatusCreated)
		ds := partJSON[struct{ Items []struct{ Title string } }](t, f.mustDo(t, grid, "GET", "/api/v1/bodies/"+b.ID+"/decisions", nil), http.StatusOK)
		if len(ds.Items) != 1 || ds.Items[0].Title != "通过停车收费方案" {
			t.Errorf("decisions: %+v", ds)
		}
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/bodies?community=x", nil), http.StatusBadRequest)
	})
}
