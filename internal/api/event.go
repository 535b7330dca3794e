package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// sseHeartbeat is how often an idle event stream sends a comment, so proxies and the browser
// keep the connection, looks for events again (in case a wake-up was lost) and checks that
// the caller's session or token is still live (API.heartbeat; tests shorten it).
const sseHeartbeat = 25 * time.Second

// sseWriteGrace is the least time a stream's write may take before the stream is given up.
const sseWriteGrace = 10 * time.Second

// ssePathGap is how often at most a stream that follows subtrees (a dispatcher's board) reads
// its events: a busy street wakes it with every change, and each read looks at the rows of
// every subtree since the last (store.EventFollower).
const ssePathGap = 300 * time.Millisecond

// sseRetry is the reconnection delay the stream asks browsers to wait, in milliseconds.
const sseRetry = 3000

// streamEvents is GET /api/v1/events: the caller's live updates as Server-Sent Events. A
// Last-Event-ID header (or ?last_event_id= for clients that cannot set it) replays the
// caller's events after that id first. The stream ends when the client goes away or the
// server shuts down (Drain); the browser then reconnects with the last id it saw.
func (a *API) streamEvents(w http.ResponseWriter, r *http.Request) error {
	after := int64(-1)
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last_event_id")
	}
	if last != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(last), 10, 64)
		if err != nil || n < 0 {
			return malformed("事件编号有误", model.FieldError{Field: "last_event_id", Message: "应为上次收到的事件编号（非负整数）"})
		}
		after = n
	}
	ctx := r.Context()
	f, err := a.st.FollowEvents(ctx, authz.ScopeFrom(ctx), after)
	if err != nil {
		return err
	}
	defer f.Close()

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on, do not buffer the stream
	// send writes b and flushes it; the write deadline moves with every write, so the server's
	// WriteTimeout (meant for exports) does not cut a stream that is alive. Two heartbeats, and
	// never under sseWriteGrace: a test's 20 ms heartbeat gave a write 40 ms, which a loaded
	// machine's scheduler can take from the goroutine between setting it and writing.
	send := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(max(2*a.heartbeat, sseWriteGrace)))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	w.WriteHeader(http.StatusOK)
	if !send([]byte("retry: " + strconv.Itoa(sseRetry) + "\n\n")) {
		return nil
	}
	tick := time.NewTicker(a.heartbeat)
	defer tick.Stop()
	var read time.Time
	for {
		// A board's stream reads the rows of its subtrees among everyone's (on PostgreSQL the
		// last seconds' again): woken by every change there, it looks at most every ssePathGap.
		if f.FollowsPaths() {
			if wait := ssePathGap - time.Since(read); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return nil
				case <-a.draining:
					t.Stop()
					return nil
				case <-t.C:
				}
			}
			read = time.Now()
		}
		for {
			evs, err := f.Next(ctx)
			if err != nil {
				if ctx.Err() == nil {
					a.log.ErrorContext(ctx, "event stream", "err", err)
				}
				return nil // the status is sent: the browser reconnects
			}
			if len(evs) > 0 && !send(sseFrames(evs)) {
				return nil
			}
			if !f.More() {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-a.draining:
			return nil
		case <-f.Wake():
		case <-tick.C:
			// The stream was let in once; a logout, a revoked token or a disabled account since
			// ends it (the browser's reconnect then gets 401 and stops). Asked without counting
			// as a use, so an open page does not keep an idle session alive.
			if live, err := a.st.TokenLive(ctx, Token(r)); err == nil && !live {
				return nil
			}
			if !send([]byte(": heartbeat\n\n")) {
				return nil
			}
		}
	}
}

// sseFrames renders evs as Server-Sent Events: id, event (the kind) and one data line of
// JSON {kind, subject, data, created_at}.
func sseFrames(evs []*model.Event) []byte {
	var b bytes.Buffer
	for _, e := range evs {
		c := *e
		c.CreatedAt = c.CreatedAt.In(model.Shanghai)
		data, err := json.Marshal(&c)
		if err != nil {
			continue
		}
		b.WriteString("id: ")
		b.WriteString(strconv.FormatInt(e.ID, 10))
		b.WriteString("\nevent: ")
		b.WriteString(strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, e.Kind))
		b.WriteString("\ndata: ")
		b.Write(data) // JSON has no raw line breaks
		b.WriteString("\n\n")
	}
	return b.Bytes()
}

// Drain ends the open event streams and makes new ones end at once: the server calls it when
// it begins to shut down, so streams that never end by themselves do not hold the shutdown up
// for its whole grace. Calling it again does nothing.
func (a *API) Drain() { a.drainOnce.Do(func() { close(a.draining) }) }
