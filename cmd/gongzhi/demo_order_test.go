package main

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// TestDemoTimebank: after `gongzhi demo` (twice), the demo community's time bank has gifts of
// takers to households and spends of those households on their open orders, recorded once;
// the demo resident sees its household's hours received and what is left of them; every
// balance is what its entries sum to, and none is negative.
func TestDemoTimebank(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t) // the demo run twice
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := st.DB().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	gifts := count(`SELECT COUNT(*) FROM timebank_entries WHERE kind = 'give'`)
	receipts := count(`SELECT COUNT(*) FROM timebank_entries WHERE kind = 'receive'`)
	spends := count(`SELECT COUNT(*) FROM timebank_entries WHERE kind = 'spend' AND holder_kind = 'household'`)
	if gifts < 2 || receipts != gifts || spends < 2 {
		t.Errorf("%d gifts, %d receipts, %d spends of households; want a few gifts, each received, and a few spends", gifts, receipts, spends)
	}
	if n := count(`SELECT COUNT(*) FROM timebank_entries e JOIN orders o ON o.id = e.order_id WHERE e.kind = 'spend' AND o.status = 'cancelled'`); n != 0 {
		t.Errorf("%d spends on cancelled orders", n)
	}
	if n := count(`SELECT COUNT(*) FROM timebank_balances b WHERE b.balance < 0 OR b.balance <> (SELECT COALESCE(SUM(e.minutes), 0) FROM timebank_entries e
		WHERE e.holder_kind = b.holder_kind AND e.holder_id = b.holder_id)`); n != 0 {
		t.Errorf("%d balances negative or not the sum of their entries", n)
	}
	// The demo resident's account: its household received hours and spent part of them.
	acc, err := st.UserByUsername(ctx, "resident")
	if err != nil {
		t.Fatal(err)
	}
	sc := authz.ForUser(acc)
	hs, err := st.TimebankHolders(ctx, sc)
	if err != nil || len(hs) != 1 || hs[0].Kind != model.HolderHousehold || hs[0].Balance <= 0 {
		var got []model.TimebankHolder
		for _, h := range hs {
			got = append(got, *h)
		}
		t.Fatalf("the demo resident's holders: %+v, %v; want its household's, with hours left", got, err)
	}
	page, err := st.TimebankEntries(ctx, sc, model.HolderHousehold, hs[0].ID, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[model.TimebankKind]int{}
	for _, e := range page.Items {
		kinds[e.Kind]++
		if e.Kind == model.TimebankReceive && e.Counterparty == "" {
			t.Errorf("a gift from no one: %+v", e)
		}
	}
	if kinds[model.TimebankReceive] != 1 || kinds[model.TimebankSpend] != 1 {
		t.Errorf("the demo resident's household's entries by kind %v, want one gift received and one spend", kinds)
	}
}

// TestDemoInTimeOrder: the demo's orders and their history are numbered in the order they
// took place, as a running system numbers them, and so is each time bank holder's ledger (its
// page lists the newest first by number). Before 2026-12-05 the demo wrote each order's whole
// history (weeks back) before the next order's, so a taker's ledger listed the hours of an
// order done weeks ago above those of yesterday's.
func TestDemoInTimeOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t)
	for _, tc := range []struct{ table, at, by string }{
		{"orders", "placed_at", ""},
		{"order_events", "at", ""},
		{"timebank_entries", "created_at", "PARTITION BY holder_kind, holder_id"},
	} {
		var rows, back int
		if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(back), 0) FROM (
			SELECT CASE WHEN `+tc.at+` < LAG(`+tc.at+`) OVER (`+tc.by+` ORDER BY id) THEN 1 ELSE 0 END AS back FROM `+tc.table+`) b`).Scan(&rows, &back); err != nil {
			t.Fatal(err)
		}
		if rows < 10 || back != 0 {
			t.Errorf("%s: %d of %d rows numbered after a later one", tc.table, back, rows)
		}
	}
}
