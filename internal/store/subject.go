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

// The data subject (PIPL arts. 45 and 46): an account of role resident or member may be linked
// to its own resident record; through the link it sees everything stored about that person and
// asks for corrections, which staff in scope accept or reject.

// ErrNotLinked is returned to a subject whose account has no resident record linked yet.
var ErrNotLinked = &model.ConflictError{Message: "您的账号尚未关联居民信息，请联系社区工作人员核实身份后关联"}

// LinkResident links the account userID to the resident residentID (0 removes the link). Both
// must lie in the caller's scope (model.ErrNotFound otherwise); only accounts of role resident
// or member can be linked, and a resident can be linked to one account only.
func (s *Store) LinkResident(ctx context.Context, sc authz.Scope, userID, residentID int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		u, err := tx.user(ctx, `u.id = ?`, userID)
		if err != nil {
			return err
		}
		if !sc.All && (u.ScopePath == "" || !sc.Contains(u.ScopePath)) {
			return model.ErrNotFound
		}
		if residentID == 0 {
			if _, err := tx.exec(ctx, `UPDATE users SET resident_id = NULL WHERE id = ?`, userID); err != nil {
				return err
			}
			tx.audit(sc, "user.unlink_resident", "user", []int64{userID}, "")
			return nil
		}
		if u.Role != model.RoleResident && u.Role != model.RoleMember && u.Role != model.RoleUnitLeader {
			// A unit leader is a household head of its unit: linked, it votes for its household.
			return fieldErr("resident_id", "只有居民、党员或联建单元小组长账号可以关联居民信息")
		}
		if _, err := tx.resident(ctx, sc, residentID); errors.Is(err, model.ErrNotFound) {
			return fieldErr("resident_id", "居民不存在或不在您的管辖范围内")
		} else if err != nil {
			return err
		}
		var other int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE resident_id = ? AND id <> ?`, []any{residentID, userID}, &other); err != nil {
			return err
		}
		if other > 0 {
			return fieldErr("resident_id", "该居民已关联其他账号")
		}
		if _, err := tx.exec(ctx, `UPDATE users SET resident_id = ? WHERE id = ?`, residentID, userID); err != nil {
			return err
		}
		tx.audit(sc, "user.link_resident", "user", []int64{userID}, "resident "+strconv.FormatInt(residentID, 10))
		return nil
	})
}

// LinkedResidentID returns the resident linked to the account userID, 0 when none.
func (s *Store) LinkedResidentID(ctx context.Context, userID int64) (int64, error) {
	return s.reader().linkedResident(ctx, userID)
}

func (c conn) linkedResident(ctx context.Context, userID int64) (int64, error) {
	var id sql.NullInt64
	if err := c.queryRow(ctx, `SELECT resident_id FROM users WHERE id = ?`, []any{userID}, &id); err != nil {
		return 0, err
	}
	return id.Int64, nil
}

// SubjectAccount is the account part of a subject's data.
type SubjectAccount struct {
	Username    string
	DisplayName string
	Role        model.Role
	ScopeName   string
	CreatedAt   time.Time
	LastLoginAt *time.Time // start of the newest session; nil when none is kept
	Sessions    int        // live sessions
}

// SubjectMember is another member of the subject's household as the subject sees them: name,
// relation and a masked ID number, nothing more.
type SubjectMember struct {
	Name           string
	Relation       model.Relation
	IDNumberMasked string
}

// SubjectData is everything stored about the person behind an account. Resident and Household
// are nil when the account is not linked to a resident record.
type SubjectData struct {
	Account  SubjectAccount
	Resident *model.Resident
	// Own is the subject's own ID number and phone in full (zero when not linked): their own
	// record, which the subject sees whole; callers record that read (subject.read).
	Own         Revealed
	Household   *model.Household
	Members     []SubjectMember
	Corrections []*model.CorrectionRequest
}

// SubjectData returns what is stored about the account userID and its linked resident: the
// resident in full (it is their own record), the household with its address and care flags, the
// other members of the household (masked), the account, and the correction requests made.
// The link, not the account's territory scope, decides whose record it is.
func (s *Store) SubjectData(ctx context.Context, userID int64) (*SubjectData, error) {
	c := s.reader()
	u, err := c.user(ctx, `u.id = ?`, userID)
	if err != nil {
		return nil, err
	}
	d := &SubjectData{Account: SubjectAccount{Username: u.Username, DisplayName: u.DisplayName, Role: u.Role,
		ScopeName: u.ScopeName, CreatedAt: u.CreatedAt}}
	// The newest session's start is the last login; ORDER BY keeps the column's type on SQLite
	// where MAX() would not.
	var last time.Time
	switch err := c.queryRow(ctx, `SELECT created_at FROM sessions WHERE user_id = ? ORDER BY created_at DESC LIMIT 1`, []any{userID}, &last); {
	case err == nil:
		d.Account.LastLoginAt = &last
	case !errors.Is(err, model.ErrNotFound):
		return nil, err
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE user_id = ? AND expires_at > ?`, []any{userID, now()}, &d.Account.Sessions); err != nil {
		return nil, err
	}
	rid, err := c.linkedResident(ctx, userID)
	if err != nil || rid == 0 {
		return d, err
	}
	sys := authz.System()
	if d.Resident, err = c.resident(ctx, sys, rid); err != nil {
		return nil, err
	}
	d.Own = Revealed{IDNumber: d.Resident.IDNumber.Plain(), Phone: d.Resident.Phone.Plain()}
	if d.Household, err = c.household(ctx, sys, d.Resident.HouseholdID); err != nil {
		return nil, err
	}
	members, err := s.ResidentsOfHouseholds(ctx, sys, []int64{d.Household.ID})
	if err != nil {
		return nil, err
	}
	for _, m := range members[d.Household.ID] {
		if m.ID != rid {
			d.Members = append(d.Members, SubjectMember{Name: m.Name, Relation: m.Relation, IDNumberMasked: m.IDNumber.Masked()})
		}
	}
	d.Corrections, err = s.MyCorrections(ctx, userID)
	return d, err
}

const correctionColumns = `c.id, c.resident_id, r.name, r.household_id, r.territory_id, c.requested_by, c.field, c.current_value_masked, c.requested_value,
	c.reason, c.status, c.handled_by, c.handled_at, c.note, c.created_at`

// requestedValueColumn binds a sealed requested value to its column (internal/pii).
const requestedValueColumn = "correction_requests.requested_value"

// scanCorrection reads a row of correctionColumns and opens the sealed requested value.
func (c conn) scanCorrection(sc rowScanner) (*model.CorrectionRequest, error) {
	var cr model.CorrectionRequest
	var by sql.NullInt64
	var at sql.NullTime
	if err := sc.Scan(&cr.ID, &cr.ResidentID, &cr.ResidentName, &cr.HouseholdID, &cr.TerritoryID, &cr.RequestedBy, &cr.Field, &cr.CurrentValueMasked,
		&cr.RequestedValue, &cr.Reason, &cr.Status, &by, &at, &cr.Note, &cr.CreatedAt); err != nil {
		return nil, err
	}
	cr.HandledBy = by.Int64
	if at.Valid {
		cr.HandledAt = &at.Time
	}
	v, err := c.keys.Open(requestedValueColumn, cr.RequestedValue)
	if err != nil {
		return nil, fmt.Errorf("correction %d: %w", cr.ID, err)
	}
	cr.RequestedValue = v
	return &cr, nil
}

// correctionValue is the current value of field on the resident r of household h, in full.
func correctionValue(r *model.Resident, h *model.Household, f model.CorrectionField) string {
	switch f {
	case model.CorrectName:
		return r.Name
	case model.CorrectPhone:
		return r.Phone.Plain()
	case model.CorrectIDNumber:
		return r.IDNumber.Plain()
	case model.CorrectBirthDate:
		return r.BirthDate.Format(time.DateOnly)
	case model.CorrectOccupation:
		return r.Occupation
	case model.CorrectPoliticalStatus:
		return string(r.PoliticalStatus)
	case model.CorrectAddress:
		return h.Address
	}
	return ""
}

// maskedValue is v of field f as a correction request keeps the current value.
func maskedValue(f model.CorrectionField, v string) string {
	switch f {
	case model.CorrectPhone:
		return model.MaskPhone(v)
	case model.CorrectIDNumber:
		return model.MaskIDNumber(v)
	}
	return v
}

// correctedInputs returns the inputs that would change r (or h, for the address) to value, validated
// by the same Validate methods as a staff edit. A bad value is a *model.ValidationError on
// field "value"; household is true when the change is to h.
func correctedInputs(r *model.Resident, h *model.Household, f model.CorrectionField, value string) (ri model.ResidentInput, hi model.HouseholdInput, household bool, err error) {
	if f == model.CorrectAddress {
		hi = model.HouseholdInput{TerritoryID: h.TerritoryID, Address: value, Flags: h.Flags}
		if h.MovedInAt != nil {
			hi.MovedInAt = h.MovedInAt.Format(time.DateOnly)
		}
		return ri, hi, true, asValueErr(hi.Validate())
	}
	ri = model.ResidentInput{HouseholdID: r.HouseholdID, Name: r.Name, Gender: r.Gender, BirthDate: r.BirthDate.Format(time.DateOnly),
		Phone: r.Phone.Plain(), IDNumber: r.IDNumber.Plain(), Relation: r.Relation, PoliticalStatus: r.PoliticalStatus, Occupation: r.Occupation}
	switch f {
	case model.CorrectName:
		ri.Name = value
	case model.CorrectPhone:
		ri.Phone = value
	case model.CorrectIDNumber:
		// Gender and birth date follow from a new number, as in a staff edit.
		ri.IDNumber, ri.Gender, ri.BirthDate = value, "", ""
	case model.CorrectBirthDate:
		ri.BirthDate = value
	case model.CorrectOccupation:
		ri.Occupation = value
	case model.CorrectPoliticalStatus:
		ri.PoliticalStatus = model.PoliticalStatus(value)
	}
	return ri, hi, false, asValueErr(ri.Validate(time.Now()))
}

// asValueErr moves every message of a validation error onto the field "value", the one input
// of a correction form; other errors pass through.
func asValueErr(err error) error {
	var ve *model.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := &model.ValidationError{}
	for _, f := range ve.Fields {
		if !hasField(out, "value") || f.Field == "value" {
			out.Add("value", f.Message)
		}
	}
	return out
}

// CreateCorrection records the request of the account userID to correct one field of its own
// resident record. The value is checked at once with the validators of a staff edit (an
// invalid ID number is refused here, not only at acceptance). ErrNotLinked when the account has
// no resident; a *model.ConflictError when a request for the same field is still open.
// Uniqueness of a new ID number is left to acceptance, so that the form cannot be used to probe
// which numbers are registered.
func (s *Store) CreateCorrection(ctx context.Context, userID int64, in model.CorrectionInput) (*model.CorrectionRequest, error) {
	var out *model.CorrectionRequest
	err := s.Tx(ctx, func(tx *Tx) error {
		p, err := tx.prepareCorrection(ctx, userID, &in)
		if err != nil {
			return err
		}
		// The requested value may be an ID number or a phone: kept sealed like the resident's own.
		sealed, err := tx.keys.Seal(requestedValueColumn, in.Value)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.queryRow(ctx, `INSERT INTO correction_requests (resident_id, requested_by, field, current_value_masked, requested_value, reason, status, note, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 'open', '', ?) RETURNING id`,
			[]any{p.residentID, userID, string(in.Field), maskedValue(in.Field, p.current), sealed, in.Reason, now()}, &id); err != nil {
			return err
		}
		u, err := tx.user(ctx, `u.id = ?`, userID)
		if err != nil {
			return err
		}
		tx.audit(authz.ForUser(u), "correction.create", "resident", []int64{p.residentID}, correctionDetail(id, in.Field))
		out, err = tx.correction(ctx, authz.System(), id)
		return err
	})
	return out, err
}

// CheckCorrection runs every check of CreateCorrection without recording anything, so that a
// form can tell the subject what to fix one question at a time. It returns the current value
// in full (the subject's own) for the page to show.
func (s *Store) CheckCorrection(ctx context.Context, userID int64, in model.CorrectionInput) (current string, err error) {
	p, err := s.reader().prepareCorrection(ctx, userID, &in)
	if err != nil {
		return "", err
	}
	return p.current, nil
}

// CorrectionCurrent returns the current value of field on the account's linked resident, in
// full (the subject's own), or ErrNotLinked.
func (s *Store) CorrectionCurrent(ctx context.Context, userID int64, f model.CorrectionField) (string, error) {
	c := s.reader()
	r, h, err := c.subjectRecord(ctx, userID)
	if err != nil {
		return "", err
	}
	return correctionValue(r, h, f), nil
}

// subjectRecord returns the resident linked to the account and their household; ErrNotLinked
// when there is none.
func (c conn) subjectRecord(ctx context.Context, userID int64) (*model.Resident, *model.Household, error) {
	rid, err := c.linkedResident(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	if rid == 0 {
		return nil, nil, ErrNotLinked
	}
	sys := authz.System()
	r, err := c.resident(ctx, sys, rid)
	if err != nil {
		return nil, nil, err
	}
	h, err := c.household(ctx, sys, r.HouseholdID)
	if err != nil {
		return nil, nil, err
	}
	return r, h, nil
}

type preparedCorrection struct {
	residentID int64
	current    string
}

// prepareCorrection validates in (normalizing its value) against the account's own record.
func (c conn) prepareCorrection(ctx context.Context, userID int64, in *model.CorrectionInput) (preparedCorrection, error) {
	if err := in.Validate(); err != nil {
		return preparedCorrection{}, err
	}
	if in.Field == model.CorrectIDNumber {
		in.Value = normalizeID(in.Value)
	}
	r, h, err := c.subjectRecord(ctx, userID)
	if err != nil {
		return preparedCorrection{}, err
	}
	if _, _, _, err := correctedInputs(r, h, in.Field, in.Value); err != nil {
		return preparedCorrection{}, err
	}
	current := correctionValue(r, h, in.Field)
	if current == in.Value {
		return preparedCorrection{}, fieldErr("value", "填写的内容与现有信息相同，无需更正")
	}
	var open int
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM correction_requests WHERE resident_id = ? AND field = ? AND status = 'open'`,
		[]any{r.ID, string(in.Field)}, &open); err != nil {
		return preparedCorrection{}, err
	}
	if open > 0 {
		return preparedCorrection{}, &model.ConflictError{Message: "您已有一条“" + in.Field.Label() + "”的更正申请正在处理，请等待结果"}
	}
	return preparedCorrection{residentID: r.ID, current: current}, nil
}

// correctionDetail names a request in the audit log without its values.
func correctionDetail(id int64, f model.CorrectionField) string {
	return "correction " + strconv.FormatInt(id, 10) + " field=" + string(f)
}

func normalizeID(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// MyCorrections lists the correction requests the account userID made, newest first.
func (s *Store) MyCorrections(ctx context.Context, userID int64) ([]*model.CorrectionRequest, error) {
	c := s.reader()
	rows, err := c.query(ctx, `SELECT `+correctionColumns+` FROM correction_requests c JOIN residents r ON r.id = c.resident_id
		WHERE c.requested_by = ? ORDER BY c.id DESC LIMIT 200`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*model.CorrectionRequest
	for rows.Next() {
		cr, err := c.scanCorrection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, cr)
	}
	return out, rows.Err()
}

// Correction returns the correction request id when its resident lies in the scope, else
// model.ErrNotFound.
func (s *Store) Correction(ctx context.Context, sc authz.Scope, id int64) (*model.CorrectionRequest, error) {
	return s.reader().correction(ctx, sc, id)
}

func (c conn) correction(ctx context.Context, sc authz.Scope, id int64) (*model.CorrectionRequest, error) {
	if !sc.All && sc.Path == "" {
		return nil, model.ErrNotFound
	}
	lo, hi := authz.PathRange(sc.Path)
	w := filter{where: []string{"c.id = ?", "r.path >= ?", "r.path < ?"}, args: []any{id, lo, hi}}
	w.narrowToUnit(sc, "r.household_id")
	rows, err := c.query(ctx, `SELECT `+correctionColumns+` FROM correction_requests c JOIN residents r ON r.id = c.resident_id
		WHERE `+w.sql(), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, model.ErrNotFound
	}
	return c.scanCorrection(rows)
}

// CorrectionFilter selects correction requests. Under is a subtree root (0: the whole scope).
type CorrectionFilter struct {
	Under  int64
	Status model.CorrectionStatus // "" for every status
	Limit  int
	Cursor string
}

// Corrections lists the correction requests of residents in the scope matching f, newest first.
func (s *Store) Corrections(ctx context.Context, sc authz.Scope, f CorrectionFilter) (*Page[*model.CorrectionRequest], error) {
	c := s.reader()
	prefix := ""
	if f.Under != 0 {
		under, err := c.territory(ctx, sc, f.Under)
		if err != nil {
			return nil, err
		}
		prefix = under.Path
	}
	prefix, ok := sc.Narrow(prefix)
	if !ok {
		return &Page[*model.CorrectionRequest]{}, nil
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, fieldErr("status", "status 应为 open、accepted 或 rejected")
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	lo, hi := authz.PathRange(prefix)
	where, args := []string{"r.path >= ?", "r.path < ?"}, []any{lo, hi}
	if cond, a := unitCond(sc, "r.household_id"); cond != "" {
		where, args = append(where, cond), append(args, a...)
	}
	if f.Status != "" {
		where, args = append(where, "c.status = ?"), append(args, string(f.Status))
	}
	page := &Page[*model.CorrectionRequest]{}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM correction_requests c JOIN residents r ON r.id = c.resident_id WHERE `+and(where), args, &page.Total); err != nil {
		return nil, err
	}
	if cur.id != 0 {
		where, args = append(where, "c.id < ?"), append(args, cur.id)
	}
	rest, err := fetchPage(ctx, c, `SELECT `+correctionColumns+` FROM correction_requests c JOIN residents r ON r.id = c.resident_id
		WHERE `+and(where)+` ORDER BY c.id DESC`, args, clampLimit(f.Limit),
		func(r rowScanner) (*model.CorrectionRequest, cursor, error) {
			cr, err := c.scanCorrection(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return cr, cursor{id: cr.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	page.Items, page.Next = rest.Items, rest.Next
	return page, nil
}

// errHandled is the answer to handling a request twice.
var errHandled = &model.ConflictError{Message: "该申请已处理过，不能重复处理"}

// AcceptCorrection applies an open correction request in the scope through the same validated
// update as a staff edit (Tx.UpdateResident, Tx.UpdateHousehold) and marks it accepted, in one
// transaction. A value that no longer validates (or an ID number registered to someone else)
// is a *model.ValidationError on "value" and changes nothing; model.ErrNotFound outside the
// scope; a *model.ConflictError when it was already handled.
func (s *Store) AcceptCorrection(ctx context.Context, sc authz.Scope, id int64, note string) (*model.CorrectionRequest, error) {
	if err := model.CheckCorrectionNote(note, false); err != nil {
		return nil, err
	}
	var out *model.CorrectionRequest
	err := s.Tx(ctx, func(tx *Tx) error {
		cr, err := tx.correction(ctx, sc, id)
		if err != nil {
			return err
		}
		if cr.Status != model.CorrectionOpen {
			return errHandled
		}
		r, err := tx.resident(ctx, sc, cr.ResidentID)
		if err != nil {
			return err
		}
		h, err := tx.household(ctx, sc, r.HouseholdID)
		if err != nil {
			return err
		}
		ri, hi, household, err := correctedInputs(r, h, cr.Field, cr.RequestedValue)
		if err != nil {
			return err
		}
		if household {
			_, err = tx.UpdateHousehold(ctx, sc, h.ID, hi)
		} else {
			_, err = tx.UpdateResident(ctx, sc, r.ID, ri)
		}
		if err != nil {
			return asValueErr(err)
		}
		if err := tx.handleCorrection(ctx, sc, id, model.CorrectionAccepted, note); err != nil {
			return err
		}
		tx.audit(sc, "correction.accept", "resident", []int64{cr.ResidentID}, correctionDetail(id, cr.Field))
		out, err = tx.correction(ctx, sc, id)
		return err
	})
	return out, err
}

// RejectCorrection closes an open correction request in the scope without changing the record;
// note (required) tells the resident why.
func (s *Store) RejectCorrection(ctx context.Context, sc authz.Scope, id int64, note string) (*model.CorrectionRequest, error) {
	if err := model.CheckCorrectionNote(note, true); err != nil {
		return nil, err
	}
	var out *model.CorrectionRequest
	err := s.Tx(ctx, func(tx *Tx) error {
		cr, err := tx.correction(ctx, sc, id)
		if err != nil {
			return err
		}
		if cr.Status != model.CorrectionOpen {
			return errHandled
		}
		if err := tx.handleCorrection(ctx, sc, id, model.CorrectionRejected, note); err != nil {
			return err
		}
		tx.audit(sc, "correction.reject", "resident", []int64{cr.ResidentID}, correctionDetail(id, cr.Field))
		out, err = tx.correction(ctx, sc, id)
		return err
	})
	return out, err
}

func (tx *Tx) handleCorrection(ctx context.Context, sc authz.Scope, id int64, status model.CorrectionStatus, note string) error {
	var by any
	if sc.UserID != 0 {
		by = sc.UserID
	}
	res, err := tx.exec(ctx, `UPDATE correction_requests SET status = ?, handled_by = ?, handled_at = ?, note = ? WHERE id = ? AND status = 'open'`,
		string(status), by, now(), trimNote(note), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errHandled
	}
	return nil
}

func trimNote(s string) string { return strings.TrimSpace(s) }

// addCorrectionKeyUsage adds to use how many correction requests each key id seals, so that
// KeyUsage keeps a key that still opens one.
func (s *Store) addCorrectionKeyUsage(ctx context.Context, use map[string]int64) error {
	return s.addKeyUsage(ctx, "correction_requests", "requested_value", use)
}

// reencryptCorrections seals again, under the current key, every requested value of a
// correction request sealed under another key; Reencrypt calls it after the residents.
func (s *Store) reencryptCorrections(ctx context.Context) (int64, error) {
	return s.reencryptSealed(ctx, "correction_requests", "requested_value", requestedValueColumn)
}

// reencryptSealed seals again, under the current key, every value of table.column (bound to
// bind, internal/pii) sealed under another key.
func (s *Store) reencryptSealed(ctx context.Context, table, column, bind string) (int64, error) {
	cur := s.keys.Current() + ":"
	var done int64
	err := s.Tx(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT id, `+column+` FROM `+table+` WHERE `+column+` <> '' AND substr(`+column+`, 1, ?) <> ?`, len(cur), cur)
		if err != nil {
			return err
		}
		type row struct {
			id    int64
			value string
		}
		var rs []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.value); err != nil {
				rows.Close()
				return err
			}
			rs = append(rs, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, r := range rs {
			v, err := tx.keys.Open(bind, r.value)
			if err != nil {
				return fmt.Errorf("%s %d: %w", table, r.id, err)
			}
			sealed, err := tx.keys.Seal(bind, v)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `UPDATE `+table+` SET `+column+` = ? WHERE id = ?`, sealed, r.id); err != nil {
				return err
			}
			done++
		}
		return nil
	})
	return done, err
}
