// Package bench is the benchmark behind `gongzhi bench`: it generates a city, then measures
// subtree counts, first list pages and point lookups through the store, and authenticated API
// reads through the whole HTTP stack side by side with a bare net/http handler.
package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/demo"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
)

// Options says what to measure.
type Options struct {
	DSN         string        // an empty database to fill (or, with Reuse, one an earlier run filled)
	Keys        *pii.Keyring  // seals personal data; nil: a fresh key for this run only
	Households  int           // size of the generated city
	Seed        int64         // generator seed
	Samples     int           // latency samples per level
	Duration    time.Duration // length of each throughput run
	Concurrency int           // workers of each throughput run (0: 4 × server.CPUs)
	SkipHTTP    bool
	// SkipOrderFlow skips placing, claiming and finishing orders through the API (it runs
	// without SkipHTTP's pairs, which need the keys the city was sealed with).
	SkipOrderFlow bool
	Orders        int // historical orders the city gets (issue 10), added once (0: none, no orders measured)
	// Ballots is how many households of the largest street vote through the API (issue 11; 0:
	// no vote measured).
	Ballots int
	// Reuse measures the city an earlier run left in the database instead of generating one,
	// so the slow generation can run on a busy machine and the reads be measured on a quiet one.
	Reuse bool
}

// Level is the latency of one node level.
type Level struct {
	Kind       model.TerritoryKind
	Name       string
	Households int64
	CountP50   time.Duration
	CountP99   time.Duration
	ListP50    time.Duration
	ListP99    time.Duration
}

// Report is what one run measured.
type Report struct {
	Engine     string
	Households int64
	Residents  int64
	Load       time.Duration // divisions, households and residents generated and loaded
	Total      time.Duration // Load and the Party, register and study data of the demo city
	Levels     []Level
	Party      []PartyTiming  // composition analytics and a branch's first member page
	Units      []UnitTiming   // coverage of the units (issue 9 item 6)
	Propose    *ProposeTiming // a street's unit proposal; nil when Reused (timed during generation)
	Feeds      []FeedTiming   // a unit's duty calendar feeds (issue 9 item 4)
	Orders     int64          // orders in the city
	OrdersLoad time.Duration  // adding them (0: an earlier run did)
	OrderReads []OrderTiming  // statistics, dispatch board, suggestions (issue 10)
	OrderFlow  *OrderFlow     // place → claim → done through the API
	// OrderFlowBusy is the same flow with four times the workers: what the server carries when
	// enough requests queue for SQLite's one writer that its group commits fill (each of
	// OrderFlow's few workers waits for its answer before it sends again, so that flow is
	// bound by one order's latency as much as by the server).
	OrderFlowBusy *OrderFlow
	VoteFlow      *VoteFlow // a street's households voting through the API, the tally
	LookupsPerS   float64
	Pairs         []Pair // full stack against bare handler, when HTTPMeasured
	Concurrency   int
	Duration      time.Duration
	GOMAXPROCS    int
	CPUs          int // server.CPUs: GOMAXPROCS less TuneProcs's P
	GeneratedAt   time.Time
	HTTPMeasured  bool
	Reused        bool // measured a city an earlier run generated (Load and Total not measured)
}

// Run fills the database at opts.DSN with a generated city and measures it, writing progress to
// progress. The database must be empty.
func Run(ctx context.Context, opts Options, progress io.Writer) (*Report, error) {
	if opts.Samples <= 0 {
		opts.Samples = 300
	}
	if opts.Duration <= 0 {
		opts.Duration = 10 * time.Second
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4 * server.CPUs()
	}
	kr := opts.Keys
	if kr == nil {
		// The benchmark's database is throwaway: a keyring that lives as long as the run will do.
		k, err := pii.NewKey("bench")
		if err != nil {
			return nil, err
		}
		ak, err := pii.NewKey(pii.AuditKeyPrefix + "-bench")
		if err != nil {
			return nil, err
		}
		if kr, err = pii.New([]pii.Key{k, ak}); err != nil {
			return nil, err
		}
	}
	st, err := store.Open(ctx, opts.DSN, store.WithKeys(kr))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	if p, err := st.Territories(ctx, authz.System(), store.TerritoryFilter{Limit: 1}); err != nil {
		return nil, err
	} else if len(p.Items) > 0 && !opts.Reuse {
		return nil, fmt.Errorf("bench needs an empty database; %s already has territories (--reuse measures them)", opts.DSN)
	} else if len(p.Items) == 0 && opts.Reuse {
		return nil, fmt.Errorf("--reuse needs a database an earlier run filled; %s has no territories", opts.DSN)
	}
	rep := &Report{Engine: st.Engine(), Concurrency: opts.Concurrency, Duration: opts.Duration,
		GOMAXPROCS: runtime.GOMAXPROCS(0), CPUs: server.CPUs(), GeneratedAt: time.Now(), Reused: opts.Reuse}
	if !opts.Reuse {
		if err := generate(ctx, st, opts, rep, progress); err != nil {
			return nil, err
		}
	}
	return measure(ctx, st, opts, rep, progress)
}

// generate fills st with the demo city of opts.Households households, timing the people apart
// from the demo's Party data.
func generate(ctx context.Context, st *store.Store, opts Options, rep *Report, progress io.Writer) error {
	fmt.Fprintf(progress, "generating %d households on %s…\n", opts.Households, st.Engine())
	start := time.Now()
	last := time.Now()
	var proposeTook time.Duration
	before := func(ctx context.Context) error {
		t0 := time.Now()
		var err error
		if rep.Propose, err = proposeStreet(ctx, st); err != nil {
			return err
		}
		p := rep.Propose
		fmt.Fprintf(progress, "  units proposed for %s (%d households, %d communities): %d units in %v\n", p.Street, p.Households, p.Communities, p.Units, p.Took.Round(time.Millisecond))
		proposeTook = time.Since(t0)
		return nil
	}
	res, err := demo.Generate(ctx, st, demo.Options{Households: opts.Households, Seed: opts.Seed, BeforeUnits: before}, func(stage string, done, total int) {
		if stage == demo.StageParty {
			fmt.Fprintf(progress, "  people loaded in %s; Party, register and study data…\n", time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(last) > 5*time.Second || done == total {
			last = time.Now()
			fmt.Fprintf(progress, "  %s %d/%d (%.0fs)\n", stage, done, total, time.Since(start).Seconds())
		}
	})
	if err != nil {
		return err
	}
	// The street's proposal is a measurement, not part of the city: Total leaves it out.
	rep.Load, rep.Total = res.People, time.Since(start)-proposeTook
	fmt.Fprintf(progress, "loaded in %s (people %s)\n", rep.Total.Round(time.Millisecond), rep.Load.Round(time.Millisecond))
	return nil
}

// measure times the reads of the city in st.
func measure(ctx context.Context, st *store.Store, opts Options, rep *Report, progress io.Writer) (*Report, error) {
	sys := authz.System()
	nodes, err := pickNodes(ctx, st)
	if err != nil {
		return nil, err
	}
	rep.Households, rep.Residents = nodes[0].Households, nodes[0].Residents
	if err := checkUnitsFormed(ctx, st, nodes[0]); err != nil {
		return nil, err
	}
	for _, n := range nodes {
		lv, err := measureLevel(ctx, st, sys, n, opts.Samples)
		if err != nil {
			return nil, err
		}
		rep.Levels = append(rep.Levels, lv)
		fmt.Fprintf(progress, "  %-9s %-10s count p50 %v p99 %v · list p50 %v p99 %v\n", lv.Kind, lv.Name, lv.CountP50, lv.CountP99, lv.ListP50, lv.ListP99)
	}

	if rep.Party, err = measureParty(ctx, st, nodes, opts.Samples); err != nil {
		return nil, err
	}
	for _, p := range rep.Party {
		fmt.Fprintf(progress, "  %s (%s, %d members): p50 %v p99 %v\n", p.What, p.Name, p.Members, p.P50, p.P99)
	}
	if rep.Units, err = measureUnits(ctx, st, nodes, opts.Samples); err != nil {
		return nil, err
	}
	for _, u := range rep.Units {
		fmt.Fprintf(progress, "  unit coverage of %s (%d units, %d households in units): p50 %v p99 %v\n", u.Name, u.Units, u.InUnits, u.P50, u.P99)
	}
	if rep.Feeds, err = measureFeeds(ctx, st, nodes, opts.Samples, discardLog()); err != nil {
		return nil, err
	}
	for _, f := range rep.Feeds {
		fmt.Fprintf(progress, "  %s (%s, %d households, %d months): p50 %v p99 %v\n", f.What, f.Unit, f.Households, f.Events, f.P50, f.P99)
	}

	if opts.Orders > 0 {
		if err := ensureOrders(ctx, st, opts, rep, progress); err != nil {
			return nil, err
		}
		if rep.OrderReads, err = measureOrders(ctx, st, nodes, opts.Samples); err != nil {
			return nil, err
		}
		for _, o := range rep.OrderReads {
			fmt.Fprintf(progress, "  %s, %s: p50 %v p99 %v\n", o.What, o.Node, o.P50, o.P99)
		}
		if !opts.SkipOrderFlow {
			if rep.OrderFlow, err = measureOrderFlow(ctx, st, nodes[2], opts, discardLog()); err != nil {
				return nil, err
			}
			busy := opts
			busy.Concurrency *= 4
			if rep.OrderFlowBusy, err = measureOrderFlow(ctx, st, nodes[2], busy, discardLog()); err != nil {
				return nil, err
			}
			for _, f := range []*OrderFlow{rep.OrderFlow, rep.OrderFlowBusy} {
				fmt.Fprintf(progress, "  place → claim → done through the API, %d workers: %.0f orders/s (%d orders; p50 %v p99 %v an order)\n", f.Workers, f.PerSecond, f.Orders, f.P50, f.P99)
			}
		}
	}

	if opts.Ballots > 0 {
		if rep.VoteFlow, err = measureVoteFlow(ctx, st, nodes[1], opts, progress, discardLog()); err != nil {
			return nil, err
		}
		f := rep.VoteFlow
		fmt.Fprintf(progress, "  %d ballots through the API, %d workers: %.0f ballots/s (p50 %v p99 %v); %d identical ballots at once: %d accepted, %d refused, %d counted; close %v, result %v\n",
			f.Ballots, f.Workers, f.PerSecond, f.P50, f.P99, f.Same, f.Accepted, f.Refused, f.Counted, f.CloseTook.Round(time.Millisecond), f.ResultTook.Round(time.Millisecond))
	}

	maxID, err := maxHouseholdID(ctx, st)
	if err != nil {
		return nil, err
	}
	rep.LookupsPerS, err = throughput(ctx, opts.Concurrency, opts.Duration, func(rng *rand.Rand) error {
		_, err := st.Household(ctx, sys, 1+rng.Int64N(maxID))
		return err
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "point lookups through the store: %.0f/s\n", rep.LookupsPerS)

	if !opts.SkipHTTP {
		if err := measureHTTP(ctx, st, maxID, nodes[2], opts, rep, discardLog()); err != nil {
			return nil, err
		}
		for _, p := range rep.Pairs {
			fmt.Fprintf(progress, "%s: full stack %.0f req/s (p50 %v, p99 %v), bare handler %.0f req/s (p50 %v, p99 %v), ratio %.2f\n",
				p.Name, p.Full.RPS, p.Full.P50, p.Full.P99, p.Bare.RPS, p.Bare.P50, p.Bare.P99, p.Ratio())
		}
	}
	return rep, nil
}

// pickNodes returns the district and the largest street, community and grid under it.
func pickNodes(ctx context.Context, st *store.Store) ([]*model.Territory, error) {
	sys := authz.System()
	roots, err := st.Territories(ctx, sys, store.TerritoryFilter{Kind: model.KindDistrict, Limit: 1})
	if err != nil || len(roots.Items) == 0 {
		return nil, fmt.Errorf("no district generated: %v", err)
	}
	out := []*model.Territory{roots.Items[0]}
	parent := roots.Items[0]
	for _, k := range []model.TerritoryKind{model.KindStreet, model.KindCommunity, model.KindGrid} {
		var best *model.Territory
		cur := ""
		for {
			p, err := st.Territories(ctx, sys, store.TerritoryFilter{Under: parent.ID, Kind: k, Limit: store.MaxLimit, Cursor: cur})
			if err != nil {
				return nil, err
			}
			for _, t := range p.Items {
				if best == nil || t.Households > best.Households {
					best = t
				}
			}
			if p.Next == "" {
				break
			}
			cur = p.Next
		}
		if best == nil {
			return nil, fmt.Errorf("no %s under %s", k, parent.Name)
		}
		out = append(out, best)
		parent = best
	}
	return out, nil
}

func measureLevel(ctx context.Context, st *store.Store, sc authz.Scope, n *model.Territory, samples int) (Level, error) {
	lv := Level{Kind: n.Kind, Name: n.Name, Households: n.Households}
	counts := make([]time.Duration, 0, samples)
	lists := make([]time.Duration, 0, samples)
	for range samples {
		t0 := time.Now()
		if _, _, err := st.SubtreeCounts(ctx, sc, n.ID); err != nil {
			return lv, err
		}
		counts = append(counts, time.Since(t0))
		t0 = time.Now()
		p, err := st.Households(ctx, sc, store.HouseholdFilter{Under: n.ID, Limit: store.DefaultLimit})
		if err != nil {
			return lv, err
		}
		lists = append(lists, time.Since(t0))
		if len(p.Items) == 0 || p.Total != n.Households {
			return lv, fmt.Errorf("%s: first page has %d rows, total %d, want total %d", n.Name, len(p.Items), p.Total, n.Households)
		}
	}
	lv.CountP50, lv.CountP99 = percentile(counts, 50), percentile(counts, 99)
	lv.ListP50, lv.ListP99 = percentile(lists, 50), percentile(lists, 99)
	return lv, nil
}

func percentile(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return percentileSorted(s, p)
}

// percentileSorted is the p-th percentile of the sorted s, rounded to the microsecond.
func percentileSorted(s []time.Duration, p int) time.Duration {
	i := (len(s)*p + 99) / 100
	if i >= len(s) {
		i = len(s) - 1
	}
	if i > 0 && p < 100 {
		i--
	}
	return s[i].Round(time.Microsecond)
}

func maxHouseholdID(ctx context.Context, st *store.Store) (int64, error) {
	var n int64
	err := st.ReadDB().QueryRowContext(ctx, `SELECT MAX(id) FROM households`).Scan(&n)
	return n, err
}

// throughput runs op from workers goroutines for d and returns completed ops per second.
// Each worker has its own deterministic random source.
func throughput(ctx context.Context, workers int, d time.Duration, op func(rng *rand.Rand) error) (float64, error) {
	return throughputEach(ctx, workers, d, func(rng *rand.Rand, _ *[]time.Duration) error { return op(rng) }, nil)
}

// throughputEach is throughput with a slice of latencies per worker that op may append to and
// done, when not nil, receives once the worker has stopped.
func throughputEach(ctx context.Context, workers int, d time.Duration, op func(rng *rand.Rand, lat *[]time.Duration) error, done func([]time.Duration)) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var n atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w)+1, 42)) // #nosec G115 G404 -- a benchmark's reproducible choice of rows; w is a small worker index
			var lat []time.Duration
			defer func() {
				if done != nil {
					done(lat)
				}
			}()
			for ctx.Err() == nil {
				if err := op(rng, &lat); err != nil {
					if ctx.Err() == nil {
						once.Do(func() { firstErr = err; cancel() })
					}
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

// PartyTiming is one measured party read: what, of which org or node, with how many registered
// members in it.
type PartyTiming struct {
	What     string
	Name     string
	Members  int64
	P50, P99 time.Duration
}

// measureParty times, through the store as the system, the composition analytics of the
// district and of the largest community's committee, and the first member page of the largest
// grid branch in that community.
func measureParty(ctx context.Context, st *store.Store, nodes []*model.Territory, samples int) ([]PartyTiming, error) {
	sys := authz.System()
	community := nodes[2]
	committees, err := st.Orgs(ctx, sys, store.OrgFilter{Under: community.ID, Kind: model.OrgCommunityCommittee, Limit: 1})
	if err != nil || len(committees.Items) == 0 {
		return nil, fmt.Errorf("no community committee in %s: %v", community.Name, err)
	}
	var branch *model.Org
	cur := ""
	for {
		p, err := st.Orgs(ctx, sys, store.OrgFilter{Under: community.ID, Kind: model.OrgGridBranch, Limit: store.MaxLimit, Cursor: cur})
		if err != nil {
			return nil, err
		}
		for _, o := range p.Items {
			if branch == nil || o.Members > branch.Members {
				branch = o
			}
		}
		if p.Next == "" {
			break
		}
		cur = p.Next
	}
	if branch == nil {
		return nil, fmt.Errorf("no grid branch in %s", community.Name)
	}
	committee := committees.Items[0]
	var out []PartyTiming
	for _, m := range []struct {
		what, name string
		run        func() (int64, error)
	}{
		{"analytics of the district", nodes[0].Name, func() (int64, error) {
			a, err := st.MemberAnalytics(ctx, sys, 0, nodes[0].ID)
			if err != nil {
				return 0, err
			}
			return a.Registered, nil
		}},
		{"analytics of a community committee", committee.Name, func() (int64, error) {
			a, err := st.MemberAnalytics(ctx, sys, committee.ID, 0)
			if err != nil {
				return 0, err
			}
			return a.Registered, nil
		}},
		{"a branch's first member page", branch.Name, func() (int64, error) {
			p, err := st.Members(ctx, sys, store.MemberFilter{OrgID: branch.ID, Limit: store.DefaultLimit})
			if err != nil {
				return 0, err
			}
			if len(p.Items) == 0 {
				return 0, fmt.Errorf("%s: empty first member page", branch.Name)
			}
			return p.Total, nil
		}},
	} {
		times := make([]time.Duration, 0, samples)
		var n int64
		for range samples {
			t0 := time.Now()
			if n, err = m.run(); err != nil {
				return nil, err
			}
			times = append(times, time.Since(t0))
		}
		out = append(out, PartyTiming{What: m.what, Name: m.name, Members: n, P50: percentile(times, 50), P99: percentile(times, 99)})
	}
	return out, nil
}

// UnitTiming is the timing of the units' coverage of one node.
type UnitTiming struct {
	Kind, Name     string
	Units, InUnits int64
	P50, P99       time.Duration
}

// measureUnits times, through the store as the system, the units' coverage (issue 9 item 6: a
// node and its children, from the maintained counters) of the district, the largest street and
// the largest community (nodes as pickNodes returns them).
func measureUnits(ctx context.Context, st *store.Store, nodes []*model.Territory, samples int) ([]UnitTiming, error) {
	sys := authz.System()
	var out []UnitTiming
	for _, n := range nodes[:min(3, len(nodes))] {
		times := make([]time.Duration, 0, samples)
		var top *model.UnitCoverage
		for range samples {
			t0 := time.Now()
			var err error
			if top, _, err = st.UnitCoverage(ctx, sys, n.ID); err != nil {
				return nil, err
			}
			times = append(times, time.Since(t0))
		}
		out = append(out, UnitTiming{Kind: string(n.Kind), Name: n.Name, Units: top.Units, InUnits: top.InUnits, P50: percentile(times, 50), P99: percentile(times, 99)})
	}
	return out, nil
}
