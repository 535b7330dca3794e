package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

func TestUserAddSecretUnlockAndOTP(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "g.db")
	mustMigrate(t, db)
	// A staff role without --totp-secret gets a new one, printed once.
	out := mustRun(t, "user", "add", "--db", db, "--username", "root", "--password", "a long enough password", "--role", "system_admin")
	m := regexp.MustCompile(`otpauth://totp/\S+secret=([A-Z2-7]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no secret printed:\n%s", out)
	}
	code := strings.TrimSpace(mustRun(t, "otp", m[1]))
	if len(code) != 6 {
		t.Errorf("gongzhi otp printed %q", code)
	}
	// Lock the account, then unlock it from the command line.
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.WithKeys(mustFileKeys(t, strings.TrimPrefix(db, "sqlite:")+".keys")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for range store.MaxFailedLogins {
		_, _ = st.Authenticate(ctx, "root", "not the password at all")
	}
	if _, err := st.Authenticate(ctx, "root", "a long enough password"); err == nil {
		t.Fatal("not locked")
	}
	if out := mustRun(t, "user", "unlock", "--db", db, "--username", "root"); !strings.Contains(out, "已解锁") {
		t.Errorf("unlock printed %q", out)
	}
	u, err := st.Authenticate(ctx, "root", "a long enough password")
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	if !u.TOTPEnrolled() || u.Role != model.RoleSystemAdmin {
		t.Errorf("account %+v", u)
	}
	// Bad input: one-line reasons, non-zero exit.
	for _, args := range [][]string{
		{"otp"},
		{"otp", "not-a-secret"},
		{"user", "unlock", "--db", db},
		{"user", "unlock", "--db", db, "--username", "nobody"},
		{"user", "add", "--db", db, "--username", "x", "--password", "a long enough password", "--role", "system_admin", "--totp-secret", "short"},
		{"user", "add", "--db", db, "--username", "bad\nname", "--password", "a long enough password", "--role", "system_admin"},
		{"user", "add", "--db", db, "--username", "weak", "--password", "password1234", "--role", "system_admin"},
	} {
		var o, e bytes.Buffer
		if err := run(ctx, args, noenv, &o, &e); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("gongzhi %q: err %v, want a one-line error", args, err)
		}
	}
}

// TestSweepInactive runs serve's sweep: a staff account unused for 90 days is disabled, and the
// goroutine ends with its context.
func TestSweepInactive(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "g.db")
	db := "sqlite:" + path
	mustMigrate(t, db)
	// TOTP secrets are sealed: the store opens with the key file migrate made beside the database.
	st, err := store.Open(ctx, db, store.WithKeys(mustFileKeys(t, path+".keys")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	st.SetNow(func() time.Time { return start })
	if _, err := st.CreateUser(ctx, authz.System(), store.UserInput{Username: "old", Password: "a long enough password",
		Role: model.RoleSystemAdmin, TOTPSecret: authz.NewTOTPSecret()}); err != nil {
		t.Fatal(err)
	}
	st.SetNow(func() time.Time { return start.Add(store.InactiveAfter + time.Hour) })
	var out, errOut bytes.Buffer
	e := &env{stdout: &out, stderr: &errOut, log: newLogger(noenv, &errOut), getenv: noenv}
	done := make(chan struct{})
	go func() { sweepInactive(ctx, e, st, 10*time.Millisecond); close(done) }()
	deadline := time.Now().Add(2 * time.Minute) // generous: a busy machine under -race is slow
	for {
		u, err := st.UserByUsername(ctx, "old")
		if err != nil {
			t.Fatal(err)
		}
		if u.Disabled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("sweep did not disable the account")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("sweep goroutine did not stop with its context")
	}
	if !strings.Contains(errOut.String(), "disabled inactive staff accounts") {
		t.Errorf("log: %s", errOut.String())
	}
}
