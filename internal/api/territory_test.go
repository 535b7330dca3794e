package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestTerritoryChildrenOrder: GET /territories/{id}/children lists twelve children by code
// (those without one last), then by name, across pages, on both engines.
func TestTerritoryChildrenOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		admin := f.mustToken(t, model.RoleSystemAdmin, nil)
		for _, c := range []struct{ name, code string }{
			{"第10网格", ""}, {"乙社区", "510781099004"}, {"第2网格", ""}, {"甲社区", "510781099006"},
			{"丙社区", "510781099001"}, {"第1网格", ""}, {"丁社区", "510781099005"}, {"第11网格", ""},
			{"戊社区", "510781099003"}, {"第3网格", ""}, {"己社区", "510781099002"}, {"第12网格", ""},
		} {
			if _, err := st.CreateTerritory(context.Background(), authz.System(), model.TerritoryInput{ParentID: f.tree.street.ID,
				Kind: model.KindCommunity, Name: c.name, Code: c.code}); err != nil {
				t.Fatalf("create %s: %v", c.name, err)
			}
		}
		var names []string
		next := ""
		for pages := 0; pages < 10; pages++ {
			path := "/api/v1/territories/" + id(f.tree.street.ID) + "/children?limit=5"
			if next != "" {
				path += "&cursor=" + next
			}
			page := mustJSON[struct {
				Items      []map[string]any `json:"items"`
				NextCursor string           `json:"next_cursor"`
			}](t, f.mustDo(t, admin, "GET", path, nil), http.StatusOK)
			for _, it := range page.Items {
				names = append(names, it["name"].(string))
			}
			if next = page.NextCursor; next == "" {
				break
			}
		}
		// 天宝社区 (the fixture's community) has no code.
		want := "丙社区,己社区,戊社区,乙社区,丁社区,甲社区,天宝社区,第10网格,第11网格,第12网格,第1网格,第2网格,第3网格"
		if got := strings.Join(names, ","); got != want {
			t.Errorf("children = %s\nwant %s", got, want)
		}
	})
}
