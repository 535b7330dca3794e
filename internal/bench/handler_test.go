package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/demo"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// mustCity generates a small city on SQLite and returns the store, a district admin's token and
// the number of households.
func mustCity(tb testing.TB, households int) (*store.Store, string) {
	tb.Helper()
	ctx := context.Background()
	st := storetest.Open(tb, "sqlite")
	res, err := demo.Generate(ctx, st, demo.Options{Households: households}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	u, err := st.CreateUser(ctx, authz.System(), store.UserInput{Username: "bench", Password: "long enough password",
		Role: model.RoleDistrictAdmin, ScopeID: res.DistrictID})
	if err != nil {
		tb.Fatal(err)
	}
	tok, _, err := st.CreateSession(ctx, u)
	if err != nil {
		tb.Fatal(err)
	}
	return st, tok
}

// BenchmarkHandler is the in-process cost of GET /api/v1/households/{id} through the whole
// stack and through the bare handler, without the loopback transport `gongzhi bench` adds.
func BenchmarkHandler(b *testing.B) {
	const n = 3000
	st, tok := mustCity(b, n)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range []struct {
		name, path string
		h          http.Handler
	}{
		{"full", "/api/v1/households/", server.New(st, log, api.Token, api.New(st, log, 1<<20, false)).Handler()},
		{"bare", "/households/", bareHandler(st.ReadDB(), st.Engine())},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				r := httptest.NewRequest("GET", c.path+strconv.Itoa(1+i%n), nil)
				r.Header.Set("Authorization", "Bearer "+tok)
				w := httptest.NewRecorder()
				c.h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// TestRunSmall runs the whole benchmark on a tiny city: every figure is measured and sane.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a city")
	}
	rep, err := Run(context.Background(), Options{DSN: storetest.DSN(t, "sqlite"), Households: 1500, Samples: 20,
		Duration: 300_000_000, Concurrency: 4}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Levels) != 4 || rep.Households != 1500 || rep.LookupsPerS <= 0 || rep.FullRPS <= 0 || rep.BareRPS <= 0 {
		t.Fatalf("report = %+v", rep)
	}
	for _, l := range rep.Levels {
		if l.CountP99 <= 0 || l.ListP99 <= 0 || l.Households <= 0 {
			t.Errorf("level %+v", l)
		}
	}
}
