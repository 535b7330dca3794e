package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// plainChain recomputes, the way someone with write access to the database but without the key
// file would, the plain SHA-256 chain from row index from to the end, and writes it back
// (prev_hash, hash and, with unkey, key_id ”). It returns whether the result is a consistent
// plain SHA-256 chain, which is all the unkeyed verifier checked.
func plainChain(t *testing.T, st *store.Store, rows []auditRow, from int, unkey bool) bool {
	t.Helper()
	for i := from; i < len(rows); i++ {
		r := &rows[i]
		if i > 0 {
			r.pv = rows[i-1].hash
		}
		if unkey {
			r.keyID = ""
		}
		r.hash = store.AuditHash(recordOf(*r))
		mustExec(t, st, `UPDATE audit_log SET prev_hash = ?, key_id = ?, hash = ?, detail = ? WHERE id = ?`, r.pv, r.keyID, r.hash, r.detail, r.id)
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].pv != rows[i-1].hash || store.AuditHash(recordOf(rows[i])) != rows[i].hash && i >= from {
			return false
		}
	}
	return true
}

func recordOf(r auditRow) *model.AuditRecord {
	var actor int64
	if id, ok := r.actorID.(int64); ok {
		actor = id
	}
	var ids []int64
	for p := range strings.SplitSeq(r.objectIDs, ",") {
		var n int64
		if _, err := fmt.Sscan(p, &n); err == nil {
			ids = append(ids, n)
		}
	}
	return &model.AuditRecord{ID: r.id, At: r.at.UTC(), ActorID: actor, ActorName: r.actorName, Role: model.Role(r.role), Scope: r.scope,
		Action: r.action, ObjectType: r.objectType, ObjectIDs: ids, Result: model.AuditResult(r.result), RequestID: r.requestID,
		Source: r.source, Detail: r.detail, PrevHash: r.pv}
}

func mustRecords(t *testing.T, st *store.Store, n int) {
	t.Helper()
	for i := range n {
		ctx := authz.WithRequest(context.Background(), authz.Request{ID: fmt.Sprintf("r-%d", i), Source: "10.0.0.1"})
		if err := st.RecordAccess(ctx, authz.System(), "resident.reveal", "resident", []int64{int64(i + 1)}, fmt.Sprintf("n=%d", i)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuditKeyedChain (issue 6, item 5): every row is signed under the audit key and names it;
// rewriting a middle row and recomputing a correct plain SHA-256 chain after it — which passed
// the unkeyed verifier — is detected at that row, whether the forger keeps the key ids or
// blanks them; and a verifier without the key cannot vouch for the chain.
func TestAuditKeyedChain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		mustRecords(t, st, 20)
		rows := mustRows(t, st)
		for _, r := range rows {
			if r.keyID != pii.AuditKeyPrefix+"-t" {
				t.Fatalf("row %d: key id %q, want audit-t", r.id, r.keyID)
			}
		}
		v := mustVerify(t, st)
		if v.Keyed != v.Records || v.Records != 20 {
			t.Fatalf("%d rows, %d keyed", v.Records, v.Keyed)
		}
		restore := auditTriggers(t, st)
		defer restore()
		for _, unkey := range []bool{false, true} {
			forged := append([]auditRow(nil), rows...)
			forged[9].detail = "n=hidden"
			if !plainChain(t, st, forged, 9, unkey) {
				t.Fatal("the forger's plain chain is not consistent")
			}
			v, err := st.VerifyAudit(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s, key ids kept %v: rewrite of row %d with a recomputed SHA-256 chain → broken at %d: %s", st.Engine(), !unkey, rows[9].id, v.BrokenAt, v.Reason)
			if v.OK() || v.BrokenAt != rows[9].id {
				t.Errorf("rewrite of row %d with a recomputed plain chain (key ids kept %v): broken at %d, want %d", rows[9].id, !unkey, v.BrokenAt, rows[9].id)
			}
			for _, r := range rows[9:] { // put the genuine rows back
				mustExec(t, st, `UPDATE audit_log SET prev_hash = ?, key_id = ?, hash = ?, detail = ? WHERE id = ?`, r.pv, r.keyID, r.hash, r.detail, r.id)
			}
			mustVerify(t, st)
		}

		// A ring without the audit key cannot verify the keyed rows: it says so, it never
		// passes them.
		noAudit, err := store.Open(context.Background(), store.DSNOf(st), store.WithKeys(mustRing(t, "t1", pii.IndexKeyID)))
		if err != nil {
			t.Fatal(err)
		}
		defer noAudit.Close()
		if v, err := noAudit.VerifyAudit(context.Background(), nil); err != nil || v.OK() || !strings.Contains(v.Reason, "audit-t") {
			t.Errorf("verify without the audit key: %+v, %v", v, err)
		}
		// Nor can it append: an unkeyed record would be indistinguishable from a forged one.
		if err := noAudit.RecordAccess(context.Background(), authz.System(), "household.export", "household", nil, ""); !errors.Is(err, pii.ErrNoAuditKey) {
			t.Errorf("append without an audit key = %v, want ErrNoAuditKey", err)
		}
	})
}

// mustRing is the test keyring restricted to the keys named.
func mustRing(t *testing.T, ids ...string) *pii.Keyring {
	t.Helper()
	var keys []pii.Key
	for _, k := range storetest.Keyring(t).Keys() {
		for _, id := range ids {
			if k.ID == id {
				keys = append(keys, k)
			}
		}
	}
	kr, err := pii.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// TestAuditExpectedHead: a head recorded earlier is found while the log holds it; once the tail
// is cut off (the chain itself still holds), verifying against the recorded head fails, and a
// head whose hash differs fails too.
func TestAuditExpectedHead(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		mustRecords(t, st, 10)
		early := mustVerify(t, st).Head()
		mustRecords(t, st, 5)
		head := mustVerify(t, st).Head()
		if h, err := store.ParseAuditHead(head.String()); err != nil || h != head {
			t.Fatalf("ParseAuditHead(%q) = %v, %v", head.String(), h, err)
		}
		for _, bad := range []string{"", "12", "x:abc", "3:" + strings.Repeat("g", 64), "0:" + strings.Repeat("a", 64), "3:abcd"} {
			if _, err := store.ParseAuditHead(bad); err == nil {
				t.Errorf("ParseAuditHead(%q) accepted", bad)
			}
		}
		for _, h := range []store.AuditHead{early, head} {
			if v, err := st.VerifyAudit(ctx, &h); err != nil || !v.OK() {
				t.Errorf("verify against %s on the intact log: %+v, %v", h, v, err)
			}
		}
		forged := store.AuditHead{ID: head.ID, Hash: strings.Repeat("0", 64)}
		if v, err := st.VerifyAudit(ctx, &forged); err != nil || v.OK() || v.BrokenAt != 0 || v.ExpectedReason == "" {
			t.Errorf("verify against a forged head: %+v, %v", v, err)
		}

		restore := auditTriggers(t, st)
		mustExec(t, st, `DELETE FROM audit_log WHERE id > ?`, early.ID+2)
		restore()
		v, err := st.VerifyAudit(ctx, nil)
		if err != nil || !v.OK() {
			t.Fatalf("the truncated chain should hold by itself: %+v, %v", v, err)
		}
		v, err = st.VerifyAudit(ctx, &head)
		t.Logf("%s: tail cut after row %d, recorded head %s → ok=%v: %s", st.Engine(), early.ID+2, head, v.OK(), v.ExpectedReason)
		if err != nil || v.OK() || !strings.Contains(v.ExpectedReason, "截断") {
			t.Errorf("verify of a truncated log against the recorded head: %+v, %v", v, err)
		}
		if v, err := st.VerifyAudit(ctx, &early); err != nil || !v.OK() {
			t.Errorf("the earlier head is still there: %+v, %v", v, err)
		}
	})
}

// TestAuditKeyAnchorsOldRows: a log from before the keyed chain (plain SHA-256 rows, no key id)
// is refused by CheckSchema until Migrate has covered it with one keyed audit.key record whose
// prev_hash is the old head; the old rows are not rewritten, and rewriting one of them with a
// recomputed plain chain after it is then detected.
func TestAuditKeyAnchorsOldRows(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Unmigrated(t, engine)
			// 0013's SQL adds key_id ('' for every row so far); its Go step has not run yet.
			if err := st.MigrateTo(ctx, 13); err != nil {
				t.Fatal(err)
			}
			// Eight rows as the unkeyed binary wrote them.
			prev := store.AuditGenesis
			at := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
			for i := range 8 {
				r := &model.AuditRecord{ID: int64(i + 1), At: at.Add(time.Duration(i) * time.Second), Action: "household.export", ObjectType: "household",
					Result: model.AuditOK, Detail: fmt.Sprintf("households=%d", i), PrevHash: prev}
				r.Hash = store.AuditHash(r)
				mustExec(t, st, `INSERT INTO audit_log (id, at, action, object_type, object_ids, result, detail, prev_hash, hash) VALUES (?, ?, ?, ?, '', ?, ?, ?, ?)`,
					r.ID, r.At, r.Action, r.ObjectType, string(r.Result), r.Detail, r.PrevHash, r.Hash)
				prev = r.Hash
			}
			old := mustRows(t, st)
			if err := st.CheckSchema(ctx); !errors.Is(err, store.ErrStaleSchema) {
				t.Fatalf("CheckSchema with an unkeyed chain = %v, want ErrStaleSchema", err)
			}
			if _, err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := st.CheckSchema(ctx); err != nil {
				t.Fatalf("CheckSchema after Migrate: %v", err)
			}
			v := mustVerify(t, st)
			rows := mustRows(t, st)
			last := rows[len(rows)-1]
			if v.Records != 9 || v.Keyed != 1 || !strings.HasPrefix(last.action, "audit.key") || last.pv != old[7].hash {
				t.Fatalf("after Migrate: %d rows, %d keyed, last %+v", v.Records, v.Keyed, last)
			}
			for i := range old {
				if rows[i] != old[i] {
					t.Errorf("row %d was rewritten", old[i].id)
				}
			}
			if n, err := st.Migrate(ctx); err != nil || n != 0 || len(mustRows(t, st)) != 9 {
				t.Errorf("a second Migrate = %d, %v, %d rows: want nothing more", n, err, len(mustRows(t, st)))
			}

			restore := auditTriggers(t, st)
			defer restore()
			forged := append([]auditRow(nil), old...)
			forged[3].detail = "households=999"
			if !plainChain(t, st, forged, 3, false) {
				t.Fatal("the forger's plain chain is not consistent")
			}
			v, err := st.VerifyAudit(ctx, nil)
			if err != nil || v.OK() || v.BrokenAt != last.id {
				t.Errorf("rewrite of old row 4 with a recomputed plain chain: %+v, %v; want broken at the keyed row %d", v, err, last.id)
			}
		})
	}
}
