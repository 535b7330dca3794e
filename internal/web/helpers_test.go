package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// fixture is a small city: district › street › community › grid › building › stairwell, a
// second community with its own stairwell, and one account per role that matters.
type fixture struct {
	st                                                                 *store.Store
	srv                                                                *httptest.Server
	district, street, community, grid, building, stairwell, community2 *model.Territory
	stairwell2                                                         *model.Territory
	household2                                                         *model.Household // in community2
	clock                                                              *testClock
}

// totpSecret is the second-factor secret of every staff account of the fixture.
const totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// testClock is the store's account clock in page tests: each staff login moves it on one TOTP
// step, so that the same account can log in again with a fresh code (codes are single-use).
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// step moves the clock on one TOTP step and returns the code of secret at the new time.
func (c *testClock) step(t *testing.T, secret string) string {
	t.Helper()
	c.mu.Lock()
	c.t = c.t.Add(authz.TOTPPeriod * time.Second)
	now := c.t
	c.mu.Unlock()
	code, err := authz.TOTPCode(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

const password = "correct-horse-battery"

// mustFixture builds the tree, the accounts and a server with the pages on st.
func mustFixture(t *testing.T, st *store.Store, opts web.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	sys := authz.System()
	add := func(parent *model.Territory, kind model.TerritoryKind, name, code string) *model.Territory {
		t.Helper()
		var pid int64
		if parent != nil {
			pid = parent.ID
		}
		n, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: pid, Kind: kind, Name: name, Code: code})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return n
	}
	f := &fixture{st: st}
	f.district = add(nil, model.KindDistrict, "江油市", "510781000000")
	f.street = add(f.district, model.KindStreet, "中坝街道", "510781006000")
	f.community = add(f.street, model.KindCommunity, "天宝社区", "510781006001")
	f.grid = add(f.community, model.KindGrid, "第一网格", "")
	f.building = add(f.grid, model.KindBuilding, "1栋", "")
	f.stairwell = add(f.building, model.KindStairwell, "1单元", "")
	f.community2 = add(f.street, model.KindCommunity, "东胜社区", "510781006002")
	f.stairwell2 = add(add(f.community2, model.KindBuilding, "8栋", ""), model.KindStairwell, "2单元", "")
	h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell2.ID, Address: "8栋2单元302室"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "东胜户主",
		IDNumber: validID("510781", "19700101", 7), Relation: model.RelationHead}); err != nil {
		t.Fatal(err)
	}
	f.household2 = h
	users := []struct {
		name  string
		role  model.Role
		scope *model.Territory
	}{
		{"sysadmin", model.RoleSystemAdmin, nil},
		{"streetadmin", model.RoleStreetAdmin, f.street},
		{"comadmin", model.RoleCommunityAdmin, f.community},
		{"staff", model.RoleCommunityStaff, f.community},
		{"gridleader", model.RoleGridLeader, f.grid},
		{"unitleader", model.RoleUnitLeader, f.building},
		{"member", model.RoleMember, f.community},
		{"resident", model.RoleResident, f.community},
	}
	for _, u := range users {
		in := store.UserInput{Username: u.name, DisplayName: u.name, Password: password, Role: u.role}
		if u.role.NeedsSecondFactor() {
			in.TOTPSecret = totpSecret
		}
		if u.scope != nil {
			in.ScopeID = u.scope.ID
		}
		if u.role == model.RoleUnitLeader {
			// A unit leader leads a real unit: until a test gives it one (leadUnit), the
			// unit of the household in the other community, which no list of the first shows.
			in.UnitID = storetest.MustUnit(t, st, "东胜联建单元", f.household2.ID).ID
		}
		if _, err := st.CreateUser(ctx, sys, in); err != nil {
			t.Fatalf("create user %s: %v", u.name, err)
		}
	}
	f.clock = &testClock{t: time.Now()}
	st.SetNow(f.clock.Now)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pages, err := web.New(st, log, opts)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	f.srv = httptest.NewServer(server.New(st, log, api.Token, pages).Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// validID builds a valid ID number for region, birth date and sequence.
func validID(region, birth string, seq int) string {
	s := region + birth + string(rune('0'+seq/100%10)) + string(rune('0'+seq/10%10)) + string(rune('0'+seq%10))
	return s + string(model.IDCheckDigit(s))
}

// client is a browser without JavaScript: it keeps cookies and does not follow redirects, so
// tests see every 303.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func (f *fixture) anon(t *testing.T) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: f.srv.URL, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// as logs in as username and returns the client.
func (f *fixture) as(t *testing.T, username string) *client {
	t.Helper()
	c := f.anon(t)
	if res := f.login(c, username, ""); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: status %d", username, res.StatusCode)
	}
	return c
}

// leadUnit forms the households into a unit and makes it the unit the unitleader account
// leads (its scope is then exactly these households).
func (f *fixture) leadUnit(t *testing.T, households ...int64) *model.Unit {
	t.Helper()
	unit := storetest.MustUnit(t, f.st, "测试联建单元", households...)
	u, err := f.st.UserByUsername(t.Context(), "unitleader")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.UpdateUser(t.Context(), authz.System(), u.ID, store.UserPatch{UnitID: &unit.ID}); err != nil {
		t.Fatal(err)
	}
	return unit
}

// login logs c in as username with the fixture's password and, when the page asks for it (staff
// accounts), the current code in the second step; it returns the last response.
func (f *fixture) login(c *client, username, next string) *response {
	c.t.Helper()
	form := url.Values{"username": {username}, "password": {password}}
	if next != "" {
		form.Set("next", next)
	}
	res := c.post("/login", form)
	if res.StatusCode != http.StatusOK || len(all(res.Doc, "input[name=challenge]")) == 0 {
		return res
	}
	secret := totpSecret
	if n := all(res.Doc, "#otp-secret"); len(n) == 1 {
		// Not enrolled yet: the enrolment page shows a new secret (grouped by four).
		secret = strings.ReplaceAll(text(n[0]), " ", "")
	}
	return c.post("/login/otp", url.Values{"challenge": {attr(one(c.t, res.Doc, "input[name=challenge]"), "value")},
		"next": {attr(one(c.t, res.Doc, "#form-otp input[name=next]"), "value")}, "otp": {f.clock.step(c.t, secret)}})
}

// response is a read response with its parsed document.
type response struct {
	*http.Response
	Body string
	Doc  *html.Node
}

func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := &response{Response: res, Body: string(b)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		if r.Doc, err = html.Parse(strings.NewReader(r.Body)); err != nil {
			c.t.Fatalf("parse %s: %v", req.URL, err)
		}
		checkNoInline(c.t, req.URL.Path, r.Doc)
	}
	return r
}

func (c *client) get(path string, header ...string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

// post sends a form the way a browser on this site does (same-origin).
func (c *client) post(path string, form url.Values) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// want fails the test unless the response has status code.
func (r *response) want(t *testing.T, code int) *response {
	t.Helper()
	if r.StatusCode != code {
		t.Fatalf("%s %s: status %d, want %d\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, code, excerpt(r.Body))
	}
	// A catalog message given an argument its verb does not take prints "%!s(int=0)".
	if i := strings.Index(r.Body, "%!"); i >= 0 {
		t.Errorf("%s %s: a message printed a bad verb: %q", r.Request.Method, r.Request.URL.Path, r.Body[max(0, i-60):min(len(r.Body), i+60)])
	}
	return r
}

func excerpt(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// checkNoInline fails on inline script or style, which the Content-Security-Policy blocks.
func checkNoInline(t *testing.T, path string, doc *html.Node) {
	t.Helper()
	for _, n := range all(doc, "*") {
		if hasAttr(n, "style") {
			t.Errorf("%s: <%s style=…> is blocked by the CSP", path, n.Data)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("%s: <%s %s=…> is blocked by the CSP", path, n.Data, a.Key)
			}
		}
		if n.Data == "script" && !hasAttr(n, "src") {
			t.Errorf("%s: inline <script> is blocked by the CSP", path)
		}
		if n.Data == "style" {
			t.Errorf("%s: <style> element is blocked by the CSP", path)
		}
	}
}

// A tiny CSS selector engine over x/net/html: compound selectors (tag, #id, .class, [attr],
// [attr=value], [attr^=value], [attr$=value], [attr*=value]) joined by descendant spaces. Enough to check
// pages by structure instead of by string equality.

// all returns every element under root matching sel, in document order.
func all(root *html.Node, sel string) []*html.Node {
	parts := strings.Fields(sel)
	var out []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && matchChain(n, parts) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return out
}

// one returns the first element matching sel, failing the test when there is none.
func one(t *testing.T, root *html.Node, sel string) *html.Node {
	t.Helper()
	ns := all(root, sel)
	if len(ns) == 0 {
		t.Fatalf("no element matches %q", sel)
	}
	return ns[0]
}

func matchChain(n *html.Node, parts []string) bool {
	if !matchCompound(n, parts[len(parts)-1]) {
		return false
	}
	rest := parts[:len(parts)-1]
	for p := n.Parent; len(rest) > 0 && p != nil; p = p.Parent {
		if p.Type == html.ElementNode && matchCompound(p, rest[len(rest)-1]) {
			rest = rest[:len(rest)-1]
		}
	}
	return len(rest) == 0
}

func matchCompound(n *html.Node, sel string) bool {
	i := 0
	for i < len(sel) && !strings.ContainsRune("#.[", rune(sel[i])) {
		i++
	}
	if tag := sel[:i]; tag != "" && tag != "*" && tag != n.Data {
		return false
	}
	for sel = sel[i:]; sel != ""; {
		switch sel[0] {
		case '#', '.':
			j := 1
			for j < len(sel) && !strings.ContainsRune("#.[", rune(sel[j])) {
				j++
			}
			name := sel[1:j]
			if sel[0] == '#' && attr(n, "id") != name {
				return false
			}
			if sel[0] == '.' && !hasWord(attr(n, "class"), name) {
				return false
			}
			sel = sel[j:]
		case '[':
			j := strings.IndexByte(sel, ']')
			expr := sel[1:j]
			sel = sel[j+1:]
			key, val, hasVal := strings.Cut(expr, "=")
			op := ""
			if hasVal && strings.ContainsAny(key[len(key)-1:], "^$*") {
				op, key = key[len(key)-1:], key[:len(key)-1]
			}
			val = strings.Trim(val, `"'`)
			if !hasAttr(n, key) {
				return false
			}
			v := attr(n, key)
			switch {
			case !hasVal:
			case op == "^" && !strings.HasPrefix(v, val):
				return false
			case op == "*" && !strings.Contains(v, val):
				return false
			case op == "$" && !strings.HasSuffix(v, val):
				return false
			case op == "" && v != val:
				return false
			}
		default:
			return false
		}
	}
	return true
}

func hasWord(list, w string) bool {
	for _, f := range strings.Fields(list) {
		if f == w {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// text is the element's text content with runs of space collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// texts is the text of every element matching sel.
func texts(root *html.Node, sel string) []string {
	var s []string
	for _, n := range all(root, sel) {
		s = append(s, text(n))
	}
	return s
}
