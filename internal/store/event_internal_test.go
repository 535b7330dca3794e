package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// migratedSQLite is a migrated SQLite store of the test's own, closed when it ends.
func migratedSQLite(t *testing.T, opts ...Option) *Store {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "s.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// testAccount inserts a resident's account into st and returns its id.
func testAccount(t *testing.T, st *Store) int64 {
	t.Helper()
	var id int64
	if err := st.writer().queryRow(context.Background(), `INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES ('u', 'u', 'resident', 'x', ?) RETURNING id`,
		[]any{time.Now().UTC()}, &id); err != nil {
		t.Fatal(err)
	}
	return id
}

// Refollow reads again which subtrees f follows, as Next does every followPathsEvery.
func (f *EventFollower) Refollow(ctx context.Context) error { return f.follow(ctx) }

// TestEventFollowerForgets: what a follower sent longer than eventLateWindow ago leaves its
// memory (the ids, and the publications of a follower of subtrees), whether it follows subtrees or not (a resident's page open for days would otherwise
// hold every id it was sent).
func TestEventFollowerForgets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := migratedSQLite(t)
	id := testAccount(t, st)
	for _, sc := range []authz.Scope{
		{UserID: id, Role: model.RoleResident, Path: "/1/2/3/"},
		{UserID: id, Role: model.RoleCommunityStaff, Path: "/1/2/"},
	} {
		f, err := st.FollowEvents(ctx, sc, -1)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Tx(ctx, func(tx *Tx) error {
			return tx.Publish(ctx, model.EventInput{UserIDs: []int64{id}, Path: "/1/2/3/", Kind: "k"})
		}); err != nil {
			t.Fatal(err)
		}
		got, err := f.Next(ctx)
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: %d events, %v", sc.Role, len(got), err)
		}
		for e := range f.sent {
			f.sent[e] = time.Now().Add(-2 * eventLateWindow)
		}
		for k := range f.twins {
			f.twins[k] = time.Now().Add(-2 * eventLateWindow)
		}
		if _, err := f.Next(ctx); err != nil {
			t.Fatal(err)
		}
		if len(f.sent) != 0 || len(f.twins) != 0 {
			t.Errorf("%s: %d ids and %d publications still remembered", sc.Role, len(f.sent), len(f.twins))
		}
		f.Close()
	}
}

// TestEventFollowerGainsSubtree: an account that comes to follow a subtree (a post begun, read
// again every followPathsEvery) hears its changes from then on, not those from before.
func TestEventFollowerGainsSubtree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := migratedSQLite(t)
	id := testAccount(t, st)
	publish := func(subject string) {
		t.Helper()
		if err := st.Tx(ctx, func(tx *Tx) error {
			return tx.Publish(ctx, model.EventInput{Path: "/1/2/3/", Kind: "k", Subject: subject})
		}); err != nil {
			t.Fatal(err)
		}
	}
	f, err := st.FollowEvents(ctx, authz.Scope{UserID: id, Role: model.RoleResident, Path: "/1/2/3/"}, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := range 3 {
		publish(fmt.Sprint("before", i))
	}
	if got, err := f.Next(ctx); err != nil || len(got) != 0 {
		t.Fatalf("a resident heard %d of the subtree's events (%v)", len(got), err)
	}
	// Its account now dispatches /1/2/ (as a post would make it), read at the next look.
	f.sc.Role, f.sc.Path, f.pathsAt = model.RoleCommunityStaff, "/1/2/", time.Time{}
	if got, err := f.Next(ctx); err != nil || len(got) != 0 {
		t.Fatalf("the changes from before it followed the subtree: %d (%v)", len(got), err)
	}
	publish("after")
	if got, err := f.Next(ctx); err != nil || len(got) != 1 || got[0].Subject != "after" {
		t.Errorf("after it followed the subtree: %v (%v)", got, err)
	}
}

// TestEventFollowerTwinAtCut: one publication to an account that also follows the subtree
// is two rows, its own and the path's; when a full read stops between them (the own row the
// last of a batch), the path row read by the next call is still the same publication, sent once.
func TestEventFollowerTwinAtCut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := migratedSQLite(t)
	id := testAccount(t, st)
	f, err := st.FollowEvents(ctx, authz.Scope{UserID: id, Role: model.RoleCommunityStaff, Path: "/1/2/"}, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := st.Tx(ctx, func(tx *Tx) error {
		for i := range EventBatch - 1 {
			if err := tx.Publish(ctx, model.EventInput{UserIDs: []int64{id}, Kind: "k", Subject: fmt.Sprint("own", i)}); err != nil {
				return err
			}
		}
		return tx.Publish(ctx, model.EventInput{UserIDs: []int64{id}, Path: "/1/2/3/", Kind: "k", Subject: "twin"})
	}); err != nil {
		t.Fatal(err)
	}
	twins, all := 0, 0
	for range 5 {
		got, err := f.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range got {
			all++
			if e.Subject == "twin" {
				twins++
			}
		}
		if !f.More() {
			break
		}
	}
	if twins != 1 || all != EventBatch {
		t.Errorf("the publication on both rows sent %d times, %d events in all (want 1 and %d)", twins, all, EventBatch)
	}
	// It remembers the publications of its own rows, not every path row it was sent.
	if err := st.Tx(ctx, func(tx *Tx) error {
		return tx.Publish(ctx, model.EventInput{Path: "/1/2/4/", Kind: "k", Subject: "elsewhere"})
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := f.Next(ctx); err != nil || len(got) != 1 {
		t.Fatalf("a path row alone: %d events (%v)", len(got), err)
	}
	if len(f.twins) != EventBatch {
		t.Errorf("%d publications remembered, want its %d own", len(f.twins), EventBatch)
	}
}

// TestEventFollowerTwinBetweenReads: a publication to the account on a path it follows,
// committed between Next's read of the path rows and its read of its own, is sent once. Read
// the other way round (own rows first) its path row was sent at once and its own row again a
// call later.
func TestEventFollowerTwinBetweenReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := migratedSQLite(t)
	id := testAccount(t, st)
	f, err := st.FollowEvents(ctx, authz.Scope{UserID: id, Role: model.RoleCommunityStaff, Path: "/1/2/"}, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const twins = 3
	n := 0
	f.between = func() {
		if n == twins {
			return
		}
		n++
		if err := st.Tx(ctx, func(tx *Tx) error {
			return tx.Publish(ctx, model.EventInput{UserIDs: []int64{id}, Path: "/1/2/3/", Kind: "k", Subject: fmt.Sprint("twin", n)})
		}); err != nil {
			t.Error(err)
		}
	}
	sent := map[string]int{}
	for range twins + 2 {
		got, err := f.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range got {
			sent[e.Subject]++
		}
	}
	for i := 1; i <= twins; i++ {
		if s := fmt.Sprint("twin", i); sent[s] != 1 {
			t.Errorf("%s sent %d times, want once (all: %v)", s, sent[s], sent)
		}
	}
}

// TestLastEventBefore: on SQLite the last event before a time is found by bisecting the ids,
// with gaps among them (pruned rows, rolled-back ones), several rows of one time (a call's
// rows share it) and times before, between and after all rows; PruneEvents deletes exactly
// the rows before its time.
func TestLastEventBefore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := migratedSQLite(t)
	user := testAccount(t, st)
	base := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	type row struct {
		id int64
		at time.Time
	}
	var rows []row
	id, at := int64(3), base
	for i := range 300 {
		id += 1 + int64(i%7)/5*int64(i%11) // runs of consecutive ids and gaps
		if i%4 != 0 {
			at = at.Add(time.Duration(1+i%3) * time.Second) // every fourth row shares its time
		}
		rows = append(rows, row{id, at})
		if _, err := st.writer().exec(ctx, `INSERT INTO events (id, user_id, kind, created_at) VALUES (?, ?, 'test', ?)`, id, user, at); err != nil {
			t.Fatal(err)
		}
	}
	want := func(t0 time.Time) int64 {
		var last int64
		for _, r := range rows {
			if r.at.Before(t0) {
				last = r.id
			}
		}
		return last
	}
	probes := []time.Time{base.Add(-time.Hour), base, rows[len(rows)-1].at, rows[len(rows)-1].at.Add(time.Nanosecond), base.Add(24 * time.Hour)}
	for _, r := range rows {
		probes = append(probes, r.at, r.at.Add(-time.Nanosecond), r.at.Add(500*time.Millisecond))
	}
	for _, p := range probes {
		got, err := st.reader().lastEventBefore(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if w := want(p); got != w {
			t.Fatalf("the last event before %v: %d, want %d", p, got, w)
		}
	}
	cut := rows[150].at
	n, err := st.PruneEvents(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	var left, before int64
	if err := st.reader().queryRow(ctx, `SELECT COUNT(*), COUNT(CASE WHEN id <= ? THEN 1 END) FROM events`, []any{want(cut)}, &left, &before); err != nil {
		t.Fatal(err)
	}
	var pruned int64
	for _, r := range rows {
		if r.at.Before(cut) {
			pruned++
		}
	}
	if n != pruned || before != 0 || left != int64(len(rows))-pruned {
		t.Errorf("pruned %d, %d left of which %d before the cut; want %d pruned and %d left", n, left, before, pruned, int64(len(rows))-pruned)
	}
}
