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

// demoSurveys gives the demo street a year of perception surveys (demo.Perception) answered in
// the demo community and up to two more of its communities, sent as the demo street account (as
// the system when there is none), and the current round open for the demo accounts to answer.
// A second run adds nothing.
func demoSurveys(ctx context.Context, st *store.Store, street, community *model.Territory) error {
	by := authz.System()
	if acc, err := st.UserByUsername(ctx, "street"); err == nil {
		by = authz.ForUser(acc)
	} else if !errors.Is(err, model.ErrNotFound) {
		return err
	}
	communities := []int64{community.ID}
	kids, err := st.Territories(ctx, authz.System(), store.TerritoryFilter{ParentID: street.ID, Kind: model.KindCommunity, Limit: 20})
	if err != nil {
		return err
	}
	for _, c := range kids.Items {
		if len(communities) < 3 && c.ID != community.ID && c.Households > 0 {
			communities = append(communities, c.ID)
		}
	}
	if _, err := demo.Perception(ctx, st, street.ID, communities, by, time.Now().In(model.Shanghai), demo.DefaultSeed); err != nil {
		return fmt.Errorf("demo surveys: %w", err)
	}
	return nil
}
