package main

import (
	"context"
	"errors"
	"fmt"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// demoConflicts leaves a few open ID conflicts for 登记冲突 to show, made the way they happen:
// staff of a neighbouring community register people who are already registered in the demo
// community (the street account sees these), and the demo grid leader registers a resident of
// another grid of its community (the community account sees that one). Each attempt goes
// through the same create as the pages and is refused with the neutral message; running the
// demo again adds no second record.
func demoConflicts(ctx context.Context, st *store.Store, street, community, grid *model.Territory) error {
	sys := authz.System()
	// People of the demo community outside the demo grid: the ones others try to register.
	grids, err := st.Territories(ctx, sys, store.TerritoryFilter{Under: community.ID, Kind: model.KindGrid, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	var elsewhere []*model.Resident // in another grid of the community
	for _, g := range grids.Items {
		if g.ID != grid.ID && len(elsewhere) < 4 {
			p, err := st.Residents(ctx, sys, store.ResidentFilter{Under: g.ID, Limit: 4 - len(elsewhere)})
			if err != nil {
				return err
			}
			elsewhere = append(elsewhere, p.Items...)
		}
	}
	mine, err := st.Residents(ctx, sys, store.ResidentFilter{Under: grid.ID, Limit: 10})
	if err != nil {
		return err
	}
	communities, err := st.Territories(ctx, sys, store.TerritoryFilter{Under: street.ID, Kind: model.KindCommunity, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	var neighbour *model.Territory
	for _, c := range communities.Items {
		if c.ID != community.ID && c.Households > 0 {
			neighbour = c
			break
		}
	}
	gu, err := st.UserByUsername(ctx, "grid")
	if err != nil {
		return err
	}
	type attempt struct {
		sc    authz.Scope
		under int64
		r     *model.Resident
	}
	var plan []attempt
	if len(elsewhere) > 0 {
		plan = append(plan, attempt{authz.ForUser(gu), grid.ID, elsewhere[0]})
	}
	if neighbour != nil {
		// No demo account sits in the neighbouring community: its staff are the operator's.
		other := authz.Scope{Role: model.RoleCommunityStaff, Path: neighbour.Path}
		// Skip the demo stairwell's first residents: the demo resident and member accounts.
		for _, r := range mine.Items[min(len(mine.Items), 5):] {
			if len(plan) == 4 {
				break
			}
			plan = append(plan, attempt{other, neighbour.ID, r})
		}
	}
	// The numbers to register again come through the store's reveal, like any full value.
	ids := make([]int64, len(plan))
	for i, a := range plan {
		ids[i] = a.r.ID
	}
	full, err := st.RevealResidents(ctx, sys, ids, "demo: conflict examples")
	if err != nil {
		return err
	}
	for i, a := range plan {
		hs, err := st.Households(ctx, sys, store.HouseholdFilter{Under: a.under, Limit: 10})
		if err != nil {
			return err
		}
		if len(hs.Items) == 0 {
			continue
		}
		h := hs.Items[i%len(hs.Items)]
		_, err = st.CreateResident(ctx, a.sc, model.ResidentInput{HouseholdID: h.ID, Name: a.r.Name, IDNumber: full[a.r.ID].IDNumber,
			Phone: full[a.r.ID].Phone, Relation: model.Relations[len(model.Relations)-1]})
		var ve *model.ValidationError
		switch {
		case err == nil:
			return fmt.Errorf("demo conflict: resident %d registered twice", a.r.ID)
		case !errors.As(err, &ve):
			return fmt.Errorf("demo conflict: %w", err)
		}
	}
	return nil
}
