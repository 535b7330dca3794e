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

// demoOrders gives the demo community its volunteer service (demo.Orders): the demo resident's
// household has orders of its own and hours given to it in the time bank, part of them spent
// on its open order, and the demo member account is a taker of the community, so that its
// phone lists the open orders near it. A second run adds nothing.
func demoOrders(ctx context.Context, st *store.Store, community *model.Territory) error {
	var own int64
	if acc, err := st.UserByUsername(ctx, "resident"); err == nil {
		if _, own, _, err = st.AccountUnit(ctx, acc.ID); err != nil {
			return err
		}
	} else if !errors.Is(err, model.ErrNotFound) {
		return err
	}
	if _, err := demo.Orders(ctx, st, community.ID, own, demo.DefaultSeed, time.Now().In(model.Shanghai)); err != nil {
		return fmt.Errorf("demo orders: %w", err)
	}
	acc, err := st.UserByUsername(ctx, "member")
	if err != nil {
		return nil
	}
	_, err = st.RegisterTaker(ctx, authz.System(), store.TakerInput{UserID: acc.ID, Kind: "member", Name: "演示党员", TerritoryID: community.ID,
		Skills: "跑腿代办、手机教学", Availability: "周末全天"})
	var v *model.ValidationError
	if errors.As(err, &v) {
		return nil // the demo member account has no member record in a tiny demo
	}
	return err
}
