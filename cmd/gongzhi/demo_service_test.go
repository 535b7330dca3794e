package main

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestDemoServiceActivity: the demo community held a volunteer service activity three weeks
// ago (once, though the demo ran twice); the demo member account checked in, and closing it
// banked its three hours in its time bank, beside what it earned by orders.
func TestDemoServiceActivity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t)
	p, err := st.Activities(ctx, authz.System(), store.ActivityFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	var found []*model.Activity
	service := 0
	for _, a := range p.Items {
		if a.Title == demoServiceTitle {
			found = append(found, a)
		}
		if a.Service {
			service++
		}
	}
	if len(found) != 1 || found[0].Status != model.ActivityClosed || found[0].CheckedIn != 1 {
		t.Fatalf("the demo service activity: %d found (%+v)", len(found), found)
	}
	if service < 3 {
		t.Errorf("%d volunteer service activities, want the past one and the coming ones", service)
	}
	for _, name := range []string{"member"} {
		acc, err := st.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		var minutes int
		if err := st.DB().QueryRowContext(ctx, `SELECT COALESCE(SUM(e.minutes), 0) FROM timebank_entries e JOIN order_takers t ON t.id = e.holder_id
			WHERE e.holder_kind = 'taker' AND t.user_id = ? AND e.activity_id = ?`, acc.ID, found[0].ID).Scan(&minutes); err != nil {
			t.Fatal(err)
		}
		if minutes != 180 {
			t.Errorf("%s banked %d minutes from the activity, want 180", name, minutes)
		}
		hs, err := st.TimebankHolders(ctx, authz.ForUser(acc))
		if err != nil || len(hs) == 0 || hs[0].Balance < 180 {
			t.Errorf("%s's time bank: %+v, %v", name, hs, err)
		}
	}
}
