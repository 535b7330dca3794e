package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
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
	Roles []model.Role // the roles the caller may give: the only ones the form offers
	Form  *Form
	now   time.Time
	sc    authz.Scope
}

// Locked reports whether u is locked out now.
func (d *usersData) Locked(u *model.User) bool { return u.Locked(d.now) }

// Manages reports whether the caller may act on u: the page offers the actions only then (the
// store refuses the rest all the same).
func (d *usersData) Manages(u *model.User) bool { return d.sc.Role.Manages(u.Role) }

// givableRoles lists the roles sc may give an account, in the order of model.Roles.
func givableRoles(sc authz.Scope) []model.Role {
	var out []model.Role
	for _, role := range model.Roles {
		if sc.Role.Manages(role) && (role.Scoped() || sc.All) {
			out = append(out, role)
		}
	}
	return out
}

func (wb *Web) usersPage(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	sc := scope(r)
	users, err := wb.st.Users(r.Context(), sc)
	if err != nil {
		return err
	}
	if f == nil {
		f = newForm("user", nil, "username", "display_name", "password", "role", "scope_id", "organization_id", "unit_id")
	}
	d := &usersData{Page: wb.base(r, wb.t("users.title"), "me"), Users: users, Roles: givableRoles(sc), Form: f, now: wb.st.Now(), sc: sc}
	if f.Invalid() {
		d.Failed = f
	}
	return wb.render(w, r, status, "accounts/users", d)
}

func (wb *Web) users(w http.ResponseWriter, r *http.Request) error {
	return wb.usersPage(w, r, http.StatusOK, nil)
}

// failForbidden puts a refusal of separation of duties on the form and reports whether err was
// one; the page then answers 403 with the input kept.
func failForbidden(f *Form, err error) bool {
	var fe *model.ForbiddenError
	if errors.As(err, &fe) {
		f.Message = fe.Message
		return true
	}
	return false
}

// createUser adds an account within the caller's scope; a staff account enrols its second
// factor at its first login.
func (wb *Web) createUser(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return err
	}
	keep := url.Values{}
	for _, k := range []string{"username", "display_name", "role", "scope_id", "organization_id", "unit_id"} {
		keep.Set(k, r.PostForm.Get(k))
	}
	f := newForm("user", keep, "username", "display_name", "password", "role", "scope_id", "organization_id", "unit_id")
	in := store.UserInput{Username: strings.TrimSpace(r.PostForm.Get("username")), DisplayName: strings.TrimSpace(r.PostForm.Get("display_name")),
		Password: r.PostForm.Get("password"), Role: model.Role(r.PostForm.Get("role"))}
	if s := strings.TrimSpace(r.PostForm.Get("scope_id")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			f.add("scope_id", wb.t("users.scope_id.invalid"))
		}
		in.ScopeID = n
	}
	if s := strings.TrimSpace(r.PostForm.Get("organization_id")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			f.add("organization_id", wb.t("users.organization_id.invalid"))
		}
		in.OrganizationID = n
	}
	if s := strings.TrimSpace(r.PostForm.Get("unit_id")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			f.add("unit_id", wb.t("users.unit_id.invalid"))
		}
		in.UnitID = n
	}
	if len(in.Password) > authz.MaxPasswordBytes {
		f.add("password", wb.t("password.too_long"))
	}
	status := http.StatusUnprocessableEntity
	if !f.Invalid() {
		_, err := wb.st.CreateUser(r.Context(), scope(r), in)
		switch {
		case failForbidden(f, err):
			status = http.StatusForbidden
		case f.fail(err):
			renameField(f, "scope", "scope_id")
		case err != nil:
			return err
		default:
			http.Redirect(w, r, "/users?done=user_created", http.StatusSeeOther)
			return nil
		}
	}
	return wb.usersPage(w, r, status, f)
}

// renameField moves the errors of the store's field from onto the form's input to, so that the
// summary links to it.
func renameField(f *Form, from, to string) {
	for i := range f.Errors {
		if f.Errors[i].Field == from {
			f.Errors[i].Field = to
		}
	}
}

// userEditData is the page that changes one account's name, role and scope.
type userEditData struct {
	Page
	Account *model.User
	Roles   []model.Role
	Form    *Form
}

func (wb *Web) userEditPage(w http.ResponseWriter, r *http.Request, status int, u *model.User, f *Form) error {
	sc := scope(r)
	d := &userEditData{Page: wb.base(r, wb.t("users.edit.title", u.Username), "me"), Account: u, Roles: givableRoles(sc), Form: f}
	if !slices.Contains(d.Roles, u.Role) {
		// The current role stays selectable, so that a change of name alone keeps it.
		d.Roles = append([]model.Role{u.Role}, d.Roles...)
	}
	if f.Invalid() {
		d.Failed = f
	}
	return wb.render(w, r, status, "accounts/user_edit", d)
}

// userEdit shows the form for the account {id} in the caller's scope; accounts the caller does
// not manage get the Chinese 403 page.
func (wb *Web) userEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sc := scope(r)
	u, err := wb.st.User(r.Context(), sc, id)
	if err != nil {
		return err
	}
	if !sc.Role.Manages(u.Role) {
		return &model.ForbiddenError{Message: wb.t("users.edit.not_managed")}
	}
	scopeID := ""
	if u.ScopeID != 0 {
		scopeID = strconv.FormatInt(u.ScopeID, 10)
	}
	orgID := ""
	if u.OrganizationID != 0 {
		orgID = strconv.FormatInt(u.OrganizationID, 10)
	}
	unitID := ""
	if u.UnitID != 0 {
		unitID = strconv.FormatInt(u.UnitID, 10)
	}
	f := newForm("account", url.Values{"display_name": {u.DisplayName}, "role": {string(u.Role)}, "scope_id": {scopeID}, "organization_id": {orgID}, "unit_id": {unitID}},
		"display_name", "role", "scope_id", "organization_id", "unit_id")
	return wb.userEditPage(w, r, http.StatusOK, u, f)
}

// updateUser saves the form: the store applies the rules of separation of duties (a refusal is
// shown on the form with 403 and recorded as denied).
func (wb *Web) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return err
	}
	sc := scope(r)
	u, err := wb.st.User(r.Context(), sc, id)
	if err != nil {
		return err
	}
	keep := url.Values{}
	for _, k := range []string{"display_name", "role", "scope_id", "organization_id", "unit_id"} {
		keep.Set(k, r.PostForm.Get(k))
	}
	f := newForm("account", keep, "display_name", "role", "scope_id", "organization_id", "unit_id")
	name, role := r.PostForm.Get("display_name"), model.Role(r.PostForm.Get("role"))
	p := store.UserPatch{DisplayName: &name, Role: &role}
	var scopeID int64
	if s := strings.TrimSpace(r.PostForm.Get("scope_id")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			f.add("scope_id", wb.t("users.scope_id.invalid"))
		}
		scopeID = n
	}
	p.ScopeID = &scopeID
	// A partner's organization (its scope follows it); empty keeps the account's own, and a
	// role other than partner drops it.
	if s := strings.TrimSpace(r.PostForm.Get("organization_id")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			f.add("organization_id", wb.t("users.organization_id.invalid"))
		}
		p.OrganizationID = &n
	}
	// A unit leader's unit (its scope follows it), likewise.
	if s := strings.TrimSpace(r.PostForm.Get("unit_id")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			f.add("unit_id", wb.t("users.unit_id.invalid"))
		}
		p.UnitID = &n
	}
	status := http.StatusUnprocessableEntity
	if !f.Invalid() {
		_, err := wb.st.UpdateUser(r.Context(), sc, id, p)
		switch {
		case failForbidden(f, err):
			status = http.StatusForbidden
		case f.fail(err):
			renameField(f, "scope", "scope_id")
		case err != nil:
			return err
		default:
			http.Redirect(w, r, "/users?done=user_updated", http.StatusSeeOther)
			return nil
		}
	}
	return wb.userEditPage(w, r, status, u, f)
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
