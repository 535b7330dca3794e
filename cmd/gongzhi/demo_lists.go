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

// demoLists gives the demo community its three lists (demo.Lists), recorded as the demo staff
// account (as the system when there is none), after demoOrders: its needs come in part from the
// orders that recur. A second run adds nothing.
func demoLists(ctx context.Context, st *store.Store, community *model.Territory) error {
	by := authz.System()
	if acc, err := st.UserByUsername(ctx, "staff"); err == nil {
		by = authz.ForUser(acc)
	} else if !errors.Is(err, model.ErrNotFound) {
		return err
	}
	if _, err := demo.Lists(ctx, st, community.ID, by, time.Now().In(model.Shanghai)); err != nil {
		return fmt.Errorf("demo lists: %w", err)
	}
	return nil
}
