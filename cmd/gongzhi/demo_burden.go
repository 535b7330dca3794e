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

// demoBurden gives the demo street its administrative-burden register (demo.Burden): the
// department register and the duty list kept by the street, a year of handed-down tasks for
// the demo community (recorded by the staff account, the off-list ones decided by the street
// account) and fewer for two other communities of the street, so the street's burden view
// compares them; and the street's standards catalogue with those communities' reported values
// (the other items are checked from the demo's data). A second run adds nothing.
func demoBurden(ctx context.Context, st *store.Store, street, community *model.Territory) error {
	scopeOf := func(username string) (authz.Scope, error) {
		u, err := st.UserByUsername(ctx, username)
		if errors.Is(err, model.ErrNotFound) {
			return authz.System(), nil
		}
		if err != nil {
			return authz.Scope{}, err
		}
		return authz.ForUser(u), nil
	}
	staff, err := scopeOf("staff")
	if err != nil {
		return err
	}
	by, err := scopeOf("street")
	if err != nil {
		return err
	}
	comms := []*model.Territory{community}
	p, err := st.Territories(ctx, authz.System(), store.TerritoryFilter{Under: street.ID, Kind: model.KindCommunity, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	for _, c := range p.Items {
		if c.ID != community.ID && len(comms) < 3 {
			comms = append(comms, c)
		}
	}
	if _, err := demo.Burden(ctx, st, staff, by, street, comms, demo.DefaultSeed, time.Now()); err != nil {
		return fmt.Errorf("demo burden register of %s: %w", street.Name, err)
	}
	// The street's basic public service standards, with the same communities' values (demo.Standards).
	if err := demo.Standards(ctx, st, by, staff, street, comms); err != nil {
		return fmt.Errorf("demo standards of %s: %w", street.Name, err)
	}
	return nil
}
