// Package jobs runs long work in the background: household imports and exports, the divisions
// import, and what later features add. A job is a row of the store's jobs table (kind, status,
// progress, the account that started it and its scope, result or errors, an output file), so any
// instance shows it and a restart does not lose it; River (github.com/riverqueue/river) is the
// queue that hands job ids to workers on SQLite and on PostgreSQL.
//
// A kind is one small file: a Kind value (name, and Run, which does the work as the starter's
// scope and reports progress) and a line in kinds(), plus a Submit function that checks the
// input before anything is queued. Run's writes are one transaction that also finishes the job
// (Run.Finish), so a job that is cancelled, fails, or whose instance dies leaves nothing
// half-written. A job whose instance stopped sending heartbeats is marked failed by the next
// instance that looks (FailStaleJobs), with a reason saying so; it is never left "running".
package jobs

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Options tune a Queue; the zero value is production's.
type Options struct {
	// Workers is how many jobs this instance runs at once (default 2: the machine has few cores,
	// and on SQLite writers queue behind one connection anyway).
	Workers int
	// Poll is how often an idle worker asks for new jobs (default 1 s).
	Poll time.Duration
	// Tick is how often progress is written and heartbeats are sent (default 1 s and 10 s:
	// progress every tick, a heartbeat every tenth).
	Tick time.Duration
	// StaleAfter is how long a running job may go without a heartbeat before another instance
	// declares its worker gone and marks it failed (default 1 min).
	StaleAfter time.Duration
	// Retention is how long output files (rejects, workbooks) are kept (default 7 days).
	Retention time.Duration
	// Kinds are added to the built-in kinds (tests add kinds that wait on a signal).
	Kinds []Kind
	// DutyEvery is how often the duty month runs (duty_month.go; default 1 h, and once at
	// start); negative: never.
	DutyEvery time.Duration
	// Outbound, when set, delivers every notification also through this channel
	// (outbound.go): a delivery job is queued in the notification's transaction.
	Outbound Channel
	// OrderLimitsEvery is how often the orders' time limits are applied (order_limits.go;
	// default 5 min, and once at start); negative: never.
	OrderLimitsEvery time.Duration
}

func (o Options) withDefaults() Options {
	o.Workers = cmp.Or(o.Workers, 2)
	o.Poll = cmp.Or(o.Poll, time.Second)
	o.Tick = cmp.Or(o.Tick, time.Second)
	o.StaleAfter = cmp.Or(o.StaleAfter, time.Minute)
	o.Retention = cmp.Or(o.Retention, 7*24*time.Hour)
	o.DutyEvery = cmp.Or(o.DutyEvery, time.Hour)
	o.OrderLimitsEvery = cmp.Or(o.OrderLimitsEvery, 5*time.Minute)
	return o
}

// Queue submits jobs and, once started, runs them. It is safe for concurrent use; an
// unstarted Queue still submits, reads and cancels (another instance runs the jobs).
type Queue struct {
	st     *store.Store
	log    *slog.Logger
	opts   Options
	kinds  map[string]Kind
	client *river.Client[*sql.Tx]
	id     string // this instance's worker id, recorded on the jobs it runs

	mu      sync.Mutex
	running map[int64]*running // jobs this instance runs now
	stop    context.CancelFunc
	done    chan struct{}
}

// running is a job in this instance: its live progress and how to stop it.
type running struct {
	stage       string
	done, total int64
	dirty       bool // progress not yet written
	cancel      context.CancelCauseFunc
	stopping    bool // a cancel request has stopped it already
}

// errCancelled is the cause of a job's context when someone asked for it to stop.
var errCancelled = errors.New("job cancelled on request")

// riverArgs is what River carries for every job: our job's id. One River kind for all of
// ours: the jobs row says what to do.
type riverArgs struct {
	JobID int64 `json:"job_id"`
}

func (riverArgs) Kind() string { return "gongzhi.job" }

type riverWorker struct {
	river.WorkerDefaults[riverArgs]
	q *Queue
}

func (w *riverWorker) Work(ctx context.Context, j *river.Job[riverArgs]) error {
	w.q.run(ctx, j.Args.JobID)
	return nil // the outcome is in the jobs row; River never retries
}

// New returns a queue over st. It touches no database until used.
func New(st *store.Store, log *slog.Logger, opts Options) (*Queue, error) {
	opts = opts.withDefaults()
	q := &Queue{st: st, log: log, opts: opts, kinds: map[string]Kind{}, running: map[int64]*running{}, id: workerID()}
	for _, k := range append(kinds(), opts.Kinds...) {
		q.kinds[k.Name] = k
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &riverWorker{q: q})
	periodic := append(dutyMonthJobs(workers, q, opts.DutyEvery), orderLimitsJobs(workers, q, opts.OrderLimitsEvery)...)
	outboundJobs(workers, q, opts.Outbound)
	c, err := river.NewClient(st.QueueDriver(), &river.Config{
		Logger:            log.With("component", "river"),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}},
		Workers:           workers,
		PeriodicJobs:      periodic,
		PollOnly:          true,
		FetchPollInterval: opts.Poll,
		FetchCooldown:     min(opts.Poll, 100*time.Millisecond),
		JobTimeout:        -1, // imports of a million rows take minutes; cancellation is ours
		MaxAttempts:       1,  // a job that failed says why; it is submitted again by a person
		ID:                q.id,
	})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	q.client = c
	if opts.Outbound != nil {
		st.SetOutbox(q.enqueueOutbound)
	}
	return q, nil
}

// workerID names this instance on the jobs it runs: host, process and a random part.
func workerID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s_%d_%s", cmp.Or(host, "gongzhi"), os.Getpid(), hex.EncodeToString(b))
}

// Kind reports whether name is a kind this queue runs.
func (q *Queue) Kind(name string) bool { _, ok := q.kinds[name]; return ok }

// Submit records a job of kind started by sc, with params (marshalled to JSON) and an input
// file, and queues it, in one transaction. Kinds' Submit functions check their input first.
func (q *Queue) Submit(ctx context.Context, sc authz.Scope, kind string, params any, input *store.FileInput) (*model.Job, error) {
	if _, ok := q.kinds[kind]; !ok {
		return nil, fmt.Errorf("job queue: unknown kind %q", kind)
	}
	p, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	return q.st.CreateJob(ctx, sc, store.JobInput{Kind: kind, Params: p, Input: input}, func(ctx context.Context, tx *sql.Tx, id int64) error {
		_, err := q.client.InsertTx(ctx, tx, riverArgs{JobID: id}, nil)
		return err
	})
}

// Start fails the jobs other instances left running without a heartbeat, then runs jobs until
// Stop. Call it once.
func (q *Queue) Start(ctx context.Context) error {
	q.reap(ctx)
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	q.mu.Lock()
	q.stop, q.done = stop, make(chan struct{})
	q.mu.Unlock()
	go q.loop(lctx)
	return nil
}

// Stop lets running jobs finish for up to grace, then cancels them (they roll back and are
// marked failed: the instance stopped) and waits for the workers to end.
func (q *Queue) Stop(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	err := q.client.Stop(ctx)
	cancel()
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = q.client.StopAndCancel(ctx)
		cancel()
	}
	q.mu.Lock()
	stop, done := q.stop, q.done
	q.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	return err
}

// loop writes progress every tick and, every tenth, sends heartbeats for the jobs running here,
// stops those whose cancellation was asked for on another instance, fails the jobs of workers
// gone silent, and deletes expired output files.
func (q *Queue) loop(ctx context.Context) {
	defer close(q.done)
	t := time.NewTicker(q.opts.Tick)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		q.flushProgress(ctx)
		if n%10 == 0 {
			q.heartbeat(ctx)
			q.reap(ctx)
		}
		if n%3600 == 0 {
			if _, err := q.st.PurgeJobFiles(ctx, time.Now().Add(-q.opts.Retention)); err != nil && ctx.Err() == nil {
				q.log.Error("purge job files", "err", err)
			}
			// Live updates (store/event.go) are kept for a page to catch up after a while away.
			if _, err := q.st.PruneEvents(ctx, time.Now().Add(-store.EventRetention)); err != nil && ctx.Err() == nil {
				q.log.Error("prune events", "err", err)
			}
		}
	}
}

// flushProgress writes the progress of the jobs running here that moved since the last tick.
// On SQLite it waits while a job's write transaction holds the one write connection; pages on
// this instance read the live figures meanwhile (Job).
func (q *Queue) flushProgress(ctx context.Context) {
	type p struct {
		id          int64
		stage       string
		done, total int64
	}
	var ps []p
	q.mu.Lock()
	for id, r := range q.running {
		if r.dirty {
			ps = append(ps, p{id, r.stage, r.done, r.total})
			r.dirty = false
		}
	}
	q.mu.Unlock()
	for _, x := range ps {
		if err := q.st.JobProgress(ctx, x.id, x.stage, x.done, x.total); err != nil && ctx.Err() == nil {
			q.log.Warn("job progress", "job", x.id, "err", err)
		}
	}
}

func (q *Queue) heartbeat(ctx context.Context) {
	q.mu.Lock()
	ids := make([]int64, 0, len(q.running))
	for id := range q.running {
		ids = append(ids, id)
	}
	q.mu.Unlock()
	cancel, err := q.st.Heartbeat(ctx, q.id, ids)
	if err != nil {
		if ctx.Err() == nil {
			q.log.Warn("job heartbeat", "err", err)
		}
		return
	}
	for _, id := range cancel {
		q.cancelLocal(id)
	}
}

// reasonStale is what a person reads on a job whose instance stopped in the middle.
const reasonStale = "任务执行中断：处理它的服务已停止（重启或故障）。任务的写入是一个事务，中断时未写入任何数据，请重新提交。"

func (q *Queue) reap(ctx context.Context) {
	ids, err := q.st.FailStaleJobs(ctx, q.id, time.Now().Add(-q.opts.StaleAfter), reasonStale)
	if err != nil {
		if ctx.Err() == nil {
			q.log.Error("fail stale jobs", "err", err)
		}
		return
	}
	if len(ids) > 0 {
		q.log.Warn("marked jobs of a stopped instance failed", "jobs", ids)
	}
}

// cancelLocal stops job id if it runs here and no request stopped it before; it reports
// whether it did.
func (q *Queue) cancelLocal(id int64) bool {
	q.mu.Lock()
	r := q.running[id]
	first := r != nil && !r.stopping
	if first {
		r.stopping = true
	}
	q.mu.Unlock()
	if !first {
		// None here, or stopped by an earlier request: a second cancel of a job that ended
		// cancelled is a conflict like any cancel of an ended job, even while its worker has
		// not yet returned (TestJobCancel failed so under load).
		return false
	}
	r.cancel(errCancelled)
	return true
}

// Job returns job id as sc sees it (store.Job), with the live progress when it runs here.
func (q *Queue) Job(ctx context.Context, sc authz.Scope, id int64) (*model.Job, error) {
	j, err := q.st.Job(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	q.overlay(j)
	return j, nil
}

// Jobs lists the jobs sc sees (store.Jobs), with live progress for those running here.
func (q *Queue) Jobs(ctx context.Context, sc authz.Scope, f store.JobFilter) (store.Page[*model.Job], error) {
	p, err := q.st.Jobs(ctx, sc, f)
	for _, j := range p.Items {
		q.overlay(j)
	}
	return p, err
}

func (q *Queue) overlay(j *model.Job) {
	if j.Status != model.JobRunning {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if r := q.running[j.ID]; r != nil && r.stage != "" {
		j.Stage, j.Done, j.Total = r.stage, r.done, r.total
	}
}

// Cancel stops job id for sc (who must see it). A job running here stops at once (its
// transaction rolls back) before the request is recorded: on SQLite the record waits for the
// write connection the job holds. Elsewhere the job's instance sees the request at its next
// heartbeat. It returns the job as it then stands; a *model.ConflictError when it had ended.
func (q *Queue) Cancel(ctx context.Context, sc authz.Scope, id int64) (*model.Job, error) {
	if _, err := q.st.Job(ctx, sc, id); err != nil {
		return nil, err
	}
	stopped := q.cancelLocal(id)
	j, err := q.st.CancelJob(ctx, sc, id)
	if stopped && errors.As(err, new(*model.ConflictError)) {
		// The run stopped here may have recorded its own end (cancelled) before the request
		// reached the row: the cancel worked, so answer with the job as it now stands. A run
		// that had already recorded another end (it finished just before the stop) is still
		// in the running set until its worker returns: then the conflict stands.
		j, jerr := q.st.Job(ctx, sc, id)
		if jerr != nil {
			return nil, jerr
		}
		if j.Status == model.JobCancelled {
			return j, nil
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	q.overlay(j)
	return j, nil
}
