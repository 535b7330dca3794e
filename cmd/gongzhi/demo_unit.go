package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/demo"
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

// demoLeaders holds real elections in the units of the demo community (demo.UnitElections:
// bounded in number, through the store's election functions, closed months ago with their
// ballots and tallies), the unit leader account's unit and the resident account's among them,
// and leaves an open re-election in the resident's unit so that its phone shows a ballot; then
// gives every other unit of the city an elected leader set-based (store.ElectDemoLeaders:
// elected eight months ago for three years) and links the demo's unit leader account to the
// leader of its unit, a household head, so that it votes for its household. A leader already
// linked to another demo account leaves the unit account unlinked.
func demoLeaders(ctx context.Context, st *store.Store, community, stair *model.Territory) error {
	sys := authz.System()
	var must []int64
	var open int64
	if acc, err := st.UserByUsername(ctx, "unit"); err == nil && acc.UnitID != 0 {
		must = append(must, acc.UnitID)
	}
	if acc, err := st.UserByUsername(ctx, "resident"); err == nil {
		_, _, unit, err := st.AccountUnit(ctx, acc.ID)
		if err != nil {
			return err
		}
		open = unit
		must = append(must, unit)
	}
	avoid, err := st.LinkedResidents(ctx)
	if err != nil {
		return err
	}
	if _, err := demo.UnitElections(ctx, st, community.ID, must, open, avoid, demo.DefaultSeed, time.Now().In(model.Shanghai)); err != nil {
		return fmt.Errorf("demo elections: %w", err)
	}
	if _, err := st.ElectDemoLeaders(ctx, time.Now().AddDate(0, -8, 0)); err != nil {
		return fmt.Errorf("demo leaders: %w", err)
	}
	acc, err := st.UserByUsername(ctx, "unit")
	if err != nil || acc.UnitID == 0 {
		return err
	}
	u, err := st.Unit(ctx, sys, acc.UnitID)
	if err != nil || u.Leader == nil || u.Leader.ResidentID == 0 {
		return err
	}
	if err := st.LinkResident(ctx, sys, acc.ID, u.Leader.ResidentID); err != nil {
		var v *model.ValidationError
		if errors.As(err, &v) {
			return nil // the head is another demo account's resident
		}
		return err
	}
	return nil
}
