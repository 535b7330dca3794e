package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestLineage: the nodes on a path that lie in the scope, root first and the node last, with
// one query; a node outside the scope or missing is not found.
func TestLineage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		h := mustHousehold(t, st, tr.stairwell, "101室")
		grid := authz.Scope{UserID: 9, Role: model.RoleGridLeader, Path: tr.grid.Path}
		names := func(line []model.TerritoryRef) []string {
			var out []string
			for _, n := range line {
				out = append(out, n.Name)
			}
			return out
		}
		for _, c := range []struct {
			sc   authz.Scope
			path string
			want []string
		}{
			{authz.System(), tr.stairwell.Path, []string{"江油市", "中坝街道", "天宝社区", "第一网格", "1栋", "1单元"}},
			{authz.System(), h.Path, []string{"江油市", "中坝街道", "天宝社区", "第一网格", "1栋", "1单元"}}, // a household's path is its node's
			{authz.System(), tr.district.Path, []string{"江油市"}},
			{grid, h.Path, []string{"第一网格", "1栋", "1单元"}}, // nothing above the scope
			{grid, tr.grid.Path, []string{"第一网格"}},
		} {
			line, err := st.Lineage(ctx, c.sc, c.path)
			if err != nil {
				t.Fatalf("Lineage(%s, %s): %v", c.sc.Role, c.path, err)
			}
			if got := names(line); !slices.Equal(got, c.want) {
				t.Errorf("Lineage(%s, %s) = %v, want %v", c.sc.Role, c.path, got, c.want)
			}
			if last := line[len(line)-1]; last.Path != c.path {
				t.Errorf("Lineage(%s) ends at %s", c.path, last.Path)
			}
		}
		for _, c := range []struct {
			sc   authz.Scope
			path string
		}{
			{grid, tr.stairwell2.Path},                      // another community
			{grid, tr.community.Path},                       // above the scope
			{authz.Scope{Role: model.RoleResident}, h.Path}, // the zero scope
			{authz.System(), ""},
			{authz.System(), tr.stairwell.Path + "999999/"}, // no such node
		} {
			if line, err := st.Lineage(ctx, c.sc, c.path); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("Lineage(%s, %q) = %v, %v; want ErrNotFound", c.sc.Role, c.path, names(line), err)
			}
		}
	})
}

// TestHouseholdEventsScope: the history is read with the scope checked in the same query; a
// household outside the scope, or missing, is not found rather than an empty history.
func TestHouseholdEventsScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		h := mustHousehold(t, st, tr.stairwell, "101室",
			model.ResidentInput{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: model.RelationHead})
		other := mustHousehold(t, st, tr.stairwell2, "202室")
		grid := authz.Scope{UserID: 9, Role: model.RoleGridLeader, Path: tr.grid.Path}
		for _, sc := range []authz.Scope{authz.System(), grid} {
			events, err := st.HouseholdEvents(ctx, sc, h.ID)
			if err != nil || len(events) < 2 {
				t.Fatalf("%s: events = %+v, %v; want the creation and the member", sc.Role, events, err)
			}
			for i := 1; i < len(events); i++ {
				if events[i].ID > events[i-1].ID || events[i].HouseholdID != h.ID {
					t.Errorf("%s: events not newest first for household %d: %+v", sc.Role, h.ID, events)
				}
			}
		}
		for _, c := range []struct {
			sc authz.Scope
			id int64
		}{{grid, other.ID}, {authz.Scope{Role: model.RoleResident}, h.ID}, {authz.System(), other.ID + 1000}} {
			if events, err := st.HouseholdEvents(ctx, c.sc, c.id); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("HouseholdEvents(%s, %d) = %+v, %v; want ErrNotFound", c.sc.Role, c.id, events, err)
			}
		}
	})
}
