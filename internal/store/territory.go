package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

const territoryColumns = `id, parent_id, kind, name, code, path, households, residents, archived_at, created_at, updated_at`

func scanTerritory(sc rowScanner) (*model.Territory, error) {
	var t model.Territory
	var parent sql.NullInt64
	var code sql.NullString
	var archived sql.NullTime
	if err := sc.Scan(&t.ID, &parent, &t.Kind, &t.Name, &code, &t.Path, &t.Households, &t.Residents, &archived, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, err
	}
	t.ParentID, t.Code = parent.Int64, code.String
	if archived.Valid {
		t.ArchivedAt = &archived.Time
	}
	return &t, nil
}

// Territory returns the node with id, or model.ErrNotFound when it does not exist or lies
// outside the scope.
func (s *Store) Territory(ctx context.Context, sc authz.Scope, id int64) (*model.Territory, error) {
	return s.reader().territory(ctx, sc, id)
}

func (c conn) territory(ctx context.Context, sc authz.Scope, id int64) (*model.Territory, error) {
	t, err := scopedOne(ctx, c, sc, `SELECT `+territoryColumns+` FROM territories WHERE id = ?`, []any{id}, scanTerritory, territoryPath)
	if err != nil {
		return nil, err
	}
	return t, c.unitCounts(ctx, sc, t)
}

func territoryPath(t *model.Territory) string { return t.Path }

// TerritoryByCode returns the node with the 12-digit statistical code, within scope.
func (s *Store) TerritoryByCode(ctx context.Context, sc authz.Scope, code string) (*model.Territory, error) {
	c := s.reader()
	t, err := scopedOne(ctx, c, sc, `SELECT `+territoryColumns+` FROM territories WHERE code = ?`, []any{code}, scanTerritory, territoryPath)
	if err != nil {
		return nil, err
	}
	return t, c.unitCounts(ctx, sc, t)
}

// TerritoryFilter selects nodes. Under is a subtree root (0: the whole scope).
type TerritoryFilter struct {
	Under           int64
	ParentID        int64 // only direct children of this node, listed in childOrder
	Kind            model.TerritoryKind
	Code            string
	IncludeArchived bool
	Limit           int
	Cursor          string
}

// Territories lists nodes in the scope matching f, in tree order (by path), or the children
// of f.ParentID in childOrder.
func (s *Store) Territories(ctx context.Context, sc authz.Scope, f TerritoryFilter) (*Page[*model.Territory], error) {
	c := s.reader()
	prefix, ok, err := c.subtree(ctx, sc, f.Under)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Page[*model.Territory]{}, nil
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	w := underPath(prefix)
	if f.ParentID != 0 {
		w.add("parent_id = ?", f.ParentID)
	}
	if f.Kind != "" {
		w.add("kind = ?", string(f.Kind))
	}
	if f.Code != "" {
		w.add("code = ?", f.Code)
	}
	if !f.IncludeArchived {
		w.add("archived_at IS NULL")
	}
	order, cursorOf := "path", func(t *model.Territory) cursor { return cursor{key: t.Path, id: t.ID} }
	if f.ParentID != 0 {
		order, cursorOf = childOrder, childCursor
	}
	if cur.key != "" {
		if f.ParentID == 0 {
			w.add("path > ?", cur.key)
		} else {
			after, err := childAfter(cur)
			if err != nil {
				return nil, err
			}
			w.add("("+childOrder+") > (?, ?, ?, ?)", after...)
		}
	}
	page, err := fetchPage(ctx, c, `SELECT `+territoryColumns+` FROM territories WHERE `+w.sql()+` ORDER BY `+order, w.args, clampLimit(f.Limit),
		func(r rowScanner) (*model.Territory, cursor, error) {
			t, err := scanTerritory(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return t, cursorOf(t), nil
		})
	if err != nil {
		return nil, err
	}
	page.Total = -1
	return page, c.unitCounts(ctx, sc, page.Items...)
}

// childOrder is the order of a node's children: by statistical code, nodes without one after
// those with one, then by name (in the database's collation: byte order on SQLite and on a
// PostgreSQL database with the C collation), then by id. Materialized paths would list "/1/10/"
// before "/1/2/", which nobody expects.
const childOrder = `CASE WHEN code IS NULL THEN 1 ELSE 0 END, COALESCE(code, ''), name, id`

// childCursor is the position after t in childOrder.
func childCursor(t *model.Territory) cursor {
	noCode := "0"
	if t.Code == "" {
		noCode = "1"
	}
	// Names and codes hold no NUL (PostgreSQL text cannot), so it separates them.
	return cursor{key: noCode + "\x00" + t.Code + "\x00" + t.Name, id: t.ID}
}

// childAfter is the arguments of the childOrder comparison for a cursor from childCursor.
func childAfter(cur cursor) ([]any, error) {
	parts := strings.SplitN(cur.key, "\x00", 3)
	if len(parts) != 3 || (parts[0] != "0" && parts[0] != "1") {
		return nil, ErrBadCursor
	}
	noCode, _ := strconv.Atoi(parts[0])
	return []any{noCode, parts[1], parts[2], cur.id}, nil
}

// Ancestors returns the nodes from the top of the scope down to t's parent, for breadcrumbs.
func (s *Store) Ancestors(ctx context.Context, sc authz.Scope, t *model.Territory) ([]*model.Territory, error) {
	ids := model.PathIDs(t.Path)
	if len(ids) < 2 {
		return nil, nil
	}
	ids = ids[:len(ids)-1]
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.reader().query(ctx, `SELECT `+territoryColumns+` FROM territories WHERE id IN (`+inList(len(ids))+`) ORDER BY path`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*model.Territory
	for rows.Next() {
		a, err := scanTerritory(rows)
		if err != nil {
			return nil, err
		}
		if sc.Contains(a.Path) {
			out = append(out, a)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.reader().unitCounts(ctx, sc, out...)
}

// Lineage returns, with one query, the node at the end of path (a materialized path as the
// store returned it: a node's, or a household's, which is its node's) and the nodes above it
// from the top of the scope down, root first and the node last: a breadcrumb and its node in
// one read of the columns that name them. It returns model.ErrNotFound when that node does not
// exist or lies outside the scope.
func (s *Store) Lineage(ctx context.Context, sc authz.Scope, path string) ([]model.TerritoryRef, error) {
	ids := model.PathIDs(path)
	if len(ids) == 0 {
		return nil, model.ErrNotFound
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.reader().query(ctx, `SELECT id, kind, name, path FROM territories WHERE id IN (`+inList(len(ids))+`) ORDER BY path`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	line := make([]model.TerritoryRef, 0, len(ids))
	for rows.Next() {
		var n model.TerritoryRef
		if err := rows.Scan(&n.ID, &n.Kind, &n.Name, &n.Path); err != nil {
			return nil, err
		}
		if sc.Contains(n.Path) {
			line = append(line, n)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(line) == 0 || line[len(line)-1].ID != ids[len(ids)-1] {
		return nil, model.ErrNotFound
	}
	return line, nil
}

// TerritoryEvents returns a node's history, newest first.
func (s *Store) TerritoryEvents(ctx context.Context, sc authz.Scope, id int64) ([]model.TerritoryEvent, error) {
	c := s.reader()
	if _, err := c.territory(ctx, sc, id); err != nil {
		return nil, err
	}
	rows, err := c.query(ctx, `SELECT id, territory_id, action, detail, actor_id, at FROM territory_events WHERE territory_id = ? ORDER BY id DESC LIMIT 200`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.TerritoryEvent
	for rows.Next() {
		var e model.TerritoryEvent
		var actor sql.NullInt64
		if err := rows.Scan(&e.ID, &e.TerritoryID, &e.Action, &e.Detail, &actor, &e.At); err != nil {
			return nil, err
		}
		e.ActorID = actor.Int64
		out = append(out, e)
	}
	return out, rows.Err()
}

// CreateTerritory adds a node under in.ParentID (which must lie in the scope; only an unscoped
// caller may add a root district). It returns a *model.ValidationError for bad input.
func (s *Store) CreateTerritory(ctx context.Context, sc authz.Scope, in model.TerritoryInput) (*model.Territory, error) {
	var t *model.Territory
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		t, err = tx.CreateTerritory(ctx, sc, in)
		return err
	})
	return t, err
}

// CreateTerritory is Store.CreateTerritory inside tx. Bad fields and a bad parent are reported
// together in one *model.ValidationError, and nothing is written then.
func (tx *Tx) CreateTerritory(ctx context.Context, sc authz.Scope, in model.TerritoryInput) (*model.Territory, error) {
	v := validation(in.Validate())
	parentPath := "/"
	var communityID sql.NullInt64
	if in.ParentID != 0 {
		parent, err := tx.territory(ctx, sc, in.ParentID)
		switch {
		case errors.Is(err, model.ErrNotFound):
			v.Add("parent_id", "上级节点不存在或不在您的管辖范围内")
		case err != nil:
			return nil, err
		case parent.ArchivedAt != nil:
			v.Add("parent_id", "上级节点已归档，不能再添加下级")
		case in.Kind.Valid() && !parent.Kind.CanContain(in.Kind):
			v.Add("kind", fmt.Sprintf("%s下不能添加%s", parent.Kind.Label(), in.Kind.Label()))
		default:
			parentPath = parent.Path
			if err := tx.queryRow(ctx, `SELECT community_id FROM territories WHERE id = ?`, []any{parent.ID}, &communityID); err != nil {
				return nil, err
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if in.ParentID == 0 && !sc.All {
		return nil, model.ErrForbidden
	}
	ts := now()
	var code any
	if in.Code != "" {
		code = in.Code
	}
	var parent any
	if in.ParentID != 0 {
		parent = in.ParentID
	}
	var id int64
	pending := "#" + strconv.FormatInt(time.Now().UnixNano(), 36)
	err := tx.queryRow(ctx, `INSERT INTO territories (parent_id, kind, name, code, path, community_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		[]any{parent, string(in.Kind), in.Name, code, pending, communityID, ts, ts}, &id)
	if err != nil {
		if isConflict(err) {
			return nil, fieldErr("code", "统计区划代码 "+in.Code+" 已被其他节点使用")
		}
		return nil, err
	}
	path := model.ChildPath(parentPath, id)
	if in.Kind == model.KindCommunity {
		communityID = sql.NullInt64{Int64: id, Valid: true}
	}
	if _, err := tx.exec(ctx, `UPDATE territories SET path = ?, community_id = ? WHERE id = ?`, path, communityID, id); err != nil {
		return nil, err
	}
	if err := tx.territoryEvent(ctx, sc, id, "created", in.Kind.Label()+" "+in.Name); err != nil {
		return nil, err
	}
	return tx.territory(ctx, authz.System(), id)
}

func (tx *Tx) territoryEvent(ctx context.Context, sc authz.Scope, id int64, action, detail string) error {
	var actor any
	if sc.UserID != 0 {
		actor = sc.UserID
	}
	_, err := tx.exec(ctx, `INSERT INTO territory_events (territory_id, action, detail, actor_id, at) VALUES (?, ?, ?, ?, ?)`,
		id, action, detail, actor, now())
	// Every territory write records its history entry here, and so its audit record too.
	tx.audit(sc, "territory."+auditVerb(action), "territory", []int64{id}, detail)
	return err
}

// RenameTerritory changes a node's name (and code, when code is not nil) and records the old one.
func (s *Store) RenameTerritory(ctx context.Context, sc authz.Scope, id int64, name string, code *string) (*model.Territory, error) {
	var t *model.Territory
	err := s.Tx(ctx, func(tx *Tx) error {
		old, err := tx.territory(ctx, sc, id)
		if err != nil {
			return err
		}
		in := model.TerritoryInput{ParentID: old.ParentID, Kind: old.Kind, Name: name, Code: old.Code}
		if code != nil {
			in.Code = *code
		}
		if in.ParentID == 0 {
			in.ParentID = -1 // a root passes the parent check; it has none to change
		}
		if err := in.Validate(); err != nil {
			return err
		}
		var codeArg any
		if in.Code != "" {
			codeArg = in.Code
		}
		if _, err := tx.exec(ctx, `UPDATE territories SET name = ?, code = ?, updated_at = ? WHERE id = ?`, in.Name, codeArg, now(), id); err != nil {
			if isConflict(err) {
				return fieldErr("code", "统计区划代码 "+in.Code+" 已被其他节点使用")
			}
			return err
		}
		detail := old.Name + " → " + in.Name
		if in.Code != old.Code {
			detail += "；代码 " + old.Code + " → " + in.Code
		}
		if err := tx.territoryEvent(ctx, sc, id, "renamed", detail); err != nil {
			return err
		}
		t, err = tx.territory(ctx, sc, id)
		return err
	})
	return t, err
}

// MoveTerritory puts node id under newParent, carrying its subtree, its households and residents
// along, and keeps the maintained counts right. Moving a node under itself or its own descendant
// is a *model.ValidationError on parent_id; a node whose subtree holds anything besides
// households and residents (Party organizations, orders, votes, … : every table that carries a
// path) is a *model.ConflictError, nothing moved — those rows belong to and are counted at
// their place, and leaving them there (as moves did until 2026-12-03) split a grid's orders,
// members and votes from the grid.
func (s *Store) MoveTerritory(ctx context.Context, sc authz.Scope, id, newParent int64) (*model.Territory, error) {
	var t *model.Territory
	err := s.Tx(ctx, func(tx *Tx) error {
		node, err := tx.territory(ctx, sc, id)
		if err != nil {
			return err
		}
		if node.ParentID == 0 {
			return fieldErr("parent_id", "顶层节点不能移动")
		}
		parent, err := tx.territory(ctx, sc, newParent)
		if err == model.ErrNotFound {
			return fieldErr("parent_id", "目标上级节点不存在或不在您的管辖范围内")
		} else if err != nil {
			return err
		}
		if (authz.Scope{Path: node.Path}).Contains(parent.Path) {
			return fieldErr("parent_id", "不能把节点移到它自己或它的下级节点之下")
		}
		if parent.ArchivedAt != nil {
			return fieldErr("parent_id", "目标上级节点已归档")
		}
		if !parent.Kind.CanContain(node.Kind) {
			return fieldErr("parent_id", fmt.Sprintf("%s下不能放%s", parent.Kind.Label(), node.Kind.Label()))
		}
		if parent.ID == node.ParentID {
			t = node
			return nil
		}
		oldParent, err := tx.territory(ctx, authz.System(), node.ParentID)
		if err != nil {
			return err
		}
		// Counts: the node's totals leave the old ancestors and join the new ones.
		if err := tx.adjustCounts(ctx, oldParent.Path, -node.Households, -node.Residents); err != nil {
			return err
		}
		if err := tx.adjustCounts(ctx, parent.Path, node.Households, node.Residents); err != nil {
			return err
		}
		if held, err := tx.dataUnder(ctx, node.Path); err != nil {
			return err
		} else if len(held) > 0 {
			return &model.ConflictError{Message: "该节点下已有" + strings.Join(held, "、") +
				"等业务数据，它们按所在位置归属和统计，移动节点会使其与新位置脱节，暂不支持移动；可在新位置新建节点，再迁移住户"}
		}
		newPath := model.ChildPath(parent.Path, node.ID)
		lo, hi := authz.PathRange(node.Path)
		for _, table := range []string{"territories", "households", "residents"} {
			if _, err := tx.exec(ctx, `UPDATE `+table+` SET path = ? || substr(path, ?) WHERE path >= ? AND path < ?`,
				newPath, len(node.Path)+1, lo, hi); err != nil {
				return err
			}
		}
		if node.Kind.Rank() > model.KindCommunity.Rank() {
			var community sql.NullInt64
			if err := tx.queryRow(ctx, `SELECT community_id FROM territories WHERE id = ?`, []any{parent.ID}, &community); err != nil {
				return err
			}
			nlo, nhi := authz.PathRange(newPath)
			for _, table := range []string{"territories", "households", "residents"} {
				if _, err := tx.exec(ctx, `UPDATE `+table+` SET community_id = ? WHERE path >= ? AND path < ?`, community, nlo, nhi); err != nil {
					return err
				}
			}
		}
		if _, err := tx.exec(ctx, `UPDATE territories SET parent_id = ?, updated_at = ? WHERE id = ?`, parent.ID, now(), node.ID); err != nil {
			return err
		}
		if err := tx.territoryEvent(ctx, sc, node.ID, "moved", oldParent.Name+" → "+parent.Name); err != nil {
			return err
		}
		t, err = tx.territory(ctx, authz.System(), node.ID)
		return err
	})
	return t, err
}

// ArchiveTerritory marks a node archived. A node that still has current households or
// unarchived children cannot be archived (model.ConflictError says why). Nothing is deleted.
func (s *Store) ArchiveTerritory(ctx context.Context, sc authz.Scope, id int64) (*model.Territory, error) {
	var t *model.Territory
	err := s.Tx(ctx, func(tx *Tx) error {
		node, err := tx.territory(ctx, sc, id)
		if err != nil {
			return err
		}
		if node.ArchivedAt != nil {
			t = node
			return nil
		}
		if node.Households > 0 {
			return &model.ConflictError{Message: fmt.Sprintf("该节点下还有%d户，请先迁出或移走后再归档", node.Households)}
		}
		var children int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM territories WHERE parent_id = ? AND archived_at IS NULL`, []any{id}, &children); err != nil {
			return err
		}
		if children > 0 {
			return &model.ConflictError{Message: fmt.Sprintf("该节点下还有%d个未归档的下级节点，请先处理", children)}
		}
		ts := now()
		if _, err := tx.exec(ctx, `UPDATE territories SET archived_at = ?, updated_at = ? WHERE id = ?`, ts, ts, id); err != nil {
			return err
		}
		if err := tx.territoryEvent(ctx, sc, id, "archived", node.Name); err != nil {
			return err
		}
		t, err = tx.territory(ctx, sc, id)
		return err
	})
	return t, err
}

// movableTables are the tables with a path that MoveTerritory carries along.
var movableTables = map[string]bool{"territories": true, "households": true, "residents": true}

// heldDataLabels names, for the error of a refused move, what the tables with a path hold; a
// table without a label is named as it is.
var heldDataLabels = map[string]string{
	"party_orgs": "党组织", "party_members": "党员", "orders": "服务订单", "votes": "投票", "units": "联建单元",
	"topics": "议题", "notices": "公告", "surveys": "问卷", "organizations": "组织", "budget_rounds": "民生微实事",
	"order_takers": "接单人", "party_activities": "党组织活动", "party_meetings": "组织生活会议",
	"order_stats": "服务订单", "party_member_counts": "党员", "unit_counts": "联建单元", "unit_activity_counts": "联建单元",
	"unit_activities": "联建单元", "unit_proposals": "联建单元", "party_org_life": "组织生活会议", "org_posts": "党组织",
	"org_files": "党组织", "org_notices": "党组织", "party_dues_payments": "党员", "party_points_entries": "党员",
	"party_candidates": "党员", "party_courses": "学习课程", "party_course_assignments": "学习课程", "party_quiz_attempts": "学习课程",
	"small_projects": "民生微实事", "list_needs": "三张清单", "list_resources": "三张清单", "list_projects": "三张清单",
	"vote_roll": "投票", "topic_follows": "议题", "notice_reads": "公告", "survey_respondents": "问卷",
}

// dataUnder lists (labelled, sorted) the tables other than movableTables that hold a row whose
// path lies in the subtree at path. The tables are read from the database's catalog, so that a
// feature's new table is covered without a list to keep.
func (c conn) dataUnder(ctx context.Context, path string) ([]string, error) {
	q := `SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'path' ORDER BY m.name`
	if c.d.name == "postgres" {
		q = `SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'path' ORDER BY table_name`
	}
	tables, err := queryAll(ctx, c, q, nil, func(r rowScanner) (string, error) {
		var t string
		return t, r.Scan(&t)
	})
	if err != nil {
		return nil, err
	}
	lo, hi := authz.PathRange(path)
	var held []string
	for _, t := range tables {
		if movableTables[t] {
			continue
		}
		var n int
		// #nosec G202 -- t is a table name read from the database's own catalog
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+t+` WHERE path >= ? AND path < ? LIMIT 1) x`, []any{lo, hi}, &n); err != nil {
			return nil, err
		}
		if n > 0 {
			label := heldDataLabels[t]
			if label == "" {
				label = t
			}
			if !slices.Contains(held, label) {
				held = append(held, label)
			}
		}
	}
	return held, nil
}

// adjustCounts adds dh households and dr residents to the node at path and all its ancestors.
// On PostgreSQL the rows are locked first in id order: the UPDATE alone locks them in the order
// its scan meets them, which moves as rows are updated, and two writers under a shared ancestor
// locking in opposite orders deadlocked (TestCountsConcurrent).
func (c conn) adjustCounts(ctx context.Context, path string, dh, dr int64) error {
	if dh == 0 && dr == 0 {
		return nil
	}
	ids := model.PathIDs(path)
	args := []any{dh, dr}
	for _, id := range ids {
		args = append(args, id)
	}
	if c.d.name == "postgres" {
		if _, err := c.exec(ctx, `SELECT id FROM territories WHERE id IN (`+inList(len(ids))+`) ORDER BY id FOR NO KEY UPDATE`, args[2:]...); err != nil {
			return err
		}
	}
	_, err := c.exec(ctx, `UPDATE territories SET households = households + ?, residents = residents + ? WHERE id IN (`+inList(len(ids))+`)`, args...)
	return err
}

// Recount recomputes every node's maintained counts from the rows, for bulk loads that skip
// per-row maintenance. It reads households and residents once, grouped by node.
func (s *Store) Recount(ctx context.Context) error {
	type idCount struct {
		id, n int64
	}
	scanCount := func(r rowScanner) (idCount, error) {
		var c idCount
		return c, r.Scan(&c.id, &c.n)
	}
	type idPath struct {
		id   int64
		path string
	}
	return s.Tx(ctx, func(tx *Tx) error {
		households, err := queryAll(ctx, tx.conn, `SELECT territory_id, COUNT(*) FROM households WHERE moved_out_at IS NULL GROUP BY territory_id`, nil, scanCount)
		if err != nil {
			return err
		}
		residents, err := queryAll(ctx, tx.conn, `SELECT r.territory_id, COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id
			WHERE h.moved_out_at IS NULL GROUP BY r.territory_id`, nil, scanCount)
		if err != nil {
			return err
		}
		nodes, err := queryAll(ctx, tx.conn, `SELECT id, path FROM territories`, nil, func(r rowScanner) (idPath, error) {
			var p idPath
			return p, r.Scan(&p.id, &p.path)
		})
		if err != nil {
			return err
		}
		direct := map[int64][2]int64{}
		for _, c := range households {
			d := direct[c.id]
			d[0] = c.n
			direct[c.id] = d
		}
		for _, c := range residents {
			d := direct[c.id]
			d[1] = c.n
			direct[c.id] = d
		}
		paths := make(map[int64]string, len(nodes))
		for _, p := range nodes {
			paths[p.id] = p.path
		}
		total := make(map[int64][2]int64, len(paths))
		for id, c := range direct {
			for _, a := range model.PathIDs(paths[id]) {
				t := total[a]
				t[0] += c[0]
				t[1] += c[1]
				total[a] = t
			}
		}
		if _, err := tx.exec(ctx, `UPDATE territories SET households = 0, residents = 0`); err != nil {
			return err
		}
		for id, t := range total {
			if _, err := tx.exec(ctx, `UPDATE territories SET households = ?, residents = ? WHERE id = ?`, t[0], t[1], id); err != nil {
				return err
			}
		}
		return nil
	})
}

// TerritoriesByID returns the nodes with the given ids that lie in the scope, keyed by id; ids
// out of scope or unknown are absent. Pages use it to label many rows (a household's building
// and stairwell) with one query instead of one per row.
func (s *Store) TerritoriesByID(ctx context.Context, sc authz.Scope, ids []int64) (map[int64]*model.Territory, error) {
	out := make(map[int64]*model.Territory, len(ids))
	c := s.reader()
	for len(ids) > 0 {
		n := min(len(ids), MaxLimit)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		rows, err := c.query(ctx, `SELECT `+territoryColumns+` FROM territories WHERE id IN (`+inList(n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			t, err := scanTerritory(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			if sc.Contains(t.Path) {
				out[t.ID] = t
			}
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if sc.UnitBound() {
		for _, t := range out {
			if err := c.unitCounts(ctx, sc, t); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
