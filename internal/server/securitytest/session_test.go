package securitytest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// sessionOnly are the routes only a login session may take, never an API token: managing tokens
// and changing the password (a leaked token must not mint tokens that outlive its revocation,
// nor lock the owner out).
var sessionOnly = []string{
	"POST /api/v1/auth/password", "GET /api/v1/tokens", "POST /api/v1/tokens", "DELETE /api/v1/tokens/{id}",
	"GET /me/password", "POST /me/password", "GET /me/tokens", "POST /me/tokens", "POST /me/tokens/{id}/revoke",
}

// runSessionOnly checks that "session only" is a property of the route that
// the guard enforces: exactly the routes above are marked; an API token of an account whose
// role is allowed the action is refused on each with 403 before the handler runs (the refusal
// is in the audit log, as every guard denial is, and nothing changed); the account's session
// passes; and the same token still works on a route that is not session-only.
func runSessionOnly(t *testing.T, w *world) {
	ctx := context.Background()
	st := w.st
	apiRoutes, pageRoutes := surfaceRoutes(t, st)
	var marked []authz.Route
	var names []string
	for _, rt := range append(apiRoutes, pageRoutes...) {
		if rt.SessionOnly {
			marked = append(marked, rt)
			names = append(names, rt.Pattern)
		}
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(sessionOnly))
	if !slices.Equal(names, want) {
		t.Errorf("session-only routes = %q, want %q", names, want)
	}

	u := w.users[model.RoleGridLeader]
	token, _, err := st.CreateAPIToken(ctx, u, "脚本", 0, 30)
	if err != nil {
		t.Fatal(err)
	}
	victim := func() int64 { // a token of the account the requests could revoke
		_, tok, err := st.CreateAPIToken(ctx, u, "另一个脚本", 0, 30)
		if err != nil {
			t.Fatal(err)
		}
		return tok.ID
	}
	request := func(rt authz.Route, credential string) (int, string) {
		t.Helper()
		method, path, _ := strings.Cut(rt.Pattern, " ")
		path = strings.ReplaceAll(path, "{id}", strconv.FormatInt(victim(), 10))
		ct, body := "", ""
		switch {
		case method != http.MethodPost:
		case strings.HasPrefix(path, "/api/"):
			ct, body = "application/json", `{"name":"再来一个"}`
		default:
			ct, body = "application/x-www-form-urlencoded", url.Values{"name": {"再来一个"}, "expires_in_days": {"30"}}.Encode()
		}
		resp := w.do(credential, method, path, ct, strings.NewReader(body))
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	before, err := st.APITokens(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range marked {
		if !may(u.Role, specs[rt.Pattern].kind) {
			t.Fatalf("%s: %s may not take it; pick another account", rt.Pattern, u.Role)
		}
		code, body := request(rt, token)
		if code != http.StatusForbidden {
			t.Errorf("%s with an API token: HTTP %d, want 403", rt.Pattern, code)
		}
		if strings.HasPrefix(rt.Pattern, "/api/") || strings.Contains(rt.Pattern, " /api/") {
			var p struct{ Type string }
			if json.Unmarshal([]byte(body), &p) != nil || !strings.HasSuffix(p.Type, "/forbidden") {
				t.Errorf("%s with an API token: %s, want the forbidden problem", rt.Pattern, body)
			}
		}
	}
	// Nothing was revoked or created by the refused requests (each made one victim).
	after, err := st.APITokens(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before)+len(marked) {
		t.Errorf("tokens of the account: %d before, %d after %d refused requests that each added one victim", len(before), len(after), len(marked))
	}
	// Every token active before (the world's other proofs may have revoked some of the account's
	// tokens, through the routes that may) and every victim is still active.
	revoked := map[int64]bool{}
	for _, tok := range before {
		revoked[tok.ID] = !st.TokenActive(tok)
	}
	for _, tok := range after {
		if !revoked[tok.ID] && !st.TokenActive(tok) {
			t.Errorf("token %d (%s) was revoked by a refused request", tok.ID, tok.Name)
		}
	}
	// The guard refused them: each is in the audit log as a denial with the route's action.
	log, err := st.AuditLog(ctx, authz.System(), store.AuditFilter{Actor: u.Username, Result: model.AuditDenied, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	denied := map[string]bool{}
	for _, rec := range log.Items {
		denied[rec.Detail] = true
	}
	for _, rt := range marked {
		if !denied[rt.Pattern] {
			t.Errorf("%s: no denial in the audit log (the guard did not refuse it)", rt.Pattern)
		}
	}

	// The account's session passes the guard on every one of them.
	session := w.session(u)
	for _, rt := range marked {
		if code, _ := request(rt, session); code == http.StatusForbidden || code == http.StatusUnauthorized {
			t.Errorf("%s with a session: HTTP %d, want the handler to run", rt.Pattern, code)
		}
		if rt.Pattern == "POST /me/password" || rt.Pattern == "POST /api/v1/auth/password" {
			session = w.session(u) // a password change, had it gone through, ends the sessions
		}
	}
	// And the token is good where a token may go.
	resp := w.do(token, http.MethodGet, "/api/v1/auth/me", "", nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/v1/auth/me with the API token: HTTP %d, want 200", resp.StatusCode)
	}
}
