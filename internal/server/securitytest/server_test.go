package securitytest_test

import (
	"context"
	"database/sql"
	"testing"

	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestServerSecurity builds one world (store, fixture city, server) per engine and runs the
// security proofs on it in order: first those that only read and need the fixture as it was
// made (list contents, the field policy, the mask oracle), then those that write (the
// authorization matrix, writes' redacted answers, CSRF, session-only routes). The two engines
// run side by side; within the matrix the routes run as parallel subtests. Run one proof with
// -run, e.g. -run 'TestServerSecurity/sqlite/matrix'.
//
// PostgreSQL is not optional here: when it does not answer the test fails, it does not skip.
func TestServerSecurity(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			w := mustWorld(t, openStore(t, engine))
			w.engine = engine
			t.Run("lists", func(t *testing.T) { runLists(t, w.with(t)) })
			t.Run("fields", func(t *testing.T) { runFieldPolicy(t, w.with(t)) })
			t.Run("masks", func(t *testing.T) { runMaskOracle(t, w.with(t)) })
			t.Run("matrix", func(t *testing.T) { runMatrix(t, w.with(t)) })
			t.Run("writes", func(t *testing.T) { runWritesRedacted(t, w.with(t)) })
			t.Run("csrf", func(t *testing.T) { runCrossSite(t, w.with(t)) })
			t.Run("session_only", func(t *testing.T) { runSessionOnly(t, w.with(t)) })
		})
	}
}

// openStore opens a fresh store on engine; for PostgreSQL it first makes sure the server
// answers and fails the test when it does not (storetest.Open would skip outside CI).
func openStore(tb testing.TB, engine string) *store.Store {
	tb.Helper()
	if engine == "postgres" {
		db, err := sql.Open("pgx", storetest.PostgresDSN())
		if err == nil {
			err = db.PingContext(context.Background())
			db.Close()
		}
		if err != nil {
			tb.Fatalf("PostgreSQL at %s does not answer: the security proofs run on both engines (set GONGZHI_TEST_PG to reach another server): %v", storetest.PostgresDSN(), err)
		}
	}
	return storetest.Open(tb, engine)
}
