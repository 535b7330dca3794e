package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"

	"github.com/riverqueue/river"

	"gongzhi/internal/model"
)

// Outbound delivery (issue 10): a notification sent in the app (消息) is also delivered
// through an outbound Channel (SMS, a WeChat template message) when one is configured
// (--outbound, GONGZHI_OUTBOUND). The transaction that sends the notification also inserts a
// River job for its delivery (store.SetOutbox): the job exists if and only if the notification
// was committed, survives restarts, runs once on whichever instance takes it, and is retried
// with River's backoff when the channel fails (outboundAttempts in all). A channel therefore
// sees a message at least once: a crash after Send and before River records the success sends
// it again, so a real provider passes NotificationID as its idempotency key where it has one.
// See docs/notifications.md for where a real provider goes.

// Channel delivers messages outside the app. Send returns nil once the provider accepted the
// message; an error makes the job retry later (return river.JobCancel(err) for a message that
// will never go, e.g. the recipient has no phone). Implementations must be safe for
// concurrent use.
type Channel interface {
	Name() string
	Send(ctx context.Context, m *model.OutboundMessage) error
}

// LogChannel is the channel of development and of deployments without a provider: it writes
// each message to the log (account, kind, title, link; the body is left out: it may name a
// household) and never fails.
type LogChannel struct{ Log *slog.Logger }

// Name is "log".
func (LogChannel) Name() string { return "log" }

// Send logs m.
func (c LogChannel) Send(ctx context.Context, m *model.OutboundMessage) error {
	c.Log.InfoContext(ctx, "outbound message", "channel", "log", "notification", m.NotificationID, "user", m.UserID,
		"kind", m.Kind, "title", m.Title, "link", m.Link)
	return nil
}

// outboundAttempts is how often a delivery is tried before it is given up (River's backoff
// between tries: about 1 s, 16 s, 81 s, 4 min).
const outboundAttempts = 5

// outboundArgs is a delivery job's River arguments: the notification to deliver.
type outboundArgs struct {
	NotificationID int64 `json:"notification_id"`
}

func (outboundArgs) Kind() string { return "gongzhi.outbound" }

type outboundWorker struct {
	river.WorkerDefaults[outboundArgs]
	q  *Queue
	ch Channel
}

func (w *outboundWorker) Work(ctx context.Context, j *river.Job[outboundArgs]) error {
	m, err := w.q.st.OutboundMessage(ctx, j.Args.NotificationID)
	if errors.Is(err, model.ErrNotFound) {
		return river.JobCancel(err) // gone: nothing to deliver, ever
	}
	if err != nil {
		return err
	}
	if err := w.ch.Send(ctx, m); err != nil {
		w.q.log.WarnContext(ctx, "outbound delivery failed", "channel", w.ch.Name(), "notification", m.NotificationID,
			"attempt", j.Attempt, "of", outboundAttempts, "err", err)
		return err
	}
	return nil
}

// outboundJobs registers the delivery worker when ch is set.
func outboundJobs(workers *river.Workers, q *Queue, ch Channel) {
	if ch == nil {
		return
	}
	river.AddWorker(workers, &outboundWorker{q: q, ch: ch})
}

// enqueueOutbound is the store's outbox (store.SetOutbox): one delivery job per notification,
// inserted in the notifications' own transaction.
func (q *Queue) enqueueOutbound(ctx context.Context, tx *sql.Tx, ids []int64) error {
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: outboundArgs{NotificationID: id}, InsertOpts: &river.InsertOpts{MaxAttempts: outboundAttempts}}
	}
	_, err := q.client.InsertManyTx(ctx, tx, params)
	return err
}
