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

// demoVoteCommunities is how many communities of the demo street hold votes besides the demo
// community: a few, so that the demo loads as fast at any size.
const demoVoteCommunities = 2

// demoVotes gives the demo community its votes of compound affairs (demo.Votes), opened and
// closed by the demo staff account, the open ones over the demo resident's compound and none
// of them voted in by the demo accounts' households, so that the resident and member accounts
// find a vote to take part in; then the same to the first other communities of the demo
// street, opened by the street account. A second run adds nothing.
func demoVotes(ctx context.Context, st *store.Store, street, community *model.Territory) error {
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
	var own int64
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
		if name == "resident" {
			own = h
		}
		if h != 0 {
			keep = append(keep, h)
		}
	}
	today := time.Now().In(model.Shanghai)
	staff, err := scopeOf("staff")
	if err != nil {
		return err
	}
	if _, err := demo.Votes(ctx, st, staff, community.ID, own, keep, demo.DefaultSeed, today); err != nil {
		return fmt.Errorf("demo votes of %s: %w", community.Name, err)
	}
	by, err := scopeOf("street")
	if err != nil {
		return err
	}
	p, err := st.Territories(ctx, authz.System(), store.TerritoryFilter{Under: street.ID, Kind: model.KindCommunity, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	n := 0
	for _, c := range p.Items {
		if n == demoVoteCommunities {
			break
		}
		if c.ID == community.ID || c.Households == 0 {
			continue
		}
		if _, err := demo.Votes(ctx, st, by, c.ID, 0, nil, demo.DefaultSeed, today); err != nil {
			return fmt.Errorf("demo votes of %s: %w", c.Name, err)
		}
		n++
	}
	return nil
}
