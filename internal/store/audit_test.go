package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// mustExec runs raw SQL written with ? placeholders on the write pool.
func mustExec(tb testing.TB, st *store.Store, q string, args ...any) {
	tb.Helper()
	if _, err := rawExec(st, q, args...); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
}

func rawExec(st *store.Store, q string, args ...any) (int64, error) {
	if st.Engine() == "postgres" {
		n := 0
		q = regexp.MustCompile(`\?`).ReplaceAllStringFunc(q, func(string) string { n++; return "$" + strconv.Itoa(n) })
	}
	res, err := st.DB().ExecContext(context.Background(), q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// mustAudit returns every audit record visible to sc matching f, newest first.
func mustAudit(tb testing.TB, st *store.Store, sc authz.Scope, f store.AuditFilter) []*model.AuditRecord {
	tb.Helper()
	f.Limit = store.MaxLimit
	p, err := st.AuditLog(context.Background(), sc, f)
	if err != nil {
		tb.Fatalf("audit log %+v: %v", f, err)
	}
	return p.Items
}

func mustVerify(tb testing.TB, st *store.Store) *store.AuditVerification {
	tb.Helper()
	v, err := st.VerifyAudit(context.Background(), nil)
	if err != nil {
		tb.Fatalf("verify: %v", err)
	}
	if !v.OK() {
		tb.Fatalf("chain broken at %d: %s", v.BrokenAt, v.Reason)
	}
	return v
}

// userCtx is a request context: the account and the request's id and source address.
func userCtx(u *model.User, reqID string) context.Context {
	ctx := authz.WithUser(context.Background(), u)
	return authz.WithRequest(ctx, authz.Request{ID: reqID, Source: "203.0.113.7"})
}

func TestAuditRecordsWrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		tr := mustTree(t, st)
		sys := authz.System()
		staff, err := st.CreateUser(context.Background(), sys, store.UserInput{Username: "staff", Password: "长城-correct-horse-7",
			Role: model.RoleCommunityStaff, ScopeID: tr.community.ID})
		if err != nil {
			t.Fatal(err)
		}
		ctx, sc := userCtx(staff, "req-1"), authz.ForUser(staff)
		h, err := st.CreateHousehold(ctx, sc, model.HouseholdInput{TerritoryID: tr.stairwell.ID, Address: "1栋1单元101"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.CreateResident(ctx, sc, model.ResidentInput{HouseholdID: h.ID, Name: "张三", Gender: model.GenderMale,
			IDNumber: "51078119800101001X", Phone: "13912345678", Relation: model.RelationHead, PoliticalStatus: model.StatusMasses})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.UpdateHousehold(ctx, sc, h.ID, model.HouseholdInput{Address: "1栋1单元102"}); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteResident(ctx, sc, res.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.RecordAccess(ctx, sc, "resident.reveal", "resident", []int64{res.ID}, "fields=id_number,phone"); err != nil {
			t.Fatal(err)
		}
		if err := st.RecordDenied(ctx, sc, "user.admin", "GET /users"); err != nil {
			t.Fatal(err)
		}

		got := mustAudit(t, st, sys, store.AuditFilter{Actor: "staff"})
		var actions []string
		for _, r := range got {
			actions = append(actions, r.Action+"/"+string(r.Result))
		}
		slices.Reverse(actions)
		want := []string{"household.create/ok", "resident.create/ok", "household.update/ok", "resident.delete/ok",
			"resident.reveal/ok", "user.admin/denied"}
		if !slices.Equal(actions, want) {
			t.Fatalf("staff's records = %v, want %v", actions, want)
		}
		for _, r := range got {
			if r.ActorID != staff.ID || r.ActorName != "staff" || r.Role != model.RoleCommunityStaff || r.RequestID != "req-1" ||
				r.Source != "203.0.113.7" || r.At.IsZero() || len(r.Hash) != 64 {
				t.Errorf("record %+v: wrong actor, role, request or time", r)
			}
			if !strings.HasPrefix(r.Scope, tr.community.Path) {
				t.Errorf("%s: scope %q, want under %q", r.Action, r.Scope, tr.community.Path)
			}
		}
		reveal := got[1]
		if reveal.Action != "resident.reveal" || reveal.ObjectType != "resident" || !slices.Equal(reveal.ObjectIDs, []int64{res.ID}) {
			t.Errorf("reveal record = %+v", reveal)
		}
		// No personal values: the ID number, the name and the address stay out of the log.
		for _, r := range mustAudit(t, st, sys, store.AuditFilter{}) {
			for _, secret := range []string{"51078119800101001X", "13912345678", "张三", "101"} {
				if strings.Contains(r.Detail+r.ActorName+r.Scope, secret) {
					t.Errorf("record %d (%s) holds %q: %q", r.ID, r.Action, secret, r.Detail)
				}
			}
		}
		// The territory tree, written by the operator, is recorded too.
		var nodes int
		if err := st.DB().QueryRow(`SELECT COUNT(*) FROM territories`).Scan(&nodes); err != nil {
			t.Fatal(err)
		}
		if n := len(mustAudit(t, st, sys, store.AuditFilter{Action: "territory.create"})); n != nodes {
			t.Errorf("territory.create records = %d, want one per node, %d", n, nodes)
		}
		mustVerify(t, st)
	})
}

func TestAuditSearchAndScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		tr := mustTree(t, st)
		sys := authz.System()
		mk := func(name string, role model.Role, scope int64) *model.User {
			u, err := st.CreateUser(context.Background(), sys, store.UserInput{Username: name, Password: "长城-correct-horse-7", Role: role, ScopeID: scope})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		staff1, staff2 := mk("staff1", model.RoleCommunityStaff, tr.community.ID), mk("staff2", model.RoleCommunityStaff, tr.community2.ID)
		audStreet, audCommunity2 := mk("aud-street", model.RoleAuditor, tr.street.ID), mk("aud-c2", model.RoleAuditor, tr.community2.ID)
		reveal := func(u *model.User, node *model.Territory, rid int64) {
			t.Helper()
			h, err := st.CreateHousehold(userCtx(u, ""), authz.ForUser(u), model.HouseholdInput{TerritoryID: node.ID, Address: "x"})
			if err != nil {
				t.Fatal(err)
			}
			_ = h
			if err := st.RecordAccess(userCtx(u, ""), authz.ForUser(u), "resident.reveal", "resident", []int64{rid}, ""); err != nil {
				t.Fatal(err)
			}
		}
		reveal(staff1, tr.stairwell, 42)
		reveal(staff1, tr.stairwell, 43)
		reveal(staff2, tr.stairwell2, 44)

		// "Whose data did staff1 read": actor and action verb.
		got := mustAudit(t, st, sys, store.AuditFilter{Actor: "staff1", Action: "reveal"})
		if len(got) != 2 || got[0].ObjectIDs[0] != 43 || got[1].ObjectIDs[0] != 42 {
			t.Errorf("staff1's reveals = %v", got)
		}
		if got := mustAudit(t, st, sys, store.AuditFilter{Actor: strconv.FormatInt(staff1.ID, 10), Action: "resident.reveal"}); len(got) != 2 {
			t.Errorf("by actor id: %d records, want 2", len(got))
		}
		// Subject: who read resident 42 (not 4, not 142).
		if got := mustAudit(t, st, sys, store.AuditFilter{Subject: "resident:42"}); len(got) != 1 || got[0].ActorID != staff1.ID {
			t.Errorf("subject resident:42 = %v", got)
		}
		if got := mustAudit(t, st, sys, store.AuditFilter{Subject: "resident:4"}); len(got) != 0 {
			t.Errorf("subject resident:4 = %v, want none", got)
		}
		// Time: nothing before an hour ago, everything since.
		if got := mustAudit(t, st, sys, store.AuditFilter{Actor: "staff1", To: time.Now().Add(-time.Hour)}); len(got) != 0 {
			t.Errorf("before an hour ago: %d records", len(got))
		}
		if got := mustAudit(t, st, sys, store.AuditFilter{Actor: "staff1", From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}); len(got) != 4 {
			t.Errorf("in the last hour: %d records, want 4", len(got))
		}
		// Scope: the street's auditor sees both communities' records, community 2's only its own.
		if got := mustAudit(t, st, authz.ForUser(audStreet), store.AuditFilter{Action: "reveal"}); len(got) != 3 {
			t.Errorf("street auditor sees %d reveals, want 3", len(got))
		}
		got = mustAudit(t, st, authz.ForUser(audCommunity2), store.AuditFilter{})
		if len(got) == 0 {
			t.Fatal("community 2's auditor sees nothing")
		}
		for _, r := range got {
			if !strings.HasPrefix(r.Scope, tr.community2.Path) {
				t.Errorf("community 2's auditor sees record %d at %q", r.ID, r.Scope)
			}
		}
		if got := mustAudit(t, st, authz.ForUser(audCommunity2), store.AuditFilter{Actor: "staff1"}); len(got) != 0 {
			t.Errorf("community 2's auditor sees %d records of staff1", len(got))
		}
		// Paging: newest first, every record once.
		var all []int64
		f := store.AuditFilter{Limit: 3}
		for {
			p, err := st.AuditLog(context.Background(), sys, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Items {
				all = append(all, r.ID)
			}
			if p.Next == "" {
				break
			}
			f.Cursor = p.Next
		}
		if len(all) != len(mustAudit(t, st, sys, store.AuditFilter{})) || !slices.IsSortedFunc(all, func(a, b int64) int { return int(b - a) }) {
			t.Errorf("paged ids = %v", all)
		}
		if _, err := st.AuditLog(context.Background(), sys, store.AuditFilter{Subject: "resident:x"}); !errors.As(err, new(*model.ValidationError)) {
			t.Errorf("bad subject: %v", err)
		}
	})
}

// failAudit makes every insert into audit_log fail, as a full disk or a broken grant would.
func failAudit(tb testing.TB, st *store.Store) {
	tb.Helper()
	if st.Engine() == "postgres" {
		mustExec(tb, st, `CREATE FUNCTION audit_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit is down'; END; $$`)
		mustExec(tb, st, `CREATE TRIGGER audit_fail BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_fail()`)
		return
	}
	mustExec(tb, st, `CREATE TRIGGER audit_fail BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit is down'); END`)
}

func TestAuditFailureRollsBack(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		tr := mustTree(t, st)
		sys := authz.System()
		ctx := context.Background()
		before, _, err := st.SubtreeCounts(ctx, sys, tr.stairwell.ID)
		if err != nil {
			t.Fatal(err)
		}
		failAudit(t, st)
		if _, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: tr.stairwell.ID, Address: "1栋1单元101"}); err == nil {
			t.Fatal("CreateHousehold succeeded although its audit record failed")
		}
		if _, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: tr.grid.ID, Kind: model.KindBuilding, Name: "9栋"}); err == nil {
			t.Fatal("CreateTerritory succeeded although its audit record failed")
		}
		if _, err := st.RenameTerritory(ctx, sys, tr.building.ID, "改名", nil); err == nil {
			t.Fatal("RenameTerritory succeeded although its audit record failed")
		}
		after, _, err := st.SubtreeCounts(ctx, sys, tr.stairwell.ID)
		if err != nil {
			t.Fatal(err)
		}
		p, err := st.Households(ctx, sys, store.HouseholdFilter{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := st.Territory(ctx, sys, tr.building.ID)
		if err != nil {
			t.Fatal(err)
		}
		kids, err := st.Territories(ctx, sys, store.TerritoryFilter{ParentID: tr.grid.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 0 || after != before || b.Name != tr.building.Name || len(kids.Items) != 1 {
			t.Errorf("after failed audits: %d households, counts %d→%d, building %q, %d buildings: the writes were not rolled back",
				len(p.Items), before, after, b.Name, len(kids.Items))
		}
		// A reveal whose record cannot be written must not go ahead: the caller gets the error.
		if err := st.RecordAccess(ctx, sys, "resident.reveal", "resident", []int64{1}, ""); err == nil {
			t.Error("RecordAccess succeeded although the audit insert failed")
		}
	})
}

func TestAuditAppendOnly(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		mustTree(t, st)
		before := mustVerify(t, st).Records
		for _, q := range []string{
			`UPDATE audit_log SET detail = 'x' WHERE id = (SELECT MIN(id) FROM audit_log)`,
			`UPDATE audit_log SET hash = hash`,
			`DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)`,
			`DELETE FROM audit_log`,
		} {
			if _, err := rawExec(st, q); err == nil {
				t.Errorf("%s: the database allowed it", q)
			}
		}
		if st.Engine() == "postgres" {
			if _, err := rawExec(st, `TRUNCATE audit_log`); err == nil {
				t.Error("TRUNCATE audit_log: the database allowed it")
			}
		}
		if v := mustVerify(t, st); v.Records != before {
			t.Errorf("%d records after the attempts, want %d", v.Records, before)
		}
	})
}

func TestAuditPurgeKeepsYoungerRows(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		old := time.Now().AddDate(-4, 0, 0).UTC().Truncate(time.Microsecond)
		restore := st.SetAuditClock(func() time.Time { return old })
		for i := range 5 {
			if err := st.RecordAccess(ctx, sys, "test.old", "resident", []int64{int64(i + 1)}, ""); err != nil {
				t.Fatal(err)
			}
		}
		restore()
		recent := time.Now().AddDate(-2, 0, 0).UTC().Truncate(time.Microsecond)
		restore = st.SetAuditClock(func() time.Time { return recent })
		if err := st.RecordAccess(ctx, sys, "test.recent", "resident", []int64{9}, ""); err != nil {
			t.Fatal(err)
		}
		restore()
		for i := range 3 {
			if err := st.RecordAccess(ctx, sys, "test.new", "resident", []int64{int64(i + 1)}, ""); err != nil {
				t.Fatal(err)
			}
		}
		// A date inside the retention period is refused by the store…
		if _, err := st.PurgeAudit(ctx, sys, time.Now().AddDate(-1, 0, 0)); !errors.Is(err, store.ErrRetention) {
			t.Errorf("purge before a year ago = %v, want ErrRetention", err)
		}
		// …and a younger row by the database itself.
		if _, err := rawExec(st, `DELETE FROM audit_log WHERE action = 'test.recent'`); err == nil {
			t.Error("deleting a two-year-old row: the database allowed it")
		}
		n, err := st.PurgeAudit(ctx, sys, time.Now().AddDate(-3, 0, -1))
		if err != nil {
			t.Fatal(err)
		}
		if n != 5 {
			t.Errorf("purged %d rows, want 5", n)
		}
		left := mustAudit(t, st, sys, store.AuditFilter{})
		var actions []string
		for _, r := range left {
			actions = append(actions, r.Action)
		}
		if want := []string{"audit.purge", "test.new", "test.new", "test.new", "test.recent"}; !slices.Equal(actions, want) {
			t.Errorf("after purge: %v, want %v", actions, want)
		}
		// The chain still verifies: the purge record anchors its new first row.
		mustVerify(t, st)
	})
}

// auditTriggers turns the append-only triggers off (so a test can tamper like an attacker with
// the table owner's rights) and returns the function that turns them on again.
func auditTriggers(tb testing.TB, st *store.Store) (restore func()) {
	tb.Helper()
	if st.Engine() == "postgres" {
		mustExec(tb, st, `ALTER TABLE audit_log DISABLE TRIGGER USER`)
		return func() { mustExec(tb, st, `ALTER TABLE audit_log ENABLE TRIGGER USER`) }
	}
	b, err := os.ReadFile("migrations/sqlite/0004_audit.sql")
	if err != nil {
		tb.Fatal(err)
	}
	var creates []string
	for _, part := range strings.Split(string(b), "-- +goose StatementBegin")[1:] {
		creates = append(creates, strings.TrimSpace(strings.Split(part, "-- +goose StatementEnd")[0]))
	}
	if len(creates) != 2 {
		tb.Fatalf("found %d trigger statements in the migration, want 2", len(creates))
	}
	mustExec(tb, st, `DROP TRIGGER audit_log_no_update`)
	mustExec(tb, st, `DROP TRIGGER audit_log_retention`)
	return func() {
		for _, c := range creates {
			mustExec(tb, st, c)
		}
	}
}

type auditRow struct {
	id                                                                                           int64
	at                                                                                           time.Time
	actorID                                                                                      any
	actorName, role, scope, action, objectType, objectIDs, result, requestID, source, detail, pv string
	keyID, hash                                                                                  string
}

func mustRows(tb testing.TB, st *store.Store) []auditRow {
	tb.Helper()
	rows, err := st.DB().QueryContext(context.Background(), `SELECT id, at, actor_id, actor_name, role, scope, action, object_type, object_ids, result, request_id, source, detail, prev_hash, key_id, hash FROM audit_log ORDER BY id`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var r auditRow
		var actor *int64
		if err := rows.Scan(&r.id, &r.at, &actor, &r.actorName, &r.role, &r.scope, &r.action, &r.objectType, &r.objectIDs, &r.result,
			&r.requestID, &r.source, &r.detail, &r.pv, &r.keyID, &r.hash); err != nil {
			tb.Fatal(err)
		}
		if actor != nil {
			r.actorID = *actor
		}
		out = append(out, r)
	}
	return out
}

func insertRow(st *store.Store, r auditRow) error {
	_, err := rawExec(st, `INSERT INTO audit_log (id, at, actor_id, actor_name, role, scope, action, object_type, object_ids, result, request_id, source, detail, prev_hash, key_id, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.id, r.at, r.actorID, r.actorName, r.role, r.scope, r.action, r.objectType, r.objectIDs, r.result, r.requestID, r.source, r.detail, r.pv, r.keyID, r.hash)
	return err
}

// TestAuditTamperDetection makes 1,000 random single-row mutations of a real chain (a field of
// one row changed, one row deleted, or one forged row inserted with a correctly computed hash),
// verifying after each and restoring, and requires every one detected at the exact row.
func TestAuditTamperDetection(t *testing.T) {
	t.Parallel()
	const mutations = 1000
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		defer st.SetAuditIDStep(2)() // gaps between ids, for forged rows to be slipped into
		users := []authz.Scope{authz.System(), {UserID: 7, Role: model.RoleGridLeader, Path: "/1/2/3/"}, {UserID: 9, Role: model.RoleAuditor, Path: "/1/"}}
		for i := range 50 {
			rctx := authz.WithRequest(ctx, authz.Request{ID: fmt.Sprintf("r-%d", i), Source: fmt.Sprintf("10.0.0.%d", i%250)})
			if err := st.RecordAccess(rctx, users[i%3], []string{"resident.reveal", "household.export", "auth.login"}[i%3], "resident",
				[]int64{int64(i), int64(i + 1)}, fmt.Sprintf("n=%d", i)); err != nil {
				t.Fatal(err)
			}
		}
		rows := mustRows(t, st)
		mustVerify(t, st)
		restoreTriggers := auditTriggers(t, st)
		rng := rand.New(rand.NewPCG(2026, 11))
		fields := []string{"at", "actor_id", "actor_name", "role", "scope", "action", "object_type", "object_ids", "result", "request_id", "source", "detail", "prev_hash", "key_id", "hash"}
		detected, exact := 0, 0
		kinds := map[string]int{}
		for m := range mutations {
			var kind string
			var want int64
			var undo func() error
			switch op := rng.IntN(3); op {
			case 0: // change one field of one row
				k := rng.IntN(len(rows))
				r := rows[k]
				field := fields[rng.IntN(len(fields))]
				kind = "update " + field
				var val any
				switch field {
				case "at":
					val = r.at.Add(time.Microsecond)
				case "actor_id":
					val = int64(424242)
				case "result":
					val = map[string]string{"ok": "denied", "denied": "failed", "failed": "ok"}[r.result]
				case "prev_hash", "hash":
					val = strings.Repeat("f", 64)
				default:
					val = "x" + strconv.Itoa(m)
				}
				if _, err := rawExec(st, `UPDATE audit_log SET `+field+` = ? WHERE id = ?`, val, r.id); err != nil {
					t.Fatalf("mutation %d (%s): %v", m, kind, err)
				}
				want = r.id
				undo = func() error {
					if _, err := rawExec(st, `DELETE FROM audit_log WHERE id = ?`, r.id); err != nil {
						return err
					}
					return insertRow(st, r)
				}
			case 1: // delete one row (not the head: truncation is caught against the head kept outside)
				k := rng.IntN(len(rows) - 1)
				r := rows[k]
				kind = "delete"
				if _, err := rawExec(st, `DELETE FROM audit_log WHERE id = ?`, r.id); err != nil {
					t.Fatalf("mutation %d (%s): %v", m, kind, err)
				}
				want = rows[k+1].id
				undo = func() error { return insertRow(st, r) }
			default: // insert one forged row, correctly hashed (plain SHA-256: the forger lacks the key) onto its predecessor, before row k
				k := rng.IntN(len(rows))
				forged := model.AuditRecord{ID: rows[k].id - 1, At: rows[k].at, ActorID: 1, ActorName: "mallory", Role: model.RoleSystemAdmin,
					Action: "resident.reveal", ObjectType: "resident", ObjectIDs: []int64{99}, Result: model.AuditOK, PrevHash: store.AuditGenesis}
				if k > 0 {
					forged.PrevHash = rows[k-1].hash
				}
				forged.Hash = store.AuditHash(&forged)
				kind = "insert"
				if err := insertRow(st, auditRow{id: forged.ID, at: forged.At, actorID: forged.ActorID, actorName: forged.ActorName, role: string(forged.Role),
					action: forged.Action, objectType: forged.ObjectType, objectIDs: "99", result: "ok", pv: forged.PrevHash, hash: forged.Hash}); err != nil {
					t.Fatalf("mutation %d (%s): %v", m, kind, err)
				}
				// A forged first row is a valid start of an unkeyed chain: the row after it breaks.
				// Anywhere else the forged row itself is caught: a plain hash after the key.
				want = forged.ID
				if k == 0 {
					want = rows[k].id
				}
				undo = func() error {
					_, err := rawExec(st, `DELETE FROM audit_log WHERE id = ?`, forged.ID)
					return err
				}
			}
			kinds[strings.Fields(kind)[0]]++
			v, err := st.VerifyAudit(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !v.OK() {
				detected++
				if v.BrokenAt == want {
					exact++
				} else {
					t.Errorf("mutation %d (%s): reported row %d, want %d", m, kind, v.BrokenAt, want)
				}
			} else {
				t.Errorf("mutation %d (%s of row %d): not detected", m, kind, want)
			}
			if err := undo(); err != nil {
				t.Fatalf("undo mutation %d (%s): %v", m, kind, err)
			}
		}
		restoreTriggers()
		mustVerify(t, st)
		t.Logf("audit chain tamper detection (%s): %d/%d mutations detected (%.1f%%), %d at the exact row; %d updates, %d deletes, %d inserts over %d rows",
			st.Engine(), detected, mutations, 100*float64(detected)/mutations, exact, kinds["update"], kinds["delete"], kinds["insert"], len(rows))
		if detected != mutations {
			t.Errorf("detected %d of %d mutations, want all", detected, mutations)
		}
	})
}

// TestAuditLogins: a failed login, the lockout on the fifth, a refused login while locked, a
// successful login (its session) and a logout each leave a record; an unknown username is
// recorded without the name typed.
func TestAuditLogins(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		u, err := st.CreateUser(ctx, sys, store.UserInput{Username: "member1", Password: "长城-correct-horse-7", Role: model.RoleSystemAdmin})
		if err != nil {
			t.Fatal(err)
		}
		token, _, err := st.CreateSession(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteSession(ctx, token); err != nil {
			t.Fatal(err)
		}
		for range store.MaxFailedLogins + 1 {
			if _, err := st.Authenticate(ctx, "member1", "not the password"); !errors.Is(err, model.ErrUnauthenticated) {
				t.Fatalf("wrong password = %v", err)
			}
		}
		if _, err := st.Authenticate(ctx, "who-is-this", "not the password"); !errors.Is(err, model.ErrUnauthenticated) {
			t.Fatalf("unknown user = %v", err)
		}
		var got []string
		recs := mustAudit(t, st, sys, store.AuditFilter{})
		slices.Reverse(recs)
		for _, r := range recs {
			if strings.HasPrefix(r.Action, "auth.") {
				got = append(got, r.Action+"/"+string(r.Result)+"/"+r.ActorName)
			}
			if strings.Contains(r.Detail, "who-is-this") || strings.Contains(r.Detail, "not the password") {
				t.Errorf("record %d holds what was typed: %q", r.ID, r.Detail)
			}
		}
		f := "auth.login/failed/member1"
		want := []string{"auth.login/ok/member1", "auth.logout/ok/member1", f, f, f, f, f, "auth.lockout/ok/member1", f, "auth.login/failed/"}
		if !slices.Equal(got, want) {
			t.Errorf("login records:\n got %v\nwant %v", got, want)
		}
		mustVerify(t, st)
	})
}

// TestAuditConcurrentInstances: several app instances (separate Stores on one database) append
// at once; the chain stays one chain, every record on it.
func TestAuditConcurrentInstances(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			dsn := storetest.DSN(t, engine)
			ctx := context.Background()
			var stores []*store.Store
			for range 3 {
				st, err := store.Open(ctx, dsn, store.WithKeys(storetest.Keyring(t)))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				stores = append(stores, st)
			}
			if _, err := stores[0].Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			const each = 40
			errc := make(chan error, len(stores)*4)
			for i, st := range stores {
				for w := range 4 {
					go func() {
						var err error
						for n := range each {
							if err = st.RecordAccess(ctx, authz.System(), "resident.reveal", "resident", []int64{int64(i*1000 + w*100 + n)}, ""); err != nil {
								break
							}
						}
						errc <- err
					}()
				}
			}
			for range len(stores) * 4 {
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
			}
			if v := mustVerify(t, stores[1]); v.Records != int64(len(stores)*4*each) {
				t.Errorf("%d records on the chain, want %d", v.Records, len(stores)*4*each)
			}
		})
	}
}
