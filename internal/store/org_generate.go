package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The two generators a community secretary runs: "one branch per grid" and "2–3 groups per
// branch, by building or by compound". PlanOrgs previews (nothing written); RunGenerator writes
// the same plan in one transaction under a batch; UndoOrgBatch removes a batch as one step while
// nothing references its orgs.

// generatorCommunity reads the community node id in the scope and its active community committee.
func (c conn) generatorCommunity(ctx context.Context, sc authz.Scope, communityID int64) (*model.Territory, *model.Org, error) {
	t, err := c.territory(ctx, sc, communityID)
	if err != nil {
		return nil, nil, err
	}
	if t.Kind != model.KindCommunity {
		return nil, nil, fieldErr("community_id", "生成器只能在社区上运行，所选节点是"+t.Kind.Label())
	}
	committee, err := queryOne(ctx, c, `SELECT `+orgColumns+` FROM party_orgs WHERE territory_id = ? AND kind = 'community_committee' AND status = 'active'`, []any{t.ID}, scanOrg)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil, &model.ConflictError{Message: t.Name + "还没有社区大党委，请先建立社区大党委"}
	}
	return t, committee, err
}

// PlanOrgs returns what generator gen would create in community communityID now, writing nothing.
func (s *Store) PlanOrgs(ctx context.Context, sc authz.Scope, communityID int64, gen model.GeneratorKind) ([]model.PlannedOrg, error) {
	if !gen.Valid() {
		return nil, fieldErr("generator", "请选择生成方式：一网格一支部，或每支部按楼栋/按小区建2–3个党小组")
	}
	c := s.reader()
	t, committee, err := c.generatorCommunity(ctx, sc, communityID)
	if err != nil {
		return nil, err
	}
	return c.planOrgs(ctx, t, committee, gen)
}

type genAnchor struct {
	id         int64
	name       string
	parentName string
	households int64
}

func (c conn) planOrgs(ctx context.Context, t *model.Territory, committee *model.Org, gen model.GeneratorKind) ([]model.PlannedOrg, error) {
	lo, hi := authz.PathRange(t.Path)
	if gen == model.GenBranches {
		grids, err := queryAll(ctx, c, `SELECT t.id, t.name FROM territories t WHERE t.path >= ? AND t.path < ? AND t.kind = 'grid' AND t.archived_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM party_orgs o WHERE o.territory_id = t.id AND o.kind = 'grid_branch' AND o.status = 'active')
			ORDER BY `+childOrder, []any{lo, hi}, func(r rowScanner) (genAnchor, error) {
			var a genAnchor
			return a, r.Scan(&a.id, &a.name)
		})
		if err != nil {
			return nil, err
		}
		out := make([]model.PlannedOrg, 0, len(grids))
		for _, g := range grids {
			out = append(out, model.PlannedOrg{Kind: model.OrgGridBranch, Name: g.name + "党支部", ParentID: committee.ID, ParentName: committee.Name, TerritoryID: g.id})
		}
		return out, nil
	}
	// Groups: for each active branch of the community that has no active group yet.
	type branch struct {
		id, grid   int64
		name, path string
		households int64
	}
	branches, err := queryAll(ctx, c, `SELECT o.id, o.name, t.id, t.path, t.households FROM party_orgs o JOIN territories t ON t.id = o.territory_id
		WHERE o.community_id = ? AND o.kind = 'grid_branch' AND o.status = 'active'
		AND NOT EXISTS (SELECT 1 FROM party_orgs g WHERE g.parent_id = o.id AND g.kind = 'building_group' AND g.status = 'active')
		ORDER BY o.path, o.id`, []any{t.ID}, func(r rowScanner) (branch, error) {
		var b branch
		return b, r.Scan(&b.id, &b.name, &b.grid, &b.path, &b.households)
	})
	if err != nil {
		return nil, err
	}
	kind := "compound"
	if gen == model.GenGroupsBuilding {
		kind = "building"
	}
	var out []model.PlannedOrg
	for _, b := range branches {
		blo, bhi := authz.PathRange(b.path)
		anchors, err := queryAll(ctx, c, `SELECT n.id, n.name, p.name, n.households FROM territories n JOIN territories p ON p.id = n.parent_id
			WHERE n.path >= ? AND n.path < ? AND n.kind = ? AND n.archived_at IS NULL ORDER BY n.households DESC, n.id LIMIT 3`,
			[]any{blo, bhi, kind}, func(r rowScanner) (genAnchor, error) {
				var a genAnchor
				return a, r.Scan(&a.id, &a.name, &a.parentName, &a.households)
			})
		if err != nil {
			return nil, err
		}
		// Three groups for a grid of 400 households or more, two below: the document's 2–3.
		n := 2
		if b.households >= 400 {
			n = 3
		}
		anchors = anchors[:min(n, len(anchors))]
		for _, a := range anchors {
			name := a.name + "党小组"
			if kind == "building" {
				name = a.parentName + a.name + "党小组"
			}
			out = append(out, model.PlannedOrg{Kind: model.OrgBuildingGroup, Name: name, ParentID: b.id, ParentName: b.name, TerritoryID: a.id})
		}
	}
	return out, nil
}

// RunGenerator writes what PlanOrgs shows, as it stands when the transaction runs, under a new
// batch, in one transaction. Runs on one community are serialized on its committee's row, and
// the anchor index decides anyway: two confirms at once create each branch once. A plan with
// nothing left to create is a ConflictError.
func (s *Store) RunGenerator(ctx context.Context, sc authz.Scope, communityID int64, gen model.GeneratorKind) (*model.OrgBatch, error) {
	if !gen.Valid() {
		return nil, fieldErr("generator", "请选择生成方式：一网格一支部，或每支部按楼栋/按小区建2–3个党小组")
	}
	var batch *model.OrgBatch
	err := s.Tx(ctx, func(tx *Tx) error {
		t, committee, err := tx.generatorCommunity(ctx, sc, communityID)
		if err != nil {
			return err
		}
		// Take the community's generator lock: the committee's row.
		if _, err := tx.exec(ctx, `UPDATE party_orgs SET updated_at = updated_at WHERE id = ?`, committee.ID); err != nil {
			return err
		}
		plan, err := tx.planOrgs(ctx, t, committee, gen)
		if err != nil {
			return err
		}
		if len(plan) == 0 {
			return &model.ConflictError{Message: nothingToGenerate(gen)}
		}
		var createdBy any
		if sc.UserID != 0 {
			createdBy = sc.UserID
		}
		ts := now()
		b := &model.OrgBatch{CommunityID: t.ID, Generator: gen, CreatedBy: sc.UserID, CreatedAt: ts}
		if err := tx.queryRow(ctx, `INSERT INTO party_org_batches (community_id, generator, created_by, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			[]any{t.ID, string(gen), createdBy, ts}, &b.ID); err != nil {
			return err
		}
		var ids []int64
		for _, p := range plan {
			o, err := tx.insertOrg(ctx, sc, model.OrgInput{ParentID: p.ParentID, Kind: p.Kind, Name: p.Name, TerritoryID: p.TerritoryID}, b.ID, "由「"+gen.Label()+"」生成")
			var v *model.ValidationError
			if errors.As(err, &v) && hasField(v, "territory_id") {
				continue // created meanwhile by another run: the anchor index said so
			} else if err != nil {
				return err
			}
			ids = append(ids, o.ID)
		}
		if len(ids) == 0 {
			return &model.ConflictError{Message: nothingToGenerate(gen)}
		}
		b.Orgs = len(ids)
		if _, err := tx.exec(ctx, `UPDATE party_org_batches SET orgs = ? WHERE id = ?`, b.Orgs, b.ID); err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "party_org.generate", "party_org", ids, fmt.Sprintf("%s %s：%d个组织（批次%d）", t.Name, gen.Label(), b.Orgs, b.ID))
		batch = b
		return nil
	})
	return batch, err
}

func nothingToGenerate(gen model.GeneratorKind) string {
	if gen == model.GenBranches {
		return "没有需要生成的党支部：每个网格都已有党支部"
	}
	return "没有需要生成的党小组：每个党支部都已有党小组（或支部所在网格没有可用的楼栋/小区）"
}

const batchColumns = `id, community_id, generator, orgs, created_by, created_at, undone_at`

func scanBatch(r rowScanner) (*model.OrgBatch, error) {
	var b model.OrgBatch
	var by sql.NullInt64
	var undone sql.NullTime
	if err := r.Scan(&b.ID, &b.CommunityID, &b.Generator, &b.Orgs, &by, &b.CreatedAt, &undone); err != nil {
		return nil, err
	}
	b.CreatedBy = by.Int64
	if undone.Valid {
		b.UndoneAt = &undone.Time
	}
	return &b, nil
}

// OrgBatches lists the generator runs on community communityID, newest first.
func (s *Store) OrgBatches(ctx context.Context, sc authz.Scope, communityID int64) ([]*model.OrgBatch, error) {
	c := s.reader()
	if _, err := c.territory(ctx, sc, communityID); err != nil {
		return nil, err
	}
	return queryAll(ctx, c, `SELECT `+batchColumns+` FROM party_org_batches WHERE community_id = ? ORDER BY id DESC LIMIT 50`, []any{communityID}, scanBatch)
}

// OrgBatch returns one generator run whose community lies in the scope.
func (s *Store) OrgBatch(ctx context.Context, sc authz.Scope, id int64) (*model.OrgBatch, error) {
	c := s.reader()
	b, err := queryOne(ctx, c, `SELECT `+batchColumns+` FROM party_org_batches WHERE id = ?`, []any{id}, scanBatch)
	if err != nil {
		return nil, err
	}
	if _, err := c.territory(ctx, sc, b.CommunityID); err != nil {
		return nil, err
	}
	return b, nil
}

// UndoOrgBatch removes the orgs a generator run created, as one step, while nothing references
// them (members, posts, terms, lower orgs, merges, anything else): a ConflictError says what does.
// The batch stays, marked undone, with the history in the audit log. Undoing twice is a conflict.
func (s *Store) UndoOrgBatch(ctx context.Context, sc authz.Scope, batchID int64) (*model.OrgBatch, error) {
	var out *model.OrgBatch
	err := s.Tx(ctx, func(tx *Tx) error {
		b, err := queryOne(ctx, tx.conn, `SELECT `+batchColumns+` FROM party_org_batches WHERE id = ?`, []any{batchID}, scanBatch)
		if err != nil {
			return err
		}
		t, err := tx.territory(ctx, sc, b.CommunityID)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE party_org_batches SET undone_at = ? WHERE id = ? AND undone_at IS NULL`, now(), batchID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "这次生成已经撤回过了"}
		}
		in := `(SELECT id FROM party_orgs WHERE batch_id = ?)`
		checks := []struct{ q, msg string }{
			{`SELECT COUNT(*) FROM party_orgs WHERE batch_id = ? AND status <> 'active'`, "其中%d个组织已被合并或撤销"},
			{`SELECT COUNT(*) FROM party_orgs WHERE parent_id IN ` + in + ` AND (batch_id IS NULL OR batch_id <> parent_batch)`, "已有%d个下级组织建在这些组织之下（如党小组），请先撤回或撤销它们"},
			{`SELECT COUNT(*) FROM party_members WHERE org_id IN ` + in, "已有%d名党员编入这些组织"},
			{`SELECT COUNT(*) FROM party_posts WHERE org_id IN ` + in, "这些组织已任命%d个职务"},
			{`SELECT COUNT(*) FROM party_org_terms WHERE org_id IN ` + in, "这些组织已记录%d个任期"},
			{`SELECT COUNT(*) FROM party_org_members WHERE org_id IN ` + in, "这些组织已有%d名功能型组织成员"},
			{`SELECT COUNT(*) FROM organizations WHERE party_org_id IN ` + in, "已有%d个单位登记为这些组织的党组织"},
			{`SELECT COUNT(*) FROM party_orgs WHERE merged_into_id IN ` + in, "已有%d个组织并入这些组织"},
		}
		for _, c := range checks {
			q := strings.ReplaceAll(c.q, "parent_batch", "?")
			args := []any{batchID}
			if strings.Contains(c.q, "parent_batch") {
				args = []any{batchID, batchID}
			}
			var n int
			if err := tx.queryRow(ctx, q, args, &n); err != nil {
				return err
			}
			if n > 0 {
				return &model.ConflictError{Message: "不能撤回：" + fmt.Sprintf(c.msg, n)}
			}
		}
		ids, err := queryAll(ctx, tx.conn, `SELECT id FROM party_orgs WHERE batch_id = ? ORDER BY id`, []any{batchID}, func(r rowScanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		})
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM party_org_events WHERE org_id IN `+in, batchID); err != nil {
			return err
		}
		// Anything else that references them (later features' tables) refuses the delete.
		if _, err := tx.exec(ctx, `DELETE FROM party_orgs WHERE batch_id = ?`, batchID); err != nil {
			if isForeignKey(errors.Unwrap(err)) || isForeignKey(err) {
				return &model.ConflictError{Message: "不能撤回：这些组织已被其他记录引用（如会议、活动），请先处理"}
			}
			return err
		}
		tx.auditAt(sc, t.Path, "party_org.generate_undo", "party_org", ids, fmt.Sprintf("%s 撤回「%s」批次%d：%d个组织", t.Name, b.Generator.Label(), b.ID, len(ids)))
		out, err = queryOne(ctx, tx.conn, `SELECT `+batchColumns+` FROM party_org_batches WHERE id = ?`, []any{batchID}, scanBatch)
		return err
	})
	return out, err
}
