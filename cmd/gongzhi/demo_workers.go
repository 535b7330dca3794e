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

// demoWorkers gives the demo community its roster of community workers and a year of visits
// (demo.Workers): the grid account is the grid worker of its grid, the staff account a
// full-time worker, and the two of them logged the visits. A second run adds nothing.
func demoWorkers(ctx context.Context, st *store.Store, community *model.Territory) error {
	accounts := map[string]int64{}
	var visitors []authz.Scope
	for _, a := range []struct{ username, position string }{{"grid", "专职网格员"}, {"staff", "社区专职工作者"}} {
		u, err := st.UserByUsername(ctx, a.username)
		if errors.Is(err, model.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		key := a.position
		if u.Role == model.RoleGridLeader {
			key = fmt.Sprintf("grid:%d", u.ScopeID) // the worker of its grid
		}
		accounts[key] = u.ID
		visitors = append(visitors, authz.ForUser(u))
	}
	if _, err := demo.Workers(ctx, st, community, accounts, visitors, demo.DefaultSeed, time.Now().In(model.Shanghai)); err != nil {
		return fmt.Errorf("demo workers of %s: %w", community.Name, err)
	}
	return nil
}
