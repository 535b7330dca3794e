package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Unit leader elections and appointments (issue 9 item 2). Secrecy is a matter of what is
// stored: unit_election_voters holds that a household voted (its primary key refuses a second
// vote), and the vote itself only adds one to a candidate's tally in the same transaction. No
// row holds a household with its choice; the tally has no time and no sequence; every vote
// rewrites all the election's tallies in one statement, so even the row versions of a
// PostgreSQL table do not say which of them grew. The audit record says that a household of the
// unit voted in the election, without the household or the choice. Tallies are read only once
// the election has closed.
//
// Who sees an election: staff and grid leaders in whose territory the unit lies, the unit's
// own leader (Scope.Unit), and the accounts linked to a resident of one of its households
// (users.resident_id, as for the duty rotation). Who votes: such an account, for its own
// household; staff cast a proxy vote for a household without a smartphone.

const electionColumns = `e.id, e.unit_id, u.name, e.community_id, u.path, e.opens_at, e.closes_at, e.term_months, e.status,
	e.households, e.voted, e.result, COALESCE(e.winner_id, 0), e.closed_at, e.created_at`

const electionFrom = ` FROM unit_elections e JOIN units u ON u.id = e.unit_id`

func scanElection(r rowScanner) (*model.UnitElection, error) {
	var e model.UnitElection
	var closed sql.NullTime
	if err := r.Scan(&e.ID, &e.UnitID, &e.UnitName, &e.CommunityID, &e.Path, &e.OpensAt, &e.ClosesAt, &e.TermMonths, &e.Status,
		&e.Households, &e.Voted, &e.Result, &e.WinnerID, &closed, &e.CreatedAt); err != nil {
		return nil, err
	}
	if closed.Valid {
		e.ClosedAt = &closed.Time
	}
	return &e, nil
}

// electionReadable reports whether sc may see an election of unit (at path); own is the
// caller's own household's unit (0: none).
func electionReadable(sc authz.Scope, unitID int64, path string, ownUnit int64) bool {
	switch {
	case householdRole(sc.Role):
		return ownUnit != 0 && ownUnit == unitID
	case sc.UnitBound():
		return sc.Unit != 0 && sc.Unit == unitID
	}
	return sc.Contains(path)
}

// ownUnit is the caller's own household (by its account's resident) and that household's
// current unit; zeros when it has none.
func (c conn) ownUnit(ctx context.Context, sc authz.Scope) (household, unit int64, err error) {
	household, err = c.ownHousehold(ctx, sc)
	if err != nil || household == 0 {
		return 0, 0, err
	}
	var u sql.NullInt64
	if err := c.queryRow(ctx, `SELECT unit_id FROM households WHERE id = ? AND moved_out_at IS NULL`, []any{household}, &u); err != nil {
		if errors.Is(err, model.ErrNotFound) {
			return household, 0, nil
		}
		return 0, 0, err
	}
	return household, u.Int64, nil
}

// election reads election id as sc may see it (model.ErrNotFound otherwise), with its
// candidates (tallies once closed) and whether the caller's household voted.
func (c conn) election(ctx context.Context, sc authz.Scope, id int64) (*model.UnitElection, error) {
	e, err := queryOne(ctx, c, `SELECT `+electionColumns+electionFrom+` WHERE e.id = ?`, []any{id}, scanElection)
	if err != nil {
		return nil, err
	}
	own, ownUnit, err := c.ownUnit(ctx, sc)
	if err != nil {
		return nil, err
	}
	if !electionReadable(sc, e.UnitID, e.Path, ownUnit) {
		return nil, model.ErrNotFound
	}
	if err := c.fillCandidates(ctx, []*model.UnitElection{e}); err != nil {
		return nil, err
	}
	if own != 0 && ownUnit == e.UnitID {
		var n int
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM unit_election_voters WHERE election_id = ? AND household_id = ?`, []any{e.ID, own}, &n); err != nil {
			return nil, err
		}
		e.HouseholdVoted = n > 0
	}
	return e, nil
}

// fillCandidates reads the candidates of the elections with their names and addresses; the
// tallies only of the elections that are no longer open.
func (c conn) fillCandidates(ctx context.Context, es []*model.UnitElection) error {
	if len(es) == 0 {
		return nil
	}
	byID := make(map[int64]*model.UnitElection, len(es))
	args := make([]any, 0, len(es))
	for _, e := range es {
		byID[e.ID] = e
		args = append(args, e.ID)
	}
	rows, err := c.query(ctx, `SELECT c.election_id, c.id, c.household_id, c.resident_id, r.name, h.address, c.votes
		FROM unit_election_candidates c JOIN residents r ON r.id = c.resident_id JOIN households h ON h.id = c.household_id
		WHERE c.election_id IN (`+inList(len(args))+`) ORDER BY c.election_id, h.path, h.id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var eid int64
		var cand model.UnitCandidate
		var votes int
		if err := rows.Scan(&eid, &cand.ID, &cand.HouseholdID, &cand.ResidentID, &cand.Name, &cand.Address, &votes); err != nil {
			return err
		}
		e := byID[eid]
		if e.Status != model.ElectionOpen {
			cand.Votes = &votes
		}
		e.Candidates = append(e.Candidates, cand)
	}
	return rows.Err()
}

// UnitElection returns election id as the caller may see it: model.ErrNotFound when it does
// not exist or the caller may not see it (see the file comment). An open election whose closing
// time has passed is closed first, by the clock.
func (s *Store) UnitElection(ctx context.Context, sc authz.Scope, id int64) (*model.UnitElection, error) {
	e, err := s.reader().election(ctx, sc, id)
	if err != nil || !e.Due(s.now()) {
		return e, err
	}
	if err := s.closeDue(ctx, e.ID); err != nil {
		return nil, err
	}
	return s.reader().election(ctx, sc, id)
}

// UnitElections lists the elections of unit id, newest first, as the caller may see them
// (model.ErrNotFound for a unit it may not see). Due elections are closed first.
func (s *Store) UnitElections(ctx context.Context, sc authz.Scope, unitID int64) ([]*model.UnitElection, error) {
	c := s.reader()
	if err := c.electionUnitReadable(ctx, sc, unitID); err != nil {
		return nil, err
	}
	var due []int64
	if err := eachRow(ctx, c, `SELECT id FROM unit_elections WHERE unit_id = ? AND status = 'open' AND closes_at <= ?`, []any{unitID, s.now()},
		func(r rowScanner) error {
			var id int64
			err := r.Scan(&id)
			due = append(due, id)
			return err
		}); err != nil {
		return nil, err
	}
	for _, id := range due {
		if err := s.closeDue(ctx, id); err != nil {
			return nil, err
		}
	}
	es, err := queryAll(ctx, c, `SELECT `+electionColumns+electionFrom+` WHERE e.unit_id = ? ORDER BY e.id DESC LIMIT 50`, []any{unitID}, scanElection)
	if err != nil {
		return nil, err
	}
	return es, c.fillCandidates(ctx, es)
}

// electionUnitReadable is nil when sc may see the elections of unit id, else model.ErrNotFound.
func (c conn) electionUnitReadable(ctx context.Context, sc authz.Scope, unitID int64) error {
	var path string
	if err := c.queryRow(ctx, `SELECT path FROM units WHERE id = ?`, []any{unitID}, &path); err != nil {
		return err
	}
	_, ownUnit, err := c.ownUnit(ctx, sc)
	if err != nil {
		return err
	}
	if !electionReadable(sc, unitID, path, ownUnit) {
		return model.ErrNotFound
	}
	return nil
}

// OwnUnitElection returns the election of the caller's own household's unit a voter's page
// shows: the open one, else the latest; model.ErrNotFound when the caller's account has no
// household in a unit or the unit has had no election.
func (s *Store) OwnUnitElection(ctx context.Context, sc authz.Scope) (*model.UnitElection, error) {
	c := s.reader()
	_, unit, err := c.ownUnit(ctx, sc)
	if err != nil {
		return nil, err
	}
	if unit == 0 {
		return nil, model.ErrNotFound
	}
	var id int64
	if err := c.queryRow(ctx, `SELECT id FROM unit_elections WHERE unit_id = ? AND status <> 'cancelled'
		ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, id DESC LIMIT 1`, []any{unit}, &id); err != nil {
		return nil, err
	}
	return s.UnitElection(ctx, sc, id)
}

// unitHeads returns the household heads (resident id → household id) of the unit's current
// households.
func (c conn) unitHeads(ctx context.Context, unitID int64) (map[int64]int64, error) {
	heads := map[int64]int64{}
	err := eachRow(ctx, c, `SELECT r.id, r.household_id FROM residents r JOIN households h ON h.id = r.household_id
		WHERE h.unit_id = ? AND h.moved_out_at IS NULL AND r.relation = ?`, []any{unitID, string(model.RelationHead)},
		func(r rowScanner) error {
			var rid, hid int64
			err := r.Scan(&rid, &hid)
			heads[rid] = hid
			return err
		})
	return heads, err
}

// electionWritable returns unit id as staff sc may run its elections and appointments:
// model.ErrNotFound out of scope, a *model.ConflictError for an ended unit.
func (c conn) electionWritable(ctx context.Context, sc authz.Scope, unitID int64) (*model.Unit, error) {
	if !authz.Allowed(sc.Role, authz.UnitElectionWrite) {
		return nil, model.ErrForbidden
	}
	u, err := c.unit(ctx, sc, unitID)
	if err != nil {
		return nil, err
	}
	if !u.Active() {
		return nil, &model.ConflictError{Message: "该联建单元已" + u.Status.Label() + "，不再选举小组长"}
	}
	return u, nil
}

// OpenUnitElection opens an election of unit id's leader: in is validated against the clock,
// the candidates must be household heads of the unit's current households (none given: every
// one of them). A unit with an open election already is a *model.ConflictError (the database
// decides: at most one open election per unit).
func (s *Store) OpenUnitElection(ctx context.Context, sc authz.Scope, unitID int64, in model.ElectionInput) (*model.UnitElection, error) {
	ts := s.now()
	if err := in.Validate(ts); err != nil {
		return nil, err
	}
	if in.OpensAt.IsZero() {
		in.OpensAt = ts
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		u, err := tx.electionWritable(ctx, sc, unitID)
		if err != nil {
			return err
		}
		heads, err := tx.unitHeads(ctx, unitID)
		if err != nil {
			return err
		}
		cands := in.Candidates
		if len(cands) == 0 {
			for rid := range heads {
				cands = append(cands, rid)
			}
		}
		if len(cands) == 0 {
			return fieldErr("candidates", "该联建单元还没有登记户主，无法选举；请先登记各户户主")
		}
		for _, rid := range cands {
			if heads[rid] == 0 {
				return fieldErr("candidates", fmt.Sprintf("居民 %d 不是本联建单元的户主，候选人须为本单元的户主", rid))
			}
		}
		var households int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM households WHERE unit_id = ? AND moved_out_at IS NULL`, []any{unitID}, &households); err != nil {
			return err
		}
		err = tx.queryRow(ctx, `INSERT INTO unit_elections (unit_id, community_id, opens_at, closes_at, term_months, status, households, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?) RETURNING id`,
			[]any{unitID, u.CommunityID, in.OpensAt.UTC(), in.ClosesAt.UTC(), in.TermMonths, households, nullID(sc.UserID), ts}, &id)
		if isConflict(err) {
			return &model.ConflictError{Message: "该联建单元已有进行中的选举，请先结束它"}
		} else if err != nil {
			return err
		}
		for _, rid := range cands {
			if _, err := tx.exec(ctx, `INSERT INTO unit_election_candidates (election_id, household_id, resident_id) VALUES (?, ?, ?)`, id, heads[rid], rid); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("%d 名候选人，%s 截止，任期 %d 个月", len(cands), in.ClosesAt.In(model.Shanghai).Format("2006-01-02 15:04"), in.TermMonths)
		if err := tx.unitEvent(ctx, sc, unitID, "election_opened", detail); err != nil {
			return err
		}
		tx.auditAt(sc, u.Path, "unit.election.open", "unit_election", []int64{id}, fmt.Sprintf("unit %d", unitID))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.UnitElection(ctx, sc, id)
}

// UnitVote casts the caller's household's vote for candidate candidateID in election id. The
// household is the one of the resident linked to the caller's account. model.ErrNotFound when
// the caller may not see the election (another unit's), a *model.ForbiddenError when its account
// has no household or its household is not in the unit, a *model.ConflictError when the
// election does not take votes (not yet open, closed) or the household has voted already (the
// database decides), a *model.ValidationError for a candidate not standing. Nothing is changed
// on any error.
func (s *Store) UnitVote(ctx context.Context, sc authz.Scope, id, candidateID int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		e, err := tx.election(ctx, sc, id)
		if err != nil {
			return err
		}
		own, ownUnit, err := tx.ownUnit(ctx, sc)
		if err != nil {
			return err
		}
		switch {
		case own == 0:
			return &model.ForbiddenError{Message: "您的账号还没有关联住户，无法投票；请联系社区工作人员"}
		case ownUnit != e.UnitID:
			return &model.ForbiddenError{Message: "只有本联建单元的住户可以投票"}
		}
		return tx.castVote(ctx, sc, e, own, candidateID, false)
	})
}

// ProxyVote is staff casting the vote of household householdID (one of the unit's, without a
// smartphone) for candidate candidateID in election id; recorded as a proxy vote, without the
// choice. Errors as UnitVote; a household not in the unit is a *model.ValidationError on
// household_id.
func (s *Store) ProxyVote(ctx context.Context, sc authz.Scope, id, householdID, candidateID int64) error {
	if !authz.Allowed(sc.Role, authz.UnitElectionWrite) {
		return model.ErrForbidden
	}
	return s.Tx(ctx, func(tx *Tx) error {
		e, err := tx.election(ctx, sc, id)
		if err != nil {
			return err
		}
		h, err := tx.household(ctx, sc, householdID)
		switch {
		case errors.Is(err, model.ErrNotFound):
			return fieldErr("household_id", "住户不存在或不在您的管辖范围内")
		case err != nil:
			return err
		case h.UnitID != e.UnitID || h.MovedOutAt != nil:
			return fieldErr("household_id", "只有本联建单元的住户可以投票")
		}
		return tx.castVote(ctx, sc, e, h.ID, candidateID, true)
	})
}

// castVote records that household voted and adds the vote to the candidate's tally: the
// election's turnout first (a conditional UPDATE: it must still take votes), then the voters'
// row (its primary key refuses a second vote), then every tally of the election in one
// statement, the chosen one by one.
func (tx *Tx) castVote(ctx context.Context, sc authz.Scope, e *model.UnitElection, household, candidateID int64, proxy bool) error {
	ts := tx.s.now()
	switch {
	case e.Status != model.ElectionOpen || e.Due(ts):
		return &model.ConflictError{Message: "投票已截止"}
	case ts.Before(e.OpensAt):
		return &model.ConflictError{Message: "投票尚未开始，开始时间 " + e.OpensAt.In(model.Shanghai).Format("2006-01-02 15:04")}
	}
	standing := false
	for _, c := range e.Candidates {
		standing = standing || c.ID == candidateID
	}
	if !standing {
		return fieldErr("candidate_id", "请选择本次选举的一位候选人")
	}
	res, err := tx.exec(ctx, `UPDATE unit_elections SET voted = voted + 1 WHERE id = ? AND status = 'open' AND opens_at <= ? AND closes_at > ?`, e.ID, ts, ts)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &model.ConflictError{Message: "投票已截止"}
	}
	_, err = tx.exec(ctx, `INSERT INTO unit_election_voters (election_id, household_id, proxy) VALUES (?, ?, ?)`, e.ID, household, proxy)
	if isConflict(err) {
		return &model.ConflictError{Message: "这一户已经投过票了，每户只能投一票"}
	} else if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE unit_election_candidates SET votes = votes + CASE WHEN id = ? THEN 1 ELSE 0 END WHERE election_id = ?`, candidateID, e.ID); err != nil {
		return err
	}
	action, detail := "unit.vote", fmt.Sprintf("a household of unit %d voted", e.UnitID)
	if proxy {
		action, detail = "unit.vote.proxy", fmt.Sprintf("a household of unit %d voted by proxy", e.UnitID)
	}
	tx.auditAt(sc, e.Path, action, "unit_election", []int64{e.ID}, detail)
	return nil
}

// ElectionHousehold is one of a unit's households as staff see an election's turnout: whether
// it voted and whether by proxy, never whom it chose.
type ElectionHousehold struct {
	ID       int64
	Address  string
	HeadName string
	Voted    bool
	Proxy    bool
}

// ElectionHouseholds lists the unit's current households with whether each voted in election
// id, for staff casting proxy votes (model.ErrForbidden for other roles, ErrNotFound out of
// scope).
func (s *Store) ElectionHouseholds(ctx context.Context, sc authz.Scope, id int64) ([]ElectionHousehold, error) {
	if !authz.Allowed(sc.Role, authz.UnitElectionWrite) {
		return nil, model.ErrForbidden
	}
	c := s.reader()
	e, err := c.election(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, c, `SELECT h.id, h.address, h.head_name, v.household_id IS NOT NULL, COALESCE(v.proxy, FALSE)
		FROM households h LEFT JOIN unit_election_voters v ON v.election_id = ? AND v.household_id = h.id
		WHERE h.unit_id = ? AND h.moved_out_at IS NULL ORDER BY h.path, h.id`, []any{e.ID, e.UnitID},
		func(r rowScanner) (ElectionHousehold, error) {
			var h ElectionHousehold
			err := r.Scan(&h.ID, &h.Address, &h.HeadName, &h.Voted, &h.Proxy)
			return h, err
		})
}

// CloseUnitElection closes election id now (staff), before its closing time only once every
// household has voted (model.ErrEarlyClose otherwise, see model.UnitElection.Closable): the tallies decide; one candidate with the
// most votes becomes the unit's leader (method elected) for the election's term from today; a
// tie or no votes leaves the unit as it was, for staff to appoint or call a new election. An
// election no longer open is a *model.ConflictError.
func (s *Store) CloseUnitElection(ctx context.Context, sc authz.Scope, id int64) (*model.UnitElection, error) {
	if !authz.Allowed(sc.Role, authz.UnitElectionWrite) {
		return nil, model.ErrForbidden
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		e, err := tx.election(ctx, sc, id)
		if err != nil {
			return err
		}
		if e.Status == model.ElectionOpen && !e.Closable(tx.s.now()) {
			return model.ErrEarlyClose
		}
		return tx.closeElection(ctx, sc, e)
	})
	if err != nil {
		return nil, err
	}
	return s.UnitElection(ctx, sc, id)
}

// closeDue closes election id by the clock, as the system, when it is still open and due.
func (s *Store) closeDue(ctx context.Context, id int64) error {
	err := s.Tx(ctx, func(tx *Tx) error {
		e, err := tx.election(ctx, authz.System(), id)
		if err != nil {
			return err
		}
		if !e.Due(tx.s.now()) {
			return nil
		}
		return tx.closeElection(ctx, authz.System(), e)
	})
	var ce *model.ConflictError
	if errors.As(err, &ce) {
		return nil // closed meanwhile by someone else
	}
	return err
}

// CloseDueUnitElections closes every open election whose closing time has passed (a job may
// call it; reads close a due election themselves). It returns how many it closed.
func (s *Store) CloseDueUnitElections(ctx context.Context) (int, error) {
	ids, err := queryAll(ctx, s.reader(), `SELECT id FROM unit_elections WHERE status = 'open' AND closes_at <= ? ORDER BY id`, []any{s.now()},
		func(r rowScanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		})
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := s.closeDue(ctx, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// closeElection ends e (a conditional UPDATE: only an open election closes, once), reads its
// tallies and records the result, and for a single winner the unit's new leader.
func (tx *Tx) closeElection(ctx context.Context, sc authz.Scope, e *model.UnitElection) error {
	ts := tx.s.now()
	res, err := tx.exec(ctx, `UPDATE unit_elections SET status = 'closed', closed_at = ?, closed_by = ? WHERE id = ? AND status = 'open'`,
		ts, nullID(sc.UserID), e.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &model.ConflictError{Message: "该选举已经结束"}
	}
	type tally struct {
		id, household, resident int64
		votes                   int
		name                    string
	}
	tallies, err := queryAll(ctx, tx.conn, `SELECT c.id, c.household_id, c.resident_id, c.votes, r.name FROM unit_election_candidates c
		JOIN residents r ON r.id = c.resident_id WHERE c.election_id = ? ORDER BY c.id`, []any{e.ID},
		func(r rowScanner) (tally, error) {
			var t tally
			err := r.Scan(&t.id, &t.household, &t.resident, &t.votes, &t.name)
			return t, err
		})
	if err != nil {
		return err
	}
	var best []tally
	for _, t := range tallies {
		switch {
		case t.votes == 0:
		case len(best) == 0 || t.votes > best[0].votes:
			best = []tally{t}
		case t.votes == best[0].votes:
			best = append(best, t)
		}
	}
	result, winner := model.ResultNoVotes, int64(0)
	switch len(best) {
	case 0:
	case 1:
		result, winner = model.ResultElected, best[0].id
	default:
		result = model.ResultTie
	}
	if _, err := tx.exec(ctx, `UPDATE unit_elections SET result = ?, winner_id = ? WHERE id = ?`, string(result), nullID(winner), e.ID); err != nil {
		return err
	}
	detail := fmt.Sprintf("投票 %d/%d 户：%s", e.Voted, e.Households, result.Label())
	if result == model.ResultTie {
		names := make([]string, len(best))
		for i, t := range best {
			names[i] = t.name
		}
		detail += "（" + strings.Join(names, "、") + " 各 " + fmt.Sprint(best[0].votes) + " 票）"
	}
	if err := tx.unitEvent(ctx, sc, e.UnitID, "election_closed", detail); err != nil {
		return err
	}
	tx.auditAt(sc, e.Path, "unit.election.close", "unit_election", []int64{e.ID}, "result="+string(result))
	if result != model.ResultElected {
		return nil
	}
	w := best[0]
	since := day(ts)
	until := model.TermEnd(since, e.TermMonths)
	if err := tx.setLeader(ctx, e.UnitID, w.household, w.resident, model.LeaderElected, since, until, "", e.ID); err != nil {
		return err
	}
	return tx.unitEvent(ctx, sc, e.UnitID, "leader", fmt.Sprintf("选举产生：%s（%d 票），任期 %s 至 %s", w.name, w.votes,
		since.Format(time.DateOnly), until.Format(time.DateOnly)))
}

// day is midnight UTC of t's date in Asia/Shanghai (a DATE column's value).
func day(t time.Time) time.Time {
	y, m, d := t.In(model.Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// setLeader writes the unit's leader and term (and the units-with-a-leader counters of
// coverage, unit_count.go).
func (tx *Tx) setLeader(ctx context.Context, unitID, household, resident int64, method model.LeaderMethod, since, until time.Time, reason string, election int64) error {
	return tx.unitCountsChange(ctx, []int64{unitID}, func() error {
		_, err := tx.exec(ctx, `UPDATE units SET leader_household_id = ?, leader_resident_id = ?, leader_method = ?, leader_since = ?, leader_until = ?,
		leader_reason = ?, leader_election_id = ?, updated_at = ? WHERE id = ?`,
			household, resident, string(method), since, until, reason, nullID(election), tx.s.now(), unitID)
		return err
	})
}

// AppointUnitLeader is staff naming a household head of unit id its leader without an
// election, recorded as an appointment with its reason and term (from today). A resident who is
// not the head of one of the unit's current households is a *model.ValidationError on
// resident_id. It returns the unit.
func (s *Store) AppointUnitLeader(ctx context.Context, sc authz.Scope, unitID int64, a model.Appointment) (*model.Unit, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		u, err := tx.electionWritable(ctx, sc, unitID)
		if err != nil {
			return err
		}
		heads, err := tx.unitHeads(ctx, unitID)
		if err != nil {
			return err
		}
		household := heads[a.ResidentID]
		if household == 0 {
			return fieldErr("resident_id", "小组长须为本联建单元的户主")
		}
		var name string
		if err := tx.queryRow(ctx, `SELECT name FROM residents WHERE id = ?`, []any{a.ResidentID}, &name); err != nil {
			return err
		}
		since := day(tx.s.now())
		until := model.TermEnd(since, a.TermMonths)
		reason := strings.TrimSpace(a.Reason)
		if err := tx.setLeader(ctx, unitID, household, a.ResidentID, model.LeaderAppointed, since, until, reason, 0); err != nil {
			return err
		}
		if err := tx.unitEvent(ctx, sc, unitID, "leader", fmt.Sprintf("指定：%s，任期 %s 至 %s；理由：%s", name,
			since.Format(time.DateOnly), until.Format(time.DateOnly), reason)); err != nil {
			return err
		}
		tx.auditAt(sc, u.Path, "unit.leader.appoint", "unit", []int64{unitID}, "")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Unit(ctx, sc, unitID)
}
