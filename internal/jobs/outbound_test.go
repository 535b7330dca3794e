package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/jobs"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// recordingChannel fails its first Send, then records every message.
type recordingChannel struct {
	mu    sync.Mutex
	tries int
	got   chan *model.OutboundMessage
}

func (*recordingChannel) Name() string { return "test" }

func (c *recordingChannel) Send(_ context.Context, m *model.OutboundMessage) error {
	c.mu.Lock()
	c.tries++
	first := c.tries == 1
	c.mu.Unlock()
	if first {
		return errors.New("provider unavailable")
	}
	c.got <- m
	return nil
}

// TestOutbound: a committed notification is delivered through the outbound channel, after a
// failed first try (River retries); one whose transaction rolled back never is.
func TestOutbound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ch := &recordingChannel{got: make(chan *model.OutboundMessage, 4)}
		mustQueue(t, st, jobs.Options{Outbound: ch, DutyEvery: -1})
		user := storetest.Exec(t, st, `INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES ('u', 'u', 'system_admin', 'x', ?) RETURNING id`, time.Now().UTC())
		errRollback := errors.New("roll back")
		for _, n := range []struct {
			title string
			err   error
		}{{"撤回", errRollback}, {"已发送", nil}} {
			err := st.Tx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Notify(ctx, model.NotificationInput{UserID: user, Kind: "test", Title: n.title, Body: "正文", Link: "/messages"}); err != nil {
					return err
				}
				return n.err
			})
			if !errors.Is(err, n.err) {
				t.Fatal(err)
			}
		}
		var m *model.OutboundMessage
		select {
		case m = <-ch.got:
		case <-time.After(time.Until(deadline(t))):
			t.Fatal("nothing delivered")
		}
		if m.UserID != user || m.Title != "已发送" || m.Body != "正文" || m.Link != "/messages" || m.Kind != "test" || m.NotificationID == 0 {
			t.Errorf("delivered %+v", m)
		}
		select {
		case m := <-ch.got:
			t.Errorf("delivered again or the rolled back one: %+v", m)
		case <-time.After(200 * time.Millisecond): // a little while for a stray delivery to show
		}
	})
}

// deadline is the test's deadline less a margin, or a minute from now.
func deadline(t *testing.T) time.Time {
	if d, ok := t.Deadline(); ok {
		return d.Add(-5 * time.Second)
	}
	return time.Now().Add(time.Minute)
}
