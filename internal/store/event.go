package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"math"
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
// account in the events table, the outbox, and one row for a territory path when the event
// concerns whoever follows a subtree holding it (the dispatchers of an order's territory: who
// they are is decided when they read, not written for each of them). Whoever follows an
// account (FollowEvents, behind GET /api/v1/events) reads its rows, and the path rows under
// the subtrees it follows, after the last id it saw; the table is the truth, and a wake-up
// only says "look again":
//   - on SQLite, after the commit, the store's hub wakes the followers of the recipients in
//     this process (there is only one process on a SQLite file);
//   - on PostgreSQL the transaction also issues NOTIFY on eventChannel with the recipients'
//     keys, which PostgreSQL delivers to every listening session when (and only if) it
//     commits; each instance keeps one LISTEN connection (listenEvents) that wakes its own
//     hub. The local hub is also woken right after the commit, so followers on the publishing
//     instance do not wait for the round trip.
// The hub's keys are account ids, and for a path's event the negated ids of the nodes on the
// path: a follower of the subtree under node 7 listens on -7.
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

// eventPathLate is how far below the newest event a follower of subtrees looks again for path
// rows on PostgreSQL (on SQLite ids are handed out in commit order: nothing lands below what
// was read). A path's event committed later than this after a higher id is not sent live.
const eventPathLate = 10 * time.Second

// eventPathCatchUp is how far back a follower of subtrees catching up from a Last-Event-ID
// reads path rows (its own rows: EventRetention). The rows of every subtree are read together
// in id order, so a catch-up reads all of them since then; a board away longer reloads.
const eventPathCatchUp = 2 * time.Minute

// followPathsEvery is how often a follower reads again which subtrees it follows: a post that
// ended stops its board's live updates within this time.
var followPathsEvery = time.Minute

// eventRow is one row of a published event: for account user, or (user 0) for path.
type eventRow struct {
	user    int64
	path    string
	kind    string
	subject string
	data    string
}

// Publish writes e for each of its accounts, and once for its path when set, inside tx; once
// tx commits, their followers on every instance are woken. Nothing is sent if tx rolls back.
// An error when Kind is empty or Data does not marshal to a JSON object.
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
	rows := make([]eventRow, 0, len(users)+1)
	for _, u := range users {
		if u != 0 {
			rows = append(rows, eventRow{user: u, kind: e.Kind, subject: e.Subject, data: string(data)})
		}
	}
	if e.Path != "" {
		rows = append(rows, eventRow{path: e.Path, kind: e.Kind, subject: e.Subject, data: string(data)})
	}
	tx.publishRows(rows)
	return nil
}

// publishRows queues rows for the end of the transaction (flushEvents) and remembers the hub
// keys to wake at commit.
func (tx *Tx) publishRows(rows []eventRow) {
	tx.events = append(tx.events, rows...)
	for _, r := range rows {
		if r.path == "" {
			tx.published = append(tx.published, r.user)
			continue
		}
		for _, id := range model.PathIDs(r.path) {
			tx.published = append(tx.published, -id)
		}
	}
}

// flushEvents inserts the events the transaction published, in the order published, a few
// hundred a statement: an order's transition publishes to its followers and notifies its
// household, two INSERTs on the one writer when each wrote its own.
func (tx *Tx) flushEvents(ctx context.Context) error {
	rows := tx.events
	tx.events = nil
	return tx.insertEvents(ctx, rows, false)
}

// eventInsertRows is how many event rows one INSERT writes outside a group commit.
const eventInsertRows = 200

// insertEvents inserts rows, in order: up to eventInsertRows a statement, or for a group
// commit's (batched) in runs of rowRun's few lengths.
func (tx *Tx) insertEvents(ctx context.Context, rows []eventRow, batched bool) error {
	// The rows' time: the database's clock on PostgreSQL, where several instances write and
	// the followers compare it with that clock (eventBefore). One time for all the rows of a
	// call: the two rows of one publication (an account's own and its path's) share it, and a
	// follower of both knows them for one by it (EventFollower's twins), also when they fall in
	// two statements.
	ts, row := any(now()), "(?, ?, ?, ?, ?, ?)"
	if tx.d.name == "postgres" {
		ts, row = nil, "(?, ?, ?, ?, ?, statement_timestamp())"
		if len(rows) > eventInsertRows {
			var at time.Time
			if err := tx.queryRow(ctx, `SELECT statement_timestamp()`, nil, &at); err != nil {
				return err
			}
			ts, row = at, "(?, ?, ?, ?, ?, ?)"
		}
	}
	for len(rows) > 0 {
		n := min(len(rows), eventInsertRows)
		if batched {
			n = rowRun(len(rows), 128)
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO events (user_id, path, kind, subject, data, created_at) VALUES `)
		args := make([]any, 0, n*6)
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(row)
			var user, path any
			if r.path != "" {
				path = r.path
			} else {
				user = r.user
			}
			args = append(args, user, path, r.kind, r.subject, r.data)
			if ts != nil {
				args = append(args, ts)
			}
		}
		if _, err := tx.exec(ctx, q.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// publishedKeys returns the distinct hub keys of what tx published, sorted.
func (tx *Tx) publishedKeys() []int64 {
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
	for _, p := range notifyPayloads(tx.publishedKeys()) {
		if _, err := tx.exec(ctx, `SELECT pg_notify(?, ?)`, eventChannel, p); err != nil {
			return err
		}
	}
	return nil
}

// notifyPayloads packs hub keys into comma-separated payloads of at most maxNotifyPayload bytes.
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

// parsePayload reads the hub keys of a NOTIFY payload; what is not a key is skipped.
func parsePayload(p string) []int64 {
	var ids []int64
	for f := range strings.SplitSeq(p, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// eventHub wakes this process's followers by key (accounts, negated nodes). It holds no
// events, only who listens.
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

// add makes c signalled on a wake-up of any of keys.
func (h *eventHub) add(keys []int64, c chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range keys {
		if h.subs[k] == nil {
			h.subs[k] = map[chan struct{}]struct{}{}
		}
		h.subs[k][c] = struct{}{}
	}
}

func (h *eventHub) remove(keys []int64, c chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range keys {
		delete(h.subs[k], c)
		if len(h.subs[k]) == 0 {
			delete(h.subs, k)
		}
	}
}

// wake signals the followers of keys; a follower already signalled stays signalled once.
func (h *eventHub) wake(keys []int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range keys {
		for c := range h.subs[k] {
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

// EventFollower follows one account's events, and those of the territory paths under the
// subtrees it follows (followedPaths): Wake signals that there may be new ones, Next returns
// them. Not safe for concurrent use; Close it.
type EventFollower struct {
	s    *Store
	sc   authz.Scope
	wake chan struct{}
	keys []int64 // the hub keys it listens on
	// floor: every event of the account with an id up to it was sent or is given up; sent:
	// the ids above it sent within eventLateWindow (the paths' events too), with when.
	floor int64
	sent  map[int64]time.Time
	// The subtrees followed (path prefixes), read at pathsAt, and pathFloor: every path row
	// with an id up to it was looked at.
	paths     []string
	pathsAt   time.Time
	pathFloor int64
	// twins: the publications sent to its account's own rows within eventLateWindow, with
	// when, while it follows subtrees: one to its account on a path it follows is two rows,
	// its own and then the path's, read apart when a full read stops between them.
	twins map[eventTwin]time.Time
	more  bool // the last Next stopped at a batch
	// between, when not nil, runs between Next's read of the path rows and its read of the
	// account's own (tests: a commit in between).
	between func()
}

// eventTwin is what the two rows of one publication share.
type eventTwin struct {
	kind, subject, data string
	at                  time.Time
}

// FollowEvents starts following sc's own account, and the subtrees whose orders sc
// dispatches. after is the last event id the caller saw (Last-Event-ID): Next first returns
// the account's events after it (and the subtrees' of the last eventPathCatchUp); after < 0
// means "from now". On PostgreSQL it waits until this instance listens for other instances'
// events.
func (s *Store) FollowEvents(ctx context.Context, sc authz.Scope, after int64) (*EventFollower, error) {
	if sc.UserID == 0 {
		return nil, model.ErrUnauthenticated
	}
	f := &EventFollower{s: s, sc: sc, wake: make(chan struct{}, 1), sent: map[int64]time.Time{}}
	// Registered before the first read, so an event committed in between still wakes it.
	if err := f.follow(ctx); err != nil {
		return nil, err
	}
	if err := s.startListen(ctx); err != nil {
		f.Close()
		return nil, err
	}
	r := s.reader()
	catchUp := after >= 0
	if !catchUp {
		if err := r.newestEvent(ctx, &after); err != nil {
			f.Close()
			return nil, err
		}
	}
	f.floor, f.pathFloor = after, after
	if catchUp && len(f.paths) > 0 {
		before, err := r.eventBefore(ctx, eventPathCatchUp)
		if err != nil {
			f.Close()
			return nil, err
		}
		f.pathFloor = max(after, before)
	}
	return f, nil
}

// newestEvent sets id to the newest event's id (0: none).
func (c conn) newestEvent(ctx context.Context, id *int64) error {
	return c.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM events`, nil, id)
}

// follow reads the subtrees f follows and listens on its keys for them (again after
// followPathsEvery: a post may have begun or ended).
func (f *EventFollower) follow(ctx context.Context) error {
	paths, err := f.s.reader().followedPaths(ctx, f.sc)
	if err != nil {
		return err
	}
	keys := []int64{f.sc.UserID}
	for _, p := range paths {
		if ids := model.PathIDs(p); len(ids) > 0 {
			keys = append(keys, -ids[len(ids)-1])
		}
	}
	f.s.events.remove(f.keys, f.wake)
	f.s.events.add(keys, f.wake)
	f.keys, f.paths, f.pathsAt = keys, paths, time.Now()
	return nil
}

// followedPaths are the subtrees whose orders' live updates sc's account follows: its scope
// for the staff and grid leaders (not system administrators, who would hear every order of
// the country), and the territories of its secretary's posts (dispatchPosts), outermost
// first, none inside another.
func (c conn) followedPaths(ctx context.Context, sc authz.Scope) ([]string, error) {
	var paths []string
	switch sc.Role {
	case model.RoleDistrictAdmin, model.RoleStreetAdmin, model.RoleCommunityAdmin, model.RoleCommunityStaff, model.RoleGridLeader:
		if !sc.All && sc.Path != "" {
			paths = append(paths, sc.Path)
		}
	}
	posts, err := c.dispatchPosts(ctx, sc.UserID)
	if err != nil {
		return nil, err
	}
	paths = append(paths, posts...)
	slices.Sort(paths)
	out := paths[:0]
	for _, p := range paths {
		if len(out) == 0 || !strings.HasPrefix(p, out[len(out)-1]) {
			out = append(out, p)
		}
	}
	return out, nil
}

// eventBefore is the id of the last event created longer than ago before now (0: none): by
// the database's clock on PostgreSQL, which stamps the rows there (flushEvents), so that
// instances whose clocks differ agree; by this process's on SQLite, the only one.
func (c conn) eventBefore(ctx context.Context, ago time.Duration) (int64, error) {
	if c.d.name != "postgres" {
		return c.lastEventBefore(ctx, now().Add(-ago))
	}
	var id int64
	err := c.queryRow(ctx, `SELECT id FROM events WHERE created_at < clock_timestamp() - make_interval(secs => ?) ORDER BY created_at DESC, id DESC LIMIT 1`,
		[]any{ago.Seconds()}, &id)
	if errors.Is(err, model.ErrNotFound) {
		return 0, nil
	}
	return id, err
}

// lastEventBefore is, on SQLite, the id of the last event created before t (0: none), found by
// bisecting the ids (a few dozen point reads), without an index on created_at: one process
// writes the rows, in id order, each stamped with its clock as it inserts, so the times grow
// with the ids (a clock set back while it runs makes the bound as uncertain as that step).
// Not having the index saved a B-tree insert for each of the ten rows an order writes (issue
// 10, thirteenth pass; migration 0072).
func (c conn) lastEventBefore(ctx context.Context, t time.Time) (int64, error) {
	var first, last int64
	if err := c.queryRow(ctx, `SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM events`, nil, &first, &last); err != nil {
		return 0, err
	}
	if last == 0 {
		return 0, nil
	}
	// Every event up to lo was created before t, none from hi on.
	lo, hi := first-1, last+1
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		var id int64
		var at time.Time
		err := c.queryRow(ctx, `SELECT id, created_at FROM events WHERE id >= ? ORDER BY id LIMIT 1`, []any{mid}, &id, &at)
		switch {
		case errors.Is(err, model.ErrNotFound) || (err == nil && id >= hi):
			hi = mid // no event in [mid, hi)
		case err != nil:
			return 0, err
		case at.Before(t):
			lo = id
		default:
			hi = id
		}
	}
	if lo < first {
		return 0, nil
	}
	return lo, nil
}

// Wake is signalled when the account may have new events.
func (f *EventFollower) Wake() <-chan struct{} { return f.wake }

// Close stops following.
func (f *EventFollower) Close() { f.s.events.remove(f.keys, f.wake) }

// EventBatch is how many events Next reads at a time: when it returns as many or more, there
// may be more.
const EventBatch = 500

// Next returns the account's events not yet returned, and its subtrees', oldest first (call
// again while it returns EventBatch or more).
func (f *EventFollower) Next(ctx context.Context) ([]*model.Event, error) {
	t := time.Now()
	r := f.s.reader()
	if t.Sub(f.pathsAt) > followPathsEvery {
		had := len(f.paths) > 0
		if err := f.follow(ctx); err != nil {
			return nil, err
		}
		if !had && len(f.paths) > 0 {
			// A subtree followed from now on (a post begun): its rows from here.
			var newest int64
			if err := r.newestEvent(ctx, &newest); err != nil {
				return nil, err
			}
			f.pathFloor = max(f.pathFloor, newest)
		}
	}
	for id, at := range f.sent {
		if t.Sub(at) > eventLateWindow {
			f.floor = max(f.floor, id)
		}
	}
	for id := range f.sent {
		if id <= f.floor && (len(f.paths) == 0 || id <= f.pathFloor) {
			delete(f.sent, id)
		}
	}
	for k, at := range f.twins {
		if t.Sub(at) > eventLateWindow {
			delete(f.twins, k)
		}
	}
	// As many more as were sent already: they may come again, and a full read must still
	// hold a batch of new ones.
	limit := len(f.sent) + EventBatch
	f.more = false
	// The path rows are read before the account's own: a publication committed between the two
	// reads then shows its own row first (remembered in twins below) and its path row in a
	// later call (checked against it). The other way round its path row came first, and its
	// own row, a call later, was sent again.
	var onPaths []*model.Event
	var pathHorizon int64
	if len(f.paths) > 0 {
		var err error
		if onPaths, pathHorizon, err = f.pathEvents(ctx, r, limit); err != nil {
			return nil, err
		}
	}
	if f.between != nil {
		f.between()
	}
	got, err := queryAll(ctx, r, `SELECT `+eventColumns+` FROM events WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?`,
		[]any{f.sc.UserID, f.floor, limit}, scanEvent)
	if err != nil {
		return nil, err
	}
	if len(f.paths) > 0 {
		// cut: a read that was full stopped at its last id, and the other's rows above it
		// would come before rows not read yet; they wait for the next call (ids go up).
		cut := int64(math.MaxInt64)
		if len(got) == limit {
			cut = got[len(got)-1].ID
		}
		if len(onPaths) == limit {
			cut = min(cut, onPaths[len(onPaths)-1].ID)
		}
		got = append(got, onPaths...)
		slices.SortFunc(got, func(a, b *model.Event) int { return cmp.Compare(a.ID, b.ID) })
		got = slices.DeleteFunc(got, func(e *model.Event) bool { return e.ID > cut })
		f.pathFloor = max(f.pathFloor, min(pathHorizon, cut))
		f.more = cut != math.MaxInt64
	} else {
		f.more = len(got) == limit
	}
	// One publication is sent once: an account in an order's household that also dispatches
	// its territory has a row of its own and then the path's, written together — read
	// together, or one on each side of a cut, the path's in a later call. The own rows sent
	// are remembered (twins), the path rows checked against them: a street's dispatcher is
	// sent every change under it, few of them its own.
	out := got[:0]
	for _, e := range got {
		if _, ok := f.sent[e.ID]; ok {
			continue
		}
		f.sent[e.ID] = t
		if len(f.paths) > 0 {
			k := eventTwin{e.Kind, e.Subject, string(e.Data), e.CreatedAt}
			if e.UserID == 0 {
				if _, ok := f.twins[k]; ok {
					continue
				}
			} else {
				if f.twins == nil {
					f.twins = map[eventTwin]time.Time{}
				}
				f.twins[k] = t
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// More reports whether the last Next stopped at a batch: there may be more, call it again.
func (f *EventFollower) More() bool { return f.more }

// FollowsPaths reports whether f follows subtrees (whose rows it reads among everyone's).
func (f *EventFollower) FollowsPaths() bool { return len(f.paths) > 0 }

// pathEvents reads at most limit path rows under f's subtrees above pathFloor, and says up to
// where no later commit can add a row below: on SQLite the newest id before the read (ids
// follow commits), on PostgreSQL the last id created eventPathLate ago by the database's
// clock (the rows above it are read again next time, and what was sent is skipped); a full
// read, its last id at most.
func (f *EventFollower) pathEvents(ctx context.Context, r conn, limit int) ([]*model.Event, int64, error) {
	var horizon int64
	var err error
	if r.d.name == "postgres" {
		horizon, err = r.eventBefore(ctx, eventPathLate)
	} else {
		err = r.newestEvent(ctx, &horizon)
	}
	if err != nil {
		return nil, 0, err
	}
	var where strings.Builder
	args := []any{f.pathFloor}
	for i, p := range f.paths {
		if i > 0 {
			where.WriteString(" OR ")
		}
		lo, hi := authz.PathRange(p)
		where.WriteString("(path >= ? AND path < ?)")
		args = append(args, lo, hi)
	}
	args = append(args, limit)
	got, err := queryAll(ctx, r, `SELECT `+eventColumns+` FROM events WHERE id > ? AND path IS NOT NULL AND (`+where.String()+`) ORDER BY id LIMIT ?`, args, scanEvent)
	if err != nil {
		return nil, 0, err
	}
	if len(got) == limit {
		horizon = min(horizon, got[len(got)-1].ID)
	}
	return got, horizon, nil
}

const eventColumns = `id, COALESCE(user_id, 0), kind, subject, data, created_at`

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
	q, arg := `DELETE FROM events WHERE created_at < ?`, any(before.UTC())
	if s.d.name != "postgres" {
		last, err := s.reader().lastEventBefore(ctx, before)
		if err != nil || last == 0 {
			return 0, err
		}
		q, arg = `DELETE FROM events WHERE id <= ?`, last
	}
	r, err := s.writer().exec(ctx, q, arg)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}
