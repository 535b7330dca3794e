package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The duty month (issue 9 item 3): a periodic River job that keeps every unit's rotation
// generated 12 months ahead and, once a month begins, reminds each unit's duty household and
// leader (in-app notifications). River's leader inserts it every DutyEvery and once at start,
// so it runs within the hour a month begins, on one instance at a time; both steps are
// idempotent (units already generated through the horizon are skipped; a reminder carries a key
// per unit, month and account), so a second instance or a rerun changes nothing.

// dutyMonthArgs is the periodic job's River arguments (no payload: it reads the clock).
type dutyMonthArgs struct{}

func (dutyMonthArgs) Kind() string { return "gongzhi.duty_month" }

type dutyMonthWorker struct {
	river.WorkerDefaults[dutyMonthArgs]
	q *Queue
}

func (w *dutyMonthWorker) Work(ctx context.Context, _ *river.Job[dutyMonthArgs]) error {
	return w.q.DutyMonth(ctx)
}

// DutyMonth extends the rotations and sends the current month's reminders now.
func (q *Queue) DutyMonth(ctx context.Context) error {
	st, err := q.st.ExtendRotations(ctx, authz.System(), 0)
	if err != nil {
		q.log.Error("extend duty rotations", "err", err)
		return err
	}
	m := model.ThisMonth(q.st.Now())
	n, err := q.st.SendDutyReminders(ctx, m)
	if err != nil {
		q.log.Error("duty reminders", "err", err)
		return err
	}
	if st.Months > 0 || n > 0 {
		q.log.Info("duty month", "month", m.String(), "units_extended", st.Units, "months", st.Months, "reminders", n)
	}
	return nil
}

// dutyMonthJobs registers the worker and returns the periodic job (none when every < 0).
func dutyMonthJobs(workers *river.Workers, q *Queue, every time.Duration) []*river.PeriodicJob {
	river.AddWorker(workers, &dutyMonthWorker{q: q})
	if every < 0 {
		return nil
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return dutyMonthArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
}
