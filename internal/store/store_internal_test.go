package store

import (
	"context"
	"fmt"
	"testing"

	"modernc.org/sqlite"

	"gongzhi/internal/model"
)

// TestSQLiteLookaside: the write connection's small allocations come from its own lookaside
// (configureSQLite) after the statements it keeps prepared took their share: with SQLite's
// default of 40 slots they were full, and nearly every allocation of a transaction went
// through the allocator shared by all connections.
func TestSQLiteLookaside(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := migratedSQLite(t)
	status := func(op sqlite.DBStatusOp) int {
		t.Helper()
		c, err := st.write.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var n int
		if err := c.Raw(func(dc any) error {
			_, high, err := dc.(sqlite.DBStatus).Status(op, true)
			n = high
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	status(sqlite.DBStatusLookasideMissFull) // from here on
	user := testAccount(t, st)
	for i := range 50 {
		if err := st.Tx(ctx, func(tx *Tx) error {
			_, err := tx.Notify(ctx, model.NotificationInput{UserID: user, Kind: "test", Title: fmt.Sprint("第", i, "条")})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	hit, full := status(sqlite.DBStatusLookasideHit), status(sqlite.DBStatusLookasideMissFull)
	if hit == 0 || full != 0 {
		t.Errorf("the writer's lookaside served %d allocations and was full for %d, want all served", hit, full)
	}
}
