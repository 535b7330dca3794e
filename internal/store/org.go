package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Party organizations (issue 8, item 1): a second tree whose territorial orgs are anchored to
// territory nodes and take their path, so that scope works on orgs exactly as on territory.

const orgColumns = `id, parent_id, kind, level, affinity, name, territory_id, path, community_id, status, merged_into_id, batch_id, members, created_at, updated_at, ended_at`

func scanOrg(r rowScanner) (*model.Org, error) {
	var o model.Org
	var parent, territory, community, merged, batch sql.NullInt64
	var ended sql.NullTime
	if err := r.Scan(&o.ID, &parent, &o.Kind, &o.Level, &o.Affinity, &o.Name, &territory, &o.Path, &community, &o.Status,
		&merged, &batch, &o.Members, &o.CreatedAt, &o.UpdatedAt, &ended); err != nil {
		return nil, err
	}
	o.ParentID, o.TerritoryID, o.CommunityID, o.MergedIntoID, o.BatchID = parent.Int64, territory.Int64, community.Int64, merged.Int64, batch.Int64
	if ended.Valid {
		o.EndedAt = &ended.Time
	}
	return &o, nil
}

func orgPath(o *model.Org) string { return o.Path }

// Org returns the org with id, or model.ErrNotFound when it does not exist or lies outside the
// scope.
func (s *Store) Org(ctx context.Context, sc authz.Scope, id int64) (*model.Org, error) {
	return s.reader().org(ctx, sc, id)
}

func (c conn) org(ctx context.Context, sc authz.Scope, id int64) (*model.Org, error) {
	return scopedOne(ctx, c, sc, `SELECT `+orgColumns+` FROM party_orgs WHERE id = ?`, []any{id}, scanOrg, orgPath)
}

// OrgFilter selects orgs. Under is a territory subtree (0: the whole scope).
type OrgFilter struct {
	Under       int64
	ParentID    int64 // only the direct children of this org
	Kind        model.OrgKind
	CommunityID int64
	// Ended includes merged and dissolved orgs.
	Ended  bool
	Limit  int
	Cursor string
}

// Orgs lists the orgs in the scope matching f, in tree order (by path, then id).
func (s *Store) Orgs(ctx context.Context, sc authz.Scope, f OrgFilter) (*Page[*model.Org], error) {
	c := s.reader()
	prefix, ok, err := c.subtree(ctx, sc, f.Under)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Page[*model.Org]{Total: 0}, nil
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
	if f.CommunityID != 0 {
		w.add("community_id = ?", f.CommunityID)
	}
	if !f.Ended {
		w.add("status = 'active'")
	}
	count := w.clone()
	w.afterPath(cur)
	page, err := fetchPage(ctx, c, `SELECT `+orgColumns+` FROM party_orgs WHERE `+w.sql()+` ORDER BY path, id`, w.args, clampLimit(f.Limit),
		func(r rowScanner) (*model.Org, cursor, error) {
			o, err := scanOrg(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return o, cursor{key: o.Path, id: o.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM party_orgs WHERE `+count.sql(), count.args, &page.Total); err != nil {
		return nil, err
	}
	return page, nil
}

// OrgTreeLimit bounds the orgs one chart shows at once.
const OrgTreeLimit = 5000

// OrgTree returns the active orgs in the scope under territory node under (0: the whole scope),
// in tree order, at most OrgTreeLimit of them (more is reported by truncated).
func (s *Store) OrgTree(ctx context.Context, sc authz.Scope, under int64) (orgs []*model.Org, truncated bool, err error) {
	c := s.reader()
	prefix, ok, err := c.subtree(ctx, sc, under)
	if err != nil || !ok {
		return nil, false, err
	}
	w := underPath(prefix)
	w.add("status = 'active'")
	orgs, err = queryAll(ctx, c, `SELECT `+orgColumns+` FROM party_orgs WHERE `+w.sql()+` ORDER BY path, id LIMIT `+fmt.Sprint(OrgTreeLimit+1), w.args, scanOrg)
	if err != nil {
		return nil, false, err
	}
	if len(orgs) > OrgTreeLimit {
		return orgs[:OrgTreeLimit], true, nil
	}
	return orgs, false, nil
}

// OrgChildren returns the active direct children of org id (which must lie in the scope).
func (s *Store) OrgChildren(ctx context.Context, sc authz.Scope, id int64) ([]*model.Org, error) {
	c := s.reader()
	if _, err := c.org(ctx, sc, id); err != nil {
		return nil, err
	}
	all, err := queryAll(ctx, c, `SELECT `+orgColumns+` FROM party_orgs WHERE parent_id = ? AND status = 'active' ORDER BY path, id`, []any{id}, scanOrg)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, o := range all {
		if sc.Contains(o.Path) {
			out = append(out, o)
		}
	}
	return out, nil
}

// OrgAncestors returns the org's ancestors from the top of the scope down to its parent.
func (s *Store) OrgAncestors(ctx context.Context, sc authz.Scope, o *model.Org) ([]*model.Org, error) {
	c := s.reader()
	var out []*model.Org
	for id, n := o.ParentID, 0; id != 0 && n < 16; n++ {
		p, err := c.org(ctx, authz.System(), id)
		if err != nil {
			return nil, err
		}
		if !sc.Contains(p.Path) {
			break
		}
		out = append(out, p)
		id = p.ParentID
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// CreateOrg adds an org. Bad fields, a parent or anchor of the wrong kind, outside the scope or
// outside the parent's territory are reported together in one *model.ValidationError; a second
// active committee or branch on the same node is a validation error on territory_id.
func (s *Store) CreateOrg(ctx context.Context, sc authz.Scope, in model.OrgInput) (*model.Org, error) {
	var o *model.Org
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		o, err = tx.CreateOrg(ctx, sc, in)
		return err
	})
	return o, err
}

// CreateOrg is Store.CreateOrg inside tx.
func (tx *Tx) CreateOrg(ctx context.Context, sc authz.Scope, in model.OrgInput) (*model.Org, error) {
	o, err := tx.insertOrg(ctx, sc, in, 0, "")
	if err != nil {
		return nil, err
	}
	tx.auditAt(sc, o.Path, "party_org.create", "party_org", []int64{o.ID}, o.KindLabel()+" "+o.Name)
	return o, nil
}

// insertOrg validates and writes one org with its "created" event (note adds to its detail);
// the caller records the audit. A conflict on the anchor index is a validation error.
func (tx *Tx) insertOrg(ctx context.Context, sc authz.Scope, in model.OrgInput, batch int64, note string) (*model.Org, error) {
	v := validation(in.Validate())
	var parent *model.Org
	if in.ParentID != 0 && !hasField(v, "parent_id") {
		// A territorial org's parent may lie above the caller's scope (a community's staff
		// set up its committee under the street's): the new org itself lies in the scope,
		// checked with its anchor below.
		p, err := tx.org(ctx, authz.System(), in.ParentID)
		if err == nil && !sc.Contains(p.Path) && !(in.Kind.Territorial() && sc.Path != "" && strings.HasPrefix(sc.Path, p.Path)) {
			err = model.ErrNotFound
		}
		switch {
		case errors.Is(err, model.ErrNotFound):
			v.Add("parent_id", "上级党组织不存在或不在您的管辖范围内")
		case err != nil:
			return nil, err
		case !p.Active():
			v.Add("parent_id", "上级党组织已"+p.Status.Label()+"，不能再添加下级")
		case in.Kind.Valid() && len(in.Kind.ParentKinds()) == 0:
			v.Add("parent_id", in.Kind.Label()+"是最上级组织，不设上级")
		case in.Kind.Valid() && !containsKind(in.Kind.ParentKinds(), p.Kind):
			v.Add("parent_id", fmt.Sprintf("%s不能建在%s之下", in.Kind.Label(), p.Kind.Label()))
		default:
			parent = p
		}
	} else if in.ParentID != 0 && in.Kind == model.OrgStreetCommittee {
		v.Add("parent_id", "街道大工委是最上级组织，不设上级")
	}
	path := ""
	var community sql.NullInt64
	if parent != nil {
		path, community = parent.Path, sql.NullInt64{Int64: parent.CommunityID, Valid: parent.CommunityID != 0}
	}
	if in.Kind.Territorial() && in.TerritoryID != 0 {
		t, err := tx.territory(ctx, sc, in.TerritoryID)
		switch {
		case errors.Is(err, model.ErrNotFound):
			v.Add("territory_id", "所选节点不存在或不在您的管辖范围内")
		case err != nil:
			return nil, err
		case t.ArchivedAt != nil:
			v.Add("territory_id", "所选节点已归档")
		case !containsTerritoryKind(in.Kind.AnchorKinds(), t.Kind):
			v.Add("territory_id", fmt.Sprintf("%s应建在%s上，所选节点是%s", in.Kind.Label(), anchorNames(in.Kind), t.Kind.Label()))
		case parent != nil && !(authz.Scope{Path: parent.Path}).Contains(t.Path):
			v.Add("territory_id", fmt.Sprintf("所选%s不在上级组织%s的范围内", t.Kind.Label(), parent.Name))
		default:
			path = t.Path
			if err := tx.queryRow(ctx, `SELECT community_id FROM territories WHERE id = ?`, []any{t.ID}, &community); err != nil {
				return nil, err
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	ts := now()
	var parentArg, territoryArg, batchArg any
	if in.ParentID != 0 {
		parentArg = in.ParentID
	}
	if in.Kind.Territorial() {
		territoryArg = in.TerritoryID
	}
	if batch != 0 {
		batchArg = batch
	}
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO party_orgs (parent_id, kind, level, affinity, name, territory_id, path, community_id, batch_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		[]any{parentArg, string(in.Kind), string(in.Level), string(in.Affinity), in.Name, territoryArg, path, community, batchArg, ts, ts}, &id)
	if errors.Is(err, model.ErrNotFound) {
		return nil, fieldErr("territory_id", "该节点上已有"+in.Kind.Label())
	} else if err != nil {
		return nil, err
	}
	detail := in.Kind.Label() + " " + in.Name
	if note != "" {
		detail += "（" + note + "）"
	}
	if err := tx.orgEvent(ctx, sc, id, "created", detail); err != nil {
		return nil, err
	}
	return tx.org(ctx, authz.System(), id)
}

func containsKind(ks []model.OrgKind, k model.OrgKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func containsTerritoryKind(ks []model.TerritoryKind, k model.TerritoryKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func anchorNames(k model.OrgKind) string {
	var names []string
	for _, a := range k.AnchorKinds() {
		names = append(names, a.Label())
	}
	return strings.Join(names, "或")
}

// orgEvent records one entry of an org's history (the audit record is the caller's).
func (tx *Tx) orgEvent(ctx context.Context, sc authz.Scope, id int64, action, detail string) error {
	var actor any
	if sc.UserID != 0 {
		actor = sc.UserID
	}
	_, err := tx.exec(ctx, `INSERT INTO party_org_events (org_id, action, detail, actor_id, at) VALUES (?, ?, ?, ?, ?)`,
		id, action, detail, actor, now())
	return err
}

// activeOrg reads org id in the scope for a write: a merged or dissolved org is a ConflictError.
func (tx *Tx) activeOrg(ctx context.Context, sc authz.Scope, id int64) (*model.Org, error) {
	o, err := tx.org(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if !o.Active() {
		return nil, &model.ConflictError{Message: o.Name + "已" + o.Status.Label() + "，不能再修改"}
	}
	return o, nil
}

// RenameOrg changes an org's name and records the old one.
func (s *Store) RenameOrg(ctx context.Context, sc authz.Scope, id int64, name string) (*model.Org, error) {
	var o *model.Org
	err := s.Tx(ctx, func(tx *Tx) error {
		old, err := tx.activeOrg(ctx, sc, id)
		if err != nil {
			return err
		}
		if err := model.ValidateOrgName(name); err != nil {
			return err
		}
		name = strings.TrimSpace(name)
		if name == old.Name {
			o = old
			return nil
		}
		if _, err := tx.exec(ctx, `UPDATE party_orgs SET name = ?, updated_at = ? WHERE id = ?`, name, now(), id); err != nil {
			return err
		}
		detail := old.Name + " → " + name
		if err := tx.orgEvent(ctx, sc, id, "renamed", detail); err != nil {
			return err
		}
		tx.auditAt(sc, old.Path, "party_org.rename", "party_org", []int64{id}, detail)
		o, err = tx.org(ctx, sc, id)
		return err
	})
	return o, err
}

// MergeOrg merges org id into org into: both active, of the same kind, in the same community
// (committees are not merged). The merged org's active children, registered members and
// functional memberships move to into; its posts end. Nothing is deleted.
func (s *Store) MergeOrg(ctx context.Context, sc authz.Scope, id, into int64) (*model.Org, error) {
	var o *model.Org
	err := s.Tx(ctx, func(tx *Tx) error {
		if id == into {
			return fieldErr("into_id", "不能把组织合并到它自己")
		}
		src, err := tx.activeOrg(ctx, sc, id)
		if err != nil {
			return err
		}
		dst, err := tx.org(ctx, sc, into)
		switch {
		case errors.Is(err, model.ErrNotFound):
			return fieldErr("into_id", "合并目标不存在或不在您的管辖范围内")
		case err != nil:
			return err
		case !dst.Active():
			return fieldErr("into_id", "合并目标已"+dst.Status.Label())
		case src.Kind.Committee():
			return fieldErr("into_id", "党委不能合并；请撤销后由上级重新组建")
		case src.Kind != dst.Kind:
			return fieldErr("into_id", fmt.Sprintf("只能合并同类组织：%s不能并入%s", src.Kind.Label(), dst.Kind.Label()))
		case src.CommunityID != dst.CommunityID:
			return fieldErr("into_id", "不能跨社区合并组织")
		}
		if below, err := tx.isDescendant(ctx, dst.ID, src.ID); err != nil {
			return err
		} else if below {
			return fieldErr("into_id", "不能把组织合并到它自己的下级组织")
		}
		ts := now()
		if _, err := tx.exec(ctx, `UPDATE party_orgs SET status = 'merged', merged_into_id = ?, ended_at = ?, updated_at = ? WHERE id = ? AND status = 'active'`, dst.ID, ts, ts, src.ID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE party_orgs SET parent_id = ?, updated_at = ? WHERE parent_id = ? AND status = 'active'`, dst.ID, ts, src.ID); err != nil {
			return err
		}
		// Functional orgs take their parent's path.
		if _, err := tx.exec(ctx, `UPDATE party_orgs SET path = ? WHERE parent_id = ? AND kind = 'functional_group' AND status = 'active'`, dst.Path, dst.ID); err != nil {
			return err
		}
		var community any
		if dst.CommunityID != 0 {
			community = dst.CommunityID
		}
		if err := tx.memberCountsMove(ctx, dst.Path, "org_id = ? AND left_on IS NULL", src.ID); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE party_members SET org_id = ?, path = ?, community_id = ?, updated_at = ? WHERE org_id = ? AND left_on IS NULL`, dst.ID, dst.Path, community, ts, src.ID)
		if err != nil {
			return err
		}
		moved, _ := res.RowsAffected()
		if _, err := tx.exec(ctx, `UPDATE party_org_members SET org_id = ? WHERE org_id = ? AND member_id NOT IN (SELECT member_id FROM party_org_members WHERE org_id = ?)`, dst.ID, src.ID, dst.ID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE party_posts SET ended_at = ? WHERE org_id = ? AND ended_at IS NULL`, ts, src.ID); err != nil {
			return err
		}
		if moved > 0 {
			if _, err := tx.exec(ctx, `UPDATE party_orgs SET members = members + ? WHERE id = ?`, moved, dst.ID); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `UPDATE party_orgs SET members = 0 WHERE id = ?`, src.ID); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("%s 并入 %s（转入党员%d名）", src.Name, dst.Name, moved)
		if err := tx.orgEvent(ctx, sc, src.ID, "merged", detail); err != nil {
			return err
		}
		if err := tx.orgEvent(ctx, sc, dst.ID, "merged_in", detail); err != nil {
			return err
		}
		tx.auditAt(sc, src.Path, "party_org.merge", "party_org", []int64{src.ID, dst.ID}, detail)
		// The merged org leaves the compliance; the functional orgs moved under dst take its path.
		if err := tx.refreshOrgLifeOf(ctx, ts, `SELECT id FROM party_orgs WHERE id = ? OR (parent_id = ? AND kind = 'functional_group')`, src.ID, dst.ID); err != nil {
			return err
		}
		o, err = tx.org(ctx, sc, dst.ID)
		return err
	})
	return o, err
}

// isDescendant reports whether org id lies below org ancestor.
func (c conn) isDescendant(ctx context.Context, id, ancestor int64) (bool, error) {
	for n := 0; id != 0 && n < 16; n++ {
		var parent sql.NullInt64
		if err := c.queryRow(ctx, `SELECT parent_id FROM party_orgs WHERE id = ?`, []any{id}, &parent); err != nil {
			return false, err
		}
		if parent.Int64 == ancestor {
			return true, nil
		}
		id = parent.Int64
	}
	return false, nil
}

// DissolveOrg dissolves an active org that has no active children and no current registered
// members (ConflictError otherwise; dissolving twice is one too). Its posts end.
func (s *Store) DissolveOrg(ctx context.Context, sc authz.Scope, id int64, reason string) (*model.Org, error) {
	var o *model.Org
	err := s.Tx(ctx, func(tx *Tx) error {
		old, err := tx.org(ctx, sc, id)
		if err != nil {
			return err
		}
		if !old.Active() {
			return &model.ConflictError{Message: old.Name + "已" + old.Status.Label() + "，不能再撤销"}
		}
		var children, members int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM party_orgs WHERE parent_id = ? AND status = 'active'`, []any{id}, &children); err != nil {
			return err
		}
		if children > 0 {
			return &model.ConflictError{Message: fmt.Sprintf("%s下还有%d个下级组织，请先合并或撤销它们", old.Name, children)}
		}
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM party_members WHERE org_id = ? AND left_on IS NULL`, []any{id}, &members); err != nil {
			return err
		}
		if members > 0 {
			return &model.ConflictError{Message: fmt.Sprintf("%s还有%d名党员，请先转接组织关系或合并到其他组织", old.Name, members)}
		}
		reason = strings.TrimSpace(reason)
		if len([]rune(reason)) > 200 {
			return fieldErr("reason", "撤销原因不能超过200个字")
		}
		ts := now()
		res, err := tx.exec(ctx, `UPDATE party_orgs SET status = 'dissolved', ended_at = ?, updated_at = ? WHERE id = ? AND status = 'active'`, ts, ts, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: old.Name + "已被撤销或合并"}
		}
		if _, err := tx.exec(ctx, `UPDATE party_posts SET ended_at = ? WHERE org_id = ? AND ended_at IS NULL`, ts, id); err != nil {
			return err
		}
		if err := tx.refreshOrgLife(ctx, ts, []int64{id}); err != nil { // a dissolved org leaves the compliance
			return err
		}
		detail := old.Name
		if reason != "" {
			detail += "：" + reason
		}
		if err := tx.orgEvent(ctx, sc, id, "dissolved", detail); err != nil {
			return err
		}
		tx.auditAt(sc, old.Path, "party_org.dissolve", "party_org", []int64{id}, detail)
		o, err = tx.org(ctx, sc, id)
		return err
	})
	return o, err
}

// OrgEvents returns an org's history, newest first.
func (s *Store) OrgEvents(ctx context.Context, sc authz.Scope, id int64) ([]model.OrgEvent, error) {
	c := s.reader()
	if _, err := c.org(ctx, sc, id); err != nil {
		return nil, err
	}
	return queryAll(ctx, c, `SELECT id, org_id, action, detail, actor_id, at FROM party_org_events WHERE org_id = ? ORDER BY id DESC LIMIT 200`, []any{id},
		func(r rowScanner) (model.OrgEvent, error) {
			var e model.OrgEvent
			var actor sql.NullInt64
			err := r.Scan(&e.ID, &e.OrgID, &e.Action, &e.Detail, &actor, &e.At)
			e.ActorID = actor.Int64
			return e, err
		})
}

// isForeignKey reports whether err is a foreign-key violation on either engine.
func isForeignKey(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return true
	}
	var sqErr *sqlite.Error
	return errors.As(err, &sqErr) && sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
