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

// demoCentres gives the demo community its two service centres with rooms and bookings
// (demo.Centres): two weeks at the desk and the coming week, the demo resident's and member's
// accounts among the bookers, by the staff account. A second run adds nothing.
func demoCentres(ctx context.Context, st *store.Store, community *model.Territory) error {
	by := authz.System()
	if u, err := st.UserByUsername(ctx, "staff"); err == nil {
		by = authz.ForUser(u)
	} else if !errors.Is(err, model.ErrNotFound) {
		return err
	}
	var bookers []authz.Scope
	for _, name := range []string{"resident", "member"} {
		acc, err := st.UserByUsername(ctx, name)
		if errors.Is(err, model.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if _, h, _, err := st.AccountUnit(ctx, acc.ID); err != nil {
			return err
		} else if h != 0 {
			bookers = append(bookers, authz.ForUser(acc))
		}
	}
	if _, err := demo.Centres(ctx, st, by, community, bookers, demo.DefaultSeed, time.Now()); err != nil {
		return fmt.Errorf("demo centres of %s: %w", community.Name, err)
	}
	return nil
}
