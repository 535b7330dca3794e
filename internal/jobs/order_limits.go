package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// The orders' time limits (issue 10 item 1): a periodic River job that escalates the orders not
// taken in time and reminds, then escalates, those not done in time
// (store.SweepOrderLimits). River's leader inserts it every OrderLimitsEvery, on one instance
// at a time; each order's step is a conditional transition, so a second instance or a person
// acting on the order meanwhile changes nothing twice.

type orderLimitsArgs struct{}

func (orderLimitsArgs) Kind() string { return "gongzhi.order_limits" }

type orderLimitsWorker struct {
	river.WorkerDefaults[orderLimitsArgs]
	q *Queue
}

func (w *orderLimitsWorker) Work(ctx context.Context, _ *river.Job[orderLimitsArgs]) error {
	return w.q.OrderLimits(ctx)
}

// OrderLimits applies the orders' time limits now.
func (q *Queue) OrderLimits(ctx context.Context) error {
	n, err := q.st.SweepOrderLimits(ctx)
	if err != nil {
		q.log.Error("order limits", "err", err)
		return err
	}
	if n.Escalated > 0 || n.Reminded > 0 {
		q.log.Info("order limits", "escalated", n.Escalated, "reminded", n.Reminded)
	}
	return nil
}

// orderLimitsJobs registers the worker and returns the periodic job (none when every < 0).
func orderLimitsJobs(workers *river.Workers, q *Queue, every time.Duration) []*river.PeriodicJob {
	river.AddWorker(workers, &orderLimitsWorker{q: q})
	if every < 0 {
		return nil
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return orderLimitsArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
}
