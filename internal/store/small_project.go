package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The proposals of budget rounds (民生微实事; budget.go holds the rounds). Whoever reads a round
// reads all its proposals, the infeasible ones with their reason too (public participation);
// the proposer's name only staff who manage the round read, everyone else its role
// (model.SmallProject.ProposerLabel), never a name or a household. Reviews, transitions,
// milestones and photos are the managing staff's; every one is a conditional UPDATE on the
// status read, so of two racing one has its effect and the other is a *model.ConflictError.

const smallProjectColumns = `p.id, p.round_id, r.title, r.year, r.status, r.path, p.community_id, p.territory_id, t.name, p.path, p.title, p.description,
	COALESCE(p.proposed_by, 0), p.proposer_name, p.proposer_role, p.status, p.cost_fen, p.note, p.reviewed_by_name, p.reviewed_at,
	COALESCE(p.option_id, 0), p.approvals, p.loss_reason, p.photos, p.started_at, p.done_at, p.created_at`

const smallProjectFrom = ` FROM small_projects p JOIN budget_rounds r ON r.id = p.round_id JOIN territories t ON t.id = p.territory_id`

// smallProjectRow is a proposal as read, with what presenting it needs.
type smallProjectRow struct {
	p          *model.SmallProject
	roundPath  string
	proposedBy int64
}

func scanSmallProject(rs rowScanner) (smallProjectRow, error) {
	var p model.SmallProject
	var x smallProjectRow
	var reviewed, started, done sql.NullTime
	var approvals sql.NullInt64
	var photos int
	if err := rs.Scan(&p.ID, &p.RoundID, &p.RoundTitle, &p.RoundYear, &p.RoundStatus, &x.roundPath, &p.CommunityID, &p.TerritoryID, &p.TerritoryName, &p.Path,
		&p.Title, &p.Description, &x.proposedBy, &p.ProposerName, &p.ProposerRole, &p.Status, &p.CostFen, &p.Note, &p.ReviewedBy, &reviewed,
		&p.OptionID, &approvals, &p.LossReason, &photos, &started, &done, &p.CreatedAt); err != nil {
		return x, err
	}
	p.ReviewedAt, p.StartedAt, p.DoneAt = timePtr(reviewed), timePtr(started), timePtr(done)
	if approvals.Valid {
		n := int(approvals.Int64)
		p.Approvals = &n
	}
	p.Photos = make([]model.ActivityPhoto, photos) // numbers only until fillSmallProjects reads them
	for i := range p.Photos {
		p.Photos[i].N = i + 1
	}
	p.CreatedAt = p.CreatedAt.UTC()
	x.p = &p
	return x, nil
}

// presentProject withholds the proposer's name and reviewer from a caller who does not manage
// the round, and marks the caller's own proposal.
func (vr householder) presentProject(x smallProjectRow) *model.SmallProject {
	p := x.p
	p.Mine = vr.sc.UserID != 0 && x.proposedBy == vr.sc.UserID
	if !vr.managesBudget(x.roundPath) {
		p.ProposerName, p.ReviewedBy = "", ""
	}
	return p
}

// smallProject reads proposal id as the caller may see it (model.ErrNotFound otherwise).
func (c conn) smallProject(ctx context.Context, sc authz.Scope, id int64) (*model.SmallProject, householder, bool, error) {
	x, err := queryOne(ctx, c, `SELECT `+smallProjectColumns+smallProjectFrom+` WHERE p.id = ?`, []any{id}, scanSmallProject)
	if err != nil {
		return nil, householder{}, false, err
	}
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return nil, vr, false, err
	}
	if !vr.readsBudget(x.roundPath) {
		return nil, vr, false, model.ErrNotFound
	}
	return vr.presentProject(x), vr, vr.managesBudget(x.roundPath), nil
}

// managedProject reads proposal id for staff changing it: model.ErrNotFound when the caller may
// not see it, errNotBudgetManager when it sees but does not manage its round.
func (c conn) managedProject(ctx context.Context, sc authz.Scope, id int64) (*model.SmallProject, error) {
	if !authz.Allowed(sc.Role, authz.BudgetWrite) {
		return nil, model.ErrForbidden
	}
	p, _, manage, err := c.smallProject(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if !manage {
		return nil, errNotBudgetManager
	}
	return p, nil
}

// fillSmallProjects reads the milestones and photos of the proposals.
func (c conn) fillSmallProjects(ctx context.Context, ps []*model.SmallProject) error {
	if len(ps) == 0 {
		return nil
	}
	byID := make(map[int64]*model.SmallProject, len(ps))
	args := make([]any, 0, len(ps))
	for _, p := range ps {
		byID[p.ID] = p
		p.Milestones, p.Photos = nil, p.Photos[:0]
		args = append(args, p.ID)
	}
	if err := eachRow(ctx, c, `SELECT project_id, id, title, due_on, done_at, done_by_name FROM small_project_milestones WHERE project_id IN (`+inList(len(args))+`)
		ORDER BY project_id, due_on, id`, args, func(rs rowScanner) error {
		var pid int64
		var m model.Milestone
		var done sql.NullTime
		if err := rs.Scan(&pid, &m.ID, &m.Title, &m.DueOn, &done, &m.DoneBy); err != nil {
			return err
		}
		m.DoneAt = timePtr(done)
		byID[pid].Milestones = append(byID[pid].Milestones, &m)
		return nil
	}); err != nil {
		return err
	}
	return eachRow(ctx, c, `SELECT project_id, n, blob_id, content_type, size, width, height FROM small_project_photos WHERE project_id IN (`+inList(len(args))+`)
		ORDER BY project_id, n`, args, func(rs rowScanner) error {
		var pid int64
		var ph model.ActivityPhoto
		if err := rs.Scan(&pid, &ph.N, &ph.BlobID, &ph.ContentType, &ph.Size, &ph.Width, &ph.Height); err != nil {
			return err
		}
		byID[pid].Photos = append(byID[pid].Photos, ph)
		return nil
	})
}

// SmallProject returns proposal id with its milestones and photos as the caller may see it;
// model.ErrNotFound when it does not exist or the caller may not see its round.
func (s *Store) SmallProject(ctx context.Context, sc authz.Scope, id int64) (*model.SmallProject, error) {
	c := s.reader()
	p, _, _, err := c.smallProject(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if err := c.fillSmallProjects(ctx, []*model.SmallProject{p}); err != nil {
		return nil, err
	}
	return p, nil
}

// SmallProjectFilter narrows the proposals a caller lists.
type SmallProjectFilter struct {
	Round     int64                    // one round's (0: every round the caller reads)
	Territory int64                    // projects at that node or under it (0: anywhere)
	Status    model.SmallProjectStatus // "": all
	Limit     int
	Cursor    string
}

// SmallProjects lists the proposals the caller may see, those of the rounds it reads, newest
// first (a round's: first proposed first), with milestones and photos. An unknown status is a
// *model.ValidationError; a round the caller does not read is model.ErrNotFound.
func (s *Store) SmallProjects(ctx context.Context, sc authz.Scope, f SmallProjectFilter) (*Page[*model.SmallProject], error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, fieldErr("status", "状态应为 proposed、feasible、infeasible、won、lost、in_progress 或 done")
	}
	if !authz.Allowed(sc.Role, authz.BudgetRead) {
		return &Page[*model.SmallProject]{}, nil
	}
	c := s.reader()
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return nil, err
	}
	cond, args := vr.listWhere("r.path")
	if cond == "" {
		return &Page[*model.SmallProject]{}, nil
	}
	w := filter{where: []string{cond}, args: args}
	if err := c.underTerritory(ctx, vr, &w, "p.path", f.Territory); err != nil {
		return nil, err
	}
	order, after := "p.id DESC", "p.id < ?"
	if f.Round != 0 {
		if _, _, err := c.budgetRound(ctx, sc, f.Round); err != nil {
			return nil, err
		}
		w.add("p.round_id = ?", f.Round)
		order, after = "p.id", "p.id > ?"
	}
	if f.Status != "" {
		w.add("p.status = ?", string(f.Status))
	}
	count := w.clone()
	if cur.id != 0 {
		w.add(after, cur.id)
	}
	limit := clampLimit(f.Limit)
	rows, err := queryAll(ctx, c, `SELECT `+smallProjectColumns+smallProjectFrom+` WHERE `+w.sql()+` ORDER BY `+order+` LIMIT ?`, append(w.args, limit+1), scanSmallProject)
	if err != nil {
		return nil, err
	}
	p := &Page[*model.SmallProject]{}
	if len(rows) > limit {
		rows = rows[:limit]
		p.Next = cursor{id: rows[limit-1].p.ID}.encode()
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM small_projects p JOIN budget_rounds r ON r.id = p.round_id WHERE `+count.sql(), count.args, &p.Total); err != nil {
		return nil, err
	}
	for _, x := range rows {
		p.Items = append(p.Items, vr.presentProject(x))
	}
	if err := c.fillSmallProjects(ctx, p.Items); err != nil {
		return nil, err
	}
	return p, nil
}

// ProposeSmallProject proposes a small project in round in.RoundID: a resident, member or unit
// leader of a household in the round's community, or staff who manage it, while the round
// collects proposals, at most model.ProposalsPerProposer per account (the round's row, bumped
// first, makes proposals to one round take turns, so the count decides). A round the caller
// does not read is a *model.ValidationError on round_id, as one that does not exist; a place
// outside the community one on territory_id; a round no longer collecting, the cap reached or
// a title the round has already a *model.ConflictError.
func (s *Store) ProposeSmallProject(ctx context.Context, sc authz.Scope, in model.SmallProjectInput) (*model.SmallProject, error) {
	if !authz.Allowed(sc.Role, authz.BudgetPropose) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		r, vr, err := tx.budgetRound(ctx, sc, in.RoundID)
		if errors.Is(err, model.ErrNotFound) {
			return fieldErr("round_id", "该轮次不存在，或不在您所住或管辖的社区")
		} else if err != nil {
			return err
		}
		switch {
		case r.Status != model.RoundProposing:
			return &model.ConflictError{Message: "本轮项目征集已经结束（" + r.Status.Label() + "）"}
		case !vr.proposesIn(r.Path):
			return &model.ForbiddenError{Message: "只有本社区的居民、党员、联建单元长和社区工作人员可以提出项目"}
		}
		place := r.CommunityID
		if in.TerritoryID != 0 {
			t, err := tx.territory(ctx, authz.System(), in.TerritoryID)
			if errors.Is(err, model.ErrNotFound) || err == nil && (!strings.HasPrefix(t.Path, r.Path) || t.ArchivedAt != nil) {
				return fieldErr("territory_id", "地点应为本社区内的网格、小区或楼栋")
			} else if err != nil {
				return err
			}
			place = t.ID
		}
		res, err := tx.exec(ctx, `UPDATE budget_rounds SET proposals = proposals + 1 WHERE id = ? AND status = 'proposing'`, r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "本轮项目征集已经结束"}
		}
		if sc.UserID != 0 {
			var mine int
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM small_projects WHERE round_id = ? AND proposed_by = ?`, []any{r.ID, sc.UserID}, &mine); err != nil {
				return err
			}
			if mine >= model.ProposalsPerProposer {
				return &model.ConflictError{Message: fmt.Sprintf("每人每轮最多提出 %d 个项目，您已经提出了 %d 个", model.ProposalsPerProposer, mine)}
			}
		}
		var dup int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM small_projects WHERE round_id = ? AND title = ?`, []any{r.ID, in.Title}, &dup); err != nil {
			return err
		}
		if dup > 0 {
			return &model.ConflictError{Message: "本轮已有同名的项目“" + in.Title + "”；如是同一件事，不必重复提出"}
		}
		name, err := tx.authorName(ctx, sc.UserID)
		if err != nil {
			return err
		}
		ts := tx.s.now()
		err = tx.queryRow(ctx, `INSERT INTO small_projects (round_id, community_id, territory_id, path, title, description, proposed_by, proposer_name, proposer_role,
			status, created_at, updated_at) SELECT ?, ?, id, path, ?, ?, ?, ?, ?, 'proposed', ?, ? FROM territories WHERE id = ? RETURNING id`,
			[]any{r.ID, r.CommunityID, in.Title, in.Description, nullID(sc.UserID), name, string(sc.Role), ts, ts, place}, &id)
		if errors.Is(err, model.ErrConflict) {
			return &model.ConflictError{Message: "本轮已有同名的项目“" + in.Title + "”"}
		} else if err != nil {
			return err
		}
		tx.auditAt(sc, r.Path, "budget.propose", "small_project", []int64{id}, "round "+strconv.FormatInt(r.ID, 10))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.SmallProject(ctx, sc, id)
}

// ReviewSmallProject records staff's review of proposal id (staff who manage its round) while
// the round collects or reviews: feasible with a cost no greater than the budget, or infeasible
// with a reason. Once: a second review, or two at once, is a *model.ConflictError for all but
// the first; so is a round whose voting has opened (its row decides against the opening).
func (s *Store) ReviewSmallProject(ctx context.Context, sc authz.Scope, id int64, in model.ReviewInput) (*model.SmallProject, error) {
	err := s.Tx(ctx, func(tx *Tx) error {
		p, err := tx.managedProject(ctx, sc, id)
		if err != nil {
			return err
		}
		var budget int64
		if err := tx.queryRow(ctx, `SELECT budget_fen FROM budget_rounds WHERE id = ?`, []any{p.RoundID}, &budget); err != nil {
			return err
		}
		if err := in.Validate(budget); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE budget_rounds SET version = version + 1 WHERE id = ? AND status IN ('proposing', 'reviewing')`, p.RoundID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "本轮已开始投票、已确定或已取消，不能再审核项目"}
		}
		name, err := tx.callerName(ctx, sc)
		if err != nil {
			return err
		}
		status := model.SmallInfeasible
		if in.Feasible {
			status = model.SmallFeasible
		}
		ts := tx.s.now()
		res, err = tx.exec(ctx, `UPDATE small_projects SET status = ?, cost_fen = ?, note = ?, reviewed_by = ?, reviewed_by_name = ?, reviewed_at = ?, updated_at = ?
			WHERE id = ? AND status = 'proposed'`, string(status), in.CostFen, in.Note, nullID(sc.UserID), name, ts, ts, p.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "该项目已经审核过了（" + p.Status.Label() + "）"}
		}
		detail := string(status)
		if in.Feasible {
			detail += ", " + model.FormatYuan(in.CostFen) + " yuan"
		}
		tx.auditAt(sc, p.Path, "budget.review", "small_project", []int64{p.ID}, detail)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.SmallProject(ctx, sc, id)
}

// TransitionSmallProject starts a winner (won → in progress) or completes it (in progress →
// done): staff who manage its round. The conditional UPDATE on the status read decides, so of
// two completions at once one has its effect and the other is a *model.ConflictError.
func (s *Store) TransitionSmallProject(ctx context.Context, sc authz.Scope, id int64, action model.SmallProjectAction) (*model.SmallProject, error) {
	err := s.Tx(ctx, func(tx *Tx) error {
		p, err := tx.managedProject(ctx, sc, id)
		if err != nil {
			return err
		}
		to, err := model.SmallProjectTransition(p.Status, action)
		if err != nil {
			return err
		}
		ts := tx.s.now()
		col := "started_at"
		if to == model.SmallDone {
			col = "done_at"
		}
		res, err := tx.exec(ctx, `UPDATE small_projects SET status = ?, `+col+` = ?, updated_at = ? WHERE id = ? AND status = ?`, string(to), ts, ts, p.ID, string(p.Status))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "项目状态刚刚发生了变化，请刷新后再试"}
		}
		tx.auditAt(sc, p.Path, "budget.project."+string(action), "small_project", []int64{p.ID}, string(p.Status)+" → "+string(to))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.SmallProject(ctx, sc, id)
}

// winnerOf reads proposal id for staff carrying it out: a winner (won, in progress, done: a
// *model.ConflictError otherwise, naming what).
func (tx *Tx) winnerOf(ctx context.Context, sc authz.Scope, id int64, what string) (*model.SmallProject, error) {
	p, err := tx.managedProject(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if !p.Status.Winner() {
		return nil, &model.ConflictError{Message: "项目" + p.Status.Label() + "：只有入选的项目才能" + what}
	}
	return p, nil
}

// AddSmallProjectMilestone adds a milestone to winner id (staff who manage its round), due on
// or after the day its round was decided. A project not won, or done, is a
// *model.ConflictError.
func (s *Store) AddSmallProjectMilestone(ctx context.Context, sc authz.Scope, id int64, in model.MilestoneInput) (*model.SmallProject, error) {
	err := s.Tx(ctx, func(tx *Tx) error {
		p, err := tx.winnerOf(ctx, sc, id, "添加里程碑")
		if err != nil {
			return err
		}
		if p.Status == model.SmallDone {
			return &model.ConflictError{Message: "项目已完成，不能再添加里程碑"}
		}
		var decided sql.NullTime
		if err := tx.queryRow(ctx, `SELECT decided_at FROM budget_rounds WHERE id = ?`, []any{p.RoundID}, &decided); err != nil {
			return err
		}
		y, m, d := decided.Time.In(model.Shanghai).Date()
		due, err := in.Validate(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO small_project_milestones (project_id, community_id, title, due_on, created_at) VALUES (?, ?, ?, ?, ?)`,
			p.ID, p.CommunityID, in.Title, due, tx.s.now()); err != nil {
			return err
		}
		tx.auditAt(sc, p.Path, "budget.project.milestone", "small_project", []int64{p.ID}, in.Title+" "+due.Format(time.DateOnly))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.SmallProject(ctx, sc, id)
}

// TickSmallProjectMilestone marks milestone m of winner id done, once (the conditional UPDATE
// decides; a second tick is a *model.ConflictError). A milestone of another project is
// model.ErrNotFound.
func (s *Store) TickSmallProjectMilestone(ctx context.Context, sc authz.Scope, id, m int64) (*model.SmallProject, error) {
	err := s.Tx(ctx, func(tx *Tx) error {
		p, err := tx.winnerOf(ctx, sc, id, "勾选里程碑")
		if err != nil {
			return err
		}
		var title string
		if err := tx.queryRow(ctx, `SELECT title FROM small_project_milestones WHERE id = ? AND project_id = ?`, []any{m, p.ID}, &title); err != nil {
			return err
		}
		name, err := tx.callerName(ctx, sc)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE small_project_milestones SET done_at = ?, done_by = ?, done_by_name = ? WHERE id = ? AND project_id = ? AND done_at IS NULL`,
			tx.s.now(), nullID(sc.UserID), name, m, p.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "里程碑“" + title + "”已经完成"}
		}
		tx.auditAt(sc, p.Path, "budget.project.tick", "small_project", []int64{p.ID}, title)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.SmallProject(ctx, sc, id)
}

// AddSmallProjectPhotos adds photos (the uploaded bytes, each checked and re-encoded by
// model.CheckPhoto) to winner id (staff who manage its round), at most model.PhotosPerEntry in
// all: the counter's conditional UPDATE decides, so two uploads at once never pass the limit.
// Everything is checked before anything is written: a *model.ValidationError names every bad
// photo, and nothing is stored.
func (s *Store) AddSmallProjectPhotos(ctx context.Context, sc authz.Scope, id int64, photos [][]byte) (*model.SmallProject, error) {
	if !authz.Allowed(sc.Role, authz.BudgetWrite) {
		return nil, model.ErrForbidden
	}
	v := &model.ValidationError{}
	if len(photos) == 0 {
		v.Add("photos", "请选择要上传的照片")
	}
	checked, err := checkPhotos(v, photos)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		p, err := tx.winnerOf(ctx, sc, id, "上传照片")
		if err != nil {
			return err
		}
		k := len(checked)
		res, err := tx.exec(ctx, `UPDATE small_projects SET photos = photos + ?, updated_at = ? WHERE id = ? AND photos + ? <= ?`, k, tx.s.now(), p.ID, k, model.PhotosPerEntry)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fieldErr("photos", fmt.Sprintf("每个项目最多 %d 张照片，已有 %d 张，这次最多还能传 %d 张", model.PhotosPerEntry, len(p.Photos), max(model.PhotosPerEntry-len(p.Photos), 0)))
		}
		var count int
		if err := tx.queryRow(ctx, `SELECT photos FROM small_projects WHERE id = ?`, []any{p.ID}, &count); err != nil {
			return err
		}
		ts := tx.s.now()
		blobs := make([]Blob, len(checked))
		for i, ph := range checked {
			n := count - k + i + 1
			blobs[i] = Blob{ID: blobID("sp", ph.Data), ContentType: ph.ContentType, Size: int64(len(ph.Data)), Data: ph.Data}
			if _, err := tx.exec(ctx, `INSERT INTO small_project_photos (project_id, n, blob_id, content_type, size, width, height, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				p.ID, n, blobs[i].ID, ph.ContentType, len(ph.Data), ph.Width, ph.Height, ts); err != nil {
				return err
			}
		}
		if err := tx.storeBlobs(ctx, blobs); err != nil {
			return err
		}
		tx.auditAt(sc, p.Path, "budget.project.photos", "small_project", []int64{p.ID}, fmt.Sprintf("%d photos", k))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.SmallProject(ctx, sc, id)
}

// SmallProjectPhoto returns photo n (from 1) of proposal id and its bytes as the caller may see
// it; model.ErrNotFound when either is missing or the caller may not see the round.
func (s *Store) SmallProjectPhoto(ctx context.Context, sc authz.Scope, id int64, n int) (*model.ActivityPhoto, *Blob, error) {
	p, err := s.SmallProject(ctx, sc, id)
	if err != nil {
		return nil, nil, err
	}
	return s.projectPhoto(ctx, p, n)
}

func (s *Store) projectPhoto(ctx context.Context, p *model.SmallProject, n int) (*model.ActivityPhoto, *Blob, error) {
	if n < 1 || n > len(p.Photos) {
		return nil, nil, model.ErrNotFound
	}
	ph := p.Photos[n-1]
	b, err := s.Blobs().Get(ctx, ph.BlobID)
	if err != nil {
		return nil, nil, err
	}
	return &ph, b, nil
}

// PublicSmallProjectPhoto returns photo n of proposal id for the public disclosure page of the
// community with statistical code code: only of a winner (won, in progress, done) of a decided
// round of that community; model.ErrNotFound for anything else.
func (s *Store) PublicSmallProjectPhoto(ctx context.Context, code string, id int64, n int) (*model.ActivityPhoto, *Blob, error) {
	c := s.reader()
	x, err := queryOne(ctx, c, `SELECT `+smallProjectColumns+smallProjectFrom+` JOIN territories ct ON ct.id = r.community_id
		WHERE p.id = ? AND ct.code = ? AND ct.kind = 'community' AND ct.archived_at IS NULL AND r.status = 'decided' AND p.status IN ('won', 'in_progress', 'done')`,
		[]any{id, code}, scanSmallProject)
	if err != nil {
		return nil, nil, err
	}
	if err := c.fillSmallProjects(ctx, []*model.SmallProject{x.p}); err != nil {
		return nil, nil, err
	}
	return s.projectPhoto(ctx, x.p, n)
}

// BudgetPlaces lists the places a proposal of round id may name (the proposal form's choices):
// the community's residents' groups, grids and compounds, by path, for a caller who reads the
// round (model.ErrNotFound otherwise).
func (s *Store) BudgetPlaces(ctx context.Context, sc authz.Scope, id int64) ([]*model.Territory, error) {
	c := s.reader()
	r, _, err := c.budgetRound(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	lo, hi := authz.PathRange(r.Path)
	return queryAll(ctx, c, `SELECT `+territoryColumns+` FROM territories WHERE path >= ? AND path < ? AND kind IN ('resident_group', 'grid', 'compound')
		AND archived_at IS NULL ORDER BY path LIMIT 200`, []any{lo, hi}, scanTerritory)
}
