package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// ColumnJobFile is the additional data job file chunks are sealed with (internal/pii).
const ColumnJobFile = "job_file_chunks.data"

// jobChunk is the plaintext size of one stored chunk of a job file: a 100,000-row upload is a
// dozen rows, and nothing ever holds a whole file in memory.
const jobChunk = 1 << 20

// QueueDriver is River's driver over the store's write pool: riversqlite on SQLite, whose
// single write connection is the pool River's SQLite driver asks for (River's statements then
// queue behind ours instead of failing with SQLITE_BUSY), and riverdatabasesql on PostgreSQL
// (database/sql over pgx, so River shares the pool and search_path; it runs poll-only).
func (s *Store) QueueDriver() riverdriver.Driver[*sql.Tx] {
	if s.d.name == "postgres" {
		return riverdatabasesql.New(s.write)
	}
	return riversqlite.New(s.write)
}

func (s *Store) queueMigrator() (*rivermigrate.Migrator[*sql.Tx], error) {
	return rivermigrate.New(s.QueueDriver(), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
}

// migrateQueue brings River's own tables (river_job, river_leader, …) up to the version this
// binary's River wants, with River's migrator, after our SQL migrations.
func (s *Store) migrateQueue(ctx context.Context) error {
	m, err := s.queueMigrator()
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	return nil
}

// queueCurrent reports whether River's tables are at the version this binary's River wants.
func (s *Store) queueCurrent(ctx context.Context) (bool, error) {
	m, err := s.queueMigrator()
	if err != nil {
		return false, err
	}
	have, err := m.ExistingVersions(ctx)
	if err != nil {
		return false, fmt.Errorf("check job queue schema: %w", err)
	}
	all := m.AllVersions()
	return len(have) > 0 && have[len(have)-1].Version >= all[len(all)-1].Version, nil
}

// FileInput is a file handed to a job or written by it.
type FileInput struct {
	Name        string
	ContentType string
	Body        io.Reader
}

// JobInput is what CreateJob records.
type JobInput struct {
	Kind   string
	Params json.RawMessage // nil: {}
	Input  *FileInput      // the file the job reads, nil for none
}

// Enqueue hands a new job's id to the queue inside the transaction that records the job, so
// that a job is either recorded and queued or neither.
type Enqueue func(ctx context.Context, tx *sql.Tx, id int64) error

// CreateJob records a queued job started by sc (who must be an account: sc.UserID != 0), stores
// its input file sealed, appends its audit record, and calls enqueue in the same transaction.
func (s *Store) CreateJob(ctx context.Context, sc authz.Scope, in JobInput, enqueue Enqueue) (*model.Job, error) {
	if sc.UserID == 0 {
		return nil, errors.New("create job: a job is started by an account")
	}
	params := in.Params
	if len(params) == 0 {
		params = json.RawMessage("{}")
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		ts := now()
		if err := tx.queryRow(ctx, `INSERT INTO jobs (kind, status, user_id, role, scope_all, scope_path, params, created_at)
			VALUES (?, 'queued', ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{in.Kind, sc.UserID, string(sc.Role), sc.All, sc.Path, string(params), ts}, &id); err != nil {
			return err
		}
		if in.Input != nil {
			if _, err := tx.putJobFile(ctx, id, "input", in.Input); err != nil {
				return err
			}
		}
		tx.auditAt(sc, sc.Path, "job.create", "job", []int64{id}, "kind="+in.Kind)
		if enqueue != nil {
			return enqueue(tx.detach(ctx), tx.q.(*sql.Tx), id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.jobByID(ctx, s.reader(), id)
}

const jobColumns = `j.id, j.kind, j.status, j.user_id, j.role, j.scope_all, j.scope_path, j.params, j.stage, j.done, j.total,
	j.result, j.error, j.row_errors, j.error_count, j.cancel_requested, j.created_at, j.started_at, j.finished_at,
	f.id, f.name, f.content_type, f.size`

const jobFrom = ` FROM jobs j LEFT JOIN job_files f ON f.job_id = j.id AND f.purpose = 'output'`

func scanJob(sc rowScanner) (*model.Job, error) {
	var j model.Job
	var params, result, rowErrors string
	var started, finished sql.NullTime
	var fid, fsize sql.NullInt64
	var fname, ftype sql.NullString
	if err := sc.Scan(&j.ID, &j.Kind, &j.Status, &j.UserID, &j.Role, &j.ScopeAll, &j.ScopePath, &params, &j.Stage, &j.Done, &j.Total,
		&result, &j.Error, &rowErrors, &j.ErrorCount, &j.CancelRequested, &j.CreatedAt, &started, &finished,
		&fid, &fname, &ftype, &fsize); err != nil {
		return nil, err
	}
	j.Params, j.Result = json.RawMessage(params), json.RawMessage(result)
	if err := json.Unmarshal([]byte(rowErrors), &j.RowErrors); err != nil {
		return nil, fmt.Errorf("job %d: row errors: %w", j.ID, err)
	}
	if started.Valid {
		j.StartedAt = &started.Time
	}
	if finished.Valid {
		j.FinishedAt = &finished.Time
	}
	if fid.Valid {
		j.Output = &model.JobFile{ID: fid.Int64, Name: fname.String, ContentType: ftype.String, Size: fsize.Int64}
	}
	return &j, nil
}

// jobByID reads a job without a scope check: for the queue's own bookkeeping.
func (s *Store) jobByID(ctx context.Context, c conn, id int64) (*model.Job, error) {
	var j *model.Job
	rows, err := c.query(ctx, `SELECT `+jobColumns+jobFrom+` WHERE j.id = ?`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if rows.Next() {
		if j, err = scanJob(rows); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, c.d.mapErr(err)
	}
	if j == nil {
		return nil, model.ErrNotFound
	}
	return j, nil
}

// JobByID returns job id for the worker that runs it, without a scope check; never hand its
// result to a caller (use Job).
func (s *Store) JobByID(ctx context.Context, id int64) (*model.Job, error) {
	return s.jobByID(ctx, s.reader(), id)
}

// jobVisible is the condition under which sc sees a job: the job's scope lies within sc's,
// and sc started it or administers jobs (authz.JobAdmin) there.
func jobVisible(sc authz.Scope) (string, []any) {
	var where string
	var args []any
	switch {
	case sc.All:
		where = `1 = 1`
	case sc.Path == "":
		return `1 = 0`, nil
	default:
		lo, hi := authz.PathRange(sc.Path)
		where, args = `j.scope_all = ? AND j.scope_path >= ? AND j.scope_path < ?`, []any{false, lo, hi}
	}
	if !authz.Allowed(sc.Role, authz.JobAdmin) {
		where += ` AND j.user_id = ?`
		args = append(args, sc.UserID)
	}
	return where, args
}

// Job returns job id as sc sees it: model.ErrNotFound when it does not exist, lies outside
// sc's scope, or was started by another account and sc does not administer jobs.
func (s *Store) Job(ctx context.Context, sc authz.Scope, id int64) (*model.Job, error) {
	where, args := jobVisible(sc)
	rows, err := s.reader().query(ctx, `SELECT `+jobColumns+jobFrom+` WHERE j.id = ? AND `+where, append([]any{id}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, s.d.mapErr(err)
		}
		return nil, model.ErrNotFound
	}
	return scanJob(rows)
}

// JobFilter narrows a list of jobs.
type JobFilter struct {
	Mine   bool // only the caller's own jobs
	Limit  int
	Cursor string
}

// Jobs lists the jobs sc sees (see Job), newest first.
func (s *Store) Jobs(ctx context.Context, sc authz.Scope, f JobFilter) (Page[*model.Job], error) {
	var out Page[*model.Job]
	c, err := decodeCursor(f.Cursor)
	if err != nil {
		return out, err
	}
	where, args := jobVisible(sc)
	if f.Mine {
		where += ` AND j.user_id = ?`
		args = append(args, sc.UserID)
	}
	if c.id != 0 {
		where += ` AND j.id < ?`
		args = append(args, c.id)
	}
	page, err := fetchPage(ctx, s.reader(), `SELECT `+jobColumns+jobFrom+` WHERE `+where+` ORDER BY j.id DESC`, args, clampLimit(f.Limit),
		func(r rowScanner) (*model.Job, cursor, error) {
			j, err := scanJob(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return j, cursor{id: j.ID}, nil
		})
	if err != nil {
		return out, err
	}
	page.Total = -1
	return *page, nil
}

// StartJob moves job id from queued to running on worker and returns it. It returns
// model.ErrConflict when the job is no longer queued (cancelled meanwhile, or already taken):
// the database decides, so two workers never run one job.
func (s *Store) StartJob(ctx context.Context, id int64, worker string) (*model.Job, error) {
	ts := now()
	res, err := s.writer().exec(ctx, `UPDATE jobs SET status = 'running', worker = ?, started_at = ?, heartbeat_at = ? WHERE id = ? AND status = 'queued'`,
		worker, ts, ts, id)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return nil, errors.Join(model.ErrConflict, err)
	}
	return s.jobByID(ctx, s.writer(), id)
}

// JobProgress records how far a running job is.
func (s *Store) JobProgress(ctx context.Context, id int64, stage string, done, total int64) error {
	_, err := s.writer().exec(ctx, `UPDATE jobs SET stage = ?, done = ?, total = ? WHERE id = ? AND status = 'running'`, stage, done, total, id)
	return err
}

// Heartbeat marks the jobs ids as alive on worker and returns those of them whose
// cancellation was asked for.
func (s *Store) Heartbeat(ctx context.Context, worker string, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{now(), worker}
	for _, id := range ids {
		args = append(args, id)
	}
	if _, err := s.writer().exec(ctx, `UPDATE jobs SET heartbeat_at = ? WHERE worker = ? AND status = 'running' AND id IN (`+inList(len(ids))+`)`, args...); err != nil {
		return nil, err
	}
	rows, err := s.writer().query(ctx, `SELECT id FROM jobs WHERE cancel_requested = ? AND id IN (`+inList(len(ids))+`)`, append([]any{true}, args[2:]...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, s.d.mapErr(rows.Err())
}

// FailStaleJobs marks failed, with reason, every running job whose worker is not self and has
// not sent a heartbeat since before: its worker stopped (a restart, a crash) in the middle. It
// returns their ids. A job's writes are one transaction, so such a job wrote nothing.
func (s *Store) FailStaleJobs(ctx context.Context, self string, before time.Time, reason string) ([]int64, error) {
	ts := now()
	rows, err := s.writer().query(ctx, `UPDATE jobs SET status = 'failed', error = ?, finished_at = ?
		WHERE status = 'running' AND worker <> ? AND (heartbeat_at IS NULL OR heartbeat_at < ?) RETURNING id`,
		reason, ts, self, before.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, s.d.mapErr(err)
	}
	for _, id := range out {
		if _, err := s.writer().exec(ctx, `DELETE FROM job_files WHERE job_id = ? AND purpose = 'input'`, id); err != nil {
			return out, err
		}
	}
	return out, nil
}

// CancelJob asks for job id to stop, as sc (who must see it, see Job). A queued job is
// cancelled at once; a running one is marked, and its worker stops it at its next step and
// rolls back what it had not committed. It returns the job as it now stands, or a
// *model.ConflictError when the job has already ended.
func (s *Store) CancelJob(ctx context.Context, sc authz.Scope, id int64) (*model.Job, error) {
	if _, err := s.Job(ctx, sc, id); err != nil {
		return nil, err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		ts := now()
		res, err := tx.exec(ctx, `UPDATE jobs SET status = 'cancelled', cancel_requested = ?, error = ?, finished_at = ? WHERE id = ? AND status = 'queued'`,
			true, "任务已被取消，未执行", ts, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			res, err = tx.exec(ctx, `UPDATE jobs SET cancel_requested = ? WHERE id = ? AND status = 'running'`, true, id)
			if err != nil {
				return err
			}
			if n, err = res.RowsAffected(); err != nil {
				return err
			}
			if n == 0 {
				return &model.ConflictError{Message: "任务已经结束，不能取消"}
			}
		} else if _, err := tx.exec(ctx, `DELETE FROM job_files WHERE job_id = ? AND purpose = 'input'`, id); err != nil {
			return err
		}
		tx.auditAt(sc, sc.Path, "job.cancel", "job", []int64{id}, "")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Job(ctx, sc, id)
}

// JobOutcome is how a job ended.
type JobOutcome struct {
	Status     model.JobStatus // succeeded, failed or cancelled
	Result     any             // marshalled to JSON; nil for {}
	Error      string          // why it failed or was cancelled, client-safe Chinese
	RowErrors  []model.JobRowError
	ErrorCount int
	Output     *FileInput // the file to offer for download, nil for none
}

// FinishJob records how job id ended, in its own transaction (see Tx.FinishJob).
func (s *Store) FinishJob(ctx context.Context, id int64, o JobOutcome) error {
	return s.Tx(ctx, func(tx *Tx) error { return tx.FinishJob(ctx, id, o) })
}

// FinishJob records how job id ended, inside tx: a job that writes data finishes in the
// transaction that writes it, so the data and "succeeded" commit together or not at all. The
// input file is removed. It returns model.ErrConflict when the job is not running any more
// (another instance declared it failed after losing its heartbeat): the caller rolls back.
func (tx *Tx) FinishJob(ctx context.Context, id int64, o JobOutcome) error {
	if !o.Status.Final() {
		return fmt.Errorf("finish job %d: %q is not a final status", id, o.Status)
	}
	result := []byte("{}")
	if o.Result != nil {
		var err error
		if result, err = json.Marshal(o.Result); err != nil {
			return err
		}
	}
	rowErrors := o.RowErrors
	if len(rowErrors) > model.MaxJobRowErrors {
		rowErrors = rowErrors[:model.MaxJobRowErrors]
	}
	if rowErrors == nil {
		rowErrors = []model.JobRowError{}
	}
	re, err := json.Marshal(rowErrors)
	if err != nil {
		return err
	}
	count := max(o.ErrorCount, len(o.RowErrors))
	res, err := tx.exec(ctx, `UPDATE jobs SET status = ?, result = ?, error = ?, row_errors = ?, error_count = ?, finished_at = ?
		WHERE id = ? AND status = 'running'`, string(o.Status), string(result), o.Error, string(re), count, now(), id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(model.ErrConflict, err)
	}
	if _, err := tx.exec(ctx, `DELETE FROM job_files WHERE job_id = ? AND purpose = 'input'`, id); err != nil {
		return err
	}
	if o.Output != nil {
		if _, err := tx.putJobFile(ctx, id, "output", o.Output); err != nil {
			return err
		}
	}
	return nil
}

// putJobFile stores f for job id in sealed chunks and returns its id.
func (tx *Tx) putJobFile(ctx context.Context, jobID int64, purpose string, f *FileInput) (int64, error) {
	var id int64
	if err := tx.queryRow(ctx, `INSERT INTO job_files (job_id, purpose, name, content_type, size, created_at) VALUES (?, ?, ?, ?, 0, ?) RETURNING id`,
		[]any{jobID, purpose, f.Name, f.ContentType, now()}, &id); err != nil {
		return 0, err
	}
	buf := make([]byte, jobChunk)
	var size int64
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(f.Body, buf)
		if n > 0 {
			sealed, serr := tx.keys.Seal(ColumnJobFile, string(buf[:n]))
			if serr != nil {
				return 0, serr
			}
			if _, err := tx.exec(ctx, `INSERT INTO job_file_chunks (file_id, seq, data) VALUES (?, ?, ?)`, id, seq, sealed); err != nil {
				return 0, err
			}
			size += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	_, err := tx.exec(ctx, `UPDATE job_files SET size = ? WHERE id = ?`, size, id)
	return id, err
}

// copyJobFile writes the opened chunks of file id to w, one chunk in memory at a time.
func (s *Store) copyJobFile(ctx context.Context, id int64, w io.Writer) error {
	for seq := 0; ; seq++ {
		var sealed string
		err := s.reader().queryRow(ctx, `SELECT data FROM job_file_chunks WHERE file_id = ? AND seq = ?`, []any{id, seq}, &sealed)
		if errors.Is(err, model.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		b, err := s.keys.Open(ColumnJobFile, sealed)
		if err != nil {
			return fmt.Errorf("job file %d chunk %d: %w", id, seq, err)
		}
		if _, err := io.WriteString(w, b); err != nil {
			return err
		}
	}
}

// CopyJobInput writes the input file of job id to w and returns its description, for the
// worker that runs the job (no scope check); model.ErrNotFound when it has none.
func (s *Store) CopyJobInput(ctx context.Context, id int64, w io.Writer) (*model.JobFile, error) {
	var f model.JobFile
	if err := s.reader().queryRow(ctx, `SELECT id, name, content_type, size FROM job_files WHERE job_id = ? AND purpose = 'input'`,
		[]any{id}, &f.ID, &f.Name, &f.ContentType, &f.Size); err != nil {
		return nil, err
	}
	return &f, s.copyJobFile(ctx, f.ID, w)
}

// WriteJobOutput writes the output file of job id (the rejects, the workbook) to w for sc, who
// must see the job (see Job): model.ErrNotFound otherwise or when it has no file. The download
// is audited first; start, when not nil, is called with the file's description before the
// first byte, so that the caller can set its headers.
func (s *Store) WriteJobOutput(ctx context.Context, sc authz.Scope, id int64, w io.Writer, start func(*model.JobFile)) error {
	j, err := s.Job(ctx, sc, id)
	if err != nil {
		return err
	}
	if j.Output == nil {
		return model.ErrNotFound
	}
	if err := s.Tx(ctx, func(tx *Tx) error {
		tx.auditAt(sc, j.ScopePath, "job.download", "job", []int64{id}, fmt.Sprintf("kind=%s bytes=%d", j.Kind, j.Output.Size))
		return nil
	}); err != nil {
		return err
	}
	if start != nil {
		start(j.Output)
	}
	return s.copyJobFile(ctx, j.Output.ID, w)
}

// PurgeJobFiles deletes the output files of jobs that finished before cutoff and returns how
// many; the jobs themselves stay, with their counts and errors.
func (s *Store) PurgeJobFiles(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.writer().exec(ctx, `DELETE FROM job_files WHERE job_id IN (SELECT id FROM jobs WHERE finished_at < ?)`, before.UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// addJobKeyUsage counts the job file chunks sealed under each key, so that a key is not
// retired while a stored upload or rejects file still needs it.
func (s *Store) addJobKeyUsage(ctx context.Context, out map[string]int64) error {
	expr := `substr(data, 1, instr(data, ':') - 1)`
	if s.d.name == "postgres" {
		expr = `split_part(data, ':', 1)`
	}
	rows, err := s.reader().query(ctx, `SELECT `+expr+`, COUNT(*) FROM job_file_chunks GROUP BY 1`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var kid string
		var n int64
		if err := rows.Scan(&kid, &n); err != nil {
			return err
		}
		out[kid] += n
	}
	return s.d.mapErr(rows.Err())
}

// Tx returns the transaction a Bulk writes in, for callers that record their own outcome in
// it (a job's FinishJob commits with the rows it imported). It first waits until the rows added
// so far are written (a write error is the Bulk's, returned when it ends).
func (b *Bulk) Tx() *Tx {
	_ = b.Flush()
	return b.tx
}
