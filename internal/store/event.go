package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Live updates (issue 10). A transaction publishes events (Tx.Publish): one row per recipient
// account in the events table, the outbox. Whoever follows an account (FollowEvents, behind
// GET /api/v1/events) reads its rows after the last id it saw; the table is the truth, and a
// wake-up only says "look again":
//   - on SQLite, after the commit, the store's hub wakes the followers of the recipients in
//     this process (there is only one process on a SQLite file);
//   - on PostgreSQL the transaction also issues NOTIFY on eventChannel with the recipients' ids,
//     which PostgreSQL delivers to every listening session when (and only if) it commits; each
//     instance keeps one LISTEN connection (listenEvents) that wakes its own hub. The local hub
//     is also woken right after the commit, so followers on the publishing instance do not wait
//     for the round trip.
// A wake-up lost (the LISTEN connection dropped) delays an event, never loses it: the
// listener wakes everyone when it is back, and followers look again at every heartbeat.

// eventChannel is the PostgreSQL notification channel of events; its payload is the recipients'
// account ids, comma-separated.
const eventChannel = "gongzhi_events"

// maxNotifyPayload keeps NOTIFY payloads under PostgreSQL's limit (8000 bytes).
const maxNotifyPayload = 7000

// EventRetention is how long events are kept (PruneEvents): a page away longer than this
// reloads instead of catching up.
const EventRetention = 7 * 24 * time.Hour

// eventLateWindow is how long a follower keeps looking below the last id it sent. On
// PostgreSQL ids come from a sequence when a row is inserted, not when its transaction
// commits: a transaction that took id 9 may commit after another that took id 10, and a
// follower that already sent 10 would skip 9 if it only asked for ids above 10. Events
// committed later than this after an event with a higher id are not sent live (a reload
// shows their effect).
const eventLateWindow = time.Minute

// eventRow is one recipient's row of a published event.
type eventRow struct {
	user    int64
	kind    string
	subject string
	data    string
}

// Publish writes e for each of its accounts inside tx; once tx commits, their followers on
// every instance are woken. Nothing is sent if tx rolls back. An error when Kind is empty or
// Data does not marshal to a JSON object.
func (tx *Tx) Publish(ctx context.Context, e model.EventInput) error {
	if e.Kind == "" {
		return errors.New("publish: an event needs a kind")
	}
	data := []byte("{}")
	if e.Data != nil {
		b, err := json.Marshal(e.Data)
		if err != nil {
			return err
		}
		if len(b) == 0 || b[0] != '{' {
			return errors.New("publish: an event's data is a JSON object")
		}
		data = b
	}
	users := slices.Clone(e.UserIDs)
	slices.Sort(users)
	users = slices.Compact(users)
	rows := make([]eventRow, 0, len(users))
	for _, u := range users {
		if u != 0 {
			rows = append(rows, eventRow{user: u, kind: e.Kind, subject: e.Subject, data: string(data)})
		}
	}
	tx.publishRows(rows)
	return nil
}

// publishRows queues rows for the end of the transaction (flushEvents) and remembers their
// recipients for the wake-up at commit.
func (tx *Tx) publishRows(rows []eventRow) {
	tx.events = append(tx.events, rows...)
	for _, r := range rows {
		tx.published = append(tx.published, r.user)
	}
}

// flushEvents inserts the events the transaction published, in the order published, a few
// hundred a statement: an order's transition publishes to its followers and notifies its
// household, two INSERTs on the one writer when each wrote its own.
func (tx *Tx) flushEvents(ctx context.Context) error {
	const batch = 200
	rows := tx.events
	tx.events = nil
	ts := now()
	for len(rows) > 0 {
		n := min(len(rows), batch)
		var q strings.Builder
		q.WriteString(`INSERT INTO events (user_id, kind, subject, data, created_at) VALUES `)
		args := make([]any, 0, n*5)
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, r.user, r.kind, r.subject, r.data, ts)
		}
		if _, err := tx.exec(ctx, q.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// publishedUsers returns the distinct recipients of what tx published, sorted.
func (tx *Tx) publishedUsers() []int64 {
	u := slices.Clone(tx.published)
	slices.Sort(u)
	return slices.Compact(u)
}

// notifyPublished issues, on PostgreSQL, the NOTIFY that wakes the other instances' followers
// of what tx published; PostgreSQL delivers it at commit, and drops it on rollback. Called
// last before the commit, once per transaction (several payloads when the ids are many).
func (tx *Tx) notifyPublished(ctx context.Context) error {
	if tx.d.name != "postgres" || len(tx.published) == 0 {
		return nil
	}
	for _, p := range notifyPayloads(tx.publishedUsers()) {
		if _, err := tx.exec(ctx, `SELECT pg_notify(?, ?)`, eventChannel, p); err != nil {
			return err
		}
	}
	return nil
}

// notifyPayloads packs ids into comma-separated payloads of at most maxNotifyPayload bytes.
func notifyPayloads(ids []int64) []string {
	var out []string
	var b strings.Builder
	for _, id := range ids {
		s := strconv.FormatInt(id, 10)
		if b.Len() > 0 && b.Len()+1+len(s) > maxNotifyPayload {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// parsePayload reads the ids of a NOTIFY payload; what is not an id is skipped.
func parsePayload(p string) []int64 {
	var ids []int64
	for f := range strings.SplitSeq(p, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// eventHub wakes this process's followers of accounts. It holds no events, only who listens.
type eventHub struct {
	mu   sync.Mutex
	subs map[int64]map[chan struct{}]struct{}

	// PostgreSQL: the LISTEN connection, started by the first follower (startListen).
	listenOnce sync.Once
	listening  chan struct{} // closed once LISTEN first succeeded
	stop       context.CancelFunc
	done       chan struct{}
}

func newEventHub() *eventHub {
	return &eventHub{subs: map[int64]map[chan struct{}]struct{}{}, listening: make(chan struct{})}
}

func (h *eventHub) add(user int64) chan struct{} {
	c := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[user] == nil {
		h.subs[user] = map[chan struct{}]struct{}{}
	}
	h.subs[user][c] = struct{}{}
	return c
}

func (h *eventHub) remove(user int64, c chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[user], c)
	if len(h.subs[user]) == 0 {
		delete(h.subs, user)
	}
}

// wake signals the followers of users; a follower already signalled stays signalled once.
func (h *eventHub) wake(users []int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, u := range users {
		for c := range h.subs[u] {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	}
}

// wakeAll signals every follower (after the LISTEN connection was down: they look again).
func (h *eventHub) wakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, cs := range h.subs {
		for c := range cs {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	}
}

// listenWait is how long a new follower waits for the instance's first LISTEN. Past it the
// follower goes on without: it then hears of other instances' events at its heartbeats only,
// until the listener connects (and wakes everyone).
const listenWait = 5 * time.Second

// startListen starts, once per Store on PostgreSQL, the connection that LISTENs on
// eventChannel, and waits until it listens (at most listenWait, or until ctx ends).
func (s *Store) startListen(ctx context.Context) error {
	if s.d.name != "postgres" {
		return nil
	}
	h := s.events
	h.listenOnce.Do(func() {
		lctx, stop := context.WithCancel(context.Background())
		h.stop, h.done = stop, make(chan struct{})
		go s.listenEvents(lctx)
	})
	t := time.NewTimer(listenWait)
	defer t.Stop()
	select {
	case <-h.listening:
		return nil
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// listenEvents keeps a LISTEN connection until ctx ends, reconnecting after a failure (waiting
// up to 5 s between tries) and waking every follower each time it listens again.
func (s *Store) listenEvents(ctx context.Context) {
	h := s.events
	defer close(h.done)
	first := true
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		c, err := pgx.Connect(ctx, s.dsn)
		if err == nil {
			_, err = c.Exec(ctx, `LISTEN `+eventChannel)
			if err == nil {
				backoff = 100 * time.Millisecond
				h.wakeAll()
				if first {
					close(h.listening)
					first = false
				}
				for {
					n, werr := c.WaitForNotification(ctx)
					if werr != nil {
						break
					}
					h.wake(parsePayload(n.Payload))
				}
			}
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = c.Close(cctx)
			cancel()
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// stopListen ends the LISTEN connection, if any (Close).
func (h *eventHub) stopListen() {
	if h.stop != nil {
		h.stop()
		<-h.done
	}
}

// EventFollower follows one account's events: Wake signals that there may be new ones, Next
// returns them. Not safe for concurrent use; Close it.
type EventFollower struct {
	s    *Store
	user int64
	wake chan struct{}
	// floor: every event of the account with an id up to it was sent or is given up; sent:
	// the ids above it sent within eventLateWindow, with when.
	floor int64
	sent  map[int64]time.Time
}

// FollowEvents starts following sc's own account. after is the last event id the caller saw
// (Last-Event-ID): Next first returns the account's events after it; after < 0 means "from
// now". On PostgreSQL it waits until this instance listens for other instances' events.
func (s *Store) FollowEvents(ctx context.Context, sc authz.Scope, after int64) (*EventFollower, error) {
	if sc.UserID == 0 {
		return nil, model.ErrUnauthenticated
	}
	f := &EventFollower{s: s, user: sc.UserID, sent: map[int64]time.Time{}}
	// Registered before the first read, so an event committed in between still wakes it.
	f.wake = s.events.add(sc.UserID)
	if err := s.startListen(ctx); err != nil {
		f.Close()
		return nil, err
	}
	if after < 0 {
		if err := s.reader().queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM events WHERE user_id = ?`, []any{sc.UserID}, &after); err != nil {
			f.Close()
			return nil, err
		}
	}
	f.floor = after
	return f, nil
}

// Wake is signalled when the account may have new events.
func (f *EventFollower) Wake() <-chan struct{} { return f.wake }

// Close stops following.
func (f *EventFollower) Close() { f.s.events.remove(f.user, f.wake) }

// EventBatch is how many events Next returns at most: a full batch means there may be more.
const EventBatch = 500

// Next returns the account's events not yet returned, oldest first, at most EventBatch of
// them (call again while it returns a full batch).
func (f *EventFollower) Next(ctx context.Context) ([]*model.Event, error) {
	t := time.Now()
	for id, at := range f.sent {
		if t.Sub(at) > eventLateWindow {
			f.floor = max(f.floor, id)
		}
	}
	for id := range f.sent {
		if id <= f.floor {
			delete(f.sent, id)
		}
	}
	got, err := queryAll(ctx, f.s.reader(), `SELECT `+eventColumns+` FROM events WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?`,
		[]any{f.user, f.floor, len(f.sent) + EventBatch}, scanEvent)
	if err != nil {
		return nil, err
	}
	out := got[:0]
	for _, e := range got {
		if _, ok := f.sent[e.ID]; ok {
			continue
		}
		f.sent[e.ID] = t
		out = append(out, e)
	}
	return out, nil
}

const eventColumns = `id, user_id, kind, subject, data, created_at`

func scanEvent(r rowScanner) (*model.Event, error) {
	var e model.Event
	var data string
	if err := r.Scan(&e.ID, &e.UserID, &e.Kind, &e.Subject, &data, &e.CreatedAt); err != nil {
		return nil, err
	}
	e.Data = json.RawMessage(data)
	return &e, nil
}

// PruneEvents deletes the events created before before and returns how many. Every instance
// may run it at any time.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	r, err := s.writer().exec(ctx, `DELETE FROM events WHERE created_at < ?`, before.UTC())
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}
