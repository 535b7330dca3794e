package securitytest_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/api"
	"gongzhi/internal/model"
)

// runCrossSite sends every state-changing route of both surfaces (generated
// from the route tables) from a foreign site with the session cookie, as a forged form or
// fetch would: each is rejected with 403 and changes nothing (the journal does not move). The
// same request from the site's own pages goes through.
// csrfAs names, for a route no role may take on the caller's own relation, the role and the
// relation the same-origin request is sent as (a claim: a member on an open order of another
// household of its community).
var csrfAs = map[string]struct {
	role model.Role
	rel  relation
}{
	"POST /api/v1/orders/{id}/claim": {model.RoleMember, relUnit},
}

func runCrossSite(t *testing.T, w *world) {
	apiRoutes, pageRoutes := surfaceRoutes(t, w.st)
	role := model.RoleSystemAdmin
	var checked int
	for _, rt := range append(apiRoutes, pageRoutes...) {
		method, path, kind, ok := route(rt.Pattern)
		if !ok || method == "" || method == http.MethodGet || method == http.MethodHead {
			continue
		}
		sp, ok := specs[rt.Pattern]
		if !ok {
			t.Errorf("route %q has no spec", rt.Pattern)
			continue
		}
		who := role
		if !may(who, sp.kind) {
			who = model.RoleResident // the subject routes
			if !may(who, sp.kind) {
				who = model.RolePartner // a partner's own organization
			}
			if !may(who, sp.kind) {
				who = model.RoleMember // a member's own study and party data
			}
			if !may(who, sp.kind) {
				t.Errorf("route %q: no role of the test may take a route of kind %s", rt.Pattern, sp.kind)
				continue
			}
		}
		rel := relOwn
		if as, ok := csrfAs[rt.Pattern]; ok {
			who, rel = as.role, as.rel
		}
		// prepare builds the request on a fresh object (created now, before any digest).
		prepare := func(crossSite bool) (*http.Request, func()) {
			p := path
			var id int64 // the object the path names (0: none), handed to the body as the matrix does
			if kind != noObject {
				id = w.object(kind, rel)
				if sp.subject {
					id = w.targets[rel].subject.ID
				}
				if sp.container {
					id = w.targets[rel].container.ID
				}
				if sp.fresh {
					id = w.fresh(kind, rel, who)
				}
				p = wildcard.ReplaceAllString(path, strconv.FormatInt(id, 10))
			}
			if sp.path != nil { // wildcards naming different objects, as the matrix builds them
				p = sp.path(w, rel)
			}
			if sp.query != nil {
				p += "?" + sp.query(w, rel)
			}
			var ct string
			var body []byte
			if sp.body != nil {
				ct, body = sp.body(w, rel, id)
			}
			token := w.session(w.users[who])
			done := func() {}
			if sp.password {
				next := fmt.Sprintf("Matrix-Proof-Passphrase-%d", w.nextSeq())
				var r io.Reader
				ct, r = passwordBody(strings.HasPrefix(path, "/api/"), w.password(who), next)
				body, _ = io.ReadAll(r)
				done = func() { w.setPassword(who, next); w.setToken(who, w.session(w.users[who])) }
			}
			req, err := http.NewRequest(method, w.srv.URL+p, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			// The session travels as the cookie a browser attaches on its own: the ambient
			// credential a forged request relies on.
			req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: token})
			if crossSite {
				req.Header.Set("Origin", "https://evil.example")
				req.Header.Set("Sec-Fetch-Site", "cross-site")
			} else {
				req.Header.Set("Origin", w.srv.URL)
				req.Header.Set("Sec-Fetch-Site", "same-origin")
			}
			return req, done
		}
		send := func(req *http.Request) *http.Response {
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp
		}
		req, _ := prepare(true)
		mark := w.journal.mark(t)
		if resp := send(req); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s cross-site: HTTP %d, want 403", rt.Pattern, resp.StatusCode)
		}
		if changed := w.journal.since(t, mark); changed != "" {
			t.Errorf("%s cross-site changed the database: %s", rt.Pattern, changed)
		}
		req, done := prepare(false)
		resp := send(req)
		if got := actual(resp, sp, strings.HasPrefix(path, "/api/"), false); got != allow && !(sp.fixed != "" && got == sp.fixed) {
			t.Errorf("%s same-origin: got %s (HTTP %d), want allowed", rt.Pattern, got, resp.StatusCode)
		} else {
			done()
		}
		checked++
	}
	msg := fmt.Sprintf("CSRF (%s): %d state-changing routes sent cross-site (rejected, nothing changed) and same-origin (allowed)", w.engine, checked)
	t.Log(msg)
	if testing.Verbose() {
		fmt.Println(msg)
	}
}
