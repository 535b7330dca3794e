package main

import (
	"context"
	"fmt"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// demoParty makes the secretary account the current secretary of the grid's branch (a post: the
// account is a member account like any other, and manages the branch's members through the
// post). The member account is linked to its roster record in demoSubjects.
func demoParty(ctx context.Context, st *store.Store, grid *model.Territory) error {
	sys := authz.System()
	secretary, err := st.UserByUsername(ctx, "secretary")
	if err != nil {
		return err
	}
	p, err := st.Orgs(ctx, sys, store.OrgFilter{Under: grid.ID, Kind: model.OrgGridBranch, Limit: 10})
	if err != nil {
		return err
	}
	for _, o := range p.Items {
		if o.TerritoryID == grid.ID {
			if err := st.SetPostAccount(ctx, sys, o.ID, "secretary", secretary.ID); err != nil {
				return fmt.Errorf("demo branch secretary: %w", err)
			}
			return nil
		}
	}
	return nil // a demo without branches
}
