package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

func TestEnrolmentAtFirstLogin(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		if _, err := st.CreateUser(context.Background(), authz.System(), store.UserInput{Username: "newbie", Password: password,
			Role: model.RoleGridLeader, ScopeID: f.grid.ID}); err != nil {
			t.Fatal(err)
		}
		c := f.anon(t)
		res := c.post("/login", url.Values{"username": {"newbie"}, "password": {password}, "next": {"/households"}}).want(t, http.StatusOK)
		if len(res.Cookies()) != 0 {
			t.Errorf("cookie set before the second factor: %v", res.Cookies())
		}
		if src := attr(one(t, res.Doc, ".otp-qr img"), "src"); !strings.HasPrefix(src, "data:image/png;base64,") {
			t.Errorf("QR code src = %.40q", src)
		}
		secret := strings.ReplaceAll(text(one(t, res.Doc, "#otp-secret")), " ", "")
		if _, err := authz.NormalizeTOTPSecret(secret); err != nil {
			t.Fatalf("secret %q: %v", secret, err)
		}
		if uri := text(one(t, res.Doc, ".otp-uri")); !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "secret="+secret) {
			t.Errorf("URI %q", uri)
		}
		challenge := attr(one(t, res.Doc, "input[name=challenge]"), "value")
		// No session yet.
		c.get("/households").want(t, http.StatusSeeOther)
		// A wrong code: the page again, with the error at the field.
		res = c.post("/login/otp", url.Values{"challenge": {challenge}, "otp": {"000000"}, "next": {"/households"}}).want(t, http.StatusUnauthorized)
		one(t, res.Doc, ".error-summary a[href='#f-otp-otp']")
		one(t, res.Doc, "#otp-secret")
		res = c.post("/login/otp", url.Values{"challenge": {challenge}, "otp": {f.clock.step(t, secret)}, "next": {"/households"}}).want(t, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != "/households" {
			t.Errorf("after enrolment: Location %q", loc)
		}
		c.get("/households").want(t, http.StatusOK)
		// The challenge is spent.
		f.anon(t).post("/login/otp", url.Values{"challenge": {challenge}, "otp": {f.clock.step(t, secret)}}).want(t, http.StatusUnauthorized)
		// Next time: the code page, no new secret.
		res = f.anon(t).post("/login", url.Values{"username": {"newbie"}, "password": {password}}).want(t, http.StatusOK)
		one(t, res.Doc, "input[name=otp][autocomplete=one-time-code]")
		if n := len(all(res.Doc, "#otp-secret")); n != 0 {
			t.Error("enrolled account shown a new secret")
		}
		// Over-long password, CR/LF and null in the username: clear errors.
		for _, form := range []url.Values{
			{"username": {"newbie"}, "password": {strings.Repeat("x", 1025)}},
			{"username": {"new\r\nbie"}, "password": {password}},
			{"username": {"new\x00bie"}, "password": {password}},
		} {
			res = f.anon(t).post("/login", form).want(t, http.StatusUnprocessableEntity)
			if got := texts(res.Doc, ".error-summary li"); len(got) != 1 {
				t.Errorf("%q: summary %q", form.Get("username"), got)
			}
		}
	})
}

func TestAccountPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		admin := f.as(t, "comadmin")
		staff := f.as(t, "staff")
		// API tokens: created and shown once, listed, revoked.
		res := admin.get("/me/tokens").want(t, http.StatusOK)
		one(t, res.Doc, "#form-token input[name=name]")
		res = admin.post("/me/tokens", url.Values{"name": {"导出脚本"}, "scope_id": {"99999"}, "expires_in_days": {"30"}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, ".error-summary a[href='#f-token-scope_id']")
		res = admin.post("/me/tokens", url.Values{"name": {"导出脚本"}, "scope_id": {""}, "expires_in_days": {"30"}}).want(t, http.StatusCreated)
		tok := text(one(t, res.Doc, "#new-token .token-value"))
		if !strings.HasPrefix(tok, store.APITokenPrefix) {
			t.Fatalf("token %q", tok)
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Error("token page may be cached")
		}
		revoke := attr(one(t, res.Doc, "form[action$='/revoke']"), "action")
		admin.post(revoke, nil).want(t, http.StatusSeeOther)
		res = admin.get("/me/tokens").want(t, http.StatusOK)
		if strings.Contains(res.Body, tok) {
			t.Error("token shown again")
		}
		// Users: listed in scope, disabling ends the session at once.
		res = admin.get("/users").want(t, http.StatusOK)
		if got := strings.Join(texts(res.Doc, "tbody th.cell-title"), "|"); !strings.Contains(got, "staff") || strings.Contains(got, "sysadmin") {
			t.Errorf("users listed: %s", got)
		}
		staffUser, _ := st.UserByUsername(context.Background(), "staff")
		admin.post("/users/"+itoa(staffUser.ID)+"/disable", nil).want(t, http.StatusSeeOther)
		staff.get("/households").want(t, http.StatusSeeOther)
		admin.post("/users/"+itoa(staffUser.ID)+"/enable", nil).want(t, http.StatusSeeOther)
		admin.post("/users/"+itoa(staffUser.ID)+"/explode", nil).want(t, http.StatusNotFound)
		f.as(t, "gridleader").get("/users").want(t, http.StatusForbidden)
		res = admin.post("/users", url.Values{"username": {"zhao"}, "password": {"password1234"}, "role": {"member"}, "scope_id": {itoa(f.stairwell.ID)}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, ".error-summary a[href='#f-user-password']")
		admin.post("/users", url.Values{"username": {"zhao"}, "password": {"a long enough passphrase"}, "role": {"member"}, "scope_id": {itoa(f.stairwell.ID)}}).want(t, http.StatusSeeOther)
		// Password: the old one must be right; a change ends every session.
		other := f.as(t, "comadmin")
		admin.post("/me/password", url.Values{"old_password": {"nope nope nope"}, "password": {"a brand new passphrase"}}).want(t, http.StatusUnprocessableEntity)
		res = admin.post("/me/password", url.Values{"old_password": {password}, "password": {"a brand new passphrase"}}).want(t, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); !strings.Contains(loc, "done=password_changed") {
			t.Errorf("after change: %q", loc)
		}
		other.get("/households").want(t, http.StatusSeeOther)
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
