package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// loginData is the login page.
type loginData struct {
	Page
	Form *Form
	Next string
}

// loginForm shows the login page; a caller already logged in goes on to next.
func (wb *Web) loginForm(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if authz.UserFrom(r.Context()) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	d := &loginData{Page: wb.base(r, wb.t("login.title"), ""), Form: newForm("login", nil, "username", "password"), Next: next}
	d.Bare = true
	return wb.render(w, r, http.StatusOK, "login", d)
}

// login checks the username and password, starts a session in the cookie and goes on to the
// local path next. An unknown user and a wrong password get the same answer.
func (wb *Web) login(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return err
	}
	next := safeNext(r.PostForm.Get("next"))
	username := strings.TrimSpace(r.PostForm.Get("username"))
	password := r.PostForm.Get("password")
	// The password is never echoed back into the page.
	f := newForm("login", url.Values{"username": {username}}, "username", "password")
	switch {
	case username == "" || len(username) > 64 || strings.ContainsAny(username, "\x00\r\n"):
		f.add("username", wb.t("login.username.missing"))
	}
	if password == "" || len(password) > 1024 {
		f.add("password", wb.t("login.password.missing"))
	}
	status := http.StatusUnprocessableEntity
	if !f.Invalid() {
		u, err := wb.st.Authenticate(r.Context(), username, password)
		switch {
		case err == nil:
			token, expires, err := wb.st.CreateSession(r.Context(), u)
			if err != nil {
				return err
			}
			api.SetSessionCookie(w, token, expires, wb.opts.Secure)
			http.Redirect(w, r, next, http.StatusSeeOther)
			return nil
		case errors.Is(err, model.ErrUnauthenticated):
			f.Message = wb.t("login.failed")
			status = http.StatusUnauthorized
		default:
			return err
		}
	}
	d := &loginData{Page: wb.base(r, wb.t("login.title"), ""), Form: f, Next: next}
	d.Failed, d.Bare = f, true
	return wb.render(w, r, status, "login", d)
}

// logout ends the session and forgets the cookie.
func (wb *Web) logout(w http.ResponseWriter, r *http.Request) error {
	if err := wb.st.DeleteSession(r.Context(), api.Token(r)); err != nil {
		return err
	}
	api.ClearSessionCookie(w, wb.opts.Secure)
	http.Redirect(w, r, "/login?done=logged_out", http.StatusSeeOther)
	return nil
}
