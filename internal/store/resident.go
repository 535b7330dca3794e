package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
)

const residentColumns = `id, household_id, territory_id, name, gender, birth_date, phone_enc, id_number_enc, relation, political_status, occupation, created_at, updated_at`

// scanResident reads residentColumns (and extra destinations after them) and opens the sealed
// phone and ID number with kr: a value that does not open is an error, never a wrong value.
func scanResident(sc rowScanner, kr *pii.Keyring, extra ...any) (*model.Resident, error) {
	var r model.Resident
	var phone, idNumber string
	dest := append([]any{&r.ID, &r.HouseholdID, &r.TerritoryID, &r.Name, &r.Gender, &r.BirthDate, &phone, &idNumber,
		&r.Relation, &r.PoliticalStatus, &r.Occupation, &r.CreatedAt, &r.UpdatedAt}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	if err := openResident(kr, &r, idNumber, phone); err != nil {
		return nil, err
	}
	return &r, nil
}

// Resident returns the resident with id, or model.ErrNotFound when it does not exist or lies
// outside the scope.
func (s *Store) Resident(ctx context.Context, sc authz.Scope, id int64) (*model.Resident, error) {
	r, err := s.reader().resident(ctx, sc, id)
	sc.RedactResident(r) // the field-level policy: what the role may not see never leaves the store
	return r, err
}

func (c conn) resident(ctx context.Context, sc authz.Scope, id int64) (*model.Resident, error) {
	type row struct {
		r    *model.Resident
		path string
		unit int64
	}
	v, err := scopedHousehold(ctx, c, sc, `SELECT `+residentColumns+`, path,
		(SELECT COALESCE(h.unit_id, 0) FROM households h WHERE h.id = residents.household_id) FROM residents WHERE id = ?`, []any{id},
		func(rs rowScanner) (row, error) {
			var x row
			var err error
			x.r, err = scanResident(rs, c.keys, &x.path, &x.unit)
			return x, err
		},
		func(x row) (string, int64) { return x.path, x.unit })
	return v.r, err
}

// ResidentFilter selects residents. Under is a subtree root (0: the whole scope).
type ResidentFilter struct {
	Under           int64
	HouseholdID     int64
	PoliticalStatus model.PoliticalStatus
	Q               string // name contains
	IDNumber        string // exactly this ID number (through the blind index; x and X alike)
	Phone           string // exactly this phone (through the blind index; digits compared)
	Reason          string // why IDNumber or Phone is looked up: required with them, audited
	Limit           int
	Cursor          string
}

// Residents lists residents in the scope matching f, ordered by (path, id). With an ID number
// or phone it is an exact lookup: a *model.ForbiddenError (recorded as denied) for a role that
// sees that field masked, a *model.ValidationError on field reason without a valid f.Reason
// (CheckReason), a *model.RateLimitError (recorded as denied) over the account's allowance
// (WithLookupLimit), and otherwise recorded with the matching residents' ids and the reason.
func (s *Store) Residents(ctx context.Context, sc authz.Scope, f ResidentFilter) (*Page[*model.Resident], error) {
	if f.IDNumber != "" || f.Phone != "" {
		return s.lookupResidents(ctx, sc, f)
	}
	return s.reader().residents(ctx, sc, f)
}

func (c conn) residents(ctx context.Context, sc authz.Scope, f ResidentFilter) (*Page[*model.Resident], error) {
	prefix, ok, err := c.subtree(ctx, sc, f.Under)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Page[*model.Resident]{}, nil
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	w := residentsUnder(sc, prefix)
	filtered := sc.UnitBound() // a unit leader's total is a COUNT of its unit, never the subtree's
	if f.HouseholdID != 0 {
		w.add("household_id = ?", f.HouseholdID)
		filtered = true
	}
	if f.PoliticalStatus != "" {
		if f.PoliticalStatus.Label() == "" {
			return nil, fieldErr("political_status", "政治面貌应为 party_member、probationary、league_member 或 masses")
		}
		if !sc.CanSee(authz.FieldPoliticalStatus) {
			// Filtering by a field the role may not see would reveal it.
			return nil, model.ErrForbidden
		}
		w.add("political_status = ?", string(f.PoliticalStatus))
		filtered = true
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		w.add("name LIKE ? ESCAPE '\\'", "%"+escapeLike(q)+"%")
		filtered = true
	}
	for _, x := range []struct{ value, column, kind string }{
		{f.IDNumber, "id_number_idx", pii.KindIDNumber}, {f.Phone, "phone_idx", pii.KindPhone}} {
		if x.value == "" {
			continue
		}
		if c.keys == nil {
			return nil, pii.ErrNoKeys
		}
		// An exact match on the blind index; a value that normalizes to nothing matches nothing.
		w.add(x.column+" = ?", c.keys.BlindIndex(x.kind, x.value))
		filtered = true
	}
	count := w.clone()
	w.afterPath(cur)
	page, err := fetchPage(ctx, c, `SELECT `+residentColumns+`, path FROM residents WHERE `+w.sql()+` ORDER BY path, id`, w.args, clampLimit(f.Limit),
		func(rs rowScanner) (*model.Resident, cursor, error) {
			var path string
			r, err := scanResident(rs, c.keys, &path)
			if err != nil {
				return nil, cursor{}, err
			}
			sc.RedactResident(r)
			return r, cursor{key: path, id: r.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	if filtered {
		err = c.queryRow(ctx, `SELECT COUNT(*) FROM residents WHERE `+count.sql(), count.args, &page.Total)
	} else {
		page.Total, err = c.subtreeCount(ctx, prefix, "residents")
	}
	return page, err
}

// CreateResident adds a resident to a household in the scope; in is validated against now.
// A second 户主 in one household, or an ID number already registered, is a validation error.
func (s *Store) CreateResident(ctx context.Context, sc authz.Scope, in model.ResidentInput) (*model.Resident, error) {
	var r *model.Resident
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		r, err = tx.CreateResident(ctx, sc, in)
		return err
	})
	return r, err
}

// CreateResident is Store.CreateResident inside tx. Bad fields, a bad household, a second head
// and an ID number already registered are reported together in one *model.ValidationError,
// found before any statement fails, so that the transaction stays usable for the caller's
// next write (PostgreSQL aborts a transaction on its first failed statement).
func (tx *Tx) CreateResident(ctx context.Context, sc authz.Scope, in model.ResidentInput) (*model.Resident, error) {
	v := validation(in.Validate(time.Now()))
	h, err := tx.household(ctx, sc, in.HouseholdID)
	switch {
	case errors.Is(err, model.ErrNotFound):
		v.Add("household_id", "所属住户不存在或不在您的管辖范围内")
	case err != nil:
		return nil, err
	case h.MovedOutAt != nil:
		v.Add("household_id", "该户已迁出，不能再添加成员")
	case in.Relation == model.RelationHead && h.HeadName != "":
		v.Add("relation", "该户已有户主（"+h.HeadName+"），请选择其他关系")
	}
	if h != nil && !hasField(v, "id_number") {
		// Uniqueness is asked only for a household in scope, so that every answer about a
		// number held elsewhere is recorded against it and counted (conflict.go).
		if err := tx.checkIDNumber(ctx, sc, in, h, 0, model.ConflictFromCreate, v); err != nil {
			return nil, err
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var community any
	if err := tx.queryRow(ctx, `SELECT community_id FROM households WHERE id = ?`, []any{h.ID}, &community); err != nil {
		return nil, err
	}
	p, err := sealResident(tx.keys, in.IDNumber, in.Phone)
	if err != nil {
		return nil, err
	}
	ts := now()
	var id int64
	err = tx.queryRow(ctx, `INSERT INTO residents (household_id, territory_id, community_id, path, name, gender, birth_date, phone_enc, phone_idx, id_number_enc, id_number_idx, relation, political_status, occupation, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		[]any{h.ID, h.TerritoryID, community, h.Path, in.Name, string(in.Gender), in.Birth(), p.phoneEnc, p.phoneIdx, p.idEnc, p.idIdx,
			string(in.Relation), string(in.PoliticalStatus), in.Occupation, ts, ts}, &id)
	if isConflict(err) {
		// A writer beside us registered the number after the check: we cannot tell where.
		return nil, fieldErr("id_number", model.DuplicateIDMessage)
	} else if err != nil {
		return nil, err
	}
	head := ""
	if in.Relation == model.RelationHead {
		head = in.Name
	}
	if _, err := tx.exec(ctx, `UPDATE households SET members = members + 1, head_name = CASE WHEN ? <> '' THEN ? ELSE head_name END, updated_at = ? WHERE id = ?`,
		head, head, ts, h.ID); err != nil {
		return nil, err
	}
	if err := tx.adjustCounts(ctx, h.Path, 0, 1); err != nil {
		return nil, err
	}
	if err := tx.householdEvent(ctx, sc, h.ID, "member_added", in.Name+"（"+in.Relation.Label()+"）"); err != nil {
		return nil, err
	}
	tx.audit(sc, "resident.create", "resident", []int64{id}, "")
	return tx.resident(ctx, sc, id)
}

// UpdateResident changes a resident's fields (not the household).
func (s *Store) UpdateResident(ctx context.Context, sc authz.Scope, id int64, in model.ResidentInput) (*model.Resident, error) {
	var r *model.Resident
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		r, err = tx.UpdateResident(ctx, sc, id, in)
		return err
	})
	return r, err
}

// UpdateResident is Store.UpdateResident inside tx, so that a correction request is accepted
// through the same validated update as a staff edit, in one transaction with its new status.
func (tx *Tx) UpdateResident(ctx context.Context, sc authz.Scope, id int64, in model.ResidentInput) (*model.Resident, error) {
	old, err := tx.resident(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	return tx.updateResident(ctx, sc, old, in)
}

// PatchResident applies p to the resident with id in one transaction: the fields present
// change, validated together with the rest (model.ResidentInput.Validate, then the household's
// one head and the deployment's unique ID numbers), recorded in the household's history and
// the audit log. It returns the resident as the scope sees it; model.ErrNotFound when it does
// not exist or lies outside the scope, model.ErrForbidden when p sets a field the scope may not
// see in full (ID number, phone, political status), a *model.ValidationError for bad fields.
func (s *Store) PatchResident(ctx context.Context, sc authz.Scope, id int64, p model.ResidentPatch) (*model.Resident, error) {
	var r *model.Resident
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		r, err = tx.PatchResident(ctx, sc, id, p)
		return err
	})
	sc.RedactResident(r)
	return r, err
}

// checkIDNumber adds to v the answer for in's ID number when another resident than except holds
// it (CheckIDNumbers), and queues the attempt on tx when that resident lies outside the scope.
func (tx *Tx) checkIDNumber(ctx context.Context, sc authz.Scope, in model.ResidentInput, h *model.Household, except int64, src model.ConflictSource, v *model.ValidationError) error {
	hits, err := tx.checkIDNumbers(ctx, sc, []string{in.IDNumber}, except)
	if err != nil {
		return err
	}
	hit, ok := hits[in.IDNumber]
	if !ok {
		return nil
	}
	v.Add("id_number", hit.Message())
	if !hit.InScope {
		tx.noteConflict(sc, IDConflictAttempt{Source: src, TargetTerritoryID: h.TerritoryID, TargetHouseholdID: h.ID, Collision: hit,
			Attempt: model.IDAttempt{Name: in.Name, IDNumber: in.IDNumber, Gender: string(in.Gender), BirthDate: in.BirthDate,
				Phone: in.Phone, Relation: string(in.Relation)}})
	}
	return nil
}

// PatchResident is Store.PatchResident inside tx (not redacted).
func (tx *Tx) PatchResident(ctx context.Context, sc authz.Scope, id int64, p model.ResidentPatch) (*model.Resident, error) {
	old, err := tx.resident(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	// A field the role sees masked or not at all is not offered to it, so not changed by it:
	// a masked value written back, or a guess, must not replace the stored one.
	if p.IDNumber != nil && !sc.CanSee(authz.FieldIDNumber) || p.Phone != nil && !sc.CanSee(authz.FieldPhone) ||
		p.PoliticalStatus != nil && !sc.CanSee(authz.FieldPoliticalStatus) {
		return nil, model.ErrForbidden
	}
	if p.Empty() {
		return old, nil
	}
	in := residentInputOf(old)
	p.Apply(&in)
	return tx.updateResident(ctx, sc, old, in)
}

// residentInputOf is the input that would write r as it is.
func residentInputOf(r *model.Resident) model.ResidentInput {
	return model.ResidentInput{HouseholdID: r.HouseholdID, Name: r.Name, Gender: r.Gender,
		BirthDate: r.BirthDate.Format(time.DateOnly), Phone: r.Phone.Plain(), IDNumber: r.IDNumber.Plain(),
		Relation: r.Relation, PoliticalStatus: r.PoliticalStatus, Occupation: r.Occupation}
}

// updateResident writes in over old (validated first) with its history entry and audit record.
func (tx *Tx) updateResident(ctx context.Context, sc authz.Scope, old *model.Resident, in model.ResidentInput) (*model.Resident, error) {
	in.HouseholdID = old.HouseholdID
	v := validation(in.Validate(time.Now()))
	h, err := tx.household(ctx, sc, old.HouseholdID)
	if err != nil {
		return nil, err
	}
	if in.Relation == model.RelationHead && old.Relation != model.RelationHead && h.HeadName != "" && !hasField(v, "relation") {
		v.Add("relation", "该户已有户主（"+h.HeadName+"），请选择其他关系")
	}
	if in.IDNumber != old.IDNumber.Plain() && !hasField(v, "id_number") {
		if err := tx.checkIDNumber(ctx, sc, in, h, old.ID, model.ConflictFromUpdate, v); err != nil {
			return nil, err
		}
	}
	if in.PoliticalStatus != old.PoliticalStatus && !old.Withheld.PoliticalStatus && !hasField(v, "political_status") {
		// A resident on the party roster has the status the roster says (member.go).
		onRoster, err := tx.residentOnRoster(ctx, old.ID)
		if err != nil {
			return nil, err
		}
		if onRoster != "" && in.PoliticalStatus != onRoster.PoliticalStatus() {
			v.Add("political_status", "该居民在党员名册中（"+onRoster.Label()+"），政治面貌随名册变更：请在党员管理中办理转正或组织关系转出")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	p, err := sealResident(tx.keys, in.IDNumber, in.Phone)
	if err != nil {
		return nil, err
	}
	ts := now()
	_, err = tx.exec(ctx, `UPDATE residents SET name = ?, gender = ?, birth_date = ?, phone_enc = ?, phone_idx = ?, id_number_enc = ?, id_number_idx = ?, relation = ?, political_status = ?, occupation = ?, updated_at = ? WHERE id = ?`,
		in.Name, string(in.Gender), in.Birth(), p.phoneEnc, p.phoneIdx, p.idEnc, p.idIdx, string(in.Relation), string(in.PoliticalStatus), in.Occupation, ts, old.ID)
	if isConflict(err) {
		// A writer beside us registered the number after the check: we cannot tell where.
		return nil, fieldErr("id_number", model.DuplicateIDMessage)
	} else if err != nil {
		return nil, err
	}
	switch {
	case in.Relation == model.RelationHead:
		_, err = tx.exec(ctx, `UPDATE households SET head_name = ?, updated_at = ? WHERE id = ?`, in.Name, ts, h.ID)
	case old.Relation == model.RelationHead:
		_, err = tx.exec(ctx, `UPDATE households SET head_name = '', updated_at = ? WHERE id = ?`, ts, h.ID)
	}
	if err != nil {
		return nil, err
	}
	labels, fields := residentChanges(old, in)
	if err := tx.householdEvent(ctx, sc, h.ID, "member_updated", old.Name+"："+labels); err != nil {
		return nil, err
	}
	tx.audit(sc, "resident.update", "resident", []int64{old.ID}, "fields="+fields)
	return tx.resident(ctx, sc, old.ID)
}

// residentChanges names the fields that differ between old and in: Chinese labels for the
// household's history, which never holds the values of ID numbers and phones and leaves out
// the political status (the history is read by roles that may not see it), and field names
// for the audit record.
func residentChanges(old *model.Resident, in model.ResidentInput) (labels, fields string) {
	var l, f []string
	for _, c := range []struct {
		changed      bool
		field, label string
	}{
		{in.Name != old.Name, "name", "姓名 " + old.Name + " → " + in.Name},
		{in.IDNumber != old.IDNumber.Plain(), "id_number", "身份证号"},
		{in.Gender != old.Gender, "gender", "性别"},
		{in.BirthDate != old.BirthDate.Format(time.DateOnly), "birth_date", "出生日期"},
		{in.Phone != old.Phone.Plain(), "phone", "联系电话"},
		{in.Relation != old.Relation, "relation", "与户主关系 " + old.Relation.Label() + " → " + in.Relation.Label()},
		{in.PoliticalStatus != old.PoliticalStatus, "political_status", ""},
		{in.Occupation != old.Occupation, "occupation", "职业"},
	} {
		if !c.changed {
			continue
		}
		f = append(f, c.field)
		if c.label != "" {
			l = append(l, c.label)
		}
	}
	if len(l) == 0 {
		l = append(l, "资料更正")
	}
	if len(f) == 0 {
		f = append(f, "none")
	}
	return strings.Join(l, "、"), strings.Join(f, ",")
}

// DeleteResident removes a resident registered by mistake (a person who moves away goes with
// the household's move-out instead), and records it in the household's history.
func (s *Store) DeleteResident(ctx context.Context, sc authz.Scope, id int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		r, err := tx.resident(ctx, sc, id)
		if err != nil {
			return err
		}
		h, err := tx.household(ctx, sc, r.HouseholdID)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM residents WHERE id = ?`, id); err != nil {
			return err
		}
		head := r.Relation == model.RelationHead
		if _, err := tx.exec(ctx, `UPDATE households SET members = members - 1, head_name = CASE WHEN ? THEN '' ELSE head_name END, updated_at = ? WHERE id = ?`,
			head, now(), h.ID); err != nil {
			return err
		}
		if h.MovedOutAt == nil {
			if err := tx.adjustCounts(ctx, h.Path, 0, -1); err != nil {
				return err
			}
		}
		tx.auditAt(sc, h.Path, "resident.delete", "resident", []int64{id}, "")
		return tx.householdEvent(ctx, sc, h.ID, "member_removed", r.Name)
	})
}

// ResidentsOfHouseholds returns the residents of the households with the given ids that lie in
// the scope, keyed by household id, each household's residents ordered by id. Households out of
// scope or without residents are absent from the map. The export reads a page of households and
// then their residents with it, one query per page instead of one per household.
func (s *Store) ResidentsOfHouseholds(ctx context.Context, sc authz.Scope, ids []int64) (map[int64][]*model.Resident, error) {
	out := make(map[int64][]*model.Resident, len(ids))
	if !sc.All && sc.Path == "" {
		return out, nil
	}
	lo, hi := authz.PathRange(sc.Path)
	c := s.reader()
	for len(ids) > 0 {
		n := min(len(ids), MaxLimit)
		args := make([]any, 0, n+2)
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		ids = ids[n:]
		args = append(args, lo, hi)
		unit, unitArgs := unitCond(sc, "household_id")
		if unit != "" {
			unit = " AND " + unit
			args = append(args, unitArgs...)
		}
		rows, err := c.query(ctx, `SELECT `+residentColumns+` FROM residents WHERE household_id IN (`+inList(n)+`) AND path >= ? AND path < ?`+unit+` ORDER BY household_id, id`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			r, err := scanResident(rows, c.keys)
			if err != nil {
				rows.Close()
				return nil, err
			}
			sc.RedactResident(r)
			out[r.HouseholdID] = append(out[r.HouseholdID], r)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
