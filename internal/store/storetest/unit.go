package storetest

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// MustUnit forms one joint-building unit of the given households (as the system, with an
// override so that any size will do) and returns it.
func MustUnit(tb testing.TB, st *store.Store, name string, households ...int64) *model.Unit {
	tb.Helper()
	us, err := st.FormUnits(context.Background(), authz.System(), []model.UnitDraft{{Name: name, Basis: model.UnitOverride,
		Households: households, OverrideReason: "测试"}})
	if err != nil {
		tb.Fatalf("form unit %s: %v", name, err)
	}
	return us[0]
}

// MustLeaderUnit is the unit a unit_leader account scoped to node leads in tests: the current
// households under node that belong to no unit yet, formed into one unit (a household is added
// at node first when there is none).
func MustLeaderUnit(tb testing.TB, st *store.Store, node *model.Territory) *model.Unit {
	tb.Helper()
	ctx := context.Background()
	var ids []int64
	for cur := ""; ; {
		p, err := st.Households(ctx, authz.System(), store.HouseholdFilter{Under: node.ID, Limit: store.MaxLimit, Cursor: cur})
		if err != nil {
			tb.Fatalf("households under %s: %v", node.Name, err)
		}
		for _, h := range p.Items {
			if h.UnitID == 0 {
				ids = append(ids, h.ID)
			}
		}
		if cur = p.Next; cur == "" {
			break
		}
	}
	if len(ids) == 0 {
		h, err := st.CreateHousehold(ctx, authz.System(), model.HouseholdInput{TerritoryID: node.ID, Address: "组长户"})
		if err != nil {
			tb.Fatalf("household of the unit at %s: %v", node.Name, err)
		}
		ids = append(ids, h.ID)
	}
	return MustUnit(tb, st, node.Name+"联建单元", ids...)
}
