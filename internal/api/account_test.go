package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

func TestLoginAnswers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		ctx := context.Background()
		if _, err := st.CreateUser(ctx, authz.System(), store.UserInput{Username: "boss", Password: password, Role: model.RoleCommunityAdmin, ScopeID: f.tree.community.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateUser(ctx, authz.System(), store.UserInput{Username: "lisi", Password: password, Role: model.RoleCommunityStaff,
			ScopeID: f.tree.community.ID, TOTPSecret: totpSecret}); err != nil {
			t.Fatal(err)
		}
		login := func(body map[string]string) reply {
			return f.mustDo(t, "", "POST", "/api/v1/auth/login", body)
		}
		// A staff account without a code gets second-factor-required, after a right password only.
		for _, tc := range []struct{ name, user string }{{"enrolled", "lisi"}, {"not enrolled", "boss"}} {
			p := mustProblem(t, login(map[string]string{"username": tc.user, "password": password}), http.StatusUnauthorized)
			if !strings.HasSuffix(p.Type, "/second-factor-required") {
				t.Errorf("%s: %s, want second-factor-required", tc.name, p.Type)
			}
		}
		// Unknown user and wrong password: the same answer.
		unknown := login(map[string]string{"username": "nobody", "password": "wrong password here"})
		wrong := login(map[string]string{"username": "lisi", "password": "wrong password here"})
		if unknown.status != http.StatusUnauthorized || !bytes.Equal(unknown.body, wrong.body) {
			t.Errorf("unknown user %v, wrong password %v: want the same 401", unknown, wrong)
		}
		// Bad input: clear errors, nothing hashed.
		for _, tc := range []struct {
			name, username, password, field string
		}{
			{"over-long password", "lisi", strings.Repeat("长", 400), "password"},
			{"null byte", "li\x00si", password, "username"},
			{"LF", "li\nsi", password, "username"},
			{"CR", "li\rsi", password, "username"},
			{"empty", "", password, "username"},
		} {
			p := mustProblem(t, login(map[string]string{"username": tc.username, "password": tc.password}), http.StatusUnprocessableEntity)
			if !slices.Contains(fields(p), tc.field) || message(p, tc.field) == "" {
				t.Errorf("%s: fields %v, want %s with a message", tc.name, fields(p), tc.field)
			}
		}
		// The lock: 4 more failures (one above), then even the right password and code fail alike.
		for range store.MaxFailedLogins - 1 {
			login(map[string]string{"username": "lisi", "password": "wrong password here"})
		}
		locked := login(map[string]string{"username": "lisi", "password": password, "otp": mustOTP(t, totpSecret)})
		if !bytes.Equal(locked.body, wrong.body) {
			t.Errorf("locked account answer %v, want the wrong-password answer %v", locked, wrong)
		}
		admin := f.mustToken(t, model.RoleSystemAdmin, nil)
		u, _ := st.UserByUsername(ctx, "lisi")
		mustJSON[map[string]any](t, f.mustDo(t, admin, "POST", "/api/v1/users/"+id(u.ID)+"/unlock", nil), http.StatusOK)
		code := mustOTP(t, totpSecret)
		ok := login(map[string]string{"username": "lisi", "password": password, "otp": code})
		if ok.status != http.StatusOK {
			t.Fatalf("after unlock: %v", ok)
		}
		if c := ok.header.Get("Set-Cookie"); !strings.HasPrefix(c, api.SessionCookie+"=") || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
			t.Errorf("cookie over plain HTTP: %s", c)
		}
		// The same code again is refused (single use).
		again := login(map[string]string{"username": "lisi", "password": password, "otp": code})
		if again.status != http.StatusUnauthorized {
			t.Errorf("reused code: %v", again)
		}
	})
}

// TestLoginTiming checks that an unknown user and a wrong password take about the same time:
// both verify one argon2id hash. The two kinds of request alternate and the fastest of each
// counts, so a busy machine slows both alike; skipping the hash would make the unknown user
// a hundred times faster, far outside the bound.
//
// Not parallel: it hashes at the production cost (the test cost, a few microseconds, would let
// the failed-attempt count of a known account decide the comparison), which it sets back before
// the package's parallel tests start.
func TestLoginTiming(t *testing.T) {
	defer authz.UseProductionPasswordCost()()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st)
	f.mustToken(t, model.RoleResident, f.tree.stairA)
	user := "resident-" + id(f.tree.stairA.ID)
	userID := mustUserID(t, st, user)
	fastest := map[string]time.Duration{}
	for i := range 6 {
		for _, username := range []string{"nobody-at-all", user} {
			start := time.Now()
			f.mustDo(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": "wrong password " + string(rune('a'+i))})
			if d := time.Since(start); fastest[username] == 0 || d < fastest[username] {
				fastest[username] = d
			}
		}
		// Keep the account below the lock.
		if _, err := st.AdminAccount(context.Background(), authz.System(), userID, store.ActionUnlock); err != nil {
			t.Fatal(err)
		}
	}
	unknown, wrong := fastest["nobody-at-all"], fastest[user]
	if ratio := float64(unknown) / float64(wrong); ratio < 1.0/3 || ratio > 3 {
		t.Errorf("unknown user %s, wrong password %s: want the same time", unknown, wrong)
	}
	t.Logf("fastest failed login: unknown user %s, wrong password %s", unknown, wrong)
}

func mustUserID(tb testing.TB, st *store.Store, username string) int64 {
	tb.Helper()
	u, err := st.UserByUsername(context.Background(), username)
	if err != nil {
		tb.Fatal(err)
	}
	return u.ID
}

func TestSecureCookie(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewTLSServer(server.New(st, log, api.Token, api.New(st, log, maxBody, false)).Handler())
	defer srv.Close()
	if _, err := st.CreateUser(context.Background(), authz.System(), store.UserInput{Username: "res", Password: password, Role: model.RoleSystemAdmin, TOTPSecret: totpSecret}); err != nil {
		t.Fatal(err)
	}
	body := `{"username":"res","password":"` + password + `","otp":"` + mustOTP(t, totpSecret) + `"}`
	res, err := srv.Client().Post(srv.URL+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	c := res.Header.Get("Set-Cookie")
	for _, want := range []string{api.SecureSessionCookie + "=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(c, want) {
			t.Errorf("cookie over TLS %q lacks %s", c, want)
		}
	}
	if strings.Contains(c, "Domain=") {
		t.Errorf("__Host- cookie with a Domain: %s", c)
	}
	// The cookie works for the next request.
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/auth/me", nil)
	req.Header.Set("Cookie", strings.Split(c, ";")[0])
	res, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("me with the __Host- cookie: %d", res.StatusCode)
	}
}

type tokenOut struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	ScopeID    string     `json:"scope_id"`
	ScopeName  string     `json:"scope_name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Active     bool       `json:"active"`
	Token      string     `json:"token"`
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		ha := f.mustHousehold(t, staff, tr.stairA, "101室")
		hb := f.mustHousehold(t, staff, tr.stairB, "201室")
		// A token for grid A only.
		tok := mustJSON[tokenOut](t, f.mustDo(t, staff, "POST", "/api/v1/tokens", map[string]any{"name": "网格A脚本", "scope_id": id(tr.gridA.ID), "expires_in_days": 30}), http.StatusCreated)
		if !strings.HasPrefix(tok.Token, store.APITokenPrefix) || !tok.Active || tok.ScopeID != id(tr.gridA.ID) {
			t.Fatalf("token %+v", tok)
		}
		if r := f.mustDo(t, tok.Token, "GET", "/api/v1/households/"+ha.ID, nil); r.status != http.StatusOK {
			t.Errorf("token on its own grid: %v", r)
		}
		mustProblem(t, f.mustDo(t, tok.Token, "GET", "/api/v1/households/"+hb.ID, nil), http.StatusNotFound)
		list := mustJSON[struct {
			Items []householdOut
			Total int
		}](t, f.mustDo(t, tok.Token, "GET", "/api/v1/households", nil), http.StatusOK)
		if len(list.Items) != 1 || list.Items[0].ID != ha.ID {
			t.Errorf("token lists %d households, want only grid A's", len(list.Items))
		}
		// A token cannot manage tokens or the password.
		mustProblem(t, f.mustDo(t, tok.Token, "POST", "/api/v1/tokens", map[string]any{"name": "x", "expires_in_days": 1}), http.StatusForbidden)
		mustProblem(t, f.mustDo(t, tok.Token, "POST", "/api/v1/auth/password", map[string]string{"old_password": password, "password": "another long passphrase"}), http.StatusForbidden)
		// Bad input.
		for _, body := range []map[string]any{
			{"name": "", "expires_in_days": 30},
			{"name": "x", "expires_in_days": 0},
			{"name": "x", "expires_in_days": 366},
			{"name": "x", "expires_in_days": 30, "scope_id": id(tr.district.ID)},
		} {
			mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/tokens", body), http.StatusUnprocessableEntity)
		}
		// Listed without the secret; revoked → 401 at once.
		l := mustJSON[struct{ Items []tokenOut }](t, f.mustDo(t, staff, "GET", "/api/v1/tokens", nil), http.StatusOK)
		if len(l.Items) != 1 || l.Items[0].Token != "" {
			t.Errorf("list %+v", l.Items)
		}
		if r := f.mustDo(t, staff, "DELETE", "/api/v1/tokens/"+tok.ID, nil); r.status != http.StatusNoContent {
			t.Fatalf("revoke: %v", r)
		}
		p := mustProblem(t, f.mustDo(t, tok.Token, "GET", "/api/v1/households/"+ha.ID, nil), http.StatusUnauthorized)
		if !strings.HasSuffix(p.Type, "/unauthenticated") {
			t.Errorf("revoked token: %s", p.Type)
		}
		other := f.mustToken(t, model.RoleCommunityAdmin, tr.community)
		mustProblem(t, f.mustDo(t, other, "DELETE", "/api/v1/tokens/"+tok.ID, nil), http.StatusNotFound)
		// Expired: a one-day token a day and a second later.
		short := mustJSON[tokenOut](t, f.mustDo(t, staff, "POST", "/api/v1/tokens", map[string]any{"name": "一天", "expires_in_days": 1}), http.StatusCreated)
		if r := f.mustDo(t, short.Token, "GET", "/api/v1/auth/me", nil); r.status != http.StatusOK {
			t.Fatalf("fresh token: %v", r)
		}
		later := time.Now().Add(24*time.Hour + time.Second)
		st.SetNow(func() time.Time { return later })
		p = mustProblem(t, f.mustDo(t, short.Token, "GET", "/api/v1/auth/me", nil), http.StatusUnauthorized)
		if !strings.HasSuffix(p.Type, "/unauthenticated") {
			t.Errorf("expired token: %s", p.Type)
		}
	})
}

func TestUsersAndPassword(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		admin := f.mustToken(t, model.RoleCommunityAdmin, tr.community)
		grid := f.mustToken(t, model.RoleGridLeader, tr.gridA)
		// Create within scope; outside it, or a system admin, is refused.
		created := mustJSON[map[string]any](t, f.mustDo(t, admin, "POST", "/api/v1/users", map[string]any{
			"username": "wangwu", "display_name": "王五", "password": "a long enough passphrase", "role": "community_staff", "scope_id": id(tr.gridB.ID)}), http.StatusCreated)
		if created["totp_enrolled"] != false || created["disabled"] != false {
			t.Errorf("created %v", created)
		}
		// A role above its own is refused (403, naming the rule); a scope above its own is invalid.
		p := mustProblem(t, f.mustDo(t, admin, "POST", "/api/v1/users", map[string]any{
			"username": "x1", "password": "a long enough passphrase", "role": "street_admin", "scope_id": id(tr.street.ID)}), http.StatusForbidden)
		if !strings.Contains(p.Detail, "只能授予低于自己的角色") {
			t.Errorf("escalation refused with %q", p.Detail)
		}
		p = mustProblem(t, f.mustDo(t, admin, "POST", "/api/v1/users", map[string]any{
			"username": "x1", "password": "a long enough passphrase", "role": "community_staff", "scope_id": id(tr.street.ID)}), http.StatusUnprocessableEntity)
		if !slices.Contains(fields(p), "scope") {
			t.Errorf("scope above its own: fields %v", fields(p))
		}
		mustProblem(t, f.mustDo(t, admin, "POST", "/api/v1/users", map[string]any{
			"username": "x2", "password": "password12345", "role": "member", "scope_id": id(tr.stairA.ID)}), http.StatusUnprocessableEntity)
		mustProblem(t, f.mustDo(t, grid, "GET", "/api/v1/users", nil), http.StatusForbidden)
		users := mustJSON[struct{ Items []map[string]any }](t, f.mustDo(t, admin, "GET", "/api/v1/users", nil), http.StatusOK)
		if len(users.Items) != 3 {
			t.Errorf("admin sees %d accounts, want 3 (itself, the grid leader, wangwu)", len(users.Items))
		}
		// Disabling ends the grid leader's session at once; enabling lets them log in again.
		gridID := mustUserID(t, st, "grid_leader-"+id(tr.gridA.ID))
		mustJSON[map[string]any](t, f.mustDo(t, admin, "POST", "/api/v1/users/"+id(gridID)+"/disable", nil), http.StatusOK)
		mustProblem(t, f.mustDo(t, grid, "GET", "/api/v1/auth/me", nil), http.StatusUnauthorized)
		mustJSON[map[string]any](t, f.mustDo(t, admin, "POST", "/api/v1/users/"+id(gridID)+"/enable", nil), http.StatusOK)
		reset := mustJSON[map[string]any](t, f.mustDo(t, admin, "POST", "/api/v1/users/"+id(gridID)+"/reset-totp", nil), http.StatusOK)
		if reset["totp_enrolled"] != false {
			t.Errorf("after reset-totp: %v", reset)
		}
		// Outside the scope: 404. A system admin's account is not in a community admin's scope.
		sys := f.mustToken(t, model.RoleSystemAdmin, nil)
		mustProblem(t, f.mustDo(t, admin, "POST", "/api/v1/users/"+id(mustUserID(t, st, "system_admin"))+"/disable", nil), http.StatusNotFound)
		// Changing the password: the old one must be right; then every session ends.
		p = mustProblem(t, f.mustDo(t, sys, "POST", "/api/v1/auth/password", map[string]string{"old_password": "not the password", "password": "a brand new passphrase"}), http.StatusUnprocessableEntity)
		if !slices.Contains(fields(p), "old_password") {
			t.Errorf("wrong old password: %v", fields(p))
		}
		p = mustProblem(t, f.mustDo(t, sys, "POST", "/api/v1/auth/password", map[string]string{"old_password": password, "password": "system_admin rules ok"}), http.StatusUnprocessableEntity)
		if message(p, "password") == "" {
			t.Errorf("password containing the username: %v", p)
		}
		if r := f.mustDo(t, sys, "POST", "/api/v1/auth/password", map[string]string{"old_password": password, "password": "a brand new passphrase"}); r.status != http.StatusNoContent {
			t.Fatalf("change: %v", r)
		}
		mustProblem(t, f.mustDo(t, sys, "GET", "/api/v1/auth/me", nil), http.StatusUnauthorized)
	})
}

// TestBadLoginInputLogsNothingRaw sends CR/LF and a null byte in the username with a forged log
// line after them: the answer is a clear 422 and the log holds no line the client wrote.
func TestBadLoginInputLogsNothingRaw(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	var buf syncBuf
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(server.New(st, log, api.Token, api.New(st, log, maxBody, false)).Handler())
	defer srv.Close()
	for _, username := range []string{"x\nlevel=ERROR msg=forged", "x\r\nlevel=ERROR msg=forged", "x\x00level=ERROR msg=forged"} {
		for _, pw := range []string{"wrong password here", strings.Repeat("p", 2000)} {
			body := `{"username":` + strconvQuote(username) + `,"password":"` + pw + `"}`
			res, err := http.Post(srv.URL+"/api/v1/auth/login", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("username %q: %d, want 422", username, res.StatusCode)
			}
		}
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(line, "level=ERROR msg=forged") || strings.Contains(line, "\x00") {
			t.Errorf("forged log line: %q", line)
		}
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// syncBuf is a bytes.Buffer safe for the server's goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAccountChangesAudited: every account change is recorded with the account's state before
// and after (role, scope, disabled, locked, second factor), never a password or a secret; a
// refused one is recorded as denied with the rule.
func TestAccountChangesAudited(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		ctx := context.Background()
		admin := f.mustToken(t, model.RoleCommunityAdmin, tr.community)
		created := mustJSON[map[string]any](t, f.mustDo(t, admin, "POST", "/api/v1/users", map[string]any{
			"username": "zhaoliu", "password": "a long enough passphrase", "role": "grid_leader", "scope_id": id(tr.gridA.ID), "totp_secret": totpSecret}), http.StatusCreated)
		uid := created["id"].(string)
		mustJSON[map[string]any](t, f.mustDo(t, admin, "PATCH", "/api/v1/users/"+uid, map[string]any{"role": "community_staff", "scope_id": id(tr.gridB.ID), "display_name": "赵六"}), http.StatusOK)
		mustJSON[map[string]any](t, f.mustDo(t, admin, "POST", "/api/v1/users/"+uid+"/disable", nil), http.StatusOK)
		p := mustProblem(t, f.mustDo(t, admin, "PATCH", "/api/v1/users/"+uid, map[string]any{"role": "auditor"}), http.StatusForbidden)
		if !strings.Contains(p.Detail, "审计员和系统管理员只能由系统管理员授予") {
			t.Errorf("refusal detail %q", p.Detail)
		}
		n, _ := strconv.ParseInt(uid, 10, 64)
		log, err := st.AuditLog(ctx, authz.System(), store.AuditFilter{Subject: "user:" + uid})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range log.Items {
			got = append(got, fmt.Sprintf("%s %s %s", r.Action, r.Result, r.Detail))
			for _, secret := range []string{totpSecret, "a long enough passphrase", "赵六"} {
				if strings.Contains(r.Detail, secret) {
					t.Errorf("audit detail holds a secret or personal value: %s", r.Detail)
				}
			}
		}
		slices.Reverse(got)
		a, b := id(tr.gridA.ID), id(tr.gridB.ID)
		want := []string{
			"user.create ok after: role=grid_leader scope=" + a + " disabled=false locked=false totp=true",
			"user.update ok before: role=grid_leader scope=" + a + " disabled=false locked=false totp=true; after: role=community_staff scope=" + b + " disabled=false locked=false totp=true; display name changed",
			"user.disable ok before: role=community_staff scope=" + b + " disabled=false locked=false totp=true; after: role=community_staff scope=" + b + " disabled=true locked=false totp=true",
			"user.update denied refused: community_admin may not give role auditor",
		}
		if !slices.Equal(got, want) {
			t.Errorf("audit of account %d:\n got %q\nwant %q", n, got, want)
		}
	})
}
