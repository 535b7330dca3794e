package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The projects list of the three lists (三张清单): a need matched with a resource (ProposeProject,
// from the matching page), approved or rejected by the community's staff, then started, done or
// cancelled (model.ProjectTransition), with milestones. Every change is one conditional UPDATE
// on the status the caller read, so two approvals racing on one project have exactly one effect
// (the other a *model.ConflictError); the history records who, when and why.
//
// Who sees what: staff and grid leaders read every project of their subtree and work them;
// approving and rejecting is the staff's (community staff and administrators: the community
// decides). Members, residents and unit leaders read the projects of their community (the
// community of their scope's node) once approved (approved, in progress, done), as public
// disclosure of what the community does with its
// partners; proposals, rejections and cancellations are the office's and are model.ErrNotFound
// to them.

const projectColumns = `p.id, p.community_id, p.territory_id, COALESCE(t.name, ''), p.path, p.need_id, n.title, p.resource_id, r.title,
	COALESCE(o.name, pm.name, ''), p.title, p.owner, p.starts_on, p.status, COALESCE(pu.display_name, ''), COALESCE(au.display_name, ''), p.approved_at,
	p.created_at, p.updated_at, p.version`

const projectFrom = ` FROM list_projects p JOIN list_needs n ON n.id = p.need_id JOIN list_resources r ON r.id = p.resource_id
	LEFT JOIN territories t ON t.id = p.territory_id
	LEFT JOIN organizations o ON o.id = r.organization_id
	LEFT JOIN party_members pm ON pm.id = r.member_id
	LEFT JOIN users pu ON pu.id = p.proposed_by
	LEFT JOIN users au ON au.id = p.approved_by`

func scanProject(r rowScanner) (*model.Project, error) {
	var p model.Project
	var approved sql.NullTime
	if err := r.Scan(&p.ID, &p.CommunityID, &p.TerritoryID, &p.TerritoryName, &p.Path, &p.NeedID, &p.NeedTitle, &p.ResourceID, &p.ResourceTitle,
		&p.OfferedBy, &p.Title, &p.Owner, &p.StartsOn, &p.Status, &p.ProposedBy, &p.ApprovedBy, &approved,
		&p.CreatedAt, &p.UpdatedAt, &p.Version); err != nil {
		return nil, err
	}
	p.ApprovedAt = timePtr(approved)
	return &p, nil
}

// worksLists reports whether the scope's role works the lists (reads every project, proposes,
// transitions, milestones): staff and grid leaders.
func worksLists(sc authz.Scope) bool { return sc.All || dispatcherRole(sc.Role) }

// approvesProjects reports whether the scope's role approves and rejects projects: the staff
// (administrators and community staff), not grid leaders.
func approvesProjects(sc authz.Scope) bool {
	return sc.All || dispatcherRole(sc.Role) && sc.Role != model.RoleGridLeader
}

// Project returns the project with id with its milestones and history, or model.ErrNotFound
// when it does not exist, lies outside the scope, or is not yet public to a caller who does not
// work the lists.
func (s *Store) Project(ctx context.Context, sc authz.Scope, id int64) (*model.Project, error) {
	c := s.reader()
	p, err := c.project(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if p.Milestones, err = c.milestones(ctx, id); err != nil {
		return nil, err
	}
	p.History, err = queryAll(ctx, c, `SELECT action, from_status, to_status, actor_name, reason, at FROM list_project_events WHERE project_id = ? ORDER BY id`,
		[]any{id}, func(r rowScanner) (model.ProjectEvent, error) {
			var e model.ProjectEvent
			return e, r.Scan(&e.Action, &e.From, &e.To, &e.Actor, &e.Reason, &e.At)
		})
	return p, err
}

func (c conn) project(ctx context.Context, sc authz.Scope, id int64) (*model.Project, error) {
	if !worksLists(sc) {
		community, err := c.publicReach(ctx, sc)
		if err != nil {
			return nil, err
		}
		p, err := queryOne(ctx, c, `SELECT `+projectColumns+projectFrom+` WHERE p.id = ? AND p.community_id = ?`, []any{id, community}, scanProject)
		if err != nil {
			return nil, err
		}
		if !p.Status.Public() {
			return nil, model.ErrNotFound
		}
		return p, nil
	}
	p, err := scopedOne(ctx, c, sc, `SELECT `+projectColumns+projectFrom+` WHERE p.id = ?`, []any{id}, scanProject, func(p *model.Project) string { return p.Path })
	if err != nil {
		return nil, err
	}
	if !worksLists(sc) && !p.Status.Public() {
		return nil, model.ErrNotFound
	}
	return p, nil
}

// publicReach is the community whose approved projects a caller who does not work the lists
// reads: the community of its scope's node (0: none). Members and residents see the projects of
// their whole community, not only of the node their account is scoped to.
func (c conn) publicReach(ctx context.Context, sc authz.Scope) (int64, error) {
	parts := strings.Split(strings.Trim(sc.Path, "/"), "/")
	id, err := strconv.ParseInt(parts[len(parts)-1], 10, 64)
	if err != nil {
		return 0, nil
	}
	var community sql.NullInt64
	if err := c.queryRow(ctx, `SELECT community_id FROM territories WHERE id = ?`, []any{id}, &community); err != nil && !isNotFound(err) {
		return 0, err
	}
	return community.Int64, nil
}

func (c conn) milestones(ctx context.Context, project int64) ([]*model.Milestone, error) {
	return queryAll(ctx, c, `SELECT id, title, due_on, done_at, done_by_name FROM list_project_milestones WHERE project_id = ? ORDER BY due_on, id`,
		[]any{project}, func(r rowScanner) (*model.Milestone, error) {
			var m model.Milestone
			var done sql.NullTime
			if err := r.Scan(&m.ID, &m.Title, &m.DueOn, &done, &m.DoneBy); err != nil {
				return nil, err
			}
			m.DoneAt = timePtr(done)
			return &m, nil
		})
}

// ProjectFilter selects projects. Under is a subtree root (0: the whole scope).
type ProjectFilter struct {
	Under    int64
	Status   model.ProjectStatus // "" for every status
	Need     int64
	Resource int64
	Limit    int
	Cursor   string
}

// Projects lists the projects in the scope matching f, newest first, with their total and the
// number of milestones done (Milestones holds them all). A caller who does not work the lists
// sees the public ones only. An unknown status is a *model.ValidationError.
func (s *Store) Projects(ctx context.Context, sc authz.Scope, f ProjectFilter) (*Page[*model.Project], error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, fieldErr("status", "状态应为 proposed、approved、in_progress、done、rejected 或 cancelled")
	}
	c := s.reader()
	var w filter
	if worksLists(sc) {
		prefix, ok, err := c.subtree(ctx, sc, f.Under)
		if err != nil {
			return nil, err
		}
		if !ok {
			return &Page[*model.Project]{}, nil
		}
		lo, hi := authz.PathRange(prefix)
		w = filter{where: []string{"p.path >= ?", "p.path < ?"}, args: []any{lo, hi}}
	} else {
		community, err := c.publicReach(ctx, sc)
		if err != nil {
			return nil, err
		}
		w.add("p.community_id = ?", community)
		w.add("p.status IN ('approved', 'in_progress', 'done')")
		if f.Under != 0 {
			var path string
			if err := c.queryRow(ctx, `SELECT path FROM territories WHERE id = ? AND community_id = ?`, []any{f.Under, community}, &path); err != nil {
				return nil, err
			}
			lo, hi := authz.PathRange(path)
			w.add("p.path >= ? AND p.path < ?", lo, hi)
		}
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	if f.Status != "" {
		w.add("p.status = ?", string(f.Status))
	}
	if f.Need != 0 {
		w.add("p.need_id = ?", f.Need)
	}
	if f.Resource != 0 {
		w.add("p.resource_id = ?", f.Resource)
	}
	count := w.clone()
	if cur.id != 0 {
		w.add("p.id < ?", cur.id)
	}
	page, err := fetchPage(ctx, c, `SELECT `+projectColumns+projectFrom+` WHERE `+w.sql()+` ORDER BY p.id DESC`, w.args, clampLimit(f.Limit),
		func(r rowScanner) (*model.Project, cursor, error) {
			p, err := scanProject(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return p, cursor{key: "p", id: p.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	for _, p := range page.Items {
		if p.Milestones, err = c.milestones(ctx, p.ID); err != nil {
			return nil, err
		}
	}
	err = c.queryRow(ctx, `SELECT COUNT(*) FROM list_projects p WHERE `+count.sql(), count.args, &page.Total)
	return page, err
}

// ProposeProject matches a need with a resource: a proposed project at the need's place,
// waiting for the community's approval. Bad fields, a need or resource outside the scope, a
// closed need, a withdrawn resource and a resource of another community than the need's are
// reported together in one *model.ValidationError; the same pair already in a live project is
// a *model.ConflictError (the unique index decides, so two staff matching it at once create
// one project).
func (s *Store) ProposeProject(ctx context.Context, sc authz.Scope, in model.ProjectInput) (*model.Project, error) {
	var p *model.Project
	err := s.Tx(ctx, func(tx *Tx) error {
		starts, verr := in.Validate()
		v := validation(verr)
		var n *model.Need
		if in.NeedID > 0 {
			var err error
			n, err = tx.need(ctx, sc, in.NeedID)
			switch {
			case errors.Is(err, model.ErrNotFound):
				v.Add("need_id", "需求不存在或不在您的管辖范围内")
				n = nil
			case err != nil:
				return err
			case n.Status == model.NeedClosed:
				v.Add("need_id", "该需求已关闭，不能再对接")
			}
		}
		if in.ResourceID > 0 {
			r, err := tx.resource(ctx, sc, in.ResourceID)
			switch {
			case errors.Is(err, model.ErrNotFound):
				v.Add("resource_id", "资源不存在或不在您的管辖范围内")
			case err != nil:
				return err
			case r.Status != model.ResourceAvailable:
				v.Add("resource_id", "该资源已撤回，不能对接")
			case n != nil && r.CommunityID != n.CommunityID:
				v.Add("resource_id", "资源与需求不在同一社区：项目只能对接本社区的需求和资源")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		ts := tx.s.now()
		var id int64
		err := tx.queryRow(ctx, `INSERT INTO list_projects (community_id, territory_id, path, need_id, resource_id, title, owner, starts_on, status, proposed_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?, ?, ?) RETURNING id`,
			[]any{n.CommunityID, n.TerritoryID, n.Path, n.ID, in.ResourceID, in.Title, in.Owner, starts, nullID(sc.UserID), ts, ts}, &id)
		if isConflict(err) {
			return &model.ConflictError{Message: "这项需求已与该资源对接，项目正在审批或实施中"}
		} else if err != nil {
			return err
		}
		if err := tx.projectEvent(ctx, sc, id, n.CommunityID, "propose", "", model.ProjectProposed, in.Reason); err != nil {
			return err
		}
		tx.auditAt(sc, n.Path, "project.proposed", "project", []int64{id}, in.Title)
		p, err = tx.project(ctx, sc, id)
		return err
	})
	return p, err
}

func (tx *Tx) projectEvent(ctx context.Context, sc authz.Scope, id, community int64, action string, from, to model.ProjectStatus, reason string) error {
	name, err := tx.callerName(ctx, sc)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO list_project_events (project_id, community_id, action, from_status, to_status, reason, actor_id, actor_name, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, community, action, string(from), string(to), clip(reason, 500), nullID(sc.UserID), name, tx.s.now())
	return err
}

// TransitionProject applies one transition (model.ProjectTransition) to the project with id.
// The change is one conditional UPDATE on the status read: when another request changed the
// project first (a second approval at the same moment), this one is a *model.ConflictError and
// changes nothing. Approving marks the need matched; completing closes it; rejecting or
// cancelling reopens a matched need that no other approved project holds. Errors: model.
// ErrNotFound (outside the scope), *model.ValidationError (unknown action, no reason to reject
// or cancel), *model.ConflictError (not allowed from the status), *model.ForbiddenError (a grid
// leader approving).
func (s *Store) TransitionProject(ctx context.Context, sc authz.Scope, id int64, in model.ProjectTransitionInput) (*model.Project, error) {
	if !worksLists(sc) {
		return nil, model.ErrForbidden
	}
	var p *model.Project
	err := s.Tx(ctx, func(tx *Tx) error {
		old, err := tx.project(ctx, sc, id)
		if err != nil {
			return err
		}
		to, err := model.ProjectTransition(old.Status, in.Action, approvesProjects(sc))
		if err != nil {
			return err
		}
		if err := in.Validate(); err != nil {
			return err
		}
		ts := tx.s.now()
		set, args := "status = ?, updated_at = ?, version = version + 1", []any{string(to), ts}
		if in.Action == model.ProjectApprove {
			set += ", approved_by = ?, approved_at = ?"
			args = append(args, nullID(sc.UserID), ts)
		}
		res, err := tx.exec(ctx, `UPDATE list_projects SET `+set+` WHERE id = ? AND status = ?`, append(args, id, string(old.Status))...)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return &model.ConflictError{Message: "项目刚被他人处理过（" + in.Action.Label() + "未执行），请刷新后查看"}
		}
		switch in.Action {
		case model.ProjectApprove:
			_, err = tx.exec(ctx, `UPDATE list_needs SET status = 'matched', updated_at = ? WHERE id = ? AND status = 'open'`, ts, old.NeedID)
		case model.ProjectComplete:
			_, err = tx.exec(ctx, `UPDATE list_needs SET status = 'closed', updated_at = ? WHERE id = ? AND status <> 'closed'`, ts, old.NeedID)
		case model.ProjectReject, model.ProjectCancel:
			_, err = tx.exec(ctx, `UPDATE list_needs SET status = 'open', updated_at = ? WHERE id = ? AND status = 'matched'
				AND NOT EXISTS (SELECT 1 FROM list_projects x WHERE x.need_id = ? AND x.status IN ('approved', 'in_progress', 'done'))`, ts, old.NeedID, old.NeedID)
		}
		if err != nil {
			return err
		}
		if err := tx.projectEvent(ctx, sc, id, old.CommunityID, string(in.Action), old.Status, to, in.Reason); err != nil {
			return err
		}
		tx.auditAt(sc, old.Path, "project."+string(in.Action), "project", []int64{id}, in.Reason)
		p, err = tx.project(ctx, sc, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Project(ctx, sc, p.ID)
}

// AddMilestone adds a milestone to a project that is not over (proposed, approved or in
// progress): a *model.ValidationError for a bad title or a due date before the project's start,
// a *model.ConflictError for a project that is over.
func (s *Store) AddMilestone(ctx context.Context, sc authz.Scope, projectID int64, in model.MilestoneInput) (*model.Project, error) {
	if !worksLists(sc) {
		return nil, model.ErrForbidden
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		p, err := tx.project(ctx, sc, projectID)
		if err != nil {
			return err
		}
		if !p.Status.Live() {
			return &model.ConflictError{Message: "项目" + p.Status.Label() + "，不能再添加里程碑"}
		}
		due, err := in.Validate(p.StartsOn)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO list_project_milestones (project_id, community_id, title, due_on, created_at) VALUES (?, ?, ?, ?, ?)`,
			projectID, p.CommunityID, in.Title, due, tx.s.now()); err != nil {
			return err
		}
		return tx.projectEvent(ctx, sc, projectID, p.CommunityID, "milestone", "", "", "新增里程碑："+in.Title+"（期限 "+due.Format(time.DateOnly)+"）")
	})
	if err != nil {
		return nil, err
	}
	return s.Project(ctx, sc, projectID)
}

// TickMilestone marks a milestone of an approved or in-progress project done, once: the
// conditional UPDATE decides, so a second tick (or two at once) is a *model.ConflictError for
// all but the first. A project not yet approved or over is a *model.ConflictError; a milestone
// of another project model.ErrNotFound.
func (s *Store) TickMilestone(ctx context.Context, sc authz.Scope, projectID, milestoneID int64) (*model.Project, error) {
	if !worksLists(sc) {
		return nil, model.ErrForbidden
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		p, err := tx.project(ctx, sc, projectID)
		if err != nil {
			return err
		}
		var title string
		if err := tx.queryRow(ctx, `SELECT title FROM list_project_milestones WHERE id = ? AND project_id = ?`, []any{milestoneID, projectID}, &title); err != nil {
			return err
		}
		if p.Status != model.ProjectApproved && p.Status != model.ProjectInProgress {
			return &model.ConflictError{Message: "项目" + p.Status.Label() + "：批准后、完成前才能勾选里程碑"}
		}
		name, err := tx.callerName(ctx, sc)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE list_project_milestones SET done_at = ?, done_by = ?, done_by_name = ? WHERE id = ? AND project_id = ? AND done_at IS NULL`,
			tx.s.now(), nullID(sc.UserID), name, milestoneID, projectID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return &model.ConflictError{Message: "里程碑“" + title + "”已经完成"}
		}
		return tx.projectEvent(ctx, sc, projectID, p.CommunityID, "milestone", "", "", "完成里程碑："+title)
	})
	if err != nil {
		return nil, err
	}
	return s.Project(ctx, sc, projectID)
}
