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

// demoContract gives the demo community a purchased-service contract (demo.Contract): the
// street account adds its budget, the staff account makes it and accepts the milestones due,
// the resident and member accounts rate them. A second run adds nothing.
func demoContract(ctx context.Context, st *store.Store, community *model.Territory) error {
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
	street, _, err := scopeOf("street")
	if err != nil {
		return err
	}
	staff, _, err := scopeOf("staff")
	if err != nil {
		return err
	}
	var raters []authz.Scope
	for _, name := range []string{"resident", "member"} {
		if sc, ok, err := scopeOf(name); err != nil {
			return err
		} else if ok {
			raters = append(raters, sc)
		}
	}
	if err := demo.Contract(ctx, st, street, staff, raters, community.ID, time.Now()); err != nil {
		return fmt.Errorf("demo contract of %s: %w", community.Name, err)
	}
	return nil
}
