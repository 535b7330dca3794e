package bench

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"gongzhi/internal/pii"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
)

// TestOrderFlowCPU runs the order flow of measureOrderFlow on a city an earlier `gongzhi bench`
// made (GONGZHI_FLOW_DSN; skipped without it) and reports the process's CPU time per order,
// which a shared machine's load changes far less than the orders a second. With -cpuprofile it
// is the profile of the flow alone:
//
//	GONGZHI_FLOW_DSN=sqlite:/tmp/b.db go test ./internal/bench -run OrderFlowCPU -v -cpuprofile cpu.out
func TestOrderFlowCPU(t *testing.T) {
	dsn := os.Getenv("GONGZHI_FLOW_DSN")
	if dsn == "" {
		t.Skip("GONGZHI_FLOW_DSN not set")
	}
	ctx := context.Background()
	server.TuneGC() // as the gongzhi command does
	server.TuneProcs()
	// The city's personal data stays sealed with the generating run's key: the flow reads none.
	k, err := pii.NewKey("bench")
	if err != nil {
		t.Fatal(err)
	}
	ak, err := pii.NewKey(pii.AuditKeyPrefix + "-bench")
	if err != nil {
		t.Fatal(err)
	}
	kr, err := pii.New([]pii.Key{k, ak})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, dsn, store.WithKeys(kr))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	nodes, err := pickNodes(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	community := nodes[2]
	d := 8 * time.Second
	if s := os.Getenv("GONGZHI_FLOW_DURATION"); s != "" {
		if d, err = time.ParseDuration(s); err != nil {
			t.Fatal(err)
		}
	}
	workers := 8
	if s := os.Getenv("GONGZHI_FLOW_WORKERS"); s != "" {
		if workers, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	cpu0 := processCPU(t)
	f, err := measureOrderFlow(ctx, st, community, Options{Concurrency: workers, Duration: d}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	cpu := processCPU(t) - cpu0
	if f.Orders == 0 {
		t.Fatal("no order went through")
	}
	t.Logf("%d orders in %v: %.1f orders/s, p50 %v, p99 %v; process CPU %v, %v an order (server, client and SQLite)",
		f.Orders, d, f.PerSecond, f.P50, f.P99, cpu.Round(time.Millisecond), (cpu / time.Duration(f.Orders)).Round(time.Microsecond))
}

func processCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
