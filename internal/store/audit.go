package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
)

// The audit log is append-only and hash-chained: each row's hash is HMAC-SHA256, under the audit
// key it names (key_id; the key lives in the key file, never in the database), over the previous
// row's hash and the row's own canonical encoding (auditSum), so changing, removing or slipping
// in a row breaks the chain at a row VerifyAudit names, and someone who can write the database
// but lacks the key cannot recompute the chain after a change. Rows from before the chain was
// keyed keep plain SHA-256 hashes (AuditHash) and are covered by the first keyed row, whose
// prev_hash is their head (anchorAudit). Appends are serialized: SQLite has one
// writer; on PostgreSQL every append takes a transaction-scoped advisory lock, so any number of
// instances keep one chain. Writes queue their records on the Tx (Tx.audit) and Store.Tx appends
// them just before COMMIT, in the same transaction: if the append fails, the write is undone.

// AuditGenesis is the prev_hash of the first row of a chain.
const AuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000"

// AuditRetention is how long audit records are kept at least; PurgeAudit and the database
// triggers refuse to remove younger rows.
const AuditRetention = 3 * 365 * 24 * time.Hour

// auditLockKey is the PostgreSQL advisory lock that serializes appends ("gongzhi.audit").
const auditLockKey = 0x676f6e677a686961

// auditNow stamps appended records: the wall clock, or the clock a test set on this store
// (SetAuditClock: tests date records in the past to purge them).
func (s *Store) auditNow() time.Time {
	if s.auditClock != nil {
		return s.auditClock()
	}
	return now()
}

// auditEntry is a record queued on a Tx, appended at commit.
type auditEntry struct {
	sc         authz.Scope
	action     string
	objectType string
	ids        []int64
	detail     string
	result     model.AuditResult
	scope      *string // the record's territory path; nil: derived from the object, else the caller's scope
	actor      *model.User
}

// audit queues a record of a successful write done with sc on objects of objectType; Store.Tx
// appends it in the same transaction. detail is short and never holds personal values.
func (tx *Tx) audit(sc authz.Scope, action, objectType string, ids []int64, detail string) {
	tx.audits = append(tx.audits, auditEntry{sc: sc, action: action, objectType: objectType, ids: ids, detail: detail, result: model.AuditOK})
}

// auditAt is audit for an object that lies at path (used when the object is gone after the write).
func (tx *Tx) auditAt(sc authz.Scope, path, action, objectType string, ids []int64, detail string) {
	tx.audits = append(tx.audits, auditEntry{sc: sc, action: action, objectType: objectType, ids: ids, detail: detail, result: model.AuditOK, scope: &path})
}

// RecordAccess appends a record of a read that returned unmasked personal data (action e.g.
// "resident.reveal", "household.export") or another audited event without a write. It returns
// the error of the append; callers must then not hand out the data.
func (s *Store) RecordAccess(ctx context.Context, sc authz.Scope, action, objectType string, ids []int64, detail string) error {
	return s.Tx(ctx, func(tx *Tx) error {
		tx.audit(sc, action, objectType, ids, detail)
		return nil
	})
}

// RecordDenied appends a record of a request the policy refused: action is the policy action the
// route takes, sc the caller (the zero Scope when not logged in), detail the method and route.
// A refusal of a caller without an account is counted per minute, source and route instead
// (audit_denial.go), and only the first of its minute is recorded.
func (s *Store) RecordDenied(ctx context.Context, sc authz.Scope, action, detail string) error {
	scope := sc.Path
	return s.Tx(ctx, func(tx *Tx) error {
		if anonymous(sc) {
			first, err := tx.countDenial(ctx, detail, string(model.AuditDenied), action)
			if err != nil || !first {
				return err
			}
			detail += aggregatedNote
		}
		tx.audits = append(tx.audits, auditEntry{sc: sc, action: action, objectType: "route", detail: detail, result: model.AuditDenied, scope: &scope})
		return nil
	})
}

// aggregatedNote ends the detail of the one record written for a minute of aggregated refusals.
const aggregatedNote = " (first this minute from this source; the rest are counted in audit_denials)"

// RecordLogin appends a record of a login attempt: u is the account (nil for an unknown
// username, which is kept only as its length, never its text), action "auth.login" or
// "auth.lockout", result ok or failed.
func (s *Store) RecordLogin(ctx context.Context, username string, u *model.User, action string, result model.AuditResult, detail string) error {
	return s.Tx(ctx, func(tx *Tx) error {
		tx.auditLogin(username, u, action, result, detail)
		return nil
	})
}

func (tx *Tx) auditLogin(username string, u *model.User, action string, result model.AuditResult, detail string) {
	e := auditEntry{action: action, objectType: "user", detail: detail, result: result}
	scope := ""
	if u != nil {
		e.sc, e.actor, e.ids, scope = authz.ForUser(u), u, []int64{u.ID}, u.ScopePath
	} else {
		e.detail = strings.TrimSpace(fmt.Sprintf("unknown username (%d bytes) %s", len(username), detail))
	}
	e.scope = &scope
	tx.audits = append(tx.audits, e)
}

// flushAudit appends the queued records to the chain, under the append lock. A transaction
// of a group commit (tx_batch.go) leaves them, made, to its batch, which appends those of all
// its transactions at its end in one statement (batchWrites) — unless one of them is of a
// limited action: a later transaction of the batch may count those (the lookup allowance,
// lookup.go), so they are appended at once, as no other transaction reads the chain.
func (tx *Tx) flushAudit(ctx context.Context) error {
	if len(tx.audits) == 0 {
		return nil
	}
	counted := slices.ContainsFunc(tx.audits, func(e auditEntry) bool { return slices.Contains(LimitedActions, e.action) })
	recs, err := tx.auditRecords(ctx)
	if err != nil {
		return err
	}
	if tx.batched && !counted {
		tx.auditsLeft = append(tx.auditsLeft, recs...)
		return nil
	}
	return tx.appendAudit(ctx, recs)
}

// auditRecords makes the records of the queued entries (the actor's name, the territory of
// the object as the transaction sees it now) and empties the queue.
func (tx *Tx) auditRecords(ctx context.Context) ([]*model.AuditRecord, error) {
	recs := make([]*model.AuditRecord, 0, len(tx.audits))
	names := map[int64]string{}
	req := authz.RequestFrom(ctx)
	if u := authz.UserFrom(ctx); u != nil {
		names[u.ID] = u.Username
	}
	for _, e := range tx.audits {
		r := &model.AuditRecord{ActorID: e.sc.UserID, Role: e.sc.Role, Action: e.action, ObjectType: e.objectType,
			ObjectIDs: e.ids, Result: e.result, RequestID: req.ID, Source: req.Source, Detail: clip(e.detail, 500)}
		if e.actor != nil {
			names[e.actor.ID] = e.actor.Username
		}
		switch {
		case r.ActorID != 0:
			name, ok := names[r.ActorID]
			if !ok {
				if err := tx.queryRow(ctx, `SELECT username FROM users WHERE id = ?`, []any{r.ActorID}, &name); err != nil && !errors.Is(err, model.ErrNotFound) {
					return nil, err
				}
				names[r.ActorID] = name
			}
			r.ActorName = name
		case e.sc.All:
			r.ActorName = "system"
		}
		if e.scope != nil {
			r.Scope = *e.scope
		} else {
			p, err := tx.objectPath(ctx, e.objectType, e.ids)
			if err != nil {
				return nil, err
			}
			if p == "" {
				p = e.sc.Path
			}
			r.Scope = p
		}
		recs = append(recs, r)
	}
	tx.audits = nil
	return recs, nil
}

// objectPath is the territory path of the first object, "" when unknown or gone.
func (tx *Tx) objectPath(ctx context.Context, objectType string, ids []int64) (string, error) {
	if len(ids) == 0 {
		return "", nil
	}
	var q string
	switch objectType {
	case "territory":
		q = `SELECT path FROM territories WHERE id = ?`
	case "household":
		q = `SELECT path FROM households WHERE id = ?`
	case "resident":
		q = `SELECT path FROM residents WHERE id = ?`
	case "party_member":
		q = `SELECT path FROM party_members WHERE id = ?`
	case "user":
		q = `SELECT COALESCE(t.path, '') FROM users u LEFT JOIN territories t ON t.id = u.scope_id WHERE u.id = ?`
	default:
		return "", nil
	}
	var p string
	if err := tx.queryRow(ctx, q, []any{ids[0]}, &p); err != nil && !errors.Is(err, model.ErrNotFound) {
		return "", err
	}
	return p, nil
}

// appendAudit links recs onto the chain and inserts them; it runs inside the writer's
// transaction, after taking the append lock. They take the time of the append, so that the
// chain's times never go back (PurgeAudit cuts it by time): those a group commit appends at
// its end, the batch's.
func (tx *Tx) appendAudit(ctx context.Context, recs []*model.AuditRecord) error {
	if tx.s.d.name == "postgres" {
		if _, err := tx.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(auditLockKey)); err != nil {
			return fmt.Errorf("audit lock: %w", err)
		}
	}
	var lastID int64
	prev := AuditGenesis
	err := tx.queryRow(ctx, `SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1`, nil, &lastID, &prev)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return fmt.Errorf("audit head: %w", err)
	}
	kid := tx.keys.AuditKeyID()
	if kid == "" {
		return pii.ErrNoAuditKey
	}
	ts := tx.s.auditNow()
	step := max(tx.s.auditIDStep, 1)
	for _, r := range recs {
		lastID += step
		r.ID, r.At, r.PrevHash, r.KeyID = lastID, ts, prev, kid
		if r.Hash, err = auditSum(tx.keys, r); err != nil {
			return err
		}
		prev = r.Hash
	}
	// Several a statement.
	for len(recs) > 0 {
		chunk := recs[:rowRun(len(recs), 64)]
		recs = recs[len(chunk):]
		var q strings.Builder
		q.WriteString(`INSERT INTO audit_log (id, at, actor_id, actor_name, role, scope, action, object_type, object_ids, result, request_id, source, detail, prev_hash, key_id, hash) VALUES `)
		args := make([]any, 0, 16*len(chunk))
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			var actor any
			if r.ActorID != 0 {
				actor = r.ActorID
			}
			args = append(args, r.ID, r.At, actor, r.ActorName, string(r.Role), r.Scope, r.Action, r.ObjectType, joinIDs(r.ObjectIDs), string(r.Result),
				r.RequestID, r.Source, r.Detail, r.PrevHash, r.KeyID, r.Hash)
		}
		if _, err := tx.exec(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("audit append: %w", err)
		}
	}
	return nil
}

// AuditHash is the plain hash of r, as rows from before the keyed chain carry it: hex SHA-256
// over r.PrevHash and the canonical encoding of every other field (each as its byte length, a
// colon, the value and a semicolon, in column order; the time in UTC RFC 3339 with
// nanoseconds), so no two different rows encode alike. Anyone can compute it, which is why new
// rows are keyed (auditSum).
func AuditHash(r *model.AuditRecord) string {
	h := sha256.New()
	encodeAudit(h, r)
	return hex.EncodeToString(h.Sum(nil))
}

// auditSum is the hash r must carry: AuditHash for a row without a key id, else hex
// HMAC-SHA256 under the audit key r.KeyID over the key id and the same encoding.
// pii.ErrNoAuditKey when kr does not hold that key.
func auditSum(kr *pii.Keyring, r *model.AuditRecord) (string, error) {
	if r.KeyID == "" {
		return AuditHash(r), nil
	}
	h, err := kr.AuditMAC(r.KeyID)
	if err != nil {
		return "", err
	}
	writeField(h, r.KeyID)
	encodeAudit(h, r)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func writeField(h hash.Hash, s string) {
	h.Write([]byte(strconv.Itoa(len(s))))
	h.Write([]byte{':'})
	h.Write([]byte(s))
	h.Write([]byte{';'})
}

// encodeAudit writes r's canonical encoding (AuditHash) to h.
func encodeAudit(h hash.Hash, r *model.AuditRecord) {
	field := func(s string) { writeField(h, s) }
	field(r.PrevHash)
	field(strconv.FormatInt(r.ID, 10))
	field(r.At.UTC().Format(time.RFC3339Nano))
	field(strconv.FormatInt(r.ActorID, 10))
	field(r.ActorName)
	field(string(r.Role))
	field(r.Scope)
	field(r.Action)
	field(r.ObjectType)
	field(joinIDs(r.ObjectIDs))
	field(string(r.Result))
	field(r.RequestID)
	field(r.Source)
	field(r.Detail)
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func splitIDs(s string) []int64 {
	if s == "" {
		return nil
	}
	var out []int64
	for p := range strings.SplitSeq(s, ",") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// clip shortens s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

const auditColumns = `id, at, COALESCE(actor_id, 0), actor_name, role, scope, action, object_type, object_ids, result, request_id, source, detail, prev_hash, key_id, hash`

func scanAudit(sc rowScanner) (*model.AuditRecord, error) {
	r, _, err := scanAuditRaw(sc)
	return r, err
}

// scanAuditRaw is scanAudit that also returns object_ids as stored, so that VerifyAudit can
// tell a rewritten list ("01,2" for "1,2") that parses to the same ids.
func scanAuditRaw(sc rowScanner) (*model.AuditRecord, string, error) {
	var r model.AuditRecord
	var ids string
	if err := sc.Scan(&r.ID, &r.At, &r.ActorID, &r.ActorName, &r.Role, &r.Scope, &r.Action, &r.ObjectType, &ids, &r.Result,
		&r.RequestID, &r.Source, &r.Detail, &r.PrevHash, &r.KeyID, &r.Hash); err != nil {
		return nil, "", err
	}
	r.At = r.At.UTC()
	r.ObjectIDs = splitIDs(ids)
	return &r, ids, nil
}

// AuditFilter narrows an audit search. Zero fields do not filter.
type AuditFilter struct {
	Actor string // username, or the account id in digits
	// Subject is an object: "TYPE:ID" (resident:42) or a bare TYPE (household).
	Subject string
	// Action is a full action (resident.reveal) or its verb alone (reveal: every *.reveal).
	Action   string
	Result   model.AuditResult
	From, To time.Time // From ≤ at < To
	Limit    int
	Cursor   string
}

// AuditLog searches the audit log, newest first, for records whose scope lies in sc: an
// auditor sees what happened inside its own subtree; system-wide records (scope "") only the
// unscoped. Filters that do not parse are a *model.ValidationError.
func (s *Store) AuditLog(ctx context.Context, sc authz.Scope, f AuditFilter) (*Page[*model.AuditRecord], error) {
	var where []string
	var args []any
	if !sc.All {
		if sc.Path == "" {
			return &Page[*model.AuditRecord]{}, nil
		}
		lo, hi := authz.PathRange(sc.Path)
		where, args = append(where, "scope >= ?", "scope < ?"), append(args, lo, hi)
	}
	var v model.ValidationError
	if a := strings.TrimSpace(f.Actor); a != "" {
		if id, err := strconv.ParseInt(a, 10, 64); err == nil {
			where, args = append(where, "actor_id = ?"), append(args, id)
		} else {
			where, args = append(where, "actor_name = ?"), append(args, a)
		}
	}
	if subj := strings.TrimSpace(f.Subject); subj != "" {
		typ, id, hasID := strings.Cut(subj, ":")
		where, args = append(where, "object_type = ?"), append(args, typ)
		if hasID {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil || n <= 0 {
				v.Add("subject", "对象应为 类型:编号，例如 resident:42")
			} else {
				// object_ids is "1,2,3": match the id as a whole element.
				where, args = append(where, "(',' || object_ids || ',') LIKE ?"), append(args, "%,"+strconv.FormatInt(n, 10)+",%")
			}
		}
	}
	if a := strings.TrimSpace(f.Action); a != "" {
		if strings.Contains(a, ".") {
			where, args = append(where, "action = ?"), append(args, a)
		} else {
			where, args = append(where, "(action = ? OR action LIKE ? ESCAPE '\\')"), append(args, a, "%."+escapeLike(a))
		}
	}
	switch f.Result {
	case "":
	case model.AuditOK, model.AuditDenied, model.AuditFailed:
		where, args = append(where, "result = ?"), append(args, string(f.Result))
	default:
		v.Add("result", "结果应为 ok、denied 或 failed")
	}
	if !f.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, f.To.UTC())
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if cur.id != 0 {
		where, args = append(where, "id < ?"), append(args, cur.id)
	}
	cond := "1 = 1"
	if len(where) > 0 {
		cond = and(where)
	}
	page, err := fetchPage(ctx, s.reader(), `SELECT `+auditColumns+` FROM audit_log WHERE `+cond+` ORDER BY id DESC`, args, clampLimit(f.Limit),
		func(rs rowScanner) (*model.AuditRecord, cursor, error) {
			r, err := scanAudit(rs)
			if err != nil {
				return nil, cursor{}, err
			}
			return r, cursor{id: r.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	page.Total = -1
	return page, nil
}

// AuditHead names the newest row of the chain: its id and hash. Written "ID:HASH" (String),
// it is what an operator records outside the database (daily, say) and later gives back to
// VerifyAudit: a head that is missing or differs shows that the chain's tail was cut off or
// replaced, which the chain alone cannot show.
type AuditHead struct {
	ID   int64
	Hash string
}

// String is the one-line form "ID:HASH".
func (h AuditHead) String() string { return strconv.FormatInt(h.ID, 10) + ":" + h.Hash }

// ParseAuditHead reads "ID:HASH" (the hash 64 hex digits); a *model.ValidationError on field
// "expect_head" otherwise.
func ParseAuditHead(s string) (AuditHead, error) {
	id, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	n, err := strconv.ParseInt(id, 10, 64)
	hash = strings.ToLower(hash)
	if _, herr := hex.DecodeString(hash); !ok || err != nil || n <= 0 || herr != nil || len(hash) != 64 {
		var v model.ValidationError
		v.Add("expect_head", "链头应写作 编号:哈希（64 位十六进制），即 gongzhi audit verify 打印的那一行")
		return AuditHead{}, v.Err()
	}
	return AuditHead{ID: n, Hash: hash}, nil
}

// AuditVerification is the outcome of VerifyAudit.
type AuditVerification struct {
	Records  int64
	Keyed    int64 // rows signed under an audit key; the rest predate the keyed chain
	FirstID  int64
	HeadID   int64  // the newest row: note Head() outside the database to detect truncation
	HeadHash string //
	BrokenAt int64  // the id of the first row where the chain breaks; 0 when it holds
	Reason   string // why it breaks there
	// Expected is the head the caller recorded earlier (nil: none given); ExpectedReason says
	// why it does not match the log ("" when it does).
	Expected       *AuditHead
	ExpectedReason string
}

// OK reports whether the chain holds and contains the expected head, if one was given.
func (v *AuditVerification) OK() bool { return v.BrokenAt == 0 && v.ExpectedReason == "" }

// Head is the newest row's id and hash.
func (v *AuditVerification) Head() AuditHead { return AuditHead{ID: v.HeadID, Hash: v.HeadHash} }

// VerifyAudit walks the chain in id order under the store's audit keys and reports the first row
// where it breaks: a row whose contents do not match its hash (changed), whose prev_hash is not
// the hash of the row before it (a row before it was removed, changed or slipped in), that names
// an audit key the ring does not hold, or that carries a plain SHA-256 hash after the chain was
// keyed (rewritten by someone without the key). A log whose rows are all unkeyed is broken too:
// its keyed part was removed (or it was never anchored: gongzhi migrate). A chain that starts
// after genesis must be anchored by a purge record naming its first row. With expect, the row
// expect.ID must be there with hash expect.Hash, else ExpectedReason says what differs: the
// tail was truncated or replaced.
func (s *Store) VerifyAudit(ctx context.Context, expect *AuditHead) (*AuditVerification, error) {
	rows, err := s.reader().query(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	v := &AuditVerification{Expected: expect}
	var first *model.AuditRecord
	anchors := map[string]bool{} // "id anchor" of purge records
	prev := ""
	expectFound := false
	brk := func(id int64, reason string) {
		if v.BrokenAt == 0 {
			v.BrokenAt, v.Reason = id, reason
		}
	}
	for rows.Next() {
		r, rawIDs, err := scanAuditRaw(rows)
		if err != nil {
			return nil, err
		}
		v.Records++
		if first == nil {
			first, v.FirstID = r, r.ID
		} else if r.PrevHash != prev {
			brk(r.ID, fmt.Sprintf("prev_hash does not match the hash of the row before it (%d): a row was removed, changed or inserted", v.HeadID))
		}
		switch sum, err := auditSum(s.keys, r); {
		case r.KeyID == "" && v.Keyed > 0:
			brk(r.ID, "the row carries a plain SHA-256 hash after the chain was keyed: it was rewritten or inserted without the audit key")
		case err != nil:
			brk(r.ID, fmt.Sprintf("the row names audit key %q, which the key file does not hold: it was forged, or the key file lacks that key", r.KeyID))
		case sum != r.Hash || rawIDs != joinIDs(r.ObjectIDs):
			brk(r.ID, "the row's contents do not match its hash: it was changed")
		}
		if r.KeyID != "" {
			v.Keyed++
		}
		if r.Action == "audit.purge" && len(r.ObjectIDs) == 1 {
			if _, a, ok := strings.Cut(r.Detail, "anchor="); ok {
				anchors[strconv.FormatInt(r.ObjectIDs[0], 10)+" "+strings.Fields(a)[0]] = true
			}
		}
		if expect != nil && r.ID == expect.ID {
			expectFound = true
			if r.Hash != expect.Hash {
				v.ExpectedReason = fmt.Sprintf("第 %d 行的哈希与记录的链头不同：该行或它之前的记录被改写过", expect.ID)
			}
		}
		prev, v.HeadID, v.HeadHash = r.Hash, r.ID, r.Hash
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if first != nil && first.PrevHash != AuditGenesis && !anchors[strconv.FormatInt(first.ID, 10)+" "+first.PrevHash] {
		if v.BrokenAt == 0 || first.ID < v.BrokenAt {
			v.BrokenAt, v.Reason = first.ID, "the chain starts after genesis without a purge record anchoring it: rows before it were removed"
		}
	}
	if v.Records > 0 && v.Keyed == 0 {
		brk(v.HeadID, "no row is signed with an audit key: the keyed rows after this one were removed, or the log was never keyed (gongzhi migrate)")
	}
	if expect != nil && !expectFound {
		switch {
		case expect.ID > v.HeadID:
			v.ExpectedReason = fmt.Sprintf("记录的链头第 %d 行已不在审计日志中（现在的最后一行是第 %d 行）：日志末尾被截断", expect.ID, v.HeadID)
		default:
			v.ExpectedReason = fmt.Sprintf("记录的链头第 %d 行已不在审计日志中：它被删除了（或已过保留期被清除）", expect.ID)
		}
	}
	return v, nil
}

// CheckAudit is VerifyAudit done by a person (the API, the pages) with sc: the verification is
// itself an audit record (audit.verify, result failed when the chain breaks or the expected
// head is not in the log) in sc's scope, naming the head it saw; the returned head is the one
// verified, which that record then follows.
func (s *Store) CheckAudit(ctx context.Context, sc authz.Scope, expect *AuditHead) (*AuditVerification, error) {
	v, err := s.VerifyAudit(ctx, expect)
	if err != nil {
		return nil, err
	}
	result, detail := model.AuditOK, fmt.Sprintf("records=%d keyed=%d head=%s", v.Records, v.Keyed, v.Head())
	if expect != nil {
		detail += " expected=" + expect.String()
	}
	if v.BrokenAt != 0 {
		result, detail = model.AuditFailed, detail+fmt.Sprintf(" broken_at=%d", v.BrokenAt)
	}
	if v.ExpectedReason != "" {
		result, detail = model.AuditFailed, detail+" expected head missing or different"
	}
	var ids []int64
	if v.HeadID != 0 {
		ids = []int64{v.HeadID}
	}
	scope := sc.Path
	err = s.Tx(ctx, func(tx *Tx) error {
		tx.audits = append(tx.audits, auditEntry{sc: sc, action: "audit.verify", objectType: "audit_log", ids: ids, detail: detail, result: result, scope: &scope})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// anchorAudit covers the rows of a log from before the keyed chain (key_id ”) with the key:
// when the newest row is unkeyed it appends an audit.key record, signed with the current audit
// key, whose prev_hash is that row's hash, so none of the old rows can be changed without
// breaking a record only the key holder can compute. The old rows keep their plain hashes
// (rewriting them would need the append-only table to allow updates, and would launder any
// earlier tampering; VerifyAudit still checks them). It runs once, from Migrate; without an
// audit key and with old rows waiting it returns pii.ErrNoAuditKey.
func (s *Store) anchorAudit(ctx context.Context) (bool, error) {
	pending, err := s.auditUnanchored(ctx)
	if err != nil || !pending {
		return false, err
	}
	if s.keys.AuditKeyID() == "" {
		return false, pii.ErrNoAuditKey
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		var id, n int64
		var hash string
		if err := tx.queryRow(ctx, `SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1`, nil, &id, &hash); err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE key_id = ''`, nil, &n); err != nil {
			return err
		}
		scope := ""
		tx.audits = append(tx.audits, auditEntry{sc: authz.System(), action: "audit.key", objectType: "audit_log", ids: []int64{id},
			detail: fmt.Sprintf("keyed chain starts: %d earlier rows with plain SHA-256 hashes, head %d:%s, covered by this record's prev_hash; key %s", n, id, hash, s.keys.AuditKeyID()),
			result: model.AuditOK, scope: &scope})
		return nil
	})
	return err == nil, err
}

// AuditKeyUsage counts the audit records signed under each audit key id.
func (s *Store) AuditKeyUsage(ctx context.Context) (map[string]int64, error) {
	rows, err := s.reader().query(ctx, `SELECT key_id, COUNT(*) FROM audit_log WHERE key_id <> '' GROUP BY key_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var kid string
		var n int64
		if err := rows.Scan(&kid, &n); err != nil {
			return nil, err
		}
		out[kid] = n
	}
	return out, rows.Err()
}

// auditUnanchored reports whether the newest audit row carries no audit key (rows from before
// the keyed chain, not yet covered by anchorAudit).
func (s *Store) auditUnanchored(ctx context.Context) (bool, error) {
	var kid string
	err := s.reader().queryRow(ctx, `SELECT key_id FROM audit_log ORDER BY id DESC LIMIT 1`, nil, &kid)
	if errors.Is(err, model.ErrNotFound) {
		return false, nil
	}
	return err == nil && kid == "", err
}

// ErrRetention is returned by PurgeAudit for a date inside the retention period.
var ErrRetention = errors.New("审计记录至少保留三年：只能清除三年以前的记录")

// PurgeAudit removes audit records older than before, which must itself lie at least
// AuditRetention in the past (ErrRetention otherwise; the database triggers refuse younger rows
// too). It appends an audit.purge record anchoring the chain's new first row and returns how
// many rows it removed.
func (s *Store) PurgeAudit(ctx context.Context, sc authz.Scope, before time.Time) (int64, error) {
	if before.After(time.Now().Add(-AuditRetention)) {
		return 0, ErrRetention
	}
	var n int64
	err := s.Tx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM audit_log WHERE at < ?`, before.UTC())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		// The counters of aggregated denials (audit_denial.go) go with the records of their time.
		if _, err := tx.exec(ctx, `DELETE FROM audit_denials WHERE minute < ?`, before.UTC()); err != nil {
			return err
		}
		var firstID int64
		var anchor string
		err = tx.queryRow(ctx, `SELECT id, prev_hash FROM audit_log ORDER BY id LIMIT 1`, nil, &firstID, &anchor)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return err
		}
		detail := fmt.Sprintf("before=%s removed=%d", before.UTC().Format(time.DateOnly), n)
		var ids []int64
		if firstID != 0 {
			ids, detail = []int64{firstID}, detail+" anchor="+anchor
		}
		scope := ""
		tx.audits = append(tx.audits, auditEntry{sc: sc, action: "audit.purge", objectType: "audit_log", ids: ids, detail: detail, result: model.AuditOK, scope: &scope})
		return nil
	})
	return n, err
}

// auditVerb turns a history entry's past tense into the audit log's verb.
func auditVerb(event string) string {
	switch event {
	case "created", "moved_in":
		return "create"
	case "renamed":
		return "rename"
	case "moved":
		return "move"
	case "archived":
		return "archive"
	case "updated":
		return "update"
	case "moved_out":
		return "move_out"
	}
	return event
}
