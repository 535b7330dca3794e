package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"

	"gongzhi/internal/authz"
	"gongzhi/internal/importer"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Kind is one sort of job.
type Kind struct {
	// Name is the job's kind as stored and shown in the API ("household.import").
	Name string
	// Run does the work of r.Job as r.Scope, reporting progress with r.Progress and stopping
	// when ctx ends. It returns how the job ended; a kind that writes data instead finishes
	// the job inside its own write transaction with r.Finish, so both commit together, and
	// returns the zero outcome. An error ends the job failed (a *importer.FileError with its
	// message; ctx's error as cancelled or interrupted; anything else as an internal error,
	// logged).
	Run func(ctx context.Context, r *Run) (store.JobOutcome, error)
}

// kinds are the built-in kinds; a new kind adds its line here.
func kinds() []Kind {
	return []Kind{householdImport, householdExport, divisionImport, memberImport, unitFormation}
}

// Run is a job as its kind's Run sees it.
type Run struct {
	Job   *model.Job
	Scope authz.Scope // the starter's: every store call of the job goes through it
	Store *store.Store
	// Input is the path of the job's input file, copied out of the database for the run; ""
	// when it has none. Dir is a private temporary directory for files the job writes; both
	// are removed after the run.
	Input, Dir string

	q        *Queue
	finished atomic.Bool
}

// Progress records that done of total units of stage are done (total 0: not known yet).
// It is cheap: the figures are written to the database once a tick.
func (r *Run) Progress(stage string, done, total int) {
	r.q.mu.Lock()
	defer r.q.mu.Unlock()
	if x := r.q.running[r.Job.ID]; x != nil {
		x.stage, x.done, x.total, x.dirty = stage, int64(done), int64(total), true
	}
}

// Finish records the job's outcome inside tx, the transaction of its writes. When that
// transaction commits and Run returns nil, the job is done; when it rolls back, Run's error
// is recorded instead.
func (r *Run) Finish(ctx context.Context, tx *store.Tx, o store.JobOutcome) error {
	if err := tx.FinishJob(ctx, r.Job.ID, o); err != nil {
		return err
	}
	r.finished.Store(true)
	return nil
}

// Client-safe reasons a job ended without its kind's own words.
const (
	reasonCancelled   = "任务已被取消，未写入任何数据。"
	reasonInterrupted = "服务停止，任务已中止，未写入任何数据，请重新提交。"
	reasonInternal    = "任务执行时出现内部错误，未写入任何数据，请稍后重试或联系管理员。"
	reasonUnknownKind = "此版本的服务不认识这种任务，无法执行。"
)

// run executes job id in this instance, as River's worker: it takes the job (the database
// decides, so a job runs once), runs its kind, and records the outcome.
func (q *Queue) run(ctx context.Context, id int64) {
	j, err := q.st.StartJob(ctx, id, q.id)
	if errors.Is(err, model.ErrConflict) || errors.Is(err, model.ErrNotFound) {
		return // cancelled before it started, or already handled
	}
	if err != nil {
		q.log.Error("start job", "job", id, "err", err)
		return
	}
	jctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var r *Run
	defer func() {
		if r != nil && r.Dir != "" {
			os.RemoveAll(r.Dir)
		}
	}()
	q.mu.Lock()
	q.running[id] = &running{cancel: cancel}
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		delete(q.running, id)
		q.mu.Unlock()
	}()
	if j.CancelRequested {
		cancel(errCancelled)
	}

	r = &Run{Job: j, Store: q.st, q: q, Scope: authz.Scope{UserID: j.UserID, Role: j.Role, Path: j.ScopePath, All: j.ScopeAll}}
	o, err := q.execute(jctx, r)
	defer closeOutput(o)
	if err == nil && r.finished.Load() {
		q.log.Info("job finished", "job", id, "kind", j.Kind)
		return
	}
	if err != nil {
		o = q.failure(jctx, j, err)
	}
	// The outcome is written even when the job's context ended: it is the last word.
	if err := q.st.FinishJob(context.WithoutCancel(ctx), id, o); err != nil {
		q.log.Error("finish job", "job", id, "err", err)
		if errors.Is(err, model.ErrConflict) {
			return // no longer running: another instance declared it failed
		}
		// Say at least that it failed, rather than leave it running.
		if err := q.st.FinishJob(context.WithoutCancel(ctx), id, store.JobOutcome{Status: model.JobFailed, Error: reasonInternal}); err != nil {
			q.log.Error("finish job", "job", id, "err", err)
		}
		return
	}
	q.log.Info("job finished", "job", id, "kind", j.Kind, "status", o.Status)
}

// execute runs r's kind with its input copied to a private temporary directory. A panic in
// the kind is an error like any other: the job ends failed instead of "running" forever.
func (q *Queue) execute(ctx context.Context, r *Run) (o store.JobOutcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	k, ok := q.kinds[r.Job.Kind]
	if !ok {
		return store.JobOutcome{Status: model.JobFailed, Error: reasonUnknownKind}, nil
	}
	dir, err := os.MkdirTemp("", "gongzhi-job-")
	if err != nil {
		return store.JobOutcome{}, err
	}
	r.Dir = dir
	if err := q.copyInput(ctx, r); err != nil {
		return store.JobOutcome{}, err
	}
	return k.Run(ctx, r)
}

// copyInput writes the job's input file, if any, into r.Dir under its own (sanitized) name.
func (q *Queue) copyInput(ctx context.Context, r *Run) error {
	in, err := os.CreateTemp(r.Dir, "input-")
	if err != nil {
		return err
	}
	f, err := q.st.CopyJobInput(ctx, r.Job.ID, in)
	if cerr := in.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, model.ErrNotFound) {
		return os.Remove(in.Name())
	}
	if err != nil {
		return err
	}
	// The importer tells CSV from XLSX by the extension the person's file had.
	r.Input = filepath.Join(r.Dir, "upload"+strings.ToLower(filepath.Ext(filepath.Base(f.Name))))
	return os.Rename(in.Name(), r.Input)
}

// failure is the outcome of a job whose kind returned err.
func (q *Queue) failure(ctx context.Context, j *model.Job, err error) store.JobOutcome {
	var fe *importer.FileError
	switch {
	case errors.As(err, &fe):
		return store.JobOutcome{Status: model.JobFailed, Error: fe.Message}
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), errCancelled):
		return store.JobOutcome{Status: model.JobCancelled, Error: reasonCancelled}
	case ctx.Err() != nil:
		return store.JobOutcome{Status: model.JobFailed, Error: reasonInterrupted}
	}
	var ce *model.ConflictError
	if errors.As(err, &ce) {
		return store.JobOutcome{Status: model.JobFailed, Error: ce.Message}
	}
	q.log.Error("job failed", "job", j.ID, "kind", j.Kind, "err", err)
	return store.JobOutcome{Status: model.JobFailed, Error: reasonInternal}
}
