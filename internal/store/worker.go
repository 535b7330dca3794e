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
	"gongzhi/internal/pii"
)

// Community workers (社区工作者, issue 12 item 3; model/worker.go says what a worker is). The
// roster is office work: staff whose territory holds the worker's community read and change it
// (worker.read, worker.write); a worker outside the scope is model.ErrNotFound. The phone and
// ID number are sealed for their own columns (ColumnWorkerPhone, ColumnWorkerIDNumber) and
// come out masked; RevealWorker is the one audited way to the full values. Visits are visit.go's.

// The columns a worker's personal data is sealed for.
const (
	ColumnWorkerPhone    = "community_workers.phone"
	ColumnWorkerIDNumber = "community_workers.id_number"
)

// workerColumns are a worker's columns with its coverage: the grids assigned, the households
// under them (the tree's maintained counts) and its visits since the bound argument. Each is an
// index probe (worker_grids' key, visits_worker), so a page costs a few per row.
const workerColumns = `w.id, w.community_id, t.name, w.path, w.name, w.position, w.qualification, w.phone_enc, w.id_number_enc,
	w.hired_on, w.left_on, COALESCE(w.user_id, 0), COALESCE(u.username, ''), w.training_min, w.created_at, w.updated_at,
	(SELECT COUNT(*) FROM worker_grids g WHERE g.worker_id = w.id),
	(SELECT COALESCE(SUM(gt.households), 0) FROM worker_grids g JOIN territories gt ON gt.id = g.grid_id WHERE g.worker_id = w.id),
	(SELECT COUNT(*) FROM visits v WHERE v.worker_id = w.id AND v.visited_at >= ?)`

const workerFrom = ` FROM community_workers w JOIN territories t ON t.id = w.community_id LEFT JOIN users u ON u.id = w.user_id`

func (c conn) scanWorker(rs rowScanner) (*model.Worker, error) {
	var w model.Worker
	var phone, idNumber string
	var hired, left sql.NullTime
	if err := rs.Scan(&w.ID, &w.CommunityID, &w.CommunityName, &w.Path, &w.Name, &w.Position, &w.Qualification, &phone, &idNumber,
		&hired, &left, &w.UserID, &w.Username, &w.TrainingMinutes, &w.CreatedAt, &w.UpdatedAt, &w.GridCount, &w.Households, &w.Visits90); err != nil {
		return nil, err
	}
	if hired.Valid {
		w.HiredOn = dateString(hired.Time)
	}
	if left.Valid {
		w.LeftOn = dateString(left.Time)
	}
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	if phone != "" || idNumber != "" {
		if c.keys == nil {
			return nil, pii.ErrNoKeys
		}
		p, err := c.keys.Open(ColumnWorkerPhone, phone)
		if err != nil {
			return nil, fmt.Errorf("worker %d: %w", w.ID, err)
		}
		id, err := c.keys.Open(ColumnWorkerIDNumber, idNumber)
		if err != nil {
			return nil, fmt.Errorf("worker %d: %w", w.ID, err)
		}
		// Nobody but the audited reveal gets more than the mask: the values keep only it.
		w.Phone, w.IDNumber = model.NewPhone(p).MaskedOnly(), model.NewIDNumber(id).MaskedOnly()
	}
	return &w, nil
}

// visitsSince is the bound of a worker's recent visits (Visits90).
func (s *Store) visitsSince() time.Time { return s.now().AddDate(0, 0, -90) }

// worker reads worker id as sc may see it, with its grids, trainings and recruitment steps.
func (c conn) worker(ctx context.Context, sc authz.Scope, id int64, since time.Time) (*model.Worker, error) {
	if !authz.Allowed(sc.Role, authz.WorkerRead) && !sc.All {
		return nil, model.ErrNotFound
	}
	w, err := scopedOne(ctx, c, sc, `SELECT `+workerColumns+workerFrom+` WHERE w.id = ?`, []any{since, id}, c.scanWorker,
		func(w *model.Worker) string { return w.Path })
	if err != nil {
		return nil, err
	}
	if w.Grids, err = queryAll(ctx, c, `SELECT t.id, t.kind, t.name, t.path FROM worker_grids g JOIN territories t ON t.id = g.grid_id
		WHERE g.worker_id = ? ORDER BY t.path`, []any{id}, func(rs rowScanner) (model.TerritoryRef, error) {
		var r model.TerritoryRef
		return r, rs.Scan(&r.ID, &r.Kind, &r.Name, &r.Path)
	}); err != nil {
		return nil, err
	}
	if w.Trainings, err = queryAll(ctx, c, `SELECT id, held_on, title, minutes FROM worker_trainings WHERE worker_id = ? ORDER BY held_on DESC, id DESC`,
		[]any{id}, func(rs rowScanner) (model.Training, error) {
			var t model.Training
			var on time.Time
			err := rs.Scan(&t.ID, &on, &t.Title, &t.Minutes)
			t.On = dateString(on)
			return t, err
		}); err != nil {
		return nil, err
	}
	if w.Recruitments, err = queryAll(ctx, c, `SELECT id, stage, held_on, result, score, note FROM worker_recruitments WHERE worker_id = ? ORDER BY held_on, id`,
		[]any{id}, func(rs rowScanner) (model.Recruitment, error) {
			var r model.Recruitment
			var on time.Time
			err := rs.Scan(&r.ID, &r.Stage, &on, &r.Result, &r.Score, &r.Note)
			r.On = dateString(on)
			return r, err
		}); err != nil {
		return nil, err
	}
	return w, nil
}

// Worker returns worker id with its grids, trainings and recruitment steps; model.ErrNotFound
// when it does not exist or lies outside sc (or sc may not read the roster).
func (s *Store) Worker(ctx context.Context, sc authz.Scope, id int64) (*model.Worker, error) {
	return s.reader().worker(ctx, sc, id, s.visitsSince())
}

// WorkerFilter narrows the roster.
type WorkerFilter struct {
	Territory     int64 // workers of the communities at that node or under it; below a community, those assigned to its grids
	Q             string
	Position      string
	Qualification model.Qualification
	Status        string // "active" (default), "left", "all"
	Phone         string // exact phone, through its blind index
	Limit         int
	Cursor        string
}

// Workers lists the roster of sc's communities by community and name. A filter on the phone
// is refused (model.ErrForbidden) to a role that sees phones masked: it would reveal them.
func (s *Store) Workers(ctx context.Context, sc authz.Scope, f WorkerFilter) (*Page[*model.Worker], error) {
	if !authz.Allowed(sc.Role, authz.WorkerRead) && !sc.All {
		return nil, model.ErrForbidden
	}
	if f.Qualification != "" && !f.Qualification.Valid() {
		return nil, fieldErr("qualification", "职业资格应为 none、assistant、worker 或 senior")
	}
	c := s.reader()
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	var w filter
	if f.Territory != 0 {
		t, err := c.territory(ctx, sc, f.Territory)
		if err != nil {
			return nil, err
		}
		if t.Kind.Rank() > model.KindCommunity.Rank() {
			lo, hi := authz.PathRange(t.Path)
			w.add(`w.id IN (SELECT g.worker_id FROM worker_grids g JOIN territories gt ON gt.id = g.grid_id WHERE gt.path >= ? AND gt.path < ?)`, lo, hi)
		} else {
			lo, hi := authz.PathRange(t.Path)
			w.add("w.path >= ? AND w.path < ?", lo, hi)
		}
	}
	prefix, ok := sc.Narrow("")
	if !ok {
		return &Page[*model.Worker]{}, nil
	}
	lo, hi := authz.PathRange(prefix)
	w.add("w.path >= ? AND w.path < ?", lo, hi)
	switch f.Status {
	case "", "active":
		w.add("w.left_on IS NULL")
	case "left":
		w.add("w.left_on IS NOT NULL")
	case "all":
	default:
		return nil, fieldErr("status", "状态应为 active（在职）、left（离职）或 all")
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		w.add("w.name LIKE ? ESCAPE '\\'", "%"+escapeLike(q)+"%")
	}
	if p := strings.TrimSpace(f.Position); p != "" {
		w.add("w.position = ?", p)
	}
	if f.Qualification != "" {
		w.add("w.qualification = ?", string(f.Qualification))
	}
	if p := strings.TrimSpace(f.Phone); p != "" {
		if !sc.CanSee(authz.FieldPhone) {
			// A search on a value the role sees masked would reveal it (DESIGN.md: an oracle).
			return nil, model.ErrForbidden
		}
		if c.keys == nil {
			return nil, pii.ErrNoKeys
		}
		w.add("w.phone_idx = ?", c.keys.BlindIndex(pii.KindPhone, p))
	}
	count := w.clone()
	if cur.key != "" {
		path, name, _ := strings.Cut(cur.key, "\x1f")
		w.add("(w.path > ? OR (w.path = ? AND (w.name > ? OR (w.name = ? AND w.id > ?))))", path, path, name, name, cur.id)
	}
	page, err := fetchPage(ctx, c, `SELECT `+workerColumns+workerFrom+` WHERE `+w.sql()+` ORDER BY w.path, w.name, w.id`,
		append([]any{s.visitsSince()}, w.args...), clampLimit(f.Limit), func(rs rowScanner) (*model.Worker, cursor, error) {
			wk, err := c.scanWorker(rs)
			if err != nil {
				return nil, cursor{}, err
			}
			return wk, cursor{key: wk.Path + "\x1f" + wk.Name, id: wk.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM community_workers w WHERE `+count.sql(), count.args, &page.Total); err != nil {
		return nil, err
	}
	return page, nil
}

// dayArg is a YYYY-MM-DD date as the DATE columns take it (nil for "").
func dayArg(s string) any {
	if s == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil
	}
	return d
}

// errNotWorkerStaff refuses the roster to a role that may not change it.
func workerWritable(sc authz.Scope) error {
	if !sc.All && !authz.Allowed(sc.Role, authz.WorkerWrite) {
		return model.ErrForbidden
	}
	return nil
}

// workerCommunity reads the community a worker is added to: a community in sc, else a field
// error naming community_id (out of scope reads like missing).
func (tx *Tx) workerCommunity(ctx context.Context, sc authz.Scope, id int64) (*model.Territory, error) {
	t, err := tx.territory(ctx, sc, id)
	switch {
	case errors.Is(err, model.ErrNotFound):
		return nil, fieldErr("community_id", "社区不存在或不在您的管辖范围内")
	case err != nil:
		return nil, err
	case t.Kind != model.KindCommunity:
		return nil, fieldErr("community_id", "社区工作者属于一个社区，请选择社区")
	}
	return t, nil
}

// workerAccount checks the account linked to a worker: an existing account in sc (0: none).
func (tx *Tx) workerAccount(ctx context.Context, sc authz.Scope, id int64) (any, error) {
	if id == 0 {
		return nil, nil
	}
	var path string
	err := tx.queryRow(ctx, `SELECT COALESCE(t.path, '') FROM users u LEFT JOIN territories t ON t.id = u.scope_id WHERE u.id = ?`, []any{id}, &path)
	if errors.Is(err, model.ErrNotFound) || err == nil && !sc.Contains(path) {
		return nil, fieldErr("user_id", "账号不存在或不在您的管辖范围内")
	}
	return id, err
}

// sealWorker seals a worker's phone and ID number; the blind index of the phone (nil: none).
func sealWorker(kr *pii.Keyring, phone, idNumber string) (phoneEnc, idEnc string, phoneIdx any, err error) {
	if phone == "" && idNumber == "" {
		return "", "", nil, nil
	}
	if kr == nil {
		return "", "", nil, pii.ErrNoKeys
	}
	if phoneEnc, err = kr.Seal(ColumnWorkerPhone, phone); err != nil {
		return
	}
	if idEnc, err = kr.Seal(ColumnWorkerIDNumber, idNumber); err != nil {
		return
	}
	if idx := kr.BlindIndex(pii.KindPhone, phone); idx != "" {
		phoneIdx = idx
	}
	return
}

var errWorkerAccountTaken = &model.ConflictError{Message: "该账号已关联另一名社区工作者"}

// CreateWorker adds a worker to a community of sc (staff). A community outside sc or an
// account already linked is a field error or a *model.ConflictError.
func (s *Store) CreateWorker(ctx context.Context, sc authz.Scope, in model.WorkerInput) (*model.Worker, error) {
	if err := workerWritable(sc); err != nil {
		return nil, err
	}
	if err := in.Validate(s.now()); err != nil {
		return nil, err
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.workerCommunity(ctx, sc, in.CommunityID)
		if err != nil {
			return err
		}
		user, err := tx.workerAccount(ctx, sc, in.UserID)
		if err != nil {
			return err
		}
		phoneEnc, idEnc, phoneIdx, err := sealWorker(tx.keys, in.Phone, in.IDNumber)
		if err != nil {
			return err
		}
		now := s.now()
		err = tx.queryRow(ctx, `INSERT INTO community_workers (community_id, path, name, position, qualification, phone_enc, phone_idx, id_number_enc,
			hired_on, left_on, user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{t.ID, t.Path, in.Name, in.Position, string(in.Qualification), phoneEnc, phoneIdx, idEnc, dayArg(in.HiredOn), dayArg(in.LeftOn), user, now, now}, &id)
		if errors.Is(err, model.ErrConflict) {
			return errWorkerAccountTaken
		} else if err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "worker.create", "worker", []int64{id}, in.Position+" "+string(in.Qualification))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Worker(ctx, sc, id)
}

// writableWorker reads worker id for a change: model.ErrNotFound outside sc.
func (tx *Tx) writableWorker(ctx context.Context, sc authz.Scope, id int64) (*model.Worker, error) {
	if err := workerWritable(sc); err != nil {
		return nil, err
	}
	var w model.Worker
	err := tx.queryRow(ctx, `SELECT id, community_id, path FROM community_workers WHERE id = ?`, []any{id}, &w.ID, &w.CommunityID, &w.Path)
	if err != nil {
		return nil, err
	}
	if !sc.Contains(w.Path) {
		return nil, model.ErrNotFound
	}
	return &w, nil
}

// UpdateWorker changes worker id (staff of its community): the fields of in but the community,
// which stays; an empty phone or ID number keeps the stored value.
func (s *Store) UpdateWorker(ctx context.Context, sc authz.Scope, id int64, in model.WorkerInput) (*model.Worker, error) {
	if err := workerWritable(sc); err != nil {
		return nil, err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		old, err := tx.writableWorker(ctx, sc, id)
		if err != nil {
			return err
		}
		in.CommunityID = old.CommunityID
		if err := in.Validate(s.now()); err != nil {
			return err
		}
		user, err := tx.workerAccount(ctx, sc, in.UserID)
		if err != nil {
			return err
		}
		var phoneEnc, idEnc string
		var phoneIdx sql.NullString
		if err := tx.queryRow(ctx, `SELECT phone_enc, id_number_enc, phone_idx FROM community_workers WHERE id = ?`, []any{id}, &phoneEnc, &idEnc, &phoneIdx); err != nil {
			return err
		}
		if in.Phone == "" || in.IDNumber == "" {
			// Keep what the client did not send (it holds only the mask).
			if tx.keys != nil && (phoneEnc != "" || idEnc != "") {
				p, err := tx.keys.Open(ColumnWorkerPhone, phoneEnc)
				if err != nil {
					return err
				}
				n, err := tx.keys.Open(ColumnWorkerIDNumber, idEnc)
				if err != nil {
					return err
				}
				if in.Phone == "" {
					in.Phone = p
				}
				if in.IDNumber == "" {
					in.IDNumber = n
				}
			}
		}
		newPhone, newID, newIdx, err := sealWorker(tx.keys, in.Phone, in.IDNumber)
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE community_workers SET name = ?, position = ?, qualification = ?, phone_enc = ?, phone_idx = ?, id_number_enc = ?,
			hired_on = ?, left_on = ?, user_id = ?, updated_at = ? WHERE id = ?`,
			in.Name, in.Position, string(in.Qualification), newPhone, newIdx, newID, dayArg(in.HiredOn), dayArg(in.LeftOn), user, s.now(), id)
		if errors.Is(err, model.ErrConflict) {
			return errWorkerAccountTaken
		} else if err != nil {
			return err
		}
		tx.auditAt(sc, old.Path, "worker.update", "worker", []int64{id}, in.Position+" "+string(in.Qualification))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Worker(ctx, sc, id)
}

// SetWorkerGrids replaces the grids worker id is assigned to (staff): every id must be a grid
// of the worker's community, else a field error naming grid_ids.
func (s *Store) SetWorkerGrids(ctx context.Context, sc authz.Scope, id int64, grids []int64) (*model.Worker, error) {
	if len(grids) > 200 {
		return nil, fieldErr("grid_ids", "一名工作者最多分配200个网格")
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		w, err := tx.writableWorker(ctx, sc, id)
		if err != nil {
			return err
		}
		seen := map[int64]bool{}
		for _, g := range grids {
			if seen[g] {
				continue
			}
			seen[g] = true
			t, err := tx.territory(ctx, authz.System(), g)
			if errors.Is(err, model.ErrNotFound) || err == nil && (t.Kind != model.KindGrid || !strings.HasPrefix(t.Path, w.Path)) {
				return fieldErr("grid_ids", fmt.Sprintf("网格 %d 不存在或不属于该工作者所在社区", g))
			} else if err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, `DELETE FROM worker_grids WHERE worker_id = ?`, id); err != nil {
			return err
		}
		for g := range seen {
			if _, err := tx.exec(ctx, `INSERT INTO worker_grids (worker_id, grid_id, community_id) VALUES (?, ?, ?)`, id, g, w.CommunityID); err != nil {
				return err
			}
		}
		tx.auditAt(sc, w.Path, "worker.grids", "worker", []int64{id}, fmt.Sprintf("grids=%d", len(seen)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Worker(ctx, sc, id)
}

// AddWorkerTraining records a training of worker id (staff) and adds its minutes to the
// worker's total in the same transaction.
func (s *Store) AddWorkerTraining(ctx context.Context, sc authz.Scope, id int64, in model.TrainingInput) (*model.Worker, error) {
	if err := workerWritable(sc); err != nil {
		return nil, err
	}
	if err := in.Validate(s.now()); err != nil {
		return nil, err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		w, err := tx.writableWorker(ctx, sc, id)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO worker_trainings (worker_id, community_id, held_on, title, minutes, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, w.CommunityID, dayArg(in.On), in.Title, in.Minutes, nullID(sc.UserID), s.now()); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE community_workers SET training_min = training_min + ?, updated_at = ? WHERE id = ?`, in.Minutes, s.now(), id); err != nil {
			return err
		}
		tx.auditAt(sc, w.Path, "worker.training", "worker", []int64{id}, in.On+" "+model.FormatHours(int(in.Minutes))+"h")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Worker(ctx, sc, id)
}

// AddWorkerRecruitment records a recruitment step of worker id (staff).
func (s *Store) AddWorkerRecruitment(ctx context.Context, sc authz.Scope, id int64, in model.RecruitmentInput) (*model.Worker, error) {
	if err := workerWritable(sc); err != nil {
		return nil, err
	}
	if err := in.Validate(s.now()); err != nil {
		return nil, err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		w, err := tx.writableWorker(ctx, sc, id)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO worker_recruitments (worker_id, community_id, stage, held_on, result, score, note, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, w.CommunityID, string(in.Stage), dayArg(in.On), string(in.Result), in.Score, in.Note, nullID(sc.UserID), s.now()); err != nil {
			return err
		}
		tx.auditAt(sc, w.Path, "worker.recruitment", "worker", []int64{id}, string(in.Stage)+" "+in.On+" "+string(in.Result))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Worker(ctx, sc, id)
}

// ActionWorkerReveal is the audit action of a read of a worker's full phone and ID number.
const ActionWorkerReveal = "worker.reveal"

// RevealWorker returns worker id's full phone and ID number, after recording who saw them and
// why (reason: short, never a personal value) in the transaction that reads them. A role that
// may not see them in full is model.ErrForbidden (recorded as a denial); a worker outside sc is
// model.ErrNotFound.
func (s *Store) RevealWorker(ctx context.Context, sc authz.Scope, id int64, reason string) (Revealed, error) {
	if !sc.All && (!authz.Allowed(sc.Role, authz.WorkerWrite) || !sc.CanSee(authz.FieldPhone) || !sc.CanSee(authz.FieldIDNumber)) {
		if err := s.RecordDenied(ctx, sc, ActionWorkerReveal, reason); err != nil {
			return Revealed{}, err
		}
		return Revealed{}, model.ErrForbidden
	}
	var out Revealed
	err := s.Tx(ctx, func(tx *Tx) error {
		w, err := tx.writableWorker(ctx, sc, id)
		if err != nil {
			return err
		}
		var phoneEnc, idEnc string
		if err := tx.queryRow(ctx, `SELECT phone_enc, id_number_enc FROM community_workers WHERE id = ?`, []any{id}, &phoneEnc, &idEnc); err != nil {
			return err
		}
		if phoneEnc != "" || idEnc != "" {
			if tx.keys == nil {
				return pii.ErrNoKeys
			}
			if out.Phone, err = tx.keys.Open(ColumnWorkerPhone, phoneEnc); err != nil {
				return err
			}
			if out.IDNumber, err = tx.keys.Open(ColumnWorkerIDNumber, idEnc); err != nil {
				return err
			}
		}
		tx.auditAt(sc, w.Path, ActionWorkerReveal, "worker", []int64{id}, strings.TrimSpace("fields=id_number,phone "+reason))
		return nil
	})
	return out, err
}

// addWorkerKeyUsage counts the workers' sealed values per key (KeyUsage), once the roster
// exists (migration 61).
func (s *Store) addWorkerKeyUsage(ctx context.Context, use map[string]int64) error {
	p, err := s.migrator()
	if err != nil {
		return err
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v < 61 {
		return err
	}
	if err := s.addKeyUsage(ctx, "community_workers", "phone_enc", use); err != nil {
		return err
	}
	return s.addKeyUsage(ctx, "community_workers", "id_number_enc", use)
}

// reencryptWorkers seals the workers' values again under the current key (Reencrypt).
func (s *Store) reencryptWorkers(ctx context.Context) error {
	if _, err := s.reencryptSealed(ctx, "community_workers", "phone_enc", ColumnWorkerPhone); err != nil {
		return err
	}
	_, err := s.reencryptSealed(ctx, "community_workers", "id_number_enc", ColumnWorkerIDNumber)
	return err
}
