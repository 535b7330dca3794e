package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// orderStatRows reads order_stats as "path month category figures…" lines, leaving out the
// rows whose figures are all 0 (a maintained row that counted and then uncounted an order).
func orderStatRows(t *testing.T, st *store.Store) []string {
	t.Helper()
	rows, err := st.DB().QueryContext(context.Background(), `SELECT path, month, category, placed, taken, done, cancelled, take_minutes, take_b1, take_b2, take_b3, take_b4, take_b5,
		finish_minutes, finish_b1, finish_b2, finish_b3, finish_b4, finish_b5, stars_1, stars_2, stars_3, stars_4, stars_5 FROM order_stats ORDER BY path, month, category`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var path, month, category string
		var v model.OrderStatVector
		dst := []any{&path, &month, &category}
		for i := range v {
			dst = append(dst, &v[i])
		}
		if err := rows.Scan(dst...); err != nil {
			t.Fatal(err)
		}
		if !v.Zero() {
			out = append(out, fmt.Sprint(path, " ", month, " ", category, " ", v))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkOrderStatsRecount: the maintained figures equal a recount from the orders.
func checkOrderStatsRecount(t *testing.T, st *store.Store) []string {
	t.Helper()
	maintained := orderStatRows(t, st)
	if err := st.RebuildOrderStats(context.Background()); err != nil {
		t.Fatal(err)
	}
	recount := orderStatRows(t, st)
	if strings.Join(maintained, "\n") != strings.Join(recount, "\n") {
		t.Fatalf("maintained:\n%s\nrecount:\n%s", strings.Join(maintained, "\n"), strings.Join(recount, "\n"))
	}
	return recount
}

// orderStepper takes random steps on the orders of an orderWorld: each step a random order, a
// random party and an action that party may or may not be allowed (refusals and lost races
// are part of the mix).
func orderStepper(t *testing.T, st *store.Store, w *orderWorld, ids []int64, r *rand.Rand) {
	t.Helper()
	id := ids[r.IntN(len(ids))]
	type step struct {
		sc authz.Scope
		a  model.OrderAction
	}
	steps := []step{
		{w.member, model.ActClaim}, {w.volunteer, model.ActClaim}, {w.member, model.ActDone}, {w.volunteer, model.ActDone},
		{w.member, model.ActDone}, {w.volunteer, model.ActDone}, {w.volunteer, model.ActAccept}, {w.member, model.ActDecline},
		{w.res, model.ActRate}, {w.neighbourRes, model.ActRate}, {w.res, model.ActRate}, {w.neighbourRes, model.ActRate},
		{w.res, model.ActRate}, {w.neighbourRes, model.ActRate}, {w.member, model.ActClaim}, {w.volunteer, model.ActClaim},
		{w.res, model.ActReopen}, {w.neighbourRes, model.ActCancel},
		{w.staff, model.ActDispatch}, {w.staff, model.ActOpen}, {w.staff, model.ActOpen}, {w.grid, model.ActEscalate}, {w.staff, model.ActClose},
	}
	s := steps[r.IntN(len(steps))]
	stars := 1 + r.IntN(5)
	_, err := transition(st, s.sc, id, s.a, func(in *model.OrderTransitionInput) {
		in.Stars = stars
		in.Hours = 1
		in.TakerID = w.volunteerTaker.ID
	})
	var ce *model.ConflictError
	var fe *model.ForbiddenError
	var ve *model.ValidationError
	if err != nil && !errors.As(err, &ce) && !errors.As(err, &fe) && !errors.As(err, &ve) && !errors.Is(err, model.ErrNotFound) {
		t.Errorf("%s %s on %d: %v", s.sc.Role, s.a, id, err)
	}
	w.advance(time.Duration(r.IntN(600)) * time.Minute)
}

// TestOrderStatsMaintained: after a random mix of transitions — one after another, then from
// eight goroutines at once, racing on the same orders and the same counter rows — and a
// category's rename, the maintained statistics equal a recount from the orders, on both
// engines.
func TestOrderStatsMaintained(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		// Recounts read the orders 7 at a time: the rebuild and the rename read several chunks.
		st.SetOrderStatsChunk(7)
		r := rand.New(rand.NewPCG(10, 48))
		var ids []int64
		for i := range 24 {
			var o *model.Order
			switch i % 3 {
			case 0:
				o = w.place(t, st, w.res, 0)
			case 1:
				o = w.place(t, st, w.neighbourRes, 0)
			default:
				o = w.place(t, st, w.staff, w.hh.ID)
			}
			ids = append(ids, o.ID)
			w.advance(time.Duration(r.IntN(300)) * time.Minute)
		}
		for range 300 {
			orderStepper(t, st, w, ids, r)
		}
		rows := checkOrderStatsRecount(t, st)
		var done, rated bool
		for _, row := range rows {
			f := strings.Fields(row[strings.Index(row, "[")+1 : len(row)-1])
			done = done || f[2] != "0"
			rated = rated || f[16] != "0" || f[17] != "0" || f[18] != "0" || f[19] != "0" || f[20] != "0"
		}
		if !done || !rated || len(rows) < 5 {
			t.Fatalf("the mix did too little to test: %d rows, done %v, rated %v", len(rows), done, rated)
		}

		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(g), 7))
				for range 40 {
					orderStepper(t, st, w, ids, r)
				}
			}()
		}
		// And places at once, counted in the same rows.
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := st.PlaceOrder(ctx, w.res, model.OrderInput{CategoryID: w.cats[0].ID, Description: "同时下单"}, nil); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		checkOrderStatsRecount(t, st)

		// A rename moves the category's figures to the new name.
		c := w.cats[0]
		if _, err := st.SaveOrderCategory(ctx, w.staff, w.community.ID, c.ID, store.OrderCategoryInput{Name: "代买代办", OpenOnPlace: c.OpenOnPlace,
			TakeWithinHours: c.TakeWithinHours, FinishWithinHours: c.FinishWithinHours, Active: true}); err != nil {
			t.Fatal(err)
		}
		rows = checkOrderStatsRecount(t, st)
		if !strings.Contains(strings.Join(rows, "\n"), " 代买代办 ") || strings.Contains(strings.Join(rows, "\n"), " "+c.Name+" ") {
			t.Errorf("after the rename:\n%s", strings.Join(rows, "\n"))
		}
	})
}

// TestOrderStats: what the statistics of a subtree say, for one known history; who may read
// them; bad ranges.
func TestOrderStats(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		// Placed 2 June 9:00, claimed 30 min later, done 5 h after placing, rated 4 stars.
		a := w.place(t, st, w.res, 0)
		w.advance(30 * time.Minute)
		if _, err := transition(st, w.member, a.ID, model.ActClaim); err != nil {
			t.Fatal(err)
		}
		w.advance(270 * time.Minute)
		if _, err := transition(st, w.member, a.ID, model.ActDone, func(in *model.OrderTransitionInput) { in.Hours = 2 }); err != nil {
			t.Fatal(err)
		}
		if _, err := transition(st, w.res, a.ID, model.ActRate, func(in *model.OrderTransitionInput) { in.Stars = 4 }); err != nil {
			t.Fatal(err)
		}
		// Placed and cancelled; placed a month later, still open.
		b := w.place(t, st, w.neighbourRes, 0)
		if _, err := transition(st, w.neighbourRes, b.ID, model.ActCancel); err != nil {
			t.Fatal(err)
		}
		w.advance(31 * 24 * time.Hour)
		w.place(t, st, w.res, 0)

		for _, c := range []struct {
			name  string
			sc    authz.Scope
			under int64
		}{{"staff, whole scope", w.staff, 0}, {"staff, the building", w.staff, w.building.ID}, {"grid leader", w.grid, 0}, {"system", authz.System(), w.street.ID}} {
			s, err := st.OrderStats(ctx, c.sc, store.OrderStatsFilter{Under: c.under, From: "2026-06", To: "2026-07"})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			tot := s.Total
			if tot.Placed != 3 || tot.Taken != 1 || tot.Done != 1 || tot.Cancelled != 1 || tot.Ratings.Count != 1 || tot.Ratings.Average != 4 || tot.Ratings.Stars[3] != 1 {
				t.Errorf("%s: total %+v", c.name, tot)
			}
			if tot.TimeToTake.AverageMinutes != 30 || tot.TimeToTake.Buckets[0] != 1 || tot.TimeToTake.P90Bucket != 0 ||
				tot.TimeToFinish.AverageMinutes != 300 || tot.TimeToFinish.Buckets[2] != 1 || tot.TimeToFinish.P50Bucket != 2 {
				t.Errorf("%s: times %+v %+v", c.name, tot.TimeToTake, tot.TimeToFinish)
			}
			if len(s.Months) != 2 || s.Months[0].Month != "2026-06" || s.Months[0].Placed != 2 || s.Months[1].Placed != 1 || s.Months[1].Taken != 0 {
				t.Errorf("%s: months %+v", c.name, s.Months)
			}
			if len(s.Categories) != 1 || s.Categories[0].Category != w.cats[0].Name || s.Categories[0].Placed != 3 {
				t.Errorf("%s: categories %+v", c.name, s.Categories)
			}
		}
		// The building keeps no rows (below the grids its figures above are counted from the
		// orders), the grid does; the board under the building counts its orders.
		if n := mustCount(t, st, `SELECT COUNT(*) FROM order_stats WHERE path = $1`, w.building.Path); n != 0 {
			t.Errorf("%d statistics rows kept for a building", n)
		}
		if n := mustCount(t, st, `SELECT COUNT(*) FROM order_stats WHERE path = $1`, w.tree.grid.Path); n == 0 {
			t.Error("no statistics rows kept for the grid")
		}
		if p, err := st.Orders(ctx, w.staff, store.OrderFilter{Under: w.building.ID}); err != nil || p.Total != 3 {
			t.Errorf("the board under the building: %v, %v", p, err)
		}
		// One category, the default range (the twelve months up to this one: July 2026).
		s, err := st.OrderStats(ctx, w.staff, store.OrderStatsFilter{Category: "不存在的类别"})
		if err != nil || s.Total.Placed != 0 || len(s.Months) != 12 || s.To != "2026-07" || s.From != "2025-08" {
			t.Errorf("another category: %+v, %v", s, err)
		}
		// Another community's staff: not theirs; a resident or a member: not for them.
		if _, err := st.OrderStats(ctx, w.otherStaff, store.OrderStatsFilter{Under: w.community.ID}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("other staff: %v", err)
		}
		if s, err := st.OrderStats(ctx, w.otherStaff, store.OrderStatsFilter{From: "2026-06", To: "2026-07"}); err != nil || s.Total.Placed != 0 {
			t.Errorf("other staff's own scope: %+v, %v", s, err)
		}
		for _, sc := range []authz.Scope{w.res, w.member} {
			if _, err := st.OrderStats(ctx, sc, store.OrderStatsFilter{}); !errors.Is(err, model.ErrForbidden) {
				t.Errorf("%s: %v", sc.Role, err)
			}
		}
		for _, f := range []store.OrderStatsFilter{{From: "2026-13"}, {From: "2026-07", To: "2026-06"}, {From: "2000-01", To: "2026-06"}} {
			var ve *model.ValidationError
			if _, err := st.OrderStats(ctx, w.staff, f); !errors.As(err, &ve) {
				t.Errorf("%+v: %v", f, err)
			}
		}
	})
}
