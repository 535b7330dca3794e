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

// demoNotices gives the demo community its notices (demo.Notices), published by the demo staff
// account, none read by the demo accounts' households, so that the resident finds unread ones;
// two are public, on the community's disclosure page. A second run adds nothing.
func demoNotices(ctx context.Context, st *store.Store, community *model.Territory) error {
	by := authz.System()
	if u, err := st.UserByUsername(ctx, "staff"); err == nil {
		by = authz.ForUser(u)
	} else if !errors.Is(err, model.ErrNotFound) {
		return err
	}
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
		}
	}
	if _, err := demo.Notices(ctx, st, by, community.ID, 0, keep, time.Now().In(model.Shanghai)); err != nil {
		return fmt.Errorf("demo notices of %s: %w", community.Name, err)
	}
	return nil
}
