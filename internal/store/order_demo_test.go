package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestBulkOrdersNumberedAsPlaced: the bench's historical orders are numbered in the order they
// were placed, as a running system numbers them, and all of them are counted. Numbered
// household by household (before 2026-12-04), the ids ran through the city territory by
// territory: a street's newest orders, which its board reads from the newest id back, lay
// behind every order of the streets after it.
func TestBulkOrdersNumberedAsPlaced(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		for i := range 6 {
			mustHousehold(t, st, tr.stairwell, fmt.Sprintf("1栋1单元%d01", i+1))
			mustHousehold(t, st, tr.stairwell2, fmt.Sprintf("8栋2单元%d01", i+1))
		}
		n, err := st.BulkOrders(ctx, store.BulkOrderOptions{N: 300, Seed: 7, Now: time.Now(), Takers: 3})
		if err != nil {
			t.Fatal(err)
		}
		var count, back int
		if err := st.ReadDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM orders`).Scan(&count); err != nil {
			t.Fatal(err)
		}
		if err := st.ReadDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM (
			SELECT CASE WHEN placed_at < LAG(placed_at) OVER (ORDER BY id) THEN 1 ELSE 0 END AS back FROM orders) b WHERE back = 1`).Scan(&back); err != nil {
			t.Fatal(err)
		}
		if n != 300 || count != 300 || back != 0 {
			t.Fatalf("added %d, %d orders in the table, %d of them placed before the order numbered before them", n, count, back)
		}
	})
}
