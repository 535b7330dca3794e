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

// demoFunds gives the demo community a year of special funds (demo.Funds): the street
// account allocates, the staff account requests, the community account approves step 1 and the
// street account step 2 (the system stands in for an account the demo did not make). A second
// run adds nothing.
func demoFunds(ctx context.Context, st *store.Store, community *model.Territory) error {
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
	var scopes [3]authz.Scope
	for i, name := range []string{"street", "community", "staff"} {
		sc, err := scopeOf(name)
		if err != nil {
			return err
		}
		scopes[i] = sc
	}
	if _, err := demo.Funds(ctx, st, scopes[0], scopes[1], scopes[2], community.ID, demo.DefaultSeed, time.Now()); err != nil {
		return fmt.Errorf("demo funds of %s: %w", community.Name, err)
	}
	return nil
}
