// Package demo builds the demo city: a real county's streets and communities from the
// statistics bureau's division codes, and under each community generated grids, compounds,
// buildings, stairwells, households and residents that look like a Sichuan county town's.
// Everything generated is deterministic for a seed.
package demo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/division"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Options says what to generate. The zero value generates the default demo city.
type Options struct {
	// County is the 6-digit division code of the county to load; "" means 510781 (江油市).
	County string
	// Households is how many households to generate over all communities; 0 means 50,000.
	// At 600 per community or more, every community gets at least two grids of 300–500
	// households; smaller numbers are spread as evenly as they go, for quick tests.
	Households int
	// Seed makes the output reproducible; 0 means 1.
	Seed int64
	// AsOf is the day ages are reckoned from and no one is born after; the zero value means
	// 2025-07-01, so that the output does not change with the clock.
	AsOf time.Time
	// Today is the day the demo's recent history runs up to — dues, like the meetings and
	// study that use the clock: the zero value means today in Asia/Shanghai. The same Today
	// gives the same dues.
	Today time.Time
	// BeforeUnits, when set, runs once the people are loaded and before the units are formed,
	// while every household is in no unit: the benchmark times a street's proposal there.
	BeforeUnits func(ctx context.Context) error
}

// DefaultCounty, DefaultHouseholds and DefaultSeed are what zero Options fields mean.
const (
	DefaultCounty     = "510781"
	DefaultHouseholds = 50_000
	DefaultSeed       = 1
)

var defaultAsOf = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

// Stages passed to the progress callback of Generate.
const (
	StageDivisions   = "divisions"   // done/total count the county's townships
	StageCommunities = "communities" // done/total count communities filled with people
	StageParty       = "party"       // 0/1 when the people are loaded and the Party, register and study data begin
)

// Result is what Generate created.
type Result struct {
	DistrictID  int64  // the county's district node
	District    string // its name, e.g. 江油市
	Streets     int    // township-level nodes of the county (街道, 镇, 乡)
	Communities int    // communities that received households
	Grids       int
	Compounds   int
	Buildings   int
	Stairwells  int
	Households  int
	Residents   int
	Units       int // joint-building units (联建单元) formed from the households (unit.go)
	// UnitsTook is how long forming them took (every community read, partitioned and written).
	UnitsTook  time.Duration
	PartyOrgs  int   // Party organizations of the demo structure (party.go)
	Members    int   // party members on a roster (member.go)
	Transfers  int   // transfers of organizational relations, in every state (transfer.go)
	Meetings   int   // meetings of the past year, closed (life.go)
	Attendance int   // members recorded present at them
	SpacePosts int64 // threads and replies in the branches' online spaces (space.go)
	// UnitActivities are the units' joint activity records (unit_activity.go).
	UnitActivities int
	// Organizations of the register (organization.go)
	Organizations int
	// Duty is the units' duty rotation: months, exemptions, swaps and ticks (store.SeedDutyDemo).
	Duty store.DutyDemoStats
	// People is how long the divisions, households and residents took, generated and loaded
	// in one transaction (what the 1M-household targets of docs/benchmarks.md measure);
	// Elapsed adds the Party, register and study data built on them.
	People  time.Duration
	Elapsed time.Duration
}

// Generate loads the county's divisions (communities only, no villages) with
// division.ImportDivisions and fills each of its communities with generated households and
// residents in one store.BulkLoad transaction, streaming rows so that memory stays flat
// however many households are asked for. progress, when not nil, is called as stages advance.
//
// It refuses (an error wrapping model.ErrConflict) when the county's district node already holds
// households, so the demo is loaded once per database; a run that fails part-way (an error, a
// cancelled ctx) writes no people (the divisions stay). ID numbers are unique within one run;
// one that a resident already in the database holds fails the load with a *model.ConflictError
// naming both. It returns division.ErrMissing when the binary was built without the division
// table.
func Generate(ctx context.Context, st *store.Store, opts Options, progress func(stage string, done, total int)) (*Result, error) {
	start := time.Now()
	if err := opts.fill(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = func(string, int, int) {}
	}
	tbl, err := division.Load()
	if err != nil {
		return nil, err
	}
	county, err := tbl.County(opts.County)
	if err != nil {
		return nil, err
	}
	districtCode := county.Code + "000000"
	if d, err := st.TerritoryByCode(ctx, authz.System(), districtCode); err == nil && d.Households > 0 {
		return nil, &model.ConflictError{Message: fmt.Sprintf("%s已有%d户，演示数据只能导入一次", d.Name, d.Households)}
	} else if err != nil && !errors.Is(err, model.ErrNotFound) {
		return nil, err
	}
	if _, err := division.ImportDivisions(ctx, st, tbl, county.Code, false, func(done, total int) {
		progress(StageDivisions, done, total)
	}); err != nil {
		return nil, err
	}
	nodes, err := st.TerritoriesByCodePrefix(ctx, authz.System(), county.Code)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	var communities, streets []*model.Territory
	for _, n := range nodes {
		switch {
		case n.Code == districtCode:
			res.DistrictID, res.District = n.ID, n.Name
		case n.Kind == model.KindStreet:
			res.Streets++
			streets = append(streets, n)
		case n.Kind == model.KindCommunity && division.KindOf(n.Code) == division.KindCommunity && n.ArchivedAt == nil:
			communities = append(communities, n)
		}
	}
	if len(communities) == 0 {
		return nil, fmt.Errorf("demo: county %s %s has no communities to fill", county.Code, county.Name)
	}
	slices.SortFunc(communities, func(a, b *model.Territory) int { return strings.Compare(a.Code, b.Code) })

	g, err := newGenerator(tbl, county.Code, opts)
	if err != nil {
		return nil, err
	}
	sizes := spreadHouseholds(seedFor(opts.Seed, "spread"), communities, opts.Households)
	err = st.BulkLoad(ctx, func(b *store.Bulk) error {
		for i, c := range communities {
			if err := ctx.Err(); err != nil {
				return err
			}
			if sizes[i] > 0 {
				var counts Result
				if err := g.community(b, c, sizes[i], &counts); err != nil {
					return fmt.Errorf("%s: %w", c.Name, err)
				}
				res.add(counts)
			}
			progress(StageCommunities, i+1, len(communities))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	res.People = time.Since(start)
	if opts.BeforeUnits != nil {
		if err := opts.BeforeUnits(ctx); err != nil {
			return nil, fmt.Errorf("demo: before the units: %w", err)
		}
	}
	unitsStart := time.Now()
	if err := units(ctx, st, communities, res, progress); err != nil {
		return nil, fmt.Errorf("demo: joint-building units: %w", err)
	}
	res.UnitsTook = time.Since(unitsStart)
	progress(StageParty, 0, 1)
	slices.SortFunc(streets, func(a, b *model.Territory) int { return strings.Compare(a.Code, b.Code) })
	if err := partyOrgs(ctx, st, opts, streets, communities, res); err != nil {
		return nil, fmt.Errorf("demo: party organizations: %w", err)
	}
	if res.Members, err = partyMembers(ctx, st, opts, communities); err != nil {
		return nil, fmt.Errorf("demo: party members: %w", err)
	}
	// Statistics of the freshly loaded roster before the stages that join it: without them
	// PostgreSQL believes party_members nearly empty and scans it once per branch (at 1M
	// households the online spaces' authors took 101 s a statement instead of 0.5 s).
	if err := st.Analyze(ctx); err != nil {
		return nil, fmt.Errorf("demo: analyze: %w", err)
	}
	if res.Transfers, err = partyTransfers(ctx, st, opts, communities); err != nil {
		return nil, fmt.Errorf("demo: transfers: %w", err)
	}
	if err := organizations(ctx, st, opts, communities, res); err != nil {
		return nil, fmt.Errorf("demo: register of organizations: %w", err)
	}
	courses, err := partyStudy(ctx, st, opts, res.DistrictID, communities)
	if err != nil {
		return nil, fmt.Errorf("demo: study and development: %w", err)
	}
	life, err := partyLife(ctx, st, opts, communities)
	if err != nil {
		return nil, fmt.Errorf("demo: organizational life: %w", err)
	}
	res.Meetings, res.Attendance = int(life.Meetings), int(life.Attendance)
	if err := partyPoints(ctx, st, opts, communities, courses); err != nil {
		return nil, fmt.Errorf("demo: points: %w", err)
	}
	if res.SpacePosts, err = partySpaces(ctx, st); err != nil {
		return nil, fmt.Errorf("demo: online spaces: %w", err)
	}
	// The duty rotation of every unit formed above (units, issue 9): last, so that it finds
	// every unit and household in place.
	if res.Duty, err = st.SeedDutyDemo(ctx, authz.System(), opts.Today); err != nil {
		return nil, fmt.Errorf("demo: duty rotation: %w", err)
	}
	if res.UnitActivities, err = UnitActivities(ctx, st, opts); err != nil {
		return nil, fmt.Errorf("demo: joint activities: %w", err)
	}
	if err := st.Analyze(ctx); err != nil {
		return nil, fmt.Errorf("demo: analyze: %w", err)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func (o *Options) fill() error {
	if o.County == "" {
		o.County = DefaultCounty
	}
	if o.Households == 0 {
		o.Households = DefaultHouseholds
	}
	if o.Households < 0 {
		return fmt.Errorf("demo: households must not be negative, got %d", o.Households)
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.AsOf.IsZero() {
		o.AsOf = defaultAsOf
	}
	y, m, d := o.AsOf.Date()
	o.AsOf = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if o.Today.IsZero() {
		o.Today = time.Now().In(model.Shanghai)
	}
	y, m, d = o.Today.Date()
	o.Today = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return nil
}

func (r *Result) add(c Result) {
	r.Communities++
	r.Grids += c.Grids
	r.Compounds += c.Compounds
	r.Buildings += c.Buildings
	r.Stairwells += c.Stairwells
	r.Households += c.Households
	r.Residents += c.Residents
}

// spreadHouseholds divides total over the communities: each gets a floor of min(600, 90% of the
// mean), and the rest goes by weights that vary at random and favour communities of a 街道 (the
// town centre).
func spreadHouseholds(r *rand.Rand, communities []*model.Territory, total int) []int {
	n := len(communities)
	floor := min(600, total*9/(10*n))
	weights := make([]float64, n)
	sum := 0.0
	for i, c := range communities {
		w := 0.6 + 0.8*r.Float64()
		if division.KindOf(c.Code[:9]) == division.KindStreet {
			w *= 1.6
		}
		weights[i] = w
		sum += w
	}
	sizes := make([]int, n)
	rest := total - floor*n
	given := 0
	for i, w := range weights {
		sizes[i] = floor + int(float64(rest)*w/sum)
		given += sizes[i]
	}
	for i := 0; given < total; i = (i + 1) % n {
		sizes[i]++
		given++
	}
	return sizes
}

// splitEven divides total into parts as evenly as it goes, then moves households between
// neighbours at random while both stay within [lo, hi], for variation.
func splitEven(r *rand.Rand, total, parts, lo, hi int) []int {
	sizes := make([]int, parts)
	for i := range sizes {
		sizes[i] = total / parts
		if i < total%parts {
			sizes[i]++
		}
	}
	for i := 0; i+1 < parts; i++ {
		// Move up to d from i+1 to i (d may be negative), keeping both in bounds.
		maxIn := min(hi-sizes[i], sizes[i+1]-lo)
		maxOut := min(sizes[i]-lo, hi-sizes[i+1])
		if maxIn < 0 || maxOut < 0 {
			continue
		}
		d := r.IntN(maxIn+maxOut+1) - maxOut
		d = d / 2 // keep most of the evenness
		sizes[i] += d
		sizes[i+1] -= d
	}
	return sizes
}

// seedFor derives a stream for one part of the output from the seed and a key, so that one
// community's content does not depend on how many random numbers others used.
func seedFor(seed int64, key string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(key))
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64())) // #nosec G404 G115 -- the demo city must be reproducible from its seed; nothing secret is drawn
}
