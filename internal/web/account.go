package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// passwordData is the page to change one's own password.
type passwordData struct {
	Page
	Form *Form
}

func (wb *Web) passwordForm(w http.ResponseWriter, r *http.Request) error {
	d := &passwordData{Page: wb.base(r, wb.t("password.title"), "me"), Form: newForm("password", nil, "old_password", "password")}
	return wb.render(w, r, http.StatusOK, "accounts/password", d)
}

// changePassword changes the caller's password; every session ends, so it goes to the login
// page with a notice.
func (wb *Web) changePassword(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return err
	}
	u := authz.UserFrom(r.Context())
	f := newForm("password", nil, "old_password", "password")
	old, pw := r.PostForm.Get("old_password"), r.PostForm.Get("password")
	switch {
	case old == "":
		f.add("old_password", wb.t("password.old.missing"))
	case len(pw) > authz.MaxPasswordBytes:
		f.add("password", wb.t("password.too_long"))
	default:
		if err := wb.st.ChangePassword(r.Context(), u, old, pw); !f.fail(err) {
			if err != nil {
				return err
			}
			api.ClearSessionCookie(w, wb.secure(r))
			http.Redirect(w, r, "/login?done=password_changed", http.StatusSeeOther)
			return nil
		}
	}
	d := &passwordData{Page: wb.base(r, wb.t("password.title"), "me"), Form: f}
	d.Failed = f
	return wb.render(w, r, http.StatusUnprocessableEntity, "accounts/password", d)
}

// tokensData is 我的 › API 令牌.
type tokensData struct {
	Page
	Tokens   []*tokenRow
	NewToken string // shown once, right after creation
	Form     *Form
}

type tokenRow struct {
	*model.APIToken
	Active bool
}

func (wb *Web) tokensPage(w http.ResponseWriter, r *http.Request, status int, f *Form, newToken string) error {
	u := authz.UserFrom(r.Context())
	toks, err := wb.st.APITokens(r.Context(), u.ID)
	if err != nil {
		return err
	}
	if f == nil {
		f = newForm("token", url.Values{"expires_in_days": {"90"}}, "name", "scope_id", "expires_in_days")
	}
	d := &tokensData{Page: wb.base(r, wb.t("tokens.title"), "me"), NewToken: newToken, Form: f}
	if f.Invalid() {
		d.Failed = f
	}
	for _, t := range toks {
		d.Tokens = append(d.Tokens, &tokenRow{APIToken: t, Active: wb.st.TokenActive(t)})
	}
	// A page that shows a token once must not be kept by the browser or a proxy.
	w.Header().Set("Cache-Control", "no-store")
	return wb.render(w, r, status, "accounts/tokens", d)
}

func (wb *Web) tokens(w http.ResponseWriter, r *http.Request) error {
	return wb.tokensPage(w, r, http.StatusOK, nil, "")
}

func (wb *Web) createToken(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return err
	}
	u := authz.UserFrom(r.Context())
	f := newForm("token", r.PostForm, "name", "scope_id", "expires_in_days")
	var scope int64
	if s := strings.TrimSpace(r.PostForm.Get("scope_id")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			f.add("scope_id", wb.t("tokens.scope_id.invalid"))
		}
		scope = n
	}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("expires_in_days")))
	if err != nil {
		days = 0
	}
	if !f.Invalid() {
		token, _, err := wb.st.CreateAPIToken(r.Context(), u, r.PostForm.Get("name"), scope, days)
		if !f.fail(err) {
			if err != nil {
				return err
			}
			return wb.tokensPage(w, r, http.StatusCreated, nil, token)
		}
	}
	return wb.tokensPage(w, r, http.StatusUnprocessableEntity, f, "")
}

func (wb *Web) revokeToken(w http.ResponseWriter, r *http.Request) error {
	u := authz.UserFrom(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return model.ErrNotFound
	}
	if err := wb.st.RevokeAPIToken(r.Context(), u.ID, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/me/tokens?done=token_revoked", http.StatusSeeOther)
	return nil
}

// usersData is the administrators' accounts page.
type usersData struct {
	Page
	Users []*model.User
	Roles []model.Role
	Form  *Form
}

// Locked reports whether u is locked out now.
func (d *usersData) Locked(u *model.User) bool {
	return u.LockedUntil != nil && time.Now().Before(*u.LockedUntil)
}

func (wb *Web) usersPage(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	sc := scope(r)
	users, err := wb.st.Users(r.Context(), sc)
	if err != nil {
		return err
	}
	if f == nil {
		f = newForm("user", nil, "username", "display_name", "password", "role", "scope_id")
	}
	d := &usersData{Page: wb.base(r, wb.t("users.title"), "me"), Users: users, Form: f}
	if f.Invalid() {
		d.Failed = f
	}
	for _, role := range model.Roles {
		if role != model.RoleSystemAdmin || sc.All {
			d.Roles = append(d.Roles, role)
		}
	}
	return wb.render(w, r, status, "accounts/users", d)
}

func (wb *Web) users(w http.ResponseWriter, r *http.Request) error {
	return wb.usersPage(w, r, http.StatusOK, nil)
}

// createUser adds an account within the caller's scope; a staff account enrols its second
// factor at its first login.
func (wb *Web) createUser(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return err
	}
	keep := url.Values{}
	for _, k := range []string{"username", "display_name", "role", "scope_id"} {
		keep.Set(k, r.PostForm.Get(k))
	}
	f := newForm("user", keep, "username", "display_name", "password", "role", "scope_id")
	in := store.UserInput{Username: strings.TrimSpace(r.PostForm.Get("username")), DisplayName: strings.TrimSpace(r.PostForm.Get("display_name")),
		Password: r.PostForm.Get("password"), Role: model.Role(r.PostForm.Get("role"))}
	if s := strings.TrimSpace(r.PostForm.Get("scope_id")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			f.add("scope_id", wb.t("users.scope_id.invalid"))
		}
		in.ScopeID = n
	}
	if len(in.Password) > authz.MaxPasswordBytes {
		f.add("password", wb.t("password.too_long"))
	}
	if !f.Invalid() {
		_, err := wb.st.CreateUser(r.Context(), scope(r), in)
		if !f.fail(err) {
			if err != nil {
				return err
			}
			http.Redirect(w, r, "/users?done=user_created", http.StatusSeeOther)
			return nil
		}
	}
	return wb.usersPage(w, r, http.StatusUnprocessableEntity, f)
}

// userAction disables, enables, unlocks an account or resets its second factor.
func (wb *Web) userAction(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return model.ErrNotFound
	}
	action := store.AccountAction(r.PathValue("action"))
	switch action {
	case store.ActionDisable, store.ActionEnable, store.ActionUnlock, store.ActionResetTOTP:
	default:
		return model.ErrNotFound
	}
	if _, err := wb.st.AdminAccount(r.Context(), scope(r), id, action); err != nil {
		return err
	}
	// #nosec G710 -- a local path; action is one of the store's fixed account actions
	http.Redirect(w, r, "/users?done=user_"+strings.ReplaceAll(string(action), "-", "_"), http.StatusSeeOther)
	return nil
}
