package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// dutyRow is a month of a unit as stored: who serves it and who it was planned for.
type dutyRowState struct{ served, planned int64 }

func dutyRows(t *testing.T, st *store.Store, unit int64) map[model.Month]dutyRowState {
	t.Helper()
	rows, err := st.DB().QueryContext(context.Background(), `SELECT month, household_id, COALESCE(planned_household_id, household_id) FROM unit_duty WHERE unit_id = $1`, unit)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[model.Month]dutyRowState{}
	for rows.Next() {
		var s string
		var r dutyRowState
		if err := rows.Scan(&s, &r.served, &r.planned); err != nil {
			t.Fatal(err)
		}
		m, err := model.ParseMonth(s)
		if err != nil {
			t.Fatal(err)
		}
		out[m] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// dutyExemptionsAsRecorded reads every exemption of unit with the months it covers as the
// store recorded them (a lifted one through lifted_until; one lifted before migration 0042 has
// none and covers nothing here).
func dutyExemptionsAsRecorded(t *testing.T, st *store.Store, unit int64) []model.DutyExemption {
	t.Helper()
	rows, err := st.DB().QueryContext(context.Background(), `SELECT household_id, from_month, until_month, lifted_at IS NOT NULL, lifted_until FROM duty_exemptions WHERE unit_id = $1`, unit)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []model.DutyExemption
	for rows.Next() {
		var e model.DutyExemption
		var from, until string
		var lifted bool
		var liftedUntil sql.NullString
		if err := rows.Scan(&e.HouseholdID, &from, &until, &lifted, &liftedUntil); err != nil {
			t.Fatal(err)
		}
		e.From, _ = model.ParseMonth(from)
		if lifted {
			until = liftedUntil.String
		}
		if until != "" {
			e.Until, _ = model.ParseMonth(until)
		}
		out = append(out, e)
	}
	return out
}

// TestDutyRotationProperty runs random three-year histories of a unit through the store on
// both engines — households moving in (MoveUnitHouseholds) and out (the register's move-out),
// exemptions with and without an end added and lifted, swaps asked and consented, the
// district's extension every month — and checks, on what the store keeps: in every 12-month
// window the turns as planned of the households eligible throughout it (in the unit, past
// their queue place, not exempt; model's package comment) differ by at most one; a vacant
// month had nobody eligible; a month before the current one never changes, a move-in, a lift
// or an extension changes no month assigned; a month served by another household than planned
// is a month of a consented swap, served by the swap's other side.
func TestDutyRotationProperty(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			for seed := range uint64(12) {
				t.Run(fmt.Sprint(seed), func(t *testing.T) { dutyPropertyRun(t, storetest.Open(t, engine), seed) })
			}
		})
	}
}

func dutyPropertyRun(t *testing.T, st *store.Store, seed uint64) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 42))
	tr := mustTree(t, st)
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, model.Shanghai)
	st.SetNow(func() time.Time { return clock })
	staff := authz.ForUser(storetest.RawUser(t, st, fmt.Sprintf("staff%d", seed), model.RoleCommunityStaff, tr.community))
	accounts := map[int64]authz.Scope{}
	seq := 0
	newHousehold := func() int64 {
		seq++
		name := fmt.Sprintf("户主%d", seq)
		h := mustHousehold(t, st, tr.stairwell, fmt.Sprintf("9栋%d室-%d", seq, seed), model.ResidentInput{Name: name, IDNumber: validID("510781", "19700101", int(seed)*100+seq), Relation: model.RelationHead})
		u := storetest.RawUser(t, st, fmt.Sprintf("p%d-%d", seed, seq), model.RoleResident, tr.stairwell)
		if err := st.LinkResident(ctx, authz.System(), u.ID, mustResidentNamed(t, st, h, name).ID); err != nil {
			t.Fatal(err)
		}
		accounts[h.ID] = authz.ForUser(u)
		return h.ID
	}
	in := map[int64][2]model.Month{} // household → [moved in, moved out)
	queued := map[int64]model.Month{}
	start := model.ThisMonth(clock)
	var ids []int64
	for range 2 + r.IntN(9) {
		h := newHousehold()
		ids = append(ids, h)
		in[h] = [2]model.Month{start, 0}
	}
	unit := storetest.MustUnit(t, st, fmt.Sprintf("属性单元%d", seed), ids...)
	current := func() []int64 {
		var hs []int64
		for h, x := range in {
			if x[1] == 0 {
				hs = append(hs, h)
			}
		}
		slices.Sort(hs)
		return hs
	}
	openEx := map[int64]int64{} // household → open exemption id
	type swap struct {
		x, y model.Month
		a, b int64 // a served x and b y before; after, b serves x and a y
	}
	var swaps []swap
	events := map[string]int{}
	const months = 36
	for k := range months {
		cur := start + model.Month(k)
		clock = time.Date(cur.Year(), cur.Mon(), 2, 9, 0, 0, 0, model.Shanghai)
		before := dutyRows(t, st, unit.ID)
		keepAll := false
		ev := []string{"", "join", "leave", "exempt", "lift", "swap", "swap"}[r.IntN(7)]
		switch ev {
		case "join":
			u, err := st.Unit(ctx, authz.System(), unit.ID)
			if err != nil {
				t.Fatal(err)
			}
			h := newHousehold()
			if err := st.MoveUnitHouseholds(ctx, unit.ID, []int64{h}, nil); err != nil {
				t.Fatal(err)
			}
			in[h] = [2]model.Month{cur, 0}
			if u.RotationUntil != "" {
				queued[h], _ = model.ParseMonth(u.RotationUntil)
			}
			keepAll = true
		case "leave":
			hs := current()
			if len(hs) < 2 {
				ev = ""
				break
			}
			h := hs[r.IntN(len(hs))]
			if _, err := st.MoveOutHousehold(ctx, staff, h, model.MoveOut{Date: clock.Format("2006-01-02")}); err != nil {
				t.Fatal(err)
			}
			in[h] = [2]model.Month{in[h][0], cur}
			delete(openEx, h)
			for m, row := range dutyRows(t, st, unit.ID) {
				if m >= cur && (row.served == h || row.planned == h) {
					t.Fatalf("household %d moved out in %s and still holds %s", h, cur, m)
				}
			}
		case "exempt":
			hs := current()
			h := hs[r.IntN(len(hs))]
			if _, ok := openEx[h]; ok {
				ev = ""
				break
			}
			in := model.DutyExemptionInput{HouseholdID: h, Reason: model.DutyReasons[r.IntN(3)]}
			if r.IntN(2) == 0 {
				in.Until = (cur + model.Month(r.IntN(15))).String()
			}
			e, err := st.AddExemption(ctx, staff, unit.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			openEx[h] = e.ID
		case "lift":
			if len(openEx) == 0 {
				ev = ""
				break
			}
			hs := slices.Sorted(maps.Keys(openEx))
			h := hs[r.IntN(len(hs))]
			if err := st.LiftExemption(ctx, staff, openEx[h]); err != nil {
				t.Fatal(err)
			}
			delete(openEx, h)
			keepAll = true
		case "swap":
			rows := dutyRows(t, st, unit.ID)
			exs := dutyExemptionsAsRecorded(t, st, unit.ID)
			var ms []model.Month
			for m, row := range rows {
				if m >= cur && row.served == row.planned {
					ms = append(ms, m)
				}
			}
			slices.Sort(ms)
			if len(ms) < 2 {
				ev = ""
				break
			}
			x, y := ms[r.IntN(len(ms))], ms[r.IntN(len(ms))]
			a, b := rows[x].served, rows[y].served
			if x == y || a == b || exemptIn(exs, a, y) || exemptIn(exs, b, x) {
				ev = ""
				break
			}
			sw, err := st.RequestSwap(ctx, accounts[a], unit.ID, model.DutySwapInput{FromMonth: x.String(), ToMonth: y.String()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.DecideSwap(ctx, accounts[b], sw.ID, true); err != nil {
				t.Fatal(err)
			}
			swaps = append(swaps, swap{x, y, a, b})
			after := dutyRows(t, st, unit.ID)
			for m, row := range before {
				if after[m].planned != row.planned {
					t.Fatalf("a swap changed %s as planned", m)
				}
			}
			before = after
		}
		events[ev]++
		if keepAll {
			if after := dutyRows(t, st, unit.ID); !maps.Equal(after, before) {
				t.Fatalf("%s in %s changed months already assigned", ev, cur)
			}
		}
		mid := dutyRows(t, st, unit.ID)
		if _, err := st.ExtendRotations(ctx, staff, 0); err != nil {
			t.Fatal(err)
		}
		after := dutyRows(t, st, unit.ID)
		for m, row := range mid {
			if after[m] != row {
				t.Fatalf("extending in %s changed %s", cur, m)
			}
		}
		for m, row := range before {
			if m < cur && after[m] != row {
				t.Fatalf("%q in %s changed the past month %s", ev, cur, m)
			}
		}
	}
	t.Logf("events: %v", events)
	// The coverage counters the extensions maintained are those a recount gives.
	kept := unitCountRows(t, st)
	if err := st.RebuildUnitCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if again := unitCountRows(t, st); !slices.Equal(kept, again) {
		t.Fatalf("unit counts maintained:\n%v\nrecounted:\n%v", kept, again)
	}

	rows := dutyRows(t, st, unit.ID)
	exs := dutyExemptionsAsRecorded(t, st, unit.ID)
	eligible := func(h int64, m model.Month) bool {
		x := in[h]
		return m >= x[0] && (x[1] == 0 || m < x[1]) && m > queued[h] && !exemptIn(exs, h, m)
	}
	end := start + months - 1 + model.DutyHorizon - 1
	for w := start; w+model.DutyHorizon-1 <= end; w++ {
		counts := map[int64]int{}
		for h := range in {
			throughout := true
			for m := w; m < w+model.DutyHorizon && throughout; m++ {
				throughout = eligible(h, m)
			}
			if throughout {
				counts[h] = 0
			}
		}
		for m := w; m < w+model.DutyHorizon; m++ {
			if row, ok := rows[m]; ok {
				if _, ok := counts[row.planned]; ok {
					counts[row.planned]++
				}
			}
		}
		lo, hi := 1<<30, -1
		for _, n := range counts {
			lo, hi = min(lo, n), max(hi, n)
		}
		if hi-lo > 1 {
			t.Fatalf("in the 12 months from %s turns as planned differ by %d: %v", w, hi-lo, counts)
		}
	}
	for m := start; m <= end; m++ {
		row, ok := rows[m]
		if !ok {
			for h := range in {
				if eligible(h, m) {
					t.Fatalf("%s vacant though household %d is eligible", m, h)
				}
			}
			continue
		}
		if !eligible(row.planned, m) {
			t.Fatalf("%s planned for household %d, not eligible then", m, row.planned)
		}
		if row.served == row.planned {
			continue
		}
		found := false
		for _, s := range swaps {
			found = found || m == s.x && row.served == s.b && row.planned == s.a || m == s.y && row.served == s.a && row.planned == s.b
		}
		if !found {
			t.Fatalf("%s served by %d, planned for %d, by no swap", m, row.served, row.planned)
		}
	}
}

func exemptIn(es []model.DutyExemption, h int64, m model.Month) bool {
	for _, e := range es {
		if e.HouseholdID == h && e.Covers(m) {
			return true
		}
	}
	return false
}

// TestDutySwapIntoExemption: a swap that would give a household a month its exemption covers is
// refused when asked, and when consented after the exemption began; nothing changes.
func TestDutySwapIntoExemption(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustDutyWorld(t, st)
		if _, err := st.GenerateRotation(ctx, w.staff, w.unit.ID); err != nil {
			t.Fatal(err)
		}
		// hh[0] has 2026-03 and 2026-09, hh[1] 2026-04 and 2026-10. hh[1] asks to take 09 for
		// its 10; then hh[0] goes away through 2026-10, which plans the months again from 09.
		pending, err := st.RequestSwap(ctx, w.res[1], w.unit.ID, model.DutySwapInput{FromMonth: "2026-10", ToMonth: "2026-09"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddExemption(ctx, w.staff, w.unit.ID, model.DutyExemptionInput{HouseholdID: w.hh[0].ID, Reason: model.DutyAway, Until: "2026-10"}); err != nil {
			t.Fatal(err)
		}
		got := schedule(t, st, w.staff, w.unit.ID)
		var mine, theirs string // a month of hh[1] within hh[0]'s exemption and one of hh[0]'s after it
		for m, h := range got {
			if h == w.hh[1].ID && m >= "2026-04" && m <= "2026-10" && (mine == "" || m < mine) {
				mine = m
			}
			if h == w.hh[0].ID && m > "2026-10" && (theirs == "" || m < theirs) {
				theirs = m
			}
		}
		if mine == "" || theirs == "" {
			t.Fatalf("schedule %v has no month to try", got)
		}
		if _, err := st.RequestSwap(ctx, w.res[1], w.unit.ID, model.DutySwapInput{FromMonth: mine, ToMonth: theirs}); fieldOf(err) != "to_month" {
			t.Errorf("swap into the other side's exemption asked: %v", err)
		}
		// The pending request, consented now: its months changed hands or hh[0] would take a
		// month of its exemption; either way a conflict, nothing changed.
		before := schedule(t, st, w.staff, w.unit.ID)
		if _, err := st.DecideSwap(ctx, w.res[0], pending.ID, true); !errors.Is(err, model.ErrConflict) {
			t.Errorf("consent into an exemption: %v", err)
		}
		if after := schedule(t, st, w.staff, w.unit.ID); !maps.Equal(after, before) {
			t.Errorf("a refused swap changed the schedule")
		}
	})
}

func unitCountRows(t *testing.T, st *store.Store) []string {
	t.Helper()
	rows, err := st.DB().QueryContext(context.Background(), `SELECT path, dim, value, n FROM unit_counts WHERE n <> 0 ORDER BY path, dim, value`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p, d, v string
		var n int64
		if err := rows.Scan(&p, &d, &v, &n); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %s %d", p, d, v, n))
	}
	return out
}
