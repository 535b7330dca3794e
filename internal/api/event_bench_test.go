package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// BenchmarkEventSSECrossInstance measures issue 10's target end to end: two app instances (two
// Stores, two HTTP servers) on one PostgreSQL schema; a client holds GET /api/v1/events on
// instance B; each iteration publishes one event for it through instance A and waits until
// the client has read the event off the stream. ns/op is the mean; p50-ms, p99-ms, max-ms.
//
//	go test ./internal/api -run '^$' -bench BenchmarkEventSSECrossInstance -benchtime 300x
func BenchmarkEventSSECrossInstance(b *testing.B) {
	ctx := context.Background()
	stA := storetest.Open(b, "postgres")
	f := mustFixture(b, stA)
	stB, err := store.Open(ctx, store.DSNOf(stA), store.WithKeys(storetest.Keyring(b)))
	if err != nil {
		b.Fatal(err)
	}
	defer stB.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srvB := httptest.NewServer(server.New(stB, log, api.Token, api.New(stB, log, maxBody, false)).Handler())
	defer srvB.Close()
	tok := f.mustToken(b, model.RoleResident, f.tree.stairA)
	id := f.accountID(b, tok)
	s := mustStream(b, srvB.URL, tok, "", "")
	defer s.resp.Body.Close()
	// The stream is open once its handler follows the account: one event through B proves it.
	mustPublish(b, stB, model.EventInput{UserIDs: []int64{id}, Kind: "ready"})
	if _, ok := <-s.events; !ok {
		b.Fatal("the stream ended")
	}
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		mustPublish(b, stA, model.EventInput{UserIDs: []int64{id}, Kind: "order.changed", Subject: "order:1"})
		select {
		case _, ok := <-s.events:
			if !ok {
				b.Fatal("the stream ended")
			}
		case <-time.After(10 * time.Second):
			b.Fatal("no event within 10 s")
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
}
