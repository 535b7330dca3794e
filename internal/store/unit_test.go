package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// unitWorld is mustTree with, in the first grid, a second stairwell of 5 households next to
// the first stairwell's 12, and a compound of 7 bungalows; and 3 households in community2.
type unitWorld struct {
	tree
	stairB    *model.Territory
	compound  *model.Territory
	a, b, bun []int64
	other     []int64
}

func mustUnitWorld(t *testing.T, st *store.Store) unitWorld {
	t.Helper()
	ctx := context.Background()
	w := unitWorld{tree: mustTree(t, st)}
	var err error
	if w.stairB, err = st.CreateTerritory(ctx, authz.System(), model.TerritoryInput{ParentID: w.building.ID, Kind: model.KindStairwell, Name: "2单元"}); err != nil {
		t.Fatal(err)
	}
	if w.compound, err = st.CreateTerritory(ctx, authz.System(), model.TerritoryInput{ParentID: w.grid.ID, Kind: model.KindCompound, Name: "平房院"}); err != nil {
		t.Fatal(err)
	}
	add := func(node *model.Territory, n int, prefix string) []int64 {
		var ids []int64
		for i := 1; i <= n; i++ {
			ids = append(ids, mustHousehold(t, st, node, fmt.Sprintf("%s%d号", prefix, i)).ID)
		}
		return ids
	}
	w.a = add(w.stairwell, 12, "1栋1单元")
	w.b = add(w.stairB, 5, "1栋2单元")
	w.bun = add(w.compound, 7, "平房院")
	w.other = add(w.stairwell2, 3, "8栋2单元")
	return w
}

func TestFormUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		w := mustUnitWorld(t, st)
		fieldOf := func(err error) string {
			var v *model.ValidationError
			if errors.As(err, &v) {
				return v.Fields[0].Field + ": " + v.Fields[0].Message
			}
			return ""
		}
		bad := []struct {
			name   string
			drafts []model.UnitDraft
			want   string // a part of the first field error
		}{
			{"part of a stairwell claimed whole", []model.UnitDraft{{Name: "x", Basis: model.UnitStairwell, Households: w.a[:6]}}, "整栋或整单元须包括全部住户"},
			{"too few grouped", []model.UnitDraft{{Name: "x", Basis: model.UnitGrouped, Households: w.bun}}, "应在 10–20户 之间"},
			{"across a compound", []model.UnitDraft{{Name: "x", Basis: model.UnitGrouped, Households: append(append([]int64{}, w.bun...), w.b...)}}, "不能跨小区"},
			{"across communities", []model.UnitDraft{{Name: "x", Basis: model.UnitOverride, OverrideReason: "r", Households: append(append([]int64{}, w.b...), w.other...)}}, "同一个社区"},
			{"a household in two drafts", []model.UnitDraft{{Name: "x", Basis: model.UnitStairwell, Households: w.b}, {Name: "y", Basis: model.UnitGrouped, Households: w.a[:9]}, {Name: "z", Basis: model.UnitOverride, OverrideReason: "r", Households: w.b[:1]}}, "同时列在第 1 和第 3 个"},
			{"override without a reason", []model.UnitDraft{{Name: "x", Basis: model.UnitOverride, Households: w.bun}}, "特批理由"},
			{"no name", []model.UnitDraft{{Basis: model.UnitStairwell, Households: w.b}}, "名称"},
			{"second draft bad, first not written", []model.UnitDraft{{Name: "x", Basis: model.UnitStairwell, Households: w.b}, {Name: "y", Basis: model.UnitGrouped, Households: w.bun}}, "units[1].households"},
		}
		for _, c := range bad {
			_, err := st.FormUnits(ctx, sys, c.drafts)
			if got := fieldOf(err); !strings.Contains(got, c.want) {
				t.Errorf("%s: err = %v, want a field error with %q", c.name, err, c.want)
			}
		}
		if p, err := st.Units(ctx, sys, store.UnitFilter{}); err != nil || p.Total != 0 {
			t.Fatalf("after refused forms: %v units, %v", p, err)
		}

		// Outside the scope looks missing.
		scope2 := authz.Scope{UserID: 9, Role: model.RoleCommunityAdmin, Path: w.community2.Path}
		if _, err := st.FormUnits(ctx, scope2, []model.UnitDraft{{Name: "x", Basis: model.UnitStairwell, Households: w.b}}); !strings.Contains(fieldOf(err), "不在您的管辖范围内") {
			t.Errorf("out of scope: %v", err)
		}

		us, err := st.FormUnits(ctx, sys, []model.UnitDraft{
			{Name: "1栋2单元联建单元", Basis: model.UnitStairwell, Households: w.b},
			{Name: "1栋1单元联建单元", Basis: model.UnitGrouped, Households: w.a},
			{Name: "平房院联建单元", Basis: model.UnitGrouped, Override: true, OverrideReason: "院里只有7户", Households: w.bun},
		})
		if err != nil {
			t.Fatal(err)
		}
		if us[0].TerritoryID != w.stairB.ID || us[0].Households != 5 || us[1].TerritoryID != w.stairwell.ID || us[1].Households != 12 ||
			us[2].TerritoryID != w.compound.ID || us[2].OverrideReason != "院里只有7户" || us[2].CommunityID != w.community.ID {
			t.Fatalf("formed %+v %+v %+v", us[0], us[1], us[2])
		}
		hs, err := st.UnitHouseholds(ctx, sys, us[0].ID)
		if err != nil || len(hs) != 5 {
			t.Fatalf("unit households = %d, %v", len(hs), err)
		}
		if id, err := st.UnitOfHousehold(ctx, sys, w.bun[3]); err != nil || id != us[2].ID {
			t.Errorf("unit of household = %d, %v", id, err)
		}
		if ev, err := st.UnitEvents(ctx, sys, us[2].ID); err != nil || len(ev) != 1 || !strings.Contains(ev[0].Detail, "特批理由：院里只有7户") {
			t.Errorf("events = %+v, %v", ev, err)
		}
		// A household already in a unit: a conflict.
		if _, err := st.FormUnits(ctx, sys, []model.UnitDraft{{Name: "again", Basis: model.UnitOverride, OverrideReason: "r", Households: w.b[:1]}}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("household in two units: %v", err)
		}
		// The grid's staff see the units of their grid; community2's do not.
		gridScope := authz.Scope{UserID: 8, Role: model.RoleGridLeader, Path: w.grid.Path}
		if p, err := st.Units(ctx, gridScope, store.UnitFilter{}); err != nil || p.Total != 3 {
			t.Errorf("grid's units = %+v, %v", p, err)
		}
		if _, err := st.Unit(ctx, scope2, us[0].ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("unit out of scope: %v", err)
		}
		// Bounds per community.
		if err := st.SetUnitBounds(ctx, sys, w.community.ID, model.UnitBounds{Min: 20, Max: 10}); err == nil {
			t.Error("min > max accepted")
		}
		if err := st.SetUnitBounds(ctx, sys, w.community.ID, model.UnitBounds{Min: 3, Max: 8}); err != nil {
			t.Fatal(err)
		}
		if b, err := st.UnitBounds(ctx, w.community.ID); err != nil || b != (model.UnitBounds{Min: 3, Max: 8}) {
			t.Errorf("bounds = %v, %v", b, err)
		}
		if b, err := st.UnitBounds(ctx, w.community2.ID); err != nil || b != model.DefaultUnitBounds {
			t.Errorf("default bounds = %v, %v", b, err)
		}
	})
}

// TestFormUnitsConcurrently: twenty forms of a unit from the same households at once; the
// database lets exactly one through and the others are conflicts.
func TestFormUnitsConcurrently(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustUnitWorld(t, st)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, conflicts := 0, 0
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Half list the households in reverse so that the racing forms take row locks in
				// different orders.
				hs := append([]int64{}, w.a...)
				if i%2 == 1 {
					for l, r := 0, len(hs)-1; l < r; l, r = l+1, r-1 {
						hs[l], hs[r] = hs[r], hs[l]
					}
				}
				_, err := st.FormUnits(ctx, authz.System(), []model.UnitDraft{{Name: fmt.Sprintf("u%d", i), Basis: model.UnitStairwell, Households: hs}})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, model.ErrConflict):
					conflicts++
				default:
					t.Errorf("form %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if ok != 1 || conflicts != 19 {
			t.Fatalf("%d formed, %d conflicts; want 1 and 19", ok, conflicts)
		}
		var n int64
		if err := st.ReadDB().QueryRow(`SELECT COUNT(*) FROM unit_households`).Scan(&n); err != nil || n != 12 {
			t.Fatalf("unit_households rows = %d, %v", n, err)
		}
	})
}

// TestMigrateUnitLeadersScope: migration 0070 moves the leaders an earlier binary left at their
// unit's old anchor to the anchor; other accounts keep their scope.
func TestMigrateUnitLeadersScope(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines {
		t.Run(e, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Unmigrated(t, e)
			if err := st.MigrateTo(ctx, 69); err != nil {
				t.Fatal(err)
			}
			w := mustOrderWorld(t, st)
			unit := storetest.MustUnit(t, st, "一号联建单元", w.hh.ID)
			leader := unitLeader(t, st, "leader", w.stairwell, unit)
			staff := storetest.RawUser(t, st, "stairwellstaff", model.RoleCommunityStaff, w.stairwell)
			// The unit's anchor moved to the building under a binary that left its leader behind.
			storetest.Exec(t, st, `UPDATE units SET territory_id = ?, path = ? WHERE id = ?`, w.building.ID, w.building.Path, unit.ID)
			if _, err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				id   int64
				want string
			}{{leader.ID, w.building.Path}, {staff.ID, w.stairwell.Path}} {
				u, err := st.User(ctx, authz.System(), c.id)
				if err != nil {
					t.Fatal(err)
				}
				if u.ScopePath != c.want {
					t.Errorf("%s (%s): scope %s after the migration, want %s", u.Username, u.Role, u.ScopePath, c.want)
				}
			}
		})
	}
}
