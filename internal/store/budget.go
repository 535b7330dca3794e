package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Small-project budgeting (民生微实事, issue 11 item 5; model/budget.go says what a round is).
// This file holds the rounds; small_project.go their proposals.
//
// Who reads a round, as votes (vote.go, householder): staff and grid leaders whose territory
// holds the round's community or lies in it; the accounts (residents, members, unit leaders)
// linked to a resident whose household lies in the community. Who manages it (creates, reviews,
// opens voting, cancels, carries the winners out): staff whose territory holds the community
// (budget.write; grid leaders read only). Voting is a vote of the votes machinery, opened in
// the transaction that moves the round to voting (tx.openVote) and decided in the transaction
// that closes it (tx.closeVote calls decideBudgetRound), whoever or whatever closes it. Every
// change users race on is a conditional UPDATE on the status read; proposals and reviews bump
// the round's row first, so they and the opening of the voting take turns on it.

const roundColumns = `r.id, r.community_id, t.name, r.path, r.title, r.year, r.budget_fen, r.rule, r.status, r.proposals,
	COALESCE(r.vote_id, 0), COALESCE(v.status, ''), v.opens_at, v.closes_at, r.used_fen, r.decided_at, r.cancel_reason,
	COALESCE(u.display_name, ''), r.created_at`

const roundFrom = ` FROM budget_rounds r JOIN territories t ON t.id = r.community_id LEFT JOIN votes v ON v.id = r.vote_id
	LEFT JOIN users u ON u.id = r.created_by`

func scanRound(rs rowScanner) (*model.BudgetRound, error) {
	var r model.BudgetRound
	var opens, closes, decided sql.NullTime
	if err := rs.Scan(&r.ID, &r.CommunityID, &r.CommunityName, &r.Path, &r.Title, &r.Year, &r.BudgetFen, &r.Rule, &r.Status, &r.Proposals,
		&r.VoteID, &r.VoteStatus, &opens, &closes, &r.UsedFen, &decided, &r.CancelReason,
		&r.CreatedByName, &r.CreatedAt); err != nil {
		return nil, err
	}
	r.VoteOpensAt, r.VoteClosesAt, r.DecidedAt = timePtr(opens), timePtr(closes), timePtr(decided)
	r.CreatedAt = r.CreatedAt.UTC()
	return &r, nil
}

// readsBudget reports whether the caller reads rounds of the community at path.
func (vr householder) readsBudget(path string) bool { return vr.reads(authz.BudgetRead, path) }

// managesBudget reports whether the caller manages rounds of the community at path: staff
// whose territory holds it.
func (vr householder) managesBudget(path string) bool { return vr.manages(authz.BudgetWrite, path) }

// proposesIn reports whether the caller may propose in a round of the community at path (while
// it collects proposals): a household's account of the community, or staff who manage it.
func (vr householder) proposesIn(path string) bool {
	return vr.actsFor(authz.BudgetPropose, authz.BudgetWrite, path)
}

// presentRound fills the caller's standing.
func (vr householder) presentRound(r *model.BudgetRound) {
	r.Caller.Manage = vr.managesBudget(r.Path)
	r.Caller.Propose = r.Status == model.RoundProposing && vr.proposesIn(r.Path)
}

// budgetRound reads round id as the caller may see it (model.ErrNotFound otherwise), with the
// caller's standing.
func (c conn) budgetRound(ctx context.Context, sc authz.Scope, id int64) (*model.BudgetRound, householder, error) {
	r, err := queryOne(ctx, c, `SELECT `+roundColumns+roundFrom+` WHERE r.id = ?`, []any{id}, scanRound)
	if err != nil {
		return nil, householder{}, err
	}
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return nil, vr, err
	}
	if !vr.readsBudget(r.Path) {
		return nil, vr, model.ErrNotFound
	}
	vr.presentRound(r)
	if sc.UserID != 0 {
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM small_projects WHERE round_id = ? AND proposed_by = ?`, []any{r.ID, sc.UserID}, &r.Caller.Proposals); err != nil {
			return nil, vr, err
		}
	}
	return r, vr, nil
}

// errNotBudgetManager refuses a change to a caller who reads the round but does not manage it.
var errNotBudgetManager = &model.ForbiddenError{Message: "只有本社区（或上级）的工作人员可以管理民生微实事"}

// managedRound reads round id for staff changing it: model.ErrNotFound when the caller may not
// see it, errNotBudgetManager when it sees but does not manage it.
func (c conn) managedRound(ctx context.Context, sc authz.Scope, id int64) (*model.BudgetRound, error) {
	if !authz.Allowed(sc.Role, authz.BudgetWrite) {
		return nil, model.ErrForbidden
	}
	r, _, err := c.budgetRound(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if !r.Caller.Manage {
		return nil, errNotBudgetManager
	}
	return r, nil
}

// BudgetRound returns round id as the caller may see it; model.ErrNotFound when it does not
// exist or the caller may not see it. A round whose vote's closing time has passed is decided
// first (the vote is closed as the clock would).
func (s *Store) BudgetRound(ctx context.Context, sc authz.Scope, id int64) (*model.BudgetRound, error) {
	r, _, err := s.reader().budgetRound(ctx, sc, id)
	if err != nil || r.Status != model.RoundVoting || r.VoteClosesAt == nil || s.now().Before(*r.VoteClosesAt) {
		return r, err
	}
	if err := s.closeDueVote(ctx, r.VoteID); err != nil {
		return nil, err
	}
	r, _, err = s.reader().budgetRound(ctx, sc, id)
	return r, err
}

// BudgetRoundFilter narrows the rounds a caller lists.
type BudgetRoundFilter struct {
	Status    model.BudgetRoundStatus // "": all
	Territory int64                   // rounds of communities at that node or under it (0: all the caller reads)
	Limit     int
	Cursor    string
}

// BudgetRounds lists the rounds the caller may see, newest year first: staff and grid leaders
// those of the communities in or above their territory, a household's account those of its
// community. Due votes are closed (and their rounds decided) first. An unknown status is a
// *model.ValidationError.
func (s *Store) BudgetRounds(ctx context.Context, sc authz.Scope, f BudgetRoundFilter) (*Page[*model.BudgetRound], error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, fieldErr("status", "状态应为 proposing、reviewing、voting、decided 或 cancelled")
	}
	if !authz.Allowed(sc.Role, authz.BudgetRead) {
		return &Page[*model.BudgetRound]{}, nil
	}
	if err := s.closeDueVotes(ctx); err != nil {
		return nil, err
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
		return &Page[*model.BudgetRound]{}, nil
	}
	w := filter{where: []string{cond}, args: args}
	if err := c.underTerritory(ctx, vr, &w, "r.path", f.Territory); err != nil {
		return nil, err
	}
	if f.Status != "" {
		w.add("r.status = ?", string(f.Status))
	}
	p, err := newestPage(ctx, c, `SELECT `+roundColumns+roundFrom, `FROM budget_rounds r`, "r.id", w, cur, clampLimit(f.Limit), scanRound, func(x *model.BudgetRound) int64 { return x.ID })
	if err != nil {
		return nil, err
	}
	items := p.Items
	for _, r := range items {
		vr.presentRound(r)
	}
	p.Items = items
	return p, nil
}

// BudgetCommunities lists the communities the caller may create a round in: the communities in
// its territory (a community staff's own), by name.
func (s *Store) BudgetCommunities(ctx context.Context, sc authz.Scope) ([]*model.Territory, error) {
	if !authz.Allowed(sc.Role, authz.BudgetWrite) {
		return nil, nil
	}
	c := s.reader()
	w := filter{where: []string{"kind = 'community'", "archived_at IS NULL"}}
	if !sc.All {
		prefix := sc.Path
		if prefix == "" {
			return nil, nil
		}
		lo, hi := authz.PathRange(prefix)
		w.add("path >= ? AND path < ?", lo, hi)
	}
	return queryAll(ctx, c, `SELECT `+territoryColumns+` FROM territories WHERE `+w.sql()+` ORDER BY path LIMIT 200`, w.args, scanTerritory)
}

// CreateBudgetRound creates a round in community in.CommunityID (staff, in their territory),
// collecting proposals. A community out of the caller's territory, or a node that is no
// community, is a *model.ValidationError on community_id; a round of that community and year
// that is not cancelled already is a *model.ConflictError (the unique index decides).
func (s *Store) CreateBudgetRound(ctx context.Context, sc authz.Scope, in model.BudgetRoundInput) (*model.BudgetRound, error) {
	if !authz.Allowed(sc.Role, authz.BudgetWrite) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(s.now()); err != nil {
		return nil, err
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.territory(ctx, sc, in.CommunityID)
		switch {
		case errors.Is(err, model.ErrNotFound):
			return fieldErr("community_id", "社区不存在或不在您的管辖范围内")
		case err != nil:
			return err
		case t.Kind != model.KindCommunity:
			return fieldErr("community_id", "民生微实事以社区为单位，请选择一个社区")
		}
		err = tx.queryRow(ctx, `INSERT INTO budget_rounds (community_id, path, title, year, budget_fen, rule, status, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 'proposing', ?, ?) RETURNING id`,
			[]any{t.ID, t.Path, in.Title, in.Year, in.BudgetFen, string(in.Rule), nullID(sc.UserID), s.now()}, &id)
		if errors.Is(err, model.ErrConflict) {
			return &model.ConflictError{Message: fmt.Sprintf("%s %d 年度已有民生微实事轮次；每个社区每年一轮（已取消的除外）", t.Name, in.Year)}
		} else if err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "budget.round.create", "budget_round", []int64{id}, fmt.Sprintf("%d, %s yuan, %s", in.Year, model.FormatYuan(in.BudgetFen), in.Rule))
		return nil
	})
	if err != nil {
		return nil, err
	}
	r, _, err := s.reader().budgetRound(ctx, sc, id)
	return r, err
}

// CloseBudgetProposals ends the collecting of proposals of round id (staff who manage it): the
// round is reviewing. A round not collecting is a *model.ConflictError (the conditional UPDATE
// decides).
func (s *Store) CloseBudgetProposals(ctx context.Context, sc authz.Scope, id int64) (*model.BudgetRound, error) {
	err := s.Tx(ctx, func(tx *Tx) error {
		r, err := tx.managedRound(ctx, sc, id)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE budget_rounds SET status = 'reviewing', version = version + 1 WHERE id = ? AND status = 'proposing'`, r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "本轮不在征集阶段（" + r.Status.Label() + "），不能结束征集"}
		}
		tx.auditAt(sc, r.Path, "budget.round.review", "budget_round", []int64{r.ID}, "")
		return nil
	})
	if err != nil {
		return nil, err
	}
	r, _, err := s.reader().budgetRound(ctx, sc, id)
	return r, err
}

// BudgetVotingInput is when a round's voting opens (zero: now) and closes.
type BudgetVotingInput struct {
	OpensAt  time.Time
	ClosesAt time.Time
}

// OpenBudgetVoting opens the voting of round id (staff who manage it) once every proposal is
// reviewed and at least two are feasible (at most model.BudgetVotingMaxOptions): a vote over
// the round's community by its rule, one option per feasible project, as many choices as
// options (approval voting), no quorum, opened in the same transaction (tx.openVote) with the
// roll fixed now. A round not collecting or reviewing, or not ready, is a
// *model.ConflictError: of two staff opening at once one opens the vote, the other gets 409.
// Bad times are a *model.ValidationError on opens_at or closes_at.
func (s *Store) OpenBudgetVoting(ctx context.Context, sc authz.Scope, id int64, in BudgetVotingInput) (*model.BudgetRound, error) {
	err := s.Tx(ctx, func(tx *Tx) error {
		r, err := tx.managedRound(ctx, sc, id)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE budget_rounds SET status = 'voting', version = version + 1 WHERE id = ? AND status IN ('proposing', 'reviewing')`, r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "本轮已开始投票、已确定或已取消（" + r.Status.Label() + "）"}
		}
		type feasible struct {
			id    int64
			title string
		}
		var pending int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM small_projects WHERE round_id = ? AND status = 'proposed'`, []any{r.ID}, &pending); err != nil {
			return err
		}
		if pending > 0 {
			return &model.ConflictError{Message: fmt.Sprintf("还有 %d 个项目没有审核；请先审核全部项目，再开始投票", pending)}
		}
		ps, err := queryAll(ctx, tx.conn, `SELECT id, title FROM small_projects WHERE round_id = ? AND status = 'feasible' ORDER BY id`, []any{r.ID},
			func(rs rowScanner) (feasible, error) {
				var f feasible
				return f, rs.Scan(&f.id, &f.title)
			})
		if err != nil {
			return err
		}
		switch {
		case len(ps) < 2:
			return &model.ConflictError{Message: fmt.Sprintf("至少要有两个可行项目才能投票（现有 %d 个）", len(ps))}
		case len(ps) > model.BudgetVotingMaxOptions:
			return &model.ConflictError{Message: fmt.Sprintf("一次投票最多 %d 个项目（现有 %d 个可行项目）；请合并相近的项目后再开始投票", model.BudgetVotingMaxOptions, len(ps))}
		}
		vin := model.VoteInput{Title: r.VoteTitle(), TerritoryID: r.CommunityID, Rule: r.Rule, Kind: model.VoteMultiple, MaxChoices: len(ps),
			Quorum: model.Quorum{Num: 0, Den: 1}, Threshold: model.ThresholdMajority, OpensAt: in.OpensAt, ClosesAt: in.ClosesAt,
			Description: fmt.Sprintf("%s %d 年度民生微实事，预算 %s 元。请勾选您支持的全部项目（可多选）。选定规则：%s%s",
				r.CommunityName, r.Year, r.Budget(), model.BudgetRuleText, model.BudgetZeroText)}
		for _, p := range ps {
			vin.Options = append(vin.Options, p.title)
		}
		ts := tx.s.now()
		if err := vin.Validate(ts); err != nil {
			return err
		}
		if vin.OpensAt.IsZero() {
			vin.OpensAt = ts
		}
		vid, err := tx.openVote(ctx, sc, vin)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE budget_rounds SET vote_id = ? WHERE id = ?`, vid, r.ID); err != nil {
			return err
		}
		options, err := queryAll(ctx, tx.conn, `SELECT id FROM vote_options WHERE vote_id = ? ORDER BY position`, []any{vid}, func(rs rowScanner) (int64, error) {
			var id int64
			return id, rs.Scan(&id)
		})
		if err != nil {
			return err
		}
		for i, p := range ps {
			if _, err := tx.exec(ctx, `UPDATE small_projects SET option_id = ?, updated_at = ? WHERE id = ?`, options[i], ts, p.id); err != nil {
				return err
			}
		}
		tx.auditAt(sc, r.Path, "budget.round.voting", "budget_round", []int64{r.ID}, fmt.Sprintf("vote %d, %d projects", vid, len(ps)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	r, _, err := s.reader().budgetRound(ctx, sc, id)
	return r, err
}

// CancelBudgetRound cancels round id (staff who manage it) with a stated reason, from any status
// but decided; its open vote is cancelled in the same transaction (the vote first, as closing
// takes the vote before the round, so the two never wait on each other). A round whose status
// changed since it was read, or that is decided or cancelled, is a *model.ConflictError.
func (s *Store) CancelBudgetRound(ctx context.Context, sc authz.Scope, id int64, reason string) (*model.BudgetRound, error) {
	reason, err := model.ValidateBudgetReason(reason)
	if err != nil {
		return nil, err
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		r, err := tx.managedRound(ctx, sc, id)
		if err != nil {
			return err
		}
		if r.Status == model.RoundDecided || r.Status == model.RoundCancelled {
			return &model.ConflictError{Message: "本轮" + r.Status.Label() + "，不能取消"}
		}
		ts := tx.s.now()
		if r.VoteID != 0 {
			res, err := tx.exec(ctx, `UPDATE votes SET status = 'cancelled', cancel_reason = ?, closed_at = ?, closed_by = ? WHERE id = ? AND status = 'open'`,
				"民生微实事轮次取消："+reason, ts, nullID(sc.UserID), r.VoteID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return &model.ConflictError{Message: "本轮投票已经结束，结果已确定，不能再取消"}
			}
			tx.auditAt(sc, r.Path, "vote.cancel", "vote", []int64{r.VoteID}, "budget round "+strconv.FormatInt(r.ID, 10)+": "+reason)
		}
		res, err := tx.exec(ctx, `UPDATE budget_rounds SET status = 'cancelled', cancel_reason = ?, cancelled_at = ?, cancelled_by = ?, version = version + 1
			WHERE id = ? AND status = ?`, reason, ts, nullID(sc.UserID), r.ID, string(r.Status))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "本轮的状态刚刚发生了变化，请刷新后再试"}
		}
		tx.auditAt(sc, r.Path, "budget.round.cancel", "budget_round", []int64{r.ID}, reason)
		return nil
	})
	if err != nil {
		return nil, err
	}
	r, _, err := s.reader().budgetRound(ctx, sc, id)
	return r, err
}

// decideBudgetRound decides round id from the tally of its vote, in the transaction that closes
// the vote: each feasible project's approvals are its option's votes; SelectWinners picks the
// winners within the budget; winners are won, the others lost with their reason; the round is
// decided with the budget used. The database refuses winners over the budget (a CHECK on the
// round): the transaction, the closing of the vote with it, then fails and nothing changes.
func (tx *Tx) decideBudgetRound(ctx context.Context, sc authz.Scope, id int64, tally model.VoteResult) error {
	var budget int64
	var path string
	if err := tx.queryRow(ctx, `SELECT budget_fen, path FROM budget_rounds WHERE id = ?`, []any{id}, &budget, &path); err != nil {
		return err
	}
	votes := map[int64]int{}
	for _, o := range tally.Options {
		if o.Votes != nil {
			votes[o.ID] = *o.Votes
		}
	}
	cs, err := queryAll(ctx, tx.conn, `SELECT id, cost_fen, COALESCE(option_id, 0) FROM small_projects WHERE round_id = ? AND status = 'feasible' ORDER BY id`, []any{id},
		func(rs rowScanner) (model.BudgetCandidate, error) {
			var c model.BudgetCandidate
			var option int64
			err := rs.Scan(&c.ID, &c.CostFen, &option)
			c.Approvals = votes[option]
			return c, err
		})
	if err != nil {
		return err
	}
	sel := model.SelectWinners(cs, budget)
	if sel.UsedFen > budget {
		return fmt.Errorf("budget round %d: winners cost %d of %d fen", id, sel.UsedFen, budget)
	}
	ts := tx.s.now()
	won := map[int64]bool{}
	for _, w := range sel.Winners {
		won[w] = true
	}
	for _, c := range cs {
		status, reason := model.SmallWon, ""
		if !won[c.ID] {
			status, reason = model.SmallLost, sel.Lost[c.ID]
		}
		res, err := tx.exec(ctx, `UPDATE small_projects SET status = ?, approvals = ?, loss_reason = ?, updated_at = ? WHERE id = ? AND status = 'feasible'`,
			string(status), c.Approvals, reason, ts, c.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "项目状态刚刚发生了变化，请刷新后再试"}
		}
	}
	res, err := tx.exec(ctx, `UPDATE budget_rounds SET status = 'decided', used_fen = ?, decided_at = ?, version = version + 1 WHERE id = ? AND status = 'voting'`,
		sel.UsedFen, ts, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &model.ConflictError{Message: "该轮次不在投票阶段，不能确定结果"}
	}
	tx.auditAt(sc, path, "budget.round.decide", "budget_round", []int64{id},
		fmt.Sprintf("%d winners of %d, %s of %s yuan", len(sel.Winners), len(cs), model.FormatYuan(sel.UsedFen), model.FormatYuan(budget)))
	return nil
}
