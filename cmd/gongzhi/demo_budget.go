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

// demoBudget gives the demo community its small-project budgeting (民生微实事, demo.Budget): last
// year's round decided and carried out, this year's in voting, the proposals made by the demo
// resident and member accounts (and staff), none of the demo accounts' households voting yet;
// and the first other community of the demo street with households a round still collecting
// proposals, by the street account. A second run adds nothing.
func demoBudget(ctx context.Context, st *store.Store, street, community *model.Territory) error {
	scopeOf := func(username string) (authz.Scope, bool, error) {
		u, err := st.UserByUsername(ctx, username)
		if errors.Is(err, model.ErrNotFound) {
			return authz.System(), false, nil
		}
		if err != nil {
			return authz.Scope{}, false, err
		}
		return authz.ForUser(u), true, nil
	}
	var proposers []authz.Scope
	var keep []int64
	for _, name := range []string{"resident", "member", "unit"} {
		acc, err := st.UserByUsername(ctx, name)
		if errors.Is(err, model.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		_, h, _, err := st.AccountUnit(ctx, acc.ID)
		if err != nil {
			return err
		}
		if h != 0 {
			keep = append(keep, h)
			if name != "unit" {
				proposers = append(proposers, authz.ForUser(acc))
			}
		}
	}
	today := time.Now().In(model.Shanghai)
	staff, _, err := scopeOf("staff")
	if err != nil {
		return err
	}
	if _, err := demo.Budget(ctx, st, staff, community.ID, proposers, keep, demo.DefaultSeed, today); err != nil {
		return fmt.Errorf("demo budget of %s: %w", community.Name, err)
	}
	by, _, err := scopeOf("street")
	if err != nil {
		return err
	}
	p, err := st.Territories(ctx, authz.System(), store.TerritoryFilter{Under: street.ID, Kind: model.KindCommunity, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	for _, c := range p.Items {
		if c.ID == community.ID || c.Households == 0 {
			continue
		}
		if err := demo.BudgetProposing(ctx, st, by, c.ID, today); err != nil {
			return fmt.Errorf("demo budget of %s: %w", c.Name, err)
		}
		break
	}
	return nil
}
