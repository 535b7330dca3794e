package bench

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/demo"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
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

// smallCity is mustCity(tb, 300) made once per test binary for the tests that need a small
// city: the bytes of a copy of its SQLite file (VACUUM INTO) and the district admin's token,
// which every copy holds. Generating a city under the race detector costs a minute or more.
var smallCity struct {
	once sync.Once
	db   []byte
	tok  string
	err  error
}

// mustSmallCity returns a store on a fresh copy of the small city (with the test keyring) and
// the district admin's token.
func mustSmallCity(t *testing.T) (*store.Store, string) {
	t.Helper()
	smallCity.once.Do(func() {
		smallCity.err = errors.New("generating the small city failed in the test that made it")
		st, tok := mustCity(t, 300)
		file := filepath.Join(t.TempDir(), "city.db")
		if _, err := st.DB().Exec(`VACUUM INTO '` + file + `'`); err != nil {
			smallCity.err = err
			return
		}
		smallCity.db, smallCity.err = os.ReadFile(file) // #nosec G304 -- the copy this function just made in its own temporary directory
		smallCity.tok = tok
	})
	if smallCity.err != nil {
		t.Fatal(smallCity.err)
	}
	file := filepath.Join(t.TempDir(), "city.db")
	if err := os.WriteFile(file, smallCity.db, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), "sqlite:"+file, store.WithKeys(storetest.Keyring(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, smallCity.tok
}

// BenchmarkHandler is the in-process cost of each pair `gongzhi bench` measures, through the
// whole stack and through the bare handler, without the loopback transport: as a district
// admin, the API with a bearer token and the page with the session cookie.
func BenchmarkHandler(b *testing.B) {
	const n = 3000
	st, tok := mustCity(b, n)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pages, err := web.New(st, log, web.Options{})
	if err != nil {
		b.Fatal(err)
	}
	full := server.New(st, log, api.Token, api.New(st, log, 1<<20, false), pages).Handler()
	bh := newBare(st, pages, "bench", "江油市")
	community := mustLargestCommunity(b, st)
	list := "?territory=" + strconv.FormatInt(community, 10) + "&limit=50"
	for _, c := range []struct {
		name, path, header string
		h                  http.Handler
	}{
		{"json/full", "/api/v1/households/", "Authorization", full},
		{"json/bare", "/households/", "", http.HandlerFunc(bh.householdJSON)},
		{"page/full", "/households/", "Cookie", full},
		{"page/bare", "/households/", "", http.HandlerFunc(bh.householdPage)},
		{"list/full", "/api/v1/households" + list, "Authorization", full},
		{"list/bare", "/households" + list, "", http.HandlerFunc(bh.householdList)},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				path := c.path
				if strings.HasSuffix(path, "/") {
					path += strconv.Itoa(1 + i%n)
				}
				r := httptest.NewRequest("GET", path, nil)
				switch c.header {
				case "Authorization":
					r.Header.Set("Authorization", "Bearer "+tok)
				case "Cookie":
					r.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: tok})
				}
				w := httptest.NewRecorder()
				c.h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkHandlerRatio runs each pair's full stack and bare handler in turn, request by
// request on one goroutine, so that both meet the same machine (on a shared one, timing each
// side in its own run compares two different minutes), and times each request by its thread's
// CPU time on Linux (threadClock), so that waiting for a core does not count. It reports each
// side's time per request and "ratio", bare time over full time: the full stack's share of the
// bare handler's throughput, as `gongzhi bench` reports it over loopback (where the transport's
// cost, the same on both sides, brings the ratio closer to 1). Work the request leaves to other
// threads (the garbage collector's background marking) is not counted.
func BenchmarkHandlerRatio(b *testing.B) {
	const n = 3000
	st, tok := mustCity(b, n)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pages, err := web.New(st, log, web.Options{})
	if err != nil {
		b.Fatal(err)
	}
	full := server.New(st, log, api.Token, api.New(st, log, 1<<20, false), pages).Handler()
	bh := newBare(st, pages, "bench", "江油市")
	list := "?territory=" + strconv.FormatInt(mustLargestCommunity(b, st), 10) + "&limit=50"
	for _, c := range []struct {
		name, fullPath, barePath, header string
		bare                             http.HandlerFunc
	}{
		{"json", "/api/v1/households/", "/households/", "Authorization", bh.householdJSON},
		{"page", "/households/", "/households/", "Cookie", bh.householdPage},
		{"list", "/api/v1/households" + list, "/households" + list, "Authorization", bh.householdList},
	} {
		b.Run(c.name, func(b *testing.B) {
			var tFull, tBare time.Duration
			var clock func() time.Duration
			serve := func(h http.Handler, path string, i int, auth bool) time.Duration {
				if strings.HasSuffix(path, "/") {
					path += strconv.Itoa(1 + i%n)
				}
				r := httptest.NewRequest("GET", path, nil)
				switch {
				case auth && c.header == "Authorization":
					r.Header.Set("Authorization", "Bearer "+tok)
				case auth:
					r.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: tok})
				}
				w := httptest.NewRecorder()
				t0 := clock()
				h.ServeHTTP(w, r)
				d := clock() - t0
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				return d
			}
			var release func()
			clock, release = threadClock()
			defer release()
			for i := 0; b.Loop(); i++ {
				tFull += serve(full, c.fullPath, i, true)
				tBare += serve(c.bare, c.barePath, i, false)
			}
			b.ReportMetric(float64(tFull.Microseconds())/float64(b.N), "full-µs/op")
			b.ReportMetric(float64(tBare.Microseconds())/float64(b.N), "bare-µs/op")
			b.ReportMetric(tBare.Seconds()/tFull.Seconds(), "ratio")
		})
	}
}

// mustLargestCommunity returns the id of the community with the most households.
func mustLargestCommunity(tb testing.TB, st *store.Store) int64 {
	tb.Helper()
	var id int64
	if err := st.ReadDB().QueryRow(`SELECT id FROM territories WHERE kind = 'community' ORDER BY households DESC, id LIMIT 1`).Scan(&id); err != nil {
		tb.Fatal(err)
	}
	return id
}

// TestRunSmall runs the whole benchmark on a tiny city: every figure is measured and sane.
func TestRunSmall(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("generates a city")
	}
	dsn := storetest.DSN(t, "sqlite")
	rep, err := Run(context.Background(), Options{DSN: dsn, Households: 1500, Samples: 20,
		Duration: 300_000_000, Concurrency: 4, Orders: 3000, Ballots: 200}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// The vote: every household's ballot accepted through the API, fifty identical ballots of
	// one household counted once, the vote closed and its result read.
	if f := rep.VoteFlow; f == nil || f.Ballots != 200 || f.Eligible <= 200 || f.PerSecond <= 0 || f.P99 < f.P50 ||
		f.Same != 50 || f.Accepted != 1 || f.Refused != 49 || f.Counted != 1 || f.CloseTook <= 0 || f.ResultTook <= 0 {
		t.Errorf("vote flow %+v", rep.VoteFlow)
	}
	// The orders: added in bulk with statistics that agree with a recount; every read timed;
	// orders placed, claimed and done through the API.
	if rep.Orders != 3000 || rep.OrdersLoad <= 0 || len(rep.OrderReads) < 8 || rep.OrderFlow == nil || rep.OrderFlow.Orders == 0 || rep.OrderFlow.PerSecond <= 0 {
		t.Fatalf("orders: %d, load %v, reads %+v, flow %+v", rep.Orders, rep.OrdersLoad, rep.OrderReads, rep.OrderFlow)
	}
	if f := rep.OrderFlowBusy; f == nil || f.Workers != 4*rep.OrderFlow.Workers || f.Orders == 0 || f.PerSecond <= 0 {
		t.Fatalf("the flow with four times the workers: %+v", rep.OrderFlowBusy)
	}
	for _, o := range rep.OrderReads {
		if o.P99 <= 0 || o.P99 < o.P50 {
			t.Errorf("orders read %+v", o)
		}
	}
	func() {
		st, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var orders, placed int64
		if err := st.ReadDB().QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&orders); err != nil {
			t.Fatal(err)
		}
		if err := st.ReadDB().QueryRow(`SELECT SUM(placed) FROM order_stats WHERE path = '/'`).Scan(&placed); err != nil {
			t.Fatal(err)
		}
		if want := 3000 + rep.OrderFlow.Orders + rep.OrderFlowBusy.Orders; orders < want || placed != orders {
			t.Errorf("%d orders (want at least %d), the statistics count %d", orders, want, placed)
		}
	}()
	t.Run("reuse", func(t *testing.T) {
		// A filled database is refused without --reuse, and measured with it.
		if _, err := Run(context.Background(), Options{DSN: dsn, Households: 1500, Samples: 5, SkipHTTP: true, Duration: 100_000_000}, io.Discard); err == nil {
			t.Fatal("a second generation into a filled database was not refused")
		}
		// The staff accounts a run measures as are made once: a fresh one each run followed every
		// order of its territory, and the orders' events fanned out to more of them each run.
		staff := func() int64 {
			st, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			var n int64
			if err := st.ReadDB().QueryRow(`SELECT COUNT(*) FROM users WHERE role <> 'resident'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := staff()
		again, err := Run(context.Background(), Options{DSN: dsn, Reuse: true, Samples: 5, SkipHTTP: true, Duration: 100_000_000}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if after := staff(); after != before {
			t.Errorf("%d staff accounts after a reused run, %d before", after, before)
		}
		if !again.Reused || again.Households != 1500 || len(again.Levels) != 4 || len(again.Party) == 0 || again.Load != 0 ||
			again.Propose != nil || len(again.Feeds) != 2 {
			t.Fatalf("reused report = %+v", again)
		}
		var md strings.Builder
		again.WriteMarkdown(&md, "gongzhi bench --reuse")
		if !strings.Contains(md.String(), "--reuse") || strings.Contains(md.String(), "generation + load") ||
			strings.Contains(md.String(), "units proposed") || !strings.Contains(md.String(), "/feeds/duty/{token}.ics") {
			t.Errorf("markdown of a reused run:\n%s", md.String())
		}
	})
	if len(rep.Levels) != 4 || rep.Households != 1500 || rep.LookupsPerS <= 0 || len(rep.Pairs) != 4 {
		t.Fatalf("report = %+v", rep)
	}
	for _, p := range rep.Pairs {
		if p.Full.RPS <= 0 || p.Bare.RPS <= 0 || p.Full.P50 <= 0 || p.Full.P99 < p.Full.P50 || p.Bare.P99 < p.Bare.P50 {
			t.Errorf("pair %+v", p)
		}
	}
	for _, l := range rep.Levels {
		if l.CountP99 <= 0 || l.ListP99 <= 0 || l.Households <= 0 {
			t.Errorf("level %+v", l)
		}
	}
	// The largest street's proposal places every household of the street (Run fails otherwise);
	// a unit's feeds, by bearer and by private token, are calendars with the unit's months.
	if p := rep.Propose; p == nil || p.Took <= 0 || p.Households <= 0 || p.Communities == 0 || p.Units == 0 {
		t.Errorf("proposal %+v", rep.Propose)
	}
	if len(rep.Feeds) != 2 {
		t.Fatalf("feeds %+v", rep.Feeds)
	}
	for _, f := range rep.Feeds {
		if f.Events < 12 || f.Households == 0 || f.P50 <= 0 || f.P99 < f.P50 {
			t.Errorf("feed %+v", f)
		}
	}
	var md strings.Builder
	rep.WriteMarkdown(&md, "gongzhi bench")
	for _, want := range []string{"units proposed for the largest street, " + rep.Propose.Street, "ballots/s", "turnout grew by **1**", "`GET /api/v1/units/{id}/duty.ics`", "`GET /feeds/duty/{token}.ics`"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

// TestCheckUnitsFormed: the bench refuses a city with households in no unit.
func TestCheckUnitsFormed(t *testing.T) {
	t.Parallel()
	st, _ := mustSmallCity(t)
	ctx := context.Background()
	nodes, err := pickNodes(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkUnitsFormed(ctx, st, nodes[0]); err != nil {
		t.Fatalf("the generated city: %v", err)
	}
	us, err := st.Units(ctx, authz.System(), store.UnitFilter{Limit: 1})
	if err != nil || len(us.Items) == 0 {
		t.Fatal(us, err)
	}
	if err := st.DissolveUnit(ctx, authz.System(), us.Items[0].ID, "测试"); err != nil {
		t.Fatal(err)
	}
	if err := checkUnitsFormed(ctx, st, nodes[0]); err == nil {
		t.Error("a city with a dissolved unit's households in no unit passed")
	}
}

// TestBareAnswersLikeFull: each bare handler answers what the full stack answers the
// benchmark's district admin (the page byte for byte, the JSON as values), so that a pair
// compares the cost of the same answer.
func TestBareAnswersLikeFull(t *testing.T) {
	t.Parallel()
	st, tok := mustSmallCity(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pages, err := web.New(st, log, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	full := server.New(st, log, api.Token, api.New(st, log, 1<<20, false), pages).Handler()
	bh := newBare(st, pages, "bench", "江油市")
	get := func(h http.Handler, path string, auth func(r *http.Request)) string {
		t.Helper()
		r := httptest.NewRequest("GET", path, nil)
		if auth != nil {
			auth(r)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: status %d: %s", path, w.Code, w.Body)
		}
		return w.Body.String()
	}
	bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	cookie := func(r *http.Request) { r.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: tok}) }
	sameJSON := func(path, got, want string) {
		t.Helper()
		var g, w any
		if err := json.Unmarshal([]byte(got), &g); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(want), &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: bare answers\n%s\nfull stack answers\n%s", path, got, want)
		}
	}
	for _, id := range []string{"1", "7", "150", "300"} {
		if got, want := get(http.HandlerFunc(bh.householdPage), "/households/"+id, nil), get(full, "/households/"+id, cookie); got != want {
			t.Errorf("household page %s: bare page differs from the full stack's (when the page changes, make bare_page.html from its new output):\n%s\n---\n%s", id, got, want)
		}
		sameJSON("household "+id, get(http.HandlerFunc(bh.householdJSON), "/households/"+id, nil), get(full, "/api/v1/households/"+id, bearer))
	}
	community, err := st.Territory(context.Background(), authz.System(), mustLargestCommunity(t, st))
	if err != nil {
		t.Fatal(err)
	}
	disclosure := bareMux("GET /p/{code}", bh.disclosurePage(st))
	if got, want := get(disclosure, "/p/"+community.Code, nil), get(full, "/p/"+community.Code, nil); got != want {
		t.Errorf("disclosure page of %s: bare page differs from the full stack's (when the page changes, make bare_disclosure.html from its new output):\n%s\n---\n%s", community.Code, got, want)
	}
	for _, limit := range []string{"2", "50"} {
		list := "?territory=" + strconv.FormatInt(mustLargestCommunity(t, st), 10) + "&limit=" + limit
		sameJSON("list"+list, get(http.HandlerFunc(bh.householdList), "/households"+list, nil), get(full, "/api/v1/households"+list, bearer))
	}
}
