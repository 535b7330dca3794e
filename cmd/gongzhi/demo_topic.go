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

// demoTopics gives the demo stairwell's neighbourhood its topics (demo.Topics), spoken by the
// demo accounts linked to its households (resident, member, unit leader) and the community's
// staff, after demoSubjects and demoLeaders have linked them. A second run adds nothing.
func demoTopics(ctx context.Context, st *store.Store, stair *model.Territory) error {
	scope := func(name string) (authz.Scope, error) {
		u, err := st.UserByUsername(ctx, name)
		if errors.Is(err, model.ErrNotFound) {
			return authz.Scope{}, nil
		}
		if err != nil {
			return authz.Scope{}, err
		}
		return authz.ForUser(u), nil
	}
	var as demo.TopicAccounts
	for name, sc := range map[string]*authz.Scope{"staff": &as.Staff, "resident": &as.Resident, "member": &as.Neighbour, "unit": &as.Leader} {
		var err error
		if *sc, err = scope(name); err != nil {
			return err
		}
	}
	if _, err := demo.Topics(ctx, st, stair, as, time.Now()); err != nil {
		return fmt.Errorf("demo topics: %w", err)
	}
	return nil
}
