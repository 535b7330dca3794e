package store

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The needs list of the three lists (三张清单). Needs lie on the territory (a community, grid or
// compound) like households: staff and grid leaders read and record those of their subtree.
// Needs come from staff (entered by hand), from recurring orders (NeedSuggestions derives them;
// staff adopt one with CreateNeed and source orders) and, once issue 11 brings surveys, from
// surveys: a survey's result is recorded with CreateNeed and source survey, nothing else
// changes here.

const needColumns = `n.id, n.community_id, n.territory_id, COALESCE(t.name, ''), COALESCE(t.kind, ''), n.path, n.title, n.description, n.category, n.wants,
	n.households, n.source, COALESCE(n.order_category_id, 0), n.status, n.recorded_by_name, n.created_at, n.updated_at`

const needFrom = ` FROM list_needs n LEFT JOIN territories t ON t.id = n.territory_id`

func scanNeed(r rowScanner) (*model.Need, error) {
	var n model.Need
	if err := r.Scan(&n.ID, &n.CommunityID, &n.TerritoryID, &n.TerritoryName, &n.TerritoryKind, &n.Path, &n.Title, &n.Description, &n.Category, &n.Wants,
		&n.Households, &n.Source, &n.OrderCategoryID, &n.Status, &n.RecordedBy, &n.CreatedAt, &n.UpdatedAt); err != nil {
		return nil, err
	}
	return &n, nil
}

// Need returns the need with id, or model.ErrNotFound when it does not exist or lies outside
// the scope.
func (s *Store) Need(ctx context.Context, sc authz.Scope, id int64) (*model.Need, error) {
	return s.reader().need(ctx, sc, id)
}

func (c conn) need(ctx context.Context, sc authz.Scope, id int64) (*model.Need, error) {
	return scopedOne(ctx, c, sc, `SELECT `+needColumns+needFrom+` WHERE n.id = ?`, []any{id}, scanNeed, func(n *model.Need) string { return n.Path })
}

// NeedFilter selects needs. Under is a subtree root (0: the whole scope).
type NeedFilter struct {
	Under    int64
	Status   model.NeedStatus // "" for every status
	Source   model.NeedSource // "" for every source
	Category string           // exact category
	Q        string           // title contains
	Limit    int
	Cursor   string
}

// Needs lists the needs in the scope matching f, newest first, with their total. An unknown
// status or source is a *model.ValidationError.
func (s *Store) Needs(ctx context.Context, sc authz.Scope, f NeedFilter) (*Page[*model.Need], error) {
	var v model.ValidationError
	if f.Status != "" && !f.Status.Valid() {
		v.Add("status", "状态应为 open、matched 或 closed")
	}
	if f.Source != "" && !f.Source.Valid() {
		v.Add("source", "来源应为 orders、survey 或 staff")
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
		return &Page[*model.Need]{}, nil
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	lo, hi := authz.PathRange(prefix)
	w := filter{where: []string{"n.path >= ?", "n.path < ?"}, args: []any{lo, hi}}
	if f.Status != "" {
		w.add("n.status = ?", string(f.Status))
	}
	if f.Source != "" {
		w.add("n.source = ?", string(f.Source))
	}
	if f.Category != "" {
		w.add("n.category = ?", f.Category)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		w.add(`n.title LIKE ? ESCAPE '\'`, "%"+escapeLike(q)+"%")
	}
	count := w.clone()
	if cur.id != 0 {
		w.add("n.id < ?", cur.id)
	}
	page, err := fetchPage(ctx, c, `SELECT `+needColumns+needFrom+` WHERE `+w.sql()+` ORDER BY n.id DESC`, w.args, clampLimit(f.Limit),
		func(r rowScanner) (*model.Need, cursor, error) {
			n, err := scanNeed(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return n, cursor{key: "n", id: n.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	err = c.queryRow(ctx, `SELECT COUNT(*) FROM list_needs n WHERE `+count.sql(), count.args, &page.Total)
	return page, err
}

// listPlace checks a node for an entry of the lists: in the scope, not archived, and a
// community or below (so that the entry has a community). It adds what is wrong to v under
// field and returns the node (nil when bad). maxKind bounds how deep the node may lie ("" for
// any depth).
func (tx *Tx) listPlace(ctx context.Context, sc authz.Scope, id int64, field string, maxKind model.TerritoryKind, v *model.ValidationError) (*model.Territory, int64, error) {
	if id <= 0 {
		return nil, 0, nil
	}
	t, err := tx.territory(ctx, sc, id)
	switch {
	case errors.Is(err, model.ErrNotFound):
		v.Add(field, "所在节点不存在或不在您的管辖范围内")
		return nil, 0, nil
	case err != nil:
		return nil, 0, err
	case t.ArchivedAt != nil:
		v.Add(field, "所在节点已归档")
		return nil, 0, nil
	case t.Kind.Rank() < model.KindCommunity.Rank() || maxKind != "" && t.Kind.Rank() > maxKind.Rank():
		if maxKind != "" {
			v.Add(field, "请选择社区、网格或小区")
		} else {
			v.Add(field, "请选择社区或社区以下的节点")
		}
		return nil, 0, nil
	}
	var community int64
	if err := tx.queryRow(ctx, `SELECT COALESCE(community_id, 0) FROM territories WHERE id = ?`, []any{t.ID}, &community); err != nil {
		return nil, 0, err
	}
	if community == 0 {
		v.Add(field, "该节点不属于任何社区")
		return nil, 0, nil
	}
	return t, community, nil
}

// callerName is the display name history and lists record for the caller ("系统" for internal
// jobs).
func (c conn) callerName(ctx context.Context, sc authz.Scope) (string, error) {
	if sc.UserID == 0 {
		return "系统", nil
	}
	var name, username string
	if err := c.queryRow(ctx, `SELECT display_name, username FROM users WHERE id = ?`, []any{sc.UserID}, &name, &username); err != nil {
		return "", err
	}
	return cmp.Or(name, username), nil
}

// CreateNeed records a need at a community, grid or compound in the scope. Bad fields, a node
// outside the scope and an order category of another community are reported together in one
// *model.ValidationError; a need from orders already recorded (open or matched) for the same
// category and node is a *model.ConflictError (the unique index decides, so two staff adopting
// one suggestion at once record it once).
func (s *Store) CreateNeed(ctx context.Context, sc authz.Scope, in model.NeedInput) (*model.Need, error) {
	var n *model.Need
	err := s.Tx(ctx, func(tx *Tx) error {
		v := validation(in.Validate())
		t, community, err := tx.listPlace(ctx, sc, in.TerritoryID, "territory_id", model.KindCompound, v)
		if err != nil {
			return err
		}
		if in.OrderCategoryID > 0 && t != nil {
			var catCommunity int64
			err := tx.queryRow(ctx, `SELECT community_id FROM order_categories WHERE id = ?`, []any{in.OrderCategoryID}, &catCommunity)
			switch {
			case errors.Is(err, model.ErrNotFound) || err == nil && catCommunity != community:
				v.Add("order_category_id", "订单类别不存在或不属于需求所在社区")
			case err != nil:
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		name, err := tx.callerName(ctx, sc)
		if err != nil {
			return err
		}
		ts := tx.s.now()
		var id int64
		err = tx.queryRow(ctx, `INSERT INTO list_needs (community_id, territory_id, path, title, description, category, wants, households, source, order_category_id,
			status, recorded_by, recorded_by_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?) RETURNING id`,
			[]any{community, t.ID, t.Path, in.Title, in.Description, in.Category, string(in.Wants), in.Households, string(in.Source), nullID(in.OrderCategoryID),
				nullID(sc.UserID), name, ts, ts}, &id)
		if isConflict(err) {
			return &model.ConflictError{Message: "这一类点单需求已经登记在需求清单中（待对接或已对接），无需重复采纳"}
		} else if err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "need.created", "need", []int64{id}, in.Source.Label()+" "+in.Title)
		n, err = tx.need(ctx, sc, id)
		return err
	})
	return n, err
}

// SetNeedStatus closes an open or matched need, or reopens a closed one (to: closed or open),
// with a conditional UPDATE: a need already in that status is a *model.ConflictError, one
// outside the scope model.ErrNotFound.
func (s *Store) SetNeedStatus(ctx context.Context, sc authz.Scope, id int64, to model.NeedStatus) (*model.Need, error) {
	if to != model.NeedClosed && to != model.NeedOpen {
		return nil, fieldErr("status", "状态只能改为 closed（关闭）或 open（重新打开）")
	}
	var n *model.Need
	err := s.Tx(ctx, func(tx *Tx) error {
		old, err := tx.need(ctx, sc, id)
		if err != nil {
			return err
		}
		cond := "status <> 'closed'"
		if to == model.NeedOpen {
			cond = "status = 'closed'"
		}
		res, err := tx.exec(ctx, `UPDATE list_needs SET status = ?, updated_at = ? WHERE id = ? AND `+cond, string(to), tx.s.now(), id)
		if isConflict(err) {
			return &model.ConflictError{Message: "这一类点单需求已有一条待对接的记录，不能重新打开"}
		} else if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return &model.ConflictError{Message: "需求已是“" + to.Label() + "”状态"}
		}
		tx.auditAt(sc, old.Path, "need."+string(to), "need", []int64{id}, "")
		n, err = tx.need(ctx, sc, id)
		return err
	})
	return n, err
}

// NeedSuggestions derives needs from recurring orders in the subtree of under (0: the whole
// scope): every order category with at least model.NeedSuggestMinOrders orders not cancelled,
// placed in the last model.NeedSuggestDays days by households of one grid or compound, that
// is not already an open or matched need from orders. Most orders first. It reads the window's
// orders of the subtree once (the orders' path index), so staff ask it for a community or a
// street, not for a province.
func (s *Store) NeedSuggestions(ctx context.Context, sc authz.Scope, under int64) ([]*model.NeedSuggestion, error) {
	c := s.reader()
	prefix, ok, err := c.subtree(ctx, sc, under)
	if err != nil || !ok {
		return []*model.NeedSuggestion{}, err
	}
	lo, hi := authz.PathRange(prefix)
	since := s.now().AddDate(0, 0, -model.NeedSuggestDays)
	type row struct {
		cat       int64
		name      string
		household int64
		path      string
	}
	rows, err := queryAll(ctx, c, `SELECT o.category_id, c.name, o.household_id, o.path FROM orders o JOIN order_categories c ON c.id = o.category_id
		WHERE o.path >= ? AND o.path < ? AND o.placed_at >= ? AND o.status <> 'cancelled'`, []any{lo, hi, since},
		func(r rowScanner) (row, error) {
			var x row
			return x, r.Scan(&x.cat, &x.name, &x.household, &x.path)
		})
	if err != nil {
		return nil, err
	}
	type key struct{ cat, node int64 }
	type tally struct {
		orders     int
		households map[int64]bool
		name       string
	}
	counts := map[key]*tally{}
	nodes := map[int64]bool{}
	for _, x := range rows {
		for _, part := range strings.Split(strings.Trim(x.path, "/"), "/") {
			id, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				continue
			}
			k := key{x.cat, id}
			t := counts[k]
			if t == nil {
				t = &tally{households: map[int64]bool{}, name: x.name}
				counts[k] = t
			}
			t.orders++
			t.households[x.household] = true
			nodes[id] = true
		}
	}
	// Of the nodes the orders lie under, the grids and compounds in the scope.
	var ids []any
	for id := range nodes {
		ids = append(ids, id)
	}
	places := map[int64]*model.Territory{}
	for chunk := range slices.Chunk(ids, 500) {
		ts, err := queryAll(ctx, c, `SELECT `+territoryColumns+` FROM territories WHERE kind IN ('grid', 'compound') AND id IN (`+inList(len(chunk))+`)`, chunk, scanTerritory)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if sc.Contains(t.Path) && t.ArchivedAt == nil {
				places[t.ID] = t
			}
		}
	}
	adopted := map[key]bool{}
	taken, err := queryAll(ctx, c, `SELECT order_category_id, territory_id FROM list_needs WHERE source = 'orders' AND status <> 'closed' AND path >= ? AND path < ?`,
		[]any{lo, hi}, func(r rowScanner) (key, error) {
			var k key
			return k, r.Scan(&k.cat, &k.node)
		})
	if err != nil {
		return nil, err
	}
	for _, k := range taken {
		adopted[k] = true
	}
	out := []*model.NeedSuggestion{}
	for k, t := range counts {
		p := places[k.node]
		if p == nil || t.orders < model.NeedSuggestMinOrders || adopted[k] {
			continue
		}
		out = append(out, &model.NeedSuggestion{OrderCategoryID: k.cat, Category: t.name, TerritoryID: p.ID, TerritoryName: p.Name, TerritoryKind: p.Kind,
			Orders: t.orders, Households: len(t.households), Since: since})
	}
	slices.SortFunc(out, func(a, b *model.NeedSuggestion) int {
		return cmp.Or(cmp.Compare(b.Orders, a.Orders), cmp.Compare(a.TerritoryID, b.TerritoryID), cmp.Compare(a.OrderCategoryID, b.OrderCategoryID))
	})
	return out, nil
}
