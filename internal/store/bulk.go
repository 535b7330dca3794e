package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Bulk writes territories, households and residents fast, for the demo city, imports and the
// benchmark: ids are assigned here, rows go out in batches (multi-row INSERTs on SQLite, COPY on
// PostgreSQL) and the maintained counts are adjusted once per node at the end instead of once
// per row. Use it through Store.Bulk or Store.BulkLoad.
// Rows are trusted: callers validate them (importer) or generate them valid (demo).
//
// The caller's goroutine builds rows (and seals personal data); one writer goroutine started
// for the Bulk sends full batches to the database meanwhile, in the order they were made, so
// generating and writing use two cores. A write error stops the writer; the next Add returns it.
type Bulk struct {
	tx        *Tx
	ctx       context.Context
	raw       *sql.Conn // the connection tx runs on (PostgreSQL's COPY needs the driver's own)
	nextTerr  int64
	nextHH    int64
	nextRes   int64
	nodes     map[int64]bulkNode
	deltas    map[int64][2]int64 // node id → households, residents added directly to it
	pending   map[string]*batch
	ts        time.Time
	event     string // household history entry written with each household, "" for none
	actor     any
	first     [3]int64    // the first territory, household and resident id of this Bulk
	audit     authz.Scope // who the one audit record of the Bulk names; System() by default
	action    string      // its action: "bulk.load", or "household.import" after RecordEvents
	deferred  []deferred  // BulkLoad: indexes and foreign keys dropped at the start, back before COMMIT
	batchRows int         // rows per batch: bulkRows or copyRows
	unordered bool        // no foreign key is checked before COMMIT: a child's batch may go before its parents'
	mem       memberBulk  // the party members added (AddMember)

	jobs chan bulkJob  // to the writer goroutine; closed by stop
	done chan struct{} // closed when the writer goroutine has ended
	mu   sync.Mutex
	werr error // the writer's first error
}

type bulkNode struct {
	path      string
	community any // the community's id, nil above communities
	kind      model.TerritoryKind
}

type batch struct {
	table   string
	columns []string
	rows    [][]any
	full    *sql.Stmt // SQLite: the INSERT of a full batch, prepared once per transaction by the writer
}

// bulkJob is one batch for the writer, or (ack != nil) a request to say when all before it is written.
type bulkJob struct {
	b    *batch
	rows [][]any
	ack  chan struct{}
}

// bulkRows is the batch of a multi-row INSERT (SQLite), copyRows that of a COPY (PostgreSQL):
// each COPY statement costs a round trip and the server's set-up, so fewer and larger.
const (
	bulkRows = 1000
	copyRows = 5000
)

// Bulk runs fn inside one transaction with a Bulk writer; everything or nothing is written.
// Every index stays in place, so each row is checked as it goes in: the importer's and the
// jobs' way, for loads that are small beside what the tables already hold.
func (s *Store) Bulk(ctx context.Context, fn func(b *Bulk) error) error {
	return s.bulk(ctx, false, fn)
}

// BulkLoad is Bulk for loads that are large beside what the tables hold (the demo city, the
// benchmark). Inside its transaction it drops the blind indexes of ID numbers and phones, whose
// keys arrive in random order and would cost a random B-tree page per row, and on PostgreSQL the
// foreign keys of households, household_events and residents, which a trigger would check with
// one query per row; it builds and adds them again once before COMMIT, each checking all rows at
// once. Uniqueness of ID numbers is checked then: a duplicate (within the load or against
// residents already there) fails the whole load with a *model.ConflictError naming both
// residents, and nothing is written; so does a row whose parent is missing, with the foreign
// key's error. On PostgreSQL the transaction holds ACCESS EXCLUSIVE locks on territories,
// households, household_events and residents meanwhile: readers of them wait until it ends.
func (s *Store) BulkLoad(ctx context.Context, fn func(b *Bulk) error) error {
	return s.bulk(ctx, true, fn)
}

func (s *Store) bulk(ctx context.Context, load bool, fn func(b *Bulk) error) error {
	// On PostgreSQL the transaction runs on a connection of its own, so that COPY can reach the
	// driver's connection. SQLite's single write connection goes back to the pool as any Tx's
	// does: at once when ctx ends (a cancelled job's connection goes to whoever waits for it).
	var raw *sql.Conn
	db := interface {
		BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
	}(s.write)
	if s.d.name == "postgres" {
		var err error
		if raw, err = s.write.Conn(ctx); err != nil {
			return s.d.mapErr(err)
		}
		defer raw.Close()
		db = raw
	}
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return s.d.mapErr(err)
	}
	return s.runTx(ctx, sqlTx, func(tx *Tx) error {
		// Its rows go in through statements of its own (and COPY), not tx's: it counts as
		// writing everything, the accounts and territories among them.
		tx.touchesAccounts()
		b := &Bulk{tx: tx, ctx: tx.detach(ctx), raw: raw, nodes: map[int64]bulkNode{}, deltas: map[int64][2]int64{}, pending: map[string]*batch{}, ts: now(), batchRows: bulkRows,
			mem: memberBulk{orgs: map[int64]*memberOrgRef{}}}
		if raw != nil {
			b.batchRows = copyRows
		}
		// Bulk numbers rows itself from MAX(id)+1: no other writer may insert meanwhile.
		if err := s.d.lockForBulk(ctx, tx.conn, load); err != nil {
			return err
		}
		for _, x := range []struct {
			table string
			next  *int64
		}{{"territories", &b.nextTerr}, {"households", &b.nextHH}, {"residents", &b.nextRes}} {
			if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM `+x.table, nil, x.next); err != nil {
				return err
			}
		}
		b.first = [3]int64{b.nextTerr, b.nextHH, b.nextRes}
		b.audit, b.action = authz.System(), "bulk.load"
		if load {
			if err := b.dropDeferred(); err != nil {
				return err
			}
		}
		b.jobs, b.done = make(chan bulkJob, 4), make(chan struct{})
		go b.write()
		err := func() (err error) {
			defer func() {
				// The writer must be done with the transaction before it ends, whatever fn did;
				// its error comes first, fn's may only be a consequence of it.
				if werr := b.stop(); werr != nil {
					err = werr
				}
			}()
			if err := fn(b); err != nil {
				return err
			}
			return b.Flush()
		}()
		if err != nil {
			return err
		}
		return b.finish()
	})
}

// Node returns what Bulk needs of an existing node (loaded once and cached).
func (b *Bulk) node(id int64) (bulkNode, error) {
	if n, ok := b.nodes[id]; ok {
		return n, nil
	}
	// The writer must be idle: one connection runs one statement at a time.
	if err := b.sync(); err != nil {
		return bulkNode{}, err
	}
	var n bulkNode
	var community sql.NullInt64
	if err := b.tx.queryRow(b.ctx, `SELECT path, community_id, kind FROM territories WHERE id = ?`, []any{id}, &n.path, &community, &n.kind); err != nil {
		return n, fmt.Errorf("territory %d: %w", id, err)
	}
	if community.Valid {
		n.community = community.Int64
	}
	b.nodes[id] = n
	return n, nil
}

// AddTerritory inserts a node under parentID (0 for a root) and returns its id.
func (b *Bulk) AddTerritory(parentID int64, kind model.TerritoryKind, name, code string) (int64, error) {
	id := b.nextTerr
	b.nextTerr++
	n := bulkNode{path: model.ChildPath("/", id), kind: kind}
	var parent any
	if parentID != 0 {
		p, err := b.node(parentID)
		if err != nil {
			return 0, err
		}
		n.path, n.community, parent = model.ChildPath(p.path, id), p.community, parentID
	}
	if kind == model.KindCommunity {
		n.community = id
	}
	b.nodes[id] = n
	var codeArg any
	if code != "" {
		codeArg = code
	}
	return id, b.add("territories", []string{"id", "parent_id", "kind", "name", "code", "path", "community_id", "created_at", "updated_at"},
		id, parent, string(kind), name, codeArg, n.path, n.community, b.ts, b.ts)
}

// RecordEvents makes every following AddHousehold write a history entry with action (e.g.
// "imported") by the scope's user, as single writes do. The demo and the benchmark skip it.
func (b *Bulk) RecordEvents(action string, actorID int64) {
	b.event = action
	b.actor = nil
	if actorID != 0 {
		b.actor = actorID
	}
	b.action = "household." + strings.TrimSuffix(action, "ed")
}

// AuditAs names sc as the one who did this Bulk in its audit record (one record with the counts,
// however many rows). Without it the record names the operator (System()).
func (b *Bulk) AuditAs(sc authz.Scope) { b.audit = sc }

// AddHousehold inserts h (its TerritoryID, Address, Flags, HeadName, Members and MovedInAt are
// used) and sets h.ID and h.Path.
func (b *Bulk) AddHousehold(h *model.Household) error {
	n, err := b.node(h.TerritoryID)
	if err != nil {
		return err
	}
	h.ID, h.Path = b.nextHH, n.path
	b.nextHH++
	var in any
	if h.MovedInAt != nil {
		in = dateOf(*h.MovedInAt)
	}
	d := b.deltas[h.TerritoryID]
	d[0]++
	b.deltas[h.TerritoryID] = d
	if err := b.add("households", []string{"id", "territory_id", "community_id", "path", "address", "head_name", "members",
		"elderly_alone", "hardship", "disability", "mobile", "moved_in_at", "created_at", "updated_at"},
		h.ID, h.TerritoryID, n.community, n.path, h.Address, h.HeadName, h.Members,
		h.Flags.ElderlyAlone, h.Flags.Hardship, h.Flags.Disability, h.Flags.Mobile, in, b.ts, b.ts); err != nil {
		return err
	}
	if b.event == "" {
		return nil
	}
	return b.add("household_events", []string{"household_id", "action", "detail", "actor_id", "at"},
		h.ID, b.event, h.Address, b.actor, b.ts)
}

// AddResident inserts r into household r.HouseholdID at node r.TerritoryID and sets r.ID; its
// ID number and phone are sealed on the way (pii.ErrNoKeys without a keyring).
// The household's members and head_name are the caller's to set on AddHousehold.
func (b *Bulk) AddResident(r *model.Resident) error {
	n, err := b.node(r.TerritoryID)
	if err != nil {
		return err
	}
	p, err := sealResident(b.tx.keys, r.IDNumber.Plain(), r.Phone.Plain())
	if err != nil {
		return err
	}
	r.ID = b.nextRes
	b.nextRes++
	d := b.deltas[r.TerritoryID]
	d[1]++
	b.deltas[r.TerritoryID] = d
	return b.add("residents", []string{"id", "household_id", "territory_id", "community_id", "path", "name", "gender", "birth_date",
		"phone_enc", "phone_idx", "id_number_enc", "id_number_idx", "relation", "political_status", "occupation", "created_at", "updated_at"},
		r.ID, r.HouseholdID, r.TerritoryID, n.community, n.path, r.Name, string(r.Gender), dateOf(r.BirthDate),
		p.phoneEnc, p.phoneIdx, p.idEnc, p.idIdx, string(r.Relation), string(r.PoliticalStatus), r.Occupation, b.ts, b.ts)
}

func (b *Bulk) add(table string, columns []string, values ...any) error {
	p := b.pending[table]
	if p == nil {
		p = &batch{table: table, columns: columns}
		b.pending[table] = p
	}
	p.rows = append(p.rows, values)
	if len(p.rows) >= b.batchRows {
		return b.flushTable(table)
	}
	return nil
}

// Flush writes the buffered rows of every table, parents before children, and waits until they
// are written: after it the transaction holds every row added so far.
func (b *Bulk) Flush() error {
	for _, t := range []string{"territories", "households", "household_events", "residents", "party_members", "party_member_events", "party_dues_payments"} {
		if err := b.flushTable(t); err != nil {
			return err
		}
	}
	return b.sync()
}

// flushTable hands table's buffered rows to the writer.
func (b *Bulk) flushTable(table string) error {
	p := b.pending[table]
	if p == nil || len(p.rows) == 0 {
		return nil
	}
	// Children reference parents: while foreign keys are checked row by row, a table's rows go
	// out only after its parents' buffered rows. (Without that need, a table's batches stay full:
	// else every batch of residents would drag a part-filled one of households along.)
	switch {
	case table == "party_members": // the members' foreign keys are never dropped
		if err := b.flushTable("residents"); err != nil {
			return err
		}
	case table == "party_member_events" || table == "party_dues_payments":
		if err := b.flushTable("party_members"); err != nil {
			return err
		}
	case b.unordered:
	case table == "households":
		if err := b.flushTable("territories"); err != nil {
			return err
		}
	case table == "residents" || table == "household_events":
		if err := b.flushTable("households"); err != nil {
			return err
		}
	}
	if err := b.err(); err != nil {
		return err
	}
	rows := p.rows
	p.rows = make([][]any, 0, b.batchRows)
	b.jobs <- bulkJob{b: p, rows: rows}
	return nil
}

// write is the writer goroutine: it writes the batches in the order they were handed over and,
// after a failure, only answers acks.
func (b *Bulk) write() {
	defer close(b.done)
	for j := range b.jobs {
		if j.ack != nil {
			close(j.ack)
			continue
		}
		if b.err() != nil {
			continue
		}
		if err := b.insert(j.b, j.rows); err != nil {
			b.mu.Lock()
			b.werr = fmt.Errorf("bulk insert into %s: %w", j.b.table, err)
			b.mu.Unlock()
		}
	}
	for _, p := range b.pending {
		if p.full != nil {
			p.full.Close()
		}
	}
}

func (b *Bulk) err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.werr
}

// sync waits until the writer has written everything handed to it and returns its error.
func (b *Bulk) sync() error {
	if b.jobs == nil {
		return nil
	}
	ack := make(chan struct{})
	b.jobs <- bulkJob{ack: ack}
	<-ack
	return b.err()
}

// stop ends the writer goroutine after what it was given and returns its error.
func (b *Bulk) stop() error {
	close(b.jobs)
	<-b.done
	b.jobs = nil
	return b.err()
}

// insert writes rows into p.table: COPY on PostgreSQL, a multi-row INSERT on SQLite.
func (b *Bulk) insert(p *batch, rows [][]any) error {
	d := b.tx.d
	if d.name == "postgres" {
		return d.mapErr(b.raw.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("bulk: driver connection %T is not pgx", dc)
			}
			_, err := c.Conn().CopyFrom(b.ctx, pgx.Identifier{p.table}, p.columns, pgx.CopyFromRows(rows))
			return err
		}))
	}
	args := make([]any, 0, len(rows)*len(p.columns))
	for _, r := range rows {
		args = append(args, r...)
	}
	if len(rows) != bulkRows {
		_, err := b.tx.exec(b.ctx, insertRows(p.table, p.columns, len(rows)), args...)
		return err
	}
	// Full batches repeat the same statement: parse it once, not once per batch.
	if p.full == nil {
		var err error
		if p.full, err = b.tx.q.(*sql.Tx).PrepareContext(b.ctx, insertRows(p.table, p.columns, bulkRows)); err != nil {
			return d.mapErr(err)
		}
	}
	_, err := p.full.ExecContext(b.ctx, args...)
	return d.mapErr(err)
}

// insertRows is a multi-row INSERT of n rows with ? placeholders.
func insertRows(table string, columns []string, n int) string {
	row := "(" + inList(len(columns)) + ")"
	var q strings.Builder
	q.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(row)
	}
	return q.String()
}

// finish runs after the writer has stopped: the maintained counts, the audit record, the
// sequences and the deferred indexes.
func (b *Bulk) finish() error {
	total := map[int64][2]int64{}
	for id, d := range b.deltas {
		n, err := b.node(id)
		if err != nil {
			return err
		}
		for _, a := range model.PathIDs(n.path) {
			t := total[a]
			t[0] += d[0]
			t[1] += d[1]
			total[a] = t
		}
	}
	// A thousand nodes per statement, not one statement per node: a million households live in
	// some 70,000 nodes, and on PostgreSQL each statement is a round trip.
	ids := slices.Sorted(maps.Keys(total))
	for len(ids) > 0 {
		n := min(len(ids), bulkRows)
		var q strings.Builder
		args := make([]any, 0, 3*n)
		// The VALUES columns are column1, column2, … on both engines; the casts type them on PostgreSQL.
		q.WriteString(`UPDATE territories SET households = territories.households + v.column2, residents = territories.residents + v.column3
			FROM (VALUES (CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))`)
		q.WriteString(strings.Repeat(", (?, ?, ?)", n-1))
		q.WriteString(`) AS v WHERE territories.id = v.column1`)
		for _, id := range ids[:n] {
			args = append(args, id, total[id][0], total[id][1])
		}
		if _, err := b.tx.exec(b.ctx, q.String(), args...); err != nil {
			return err
		}
		ids = ids[n:]
	}
	if err := b.memberBulkFinish(); err != nil {
		return err
	}
	if b.nextTerr > b.first[0] || b.nextHH > b.first[1] || b.nextRes > b.first[2] || b.mem.next == 0 {
		b.tx.audit(b.audit, b.action, "", nil, fmt.Sprintf("territories=%d households=%d residents=%d",
			b.nextTerr-b.first[0], b.nextHH-b.first[1], b.nextRes-b.first[2]))
	}
	if err := b.tx.s.d.syncSequences(b.ctx, b.tx.conn); err != nil {
		return err
	}
	return b.restoreDeferred()
}

// deferred is something BulkLoad takes off the tables it fills at its start and puts back before
// COMMIT, an index or a foreign key: its name and the statements that drop it and create it as
// the schema has it (read from the catalog, so a migration that changes one changes this too).
type deferred struct {
	name, drop, create string
	index              bool
}

// bulkDeferredIndexes are the indexes BulkLoad drops on both engines: the blind indexes of ID
// numbers and phones, whose keys (HMACs) arrive in random order and would cost a random B-tree
// page per row.
var bulkDeferredIndexes = []string{"residents_id_number_idx", "residents_phone_idx"}

// dropDeferred drops, inside the transaction, the bulkDeferredIndexes and, on PostgreSQL, the
// foreign keys of the tables rows go into: a foreign key is checked by a trigger that runs one
// query per row (3.6 million of them for a million households), while adding it back checks all
// rows in one join. SQLite cannot drop a foreign key; its per-row check is a B-tree probe there.
func (b *Bulk) dropDeferred() error {
	names := bulkDeferredIndexes
	q := `SELECT name, 'DROP INDEX ' || name, sql, 1 FROM sqlite_master WHERE type = 'index' AND name IN (` + inList(len(names)) + `)`
	if b.tx.d.name == "postgres" {
		q = `SELECT indexname, 'DROP INDEX ' || quote_ident(indexname), indexdef, 1 FROM pg_indexes
			WHERE schemaname = current_schema() AND indexname IN (` + inList(len(names)) + `)
			UNION ALL
			SELECT conname, format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname),
				format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid)), 0
			FROM pg_constraint
			WHERE contype = 'f' AND conrelid IN ('households'::regclass, 'household_events'::regclass, 'residents'::regclass)`
	}
	// Indexes first, then foreign keys: the order they are put back in.
	q += ` ORDER BY 4 DESC, 1`
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = n
	}
	rows, err := b.tx.query(b.ctx, q, args...)
	if err != nil {
		return fmt.Errorf("bulk load: catalog: %w", err)
	}
	defer rows.Close()
	var indexes int
	for rows.Next() {
		var d deferred
		var index int
		if err := rows.Scan(&d.name, &d.drop, &d.create, &index); err != nil {
			return err
		}
		d.index = index == 1
		if d.index {
			indexes++
		} else {
			b.unordered = true
		}
		b.deferred = append(b.deferred, d)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	if indexes != len(names) {
		return fmt.Errorf("bulk load: found %d of the indexes %q", indexes, names)
	}
	for _, d := range b.deferred {
		if _, err := b.tx.exec(b.ctx, d.drop); err != nil {
			return fmt.Errorf("bulk load: drop %s: %w", d.name, err)
		}
	}
	return nil
}

// restoreDeferred creates the dropped indexes and foreign keys again, each checking every row at
// once. A unique index that cannot be built because two residents share an ID number answers a
// *model.ConflictError naming them; a row whose parent is missing fails its foreign key.
func (b *Bulk) restoreDeferred() error {
	if len(b.deferred) == 0 {
		return nil
	}
	if b.tx.d.name == "postgres" {
		// Sorting 2.6 million keys in memory instead of in temporary files.
		if _, err := b.tx.exec(b.ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
			return err
		}
	}
	for _, d := range b.deferred {
		if !d.index {
			if _, err := b.tx.exec(b.ctx, d.create); err != nil {
				return fmt.Errorf("bulk load: %s: %w", d.name, err)
			}
			continue
		}
		// A savepoint, so that after a failed build (PostgreSQL aborts the transaction) the
		// duplicate can still be looked up.
		if _, err := b.tx.exec(b.ctx, `SAVEPOINT bulk_index`); err != nil {
			return err
		}
		_, err := b.tx.exec(b.ctx, d.create)
		if errors.Is(err, model.ErrConflict) {
			if _, rerr := b.tx.exec(b.ctx, `ROLLBACK TO SAVEPOINT bulk_index`); rerr != nil {
				return errors.Join(err, rerr)
			}
			return b.duplicateIDNumber(err)
		}
		if err != nil {
			return fmt.Errorf("bulk load: create index %s: %w", d.name, err)
		}
		if _, err := b.tx.exec(b.ctx, `RELEASE SAVEPOINT bulk_index`); err != nil {
			return err
		}
	}
	return nil
}

// duplicateIDNumber finds two residents with one ID number (the cause of cause) and names them.
func (b *Bulk) duplicateIDNumber(cause error) error {
	var idx string
	if err := b.tx.queryRow(b.ctx, `SELECT id_number_idx FROM residents WHERE id_number_idx IS NOT NULL
		GROUP BY id_number_idx HAVING COUNT(*) > 1 LIMIT 1`, nil, &idx); err != nil {
		return fmt.Errorf("bulk load: unique index: %w (and no duplicate found: %v)", cause, err)
	}
	rows, err := b.tx.query(b.ctx, `SELECT r.id, r.name, r.id_number_enc, h.address FROM residents r
		JOIN households h ON h.id = r.household_id WHERE r.id_number_idx = ? ORDER BY r.id LIMIT 2`, idx)
	if err != nil {
		return err
	}
	defer rows.Close()
	var who []string
	var masked string
	for rows.Next() {
		var id int64
		var name, enc, address string
		if err := rows.Scan(&id, &name, &enc, &address); err != nil {
			return err
		}
		if number, err := b.tx.keys.Open(ColumnIDNumber, enc); err == nil {
			masked = model.MaskIDNumber(number)
		}
		state := "本次导入"
		if id < b.first[2] {
			state = "已登记"
		}
		who = append(who, fmt.Sprintf("%s（%s，%s）", name, address, state))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return &model.ConflictError{Message: fmt.Sprintf("身份证号 %s 重复：%s，未写入任何数据", masked, strings.Join(who, "与"))}
}

// dateOf is t's calendar date at midnight UTC, the form DATE columns are written in.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
