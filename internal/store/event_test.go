package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// eventAccount inserts an account (a system administrator: it needs no territory) and returns
// its scope.
func eventAccount(tb testing.TB, st *store.Store, name string) authz.Scope {
	tb.Helper()
	id := storetest.Exec(tb, st, `INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, 'system_admin', 'x', ?) RETURNING id`,
		name, name, time.Now().UTC())
	return authz.ForUser(&model.User{ID: id, Role: model.RoleSystemAdmin})
}

// publish publishes e in a transaction of its own, rolled back when rollback is set.
func publish(tb testing.TB, st *store.Store, e model.EventInput, rollback bool) {
	tb.Helper()
	errRollback := errors.New("roll back")
	err := st.Tx(context.Background(), func(tx *store.Tx) error {
		if err := tx.Publish(context.Background(), e); err != nil {
			return err
		}
		if rollback {
			return errRollback
		}
		return nil
	})
	if rollback && !errors.Is(err, errRollback) || !rollback && err != nil {
		tb.Fatalf("publish: %v", err)
	}
}

// awaitEvents waits for f's wake-up (until the test's deadline, or a minute) and returns what
// Next has then; it fails the test when no wake-up comes.
func awaitEvents(t *testing.T, f *store.EventFollower) []*model.Event {
	t.Helper()
	ctx := context.Background()
	wait := time.Minute
	if d, ok := t.Deadline(); ok {
		wait = time.Until(d) - 5*time.Second
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-f.Wake():
		case <-timer.C:
			t.Fatal("no event arrived")
		}
		got, err := f.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 {
			return got
		}
	}
}

// pending returns what Next has now, without waiting.
func pending(t *testing.T, f *store.EventFollower) []*model.Event {
	t.Helper()
	got, err := f.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func subjects(es []*model.Event) string {
	s := ""
	for _, e := range es {
		s += fmt.Sprintf("[%s %s %s]", e.Kind, e.Subject, e.Data)
	}
	return s
}

// TestEventPublish: an event published in a transaction that rolls back is neither delivered
// nor kept; one committed wakes its recipients' followers, and only theirs, once per account
// however often the account is named; a follower starting from an id gets what came after it.
func TestEventPublish(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		alice, bob := eventAccount(t, st, "alice"), eventAccount(t, st, "bob")
		fa, err := st.FollowEvents(ctx, alice, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer fa.Close()
		fb, err := st.FollowEvents(ctx, bob, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer fb.Close()

		publish(t, st, model.EventInput{UserIDs: []int64{alice.UserID}, Kind: "order.changed", Subject: "order:1"}, true)
		if got := pending(t, fa); len(got) != 0 {
			t.Errorf("rolled back, yet delivered: %s", subjects(got))
		}
		publish(t, st, model.EventInput{UserIDs: []int64{alice.UserID, alice.UserID}, Kind: "order.changed", Subject: "order:2",
			Data: map[string]string{"status": "taken"}}, false)
		got := awaitEvents(t, fa)
		if s, want := subjects(got), `[order.changed order:2 {"status":"taken"}]`; s != want {
			t.Errorf("alice got %s, want %s", s, want)
		}
		if got := pending(t, fb); len(got) != 0 {
			t.Errorf("bob got alice's event: %s", subjects(got))
		}
		if got := pending(t, fa); len(got) != 0 {
			t.Errorf("alice got it again: %s", subjects(got))
		}

		// Catching up: a follower from before the first event gets it (and only alice's).
		from, err := st.FollowEvents(ctx, alice, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer from.Close()
		if got := pending(t, from); len(got) != 1 || got[0].Subject != "order:2" || got[0].UserID != alice.UserID {
			t.Errorf("catching up from 0: %s", subjects(got))
		}
		// From the last id seen: nothing.
		after, err := st.FollowEvents(ctx, alice, got[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		defer after.Close()
		if got := pending(t, after); len(got) != 0 {
			t.Errorf("from the last id: %s", subjects(got))
		}

		if err := st.Tx(ctx, func(tx *store.Tx) error {
			return tx.Publish(ctx, model.EventInput{UserIDs: []int64{alice.UserID}, Kind: "x", Data: []int{1}})
		}); err == nil {
			t.Error("data that is not a JSON object was published")
		}
		if n, err := st.PruneEvents(ctx, time.Now().Add(time.Minute)); err != nil || n != 1 {
			t.Errorf("prune: %d, %v; want the one event", n, err)
		}
	})
}

// TestEventNotification: a notification publishes a "notification" event to its account.
func TestEventNotification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		alice := eventAccount(t, st, "alice")
		f, err := st.FollowEvents(ctx, alice, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for range 2 { // the second, with the same key, is not sent: no event either
			if err := st.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.Notify(ctx, model.NotificationInput{UserID: alice.UserID, Kind: "test", Title: "标题", Link: "/messages", Key: "k"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		got := awaitEvents(t, f)
		if len(got) != 1 || got[0].Kind != model.EventNotification {
			t.Fatalf("got %s, want one notification event", subjects(got))
		}
		p, err := st.Notifications(ctx, alice, 10, "")
		if err != nil || len(p.Items) != 1 {
			t.Fatalf("notifications: %v", err)
		}
		want := fmt.Sprintf(`{"id":"%d","kind":"test","link":"/messages"}`, p.Items[0].ID)
		if string(got[0].Data) != want || got[0].Subject != fmt.Sprintf("notification:%d", p.Items[0].ID) {
			t.Errorf("event %s %s, want data %s", got[0].Subject, got[0].Data, want)
		}
		if got := pending(t, f); len(got) != 0 {
			t.Errorf("the duplicate notification published %s", subjects(got))
		}
	})
}

// TestEventCrossInstance: two Stores on one PostgreSQL schema are two app instances; an event
// published through one wakes a follower on the other, and one rolled back does not.
func TestEventCrossInstance(t *testing.T) {
	ctx := context.Background()
	a := storetest.Open(t, "postgres")
	b, err := store.Open(ctx, store.DSNOf(a), store.WithKeys(storetest.Keyring(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	alice := eventAccount(t, a, "alice")
	f, err := b.FollowEvents(ctx, alice, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The wake-up b's listener gave everyone when it began to listen: only a NOTIFY wakes f now.
	select {
	case <-f.Wake():
	default:
	}
	publish(t, a, model.EventInput{UserIDs: []int64{alice.UserID}, Kind: "order.changed", Subject: "order:1"}, true)
	publish(t, a, model.EventInput{UserIDs: []int64{alice.UserID}, Kind: "order.changed", Subject: "order:2"}, false)
	got := awaitEvents(t, f)
	if len(got) != 1 || got[0].Subject != "order:2" {
		t.Errorf("instance b got %s, want order:2 only", subjects(got))
	}
	// A path's event wakes the followers of its subtrees there too (the payload carries the
	// path's nodes).
	staff := eventAccount(t, a, "staff")
	staff.All, staff.Role, staff.Path = false, model.RoleStreetAdmin, "/1/2/"
	fs, err := b.FollowEvents(ctx, staff, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	select {
	case <-fs.Wake():
	default:
	}
	publish(t, a, model.EventInput{Path: "/1/2/9/", Kind: "order.changed", Subject: "order:3"}, false)
	if got := awaitEvents(t, fs); len(got) != 1 || got[0].Subject != "order:3" {
		t.Errorf("the street's follower on instance b got %s, want order:3", subjects(got))
	}
}

// TestEventPaths: an event published on a territory path is one row, read by whoever follows
// a subtree holding it — staff by their scope — and by no one else: not by staff of a sibling
// whose path shares the prefix's digits, not by a system administrator. A catch-up reads it
// too, each is sent once, and more than a batch arrives in batches.
func TestEventPaths(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		staff := eventAccount(t, st, "staff")
		staff.All, staff.Role, staff.Path = false, model.RoleCommunityStaff, "/1/2/"
		sibling := eventAccount(t, st, "sibling")
		sibling.All, sibling.Role, sibling.Path = false, model.RoleGridLeader, "/1/20/"
		admin := eventAccount(t, st, "admin")
		follow := func(sc authz.Scope, after int64) *store.EventFollower {
			t.Helper()
			f, err := st.FollowEvents(ctx, sc, after)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(f.Close)
			return f
		}
		fs, fsib, fadm := follow(staff, -1), follow(sibling, -1), follow(admin, -1)

		publish(t, st, model.EventInput{Path: "/1/2/3/", Kind: "order.changed", Subject: "order:1"}, true)
		publish(t, st, model.EventInput{Path: "/1/4/", Kind: "order.changed", Subject: "order:2"}, false)
		publish(t, st, model.EventInput{Path: "/1/2/3/", Kind: "order.changed", Subject: "order:3", Data: map[string]string{"status": "taken"}}, false)
		if got := awaitEvents(t, fs); subjects(got) != `[order.changed order:3 {"status":"taken"}]` || got[0].UserID != 0 {
			t.Errorf("staff of /1/2/ got %s", subjects(got))
		}
		if got := pending(t, fs); len(got) != 0 {
			t.Errorf("sent again: %s", subjects(got))
		}
		if got := append(pending(t, fsib), pending(t, fadm)...); len(got) != 0 {
			t.Errorf("outside the subtree: %s", subjects(got))
		}
		if n := mustCount(t, st, `SELECT COUNT(*) FROM events WHERE subject = 'order:3'`); n != 1 {
			t.Errorf("%d rows for one event on a path, want 1", n)
		}
		if got := pending(t, follow(staff, 0)); subjects(got) != `[order.changed order:3 {"status":"taken"}]` {
			t.Errorf("catching up from 0: %s", subjects(got))
		}

		// A recipient that also follows the path hears the publication once.
		publish(t, st, model.EventInput{UserIDs: []int64{staff.UserID}, Path: "/1/2/7/", Kind: "order.changed", Subject: "order:4"}, false)
		if got := awaitEvents(t, fs); subjects(got) != `[order.changed order:4 {}]` {
			t.Errorf("named and on the path: %s", subjects(got))
		}

		if err := st.Tx(ctx, func(tx *store.Tx) error {
			for i := range store.EventBatch + 1 {
				if err := tx.Publish(ctx, model.EventInput{Path: "/1/2/5/", Kind: "k", Subject: fmt.Sprint(i)}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		got := awaitEvents(t, fs)
		if len(got) < store.EventBatch {
			t.Fatalf("first read: %d events, want a full batch", len(got))
		}
		for fs.More() {
			got = append(got, pending(t, fs)...)
		}
		seen := map[string]bool{}
		for _, e := range got {
			seen[e.Subject] = true
		}
		if len(got) != store.EventBatch+1 || len(seen) != len(got) {
			t.Errorf("%d events in batches, %d distinct; want %d", len(got), len(seen), store.EventBatch+1)
		}
	})
}

// TestEventPathsInOrder: a follower of an account and a subtree with more than a batch of
// its own events and then one on the path gets every one of them, in id order, batch after
// batch: the path's, read in the first batch with a higher id, waits for the own events
// below it (a reconnect from the last id sent would skip those otherwise).
func TestEventPathsInOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		staff := eventAccount(t, st, "staff")
		staff.All, staff.Role, staff.Path = false, model.RoleCommunityStaff, "/1/2/"
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			for i := range store.EventBatch + 100 {
				if err := tx.Publish(ctx, model.EventInput{UserIDs: []int64{staff.UserID}, Kind: "own", Subject: fmt.Sprint(i)}); err != nil {
					return err
				}
			}
			return tx.Publish(ctx, model.EventInput{Path: "/1/2/3/", Kind: "path", Subject: "last"})
		}); err != nil {
			t.Fatal(err)
		}
		f, err := st.FollowEvents(ctx, staff, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var last int64
		n := 0
		for {
			got := pending(t, f)
			for _, e := range got {
				if e.ID <= last {
					t.Fatalf("id %d after %d", e.ID, last)
				}
				last = e.ID
				n++
			}
			if !f.More() {
				break
			}
		}
		if n != store.EventBatch+101 {
			t.Errorf("%d events, want %d", n, store.EventBatch+101)
		}
	})
}

// TestEventPublicationAcrossStatements: one publication to many accounts and a path is written
// in more than one INSERT; a follower that is one of the accounts and follows the path is sent
// it once. On PostgreSQL each statement stamped its rows with its own time, and the follower,
// which knows the two rows of one publication by their time, sent both.
func TestEventPublicationAcrossStatements(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		follower := storetest.Exec(t, st, `INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES ('follower', 'follower', 'resident', 'x', ?) RETURNING id`,
			time.Now().UTC())
		storetest.Exec(t, st, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 250)
			INSERT INTO users (username, display_name, role, password_hash, created_at) SELECT 'many' || i, 'many', 'resident', 'x', ? FROM n`, time.Now().UTC())
		ids := []int64{follower}
		rows, err := st.DB().QueryContext(ctx, `SELECT id FROM users WHERE username LIKE 'many%'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		f, err := st.FollowEvents(ctx, authz.Scope{UserID: follower, Role: model.RoleCommunityStaff, Path: "/1/2/"}, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			return tx.Publish(ctx, model.EventInput{UserIDs: ids, Path: "/1/2/3/", Kind: "k", Subject: "many"})
		}); err != nil {
			t.Fatal(err)
		}
		if got := pending(t, f); len(got) != 1 {
			t.Errorf("the publication sent %d times: %s", len(got), subjects(got))
		}
	})
}
