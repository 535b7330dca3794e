package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Bulk writes territories, households and residents fast, for the demo city, imports and the
// benchmark: ids are assigned here, rows go out in multi-row INSERTs, and the maintained counts
// are adjusted once per node at the end instead of once per row. Use it through Store.Bulk.
// Rows are trusted: callers validate them (importer) or generate them valid (demo).
type Bulk struct {
	tx       *Tx
	ctx      context.Context
	nextTerr int64
	nextHH   int64
	nextRes  int64
	nodes    map[int64]bulkNode
	deltas   map[int64][2]int64 // node id → households, residents added directly to it
	pending  map[string]*batch
	ts       time.Time
	event    string // household history entry written with each household, "" for none
	actor    any
	first    [3]int64    // the first territory, household and resident id of this Bulk
	audit    authz.Scope // who the one audit record of the Bulk names; System() by default
	action   string      // its action: "bulk.load", or "household.import" after RecordEvents
}

type bulkNode struct {
	path      string
	community sql.NullInt64
	kind      model.TerritoryKind
}

type batch struct {
	table   string
	columns []string
	rows    [][]any
	full    *sql.Stmt // the INSERT of a full batch, prepared once per transaction
}

const bulkRows = 1000

// Bulk runs fn inside one transaction with a Bulk writer; everything or nothing is written.
func (s *Store) Bulk(ctx context.Context, fn func(b *Bulk) error) error {
	return s.Tx(ctx, func(tx *Tx) error {
		b := &Bulk{tx: tx, ctx: ctx, nodes: map[int64]bulkNode{}, deltas: map[int64][2]int64{}, pending: map[string]*batch{}, ts: now()}
		// Bulk numbers rows itself from MAX(id)+1: no other writer may insert meanwhile.
		if err := s.d.lockForBulk(ctx, tx.conn); err != nil {
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
		if err := fn(b); err != nil {
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
	var n bulkNode
	if err := b.tx.queryRow(b.ctx, `SELECT path, community_id, kind FROM territories WHERE id = ?`, []any{id}, &n.path, &n.community, &n.kind); err != nil {
		return n, fmt.Errorf("territory %d: %w", id, err)
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
		n.community = sql.NullInt64{Int64: id, Valid: true}
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
	p, err := sealResident(b.tx.keys, r.IDNumber, r.Phone)
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
	if len(p.rows) >= bulkRows {
		return b.flushTable(table)
	}
	return nil
}

// Flush writes the buffered rows of every table, parents before children.
func (b *Bulk) Flush() error {
	for _, t := range []string{"territories", "households", "household_events", "residents"} {
		if err := b.flushTable(t); err != nil {
			return err
		}
	}
	return nil
}

func (b *Bulk) flushTable(table string) error {
	p := b.pending[table]
	if p == nil || len(p.rows) == 0 {
		return nil
	}
	// Children reference parents: a table's rows go out only after its parents' buffered rows.
	switch table {
	case "households":
		if err := b.flushTable("territories"); err != nil {
			return err
		}
	case "residents", "household_events":
		if err := b.flushTable("households"); err != nil {
			return err
		}
	}
	args := make([]any, 0, len(p.rows)*len(p.columns))
	for _, r := range p.rows {
		args = append(args, r...)
	}
	n := len(p.rows)
	p.rows = p.rows[:0]
	var err error
	if n == bulkRows {
		// Full batches repeat the same statement: parse it once, not once per batch.
		if p.full == nil {
			sqlTx := b.tx.q.(*sql.Tx)
			if p.full, err = sqlTx.PrepareContext(b.ctx, b.tx.d.rebind(insertRows(p.table, p.columns, n))); err != nil {
				return fmt.Errorf("bulk insert into %s: %w", table, b.tx.d.mapErr(err))
			}
		}
		_, err = p.full.ExecContext(b.ctx, args...)
		err = b.tx.d.mapErr(err)
	} else {
		_, err = b.tx.exec(b.ctx, insertRows(p.table, p.columns, n), args...)
	}
	if err != nil {
		return fmt.Errorf("bulk insert into %s: %w", table, err)
	}
	return nil
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

func (b *Bulk) finish() error {
	if err := b.Flush(); err != nil {
		return err
	}
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
	for id, t := range total {
		if _, err := b.tx.exec(b.ctx, `UPDATE territories SET households = households + ?, residents = residents + ? WHERE id = ?`, t[0], t[1], id); err != nil {
			return err
		}
	}
	for _, p := range b.pending {
		if p.full != nil {
			p.full.Close()
		}
	}
	b.tx.audit(b.audit, b.action, "", nil, fmt.Sprintf("territories=%d households=%d residents=%d",
		b.nextTerr-b.first[0], b.nextHH-b.first[1], b.nextRes-b.first[2]))
	return b.tx.s.d.syncSequences(b.ctx, b.tx.conn)
}

// dateOf is t's calendar date at midnight UTC, the form DATE columns are written in.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
