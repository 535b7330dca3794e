package web_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

func TestRoutesNameKnownActions(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	pages, err := web.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range pages.Routes() {
		if !authz.Known(rt.Action) {
			t.Errorf("route %q names action %q, unknown to the policy", rt.Pattern, rt.Action)
		}
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		c := f.anon(t)

		res := c.get("/households?flag=hardship").want(t, http.StatusSeeOther)
		if got, want := res.Header.Get("Location"), "/login?next="+url.QueryEscape("/households?flag=hardship"); got != want {
			t.Errorf("anonymous /households: Location %q, want %q", got, want)
		}
		res = c.get("/login?next=/households").want(t, http.StatusOK)
		if got := attr(one(t, res.Doc, "form input[name=next]"), "value"); got != "/households" {
			t.Errorf("next field = %q, want /households", got)
		}
		one(t, res.Doc, "input#f-login-username[name=username]")
		one(t, res.Doc, "input#f-login-password[type=password]")

		// Unknown user and wrong password: the same status and the same words.
		for _, form := range []url.Values{
			{"username": {"nobody"}, "password": {password}},
			{"username": {"comadmin"}, "password": {"wrong-password-123"}},
		} {
			res = c.post("/login", form).want(t, http.StatusUnauthorized)
			if got := texts(res.Doc, ".error-summary li"); len(got) != 1 || !strings.HasPrefix(got[0], "用户名或密码错误") {
				t.Errorf("failed login summary = %q, want [用户名或密码错误…]", got)
			}
			if got := attr(one(t, res.Doc, "#f-login-username"), "value"); got != form.Get("username") {
				t.Errorf("username kept = %q, want %q", got, form.Get("username"))
			}
			if got := attr(one(t, res.Doc, "#f-login-password"), "value"); got != "" {
				t.Errorf("password echoed back into the page")
			}
		}
		res = c.post("/login", url.Values{"username": {""}, "password": {""}}).want(t, http.StatusUnprocessableEntity)
		if got := len(all(res.Doc, ".error-summary li a[href^=#f-login-]")); got != 2 {
			t.Errorf("empty login: %d linked errors, want 2", got)
		}

		res = f.login(c, "comadmin", "/households").want(t, http.StatusSeeOther)
		if got := res.Header.Get("Location"); got != "/households" {
			t.Errorf("login redirect = %q, want /households", got)
		}
		var cookie *http.Cookie
		for _, ck := range res.Cookies() {
			if ck.Name == "gongzhi_session" {
				cookie = ck
			}
		}
		if cookie == nil || !cookie.HttpOnly || cookie.Value == "" {
			t.Fatalf("session cookie = %+v, want an HttpOnly gongzhi_session", cookie)
		}
		c.get("/households").want(t, http.StatusOK)
		// Logged in, /login goes straight on.
		c.get("/login?next=/residents").want(t, http.StatusSeeOther)

		res = c.post("/logout", nil).want(t, http.StatusSeeOther)
		if got := res.Header.Get("Location"); !strings.HasPrefix(got, "/login") {
			t.Errorf("logout redirect = %q", got)
		}
		c.get("/").want(t, http.StatusSeeOther)
	})
}

func TestLoginNextOnlyLocal(t *testing.T) {
	t.Parallel()
	f := mustFixture(t, storetest.Open(t, "sqlite"), web.Options{})
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "evil"} {
		res := f.login(f.anon(t), "comadmin", next).want(t, http.StatusSeeOther)
		if got := res.Header.Get("Location"); got != "/" {
			t.Errorf("next=%q: redirect to %q, want /", next, got)
		}
	}
}

func TestPagesByRoleAndScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		id := func(v int64) string { return fmt.Sprint(v) }
		cases := []struct {
			user, path string
			want       int
		}{
			{"", "/", http.StatusSeeOther},
			{"", "/territories/" + id(f.community.ID), http.StatusSeeOther},
			{"", "/no/such/page", http.StatusNotFound},
			{"comadmin", "/", http.StatusOK},
			{"comadmin", "/services", http.StatusOK},
			{"comadmin", "/messages", http.StatusOK},
			{"comadmin", "/me", http.StatusOK},
			{"comadmin", "/territories", http.StatusSeeOther},
			{"comadmin", "/territories/" + id(f.community.ID), http.StatusOK},
			{"comadmin", "/territories/" + id(f.stairwell.ID), http.StatusOK},
			{"comadmin", "/territories/" + id(f.community2.ID), http.StatusNotFound},
			{"comadmin", "/territories/" + id(f.street.ID), http.StatusNotFound},
			{"comadmin", "/territories/999999", http.StatusNotFound},
			{"comadmin", "/territories/abc", http.StatusNotFound},
			{"comadmin", "/territories/" + id(f.grid.ID) + "/archive", http.StatusOK},
			{"comadmin", "/households", http.StatusOK},
			{"comadmin", "/households?territory=" + id(f.stairwell.ID), http.StatusOK},
			{"comadmin", "/households?territory=" + id(f.community2.ID), http.StatusNotFound},
			{"comadmin", "/households/" + id(f.household2.ID), http.StatusNotFound},
			{"comadmin", "/households/" + id(f.household2.ID) + "/move-out", http.StatusNotFound},
			{"comadmin", "/households/" + id(f.household2.ID) + "/residents/new", http.StatusNotFound},
			{"comadmin", "/households/new", http.StatusOK},
			{"comadmin", "/households/new?territory=" + id(f.community2.ID), http.StatusNotFound},
			{"comadmin", "/households?cursor=garbage", http.StatusBadRequest},
			{"comadmin", "/residents", http.StatusOK},
			{"comadmin", "/residents?territory=" + id(f.community2.ID), http.StatusNotFound},
			{"comadmin", "/import", http.StatusOK},
			{"streetadmin", "/households/" + id(f.household2.ID), http.StatusOK},
			{"streetadmin", "/territories/" + id(f.district.ID), http.StatusNotFound},
			{"sysadmin", "/territories", http.StatusOK},
			{"sysadmin", "/territories/" + id(f.district.ID), http.StatusOK},
			{"staff", "/territories/" + id(f.grid.ID) + "/archive", http.StatusForbidden},
			{"staff", "/import", http.StatusOK},
			{"gridleader", "/households/new", http.StatusOK},
			{"gridleader", "/import", http.StatusForbidden},
			{"gridleader", "/households?territory=" + id(f.grid.ID), http.StatusOK},
			{"gridleader", "/households?territory=" + id(f.community.ID), http.StatusNotFound},
			{"unitleader", "/households", http.StatusOK},
			{"unitleader", "/households/new", http.StatusForbidden},
			{"unitleader", "/households/" + id(f.household2.ID) + "/edit", http.StatusForbidden},
			{"member", "/", http.StatusOK},
			{"member", "/households", http.StatusForbidden},
			{"resident", "/", http.StatusOK},
			{"resident", "/territories/" + id(f.community.ID), http.StatusOK},
			{"resident", "/residents", http.StatusForbidden},
			{"resident", "/import", http.StatusForbidden},
		}
		clients := map[string]*client{"": f.anon(t)}
		for _, tc := range cases {
			c, ok := clients[tc.user]
			if !ok {
				c = f.as(t, tc.user)
				clients[tc.user] = c
			}
			res := c.get(tc.path)
			if res.StatusCode != tc.want {
				t.Errorf("%s GET %s: status %d, want %d", tc.user, tc.path, res.StatusCode, tc.want)
				continue
			}
			switch {
			case res.StatusCode == http.StatusSeeOther && tc.user == "" && !strings.HasPrefix(res.Header.Get("Location"), "/login"):
				t.Errorf("anonymous GET %s: redirect to %q, want /login", tc.path, res.Header.Get("Location"))
			case res.StatusCode >= 400:
				// Error pages are Chinese pages in the layout, never a bare text.
				if h := one(t, res.Doc, ".error-page h1"); text(h) == "" {
					t.Errorf("%s GET %s: empty error heading", tc.user, tc.path)
				}
			case res.StatusCode == http.StatusOK:
				if got := res.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("%s GET %s: Cache-Control %q, want no-store", tc.user, tc.path, got)
				}
				for _, sel := range []string{"main#main h1", "nav.tabbar a[href=/me]", "nav.crumbs li", ".topbar .account-scope"} {
					if len(all(res.Doc, sel)) == 0 {
						t.Errorf("%s GET %s: no %q", tc.user, tc.path, sel)
					}
				}
			}
		}
		// The 404 for another community's household says nothing about it.
		res := clients["comadmin"].get("/households/" + id(f.household2.ID))
		if strings.Contains(res.Body, "东胜") || strings.Contains(res.Body, "8栋") {
			t.Errorf("404 outside scope leaks the household")
		}
		res = clients["staff"].get("/territories/" + id(f.grid.ID) + "/archive")
		if got := text(one(t, res.Doc, ".error-page h1")); got != "没有权限" {
			t.Errorf("403 heading = %q", got)
		}
	})
}

func TestHomeDashboard(t *testing.T) {
	t.Parallel()
	f := mustFixture(t, storetest.Open(t, "sqlite"), web.Options{SiteName: "测试街道"})
	res := f.as(t, "streetadmin").get("/").want(t, http.StatusOK)
	if got := text(one(t, res.Doc, ".topbar .brand-name")); got != "测试街道" {
		t.Errorf("site name = %q", got)
	}
	if got := text(one(t, res.Doc, ".account-role")); got != "街道管理员" {
		t.Errorf("role label = %q", got)
	}
	if got := texts(res.Doc, ".stat .stat-value"); len(got) < 2 || got[0] != "1" || got[1] != "1" {
		t.Errorf("street counts = %q, want 1 household and 1 resident", got)
	}
	if got := texts(res.Doc, "table tbody th.cell-title a"); strings.Join(got, ",") != "天宝社区,东胜社区" {
		t.Errorf("children = %q", got)
	}
	if got := attr(one(t, res.Doc, ".sidenav a[aria-current=page]"), "href"); got != "/" {
		t.Errorf("active navigation = %q, want /", got)
	}
	// A resident gets the personal home, without household figures.
	res = f.as(t, "resident").get("/").want(t, http.StatusOK)
	if len(all(res.Doc, ".stat")) != 0 {
		t.Errorf("personal home shows household figures")
	}
	one(t, res.Doc, ".tiles a[href=/me]")
	if len(all(res.Doc, ".sidenav a[href=/households]")) != 0 {
		t.Errorf("resident's navigation links to households")
	}
}

func TestHTMXFilterReturnsResultsOnly(t *testing.T) {
	t.Parallel()
	f := mustFixture(t, storetest.Open(t, "sqlite"), web.Options{})
	c := f.as(t, "streetadmin")
	res := c.get("/households?q=302", "HX-Request", "true", "HX-Target", "results").want(t, http.StatusOK)
	if strings.Contains(res.Body, "<html") || !strings.HasPrefix(strings.TrimSpace(res.Body), `<section class="card card-table" id="results"`) {
		t.Errorf("htmx response is not the results fragment:\n%s", excerpt(res.Body))
	}
	if got := texts(res.Doc, "#results tbody th.cell-title a"); len(got) != 1 || got[0] != "8栋2单元302室" {
		t.Errorf("filtered rows = %q", got)
	}
	// Without htmx the same URL is the whole page with its filter bar.
	res = c.get("/households?q=302").want(t, http.StatusOK)
	if got := attr(one(t, res.Doc, "form.filters input[name=q]"), "value"); got != "302" {
		t.Errorf("filter kept = %q", got)
	}
	one(t, res.Doc, "form.filters[hx-get=/households][hx-target=#results]")
	// An error answering a filter request replaces the page's main, not the table.
	res = c.get("/households?territory=999999", "HX-Request", "true", "HX-Target", "results").want(t, http.StatusNotFound)
	if got := res.Header.Get("HX-Retarget"); got != "#main" {
		t.Errorf("HX-Retarget = %q, want #main", got)
	}
	// An expired session during a filter request sends the whole page to the login.
	res = f.anon(t).get("/households?q=1", "HX-Request", "true", "HX-Target", "results", "HX-Current-URL", f.srv.URL+"/households?q=1")
	if got := res.Header.Get("HX-Redirect"); got != "/login?next="+url.QueryEscape("/households?q=1") {
		t.Errorf("HX-Redirect = %q", got)
	}
	res = c.get("/households?q=nothing-like-this").want(t, http.StatusOK)
	one(t, res.Doc, "#results .empty .empty-title")
	one(t, res.Doc, "#results .empty a.btn")
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	f := mustFixture(t, storetest.Open(t, "sqlite"), web.Options{})
	c := f.anon(t)
	page := c.get("/login").want(t, http.StatusOK)
	for _, sel := range []string{"link[rel=stylesheet]", "script[src^=/static/app.]"} {
		n := one(t, page.Doc, sel)
		u := attr(n, "href") + attr(n, "src")
		res := c.get(u).want(t, http.StatusOK)
		if got := res.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
			t.Errorf("%s: Cache-Control %q, want immutable", u, got)
		}
		if res.Body == "" {
			t.Errorf("%s: empty", u)
		}
	}
	if u := attr(one(t, page.Doc, "link[rel=stylesheet]"), "href"); !strings.HasPrefix(u, "/static/app.") || !strings.HasSuffix(u, ".css") {
		t.Errorf("stylesheet URL %q is not content-hashed", u)
	}
	c.get("/static/app.css").want(t, http.StatusNotFound)
}
