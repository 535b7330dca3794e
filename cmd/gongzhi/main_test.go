package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noenv(string) string { return "" }

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), args, noenv, &out, &errOut); err != nil {
		t.Fatalf("gongzhi %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// startServe runs `gongzhi serve` in-process on port 0 and returns its base URL and a stop func
// that cancels it (as SIGTERM would) and waits for the graceful shutdown.
// Its metrics listener takes a free port too (startServeOut tells where).
func startServe(t *testing.T, db string) (string, func() error) {
	t.Helper()
	base, _, stop := startServeOut(t, "--db", db, "--metrics-addr", "127.0.0.1:0")
	return base, stop
}

// startServeOut is startServe with serve's arguments given (the listen address is added) that
// also returns what serve printed once it listens.
func startServeOut(t *testing.T, args ...string) (string, *syncBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), noenv, out, &syncBuffer{})
	}()
	re := regexp.MustCompile(`gongzhi 已启动：(http://127\.0\.0\.1:\d+)/`)
	// No wall-clock limit of its own: under -race on a busy machine, start-up took longer than
	// the 10 s this once allowed (CI, 2026-12-02). The test's own deadline bounds the wait.
	deadline := time.Now().Add(5 * time.Minute)
	if d, ok := t.Deadline(); ok {
		deadline = d.Add(-5 * time.Second)
	}
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1], out, func() error { cancel(); return <-errc }
		}
		select {
		case err := <-errc:
			cancel()
			t.Fatalf("serve exited: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	t.Fatal("serve did not print its URL")
	return "", nil, nil
}

func TestServeRefusesStaleSchema(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, noenv, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "gongzhi migrate") {
		t.Fatalf("serve on an empty database: err = %v, want a hint to run gongzhi migrate", err)
	}
}

func TestMigrateUserServeLoginBackup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "g.db")
	mustRun(t, "migrate", "--db", db)
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	mustRun(t, "user", "add", "--db", db, "--username", "admin", "--password", "a long enough password", "--role", "system_admin", "--totp-secret", secret)

	base, stop := startServe(t, db)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, resp.StatusCode)
		}
	}
	// Without the code: second factor required; with it, logged in.
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"a long enough password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("login without a code = %d, want 401", resp.StatusCode)
	}
	body := strings.NewReader(`{"username":"admin","password":"a long enough password","otp":"` + mustOTPCode(t, secret, 0) + `"}`)
	resp, err = http.Post(base+"/api/v1/auth/login", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Token string `json:"token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || login.Token == "" {
		t.Fatalf("login: status %d, token %q, err %v", resp.StatusCode, login.Token, err)
	}
	// Backup while the server is up: a consistent online copy that opens and holds the account.
	backup := filepath.Join(dir, "backup.db")
	mustRun(t, "backup", "--db", db, backup)
	if err := stop(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	fi, err := os.Stat(backup)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, mode %v", err, fi)
	}
	// The copy's sealed values (the second-factor secret) open only with the database's keys:
	// restore the key file beside it, as an operator restores both.
	keys, err := os.ReadFile(filepath.Join(dir, "g.db.keys"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(backup+".keys", keys, 0o600); err != nil {
		t.Fatal(err)
	}
	base2, stop2 := startServe(t, "sqlite:"+backup)
	defer stop2()
	// The next step's code: the one used above is spent (the copy holds its last step too).
	resp, err = http.Post(base2+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"a long enough password","otp":"`+mustOTPCode(t, secret, 1)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("login on the backup copy = %d, want 200", resp.StatusCode)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	mustMigrate(t, db)
	cases := [][]string{
		{},
		{"nonsense"},
		{"serve", "--db", "mysql://x"},
		{"serve", "--addr", "nohost"},
		{"user", "add", "--db", db, "--username", "x", "--password", "short", "--role", "system_admin"},
		{"user", "add", "--db", db, "--username", "x", "--password", "long enough password", "--role", "grid_leader"},
		{"user", "add", "--db", db, "--username", "x", "--password", "long enough password", "--role", "king"},
		{"backup", "--db", db},
	}
	for _, args := range cases {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, noenv, &out, &errOut)
		if err == nil {
			t.Errorf("gongzhi %v: no error", args)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("gongzhi %v: error is not one line: %q", args, err)
		}
	}
}

func TestImportCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "g.db")
	mustMigrate(t, db)
	tpl := filepath.Join(dir, "模板.xlsx")
	mustRun(t, "import", "households", "--template", tpl)
	if fi, err := os.Stat(tpl); err != nil || fi.Size() == 0 {
		t.Fatalf("template: %v", err)
	}
	out := mustRun(t, "import", "divisions", "510781", "--db", db)
	if !strings.Contains(out, "已导入") {
		t.Fatalf("import divisions: %q", out)
	}
	// A CSV whose only row has a bad check digit: a non-zero exit, the row reported, nothing written.
	csv := filepath.Join(dir, "h.csv")
	content := "户编号,所属节点,门牌地址,姓名,与户主关系,身份证号,政治面貌\n1,510781006001,1栋101室,张三,户主,510781195803120010,群众\n"
	if err := os.WriteFile(csv, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"import", "households", csv, "--db", db}, noenv, &stdout, &stderr)
	if err == nil || !strings.Contains(stderr.String(), "第2行") {
		t.Fatalf("import of a bad file: err = %v, stderr %q", err, stderr.String())
	}
}

func TestDemoLoadsOnceAndPrintsAccounts(t *testing.T) {
	t.Parallel()
	db, c := mustDemoCopy(t)
	for _, want := range []string{"已生成江油市演示数据", "admin      the boss's own passphrase", "动态验证码密钥 JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "grid_leader", "resident", "partner", "auditor"} {
		if !strings.Contains(c.first, want) {
			t.Errorf("demo output lacks %q:\n%s", want, c.first)
		}
	}
	if !strings.Contains(c.second, "直接使用") {
		t.Errorf("second demo run did not reuse the city:\n%s", c.second)
	}
	// The printed grid leader password logs in and sees households of its grid only.
	m := regexp.MustCompile(`grid\s+(\S+) — .*动态验证码密钥 (\S+)`).FindStringSubmatch(c.second)
	if m == nil {
		t.Fatalf("no grid account in:\n%s", c.second)
	}
	base, stop := startServe(t, db)
	defer stop()
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"grid","password":"`+m[1]+`","otp":"`+mustOTPCode(t, m[2], 0)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("grid leader login = %d, want 200", resp.StatusCode)
	}
	// Separation of duties: the demo's community administrator cannot make an auditor of its
	// own community, who would read the record of its own actions.
	m = regexp.MustCompile(`community\s+(\S+) — .*动态验证码密钥 (\S+)`).FindStringSubmatch(c.second)
	if m == nil {
		t.Fatalf("no community account in:\n%s", c.second)
	}
	resp, err = http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"community","password":"`+m[1]+`","otp":"`+mustOTPCode(t, m[2], 0)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Token string `json:"token"`
		User  struct {
			ScopeID string `json:"scope_id"`
		} `json:"user"`
	}
	err = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	if err != nil || login.Token == "" {
		t.Fatalf("community admin login = %d (%v)", resp.StatusCode, err)
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/users", strings.NewReader(`{"username":"my_auditor","password":"a long enough passphrase","role":"auditor","scope_id":"`+login.User.ScopeID+`"}`))
	req.Header.Set("Authorization", "Bearer "+login.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the demo's community admin creating an auditor: %d, want 403", resp.StatusCode)
	}
}

// mustOTPCode is secret's code `steps` TOTP steps from now, as `gongzhi otp` prints it now.
func mustOTPCode(t *testing.T, secret string, steps int) string {
	t.Helper()
	if steps == 0 {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{"otp", secret}, noenv, &out, &errOut); err != nil {
			t.Fatalf("gongzhi otp: %v", err)
		}
		return strings.TrimSpace(out.String())
	}
	code, err := authz.TOTPCode(secret, time.Now().Add(time.Duration(steps*authz.TOTPPeriod)*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return code
}
