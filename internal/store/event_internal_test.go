package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// migratedSQLite is a migrated SQLite store of the test's own, closed when it ends.
func migratedSQLite(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// Refollow reads again which subtrees f follows, as Next does every followPathsEvery.
func (f *EventFollower) Refollow(ctx context.Context) error { return f.follow(ctx) }

// TestEventFollowerForgets: what a follower sent longer than eventLateWindow ago leaves its
// memory, whether it follows subtrees or not (a resident's page open for days would otherwise
// hold every id it was sent).
func TestEventFollowerForgets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := migratedSQLite(t)
	var id int64
	if err := st.writer().queryRow(ctx, `INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES ('u', 'u', 'resident', 'x', ?) RETURNING id`,
		[]any{time.Now().UTC()}, &id); err != nil {
		t.Fatal(err)
	}
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
		if _, err := f.Next(ctx); err != nil {
			t.Fatal(err)
		}
		if len(f.sent) != 0 {
			t.Errorf("%s: %d ids still remembered", sc.Role, len(f.sent))
		}
		f.Close()
	}
}
