package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The takers of orders and the categories of service (issue 10 items 1 and 2). A taker acts
// through an account: a party member's account is a taker of its member's community as soon as
// it takes a first order (registerTaker); volunteers who are not members and co-building
// organizations are registered by staff (RegisterTaker). A category belongs to a community;
// a community without categories gets model.DefaultOrderCategories when its categories are
// first asked for.

const takerColumns = `id, COALESCE(user_id, 0), kind, name, COALESCE(member_id, 0), COALESCE(organization_id, 0), community_id, territory_id, path,
	skills, availability, open_orders, minutes, active`

func scanTaker(r rowScanner) (*model.OrderTaker, error) {
	t := &model.OrderTaker{}
	var minutes int64
	err := r.Scan(&t.ID, &t.UserID, &t.Kind, &t.Name, &t.MemberID, &t.OrganizationID, &t.CommunityID, &t.TerritoryID, &t.Path,
		&t.Skills, &t.Availability, &t.OpenOrders, &minutes, &t.Active)
	t.Minutes = int(minutes)
	return t, err
}

func (c conn) orderTaker(ctx context.Context, id int64) (*model.OrderTaker, error) {
	return queryOne(ctx, c, `SELECT `+takerColumns+` FROM order_takers WHERE id = ?`, []any{id}, scanTaker)
}

// takerOfUser is the taker sc acts as: its registered row, or for a member account not yet
// registered one built from its member record (ID 0); nil when none.
func (c conn) takerOfUser(ctx context.Context, sc authz.Scope) (*model.OrderTaker, error) {
	if sc.UserID == 0 {
		return nil, nil
	}
	t, err := queryOne(ctx, c, `SELECT `+takerColumns+` FROM order_takers WHERE user_id = ?`, []any{sc.UserID}, scanTaker)
	if err == nil || !errors.Is(err, model.ErrNotFound) {
		return t, err
	}
	if sc.Role != model.RoleMember {
		return nil, nil
	}
	m := &model.OrderTaker{Kind: "member", UserID: sc.UserID, Active: true}
	var community sql.NullInt64
	err = c.queryRow(ctx, `SELECT m.id, m.name, m.community_id, m.path FROM party_members m WHERE m.user_id = ? AND m.left_on IS NULL ORDER BY m.id LIMIT 1`,
		[]any{sc.UserID}, &m.MemberID, &m.Name, &community, &m.Path)
	if errors.Is(err, model.ErrNotFound) || err == nil && !community.Valid {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	m.CommunityID = community.Int64
	err = c.queryRow(ctx, `SELECT id FROM territories WHERE path = ?`, []any{m.Path}, &m.TerritoryID)
	if errors.Is(err, model.ErrNotFound) {
		m.TerritoryID = m.CommunityID // an org of no node of its own serves its community
		err = c.queryRow(ctx, `SELECT path FROM territories WHERE id = ?`, []any{m.CommunityID}, &m.Path)
	}
	return m, err
}

// registerTaker returns oc's taker, registering a member's on its first order.
func (tx *Tx) registerTaker(ctx context.Context, oc *orderCaller) (*model.OrderTaker, error) {
	t := oc.taker
	if t == nil || !t.Active {
		return nil, &model.ForbiddenError{Message: "只有登记的志愿者和党员可以接单"}
	}
	if t.ID != 0 {
		return t, nil
	}
	if _, err := tx.exec(ctx, `INSERT INTO order_takers (user_id, kind, name, member_id, community_id, territory_id, path, created_at)
		VALUES (?, 'member', ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) WHERE user_id IS NOT NULL DO NOTHING`,
		t.UserID, t.Name, t.MemberID, t.CommunityID, t.TerritoryID, t.Path, tx.s.now()); err != nil {
		return nil, err
	}
	reg, err := queryOne(ctx, tx.conn, `SELECT `+takerColumns+` FROM order_takers WHERE user_id = ?`, []any{t.UserID}, scanTaker)
	if err != nil {
		return nil, err
	}
	oc.taker = reg
	return reg, nil
}

// TakerInput registers a taker: a volunteer or a co-building organization acting through an
// existing account, serving at a node of a community.
type TakerInput struct {
	UserID         int64  `json:"user_id,string"`
	Kind           string `json:"kind"` // "volunteer" or "organization" (members register themselves by taking an order)
	Name           string `json:"name"`
	OrganizationID int64  `json:"organization_id,string,omitempty"`
	TerritoryID    int64  `json:"territory_id,string"`
	Skills         string `json:"skills"`
	Availability   string `json:"availability"`
}

// RegisterTaker registers (or updates) the taker acting through account in.UserID, serving at
// node in.TerritoryID of sc's territory. Staff only (the route's policy); the node must be in
// sc's scope and inside a community.
func (s *Store) RegisterTaker(ctx context.Context, sc authz.Scope, in TakerInput) (*model.OrderTaker, error) {
	v := &model.ValidationError{}
	in.Name = strings.TrimSpace(in.Name)
	in.Skills = strings.TrimSpace(in.Skills)
	in.Availability = strings.TrimSpace(in.Availability)
	if in.Kind != "volunteer" && in.Kind != "organization" && in.Kind != "member" {
		v.Add("kind", "类型应为 volunteer（志愿者）、organization（共建单位）或 member（党员）")
	}
	if n := utf8.RuneCountInString(in.Name); n == 0 || n > 50 {
		v.Add("name", "请填写名称（最多 50 个字）")
	}
	if in.UserID <= 0 {
		v.Add("user_id", "请选择接单所用的账号")
	}
	if utf8.RuneCountInString(in.Skills) > 200 {
		v.Add("skills", "特长最多 200 个字")
	}
	if utf8.RuneCountInString(in.Availability) > 100 {
		v.Add("availability", "可服务时间最多 100 个字")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		node, err := tx.territory(ctx, sc, in.TerritoryID)
		if errors.Is(err, model.ErrNotFound) {
			return fieldErr("territory_id", "没有这个节点，或不在您的管辖范围内")
		} else if err != nil {
			return err
		}
		var community sql.NullInt64
		if err := tx.queryRow(ctx, `SELECT community_id FROM territories WHERE id = ?`, []any{node.ID}, &community); err != nil {
			return err
		}
		if !community.Valid {
			return fieldErr("territory_id", "请选择社区或社区以下的节点")
		}
		// The account must be one of sc's territory (its scope node in sc's scope): staff
		// register the volunteers of their own area, and learn nothing of accounts elsewhere.
		var disabled bool
		var home sql.NullString
		err = tx.queryRow(ctx, `SELECT u.disabled, t.path FROM users u LEFT JOIN territories t ON t.id = u.scope_id WHERE u.id = ?`, []any{in.UserID}, &disabled, &home)
		if errors.Is(err, model.ErrNotFound) || err == nil && (disabled || !sc.All && !(home.Valid && sc.Contains(home.String))) {
			return fieldErr("user_id", "没有这个账号，或账号已停用，或不在您的管辖范围内")
		} else if err != nil {
			return err
		}
		var member, org any
		if in.Kind == "member" {
			var m sql.NullInt64
			if err := tx.queryRow(ctx, `SELECT MIN(id) FROM party_members WHERE user_id = ?`, []any{in.UserID}, &m); err != nil {
				return err
			}
			if !m.Valid {
				return fieldErr("kind", "这个账号没有关联党员")
			}
			member = m.Int64
		}
		if in.Kind == "organization" {
			if in.OrganizationID <= 0 {
				return fieldErr("organization_id", "请选择共建单位")
			}
			if _, err := tx.organization(ctx, sc, in.OrganizationID); errors.Is(err, model.ErrNotFound) {
				return fieldErr("organization_id", "没有这个共建单位，或不在您的管辖范围内")
			} else if err != nil {
				return err
			}
			org = in.OrganizationID
		}
		err = tx.queryRow(ctx, `INSERT INTO order_takers (user_id, kind, name, member_id, organization_id, community_id, territory_id, path, skills, availability, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_id) WHERE user_id IS NOT NULL DO UPDATE SET kind = excluded.kind, name = excluded.name, member_id = excluded.member_id,
				organization_id = excluded.organization_id, community_id = excluded.community_id, territory_id = excluded.territory_id, path = excluded.path,
				skills = excluded.skills, availability = excluded.availability, active = TRUE
			RETURNING id`, []any{in.UserID, in.Kind, in.Name, member, org, community.Int64, node.ID, node.Path, in.Skills, in.Availability, tx.s.now()}, &id)
		if err != nil {
			return err
		}
		tx.auditAt(sc, node.Path, "order.taker.register", "order_taker", []int64{id}, in.Kind+" "+in.Name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.reader().orderTaker(ctx, id)
}

// OrderTakers lists the takers registered under a node of sc's scope (0: the whole scope), by
// path then id.
func (s *Store) OrderTakers(ctx context.Context, sc authz.Scope, under int64, limit int, cur string) (*Page[*model.OrderTaker], error) {
	c := s.reader()
	prefix, ok, err := c.subtree(ctx, sc, under)
	if err != nil || !ok {
		return &Page[*model.OrderTaker]{}, err
	}
	w := underPath(prefix)
	cr, err := decodeCursor(cur)
	if err != nil {
		return nil, err
	}
	count := w.clone()
	w.afterPath(cr)
	page, err := fetchPage(ctx, c, `SELECT `+takerColumns+` FROM order_takers WHERE `+w.sql()+` ORDER BY path, id`, w.args, clampLimit(limit),
		func(r rowScanner) (*model.OrderTaker, cursor, error) {
			t, err := scanTaker(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return t, cursor{key: t.Path, id: t.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	return page, c.queryRow(ctx, `SELECT COUNT(*) FROM order_takers WHERE `+count.sql(), count.args, &page.Total)
}

const orderCategoryColumns = `id, community_id, name, open_on_place, take_within_hours, finish_within_hours, active`

func scanOrderCategory(r rowScanner) (*model.OrderCategory, error) {
	c := &model.OrderCategory{}
	err := r.Scan(&c.ID, &c.CommunityID, &c.Name, &c.OpenOnPlace, &c.TakeWithinHours, &c.FinishWithinHours, &c.Active)
	return c, err
}

func (c conn) orderCategory(ctx context.Context, id int64) (*model.OrderCategory, error) {
	return queryOne(ctx, c, `SELECT `+orderCategoryColumns+` FROM order_categories WHERE id = ?`, []any{id}, scanOrderCategory)
}

// orderCommunity is community node id as sc may use its categories: to change them, a
// community in sc's scope; to read them also the community sc's scope lies in (a grid or unit
// leader placing an order on behalf) or its own household's. field names the id in errors.
func (c conn) orderCommunity(ctx context.Context, sc authz.Scope, id int64, write bool, field string) (*model.Territory, error) {
	t, err := c.territory(ctx, authz.System(), id)
	if err != nil {
		return nil, err
	}
	switch {
	case sc.Contains(t.Path):
	case write:
		return nil, model.ErrNotFound
	case sc.Path != "" && strings.HasPrefix(sc.Path, t.Path):
	default:
		own, err := c.ownHousehold(ctx, sc)
		if err != nil {
			return nil, err
		}
		var hc int64
		if own == 0 {
			return nil, model.ErrNotFound
		}
		if err := c.queryRow(ctx, `SELECT community_id FROM households WHERE id = ?`, []any{own}, &hc); err != nil || hc != id {
			return nil, cmp.Or(err, model.ErrNotFound)
		}
	}
	if t.Kind != model.KindCommunity {
		return nil, fieldErr(field, "服务类别按社区设置，请选择一个社区")
	}
	return t, nil
}

// OrderCategories lists a community's categories of service (its default ones, created now,
// when it has none), for accounts whose scope reaches the community or lies in it, and for the
// community's own households.
func (s *Store) OrderCategories(ctx context.Context, sc authz.Scope, community int64) ([]*model.OrderCategory, error) {
	c := s.reader()
	node, err := c.orderCommunity(ctx, sc, community, false, "community")
	if err != nil {
		return nil, err
	}
	list := func(c conn) ([]*model.OrderCategory, error) {
		return queryAll(ctx, c, `SELECT `+orderCategoryColumns+` FROM order_categories WHERE community_id = ? ORDER BY id`, []any{node.ID}, scanOrderCategory)
	}
	cats, err := list(c)
	if err != nil || len(cats) > 0 {
		return cats, err
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		for _, name := range model.DefaultOrderCategories {
			if _, err := tx.exec(ctx, `INSERT INTO order_categories (community_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (community_id, name) DO NOTHING`,
				node.ID, name, tx.s.now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return list(s.reader())
}

// OrderCategoryInput creates or changes a category of a community.
type OrderCategoryInput struct {
	Name              string `json:"name"`
	OpenOnPlace       bool   `json:"open_on_place"`
	TakeWithinHours   int    `json:"take_within_hours"`
	FinishWithinHours int    `json:"finish_within_hours"`
	Active            bool   `json:"active"`
}

// SaveOrderCategory creates (id 0) or changes category id of community (staff whose scope
// reaches it).
func (s *Store) SaveOrderCategory(ctx context.Context, sc authz.Scope, community, id int64, in OrderCategoryInput) (*model.OrderCategory, error) {
	v := &model.ValidationError{}
	in.Name = strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(in.Name); n == 0 || n > 20 {
		v.Add("name", "类别名称须为 1 到 20 个字")
	}
	if in.TakeWithinHours < 1 || in.TakeWithinHours > 720 {
		v.Add("take_within_hours", "接单时限须为 1 到 720 小时")
	}
	if in.FinishWithinHours < 1 || in.FinishWithinHours > 2160 {
		v.Add("finish_within_hours", "完成时限须为 1 到 2160 小时")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		node, err := tx.orderCommunity(ctx, sc, community, true, "community_id")
		if err != nil {
			return err
		}
		renamed := false
		if id == 0 {
			err = tx.queryRow(ctx, `INSERT INTO order_categories (community_id, name, open_on_place, take_within_hours, finish_within_hours, active, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, []any{node.ID, in.Name, in.OpenOnPlace, in.TakeWithinHours, in.FinishWithinHours, in.Active, tx.s.now()}, &id)
		} else {
			var old string
			if err := tx.queryRow(ctx, `SELECT name FROM order_categories WHERE id = ? AND community_id = ?`, []any{id, node.ID}, &old); err != nil {
				return err
			}
			if old != in.Name {
				// The statistics count by name: the category's orders move to the new one. Their
				// versions move first (locking them: a transition under way finishes first, one
				// that read the old name conflicts), then their figures are taken out as they are.
				if _, err := tx.exec(ctx, `UPDATE orders SET version = version + 1 WHERE category_id = ?`, id); err != nil {
					return err
				}
				if err := tx.orderStatsAdd(ctx, -1, "o.category_id = ?", id); err != nil {
					return err
				}
				renamed = true
			}
			var r sql.Result
			r, err = tx.exec(ctx, `UPDATE order_categories SET name = ?, open_on_place = ?, take_within_hours = ?, finish_within_hours = ?, active = ? WHERE id = ? AND community_id = ?`,
				in.Name, in.OpenOnPlace, in.TakeWithinHours, in.FinishWithinHours, in.Active, id, node.ID)
			if err == nil {
				if n, _ := r.RowsAffected(); n != 1 {
					return model.ErrNotFound
				}
			}
		}
		if isConflict(err) {
			return fieldErr("name", "本社区已有同名的服务类别")
		} else if err != nil {
			return err
		}
		if renamed {
			if err := tx.orderStatsAdd(ctx, 1, "o.category_id = ?", id); err != nil {
				return err
			}
		}
		tx.auditAt(sc, node.Path, "order.category.save", "order_category", []int64{id}, in.Name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.reader().orderCategory(ctx, id)
}

// TakerSuggestion is a taker ranked for an order, with the reasons in one line.
type TakerSuggestion struct {
	Taker  *model.OrderTaker `json:"taker"`
	Score  int               `json:"score"`
	Reason string            `json:"reason"`
}

// SuggestTakers ranks the active takers of an order's community for it (a dispatcher's, within
// its territory): skills that name the category (+4), closeness in the tree — the same
// building or stairwell (+3), grid (+2), community (+1) —, the open load (−2 an order) and a
// stated availability (+1); ties by fewer open orders, then more hours served. At most limit
// (default 10). model.ErrNotFound when the order is not the caller's to dispatch.
func (s *Store) SuggestTakers(ctx context.Context, sc authz.Scope, orderID int64, limit int) ([]TakerSuggestion, error) {
	c := s.reader()
	oc, o, _, err := c.readOrder(ctx, sc, orderID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(oc.actors(o), model.ActorDispatcher) {
		return nil, &model.ForbiddenError{Message: "只有社区工作人员或网格员可以派单"}
	}
	takers, err := queryAll(ctx, c, `SELECT `+takerColumns+` FROM order_takers WHERE community_id = ? AND active = ? ORDER BY id`, []any{o.CommunityID, true}, scanTaker)
	if err != nil {
		return nil, err
	}
	// The order's ancestors from its node up to the community, nearest first, with their kinds.
	type level struct {
		path string
		kind model.TerritoryKind
		name string
	}
	var levels []level
	for p := o.Path; p != ""; {
		var t level
		if err := c.queryRow(ctx, `SELECT path, kind, name FROM territories WHERE path = ?`, []any{p}, &t.path, &t.kind, &t.name); err != nil {
			return nil, err
		}
		levels = append(levels, t)
		if t.kind == model.KindCommunity {
			break
		}
		p = parentPath(p)
	}
	var out []TakerSuggestion
	for _, t := range takers {
		if t.UserID != 0 && t.UserID == o.PlacedBy {
			continue
		}
		sg := TakerSuggestion{Taker: t}
		var why []string
		if o.Category != "" && strings.Contains(t.Skills, strings.TrimSuffix(strings.TrimSuffix(o.Category, "咨询"), "辅导")) {
			sg.Score += 4
			why = append(why, "特长对口（"+t.Skills+"）")
		}
		for _, l := range levels {
			if strings.HasPrefix(t.Path, l.path) {
				switch l.kind {
				case model.KindBuilding, model.KindStairwell, model.KindCompound:
					sg.Score += 3
					why = append(why, "同在"+l.name)
				case model.KindGrid:
					sg.Score += 2
					why = append(why, "同一网格")
				default:
					sg.Score++
					why = append(why, "同一社区")
				}
				break
			}
		}
		if t.OpenOrders > 0 {
			sg.Score -= 2 * t.OpenOrders
			why = append(why, fmt.Sprintf("手头还有 %d 单", t.OpenOrders))
		} else {
			why = append(why, "手头没有未完成的单")
		}
		if t.Availability != "" {
			sg.Score++
			why = append(why, "可服务时间："+t.Availability)
		}
		if t.Minutes > 0 {
			why = append(why, fmt.Sprintf("累计服务 %.1f 小时", float64(t.Minutes)/60))
		}
		sg.Reason = strings.Join(why, "；")
		out = append(out, sg)
	}
	slices.SortStableFunc(out, func(a, b TakerSuggestion) int {
		return cmp.Or(b.Score-a.Score, a.Taker.OpenOrders-b.Taker.OpenOrders, b.Taker.Minutes-a.Taker.Minutes)
	})
	if limit <= 0 {
		limit = 10
	}
	return out[:min(limit, len(out))], nil
}

// parentPath is the materialized path of a node's parent ("/1/5/" → "/1/"; "" above a root).
func parentPath(p string) string {
	t := strings.TrimSuffix(p, "/")
	i := strings.LastIndex(t, "/")
	if i <= 0 {
		return ""
	}
	return t[:i+1]
}
