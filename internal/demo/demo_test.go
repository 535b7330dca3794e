package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/division"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// mustHaveDivisions skips the test when the binary was built without the division table,
// unless CI=true, where it fails.
func mustHaveDivisions(tb testing.TB) {
	tb.Helper()
	_, err := division.Load()
	if errors.Is(err, division.ErrMissing) && os.Getenv("CI") != "true" {
		tb.Skipf("%v (set CI=true to make this fail)", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
}

func mustGenerate(tb testing.TB, st *store.Store, opts Options) *Result {
	tb.Helper()
	res, err := Generate(context.Background(), st, opts, nil)
	if err != nil {
		tb.Fatalf("Generate: %v", err)
	}
	return res
}

// counts is a Result without the time it took.
func counts(r *Result) Result {
	c := *r
	c.Elapsed, c.People, c.UnitsTook = 0, 0, 0
	return c
}

func TestGenerateSmall(t *testing.T) {
	mustHaveDivisions(t)
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		opts := Options{Households: 2000, Seed: 7}
		var stages []string
		res, err := Generate(ctx, st, opts, func(stage string, done, total int) {
			if done == total {
				stages = append(stages, fmt.Sprintf("%s %d", stage, total))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(stages, ", "), "divisions 24, communities 71, units 71"; got != want {
			t.Errorf("progress ended stages %q, want %q", got, want)
		}
		if res.District != "江油市" || res.Streets != 24 || res.Communities != 71 || res.Households != 2000 {
			t.Errorf("result = %+v, want 江油市, 24 streets, 71 communities, 2000 households", *res)
		}
		if ratio := float64(res.Residents) / float64(res.Households); ratio < 2.3 || ratio > 2.9 {
			t.Errorf("%.2f residents per household, want about 2.6", ratio)
		}

		// The same seed into a fresh store gives the same city.
		first := mustFirstResidents(t, st, 20)
		if strings.Count(first, "\n") != 20 {
			t.Fatalf("first residents:\n%s", first)
		}
		st2 := storetest.Open(t, st.Engine())
		if again := mustGenerate(t, st2, opts); counts(again) != counts(res) {
			t.Errorf("second run = %+v, want %+v", counts(again), counts(res))
		}
		if got := mustFirstResidents(t, st2, 20); got != first {
			t.Errorf("first residents differ between runs with one seed:\n%s\nwant\n%s", got, first)
		}
		if got, want := memberDigest(t, st2), memberDigest(t, st); got != want {
			t.Errorf("the roster differs between runs with one seed:\n%s\nwant\n%s", got, want)
		}
		other := storetest.Open(t, st.Engine())
		mustGenerate(t, other, Options{Households: 2000, Seed: 8})
		if mustFirstResidents(t, other, 20) == first {
			t.Error("seeds 7 and 8 gave the same first residents")
		}

		checkCounts(t, st, res)
		checkTree(t, st)
		checkResidents(t, st, res.Residents)
		checkParty(t, st, res)
		checkMembers(t, st, res)
		checkTransfers(t, st, res)
		checkOrganizations(t, st, res)
		checkStudy(t, st, res)
		checkPoints(t, st, res)
		checkSpaces(t, st, res)
		checkUnits(t, st, res)

		// Loading the demo twice into one database is refused.
		if _, err := Generate(ctx, st, opts, nil); !errors.Is(err, model.ErrConflict) {
			t.Errorf("second Generate into one store: err = %v, want ErrConflict", err)
		}
	})
}

// mustFirstResidents returns "name blind-index-of-ID-number" of the first n residents by id, one
// a line (the numbers are sealed with a random nonce; their blind index is deterministic).
func mustFirstResidents(tb testing.TB, st *store.Store, n int) string {
	tb.Helper()
	rows, err := st.DB().Query(fmt.Sprintf(`SELECT name, id_number_idx FROM residents ORDER BY id LIMIT %d`, n))
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var name, id string
		if err := rows.Scan(&name, &id); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s\n", name, id)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

func mustCount(tb testing.TB, st *store.Store, query string) int {
	tb.Helper()
	var n int
	if err := st.DB().QueryRow(query).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// checkCounts compares the Result and the maintained counts with the rows.
func checkCounts(t *testing.T, st *store.Store, res *Result) {
	t.Helper()
	d, err := st.TerritoryByCode(context.Background(), authz.System(), "510781000000")
	if err != nil {
		t.Fatal(err)
	}
	households := mustCount(t, st, `SELECT COUNT(*) FROM households`)
	residents := mustCount(t, st, `SELECT COUNT(*) FROM residents`)
	if d.ID != res.DistrictID || d.Households != int64(households) || d.Residents != int64(residents) {
		t.Errorf("district %d counts %d households, %d residents; rows: %d, %d; result says district %d", d.ID, d.Households, d.Residents, households, residents, res.DistrictID)
	}
	if households != res.Households || residents != res.Residents {
		t.Errorf("result says %d households, %d residents; rows: %d, %d", res.Households, res.Residents, households, residents)
	}
	for _, tc := range []struct {
		kind model.TerritoryKind
		want int
	}{
		{model.KindStreet, res.Streets}, {model.KindCommunity, res.Communities}, {model.KindGrid, res.Grids},
		{model.KindCompound, res.Compounds}, {model.KindBuilding, res.Buildings}, {model.KindStairwell, res.Stairwells},
	} {
		if got := mustCount(t, st, `SELECT COUNT(*) FROM territories WHERE kind = '`+string(tc.kind)+`'`); got != tc.want {
			t.Errorf("%d %s nodes, result says %d", got, tc.kind, tc.want)
		}
	}
	// Every community's count is the sum of its grids'.
	if n := mustCount(t, st, `SELECT COUNT(*) FROM territories c WHERE c.kind = 'community'
		AND c.households <> (SELECT COALESCE(SUM(g.households), 0) FROM territories g WHERE g.parent_id = c.id)`); n != 0 {
		t.Errorf("%d communities whose count differs from their grids' sum", n)
	}
}

// checkTree checks that every node sits under the kind right above it and households hang
// from stairwells.
func checkTree(t *testing.T, st *store.Store) {
	t.Helper()
	rows, err := st.DB().Query(`SELECT c.kind, COALESCE(p.kind, ''), COUNT(*) FROM territories c
		LEFT JOIN territories p ON p.id = c.parent_id GROUP BY c.kind, p.kind ORDER BY c.kind, p.kind`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var child, parent string
		var n int
		if err := rows.Scan(&child, &parent, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, parent+">"+child)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{">district", "district>street", "street>community", "community>grid", "grid>compound", "compound>building", "building>stairwell"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("parent>child kinds = %v, want %v", got, want)
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM households h JOIN territories t ON t.id = h.territory_id WHERE t.kind <> 'stairwell'`); n != 0 {
		t.Errorf("%d households not at a stairwell", n)
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM households h WHERE h.members <> (SELECT COUNT(*) FROM residents r WHERE r.household_id = h.id)`); n != 0 {
		t.Errorf("%d households whose members differ from their residents", n)
	}
}

// checkResidents reads every resident through the store and checks ID numbers, gender, birth
// dates, relations and phones.
func checkResidents(t *testing.T, st *store.Store, want int) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	seen := map[string]bool{}
	phones := map[string]bool{}
	heads := 0
	cursor := ""
	for {
		page, err := st.Residents(ctx, authz.System(), store.ResidentFilter{Limit: store.MaxLimit, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Items {
			id, msg := model.ParseIDNumber(r.IDNumber.Plain(), now)
			switch {
			case msg != "":
				t.Errorf("%s: ID number %s: %s", r.Name, r.IDNumber, msg)
			case id.Gender != r.Gender || !id.BirthDate.Equal(r.BirthDate):
				t.Errorf("%s: ID number %s says %s %s, resident is %s %s", r.Name, r.IDNumber, id.Gender, id.BirthDate.Format(time.DateOnly), r.Gender, r.BirthDate.Format(time.DateOnly))
			case !strings.HasPrefix(id.Region, "51"):
				t.Errorf("%s: ID number %s not from Sichuan", r.Name, r.IDNumber)
			}
			if seen[r.IDNumber.Plain()] {
				t.Errorf("ID number %s twice", r.IDNumber)
			}
			seen[r.IDNumber.Plain()] = true
			if !r.Phone.IsZero() {
				if msg := model.CheckPhone(r.Phone.Plain()); msg != "" || len(r.Phone.Plain()) != 11 {
					t.Errorf("%s: phone %s: %s", r.Name, r.Phone, msg)
				}
				if phones[r.Phone.Plain()] {
					t.Errorf("phone %s twice", r.Phone)
				}
				phones[r.Phone.Plain()] = true
			}
			if !r.Relation.Valid() || r.PoliticalStatus.Label() == "" {
				t.Errorf("%s: relation %q, status %q", r.Name, r.Relation, r.PoliticalStatus)
			}
			age := r.Age(defaultAsOf)
			if r.Relation == model.RelationHead {
				heads++
				if age < 30 || age > 85 {
					t.Errorf("head %s is %d", r.Name, age)
				}
			}
			if age < 18 && (r.PoliticalStatus == model.StatusPartyMember || r.PoliticalStatus == model.StatusProbationary) {
				t.Errorf("%s is %d and a Party member", r.Name, age)
			}
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if len(seen) != want {
		t.Errorf("read %d residents, want %d", len(seen), want)
	}
	if total := mustCount(t, st, `SELECT COUNT(*) FROM households`); heads != total {
		t.Errorf("%d heads for %d households", heads, total)
	}
}

// TestDefaultCity generates the default 50,000 households on SQLite and checks the shape and
// the rates the demo promises.
func TestDefaultCity(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 50,000 households")
	}
	mustHaveDivisions(t)
	st := storetest.Open(t, "sqlite")
	res := mustGenerate(t, st, Options{})
	t.Logf("%+v", *res)
	checkParty(t, st, res)
	checkMembers(t, st, res)
	checkOrganizations(t, st, res)
	if res.Households != DefaultHouseholds {
		t.Errorf("%d households, want %d", res.Households, DefaultHouseholds)
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM territories WHERE kind = 'community' AND households < 600`); n != 0 {
		t.Errorf("%d communities with fewer than 600 households", n)
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM territories c WHERE kind = 'community'
		AND (SELECT COUNT(*) FROM territories g WHERE g.parent_id = c.id) < 2`); n != 0 {
		t.Errorf("%d communities with fewer than two grids", n)
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM territories WHERE kind = 'grid' AND (households < 300 OR households > 500)`); n != 0 {
		t.Errorf("%d grids outside 300–500 households", n)
	}
	checkCounts(t, st, res)
	checkTree(t, st)

	perMille := func(where string) float64 {
		return 1000 * float64(mustCount(t, st, `SELECT COUNT(*) FROM households WHERE `+where)) / float64(res.Households)
	}
	residents := float64(res.Residents)
	for _, tc := range []struct {
		what     string
		got      float64
		min, max float64
	}{
		{"residents per household", residents / float64(res.Households), 2.5, 2.7},
		{"‰ elderly living alone", perMille("elderly_alone = 1"), 25, 35},
		{"‰ hardship", perMille("hardship = 1"), 16, 24},
		{"‰ disability", perMille("disability = 1"), 11, 19},
		{"‰ mobile", perMille("mobile = 1"), 43, 57},
		{"% Party members", 100 * float64(mustCount(t, st, `SELECT COUNT(*) FROM residents WHERE political_status IN ('party_member', 'probationary')`)) / residents, 6, 8},
		{"% League members", 100 * float64(mustCount(t, st, `SELECT COUNT(*) FROM residents WHERE political_status = 'league_member'`)) / residents, 1, 6},
		{"% with a phone", 100 * float64(mustCount(t, st, `SELECT COUNT(*) FROM residents WHERE phone_enc <> ''`)) / residents, 70, 90},
		{"% retired", 100 * float64(mustCount(t, st, `SELECT COUNT(*) FROM residents WHERE occupation = '退休'`)) / residents, 10, 30},
	} {
		if tc.got < tc.min || tc.got > tc.max {
			t.Errorf("%s = %.2f, want %.1f–%.1f", tc.what, tc.got, tc.min, tc.max)
		}
	}
	// Children carry the head's surname.
	if n := mustCount(t, st, `SELECT COUNT(*) FROM residents c JOIN residents h ON h.household_id = c.household_id AND h.relation = 'head'
		WHERE c.relation = '子女' AND substr(c.name, 1, 1) <> substr(h.name, 1, 1)`); n != 0 {
		t.Errorf("%d children without their head's surname", n)
	}
}

func TestSpreadHouseholds(t *testing.T) {
	communities := make([]*model.Territory, 71)
	for i := range communities {
		code := fmt.Sprintf("510781%03d%03d", 6+100*(i%3), 1+i)
		communities[i] = &model.Territory{Code: code}
	}
	for _, tc := range []struct {
		total, min int
	}{
		{50_000, 600}, {1_000_000, 600}, {2_000, 25}, {71, 0}, {10, 0},
	} {
		sizes := spreadHouseholds(seedFor(1, "t"), communities, tc.total)
		sum, lo, hi := 0, sizes[0], sizes[0]
		for _, n := range sizes {
			sum += n
			lo, hi = min(lo, n), max(hi, n)
		}
		if sum != tc.total || lo < tc.min {
			t.Errorf("spread %d: sum %d, smallest %d; want sum %d, smallest ≥ %d", tc.total, sum, lo, tc.total, tc.min)
		}
		if tc.total >= 50_000 && hi < lo*11/10 {
			t.Errorf("spread %d: sizes %d–%d hardly vary", tc.total, lo, hi)
		}
	}
}

func TestSplitEven(t *testing.T) {
	for _, tc := range []struct{ total, parts, lo, hi int }{
		{600, 2, 300, 500}, {1000, 2, 300, 500}, {1001, 3, 300, 500}, {14_000, 28, 300, 500}, {28, 1, 28, 500},
	} {
		sizes := splitEven(seedFor(1, "t"), tc.total, tc.parts, tc.lo, tc.hi)
		sum := 0
		for _, n := range sizes {
			sum += n
			if n < tc.lo || n > tc.hi {
				t.Errorf("split %d/%d: part %d outside %d–%d", tc.total, tc.parts, n, tc.lo, tc.hi)
			}
		}
		if sum != tc.total || len(sizes) != tc.parts {
			t.Errorf("split %d/%d = %v", tc.total, tc.parts, sizes)
		}
	}
}

func TestChineseNumber(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{2, "二"}, {10, "十"}, {12, "十二"}, {20, "二十"}, {23, "二十三"}, {99, "九十九"}} {
		if got := chineseNumber(tc.n); got != tc.want {
			t.Errorf("chineseNumber(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// BenchmarkGenerate loads the default demo city (50,000 households) into a fresh SQLite
// database per iteration and reports households per second.
func BenchmarkGenerate(b *testing.B) {
	mustHaveDivisions(b)
	ctx := context.Background()
	households := 0
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(ctx, storetest.DSN(b, "sqlite"), store.WithKeys(storetest.Keyring(b)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		res, err := Generate(ctx, st, Options{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		households += res.Households
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(households)/elapsed.Seconds(), "households/s")
}
