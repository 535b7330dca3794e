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
	} else if err != nil {
		return err
	}
	return demoServiceActivity(ctx, st, community, acc.ID)
}

// demoServiceTitle names the demo's past volunteer service activity.
const demoServiceTitle = "助老志愿服务：陪老人理发、量血压"

// demoServiceActivity holds, three weeks ago, a volunteer service activity in the demo
// community at which the demo member account checked in; it was closed, so its time bank
// holds the three hours (store.SetActivityStatus banks them). A second run adds
// nothing.
func demoServiceActivity(ctx context.Context, st *store.Store, community *model.Territory, member int64) error {
	sys := authz.System()
	p, err := st.Activities(ctx, sys, store.ActivityFilter{Under: community.ID, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	for _, a := range p.Items {
		if a.Title == demoServiceTitle {
			return nil
		}
	}
	day := time.Now().In(model.Shanghai).AddDate(0, 0, -21)
	start := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, model.Shanghai)
	clock := start.Add(-72 * time.Hour)
	at := st.AsOf(func() time.Time { return clock })
	a, err := at.PublishActivity(ctx, sys, model.ActivityInput{TerritoryID: community.ID, Title: demoServiceTitle, Place: "社区日间照料中心",
		Description: "党员志愿者为社区老人义务理发、测量血压，陪老人聊天。", StartsAt: start, EndsAt: start.Add(3 * time.Hour), Service: true})
	if err != nil {
		return err
	}
	users := []int64{member}
	clock = start.Add(15 * time.Minute)
	_, code, _, err := at.ActivityCode(ctx, sys, a.ID)
	if err != nil {
		return err
	}
	for _, id := range users {
		u, err := st.User(ctx, sys, id)
		if err != nil {
			return err
		}
		if _, err := at.CheckIn(ctx, authz.ForUser(u), code); err != nil {
			return fmt.Errorf("check in %s: %w", u.Username, err)
		}
	}
	clock = start.Add(4 * time.Hour)
	_, err = at.SetActivityStatus(ctx, sys, a.ID, model.ActivityClosed)
	return err
}
