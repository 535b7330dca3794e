package store

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The demo city's orders (demo/order.go) go through the real order functions (placeOrder,
// transitionOrder) at the times they took place (AsOf), acting for households and takers that
// have no account: each step says whose part it plays and the name history records. Its time
// bank's gifts and spends go through giveTimebank and spendTimebank the same way.

// DemoTakers registers up to n party members of community who serve as volunteers and have no
// taker yet (kind member, no account: they are dispatched by staff), with skills drawn by the
// caller; it returns the takers of the community, registered before or now.
func (s *Store) DemoTakers(ctx context.Context, community int64, n int, skills func(i int) string) ([]*model.OrderTaker, error) {
	err := s.Tx(ctx, func(tx *Tx) error {
		type m struct {
			id         int64
			name, path string
		}
		ms, err := queryAll(ctx, tx.conn, `SELECT id, name, path FROM party_members WHERE community_id = ? AND left_on IS NULL
			AND id NOT IN (SELECT member_id FROM order_takers WHERE member_id IS NOT NULL) ORDER BY id LIMIT ?`, []any{community, n},
			func(r rowScanner) (m, error) {
				var x m
				err := r.Scan(&x.id, &x.name, &x.path)
				return x, err
			})
		if err != nil {
			return err
		}
		for i, x := range ms {
			var node int64
			if err := tx.queryRow(ctx, `SELECT COALESCE((SELECT id FROM territories WHERE path = ?), ?)`, []any{x.path, community}, &node); err != nil {
				return err
			}
			path := x.path
			if node == community {
				if err := tx.queryRow(ctx, `SELECT path FROM territories WHERE id = ?`, []any{community}, &path); err != nil {
					return err
				}
			}
			if _, err := tx.exec(ctx, `INSERT INTO order_takers (kind, name, member_id, community_id, territory_id, path, skills, availability, created_at)
				VALUES ('member', ?, ?, ?, ?, ?, ?, ?, ?)`, x.name, x.id, community, node, path, skills(i), []string{"周末全天", "工作日晚上", "随时可联系", "上午"}[i%4], tx.s.now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, s.reader(), `SELECT `+takerColumns+` FROM order_takers WHERE community_id = ? ORDER BY id`, []any{community}, scanTaker)
}

// PlaceDemoOrder places an order for household as its own (onBehalf false: placed by the
// household, named placedBy) or through staff (onBehalf true).
func (s *Store) PlaceDemoOrder(ctx context.Context, household int64, in model.OrderInput, placedBy string, onBehalf bool) (int64, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	in.HouseholdID = household
	oc := &orderCaller{sc: authz.System(), own: household, name: placedBy}
	if onBehalf {
		oc.own = 0
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		p, err := tx.prepPlace(ctx, oc, in)
		if err != nil {
			return err
		}
		id, _, err = tx.placeOrder(ctx, oc, in, nil, p)
		return err
	})
	return id, err
}

// StepDemoOrder takes a transition of order id as the part the step plays: the household
// (household != 0: rate, reopen, cancel), the taker taker (claim, accept, decline, done) or a
// dispatcher (neither), named name in the history.
func (s *Store) StepDemoOrder(ctx context.Context, id, household, taker int64, name string, in model.OrderTransitionInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	return s.Tx(ctx, func(tx *Tx) error {
		oc := &orderCaller{sc: authz.System(), own: household, name: name}
		if taker != 0 {
			t, err := tx.orderTaker(ctx, taker)
			if err != nil {
				return err
			}
			oc.taker = t
		}
		return tx.transitionOrder(ctx, oc, id, in, nil)
	})
}

// GiveDemoTimebank gives in.Minutes of taker's banked minutes to household in.HouseholdID as
// GiveTimebank does, for a demo taker that has no account (recorded as the system).
func (s *Store) GiveDemoTimebank(ctx context.Context, taker int64, in model.TimebankTransfer) error {
	in.From = model.HolderTaker
	if err := in.Validate(); err != nil {
		return err
	}
	return s.Tx(ctx, func(tx *Tx) error {
		_, err := tx.giveTimebank(ctx, authz.System(), taker, 0, in)
		return err
	})
}

// SpendDemoTimebank spends in.Minutes of household's received minutes on its order in.OrderID
// as SpendTimebank does, for a household acting without an account (recorded as the system).
func (s *Store) SpendDemoTimebank(ctx context.Context, household int64, in model.TimebankTransfer) error {
	in.From = model.HolderHousehold
	if err := in.Validate(); err != nil {
		return err
	}
	return s.Tx(ctx, func(tx *Tx) error {
		_, err := tx.spendTimebank(ctx, authz.System(), household, household, in)
		return err
	})
}

// BulkOrderOptions shape BulkOrders' history.
type BulkOrderOptions struct {
	N      int       // orders to add
	Seed   uint64    // the generator's seed
	Now    time.Time // the end of the history (placed in the two years before it)
	Takers int       // party members registered as takers per community (DemoTakers)
}

// BulkOrders adds o.N historical orders to the households of the city, spread over every
// community and the two years before o.Now — most of them done, rated and closed, some
// cancelled, a few still open or taken — set-based, 500 rows a statement, without the history
// of their transitions, numbered in the order they were placed; then it recounts the takers'
// loads and minutes and the statistics (RebuildOrderStats), so that what is maintained agrees
// with the rows. For the benchmark (`gongzhi bench`), which needs the orders of a large city
// fast. It returns how many it added.
func (s *Store) BulkOrders(ctx context.Context, o BulkOrderOptions) (int, error) {
	type hh struct {
		id, community, territory int64
		path                     string
	}
	var households []hh
	rows, err := s.reader().query(ctx, `SELECT id, community_id, territory_id, path FROM households WHERE moved_out_at IS NULL ORDER BY id`)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var h hh
		if err := rows.Scan(&h.id, &h.community, &h.territory, &h.path); err != nil {
			_ = rows.Close()
			return 0, err
		}
		households = append(households, h)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	if len(households) == 0 || o.N <= 0 {
		return 0, nil
	}
	cats := map[int64][]int64{}
	takers := map[int64][]int64{}
	for _, h := range households {
		if _, ok := cats[h.community]; ok {
			continue
		}
		cs, err := s.OrderCategories(ctx, authz.System(), h.community)
		if err != nil {
			return 0, err
		}
		for _, c := range cs {
			cats[h.community] = append(cats[h.community], c.ID)
		}
		ts, err := s.DemoTakers(ctx, h.community, o.Takers, func(i int) string { return model.DefaultOrderCategories[i%len(model.DefaultOrderCategories)] })
		if err != nil {
			return 0, err
		}
		takers[h.community] = nil
		for _, t := range ts {
			takers[h.community] = append(takers[h.community], t.ID)
		}
	}
	rng := rand.New(rand.NewPCG(o.Seed, 10)) // #nosec G404 -- generated history, reproducible by seed
	step := max(1, len(households)/o.N)      // households apart, then round the city again
	const cols = `community_id, territory_id, path, household_id, category_id, description, status, level, taker_id, placed_by_name,
		stars, minutes, placed_at, taken_at, done_at, due_at, updated_at`
	const ncols = 17
	// The rows are made first and inserted in the order they were placed, as a running
	// system numbers its orders: made household by household, the ids ran through the city
	// territory by territory, and a street's newest orders (the board's first page, read from
	// the newest id back) lay behind every order of the streets after it — 60 ms where a
	// city with orders numbered as they come takes 5.
	// A row made is kept compact (500,000 of them: as []any of boxed values they took 245 MB)
	// and turned into a statement's arguments a chunk at a time.
	type row struct {
		household                    int32 // index in households
		status                       model.OrderStatus
		category, taker              int64 // taker 0: none
		stars, minutes               int32
		placed, takenAt, doneAt, due time.Time // zero: none
	}
	orNil := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t
	}
	made := make([]row, 0, o.N)
	for i := 0; len(made) < o.N; i++ {
		hi := (i*step + i/len(households)) % len(households)
		h := households[hi]
		cs, ts := cats[h.community], takers[h.community]
		placed := o.Now.Add(-time.Duration(rng.Int64N(int64(730 * 24 * time.Hour))))
		taken := placed.Add(time.Duration(10+rng.ExpFloat64()*300) * time.Minute)
		done := taken.Add(time.Duration(60+rng.ExpFloat64()*1200) * time.Minute)
		r := row{household: int32(hi), placed: placed, status: model.OrderClosed} // #nosec G115 -- fewer than 2^31 households
		switch v := rng.IntN(100); {
		case v < 10:
			r.status = model.OrderCancelled
		case v < 13 && placed.After(o.Now.Add(-30*24*time.Hour)):
			r.status, r.due = model.OrderOpen, placed.Add(24*time.Hour)
		case v < 17 && placed.After(o.Now.Add(-30*24*time.Hour)):
			r.status, r.due = model.OrderTaken, placed.Add(72*time.Hour)
		case v < 25:
			r.status = model.OrderDone
		case v < 40:
			r.status = model.OrderRated
		}
		if r.status == model.OrderOpen && len(ts) > 0 {
			// keep it open
		} else if r.status != model.OrderCancelled && len(ts) > 0 {
			r.taker, r.takenAt = ts[rng.IntN(len(ts))], taken
			if r.status != model.OrderTaken {
				r.doneAt, r.minutes = done, int32(30+30*rng.IntN(6)) // #nosec G115 -- at most 180
			}
			if r.status == model.OrderRated || r.status == model.OrderClosed {
				r.stars = int32([]int{5, 5, 5, 4, 4, 3, 2, 1}[rng.IntN(8)]) // #nosec G115 -- 1 to 5
			}
		} else if r.status != model.OrderCancelled {
			r.status, r.due = model.OrderPlaced, placed.Add(24*time.Hour)
		}
		r.category = cs[rng.IntN(len(cs))]
		made = append(made, r)
	}
	slices.SortStableFunc(made, func(a, b row) int { return a.placed.Compare(b.placed) })
	err = s.Tx(ctx, func(tx *Tx) error {
		batch := make([]any, 0, 500*ncols)
		for rows := range slices.Chunk(made, 500) {
			batch = batch[:0]
			for _, r := range rows {
				h := households[r.household]
				batch = append(batch, h.community, h.territory, h.path, h.id, r.category, "历史订单", string(r.status), "grid", nullID(r.taker), "居民",
					r.stars, r.minutes, r.placed, orNil(r.takenAt), orNil(r.doneAt), orNil(r.due), r.placed)
			}
			if _, err := tx.exec(ctx, `INSERT INTO orders (`+cols+`) VALUES `+valuesList(len(rows), ncols), batch...); err != nil {
				return err
			}
		}
		_, err := tx.exec(ctx, `UPDATE order_takers SET
			open_orders = (SELECT COUNT(*) FROM orders o WHERE o.taker_id = order_takers.id AND o.status IN ('dispatched', 'taken')),
			minutes = (SELECT COALESCE(SUM(o.minutes), 0) FROM orders o WHERE o.taker_id = order_takers.id AND o.done_at IS NOT NULL)`)
		return err
	})
	if err != nil {
		return 0, err
	}
	n := len(made)
	made = nil // not kept through the recount
	return n, s.RebuildOrderStats(ctx)
}
