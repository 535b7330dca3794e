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

// The administrative-burden register (准入清单、减负, issue 12 item 2; model/burden.go says what
// it is). Staff read and record the tasks of the communities in their territory (burden.read,
// burden.write); street, district and system administrators whose territory holds a task's
// community approve or refuse it when it is off the list (burden.approve), never a task they
// recorded themselves. The catalogues (the department register and the duty list) are kept by
// a street or district (burden.catalog, by territory) or by the whole deployment (system
// administrators); staff read those that apply to their territory (kept above it or in it).
// Every transition is a conditional UPDATE on the status read: of two racing, one wins and
// the other gets a *model.ConflictError.

// ownerPaths are the paths of the nodes above and at path, and "" (the whole deployment):
// the owners whose catalogues apply there.
func ownerPaths(path string) []any {
	out := []any{""}
	p := "/"
	for _, id := range model.PathIDs(path) {
		p = model.ChildPath(p, id)
		out = append(out, p)
	}
	return out
}

// catalogWhere narrows a catalogue (col: its owner_path) to what the caller reads: kept above
// or at its territory, or inside it.
func catalogWhere(sc authz.Scope, col string) filter {
	if sc.All {
		return filter{}
	}
	anc := ownerPaths(sc.Path)
	lo, hi := authz.PathRange(sc.Path)
	return filter{where: []string{"(" + col + " IN (" + inList(len(anc)) + ") OR (" + col + " >= ? AND " + col + " < ?))"}, args: append(anc, lo, hi)}
}

// BurdenCatalogFilter narrows a catalogue.
type BurdenCatalogFilter struct {
	Community  int64 // only what applies to that community (in the caller's scope); 0: all the caller reads
	ActiveOnly bool
}

func (c conn) catalogFilter(ctx context.Context, sc authz.Scope, f BurdenCatalogFilter, col string) (filter, error) {
	w := catalogWhere(sc, col)
	if f.Community != 0 {
		t, err := c.territory(ctx, sc, f.Community)
		if err != nil {
			return w, err
		}
		anc := ownerPaths(t.Path)
		w.add(col+" IN ("+inList(len(anc))+")", anc...)
	}
	if f.ActiveOnly {
		w.add("x.active = ?", true)
	}
	return w, nil
}

const departmentColumns = `x.id, COALESCE(x.owner_id, 0), x.owner_path, COALESCE(o.name, ''), x.name, x.line, x.active`

func scanDepartment(rs rowScanner) (*model.BurdenDepartment, error) {
	var d model.BurdenDepartment
	return &d, rs.Scan(&d.ID, &d.OwnerID, &d.OwnerPath, &d.OwnerName, &d.Name, &d.Line, &d.Active)
}

const dutyColumns = `x.id, COALESCE(x.owner_id, 0), x.owner_path, COALESCE(o.name, ''), x.code, x.name, x.basis, x.active`

func scanDuty(rs rowScanner) (*model.BurdenDuty, error) {
	var d model.BurdenDuty
	return &d, rs.Scan(&d.ID, &d.OwnerID, &d.OwnerPath, &d.OwnerName, &d.Code, &d.Name, &d.Basis, &d.Active)
}

// BurdenDepartments lists the departments of the register the caller reads (f narrows), by
// line and name. A community outside the scope is model.ErrNotFound.
func (s *Store) BurdenDepartments(ctx context.Context, sc authz.Scope, f BurdenCatalogFilter) ([]*model.BurdenDepartment, error) {
	if !authz.Allowed(sc.Role, authz.BurdenRead) {
		return nil, nil
	}
	c := s.reader()
	w, err := c.catalogFilter(ctx, sc, f, "x.owner_path")
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, c, `SELECT `+departmentColumns+` FROM burden_departments x LEFT JOIN territories o ON o.id = x.owner_id
		WHERE `+w.sql()+` ORDER BY x.line, x.name, x.id LIMIT 1000`, w.args, scanDepartment)
}

// BurdenDuties lists the duties of the list the caller reads (f narrows), by code.
func (s *Store) BurdenDuties(ctx context.Context, sc authz.Scope, f BurdenCatalogFilter) ([]*model.BurdenDuty, error) {
	if !authz.Allowed(sc.Role, authz.BurdenRead) {
		return nil, nil
	}
	c := s.reader()
	w, err := c.catalogFilter(ctx, sc, f, "x.owner_path")
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, c, `SELECT `+dutyColumns+` FROM burden_duties x LEFT JOIN territories o ON o.id = x.owner_id
		WHERE `+w.sql()+` ORDER BY x.code, x.id LIMIT 1000`, w.args, scanDuty)
}

// BurdenOwners lists the nodes the caller keeps catalogues for: the streets and districts in
// its territory, by path.
func (s *Store) BurdenOwners(ctx context.Context, sc authz.Scope) ([]*model.Territory, error) {
	if !authz.Allowed(sc.Role, authz.BurdenCatalog) {
		return nil, nil
	}
	return s.burdenNodes(ctx, sc, "kind IN ('district', 'street')")
}

// BurdenCommunities lists the communities the caller records tasks for, by path.
func (s *Store) BurdenCommunities(ctx context.Context, sc authz.Scope) ([]*model.Territory, error) {
	if !authz.Allowed(sc.Role, authz.BurdenRead) {
		return nil, nil
	}
	return s.burdenNodes(ctx, sc, "kind = 'community'")
}

func (s *Store) burdenNodes(ctx context.Context, sc authz.Scope, kind string) ([]*model.Territory, error) {
	w := filter{where: []string{kind, "archived_at IS NULL"}}
	if !sc.All {
		if sc.Path == "" {
			return nil, nil
		}
		lo, hi := authz.PathRange(sc.Path)
		w.add("path >= ? AND path < ?", lo, hi)
	}
	return queryAll(ctx, s.reader(), `SELECT `+territoryColumns+` FROM territories WHERE `+w.sql()+` ORDER BY path LIMIT 500`, w.args, scanTerritory)
}

// catalogOwner resolves the owner a catalogue entry is kept by: 0 is the whole deployment
// (unscoped callers only: model.ErrForbidden otherwise); a node outside the caller's
// territory, or no street or district, is a *model.ValidationError on owner_id.
func (c conn) catalogOwner(ctx context.Context, sc authz.Scope, id int64) (sql.NullInt64, string, error) {
	if id == 0 {
		if !sc.All {
			return sql.NullInt64{}, "", fieldErr("owner_id", "请选择维护该名录的街道或区（县）")
		}
		return sql.NullInt64{}, "", nil
	}
	t, err := c.territory(ctx, sc, id)
	switch {
	case errors.Is(err, model.ErrNotFound):
		return sql.NullInt64{}, "", fieldErr("owner_id", "街道或区（县）不存在或不在您的管辖范围内")
	case err != nil:
		return sql.NullInt64{}, "", err
	case t.Kind != model.KindStreet && t.Kind != model.KindDistrict:
		return sql.NullInt64{}, "", fieldErr("owner_id", "清单和部门名录由街道或区（县）维护，请选择街道或区（县）")
	}
	return sql.NullInt64{Int64: t.ID, Valid: true}, t.Path, nil
}

// catalogEntry reads the owner path of entry id of table for the caller changing it:
// model.ErrNotFound when it does not read it, model.ErrForbidden when it reads but does not
// keep it (a list kept above its territory).
func (c conn) catalogEntry(ctx context.Context, sc authz.Scope, table string, id int64) (string, error) {
	w := catalogWhere(sc, "owner_path")
	var path string
	if err := c.queryRow(ctx, `SELECT owner_path FROM `+table+` WHERE id = ? AND `+w.sql(), append([]any{id}, w.args...), &path); err != nil {
		return "", err
	}
	if !sc.All && !sc.Contains(path) {
		return "", &model.ForbiddenError{Message: "该条目由上级维护，您不能修改"}
	}
	return path, nil
}

// SaveBurdenDepartment creates a department (id 0) kept by in.OwnerID, or renames one and
// sets it active or not (the owner stays). Bad fields are a *model.ValidationError; a name the
// owner's register has already is a *model.ConflictError.
func (s *Store) SaveBurdenDepartment(ctx context.Context, sc authz.Scope, id int64, in model.BurdenDepartmentInput) (*model.BurdenDepartment, error) {
	if !authz.Allowed(sc.Role, authz.BurdenCatalog) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		var path string
		if id == 0 {
			owner, p, err := tx.catalogOwner(ctx, sc, in.OwnerID)
			if err != nil {
				return err
			}
			path = p
			err = tx.queryRow(ctx, `INSERT INTO burden_departments (owner_id, owner_path, name, line, active, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
				[]any{owner, p, in.Name, in.Line, true, s.now()}, &id)
			if err != nil {
				return departmentConflict(err, in.Name)
			}
		} else {
			p, err := tx.catalogEntry(ctx, sc, "burden_departments", id)
			if err != nil {
				return err
			}
			path = p
			if _, err := tx.exec(ctx, `UPDATE burden_departments SET name = ?, line = ?, active = ? WHERE id = ?`, in.Name, in.Line, in.Active, id); err != nil {
				return departmentConflict(err, in.Name)
			}
		}
		tx.auditAt(sc, path, "burden.department.save", "burden_department", []int64{id}, in.Line+" "+in.Name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return queryOne(ctx, s.reader(), `SELECT `+departmentColumns+` FROM burden_departments x LEFT JOIN territories o ON o.id = x.owner_id WHERE x.id = ?`, []any{id}, scanDepartment)
}

func departmentConflict(err error, name string) error {
	if errors.Is(err, model.ErrConflict) {
		return &model.ConflictError{Message: "部门名录中已有“" + name + "”"}
	}
	return err
}

// SaveBurdenDuty creates a duty (id 0) kept by in.OwnerID, or changes one (the owner stays).
// Bad fields are a *model.ValidationError; a code the owner's list has already is a
// *model.ConflictError.
func (s *Store) SaveBurdenDuty(ctx context.Context, sc authz.Scope, id int64, in model.BurdenDutyInput) (*model.BurdenDuty, error) {
	if !authz.Allowed(sc.Role, authz.BurdenCatalog) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	conflict := func(err error) error {
		if errors.Is(err, model.ErrConflict) {
			return &model.ConflictError{Message: "准入清单中已有编号为“" + in.Code + "”的事项"}
		}
		return err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		var path string
		if id == 0 {
			owner, p, err := tx.catalogOwner(ctx, sc, in.OwnerID)
			if err != nil {
				return err
			}
			path = p
			err = tx.queryRow(ctx, `INSERT INTO burden_duties (owner_id, owner_path, code, name, basis, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				[]any{owner, p, in.Code, in.Name, in.Basis, true, s.now()}, &id)
			if err != nil {
				return conflict(err)
			}
		} else {
			p, err := tx.catalogEntry(ctx, sc, "burden_duties", id)
			if err != nil {
				return err
			}
			path = p
			if _, err := tx.exec(ctx, `UPDATE burden_duties SET code = ?, name = ?, basis = ?, active = ? WHERE id = ?`, in.Code, in.Name, in.Basis, in.Active, id); err != nil {
				return conflict(err)
			}
		}
		tx.auditAt(sc, path, "burden.duty.save", "burden_duty", []int64{id}, in.Code+" "+in.Name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return queryOne(ctx, s.reader(), `SELECT `+dutyColumns+` FROM burden_duties x LEFT JOIN territories o ON o.id = x.owner_id WHERE x.id = ?`, []any{id}, scanDuty)
}

const burdenTaskColumns = `t.id, t.community_id, c.name, t.path, t.department_id, d.name, d.line, COALESCE(t.duty_id, 0), COALESCE(u.code, ''), COALESCE(u.name, ''),
	t.body, t.title, t.detail, t.received_on, t.due_on, t.status, t.minutes, t.decision_reason, t.decided_by_name, t.decided_at, t.done_at, t.done_by_name,
	COALESCE(t.created_by, 0), t.created_by_name, t.created_at`

const burdenTaskFrom = ` FROM burden_tasks t JOIN territories c ON c.id = t.community_id JOIN burden_departments d ON d.id = t.department_id
	LEFT JOIN burden_duties u ON u.id = t.duty_id`

func scanBurdenTask(rs rowScanner) (*model.BurdenTask, error) {
	var t model.BurdenTask
	var decided, done sql.NullTime
	if err := rs.Scan(&t.ID, &t.CommunityID, &t.CommunityName, &t.Path, &t.DepartmentID, &t.DepartmentName, &t.DepartmentLine, &t.DutyID, &t.DutyCode, &t.DutyName,
		&t.Body, &t.Title, &t.Detail, &t.ReceivedOn, &t.DueOn, &t.Status, &t.Minutes, &t.DecisionReason, &t.DecidedByName, &decided, &done, &t.DoneByName,
		&t.CreatedBy, &t.CreatedByName, &t.CreatedAt); err != nil {
		return nil, err
	}
	t.DecidedAt, t.DoneAt = timePtr(decided), timePtr(done)
	t.CreatedAt = t.CreatedAt.UTC()
	return &t, nil
}

// presentTask fills the caller's standing in t.
func presentTask(sc authz.Scope, t *model.BurdenTask) {
	in := sc.Contains(t.Path)
	t.Caller.Work = in && authz.Allowed(sc.Role, authz.BurdenWrite)
	t.Caller.Decide = in && authz.Allowed(sc.Role, authz.BurdenApprove) && (sc.UserID == 0 || t.CreatedBy != sc.UserID)
}

// burdenTask reads task id as the caller may see it: model.ErrNotFound otherwise.
func (c conn) burdenTask(ctx context.Context, sc authz.Scope, id int64) (*model.BurdenTask, error) {
	if !authz.Allowed(sc.Role, authz.BurdenRead) {
		return nil, model.ErrNotFound
	}
	t, err := scopedOne(ctx, c, sc, `SELECT `+burdenTaskColumns+burdenTaskFrom+` WHERE t.id = ?`, []any{id}, scanBurdenTask, func(t *model.BurdenTask) string { return t.Path })
	if err != nil {
		return nil, err
	}
	presentTask(sc, t)
	return t, nil
}

// BurdenTask returns task id as the caller may see it; model.ErrNotFound when it does not
// exist or lies outside the caller's territory.
func (s *Store) BurdenTask(ctx context.Context, sc authz.Scope, id int64) (*model.BurdenTask, error) {
	return s.reader().burdenTask(ctx, sc, id)
}

// BurdenTaskFilter narrows the tasks a caller lists.
type BurdenTaskFilter struct {
	Territory  int64 // tasks of the communities at that node or under it (0: the whole scope)
	Status     model.BurdenTaskStatus
	Department int64
	Body       model.OwnerBody // the owning body ("": either)
	OnList     string          // "yes", "no" or "" for both
	Year       int             // received in that year (0: any)
	Limit      int
	Cursor     string
}

// BurdenTasks lists the tasks of the communities in the caller's territory (f narrows), the
// latest received first, with the total. A bad status or on_list is a *model.ValidationError;
// a territory outside the scope is model.ErrNotFound.
func (s *Store) BurdenTasks(ctx context.Context, sc authz.Scope, f BurdenTaskFilter) (*Page[*model.BurdenTask], error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, fieldErr("status", "状态应为 received、pending、accepted、refused 或 done")
	}
	if f.OnList != "" && f.OnList != "yes" && f.OnList != "no" {
		return nil, fieldErr("on_list", "应为 yes（清单内）或 no（清单外）")
	}
	if f.Body != "" && !f.Body.Valid() {
		return nil, fieldErr("body", "归属主体应为 party（党组织）或 committee（居（村）委会）")
	}
	if !authz.Allowed(sc.Role, authz.BurdenRead) {
		return &Page[*model.BurdenTask]{}, nil
	}
	c := s.reader()
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	prefix, ok, err := c.subtree(ctx, sc, f.Territory)
	if err != nil || !ok {
		return &Page[*model.BurdenTask]{}, err
	}
	lo, hi := authz.PathRange(prefix)
	w := filter{where: []string{"t.path >= ?", "t.path < ?"}, args: []any{lo, hi}}
	if f.Status != "" {
		w.add("t.status = ?", string(f.Status))
	}
	if f.Department != 0 {
		w.add("t.department_id = ?", f.Department)
	}
	if f.Body != "" {
		w.add("t.body = ?", string(f.Body))
	}
	switch f.OnList {
	case "yes":
		w.add("t.duty_id IS NOT NULL")
	case "no":
		w.add("t.duty_id IS NULL")
	}
	if f.Year != 0 {
		w.add("t.received_on >= ? AND t.received_on <= ?", fmt.Sprintf("%04d-01-01", f.Year), fmt.Sprintf("%04d-12-31", f.Year))
	}
	count := w.clone()
	if cur.key != "" {
		w.add("(t.received_on < ? OR (t.received_on = ? AND t.id < ?))", cur.key, cur.key, cur.id)
	}
	p, err := fetchPage(ctx, c, `SELECT `+burdenTaskColumns+burdenTaskFrom+` WHERE `+w.sql()+` ORDER BY t.received_on DESC, t.id DESC`, w.args, clampLimit(f.Limit),
		func(rs rowScanner) (*model.BurdenTask, cursor, error) {
			t, err := scanBurdenTask(rs)
			if err != nil {
				return nil, cursor{}, err
			}
			presentTask(sc, t)
			return t, cursor{key: t.ReceivedOn, id: t.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM burden_tasks t WHERE `+count.sql(), count.args, &p.Total); err != nil {
		return nil, err
	}
	return p, nil
}

// CreateBurdenTask records a task handed down to community in.CommunityID (staff, in their
// territory): received when it falls under a duty of the list, pending the street's approval
// when it does not. The department and the duty must be active and apply to the community
// (kept by a node above it). Bad fields, a community outside the territory and a department or
// duty that does not apply are reported together in one *model.ValidationError.
func (s *Store) CreateBurdenTask(ctx context.Context, sc authz.Scope, in model.BurdenTaskInput) (*model.BurdenTask, error) {
	if !authz.Allowed(sc.Role, authz.BurdenWrite) {
		return nil, model.ErrForbidden
	}
	v := validation(in.Validate(s.now()))
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		var t *model.Territory
		if in.CommunityID > 0 {
			var err error
			t, err = tx.territory(ctx, sc, in.CommunityID)
			switch {
			case errors.Is(err, model.ErrNotFound):
				v.Add("community_id", "社区不存在或不在您的管辖范围内")
			case err != nil:
				return err
			case t.Kind != model.KindCommunity:
				v.Add("community_id", "交办事项登记在社区，请选择一个社区")
				t = nil
			}
		}
		if t != nil {
			anc := ownerPaths(t.Path)
			if in.DepartmentID > 0 {
				var n int
				if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM burden_departments WHERE id = ? AND active = ? AND owner_path IN (`+inList(len(anc))+`)`,
					append([]any{in.DepartmentID, true}, anc...), &n); err != nil {
					return err
				}
				if n == 0 {
					v.Add("department_id", "请从本社区适用的部门名录中选择交办部门")
				}
			}
			if in.DutyID > 0 {
				var n int
				if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM burden_duties WHERE id = ? AND active = ? AND owner_path IN (`+inList(len(anc))+`)`,
					append([]any{in.DutyID, true}, anc...), &n); err != nil {
					return err
				}
				if n == 0 {
					v.Add("duty_id", "该事项不在本社区的准入清单中；清单外事项请选“不在清单内”")
				}
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		name, err := tx.callerName(ctx, sc)
		if err != nil {
			return err
		}
		status := model.TaskPending
		if in.DutyID > 0 {
			status = model.TaskReceived
		}
		if err := tx.queryRow(ctx, `INSERT INTO burden_tasks (community_id, path, department_id, duty_id, body, title, detail, received_on, due_on, status, created_by, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{t.ID, t.Path, in.DepartmentID, nullID(in.DutyID), string(in.Body), in.Title, in.Detail, in.ReceivedOn, in.DueOn, string(status), nullID(sc.UserID), name, s.now()}, &id); err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "burden.task.create", "burden_task", []int64{id}, string(status)+" "+in.Title)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.reader().burdenTask(ctx, sc, id)
}

// taskConflict is the 409 of a transition that found the task in another state.
func taskConflict(t *model.BurdenTask, what string) error {
	return &model.ConflictError{Message: "该事项当前为“" + t.Status.Label() + "”，不能" + what}
}

// AcceptBurdenTask accepts a received task on the list (staff whose territory holds its
// community): it is accepted. A task off the list or no longer received is a
// *model.ConflictError (the conditional UPDATE decides).
func (s *Store) AcceptBurdenTask(ctx context.Context, sc authz.Scope, id int64) (*model.BurdenTask, error) {
	if !authz.Allowed(sc.Role, authz.BurdenWrite) {
		return nil, model.ErrForbidden
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.burdenTask(ctx, sc, id)
		if err != nil {
			return err
		}
		if !t.OnList() {
			return &model.ConflictError{Message: "该事项不在准入清单内，须经街道审批同意后方可承接"}
		}
		res, err := tx.exec(ctx, `UPDATE burden_tasks SET status = 'accepted' WHERE id = ? AND status = 'received' AND duty_id IS NOT NULL`, t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return taskConflict(t, "受理")
		}
		tx.auditAt(sc, t.Path, "burden.task.accept", "burden_task", []int64{t.ID}, "")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.reader().burdenTask(ctx, sc, id)
}

// DecideBurdenTask records the street's decision on a pending task off the list (street,
// district and system administrators whose territory holds its community): accepted or
// refused, with who, when and why. Deciding a task one recorded oneself is a
// *model.ForbiddenError; a task not pending is a *model.ConflictError: of two deciding at
// once, one wins.
func (s *Store) DecideBurdenTask(ctx context.Context, sc authz.Scope, id int64, in model.BurdenDecisionInput) (*model.BurdenTask, error) {
	if !authz.Allowed(sc.Role, authz.BurdenApprove) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.burdenTask(ctx, sc, id)
		if err != nil {
			return err
		}
		if !t.Caller.Decide {
			return &model.ForbiddenError{Message: "不能审批自己登记的事项，请由街道其他负责人审批"}
		}
		name, err := tx.callerName(ctx, sc)
		if err != nil {
			return err
		}
		status, action := model.TaskRefused, "burden.task.refuse"
		if in.Approve {
			status, action = model.TaskAccepted, "burden.task.approve"
		}
		res, err := tx.exec(ctx, `UPDATE burden_tasks SET status = ?, decision_reason = ?, decided_by = ?, decided_by_name = ?, decided_at = ?
			WHERE id = ? AND status = 'pending'`, string(status), in.Reason, nullID(sc.UserID), name, s.now(), t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if t.Status == model.TaskPending {
				return &model.ConflictError{Message: "该事项刚刚已由他人审批，请刷新后查看"}
			}
			return taskConflict(t, "审批")
		}
		tx.auditAt(sc, t.Path, action, "burden_task", []int64{t.ID}, in.Reason)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.reader().burdenTask(ctx, sc, id)
}

// FinishBurdenTask records an accepted task done with the minutes it took (staff whose
// territory holds its community). A task not accepted is a *model.ConflictError; minutes out
// of range a *model.ValidationError on hours.
func (s *Store) FinishBurdenTask(ctx context.Context, sc authz.Scope, id int64, minutes int) (*model.BurdenTask, error) {
	if !authz.Allowed(sc.Role, authz.BurdenWrite) {
		return nil, model.ErrForbidden
	}
	if minutes <= 0 || minutes > model.BurdenMaxHours*60 {
		return nil, fieldErr("hours", "用时应大于 0 且不超过 "+strconv.Itoa(model.BurdenMaxHours)+" 小时")
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.burdenTask(ctx, sc, id)
		if err != nil {
			return err
		}
		name, err := tx.callerName(ctx, sc)
		if err != nil {
			return err
		}
		ts := s.now()
		res, err := tx.exec(ctx, `UPDATE burden_tasks SET status = 'done', minutes = ?, done_month = ?, done_at = ?, done_by = ?, done_by_name = ?
			WHERE id = ? AND status = 'accepted'`, minutes, model.BurdenMonthOf(ts), ts, nullID(sc.UserID), name, t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return taskConflict(t, "办结")
		}
		tx.auditAt(sc, t.Path, "burden.task.done", "burden_task", []int64{t.ID}, model.FormatHours(minutes)+" h")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.reader().burdenTask(ctx, sc, id)
}

// SetBurdenTaskBody changes which body owns task id (staff whose territory holds its community,
// in any state): the Party organization or the residents' (villagers') committee. An unknown
// body is a *model.ValidationError on body; the change is audited.
func (s *Store) SetBurdenTaskBody(ctx context.Context, sc authz.Scope, id int64, body model.OwnerBody) (*model.BurdenTask, error) {
	if !authz.Allowed(sc.Role, authz.BurdenWrite) {
		return nil, model.ErrForbidden
	}
	if !body.Valid() {
		return nil, fieldErr("body", "归属主体应为 party（党组织）或 committee（居（村）委会）")
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.burdenTask(ctx, sc, id)
		if err != nil {
			return err
		}
		if !t.Caller.Work {
			return model.ErrForbidden
		}
		if t.Body == body {
			return nil
		}
		if _, err := tx.exec(ctx, `UPDATE burden_tasks SET body = ? WHERE id = ?`, string(body), t.ID); err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "burden.task.body", "burden_task", []int64{t.ID}, string(t.Body)+" → "+string(body))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.reader().burdenTask(ctx, sc, id)
}

// BurdenView sums the burden of the communities at node territory or under it (0: the whole
// scope) in year: hours of tasks done in the year by month, by sender and by community, set
// against the hours serving residents (residentServiceMinutes). A node outside the scope is
// model.ErrNotFound.
func (s *Store) BurdenView(ctx context.Context, sc authz.Scope, territory int64, year int) (*model.BurdenView, error) {
	if year < 2000 || year > 2200 {
		return nil, fieldErr("year", "年份应在 2000 到 2200 之间")
	}
	v := &model.BurdenView{Year: year}
	for m := 1; m <= 12; m++ {
		v.Months = append(v.Months, model.BurdenMonth{Month: fmt.Sprintf("%04d-%02d", year, m)})
	}
	if !authz.Allowed(sc.Role, authz.BurdenRead) {
		return v, nil
	}
	c := s.reader()
	prefix, ok, err := c.subtree(ctx, sc, territory)
	if err != nil || !ok {
		return v, err
	}
	lo, hi := authz.PathRange(prefix)
	first, last := v.Months[0].Month, v.Months[11].Month
	dayFirst, dayLast := fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-12-31", year)

	comms, err := queryAll(ctx, c, `SELECT id, name FROM territories WHERE kind = 'community' AND path >= ? AND path < ? ORDER BY name, id LIMIT 1000`, []any{lo, hi},
		func(rs rowScanner) (model.BurdenCommunityRow, error) {
			var r model.BurdenCommunityRow
			return r, rs.Scan(&r.ID, &r.Name)
		})
	if err != nil {
		return nil, err
	}
	at := map[int64]int{}
	for i, r := range comms {
		at[r.ID] = i
	}
	monthAt := func(m string) int {
		for i := range v.Months {
			if v.Months[i].Month == m {
				return i
			}
		}
		return -1
	}
	// The year's tasks: received in it, or done in it.
	inYear := `t.path >= ? AND t.path < ? AND (t.received_on BETWEEN ? AND ? OR t.status = 'done' AND t.done_month BETWEEN ? AND ?)`
	yearArgs := []any{lo, hi, dayFirst, dayLast, first, last}
	err = eachRow(ctx, c, `SELECT x.community_id, d.name, d.line, x.status, x.done_month, x.rec, x.off, SUM(x.minutes), COUNT(*)
		FROM (SELECT t.community_id, t.department_id, t.status, t.done_month, t.minutes,
				CASE WHEN t.received_on BETWEEN ? AND ? THEN 1 ELSE 0 END AS rec, CASE WHEN t.duty_id IS NULL THEN 1 ELSE 0 END AS off
			FROM burden_tasks t WHERE `+inYear+`) x
		JOIN burden_departments d ON d.id = x.department_id
		GROUP BY x.community_id, d.id, d.name, d.line, x.status, x.done_month, x.rec, x.off`,
		append([]any{dayFirst, dayLast}, yearArgs...), func(rs rowScanner) error {
			var comm int64
			var name, line, status, month string
			var received, off, minutes, n int
			if err := rs.Scan(&comm, &name, &line, &status, &month, &received, &off, &minutes, &n); err != nil {
				return err
			}
			done := status == string(model.TaskDone) && month >= first && month <= last
			row := viewDepartment(v, name, line)
			ci, hasComm := at[comm]
			if received == 1 {
				v.Tasks += n
				row.Tasks += n
				if hasComm {
					comms[ci].Tasks += n
				}
				if off == 1 {
					v.OffList += n
					row.OffList += n
					if hasComm {
						comms[ci].OffList += n
					}
				}
				if status == string(model.TaskRefused) {
					v.Refused += n
				}
			}
			if done {
				v.TaskMinutes += minutes
				row.Minutes += minutes
				if i := monthAt(month); i >= 0 {
					v.Months[i].TaskMinutes += minutes
				}
				if hasComm {
					comms[ci].TaskMinutes += minutes
				}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM burden_tasks WHERE path >= ? AND path < ? AND status = 'pending'`, []any{lo, hi}, &v.Pending); err != nil {
		return nil, err
	}
	byMonth, byComm, err := c.residentServiceMinutes(ctx, lo, hi, year)
	if err != nil {
		return nil, err
	}
	for i := range v.Months {
		v.Months[i].ServeMinutes = byMonth[v.Months[i].Month]
		v.ServeMinutes += v.Months[i].ServeMinutes
	}
	for i := range comms {
		comms[i].ServeMinutes = byComm[comms[i].ID]
	}
	v.Communities = comms
	v.SortDepartments()
	return v, nil
}

// viewDepartment is v's row of the sender (name, line), added when new.
func viewDepartment(v *model.BurdenView, name, line string) *model.BurdenDepartmentRow {
	for i := range v.Departments {
		if v.Departments[i].Name == name && v.Departments[i].Line == line {
			return &v.Departments[i]
		}
	}
	v.Departments = append(v.Departments, model.BurdenDepartmentRow{Name: name, Line: line})
	return &v.Departments[len(v.Departments)-1]
}

// residentServiceMinutes sums the minutes spent serving residents in year, by month
// (Asia/Shanghai, "2026-03") and by community, of what lies in the path range [lo, hi): the
// minutes of volunteer service orders done in the year (orders.minutes, recorded when an order
// is done) and of community workers' visits to the places and households of the range
// (visits.minutes, logged with the visit). It is the one place the burden view reads
// "serving residents" from.
func (c conn) residentServiceMinutes(ctx context.Context, lo, hi string, year int) (map[string]int, map[int64]int, error) {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, model.Shanghai).UTC()
	to := time.Date(year+1, 1, 1, 0, 0, 0, 0, model.Shanghai).UTC()
	byMonth, byComm := map[string]int{}, map[int64]int{}
	err := eachRow(ctx, c, `SELECT community_id, done_at, minutes FROM orders
		WHERE path >= ? AND path < ? AND done_at >= ? AND done_at < ? AND status IN ('done', 'rated', 'closed') AND minutes > 0`,
		[]any{lo, hi, from, to}, func(rs rowScanner) error {
			var comm int64
			var done time.Time
			var minutes int
			if err := rs.Scan(&comm, &done, &minutes); err != nil {
				return err
			}
			byMonth[model.BurdenMonthOf(done)] += minutes
			byComm[comm] += minutes
			return nil
		})
	if err != nil {
		return nil, nil, err
	}
	err = eachRow(ctx, c, `SELECT community_id, visited_at, minutes FROM visits WHERE path >= ? AND path < ? AND visited_at >= ? AND visited_at < ?`,
		[]any{lo, hi, from, to}, func(rs rowScanner) error {
			var comm int64
			var at time.Time
			var minutes int
			if err := rs.Scan(&comm, &at, &minutes); err != nil {
				return err
			}
			byMonth[model.BurdenMonthOf(at)] += minutes
			byComm[comm] += minutes
			return nil
		})
	return byMonth, byComm, err
}
