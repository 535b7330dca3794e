package main

import (
	"context"
	"fmt"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// demoLeaderUnit is the unit the demo's unit leader account leads: the unit of the stairwell's
// first household when the demo formed units, else the stairwell formed into one unit (a whole
// stairwell is a unit as it is).
func demoLeaderUnit(ctx context.Context, st *store.Store, stair *model.Territory) (*model.Unit, error) {
	sys := authz.System()
	p, err := st.Households(ctx, sys, store.HouseholdFilter{Under: stair.ID, Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	if len(p.Items) == 0 {
		return nil, fmt.Errorf("demo stairwell %s has no households", stair.Name)
	}
	if id := p.Items[0].UnitID; id != 0 {
		return st.Unit(ctx, sys, id)
	}
	ids := make([]int64, len(p.Items))
	for i, h := range p.Items {
		ids[i] = h.ID
	}
	us, err := st.FormUnits(ctx, sys, []model.UnitDraft{{Name: stair.Name + "联建单元", Basis: model.UnitStairwell, Households: ids}})
	if err != nil {
		return nil, fmt.Errorf("demo unit of %s: %w", stair.Name, err)
	}
	return us[0], nil
}
