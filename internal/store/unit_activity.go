package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The five joint activities (五联创建, issue 9 item 5). A record belongs to a unit and lies at
// the unit's path, so territory scope works on it as on the unit; a unit_leader account reads
// and records the activities of its own unit only (sc.Unit). A hardship record (困难联帮) read
// by a role that may not see hardship (authz.FieldHardship) is withheld (model.UnitActivity
// .Withheld), and its case can be neither read, filtered by, nor moved by such a role.

// ErrHardshipWithheld refuses to a role that may not see hardship what would reveal it.
var ErrHardshipWithheld = fmt.Errorf("%w: hardship cases are withheld from this role", model.ErrForbidden)

const unitActivityColumns = `a.id, a.unit_id, u.name, a.community_id, a.path, a.category, a.on_date, a.month, a.description, a.households, a.photos,
	a.case_household_id, a.case_status, a.case_updated_at, COALESCE(a.created_by, 0), a.created_by_name, a.created_at`

const unitActivityFrom = ` FROM unit_activities a JOIN units u ON u.id = a.unit_id`

func scanUnitActivity(r rowScanner) (*model.UnitActivity, error) {
	a := &model.UnitActivity{}
	var photos int
	var caseHH sql.NullInt64
	var caseStatus string
	var caseAt sql.NullTime
	if err := r.Scan(&a.ID, &a.UnitID, &a.UnitName, &a.CommunityID, &a.Path, &a.Category, &a.Date, &a.Month, &a.Description, &a.HouseholdCount, &photos,
		&caseHH, &caseStatus, &caseAt, &a.CreatedBy, &a.CreatorName, &a.CreatedAt); err != nil {
		return nil, err
	}
	if caseHH.Valid {
		a.Case = &model.HardshipCase{HouseholdID: caseHH.Int64, Status: model.CaseStatus(caseStatus), UpdatedAt: caseAt.Time}
	}
	a.Photos = make([]model.ActivityPhoto, photos) // numbers only until fillActivities reads them
	for i := range a.Photos {
		a.Photos[i].N = i + 1
	}
	return a, nil
}

// unitFor checks that sc may work with unit: it lies in the scope, and a unit leader leads it.
func (c conn) unitFor(ctx context.Context, sc authz.Scope, unitID int64) (*model.Unit, error) {
	if sc.Role == model.RoleUnitLeader && !sc.All && sc.Unit != unitID {
		return nil, model.ErrNotFound
	}
	return c.unit(ctx, sc, unitID)
}

// unitActivityVisible reports whether sc may read the record at all (scope and unit leader's unit).
func unitActivityVisible(sc authz.Scope, a *model.UnitActivity) bool {
	if !sc.Contains(a.Path) {
		return false
	}
	return sc.All || sc.Role != model.RoleUnitLeader || sc.Unit == a.UnitID
}

// withholdActivity clears what sc may not see of a hardship record.
func withholdActivity(sc authz.Scope, a *model.UnitActivity) {
	if a.Category == model.ActivityHardship && !sc.CanSee(authz.FieldHardship) {
		a.Withheld = true
		a.Description = ""
		a.Households = nil
		a.Photos = nil
		a.Case = nil
		a.CreatorName = ""
	}
}

// RecordUnitActivity records an activity of unit with its photos (the uploaded bytes, at most
// model.PhotosPerEntry, each checked and re-encoded by model.CheckPhoto). The households must be
// current households of the unit; a case household too. Everything is checked before anything
// is written: a *model.ValidationError names every bad field, and nothing is stored. The counts
// per category and month of every node above the unit, and the unit's last activity month, are
// adjusted in the same transaction. model.ErrNotFound when the unit is not sc's (a unit leader:
// not its own unit); a ConflictError when the unit has ended.
func (s *Store) RecordUnitActivity(ctx context.Context, sc authz.Scope, unitID int64, in model.UnitActivityInput, photos [][]byte) (*model.UnitActivity, error) {
	v := &model.ValidationError{}
	if err := in.Validate(s.now()); err != nil {
		errors.As(err, &v)
	}
	checked, err := checkPhotos(v, photos)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var id int64
	err = s.Tx(ctx, func(tx *Tx) error {
		u, err := tx.unitFor(ctx, sc, unitID)
		if err != nil {
			return err
		}
		if !u.Active() {
			return &model.ConflictError{Message: "该联建单元已" + u.Status.Label() + "，不能再登记活动"}
		}
		if err := tx.checkUnitHouseholds(ctx, unitID, in.Households, "households"); err != nil {
			return err
		}
		if in.CaseHouseholdID != 0 {
			if err := tx.checkUnitHouseholds(ctx, unitID, []int64{in.CaseHouseholdID}, "case_household_id"); err != nil {
				return err
			}
		}
		name, err := tx.authorName(ctx, sc.UserID)
		if err != nil {
			return err
		}
		ts := tx.s.now()
		var caseHH, caseAt any
		caseStatus := ""
		if in.CaseHouseholdID != 0 {
			caseHH, caseStatus, caseAt = in.CaseHouseholdID, string(model.CaseReported), ts
		}
		month := model.MonthOf(in.Date)
		if err := tx.queryRow(ctx, `INSERT INTO unit_activities (unit_id, community_id, path, category, on_date, month, description, households, photos,
			case_household_id, case_status, case_updated_at, created_by, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{unitID, u.CommunityID, u.Path, string(in.Category), in.Date, month, in.Description, len(in.Households), len(checked),
				caseHH, caseStatus, caseAt, nullID(sc.UserID), name, ts}, &id); err != nil {
			return err
		}
		for _, h := range in.Households {
			if _, err := tx.exec(ctx, `INSERT INTO unit_activity_households (activity_id, household_id) VALUES (?, ?)`, id, h); err != nil {
				return err
			}
		}
		blobs := make([]Blob, len(checked))
		for i, p := range checked {
			blobs[i] = Blob{ID: blobID("ua", p.Data), ContentType: p.ContentType, Size: int64(len(p.Data)), Data: p.Data}
			if _, err := tx.exec(ctx, `INSERT INTO unit_activity_photos (activity_id, n, blob_id, content_type, size, width, height) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				id, i+1, blobs[i].ID, p.ContentType, len(p.Data), p.Width, p.Height); err != nil {
				return err
			}
		}
		if err := tx.storeBlobs(ctx, blobs); err != nil {
			return err
		}
		if caseStatus != "" {
			if _, err := tx.exec(ctx, `INSERT INTO unit_activity_case_notes (activity_id, from_status, to_status, note, actor_id, at) VALUES (?, '', ?, ?, ?, ?)`,
				id, caseStatus, "上报", nullID(sc.UserID), ts); err != nil {
				return err
			}
		}
		acts := map[activityCountKey]int64{}
		for _, p := range memberCountsAncestors(u.Path) {
			acts[activityCountKey{p, month, string(in.Category)}]++
		}
		if err := tx.activityCountsWrite(ctx, acts); err != nil {
			return err
		}
		if month > u.LastActivityMonth {
			if err := tx.unitCountsChange(ctx, []int64{unitID}, func() error {
				_, err := tx.exec(ctx, `UPDATE units SET last_activity_month = ? WHERE id = ? AND last_activity_month < ?`, month, unitID, month)
				return err
			}); err != nil {
				return err
			}
		}
		tx.auditAt(sc, u.Path, "unit.activity.record", "unit_activity", []int64{id},
			fmt.Sprintf("%s %s %s，%d户，%d张照片", u.Name, in.Category.Label(), in.Date, len(in.Households), len(checked)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.UnitActivity(ctx, authz.System(), id)
}

// checkUnitHouseholds checks that every household is a current household of unit.
func (tx *Tx) checkUnitHouseholds(ctx context.Context, unitID int64, households []int64, field string) error {
	if len(households) == 0 {
		return nil
	}
	args := make([]any, 0, len(households)+1)
	args = append(args, unitID)
	for _, h := range households {
		args = append(args, h)
	}
	in, err := queryAll(ctx, tx.conn, `SELECT id FROM households WHERE unit_id = ? AND moved_out_at IS NULL AND id IN (`+inList(len(households))+`)`, args,
		func(r rowScanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		})
	if err != nil {
		return err
	}
	got := map[int64]bool{}
	for _, id := range in {
		got[id] = true
	}
	for _, h := range households {
		if !got[h] {
			return fieldErr(field, fmt.Sprintf("住户 %d 不是本联建单元的住户，只能勾选本单元的住户", h))
		}
	}
	return nil
}

// UnitActivity returns one record with its households, photos and case (notes included); a
// hardship record withheld for a role that may not see hardship. model.ErrNotFound when missing
// or not sc's.
func (s *Store) UnitActivity(ctx context.Context, sc authz.Scope, id int64) (*model.UnitActivity, error) {
	c := s.reader()
	a, err := queryOne(ctx, c, `SELECT `+unitActivityColumns+unitActivityFrom+` WHERE a.id = ?`, []any{id}, scanUnitActivity)
	if err != nil {
		return nil, err
	}
	if !unitActivityVisible(sc, a) {
		return nil, model.ErrNotFound
	}
	if err := c.fillActivities(ctx, []*model.UnitActivity{a}, true); err != nil {
		return nil, err
	}
	withholdActivity(sc, a)
	return a, nil
}

// fillActivities reads the records' households and photos (and, with notes, their cases' notes
// and addresses).
func (c conn) fillActivities(ctx context.Context, as []*model.UnitActivity, notes bool) error {
	if len(as) == 0 {
		return nil
	}
	byID := map[int64]*model.UnitActivity{}
	args := make([]any, len(as))
	for i, a := range as {
		byID[a.ID] = a
		args[i] = a.ID
		a.Photos = a.Photos[:0]
	}
	list := inList(len(args))
	rows, err := c.query(ctx, `SELECT activity_id, household_id FROM unit_activity_households WHERE activity_id IN (`+list+`) ORDER BY activity_id, household_id`, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var a, h int64
		if err := rows.Scan(&a, &h); err != nil {
			_ = rows.Close()
			return err
		}
		byID[a].Households = append(byID[a].Households, h)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	rows, err = c.query(ctx, `SELECT activity_id, n, blob_id, content_type, size, width, height FROM unit_activity_photos WHERE activity_id IN (`+list+`) ORDER BY activity_id, n`, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var a int64
		var p model.ActivityPhoto
		if err := rows.Scan(&a, &p.N, &p.BlobID, &p.ContentType, &p.Size, &p.Width, &p.Height); err != nil {
			_ = rows.Close()
			return err
		}
		byID[a].Photos = append(byID[a].Photos, p)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if !notes {
		return nil
	}
	for _, a := range as {
		if a.Case == nil {
			continue
		}
		if err := c.queryRow(ctx, `SELECT address FROM households WHERE id = ?`, []any{a.Case.HouseholdID}, &a.Case.Address); err != nil {
			return err
		}
		a.Case.Notes, err = queryAll(ctx, c, `SELECT from_status, to_status, note, COALESCE(actor_id, 0), at FROM unit_activity_case_notes WHERE activity_id = ? ORDER BY id`,
			[]any{a.ID}, func(r rowScanner) (model.CaseNote, error) {
				var n model.CaseNote
				err := r.Scan(&n.From, &n.To, &n.Note, &n.ActorID, &n.At)
				return n, err
			})
		if err != nil {
			return err
		}
	}
	return nil
}

// UnitActivityFilter narrows UnitActivities.
type UnitActivityFilter struct {
	UnitID   int64 // one unit's records (0: every unit under Under)
	Under    int64 // a territory subtree (0: the whole scope)
	Category model.ActivityCategory
	Month    string // YYYY-MM
	// CaseStatus keeps the hardship records whose case is in that status; refused
	// (ErrHardshipWithheld) to roles that may not see hardship.
	CaseStatus model.CaseStatus
	Limit      int
	Cursor     string
}

// UnitActivities lists records, newest day first, with the total. A unit leader sees its own
// unit's records only.
func (s *Store) UnitActivities(ctx context.Context, sc authz.Scope, f UnitActivityFilter) (*Page[*model.UnitActivity], error) {
	c := s.reader()
	if f.CaseStatus != "" && !sc.CanSee(authz.FieldHardship) {
		return nil, ErrHardshipWithheld
	}
	w := filter{}
	prefix, ok, err := c.subtree(ctx, sc, f.Under)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Page[*model.UnitActivity]{}, nil
	}
	lo, hi := authz.PathRange(prefix)
	w.add("a.path >= ? AND a.path < ?", lo, hi)
	switch {
	case f.UnitID != 0:
		if _, err := c.unitFor(ctx, sc, f.UnitID); err != nil {
			return nil, err
		}
		w.add("a.unit_id = ?", f.UnitID)
	case sc.Role == model.RoleUnitLeader && !sc.All:
		// A unit leader's records are its own unit's, wherever the filter points.
		w.add("a.unit_id = ?", sc.Unit)
	}
	if f.Category != "" {
		if !f.Category.Valid() {
			return nil, fieldErr("category", "活动类别应为 environment、safety、hardship、prosperity 或 civility")
		}
		w.add("a.category = ?", string(f.Category))
	}
	if f.Month != "" {
		if _, err := time.Parse("2006-01", f.Month); err != nil {
			return nil, fieldErr("month", "月份格式应为 2026-05")
		}
		w.add("a.month = ?", f.Month)
	}
	if f.CaseStatus != "" {
		if !f.CaseStatus.Valid() {
			return nil, fieldErr("case_status", "帮扶状态应为 reported、helping 或 resolved")
		}
		w.add("a.case_status = ?", string(f.CaseStatus))
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	count := w.clone()
	if cur.key != "" {
		w.add("(a.on_date < ? OR (a.on_date = ? AND a.id < ?))", cur.key, cur.key, cur.id)
	}
	page, err := fetchPage(ctx, c, `SELECT `+unitActivityColumns+unitActivityFrom+` WHERE `+w.sql()+` ORDER BY a.on_date DESC, a.id DESC`, w.args, clampLimit(f.Limit),
		func(r rowScanner) (*model.UnitActivity, cursor, error) {
			a, err := scanUnitActivity(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return a, cursor{key: a.Date, id: a.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*)`+unitActivityFrom+` WHERE `+count.sql(), count.args, &page.Total); err != nil {
		return nil, err
	}
	if err := c.fillActivities(ctx, page.Items, false); err != nil {
		return nil, err
	}
	for _, a := range page.Items {
		withholdActivity(sc, a)
	}
	return page, nil
}

// UnitActivityPhoto returns photo n (from 1) of a record and its bytes; model.ErrNotFound when
// either is missing, the record is not sc's, or it is withheld from sc.
func (s *Store) UnitActivityPhoto(ctx context.Context, sc authz.Scope, id int64, n int) (*model.ActivityPhoto, *Blob, error) {
	a, err := s.UnitActivity(ctx, sc, id)
	if err != nil {
		return nil, nil, err
	}
	if n < 1 || n > len(a.Photos) {
		return nil, nil, model.ErrNotFound
	}
	p := a.Photos[n-1]
	b, err := s.Blobs().Get(ctx, p.BlobID)
	if err != nil {
		return nil, nil, err
	}
	return &p, b, nil
}

// MoveHardshipCase moves a hardship record's case from the status it is in to to, with a note
// (required when resolving). Only roles that see hardship may (ErrHardshipWithheld otherwise);
// the move is a conditional UPDATE on the status from, so of two moves racing from one status
// one wins and the other is a ConflictError.
func (s *Store) MoveHardshipCase(ctx context.Context, sc authz.Scope, id int64, from, to model.CaseStatus, note string) (*model.UnitActivity, error) {
	if !sc.CanSee(authz.FieldHardship) {
		return nil, ErrHardshipWithheld
	}
	note = strings.TrimSpace(note)
	v := &model.ValidationError{}
	if !to.Valid() {
		v.Add("status", "帮扶状态应为 reported、helping 或 resolved")
	} else if from.Valid() && !from.CanMove(to) {
		v.Add("status", fmt.Sprintf("帮扶对象不能从“%s”改为“%s”", from.Label(), to.Label()))
	}
	if !from.Valid() {
		v.Add("from", "请给出当前的帮扶状态（reported、helping 或 resolved）")
	}
	if to == model.CaseResolved && note == "" {
		v.Add("note", "结案时请写明怎么解决的")
	}
	if utf8.RuneCountInString(note) > model.CaseNoteMax {
		v.Add("note", fmt.Sprintf("说明不能超过 %d 个字", model.CaseNoteMax))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		a, err := queryOne(ctx, tx.conn, `SELECT `+unitActivityColumns+unitActivityFrom+` WHERE a.id = ?`, []any{id}, scanUnitActivity)
		if err != nil {
			return err
		}
		if !unitActivityVisible(sc, a) {
			return model.ErrNotFound
		}
		if a.Case == nil {
			return &model.ConflictError{Message: "这条记录没有登记帮扶对象"}
		}
		ts := tx.s.now()
		res, err := tx.exec(ctx, `UPDATE unit_activities SET case_status = ?, case_updated_at = ? WHERE id = ? AND case_status = ?`, string(to), ts, id, string(from))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return &model.ConflictError{Message: "帮扶状态已被他人改变，请刷新后再试"}
		}
		if _, err := tx.exec(ctx, `INSERT INTO unit_activity_case_notes (activity_id, from_status, to_status, note, actor_id, at) VALUES (?, ?, ?, ?, ?, ?)`,
			id, string(from), string(to), note, nullID(sc.UserID), ts); err != nil {
			return err
		}
		tx.auditAt(sc, a.Path, "unit.activity.case", "unit_activity", []int64{id}, string(from)+" → "+string(to))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.UnitActivity(ctx, sc, id)
}
