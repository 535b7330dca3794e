package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Order statistics, maintained (issue 10 item 7; migrations 0048, 0068). order_stats holds,
// for the nodes above an order down to its grid (orderStatKinds) and the root "/", per month
// placed and category name, the figures of model.OrderStatFacts.Vector summed. Every write of
// an order takes its figures out as they were and puts them back as they are, in its own
// transaction (placeOrder, transitionOrder, a category's rename); the adjustments are summed
// in the Tx and upserted in key order when it ends (flushOrderStats, beside the units'
// counters), or once for a whole group commit (orderStatsBatch), so concurrent writers add,
// never overwrite, and lock the rows in one order. The statistics of a subtree down to a grid
// read the rows of one path: a few hundred at most, whatever the size of the city; those of a
// compound, a building or a stairwell — a few hundred orders at most — are counted from the
// orders when asked (orderStatsCounted). Rows for them were kept until 0068: three of the
// eight an order's every change upserted, each for a handful of orders, on the one writer.

// orderStatKept reports whether a node of kind k keeps rows in order_stats: the kinds down to
// the grids ("", the whole tree, too). Kinds rank strictly down a path
// (TerritoryKind.CanContain) and never change, so the nodes that keep rows are the first ones
// of a path, and how many is a function of the path (statDepthCache).
func orderStatKept(k model.TerritoryKind) bool { return k.Rank() <= model.KindGrid.Rank() }

// orderStatKinds lists the kinds orderStatKept keeps, for SQL.
var orderStatKinds = func() string {
	var q []string
	for _, k := range model.Kinds {
		if orderStatKept(k) {
			q = append(q, "'"+string(k)+"'")
		}
	}
	return strings.Join(q, ", ")
}()

// statDepthCache remembers, for an order's path, how many of its nodes keep rows.
type statDepthCache struct {
	mu sync.Mutex
	m  map[string]int
}

// statDepthCacheMax bounds the cache (a path is a few dozen bytes: a few MB); past it, it
// starts again.
const statDepthCacheMax = 1 << 17

// orderStatDepth is how many of the nodes of path, from the top, keep order statistics, read
// on c when not known yet (in a transaction, so that nodes it created count).
func (s *Store) orderStatDepth(ctx context.Context, c conn, path string) (int, error) {
	d := s.statDepths
	d.mu.Lock()
	n, ok := d.m[path]
	d.mu.Unlock()
	if ok {
		return n, nil
	}
	ids := model.PathIDs(path)
	if len(ids) == 0 {
		return 0, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM territories WHERE id IN (`+inList(len(ids))+`) AND kind IN (`+orderStatKinds+`)`, args, &n); err != nil {
		return 0, err
	}
	d.mu.Lock()
	if d.m == nil || len(d.m) >= statDepthCacheMax {
		d.m = map[string]int{}
	}
	d.m[path] = n
	d.mu.Unlock()
	return n, nil
}

// orderStatKey is one row of order_stats.
type orderStatKey struct{ path, month, category string }

// orderStatColumns are order_stats' figure columns, in model.OrderStatVector's order.
const orderStatColumns = `placed, taken, done, cancelled, take_minutes, take_b1, take_b2, take_b3, take_b4, take_b5,
	finish_minutes, finish_b1, finish_b2, finish_b3, finish_b4, finish_b5, stars_1, stars_2, stars_3, stars_4, stars_5`

// orderStatSet adds excluded's figures to the row's, for the upsert.
var orderStatSet = func() string {
	var b strings.Builder
	for i, c := range strings.Split(orderStatColumns, ",") {
		c = strings.TrimSpace(c)
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c + " = order_stats." + c + " + excluded." + c)
	}
	return b.String()
}()

// orderStatsAddFacts adds sign × the figures of one order (at path, of category) to the
// transaction's adjustments.
func (tx *Tx) orderStatsAddFacts(ctx context.Context, path, category string, f model.OrderStatFacts, sign int64) error {
	depth, err := tx.s.orderStatDepth(ctx, tx.conn, path)
	if err != nil {
		return err
	}
	if tx.orderStats == nil {
		tx.orderStats = map[orderStatKey]*model.OrderStatVector{}
	}
	v := f.Vector()
	month := model.OrderStatMonth(f.PlacedAt)
	for _, p := range memberCountsAncestors(path)[:depth+1] {
		k := orderStatKey{p, month, category}
		acc := tx.orderStats[k]
		if acc == nil {
			acc = &model.OrderStatVector{}
			tx.orderStats[k] = acc
		}
		acc.Add(v, sign)
	}
	return nil
}

// orderStatFactsOf is what the figures of the order o read need.
func orderStatFactsOf(o *model.Order) model.OrderStatFacts {
	return model.OrderStatFacts{Status: o.Status, Stars: o.Stars, PlacedAt: o.PlacedAt, TakenAt: o.TakenAt, DoneAt: o.DoneAt}
}

// orderStatsAdd adds sign × the figures of the orders where (on orders o) selects, as they
// are in the transaction now.
func (tx *Tx) orderStatsAdd(ctx context.Context, sign int64, where string, args ...any) error {
	type fact struct {
		path, category string
		f              model.OrderStatFacts
	}
	// A chunk at a time, in the orders' id order: each read whole before its figures are
	// added (the depths are read on the same connection), none held longer (a rebuild reads
	// every order of the city).
	chunk := cmp.Or(tx.s.statsChunk, orderStatsChunk)
	var facts []fact
	for after := int64(0); ; {
		facts = facts[:0]
		err := tx.orderFacts(ctx, where+` AND o.id > ? ORDER BY o.id LIMIT ?`, append(slices.Clip(args), after, chunk),
			func(id int64, path, category string, f model.OrderStatFacts) {
				facts = append(facts, fact{path, category, f})
				after = id
			})
		if err != nil {
			return err
		}
		for _, x := range facts {
			if err := tx.orderStatsAddFacts(ctx, x.path, x.category, x.f, sign); err != nil {
				return err
			}
		}
		if len(facts) < chunk {
			return nil
		}
	}
}

// orderStatsChunk is how many orders orderStatsAdd reads at a time.
const orderStatsChunk = 10000

// orderFacts calls fn with the id, path, category name and figures of each order where (on
// orders o) selects.
func (c conn) orderFacts(ctx context.Context, where string, args []any, fn func(id int64, path, category string, f model.OrderStatFacts)) error {
	rows, err := c.query(ctx, `SELECT o.id, o.path, c.name, o.status, o.stars, o.placed_at, o.taken_at, o.done_at
		FROM orders o JOIN order_categories c ON c.id = o.category_id WHERE `+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var path, category string
		var f model.OrderStatFacts
		var taken, done sql.NullTime
		if err := rows.Scan(&id, &path, &category, &f.Status, &f.Stars, &f.PlacedAt, &taken, &done); err != nil {
			return err
		}
		if taken.Valid {
			f.TakenAt = &taken.Time
		}
		if done.Valid {
			f.DoneAt = &done.Time
		}
		fn(id, path, category, f)
	}
	return rows.Err()
}

// flushOrderStats upserts the transaction's non-zero adjustments in key order, 100 rows a
// statement. Store.Tx calls it before COMMIT, after every other write but the audit's. In a
// group commit the batch does it once for all its transactions instead (orderStatsBatch).
func (tx *Tx) flushOrderStats(ctx context.Context) error {
	agg := tx.orderStats
	tx.orderStats = nil
	return tx.writeOrderStatsOf(ctx, agg)
}

// writeOrderStatsOf upserts the non-zero adjustments of agg.
func (tx *Tx) writeOrderStatsOf(ctx context.Context, agg map[orderStatKey]*model.OrderStatVector) error {
	keys := make([]orderStatKey, 0, len(agg))
	for k, v := range agg {
		if !v.Zero() {
			keys = append(keys, k)
		}
	}
	return tx.writeOrderStats(ctx, keys, func(k orderStatKey) model.OrderStatVector { return *agg[k] })
}

// orderStatsBatch sums the order statistics' adjustments of a group commit's transactions
// (tx_batch.go), written once before it commits: its transactions place and change orders of
// the same territories, and each wrote the same rows above them again (an order's change
// upserts a row at every node of its path; a fifth of the one writer's time in the orders'
// flow). Nothing reads order_stats inside a transaction but RebuildOrderStats, which recounts
// them from the orders as the batch left them so far and so replaces what it held.
type orderStatsBatch map[orderStatKey]*model.OrderStatVector

// take adds the adjustments of tx, a transaction of the batch that is released (kept).
func (b orderStatsBatch) take(tx *Tx) {
	if tx.statsReset {
		clear(b)
	}
	for k, v := range tx.orderStats {
		acc := b[k]
		if acc == nil {
			acc = &model.OrderStatVector{}
			b[k] = acc
		}
		acc.Add(*v, 1)
	}
	tx.orderStats = nil
}

// writeOrderStats upserts vec(k) for the keys, sorted here, 100 rows a statement.
func (tx *Tx) writeOrderStats(ctx context.Context, keys []orderStatKey, vec func(orderStatKey) model.OrderStatVector) error {
	slices.SortFunc(keys, func(a, b orderStatKey) int {
		return strings.Compare(a.path+"\x00"+a.month+"\x00"+a.category, b.path+"\x00"+b.month+"\x00"+b.category)
	})
	const cols = 3 + len(model.OrderStatVector{})
	for chunk := range slices.Chunk(keys, 100) {
		args := make([]any, 0, cols*len(chunk))
		for _, k := range chunk {
			args = append(args, k.path, k.month, k.category)
			for _, n := range vec(k) {
				args = append(args, n)
			}
		}
		if _, err := tx.exec(ctx, `INSERT INTO order_stats (path, month, category, `+orderStatColumns+`) VALUES `+valuesList(len(chunk), cols)+`
			ON CONFLICT (path, month, category) DO UPDATE SET `+orderStatSet, args...); err != nil {
			return err
		}
	}
	return nil
}

// RebuildOrderStats recounts order_stats from the orders, in one transaction: after the
// migration that made it, after a bulk load, for repair.
func (s *Store) RebuildOrderStats(ctx context.Context) error {
	return s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM order_stats`); err != nil {
			return err
		}
		tx.orderStats, tx.statsReset = nil, true
		return tx.orderStatsAdd(ctx, 1, `1 = 1`)
	})
}

// OrderStatsFilter picks the orders OrderStats sums.
type OrderStatsFilter struct {
	Under    int64  // a territory subtree (0: the caller's scope)
	From, To string // months YYYY-MM, both included ("": the twelve months up to this one)
	Category string // a category name ("": all)
}

// OrderStatsMaxMonths is the longest range OrderStats sums.
const OrderStatsMaxMonths = 120

// OrderStats returns the statistics of the orders of a subtree placed in months f.From–f.To:
// in total, by month and by category. Staff and grid leaders (the dispatchers) read those of
// their territory; anyone else gets a *model.ForbiddenError; a node outside the scope is
// model.ErrNotFound; a malformed or reversed range is a *model.ValidationError. The figures
// are the maintained rows of one path: no order is read.
func (s *Store) OrderStats(ctx context.Context, sc authz.Scope, f OrderStatsFilter) (*model.OrderStats, error) {
	if !sc.All && (!dispatcherRole(sc.Role) || sc.UnitBound()) {
		return nil, &model.ForbiddenError{Message: "只有社区工作人员和网格员可以查看订单统计"}
	}
	v := &model.ValidationError{}
	now := model.ThisMonth(s.now())
	from, to := now-11, now
	if f.To != "" {
		m, err := model.ParseMonth(f.To)
		if err != nil {
			v.Add("to", err.Error())
		}
		to = m
		if f.From == "" {
			from = m - 11
		}
	}
	if f.From != "" {
		m, err := model.ParseMonth(f.From)
		if err != nil {
			v.Add("from", err.Error())
		}
		from = m
	}
	if len(v.Fields) == 0 && from > to {
		v.Add("from", "起始月份不能晚于结束月份")
	}
	if len(v.Fields) == 0 && to-from >= OrderStatsMaxMonths {
		v.Add("to", "一次最多统计 120 个月")
	}
	if len([]rune(f.Category)) > 40 {
		v.Add("category", "服务类别名称过长")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	c := s.reader()
	prefix, ok, err := c.subtree(ctx, sc, f.Under)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, model.ErrNotFound
	}
	out := &model.OrderStats{From: from.String(), To: to.String(), Category: f.Category, Bounds: model.OrderStatBounds}
	path := prefix
	kept := true
	if path == "" {
		path, out.Territory = "/", "全部"
	} else {
		ids := model.PathIDs(prefix)
		out.TerritoryID = ids[len(ids)-1]
		var kind model.TerritoryKind
		if err := c.queryRow(ctx, `SELECT name, kind FROM territories WHERE id = ?`, []any{out.TerritoryID}, &out.Territory, &kind); err != nil {
			return nil, err
		}
		kept = orderStatKept(kind)
	}
	var total model.OrderStatVector
	months := map[string]*model.OrderStatVector{}
	cats := map[string]*model.OrderStatVector{}
	add := func(month, category string, vec model.OrderStatVector) {
		total.Add(vec, 1)
		for _, m := range []struct {
			into map[string]*model.OrderStatVector
			key  string
		}{{months, month}, {cats, category}} {
			acc := m.into[m.key]
			if acc == nil {
				acc = &model.OrderStatVector{}
				m.into[m.key] = acc
			}
			acc.Add(vec, 1)
		}
	}
	if kept {
		err = c.orderStatRows(ctx, path, from, to, f.Category, add)
	} else {
		err = c.orderStatsCounted(ctx, path, from, to, f.Category, add)
	}
	if err != nil {
		return nil, err
	}
	out.Total = total.Figures()
	for m := from; m <= to; m++ {
		var vec model.OrderStatVector
		if acc := months[m.String()]; acc != nil {
			vec = *acc
		}
		out.Months = append(out.Months, model.OrderMonthFigures{Month: m.String(), OrderFigures: vec.Figures()})
	}
	names := make([]string, 0, len(cats))
	for name := range cats {
		names = append(names, name)
	}
	// The busiest first; ties by name.
	slices.SortFunc(names, func(a, b string) int {
		if d := cats[b][0] - cats[a][0]; d != 0 {
			if d > 0 {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	out.Categories = []model.OrderCategoryFigures{}
	for _, name := range names {
		out.Categories = append(out.Categories, model.OrderCategoryFigures{Category: name, OrderFigures: cats[name].Figures()})
	}
	return out, nil
}

// orderStatRows calls add with the maintained figures at path (a node that keeps rows, or
// "/") for each month from–to and category (all when ""), as order_stats holds them.
func (c conn) orderStatRows(ctx context.Context, path string, from, to model.Month, category string, add func(month, category string, vec model.OrderStatVector)) error {
	w := filter{}
	w.add("path = ?", path)
	w.add("month >= ? AND month <= ?", from.String(), to.String())
	if category != "" {
		w.add("category = ?", category)
	}
	rows, err := c.query(ctx, `SELECT month, category, `+orderStatColumns+` FROM order_stats WHERE `+w.sql(), w.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var month, cat string
		var vec model.OrderStatVector
		dst := []any{&month, &cat}
		for i := range vec {
			dst = append(dst, &vec[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return err
		}
		add(month, cat, vec)
	}
	return rows.Err()
}

// orderStatsCounted calls add with the figures of each order under path placed in from–to
// (of category, all when ""), counted from the orders: for a node below the grids, which
// keeps no rows (a compound holds a few hundred orders).
func (c conn) orderStatsCounted(ctx context.Context, path string, from, to model.Month, category string, add func(month, category string, vec model.OrderStatVector)) error {
	lo, hi := authz.PathRange(path)
	w := filter{}
	w.add("o.path >= ? AND o.path < ?", lo, hi)
	// Months are placed_at in Shanghai time (model.OrderStatMonth): a day more on each side,
	// then each order's own month decides.
	w.add("o.placed_at >= ? AND o.placed_at < ?", from.First().AddDate(0, 0, -1), (to+1).First().AddDate(0, 0, 1))
	if category != "" {
		w.add("c.name = ?", category)
	}
	return c.orderFacts(ctx, w.sql(), w.args, func(_ int64, _, cat string, f model.OrderStatFacts) {
		if m := model.OrderStatMonth(f.PlacedAt); m >= from.String() && m <= to.String() {
			add(m, cat, f.Vector())
		}
	})
}
