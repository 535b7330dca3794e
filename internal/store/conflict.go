package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
)

// Duplicates without disclosure. An ID number is unique across the deployment (the blind index
// is UNIQUE), but a caller who registers a number held by a resident outside its scope must
// learn nothing about where that resident lives. Every write that sets an ID number asks
// CheckIDNumbers; a collision inside the caller's scope keeps its precise message, one outside
// gets model.DuplicateIDMessage and is recorded in id_conflicts for the administrators whose
// scope holds both sides (the lowest common ancestor of the two paths, common_path), who move
// the existing resident to the requesting household or reject the attempt. Recording survives
// the refusal: Store.Tx writes the queued attempts in a transaction of their own after rolling
// the refused write back.

// IDCollision is an ID number already registered, as CheckIDNumbers reports it.
type IDCollision struct {
	ResidentID int64
	HolderPath string // the existing resident's node
	InScope    bool   // the caller's scope holds the existing resident
}

// Message is the field error for the collision: precise inside the caller's scope, neutral
// (model.DuplicateIDMessage) outside it.
func (c IDCollision) Message() string {
	if c.InScope {
		return model.DuplicateIDInScopeMessage
	}
	return model.DuplicateIDMessage
}

// CheckIDNumbers reports which of ids are registered to a resident anywhere in the deployment,
// keyed by the number as given (numbers differing only in the case of X are the same number),
// and whether sc holds that resident. It is the one check every create, change and import of a
// resident goes through: the importer calls it, the store's writes call checkIDNumbers inside
// their transaction (Tx.checkIDNumber), leaving out the resident being changed (except).
func (s *Store) CheckIDNumbers(ctx context.Context, sc authz.Scope, ids []string) (map[string]IDCollision, error) {
	return s.reader().checkIDNumbers(ctx, sc, ids, 0)
}

func (c conn) checkIDNumbers(ctx context.Context, sc authz.Scope, ids []string, except int64) (map[string]IDCollision, error) {
	found := map[string]IDCollision{}
	if c.keys == nil {
		return nil, pii.ErrNoKeys
	}
	for len(ids) > 0 {
		n := min(len(ids), MaxLimit)
		args := make([]any, 0, n+1)
		byIndex := make(map[string]string, n) // blind index → the number as the caller gave it
		for _, id := range ids[:n] {
			idx := c.keys.BlindIndex(pii.KindIDNumber, id)
			args, byIndex[idx] = append(args, idx), id
		}
		ids = ids[n:]
		args = append(args, except)
		rows, err := c.query(ctx, `SELECT id_number_idx, id, path FROM residents WHERE id_number_idx IN (`+inList(n)+`) AND id <> ?`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var idx string
			var hit IDCollision
			if err := rows.Scan(&idx, &hit.ResidentID, &hit.HolderPath); err != nil {
				rows.Close()
				return nil, err
			}
			hit.InScope = sc.Contains(hit.HolderPath)
			found[byIndex[idx]] = hit
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// IDConflictAttempt is one refused registration of an ID number held outside the caller's
// scope, to be recorded.
type IDConflictAttempt struct {
	Source            model.ConflictSource
	TargetTerritoryID int64
	TargetHouseholdID int64 // 0 when there is no household (an import row)
	Collision         IDCollision
	Attempt           model.IDAttempt
}

// queuedConflict is an attempt queued on a Tx with the scope that made it.
type queuedConflict struct {
	sc authz.Scope
	IDConflictAttempt
}

// noteConflict queues an attempt; Store.Tx records it whether the transaction commits or not.
func (tx *Tx) noteConflict(sc authz.Scope, a IDConflictAttempt) {
	tx.conflicts = append(tx.conflicts, queuedConflict{sc: sc, IDConflictAttempt: a})
}

// keepConflicts records the attempts of a transaction that was rolled back, each in a
// transaction of its own charged to the caller's lookup allowance (lookup.go); a household
// created by the rolled-back transaction is no target any more. Over the allowance it returns
// the *model.RateLimitError (the refusal recorded as denied).
func (s *Store) keepConflicts(ctx context.Context, q []queuedConflict, gone map[int64]bool) error {
	for _, c := range q {
		if gone[c.TargetHouseholdID] {
			c.TargetHouseholdID = 0
		}
		if _, err := s.recordLimited(ctx, c.sc, c.IDConflictAttempt); err != nil {
			return err
		}
	}
	return nil
}

// recordLimited records one attempt in a transaction charged to sc's lookup allowance.
func (s *Store) recordLimited(ctx context.Context, sc authz.Scope, a IDConflictAttempt) (int64, error) {
	var id int64
	err := s.limited(ctx, sc, ActionIDConflict, func(tx *Tx) error {
		var err error
		id, err = tx.recordConflict(ctx, sc, a)
		return err
	})
	return id, err
}

// writeConflicts records the attempts queued on tx inside it (the write committing with them),
// each charged to the caller's lookup allowance.
func (tx *Tx) writeConflicts(ctx context.Context) error {
	q := tx.conflicts
	tx.conflicts = nil
	for _, c := range q {
		if over, err := tx.overLimit(ctx, c.sc); err != nil || over != nil {
			if over != nil {
				return over
			}
			return err
		}
		if _, err := tx.recordConflict(ctx, c.sc, c.IDConflictAttempt); err != nil {
			return err
		}
	}
	return nil
}

// RecordIDConflicts records attempts found outside a write (the check pass of an import), each
// audited and charged to the caller's lookup allowance in a transaction of its own. It returns
// the records' ids in the order of attempts (an attempt already open names the open record);
// over the allowance, the ids so far and the *model.RateLimitError.
func (s *Store) RecordIDConflicts(ctx context.Context, sc authz.Scope, attempts []IDConflictAttempt) ([]int64, error) {
	var ids []int64
	for _, a := range attempts {
		id, err := s.recordLimited(ctx, sc, a)
		if err != nil {
			return ids, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// attemptColumn binds a sealed attempt to its column (internal/pii).
const attemptColumn = "id_conflicts.attempt"

// recordConflict writes one attempt and its audit record (ActionIDConflict, one of the
// LimitedActions: the caller charges it to the lookup allowance). The same requester trying
// the same number the same way for the same node and household again while the first attempt
// is open adds nothing but the audit record (which counts all the same).
func (tx *Tx) recordConflict(ctx context.Context, sc authz.Scope, a IDConflictAttempt) (int64, error) {
	var target string
	if err := tx.queryRow(ctx, `SELECT path FROM territories WHERE id = ?`, []any{a.TargetTerritoryID}, &target); err != nil {
		return 0, fmt.Errorf("id conflict target %d: %w", a.TargetTerritoryID, err)
	}
	common := commonPath(target, a.Collision.HolderPath)
	var by any
	if sc.UserID != 0 {
		by = sc.UserID
	}
	var household any
	if a.TargetHouseholdID != 0 {
		household = a.TargetHouseholdID
	}
	var open int64
	err := tx.queryRow(ctx, `SELECT id FROM id_conflicts WHERE resident_id = ? AND status = 'open' AND COALESCE(requested_by, 0) = ? AND target_territory_id = ?
		AND COALESCE(target_household_id, 0) = ? AND source = ? ORDER BY id LIMIT 1`,
		[]any{a.Collision.ResidentID, sc.UserID, a.TargetTerritoryID, a.TargetHouseholdID, string(a.Source)}, &open)
	switch {
	case err == nil:
		tx.auditAt(sc, common, ActionIDConflict, "id_conflict", []int64{open}, "again source="+string(a.Source))
		return open, nil
	case !errors.Is(err, model.ErrNotFound):
		return 0, err
	}
	plain, err := json.Marshal(a.Attempt)
	if err != nil {
		return 0, err
	}
	sealed, err := tx.keys.Seal(attemptColumn, string(plain))
	if err != nil {
		return 0, err
	}
	var id int64
	if err := tx.queryRow(ctx, `INSERT INTO id_conflicts (requested_by, requester_role, source, target_territory_id, target_path, target_household_id,
			resident_id, holder_path, common_path, attempt, status, note, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', '', ?) RETURNING id`,
		[]any{by, string(sc.Role), string(a.Source), a.TargetTerritoryID, target, household, a.Collision.ResidentID,
			a.Collision.HolderPath, common, sealed, now()}, &id); err != nil {
		return 0, err
	}
	tx.auditAt(sc, common, ActionIDConflict, "id_conflict", []int64{id}, "source="+string(a.Source))
	return id, nil
}

// commonPath is the lowest common ancestor of two materialized paths ("/1/5/9/" and
// "/1/5/12/" → "/1/5/"); "/" when they share no node.
func commonPath(a, b string) string {
	end := 0
	for i := 0; i < len(a) && i < len(b) && a[i] == b[i]; i++ {
		if a[i] == '/' {
			end = i + 1
		}
	}
	if end == 0 {
		return "/"
	}
	return a[:end]
}

// ActionIDConflict is the audit action of an attempt to register an ID number held outside
// the caller's scope; it tells as much as an exact lookup and counts against the same allowance.
const ActionIDConflict = "resident.id_conflict"

const conflictColumns = `c.id, c.requested_by, COALESCE(u.username, ''), c.requester_role, c.source, c.target_territory_id, tt.name, c.target_path,
	c.target_household_id, c.resident_id, COALESCE(r.name, ''), COALESCE(r.territory_id, 0), COALESCE(ht.name, ''), COALESCE(r.path, ''), c.holder_path, c.common_path,
	c.attempt, c.status, c.handled_by, c.handled_at, c.note, c.created_at`

const conflictFrom = ` FROM id_conflicts c
	JOIN territories tt ON tt.id = c.target_territory_id
	LEFT JOIN users u ON u.id = c.requested_by
	LEFT JOIN residents r ON r.id = c.resident_id
	LEFT JOIN territories ht ON ht.id = r.territory_id`

// scanConflict reads a row of conflictColumns for viewer and opens the sealed attempt. Where
// the holder lives now is shown only while viewer's scope holds it: a resident who moved out of
// the viewer's subtree since the attempt stays as invisible as any other outside it.
func (c conn) scanConflict(sc interface{ Scan(...any) error }, viewer authz.Scope) (*model.IDConflict, error) {
	var x model.IDConflict
	var by, household, resident, handler sql.NullInt64
	var at sql.NullTime
	var sealed, now string
	if err := sc.Scan(&x.ID, &by, &x.RequesterName, &x.RequesterRole, &x.Source, &x.TargetTerritoryID, &x.TargetTerritoryName, &x.TargetPath,
		&household, &resident, &x.ResidentName, &x.HolderTerritoryID, &x.HolderTerritoryName, &now, &x.HolderPath, &x.CommonPath,
		&sealed, &x.Status, &handler, &at, &x.Note, &x.CreatedAt); err != nil {
		return nil, err
	}
	if now != "" && !viewer.Contains(now) {
		resident = sql.NullInt64{} // as if deleted: what lies outside the scope looks like what does not exist
		x.ResidentName, x.HolderTerritoryID, x.HolderTerritoryName = "", 0, ""
	}
	x.RequestedBy, x.TargetHouseholdID, x.ResidentID, x.HandledBy = by.Int64, household.Int64, resident.Int64, handler.Int64
	if at.Valid {
		x.HandledAt = &at.Time
	}
	plain, err := c.keys.Open(attemptColumn, sealed)
	if err != nil {
		return nil, fmt.Errorf("id conflict %d: %w", x.ID, err)
	}
	if err := json.Unmarshal([]byte(plain), &x.Attempt); err != nil {
		return nil, fmt.Errorf("id conflict %d: %w", x.ID, err)
	}
	return &x, nil
}

// IDConflict returns the conflict id when both its sides lie in the scope (its common path
// does), else model.ErrNotFound.
func (s *Store) IDConflict(ctx context.Context, sc authz.Scope, id int64) (*model.IDConflict, error) {
	return s.reader().idConflict(ctx, sc, id)
}

func (c conn) idConflict(ctx context.Context, sc authz.Scope, id int64) (*model.IDConflict, error) {
	if !sc.All && sc.Path == "" {
		return nil, model.ErrNotFound
	}
	lo, hi := authz.PathRange(sc.Path)
	rows, err := c.query(ctx, `SELECT `+conflictColumns+conflictFrom+` WHERE c.id = ? AND c.common_path >= ? AND c.common_path < ?`, id, lo, hi)
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
	return c.scanConflict(rows, sc)
}

// ConflictFilter selects ID conflicts.
type ConflictFilter struct {
	Status model.ConflictStatus // "" for every status
	Limit  int
	Cursor string
}

// IDConflicts lists the conflicts whose both sides lie in the scope, newest first.
func (s *Store) IDConflicts(ctx context.Context, sc authz.Scope, f ConflictFilter) (*Page[*model.IDConflict], error) {
	c := s.reader()
	if !sc.All && sc.Path == "" {
		return &Page[*model.IDConflict]{}, nil
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, fieldErr("status", "status 应为 open、transferred 或 rejected")
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	lo, hi := authz.PathRange(sc.Path)
	where, args := []string{"c.common_path >= ?", "c.common_path < ?"}, []any{lo, hi}
	if f.Status != "" {
		where, args = append(where, "c.status = ?"), append(args, string(f.Status))
	}
	page := &Page[*model.IDConflict]{}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM id_conflicts c WHERE `+and(where), args, &page.Total); err != nil {
		return nil, err
	}
	if cur.id != 0 {
		where, args = append(where, "c.id < ?"), append(args, cur.id)
	}
	limit := clampLimit(f.Limit)
	rows, err := c.query(ctx, `SELECT `+conflictColumns+conflictFrom+` WHERE `+and(where)+` ORDER BY c.id DESC LIMIT `+strconv.Itoa(limit+1), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		x, err := c.scanConflict(rows, sc)
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, x)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = cursor{id: page.Items[limit-1].ID}.encode()
	}
	return page, nil
}

// errConflictHandled is the answer to handling a conflict twice (or two handlers at once).
var errConflictHandled = &model.ConflictError{Message: "该登记冲突已处理过，不能重复处理"}

// TransferIDConflict moves the existing resident of an open conflict in the scope into the
// requesting household (householdID when the conflict has none: an import row, or a household
// that was refused with it; it must lie under the requested node), with the relation the
// requester gave, and closes the conflict, in one transaction. The conflict is closed by a
// conditional UPDATE first, so of two handlers at once exactly one succeeds; the other gets a
// *model.ConflictError, as does a conflict already handled, a resident gone or a household moved
// out. model.ErrNotFound when the conflict lies outside the scope.
func (s *Store) TransferIDConflict(ctx context.Context, sc authz.Scope, id, householdID int64, note string) (*model.IDConflict, error) {
	if err := model.CheckCorrectionNote(note, false); err != nil {
		return nil, err
	}
	var out *model.IDConflict
	err := s.Tx(ctx, func(tx *Tx) error {
		x, err := tx.idConflict(ctx, sc, id)
		if err != nil {
			return err
		}
		if x.Status != model.ConflictOpen {
			return errConflictHandled
		}
		target := x.TargetHouseholdID
		if target == 0 {
			target = householdID
		}
		if target == 0 {
			return fieldErr("household_id", "这条记录没有目标住户：请填写居民要迁入的住户编号")
		}
		h, err := tx.household(ctx, sc, target)
		if errors.Is(err, model.ErrNotFound) || err == nil && !strings.HasPrefix(h.Path, x.TargetPath) {
			return fieldErr("household_id", "住户不存在，或不在申请登记的节点之下")
		} else if err != nil {
			return err
		}
		if h.MovedOutAt != nil {
			return &model.ConflictError{Message: "目标住户已迁出，不能再迁入成员"}
		}
		if x.ResidentID == 0 {
			return &model.ConflictError{Message: "原登记的居民已不存在，请驳回这条记录"}
		}
		r, err := tx.resident(ctx, sc, x.ResidentID)
		if errors.Is(err, model.ErrNotFound) {
			return &model.ConflictError{Message: "原登记的居民已不在您的管辖范围内，请联系上级管理员处理"}
		} else if err != nil {
			return err
		}
		if r.HouseholdID == h.ID {
			return &model.ConflictError{Message: "该居民已在目标住户中"}
		}
		rel := model.Relation(x.Attempt.Relation).Normalized() // an attempt recorded before 0010 holds the word
		if !rel.Valid() {
			rel = r.Relation
		}
		if rel == model.RelationHead && h.HeadName != "" {
			return &model.ConflictError{Message: "目标住户已有户主（" + h.HeadName + "），请先在该户调整户主后再迁入"}
		}
		if err := tx.closeConflict(ctx, sc, id, model.ConflictTransferred, target, note); err != nil {
			return err
		}
		if err := tx.moveResident(ctx, sc, r, h, rel); err != nil {
			return err
		}
		tx.auditAt(sc, x.CommonPath, "id_conflict.transfer", "id_conflict", []int64{id},
			"resident "+strconv.FormatInt(r.ID, 10)+" → household "+strconv.FormatInt(h.ID, 10))
		out, err = tx.idConflict(ctx, sc, id)
		return err
	})
	return out, err
}

// RejectIDConflict closes an open conflict in the scope without moving anyone.
func (s *Store) RejectIDConflict(ctx context.Context, sc authz.Scope, id int64, note string) (*model.IDConflict, error) {
	if err := model.CheckCorrectionNote(note, false); err != nil {
		return nil, err
	}
	var out *model.IDConflict
	err := s.Tx(ctx, func(tx *Tx) error {
		x, err := tx.idConflict(ctx, sc, id)
		if err != nil {
			return err
		}
		if x.Status != model.ConflictOpen {
			return errConflictHandled
		}
		if err := tx.closeConflict(ctx, sc, id, model.ConflictRejected, 0, note); err != nil {
			return err
		}
		tx.auditAt(sc, x.CommonPath, "id_conflict.reject", "id_conflict", []int64{id}, "")
		out, err = tx.idConflict(ctx, sc, id)
		return err
	})
	return out, err
}

// closeConflict ends an open conflict; the condition on status decides a race between handlers.
func (tx *Tx) closeConflict(ctx context.Context, sc authz.Scope, id int64, status model.ConflictStatus, household int64, note string) error {
	var by any
	if sc.UserID != 0 {
		by = sc.UserID
	}
	q, args := `UPDATE id_conflicts SET status = ?, handled_by = ?, handled_at = ?, note = ? WHERE id = ? AND status = 'open'`,
		[]any{string(status), by, now(), trimNote(note), id}
	if household != 0 {
		q, args = `UPDATE id_conflicts SET status = ?, handled_by = ?, handled_at = ?, note = ?, target_household_id = ? WHERE id = ? AND status = 'open'`,
			[]any{string(status), by, now(), trimNote(note), household, id}
	}
	res, err := tx.exec(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errConflictHandled
	}
	return nil
}

// moveResident moves r into household h with relation rel: both households' member counts and
// heads, the maintained subtree counts and both histories follow.
func (tx *Tx) moveResident(ctx context.Context, sc authz.Scope, r *model.Resident, h *model.Household, rel model.Relation) error {
	old, err := tx.household(ctx, sc, r.HouseholdID)
	if err != nil {
		return err
	}
	var community any
	if err := tx.queryRow(ctx, `SELECT community_id FROM households WHERE id = ?`, []any{h.ID}, &community); err != nil {
		return err
	}
	ts := now()
	if _, err := tx.exec(ctx, `UPDATE residents SET household_id = ?, territory_id = ?, community_id = ?, path = ?, relation = ?, updated_at = ? WHERE id = ?`,
		h.ID, h.TerritoryID, community, h.Path, string(rel), ts, r.ID); err != nil {
		return err
	}
	wasHead := r.Relation == model.RelationHead
	if _, err := tx.exec(ctx, `UPDATE households SET members = members - 1, head_name = CASE WHEN ? THEN '' ELSE head_name END, updated_at = ? WHERE id = ?`,
		wasHead, ts, old.ID); err != nil {
		return err
	}
	head := ""
	if rel == model.RelationHead {
		head = r.Name
	}
	if _, err := tx.exec(ctx, `UPDATE households SET members = members + 1, head_name = CASE WHEN ? <> '' THEN ? ELSE head_name END, updated_at = ? WHERE id = ?`,
		head, head, ts, h.ID); err != nil {
		return err
	}
	if old.MovedOutAt == nil {
		if err := tx.adjustCounts(ctx, old.Path, 0, -1); err != nil {
			return err
		}
	}
	if err := tx.adjustCounts(ctx, h.Path, 0, 1); err != nil {
		return err
	}
	if err := tx.householdEvent(ctx, sc, old.ID, "member_removed", r.Name+"（迁往其他住户）"); err != nil {
		return err
	}
	if err := tx.householdEvent(ctx, sc, h.ID, "member_added", r.Name+"（"+rel.Label()+"，由其他住户迁入）"); err != nil {
		return err
	}
	tx.audit(sc, "resident.move", "resident", []int64{r.ID}, "household "+strconv.FormatInt(old.ID, 10)+" → "+strconv.FormatInt(h.ID, 10))
	return nil
}

// addConflictKeyUsage adds to use how many recorded attempts each key id seals (none before
// migration 0011 made the table).
func (s *Store) addConflictKeyUsage(ctx context.Context, use map[string]int64) error {
	p, err := s.migrator()
	if err != nil {
		return err
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v < 11 {
		return err
	}
	return s.addKeyUsage(ctx, "id_conflicts", "attempt", use)
}
