package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/store"
)

// TestAuditVerifyAndPurge: verify passes on an untouched log and names the changed row (exiting
// non-zero) once a row is altered behind the triggers' back; purge refuses dates inside the
// retention period.
func TestAuditVerifyAndPurge(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	mustRun(t, "migrate", "--db", db)
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := st.RecordAccess(context.Background(), authz.System(), "household.export", "household", nil, "households=0"); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if out := mustRun(t, "audit", "verify", "--db", db); !strings.Contains(out, "审计日志完好：2 行") {
		t.Errorf("verify on a fresh log: %q", out)
	}

	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"audit", "purge", "--db", db, "--before", time.Now().AddDate(-1, 0, 0).Format(time.DateOnly)}, noenv, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "三年") {
		t.Errorf("purge inside the retention period = %v", err)
	}
	if out := mustRun(t, "audit", "purge", "--db", db, "--before", "2020-01-01"); !strings.Contains(out, "0 条") {
		t.Errorf("purge of nothing: %q", out)
	}

	// An attacker with the file changes the first record behind the triggers' back.
	st, err = store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER audit_log_no_update`, `UPDATE audit_log SET detail = 'role=member' WHERE id = 1`} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	out.Reset()
	err = run(context.Background(), []string{"audit", "verify", "--db", db}, noenv, &out, &errOut)
	if err == nil || !strings.Contains(out.String(), "第 1 行断开") {
		t.Errorf("verify after tampering: err %v, output %q", err, out.String())
	}
}
