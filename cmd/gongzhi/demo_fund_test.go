package main

import (
	"context"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestDemoFunds: after `gongzhi demo` (twice), the demo community has this year's budget in
// three categories and a year of requests, most paid along the chain, some rejected, one
// waiting for the community account and one for the street account; the ledger balances and
// the yearly statement adds up; nothing twice.
func TestDemoFunds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t) // the demo run twice
	sys := authz.System()
	year := time.Now().In(model.Shanghai).Year()
	bs, err := st.FundBudgets(ctx, sys, store.FundBudgetFilter{Year: year})
	if err != nil || len(bs) != 3 {
		t.Fatalf("budget lines: %d, %v", len(bs), err)
	}
	p, err := st.FundRequests(ctx, sys, store.FundRequestFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	states := map[model.FundRequestStatus]int{}
	steps := map[int]int{}
	for _, q := range p.Items {
		states[q.Status]++
		if q.Status == model.FundPending {
			steps[q.Step]++
		}
		if len(q.Receipts) != 1 {
			t.Errorf("request %s: %d receipts", q.Purpose, len(q.Receipts))
		}
	}
	if states[model.FundPaid] < 10 || states[model.FundRejected] < 1 || steps[1] != 1 || steps[2] != 1 {
		t.Errorf("requests by status %v, pending by step %v", states, steps)
	}
	if err := st.CheckFundLedger(ctx); err != nil {
		t.Error(err)
	}
	s, err := st.FundStatementOf(ctx, sys, 0, year, 0)
	if err != nil {
		t.Fatal(err)
	}
	requests := 0 // the payments of requests (the contract's milestones are paid too: demo_contract.go)
	for _, p := range s.Payments {
		if p.RequestID != 0 {
			requests++
		}
	}
	if s.Total.SpentFen <= 0 || requests != states[model.FundPaid] || s.Total.ClosingFen != s.Total.AllocatedFen-s.Total.SpentFen {
		t.Errorf("the yearly statement: %+v, %v", s, err)
	}
	for _, name := range []string{"community", "street"} {
		u, err := st.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		mine, err := st.FundRequests(ctx, authz.ForUser(u), store.FundRequestFilter{Mine: true})
		if err != nil || mine.Total != 1 {
			t.Errorf("%s's requests to decide: %+v, %v", name, mine, err)
		}
	}
}
