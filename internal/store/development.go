package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The development pipeline (发展党员). A candidate is a resident in the scope developed by an org
// in the scope; the candidate lies at the org's path. Advance applies model.CheckAdvance and
// moves the stage with a conditional UPDATE (two advances at once: one wins, the other is a
// conflict). Admission as a probationary member adds the roster row (party_members) and sets
// the resident's political status in the same transaction; conversion to full membership
// updates both. Every change appends to party_candidate_events.

const candidateColumns = `c.id, c.resident_id, c.name, c.org_id, o.name, c.path, c.stage, c.status, c.applied_on, c.activist_on, c.target_on, c.probationary_on, c.full_on,
	COALESCE(c.sponsor1_id, 0), COALESCE(s1.name, ''), COALESCE(c.sponsor2_id, 0), COALESCE(s2.name, ''), COALESCE(c.member_id, 0), c.created_at, c.updated_at`

const candidateFrom = ` FROM party_candidates c JOIN party_orgs o ON o.id = c.org_id
	LEFT JOIN party_members s1 ON s1.id = c.sponsor1_id LEFT JOIN party_members s2 ON s2.id = c.sponsor2_id`

func scanCandidate(r rowScanner) (*model.Candidate, error) {
	var c model.Candidate
	var act, tgt, prob, full sql.NullTime
	err := r.Scan(&c.ID, &c.ResidentID, &c.Name, &c.OrgID, &c.OrgName, &c.Path, &c.Stage, &c.Status, &c.AppliedOn, &act, &tgt, &prob, &full,
		&c.Sponsor1ID, &c.Sponsor1Name, &c.Sponsor2ID, &c.Sponsor2Name, &c.MemberID, &c.CreatedAt, &c.UpdatedAt)
	c.ActivistOn, c.TargetOn, c.ProbationaryOn, c.FullOn = timePtr(act), timePtr(tgt), timePtr(prob), timePtr(full)
	return &c, err
}

func today() time.Time { return time.Now().In(model.Shanghai) }

// CreateCandidate records an application (入党申请) of a resident in sc to an org in sc, with its
// application letter. A resident who is already a member or in the pipeline is refused.
func (s *Store) CreateCandidate(ctx context.Context, sc authz.Scope, in model.CandidateInput) (*model.Candidate, error) {
	var out *model.Candidate
	err := s.Tx(ctx, func(tx *Tx) error {
		v := validation(in.Validate(today()))
		var name, status string
		if in.ResidentID > 0 {
			var path string
			err := tx.queryRow(ctx, `SELECT name, path, political_status FROM residents WHERE id = ?`, []any{in.ResidentID}, &name, &path, &status)
			switch {
			case errors.Is(err, model.ErrNotFound) || err == nil && !sc.Contains(path):
				v.Add("resident_id", "居民不存在或不在您的管辖范围内")
			case err != nil:
				return err
			case status == string(model.StatusPartyMember) || status == string(model.StatusProbationary):
				v.Add("resident_id", name+"已是党员，不需要申请入党")
			}
		}
		var o activeOrg
		if in.OrgID > 0 {
			var err error
			o, err = tx.partyOrgRef(ctx, sc, in.OrgID)
			switch {
			case errors.Is(err, model.ErrNotFound):
				v.Add("org_id", "党组织不存在或不在您的管辖范围内")
			case err != nil:
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		ts := now()
		var id int64
		err := tx.queryRow(ctx, `INSERT INTO party_candidates (resident_id, name, org_id, path, community_id, stage, status, applied_on, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'application', 'active', ?, ?, ?) RETURNING id`, []any{in.ResidentID, name, o.id, o.path, o.community, dateArg(in.AppliedOn), ts, ts}, &id)
		if isConflict(err) {
			return &model.ConflictError{Message: name + "已在发展流程中"}
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO party_candidate_documents (candidate_id, doc, stage, recorded_on, note, recorded_by, created_at) VALUES (?, ?, ?, ?, '', ?, ?)`,
			id, string(model.DocApplication), string(model.StageApplication), dateArg(in.AppliedOn), userArg(sc), ts); err != nil {
			return err
		}
		if err := tx.candidateEvent(ctx, sc, id, "applied", "", model.StageApplication, in.AppliedOn, in.Note); err != nil {
			return err
		}
		tx.auditAt(sc, o.path, "party.development.create", "party_candidate", []int64{id}, "")
		out, err = tx.candidate(ctx, sc, id)
		return err
	})
	return out, err
}

func (tx *Tx) candidateEvent(ctx context.Context, sc authz.Scope, id int64, action string, from, to model.Stage, on, detail string) error {
	_, err := tx.exec(ctx, `INSERT INTO party_candidate_events (candidate_id, action, from_stage, to_stage, on_date, detail, actor_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, action, string(from), string(to), dateArg(on), detail, userArg(sc), now())
	return err
}

// Candidate returns the candidate with its documents when it lies in sc, else model.ErrNotFound.
func (s *Store) Candidate(ctx context.Context, sc authz.Scope, id int64) (*model.Candidate, error) {
	return s.reader().candidate(ctx, sc, id)
}

func (c conn) candidate(ctx context.Context, sc authz.Scope, id int64) (*model.Candidate, error) {
	ca, err := scopedOne(ctx, c, sc, `SELECT `+candidateColumns+candidateFrom+` WHERE c.id = ?`, []any{id}, scanCandidate,
		func(c *model.Candidate) string { return c.Path })
	if err != nil {
		return nil, err
	}
	ca.Documents, err = queryAll(ctx, c, `SELECT doc, stage, recorded_on, note FROM party_candidate_documents WHERE candidate_id = ? ORDER BY recorded_on, doc`, []any{id},
		func(r rowScanner) (model.CandidateDocument, error) {
			var d model.CandidateDocument
			return d, r.Scan(&d.Doc, &d.Stage, &d.RecordedOn, &d.Note)
		})
	return ca, err
}

// CandidateFilter selects candidates.
type CandidateFilter struct {
	Stage  model.Stage // "" for every stage
	OrgID  int64
	Limit  int
	Cursor string
}

// Candidates lists the active candidates in sc in (path, id) order.
func (s *Store) Candidates(ctx context.Context, sc authz.Scope, f CandidateFilter) (*Page[*model.Candidate], error) {
	c := s.reader()
	if f.Stage != "" && !f.Stage.Valid() {
		return nil, fieldErr("stage", "stage 应为 application、activist、development_target、probationary 或 full")
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	w := underPathOf("c.path", sc)
	w.add("c.status = 'active'")
	if f.Stage != "" {
		w.add("c.stage = ?", string(f.Stage))
	}
	if f.OrgID != 0 {
		w.add("c.org_id = ?", f.OrgID)
	}
	count := w.clone()
	if cur.key != "" {
		w.add("(c.path > ? OR (c.path = ? AND c.id > ?))", cur.key, cur.key, cur.id)
	}
	p, err := fetchPage(ctx, c, `SELECT `+candidateColumns+candidateFrom+` WHERE `+w.sql()+` ORDER BY c.path, c.id`, w.args, clampLimit(f.Limit),
		func(r rowScanner) (*model.Candidate, cursor, error) {
			ca, err := scanCandidate(r)
			return ca, cursor{key: ca.Path, id: ca.ID}, err
		})
	if err != nil {
		return nil, err
	}
	return p, c.queryRow(ctx, `SELECT COUNT(*) FROM party_candidates c WHERE `+count.sql(), count.args, &p.Total)
}

// StageCounts counts the active candidates in sc per stage.
func (s *Store) StageCounts(ctx context.Context, sc authz.Scope) (map[model.Stage]int, error) {
	w := underPathOf("c.path", sc)
	type row struct {
		s model.Stage
		n int
	}
	rows, err := queryAll(ctx, s.reader(), `SELECT c.stage, COUNT(*) FROM party_candidates c WHERE c.status = 'active' AND `+w.sql()+` GROUP BY c.stage`, w.args,
		func(r rowScanner) (row, error) {
			var x row
			return x, r.Scan(&x.s, &x.n)
		})
	out := map[model.Stage]int{}
	for _, x := range rows {
		out[x.s] = x.n
	}
	return out, err
}

// CandidateEvents is a candidate's history, oldest first.
func (s *Store) CandidateEvents(ctx context.Context, sc authz.Scope, id int64) ([]model.CandidateEvent, error) {
	c := s.reader()
	if _, err := c.candidate(ctx, sc, id); err != nil {
		return nil, err
	}
	return queryAll(ctx, c, `SELECT id, action, from_stage, to_stage, on_date, detail, COALESCE(actor_id, 0), at FROM party_candidate_events WHERE candidate_id = ? ORDER BY id`,
		[]any{id}, func(r rowScanner) (model.CandidateEvent, error) {
			var e model.CandidateEvent
			var on sql.NullTime
			err := r.Scan(&e.ID, &e.Action, &e.FromStage, &e.ToStage, &on, &e.Detail, &e.ActorID, &e.At)
			e.OnDate = timePtr(on)
			return e, err
		})
}

// RecordDocument records a document of a candidate in sc; one of each kind (a second is a
// *model.ConflictError).
func (s *Store) RecordDocument(ctx context.Context, sc authz.Scope, id int64, in model.DocumentInput) (*model.Candidate, error) {
	var out *model.Candidate
	err := s.Tx(ctx, func(tx *Tx) error {
		ca, err := tx.candidate(ctx, sc, id)
		if err != nil {
			return err
		}
		if err := in.Validate(today()); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO party_candidate_documents (candidate_id, doc, stage, recorded_on, note, recorded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, string(in.Doc), string(model.DocStage(in.Doc)), dateArg(in.RecordedOn), in.Note, userArg(sc), now())
		if isConflict(err) {
			return &model.ConflictError{Message: in.Doc.Label() + "已登记"}
		}
		if err != nil {
			return err
		}
		if err := tx.candidateEvent(ctx, sc, id, "document", "", "", in.RecordedOn, string(in.Doc)); err != nil {
			return err
		}
		tx.auditAt(sc, ca.Path, "party.development.document", "party_candidate", []int64{id}, string(in.Doc))
		out, err = tx.candidate(ctx, sc, id)
		return err
	})
	return out, err
}

// sponsors reads the proposed sponsors: whether each exists in sc and is a full, registered,
// current member.
func (c conn) sponsors(ctx context.Context, sc authz.Scope, ids ...int64) ([]model.Sponsor, error) {
	var out []model.Sponsor
	for _, id := range ids {
		if id == 0 {
			continue
		}
		m, err := c.partyMemberRef(ctx, sc, id)
		switch {
		case errors.Is(err, model.ErrNotFound):
			out = append(out, model.Sponsor{ID: id})
		case err != nil:
			return nil, err
		default:
			out = append(out, model.Sponsor{ID: id, Name: m.name, Exists: true, Full: m.status == "full" && m.list == "registered"})
		}
	}
	return out, nil
}

// stageColumn is the date column of a stage.
var stageColumn = map[model.Stage]string{
	model.StageActivist: "activist_on", model.StageTarget: "target_on", model.StageProbationary: "probationary_on", model.StageFull: "full_on",
}

// Advance moves a candidate in sc to the next stage by the rules of model.CheckAdvance (a stage
// skipped, a year not over, sponsors who are not full members, documents missing: a
// *model.ValidationError, nothing changed). Admission (probationary) adds the roster row and sets
// the resident's political status to probationary; conversion (full) makes the roster row full
// and the resident a party member, all in one transaction. A concurrent advance of the same
// candidate is a *model.ConflictError.
func (s *Store) Advance(ctx context.Context, sc authz.Scope, id int64, in model.AdvanceInput) (*model.Candidate, error) {
	var out *model.Candidate
	err := s.Tx(ctx, func(tx *Tx) error {
		ca, err := tx.candidate(ctx, sc, id)
		if err != nil {
			return err
		}
		sp, err := tx.sponsors(ctx, sc, in.Sponsor1ID, in.Sponsor2ID)
		if err != nil {
			return err
		}
		if err := model.CheckAdvance(ca, &in, sp, today()); err != nil {
			return err
		}
		from := ca.Stage
		col := stageColumn[in.To]
		ts := now()
		set, args := col+` = ?, stage = ?, updated_at = ?`, []any{dateArg(in.On), string(in.To), ts}
		if in.To == model.StageProbationary {
			set += `, sponsor1_id = ?, sponsor2_id = ?`
			args = append(args, in.Sponsor1ID, in.Sponsor2ID)
		}
		args = append(args, id, string(from))
		r, err := tx.exec(ctx, `UPDATE party_candidates SET `+set+` WHERE id = ? AND stage = ? AND status = 'active'`, args...)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return &model.ConflictError{Message: "该申请人的阶段刚被他人修改，请刷新后重试"}
		}
		switch in.To {
		case model.StageProbationary:
			if err := tx.admit(ctx, sc, ca, in.On); err != nil {
				return err
			}
		case model.StageFull:
			if err := tx.convert(ctx, sc, ca, in.On); err != nil {
				return err
			}
		}
		if err := tx.candidateEvent(ctx, sc, id, "advanced", from, in.To, in.On, in.Note); err != nil {
			return err
		}
		tx.auditAt(sc, ca.Path, "party.development.advance", "party_candidate", []int64{id}, string(from)+"→"+string(in.To))
		out, err = tx.candidate(ctx, sc, id)
		return err
	})
	return out, err
}

// admit adds the candidate to the roster as a probationary member of the developing org, in
// the caller's transaction, through the same code as adding a member (Tx.CreateMember): the
// org's and the analytics' maintained counts, the resident's political status and the roster's
// validation stay as for any member. A resident already on the roster is a ConflictError.
func (tx *Tx) admit(ctx context.Context, sc authz.Scope, ca *model.Candidate, on string) error {
	var occupation string
	var birth time.Time
	if err := tx.queryRow(ctx, `SELECT birth_date, occupation FROM residents WHERE id = ?`, []any{ca.ResidentID}, &birth, &occupation); err != nil {
		return err
	}
	category := model.CategoryInWork
	switch {
	case occupation == "学生":
		category = model.CategoryStudent
	case !birth.IsZero() && birth.AddDate(60, 0, 0).Before(time.Now()):
		category = model.CategoryRetired
	}
	m, err := tx.CreateMember(ctx, sc, model.MemberInput{List: model.ListRegistered, ResidentID: ca.ResidentID, OrgID: ca.OrgID,
		Status: model.MemberProbationary, JoinedOn: on, Category: category})
	var v *model.ValidationError
	if errors.As(err, &v) && hasField(v, "resident_id") {
		return &model.ConflictError{Message: ca.Name + "已在党员名册中"}
	} else if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE party_candidates SET member_id = ? WHERE id = ?`, m.ID, ca.ID); err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO party_member_events (member_id, action, detail, actor_id, at) VALUES (?, 'admitted', ?, ?, ?)`,
		m.ID, "candidate="+strconv.FormatInt(ca.ID, 10), userArg(sc), now())
	return err
}

// convert makes the candidate's roster row a full member and the resident a party member.
func (tx *Tx) convert(ctx context.Context, sc authz.Scope, ca *model.Candidate, on string) error {
	if ca.MemberID == 0 {
		return &model.ConflictError{Message: ca.Name + "不在党员名册中，无法转正"}
	}
	ts := now()
	if err := tx.memberCountsApply(ctx, -1, "id = ?", ca.MemberID); err != nil {
		return err
	}
	r, err := tx.exec(ctx, `UPDATE party_members SET status = 'full', full_on = ?, updated_at = ? WHERE id = ? AND status = 'probationary' AND left_on IS NULL`,
		dateArg(on), ts, ca.MemberID)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return &model.ConflictError{Message: ca.Name + "在党员名册中已不是预备党员，请先核对名册"}
	}
	if err := tx.memberCountsApply(ctx, 1, "id = ?", ca.MemberID); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO party_member_events (member_id, action, detail, actor_id, at) VALUES (?, 'converted', ?, ?, ?)`,
		ca.MemberID, "candidate="+strconv.FormatInt(ca.ID, 10), userArg(sc), ts); err != nil {
		return err
	}
	_, err = tx.exec(ctx, `UPDATE residents SET political_status = ?, updated_at = ? WHERE id = ?`, string(model.StatusPartyMember), ts, ca.ResidentID)
	return err
}
