package main

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/store"
)

// TestDemoContract: after `gongzhi demo` (twice), the demo community has one purchased-service
// contract with four milestones, those due accepted and paid (the paid amount their sum), the
// ledger still balanced; nothing twice.
func TestDemoContract(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t) // the demo run twice
	p, err := st.Contracts(ctx, authz.System(), store.MaxLimit, "")
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("contracts: %d, %v", len(p.Items), err)
	}
	k, err := st.Contract(ctx, authz.System(), p.Items[0].ID)
	if err != nil || len(k.Milestones) != 4 {
		t.Fatalf("contract: %+v, %v", k, err)
	}
	var paid int64
	for _, m := range k.Milestones {
		if m.Accepted {
			paid += m.AmountFen
		}
	}
	if paid == 0 || paid != k.PaidFen {
		t.Errorf("paid %d, the accepted milestones' sum %d", k.PaidFen, paid)
	}
	if err := st.CheckFundLedger(ctx); err != nil {
		t.Error(err)
	}
}
