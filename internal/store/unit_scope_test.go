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

// TestUnitLeaderScope: a unit leader's scope is exactly its unit's households, below the
// handlers: single reads, lists and their totals, search, history, the residents of a page of
// households, the tree's counts and the units list. Another household of the same stairwell is
// not found; a unit leader without a unit sees no household.
func TestUnitLeaderScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		tr := mustTree(t, st)
		stairB, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: tr.building.ID, Kind: model.KindStairwell, Name: "2单元"})
		if err != nil {
			t.Fatal(err)
		}
		head := func(name string, seq int) model.ResidentInput {
			return model.ResidentInput{Name: name, IDNumber: validID("510781", "19600101", seq), Relation: model.RelationHead}
		}
		mine := mustHousehold(t, st, tr.stairwell, "1栋1单元101", head("王大山", 1), model.ResidentInput{Name: "王小山", IDNumber: validID("510781", "19900101", 5), Relation: "子女"})
		mine2 := mustHousehold(t, st, stairB, "1栋2单元201", head("李春花", 2))
		neighbour := mustHousehold(t, st, tr.stairwell, "1栋1单元102", head("赵铁柱", 3)) // same stairwell, another unit
		loose := mustHousehold(t, st, tr.stairwell, "1栋1单元103", head("钱多多", 4))     // same stairwell, no unit
		unit := storetest.MustUnit(t, st, "一号联建单元", mine.ID, mine2.ID)
		storetest.MustUnit(t, st, "二号联建单元", neighbour.ID)
		if unit.TerritoryID != tr.building.ID {
			t.Fatalf("unit anchored at %d, want the building %d", unit.TerritoryID, tr.building.ID)
		}

		// The account: a unit leader needs a unit; its scope becomes the unit's anchor.
		_, err = st.CreateUser(ctx, sys, store.UserInput{Username: "noleader", Password: testPassword, Role: model.RoleUnitLeader, ScopeID: tr.stairwell.ID})
		if field := firstField(err); field != "unit_id" {
			t.Errorf("unit leader without a unit: %v, want a field error on unit_id", err)
		}
		_, err = st.CreateUser(ctx, sys, store.UserInput{Username: "gridunit", Password: testPassword, Role: model.RoleGridLeader, ScopeID: tr.grid.ID, UnitID: unit.ID})
		if field := firstField(err); field != "unit_id" {
			t.Errorf("grid leader with a unit: %v, want a field error on unit_id", err)
		}
		u, err := st.CreateUser(ctx, sys, store.UserInput{Username: "leader", Password: testPassword, Role: model.RoleUnitLeader, ScopeID: tr.community.ID, UnitID: unit.ID})
		if err != nil {
			t.Fatal(err)
		}
		if u.UnitID != unit.ID || u.ScopeID != tr.building.ID {
			t.Fatalf("leader account: unit %d scope %d, want unit %d scope %d", u.UnitID, u.ScopeID, unit.ID, tr.building.ID)
		}
		sc := authz.ForUser(u)

		for _, h := range []*model.Household{mine, mine2} {
			if _, err := st.Household(ctx, sc, h.ID); err != nil {
				t.Errorf("own unit's household %s: %v", h.Address, err)
			}
		}
		for _, h := range []*model.Household{neighbour, loose} {
			if _, err := st.Household(ctx, sc, h.ID); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("household %s outside the unit: %v, want not found", h.Address, err)
			}
			if _, err := st.HouseholdEvents(ctx, sc, h.ID); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("history of %s outside the unit: %v, want not found", h.Address, err)
			}
			if _, err := st.Units(ctx, sc, store.UnitFilter{}); err != nil {
				t.Fatal(err)
			}
		}
		if ev, err := st.HouseholdEvents(ctx, sc, mine.ID); err != nil || len(ev) == 0 {
			t.Errorf("history of own unit's household: %d entries, %v", len(ev), err)
		}

		hp, err := st.Households(ctx, sc, store.HouseholdFilter{})
		if err != nil {
			t.Fatal(err)
		}
		got := householdIDs(hp.Items)
		slices.Sort(got)
		if !slices.Equal(got, []int64{mine.ID, mine2.ID}) || hp.Total != 2 {
			t.Errorf("households = %v total %d, want %v total 2", got, hp.Total, []int64{mine.ID, mine2.ID})
		}
		for _, f := range []store.HouseholdFilter{{Under: tr.stairwell.ID}, {Under: tr.building.ID}, {Q: "1栋1单元"}, {Flag: "mobile"}} {
			p, err := st.Households(ctx, sc, f)
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			for _, h := range p.Items {
				if h.UnitID != unit.ID {
					t.Errorf("%+v lists %s outside the unit", f, h.Address)
				}
			}
			if int(p.Total) != len(p.Items) {
				t.Errorf("%+v: total %d for %d items", f, p.Total, len(p.Items))
			}
		}
		if p, _ := st.Households(ctx, sc, store.HouseholdFilter{Q: "102"}); len(p.Items) != 0 || p.Total != 0 {
			t.Errorf("search finds the neighbour: %d, total %d", len(p.Items), p.Total)
		}

		rp, err := st.Residents(ctx, sc, store.ResidentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rp.Items) != 3 || rp.Total != 3 {
			t.Errorf("residents = %d total %d, want 3 of the unit", len(rp.Items), rp.Total)
		}
		for _, r := range rp.Items {
			if r.HouseholdID != mine.ID && r.HouseholdID != mine2.ID {
				t.Errorf("resident %s of household %d outside the unit", r.Name, r.HouseholdID)
			}
		}
		if p, _ := st.Residents(ctx, sc, store.ResidentFilter{Q: "赵"}); len(p.Items) != 0 || p.Total != 0 {
			t.Errorf("search finds the neighbour's resident: %d, total %d", len(p.Items), p.Total)
		}
		if p, _ := st.Residents(ctx, sc, store.ResidentFilter{HouseholdID: neighbour.ID}); len(p.Items) != 0 {
			t.Errorf("residents of the neighbour listed: %d", len(p.Items))
		}
		all, err := st.Residents(ctx, sys, store.ResidentFilter{HouseholdID: neighbour.ID})
		if err != nil || len(all.Items) != 1 {
			t.Fatalf("neighbour's resident: %v", err)
		}
		if _, err := st.Resident(ctx, sc, all.Items[0].ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("neighbour's resident: %v, want not found", err)
		}
		if _, err := st.Resident(ctx, sc, rp.Items[0].ID); err != nil {
			t.Errorf("own unit's resident: %v", err)
		}
		byHousehold, err := st.ResidentsOfHouseholds(ctx, sc, []int64{mine.ID, neighbour.ID, loose.ID})
		if err != nil || len(byHousehold) != 1 || len(byHousehold[mine.ID]) != 2 {
			t.Errorf("residents of households = %v, %v; want only the own unit's", byHousehold, err)
		}

		// The tree's counts are the unit's, never the subtree's.
		for _, c := range []struct {
			node       *model.Territory
			households int64
		}{{tr.building, 2}, {tr.stairwell, 1}, {stairB, 1}} {
			n, err := st.Territory(ctx, sc, c.node.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n.Households != c.households {
				t.Errorf("%s counts %d households, want the unit's %d", c.node.Name, n.Households, c.households)
			}
		}
		if n, err := st.Territory(ctx, sys, tr.stairwell.ID); err != nil || n.Households != 3 {
			t.Errorf("staff's count of the stairwell = %d, %v; want 3", n.Households, err)
		}
		kids, err := st.Territories(ctx, sc, store.TerritoryFilter{ParentID: tr.building.ID})
		if err != nil || len(kids.Items) != 2 || kids.Items[0].Households+kids.Items[1].Households != 2 {
			t.Errorf("children of the building: %v", err)
		}

		up, err := st.Units(ctx, sc, store.UnitFilter{})
		if err != nil || len(up.Items) != 1 || up.Items[0].ID != unit.ID || up.Total != 1 {
			t.Errorf("units = %v, %v; want only its own", up, err)
		}

		// Without a unit a unit leader sees no household at all.
		none := authz.Scope{UserID: u.ID, Role: model.RoleUnitLeader, Path: tr.building.Path}
		if p, err := st.Households(ctx, none, store.HouseholdFilter{}); err != nil || len(p.Items) != 0 || p.Total != 0 {
			t.Errorf("no unit: %v households (total %d), %v", p, p.Total, err)
		}
		if p, err := st.Residents(ctx, none, store.ResidentFilter{}); err != nil || len(p.Items) != 0 || p.Total != 0 {
			t.Errorf("no unit: residents %v, %v", p, err)
		}
		if _, err := st.Household(ctx, none, mine.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("no unit: household %v", err)
		}
	})
}

func householdIDs(hs []*model.Household) []int64 {
	var out []int64
	for _, h := range hs {
		out = append(out, h.ID)
	}
	return out
}
