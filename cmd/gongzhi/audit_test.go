package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/pii"
	"gongzhi/internal/store"
)

// mustOpenDB opens the SQLite database db with the key file migrate made beside it.
func mustOpenDB(t *testing.T, db string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), db, store.WithKeys(mustFileKeys(t, strings.TrimPrefix(db, "sqlite:")+".keys")))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

var headLine = regexp.MustCompile(`(?m)^(\d+:[0-9a-f]{64})$`)

// TestAuditVerifyAndPurge: verify passes on an untouched log and prints its head as one line;
// it names the changed row (exiting non-zero) once a row is altered behind the triggers' back;
// purge refuses dates inside the retention period.
func TestAuditVerifyAndPurge(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	mustMigrate(t, db)
	st := mustOpenDB(t, db)
	for range 2 {
		if err := st.RecordAccess(context.Background(), authz.System(), "household.export", "household", nil, "households=0"); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	out := mustRun(t, "audit", "verify", "--db", db)
	if !strings.Contains(out, "审计日志完好：2 行") || !strings.Contains(out, "2 行由审计密钥签名") || headLine.FindString(out) == "" {
		t.Errorf("verify on a fresh log: %q", out)
	}

	var o, errOut bytes.Buffer
	err := run(context.Background(), []string{"audit", "purge", "--db", db, "--before", time.Now().AddDate(-1, 0, 0).Format(time.DateOnly)}, noenv, &o, &errOut)
	if err == nil || !strings.Contains(err.Error(), "三年") {
		t.Errorf("purge inside the retention period = %v", err)
	}
	if out := mustRun(t, "audit", "purge", "--db", db, "--before", "2020-01-01"); !strings.Contains(out, "0 条") {
		t.Errorf("purge of nothing: %q", out)
	}

	// An attacker with the file changes the first record behind the triggers' back.
	st = mustOpenDB(t, db)
	for _, q := range []string{`DROP TRIGGER audit_log_no_update`, `UPDATE audit_log SET detail = 'role=member' WHERE id = 1`} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	o.Reset()
	err = run(context.Background(), []string{"audit", "verify", "--db", db}, noenv, &o, &errOut)
	if err == nil || !strings.Contains(o.String(), "第 1 行断开") {
		t.Errorf("verify after tampering: err %v, output %q", err, o.String())
	}
}

// TestAuditVerifyExpectHead: the head printed by one verify is accepted by the next with
// --expect-head; after the tail is cut off (the remaining chain still holds), verify with the
// recorded head exits non-zero and says the tail was truncated; a malformed head is a one-line
// usage error.
func TestAuditVerifyExpectHead(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	mustMigrate(t, db)
	st := mustOpenDB(t, db)
	for range 6 {
		if err := st.RecordAccess(context.Background(), authz.System(), "household.export", "household", nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	head := headLine.FindString(mustRun(t, "audit", "verify", "--db", db))
	if head == "" {
		t.Fatal("no head printed")
	}
	if out := mustRun(t, "audit", "verify", "--db", db, "--expect-head", head); !strings.Contains(out, "含记录的链头") {
		t.Errorf("verify against its own head: %q", out)
	}

	st = mustOpenDB(t, db)
	for _, q := range []string{`DROP TRIGGER audit_log_retention`, `DELETE FROM audit_log WHERE id > 4`} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	mustRun(t, "audit", "verify", "--db", db) // the shortened chain holds by itself
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"audit", "verify", "--db", db, "--expect-head", head}, noenv, &out, &errOut)
	if err == nil || !strings.Contains(out.String(), "截断") {
		t.Errorf("verify of a truncated log against the recorded head: err %v, output %q", err, out.String())
	}
	err = run(context.Background(), []string{"audit", "verify", "--db", db, "--expect-head", "7:nothex"}, noenv, &out, &errOut)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "--expect-head") {
		t.Errorf("a malformed head: %v", err)
	}
}

// TestMigrateAddsAuditKey: a key file from before the keyed chain (no audit key) gets one from
// migrate, which says so; serve refuses to start with such a file rather than add a key of its
// own; keys rotate --audit puts a new audit key first and keeps the old one.
func TestMigrateAddsAuditKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "g.db")
	keyFile := filepath.Join(dir, "g.db.keys")
	k1, _ := pii.NewKey("k1")
	idx, _ := pii.NewKey(pii.IndexKeyID)
	if err := pii.WriteFile(keyFile, []pii.Key{k1, idx}); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--metrics-addr", ""}, noenv, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "审计密钥") || !strings.Contains(err.Error(), "gongzhi migrate") {
		t.Errorf("serve with a key file without an audit key: %v", err)
	}
	if o := mustRun(t, "migrate", "--db", db); !strings.Contains(o, "已在密钥文件 "+keyFile+" 中加入审计密钥 audit1") {
		t.Errorf("migrate did not announce the audit key:\n%s", o)
	}
	if o := mustRun(t, "migrate", "--db", db); strings.Contains(o, "审计密钥") {
		t.Errorf("a second migrate added another audit key:\n%s", o)
	}
	ids := func() []string {
		keys, err := pii.LoadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range keys {
			out = append(out, k.ID)
		}
		return out
	}
	if got := strings.Join(ids(), ","); got != "k1,index,audit1" {
		t.Errorf("key file holds %s", got)
	}
	mustRun(t, "keys", "rotate", "--audit", "--db", db)
	if got := strings.Join(ids(), ","); got != "k1,index,audit2,audit1" {
		t.Errorf("after keys rotate --audit the key file holds %s", got)
	}
	st := mustOpenDB(t, db)
	if err := st.RecordAccess(context.Background(), authz.System(), "household.export", "household", nil, ""); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if o := mustRun(t, "keys", "list", "--db", db); !regexp.MustCompile(`audit2\s+当前（审计签名）\s+1`).MatchString(o) {
		t.Errorf("keys list:\n%s", o)
	}
	mustRun(t, "keys", "rotate", "--retire", "--db", db)
	if got := ids(); !strings.Contains(strings.Join(got, ","), "audit2,audit1") {
		t.Errorf("keys rotate --retire dropped an audit key: %v", got)
	}
	mustRun(t, "audit", "verify", "--db", db)
	_ = os.Remove(keyFile)
}
