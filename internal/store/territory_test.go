package store_test

import (
	"context"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestChildrenOrder: the children of a node come by code (those without one last), then by
// name, page after page, on both engines — not in the order of their materialized paths, where
// "/…/10/" sorts before "/…/9/", nor in the order they were added.
func TestChildrenOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		tr := mustTree(t, st)
		parent, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: tr.district.ID, Kind: model.KindStreet, Name: "测试街道"})
		if err != nil {
			t.Fatal(err)
		}
		// Twelve children, added (so in path and id order) in an order that is neither the
		// wanted one nor its reverse.
		for _, c := range []struct{ name, code string }{
			{"乙社区", "510781099004"}, {"2号", ""}, {"甲社区", "510781099006"}, {"10号", ""},
			{"丙社区", "510781099001"}, {"阿", ""}, {"丁社区", "510781099005"}, {"B", ""},
			{"戊社区", "510781099003"}, {"1号", ""}, {"己社区", "510781099002"}, {"A", ""},
		} {
			if _, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: parent.ID, Kind: model.KindCommunity, Name: c.name, Code: c.code}); err != nil {
				t.Fatalf("create %s: %v", c.name, err)
			}
		}
		want := "丙社区,己社区,戊社区,乙社区,丁社区,甲社区,10号,1号,2号,A,B,阿"
		for _, limit := range []int{12, 5, 1} {
			var names []string
			f := store.TerritoryFilter{Under: parent.ID, ParentID: parent.ID, Limit: limit}
			for pages := 0; ; pages++ {
				if pages > 12 {
					t.Fatalf("limit %d: more than 12 pages", limit)
				}
				page, err := st.Territories(ctx, sys, f)
				if err != nil {
					t.Fatalf("limit %d: %v", limit, err)
				}
				for _, c := range page.Items {
					names = append(names, c.Name)
				}
				if page.Next == "" {
					break
				}
				f.Cursor = page.Next
			}
			if got := strings.Join(names, ","); got != want {
				t.Errorf("limit %d: children = %s\nwant %s", limit, got, want)
			}
		}
		// A cursor of the path order is not one of this order.
		f := store.TerritoryFilter{Under: tr.district.ID, Limit: 1}
		page, err := st.Territories(ctx, sys, f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Territories(ctx, sys, store.TerritoryFilter{ParentID: parent.ID, Cursor: page.Next}); err == nil {
			t.Errorf("a path cursor was accepted for a list of children")
		}
	})
}
