package main

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/store"
)

// TestDemoSecretaryDispatches: in the demo city the secretary account (a member living in the
// grid, secretary of its branch by post) has a dispatch board listing the grid's orders.
func TestDemoSecretaryDispatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t)
	acc, err := st.UserByUsername(ctx, "secretary")
	if err != nil {
		t.Fatal(err)
	}
	sc := authz.ForUser(acc)
	if ok, err := st.DispatchesOrders(ctx, sc); err != nil || !ok {
		t.Fatalf("the demo secretary dispatches: %v, %v", ok, err)
	}
	p, err := st.Orders(ctx, sc, store.OrderFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) == 0 {
		t.Fatal("the demo secretary's board is empty")
	}
	for _, o := range p.Items {
		if _, err := st.Order(ctx, sc, o.ID); err != nil {
			t.Errorf("order %d on the board: %v", o.ID, err)
		}
	}
}
