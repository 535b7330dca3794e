package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestTerritoryChildrenOrder: the territory page and the home page list a node's twelve
// children by code (those without one last), then by name — not in the order they were added.
func TestTerritoryChildrenOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		for _, c := range []struct{ name, code string }{
			{"第10网格", ""}, {"乙社区", "510781099004"}, {"第2网格", ""}, {"甲社区", "510781099006"},
			{"丙社区", "510781099001"}, {"第1网格", ""}, {"丁社区", "510781099005"}, {"第11网格", ""},
			{"戊社区", "510781099003"}, {"第3网格", ""}, {"己社区", "510781099002"}, {"第12网格", ""},
		} {
			if _, err := st.CreateTerritory(context.Background(), authz.System(), model.TerritoryInput{ParentID: f.street.ID,
				Kind: model.KindCommunity, Name: c.name, Code: c.code}); err != nil {
				t.Fatalf("create %s: %v", c.name, err)
			}
		}
		// The fixture's 天宝社区 and 东胜社区 carry codes 510781006001 and 510781006002.
		want := "天宝社区,东胜社区,丙社区,己社区,戊社区,乙社区,丁社区,甲社区,第10网格,第11网格,第12网格,第1网格,第2网格,第3网格"
		c := f.as(t, "streetadmin")
		for _, page := range []string{fmt.Sprintf("/territories/%d", f.street.ID), "/"} {
			res := c.get(page).want(t, http.StatusOK)
			if got := strings.Join(texts(res.Doc, "table tbody th.cell-title a"), ","); got != want {
				t.Errorf("%s: children = %s\nwant %s", page, got, want)
			}
		}
	})
}
