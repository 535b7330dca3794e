package demo

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// checkTransfers: the demo city has transfers in every state and direction it makes: waiting,
// accepted (the member moved, or left with a signed file), returned, and one in from the
// trusted neighbour, waiting.
func checkTransfers(t *testing.T, st *store.Store, res *Result) {
	t.Helper()
	pg, err := st.Transfers(context.Background(), authz.System(), store.TransferFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if int(pg.Total) != res.Transfers || res.Transfers == 0 {
		t.Fatalf("transfers: %d listed, %d reported, want the same and some", pg.Total, res.Transfers)
	}
	seen := map[string]int{}
	for _, tr := range pg.Items {
		seen[string(tr.Direction)+" "+string(tr.Status)]++
		if tr.Direction == model.TransferOut && !tr.HasFile {
			t.Errorf("transfer out %d has no signed file", tr.ID)
		}
	}
	for _, want := range []string{"internal requested", "internal accepted", "internal rejected", "out accepted", "in requested"} {
		if seen[want] == 0 {
			t.Errorf("no transfer %s in the demo (have %v)", want, seen)
		}
	}
}
