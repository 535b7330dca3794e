// Package store keeps gongzhi's data in SQLite or PostgreSQL through database/sql: one SQL code
// path written to the engines' common subset, with the few differences in dialect.go.
// Every method that touches territory or people takes an authz.Scope and limits its query to it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/libc"
	_ "modernc.org/sqlite" // registers "sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"gongzhi/internal/model"
	"gongzhi/internal/pii"
)

// Store is the database. It is safe for concurrent use.
type Store struct {
	d     dialect
	read  *sql.DB // SQLite: a pool of read-only connections; PostgreSQL: the same pool as write
	write *sql.DB // SQLite: one connection, so writers queue here instead of in busy_timeout
	dsn   string
	stmts *stmtCache // prepared statements of the read pool
	// txStmts are the prepared statements of SQLite's write connection, used inside
	// transactions (nil on PostgreSQL, whose driver keeps its own per connection).
	txStmts *txStmtCache
	clock   func() time.Time // accounts' clock (sessions, lockout, TOTP); nil: the wall clock
	keys    *pii.Keyring
	// lookupLimit is the allowance of exact lookups per account per LookupWindow (lookup.go).
	lookupLimit int
	// tokens remembers for a second whom a token resolved to; a committed Tx that wrote to the
	// accounts' tables ends it (tokenWrite).
	tokens *tokenCache
	// auditIDStep spaces the ids audit appends assign (0 or 1: contiguous); tests set 2 to leave
	// gaps a forged row could be slipped into (the verifier must not rely on contiguous ids).
	auditIDStep int64
	// auditClock stamps audit records when set (tests); nil: the wall clock.
	auditClock func() time.Time
	// blobs stores uploaded photos' bytes (blob.go); nil: the database's blobs table.
	blobs Blobs
	// events wakes this process's followers of live updates (event.go).
	events *eventHub
	// batch commits SQLite's transactions in groups (tx_batch.go); nil on PostgreSQL and
	// in memory.
	batch *txBatch
	// checkpoints copies SQLite's WAL into the database file (checkpoint.go); nil on
	// PostgreSQL and in memory.
	checkpoints *checkpointer
	// statDepths remembers how many nodes of an order's path keep order statistics
	// (order_stat.go).
	statDepths *statDepthCache
	// statsChunk is how many orders a recount of the statistics reads at a time (0:
	// orderStatsChunk; tests set fewer).
	statsChunk int
	// outbox, when set (SetOutbox), is called inside every transaction that sent
	// notifications, with their ids, before it commits (notification.go).
	outbox func(ctx context.Context, tx *sql.Tx, notifications []int64) error
}

// Option configures Open.
type Option func(*Store)

// WithKeys gives the store the keyring that seals and opens personal data (ID numbers, phones)
// and computes their blind indexes. Without it every read or write of a resident fails with
// pii.ErrNoKeys; tools that never touch residents (backup) may open without keys.
func WithKeys(kr *pii.Keyring) Option { return func(s *Store) { s.keys = kr } }

// Keys returns the keyring the store was opened with (nil without one).
func (s *Store) Keys() *pii.Keyring { return s.keys }

// DSNOf returns the DSN st was opened with, to open a second Store on the same database
// (e.g. with another keyring during key rotation).
func DSNOf(st *Store) string { return st.dsn }

// Engine names which database a Store uses: "sqlite" or "postgres".
func (s *Store) Engine() string { return s.d.name }

// DB exposes the write pool for tools (backup, benchmarks) that need the raw handle.
func (s *Store) DB() *sql.DB { return s.write }

// ReadDB exposes the read pool for the benchmark's bare handler.
func (s *Store) ReadDB() *sql.DB { return s.read }

// Open connects to the database named by dsn: "sqlite:PATH", "sqlite::memory:" or a
// postgres:// URL. It does not migrate; call Migrate, or CheckSchema before serving.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	var s *Store
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		s, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), dsn)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s, err = openPostgres(ctx, dsn)
	default:
		return nil, fmt.Errorf("unknown database %q: use sqlite:PATH or a postgres:// URL", dsn)
	}
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// SQLite's lookaside: each connection's own pool of small allocations, taken without the
// allocator's mutex, which the pure-Go SQLite shares between all connections of the process.
// SQLite's default (40 slots of 1,200 bytes, 48 KB) is held for good by the statements a
// connection keeps prepared (stmt_cache.go): on the order flow the writer's lookaside was full
// for 2.26 million allocations of 7,424 orders (305 an order, each then through the shared
// mutex) and served 4,829. With 1,000 slots (1.2 MB a connection, a few MB in all) it served
// them all (docs/benchmarks.md, issue 10, thirteenth pass).
const (
	lookasideSlot  = 1200
	lookasideSlots = 1000
)

// configureSQLite sets what SQLite takes only before its first connection of the process
// (sqlite3_config): the lookaside of every connection. If a connection was opened before (by
// another package of the process), SQLite keeps its default and says so with SQLITE_MISUSE:
// a slower allocator, not an error. It also registers walVFS (wal_buffer.go).
var configureSQLite = sync.OnceFunc(func() {
	tls := libc.NewTLS()
	defer tls.Close()
	// After sqlite3_config: looking the default VFS up initializes SQLite, which then refuses it.
	defer registerWALVFS(tls)
	va := libc.Xmalloc(tls, 2*8) // two int arguments, a slot of 8 bytes each (libc.VaList)
	if va == 0 {
		return
	}
	defer libc.Xfree(tls, va)
	sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_LOOKASIDE, libc.VaList(va, int32(lookasideSlot), int32(lookasideSlots)))
})

func openSQLite(ctx context.Context, path, dsn string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	configureSQLite()
	// busy_timeout comes first so that the WAL switch itself waits for a lock instead of failing.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_time_format=sqlite"
	memory := path == ":memory:"
	var uri string
	if memory {
		// One connection serves reads and writes: a second would see a different empty database.
		uri = "file::memory:?" + pragmas
	} else {
		if walReady {
			pragmas += "&vfs=" + walVFSName // a commit's WAL frames written in one call
		}
		uri = "file:" + path + "?" + pragmas
	}
	// The writer gets a 64 MiB page cache: blind indexes (internal/pii) insert in random order,
	// and with the default 2 MiB every bulk batch rereads and rewrites index pages. Its temporary
	// files are kept in memory: each transaction of a group commit (tx_batch.go) is a savepoint,
	// whose sub-journal (the pages as they were before it, to roll back to) would otherwise be
	// written to a file page by page — more writes than the commit's own.
	// It leaves checkpoints to the checkpointer (checkpoint.go) up to walBackstopPages.
	write, err := sql.Open("sqlite", uri+"&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint("+strconv.Itoa(walBackstopPages)+")&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	read := write
	if !memory {
		read, err = sql.Open("sqlite", uri+"&_pragma=query_only(1)")
		if err != nil {
			write.Close()
			return nil, err
		}
		// Two readers a processor, at least four: SQLite in pure Go shares its allocator's and
		// page caches' mutexes between connections, and more readers than processors running
		// at once only wait on them and for the scheduler, the one writer with them (8 readers
		// on 2 processors: the order flow 6% slower than 4, 10% than 2; docs/benchmarks.md).
		// Four leave room for a long export beside the short reads.
		n := max(4, 2*runtime.GOMAXPROCS(0))
		read.SetMaxOpenConns(n)
		read.SetMaxIdleConns(n)
		read.SetConnMaxIdleTime(0)
	}
	s := &Store{d: sqliteDialect, read: read, write: write, dsn: dsn, stmts: newStmtCache(read, true), txStmts: &txStmtCache{db: write, lru: newStmtLRU()},
		tokens: newTokenCache(), events: newEventHub(), statDepths: &statDepthCache{}}
	if !memory {
		s.batch = &txBatch{s: s}
		if s.checkpoints, err = startCheckpointer(uri); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL address: %w", err)
	}
	// Every statement planned for its values. The prepared statements (ours for reads, the
	// driver's for the rest) otherwise switch to a generic plan after five runs, and a plan for
	// "path >= $1 AND path < $2" made without the range is wrong for most of them: a street's
	// 待接单 count took 670 ms with one (ANDing a bitmap of every order of the street per
	// community), 0.7 ms planned for its values. Set on each new connection, not as a startup
	// parameter (a pooler such as PgBouncer refuses unknown ones), and only over the default:
	// a plan_cache_mode the DSN's options, the role or the database set is kept.
	db := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, `SELECT set_config('plan_cache_mode', 'force_custom_plan', false) WHERE current_setting('plan_cache_mode') = 'auto'`)
		return err
	}))
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return &Store{d: postgresDialect, read: db, write: db, dsn: dsn, stmts: newStmtCache(db, false), tokens: newTokenCache(), events: newEventHub(), statDepths: &statDepthCache{}}, nil
}

// Close releases the pools and ends the LISTEN connection of live updates, if any.
func (s *Store) Close() error {
	s.events.stopListen()
	var err error
	if s.checkpoints != nil {
		err = s.checkpoints.close()
	}
	s.stmts.close()
	s.txStmts.close()
	err = errors.Join(err, s.write.Close())
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// Ping checks that the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error { return s.read.PingContext(ctx) }

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs SQL written with ? placeholders on either engine. On the read pool its queries go
// through prepared statements kept for the life of the Store; inside a transaction on SQLite,
// through those of the write connection (txStmts).
type conn struct {
	q       querier
	d       dialect
	stmts   *stmtCache // nil inside transactions
	tx      *sql.Tx    // the transaction, when txStmts is set
	txStmts *txStmtCache
	keys    *pii.Keyring
	// accounts, inside a transaction, is set by its first statement that may change what a
	// token resolves to (tokenWrite); nil outside transactions.
	accounts *bool
	// detached: its statements run without their context's cancellation (detach), as in a
	// transaction of a group commit (tx_batch.go).
	detached bool
}

// detach is ctx as c's statements run with it: without its cancellation when c is detached. A
// transaction of a group commit shares SQLite's one transaction with the others of its batch,
// and the pure-Go driver interrupts a statement whose context ends — SQLite then rolls back
// the whole transaction, every other caller's writes with it —, watching each such statement
// from a goroutine of its own. Its functions are called with the caller's request context,
// which they pass on to their statements (tx.exec(ctx, …)); here it loses its cancellation.
func (c conn) detach(ctx context.Context) context.Context {
	if c.detached && ctx.Done() != nil {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// noteWrite records in the transaction that query may change what a token resolves to.
func (c conn) noteWrite(query string) {
	if c.accounts != nil && !*c.accounts && tokenWrite(query) {
		*c.accounts = true
	}
}

// prepared is the prepared statement of query (rebound) for c, nil when it has none (yet),
// and the func to call once the statement's call has begun (stmt_cache.go).
func (c conn) prepared(ctx context.Context, query string) (*sql.Stmt, func()) {
	if c.txStmts != nil {
		return c.txStmts.in(ctx, c.tx, query), func() {}
	}
	return c.stmts.get(ctx, query)
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = c.detach(ctx)
	c.noteWrite(query)
	q := c.d.rebind(query)
	if st, begun := c.prepared(ctx, q); st != nil {
		defer begun()
		r, err := st.ExecContext(ctx, args...)
		return r, c.d.mapErr(err)
	}
	r, err := c.q.ExecContext(ctx, q, args...)
	return r, c.d.mapErr(err)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = c.detach(ctx)
	c.noteWrite(query)
	q := c.d.rebind(query)
	if st, begun := c.prepared(ctx, q); st != nil {
		defer begun()
		r, err := st.QueryContext(ctx, args...)
		return r, c.d.mapErr(err)
	}
	r, err := c.q.QueryContext(ctx, q, args...)
	return r, c.d.mapErr(err)
}

// insertID runs insert, an INSERT of one row into a table whose key is id (an ON CONFLICT …
// DO NOTHING may skip it), and returns the row's id, 0 when it inserted none: on SQLite from
// the statement's result (the rows it changed, the last rowid), which costs the one writer less
// than reading a RETURNING row back; on PostgreSQL from RETURNING id.
func (c conn) insertID(ctx context.Context, insert string, args ...any) (int64, error) {
	if c.d.name == "postgres" {
		var id int64
		err := c.queryRow(ctx, insert+` RETURNING id`, args, &id)
		if errors.Is(err, model.ErrNotFound) {
			return 0, nil
		}
		return id, err
	}
	r, err := c.exec(ctx, insert, args...)
	if err != nil {
		return 0, err
	}
	last, _, err := inserted(r)
	return last, err
}

// inserted is what an INSERT on SQLite reports of the rows it inserted: how many, and the
// rowid of the last (0 when none). SQLite numbers the rows of one statement one after the other
// on its one writer, so the others' are just below it.
func inserted(r sql.Result) (last, n int64, err error) {
	if n, err = r.RowsAffected(); err != nil || n == 0 {
		return 0, n, err
	}
	last, err = r.LastInsertId()
	return last, n, err
}

// queryRow runs a one-row query and scans it; no row is model.ErrNotFound.
func (c conn) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	ctx = c.detach(ctx)
	c.noteWrite(query)
	q := c.d.rebind(query)
	if st, begun := c.prepared(ctx, q); st != nil {
		defer begun()
		return c.d.mapErr(st.QueryRowContext(ctx, args...).Scan(dest...))
	}
	err := c.q.QueryRowContext(ctx, q, args...).Scan(dest...)
	return c.d.mapErr(err)
}

// Tx is one transaction. Write methods live on Tx so that callers can group several writes;
// the Store's write methods each run in a Tx of their own.
type Tx struct {
	conn
	s      *Store
	audits []auditEntry // audit records of this transaction's writes, appended before COMMIT
	// auditsLeft are its records made and left for its group commit to append (flushAudit).
	auditsLeft []*model.AuditRecord
	// conflicts are refused registrations of ID numbers held outside the caller's scope
	// (conflict.go): recorded with the write, or after its rollback in a transaction of their own.
	conflicts []queuedConflict
	created   map[int64]bool // households created in this transaction
	// unitCounts and activityCounts are the adjustments of the units' counters this
	// transaction made, written at its end (flushUnitCounts).
	unitCounts     map[unitCountKey]int64
	activityCounts map[activityCountKey]int64
	// orderStats are the adjustments of the order statistics this transaction made, written
	// at its end (flushOrderStats).
	orderStats map[orderStatKey]*model.OrderStatVector
	// batched: the transaction is one of a group commit (tx_batch.go), which writes the
	// order statistics of all its transactions once, at its end; statsReset: this one
	// recounted them from the orders (RebuildOrderStats), so what the batch held before is
	// in its count.
	batched, statsReset bool
	// events are the rows of the events this transaction published, written at its end
	// (flushEvents); published are their hub keys, woken when it commits (event.go).
	events    []eventRow
	published []int64
	// notified are the notifications this transaction sent, for the outbox (SetOutbox).
	notified []int64
}

// Tx runs fn in a transaction: committed when fn returns nil, rolled back otherwise.
func (s *Store) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	if s.batch != nil {
		return s.batch.run(s, ctx, fn)
	}
	s.txStmts.prepareWanted(ctx)
	sqlTx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return s.d.mapErr(err)
	}
	if s.d.name == "postgres" {
		// A transaction's statements are nearly all by key, run again and again (an order's
		// transition runs thirty): they keep the driver's cached plans (openPostgres plans
		// the rest for their values), which took a third off the orders' flow.
		if _, err := sqlTx.ExecContext(ctx, `SET LOCAL plan_cache_mode = auto`); err != nil {
			_ = sqlTx.Rollback()
			return s.d.mapErr(err)
		}
	}
	return s.runTx(ctx, sqlTx, fn)
}

// runTx runs fn in the begun transaction sqlTx, appends its audit records and commits, or rolls
// back when fn or the audit fails.
func (s *Store) runTx(ctx context.Context, sqlTx *sql.Tx, fn func(tx *Tx) error) error {
	tx := newTx(s, sqlTx)
	if fnFailed, err := tx.runFlushed(ctx, fn); err != nil {
		_ = sqlTx.Rollback()
		if fnFailed && len(tx.conflicts) > 0 {
			// The refusal stands; what it refused is still recorded (and a caller over its
			// lookup limit gets that answer instead).
			if kerr := s.keepConflicts(ctx, tx.conflicts, tx.created); kerr != nil {
				return kerr
			}
		}
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return s.d.mapErr(err)
	}
	if s.checkpoints != nil {
		s.checkpoints.committed()
	}
	if *tx.accounts {
		// A token may no longer resolve to what the cache holds.
		s.tokens.invalidate()
	}
	if len(tx.published) > 0 {
		s.events.wake(tx.publishedKeys())
	}
	return nil
}

// newTx is a transaction of s on the begun sqlTx.
func newTx(s *Store, sqlTx *sql.Tx) *Tx {
	return &Tx{conn: conn{q: sqlTx, d: s.d, keys: s.keys, tx: sqlTx, txStmts: s.txStmts, accounts: new(bool)}, s: s}
}

// touchesAccounts marks tx as changing what tokens resolve to, for writes that do not go
// through its statements (the bulk load's own prepared ones).
func (tx *Tx) touchesAccounts() { *tx.accounts = true }

// runFlushed runs fn in tx and then writes what the transaction kept for its end (the
// counters, the statistics, the refused registrations, the audit records, the wake-ups and
// the outbox): everything but the commit. fnFailed says the error is fn's own.
func (tx *Tx) runFlushed(ctx context.Context, fn func(tx *Tx) error) (fnFailed bool, err error) {
	s := tx.s
	if err := fn(tx); err != nil {
		return true, err
	}
	// The units' counters (unit_count.go) last but for the audit: their rows are the hottest
	// of the transaction and are locked here in key order after every other lock it took, so
	// two writers never wait for each other's counter and row in opposite orders.
	if err := tx.flushUnitCounts(ctx); err != nil {
		return false, err
	}
	if !tx.batched {
		if err := tx.flushOrderStats(ctx); err != nil {
			return false, err
		}
	}
	if err := tx.writeConflicts(ctx); err != nil {
		return false, err
	}
	// A batched transaction's events are written by its batch, together with those of the
	// batch's other transactions, before the one commit (tx_batch.go): no transaction reads
	// them.
	if !tx.batched {
		if err := tx.flushEvents(ctx); err != nil {
			return false, err
		}
	}
	// The audit records go into the same transaction: if they cannot be written, neither is
	// the change they record.
	if err := tx.flushAudit(ctx); err != nil {
		return false, err
	}
	// The other instances' wake-up of the events published: delivered by PostgreSQL at the
	// commit, dropped with a rollback.
	if err := tx.notifyPublished(ctx); err != nil {
		return false, err
	}
	if s.outbox != nil && len(tx.notified) > 0 {
		if err := s.outbox(ctx, tx.tx, tx.notified); err != nil {
			return false, err
		}
	}
	return false, nil
}

// reader runs SQL on the read pool through its prepared statements; writer on the write
// connection outside a transaction (single statements whose own atomicity is enough). Every
// statement of the store runs through one of them or a Tx: one path, one placeholder rewrite,
// one error mapping.
func (s *Store) reader() conn { return conn{q: s.read, d: s.d, stmts: s.stmts, keys: s.keys} }

func (s *Store) writer() conn { return conn{q: s.write, d: s.d, keys: s.keys} }

// now is the store's clock, truncated so both engines round-trip it exactly.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
