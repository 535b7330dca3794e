package api_test

import (
	"net/http"
	"slices"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestStandardsAPI: the street keeps an automatic and a manual item; staff enter the manual
// value (bad input 422 naming the fields); the compliance shows met, not met and the value;
// another community's staff get 404 for this community's compliance.
func TestStandardsAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		street := f.mustToken(t, model.RoleStreetAdmin, tr.street)
		other := f.mustToken(t, model.RoleCommunityStaff, mustTerritory(t, st, tr.street, model.KindCommunity, "太白社区"))

		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/standards/items", map[string]any{"owner_id": id(tr.street.ID), "code": "BZ-01", "name": "x", "method": "manual", "op": ">=", "threshold": "1"}), http.StatusForbidden)
		mustJSON[map[string]any](t, f.mustDo(t, street, "POST", "/api/v1/standards/items", map[string]any{"owner_id": id(tr.street.ID), "code": "BZ-01",
			"name": "每个网格有党支部或党小组", "method": "auto", "metric": "grid_branch_percent", "op": ">=", "threshold": "100", "unit": "%"}), http.StatusCreated)
		open := mustJSON[map[string]any](t, f.mustDo(t, street, "POST", "/api/v1/standards/items", map[string]any{"owner_id": id(tr.street.ID), "code": "BZ-02",
			"name": "服务中心每周开放不少于 40 小时", "method": "manual", "op": ">=", "threshold": "40", "unit": "小时"}), http.StatusCreated)
		if open["target"] != "≥ 40 小时" {
			t.Errorf("target: %v", open["target"])
		}
		p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/standards/values", map[string]any{"item_id": open["id"], "community_id": id(tr.community.ID), "value": "很多"}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"evidence", "value"}) {
			t.Errorf("bad value: %v", got)
		}
		if r := f.mustDo(t, staff, "POST", "/api/v1/standards/values", map[string]any{"item_id": open["id"], "community_id": id(tr.community.ID), "value": "36", "evidence": "值班表"}); r.status != http.StatusNoContent {
			t.Fatalf("record: %v", r)
		}
		c := mustJSON[map[string]any](t, f.mustDo(t, staff, "GET", "/api/v1/standards/compliance?territory="+id(tr.community.ID), nil), http.StatusOK)
		rows := c["items"].([]any)
		if len(rows) != 1 {
			t.Fatalf("rows: %v", rows)
		}
		row := rows[0].(map[string]any)
		// Two grids, no Party org on either: 0 %, not met; 36 hours against 40: not met.
		if row["unmet"] != 2.0 || row["met"] != 0.0 {
			t.Errorf("row: %v", row)
		}
		mustProblem(t, f.mustDo(t, other, "GET", "/api/v1/standards/compliance?territory="+id(tr.community.ID), nil), http.StatusNotFound)
	})
}
