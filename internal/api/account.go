package api

import (
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// tokenJSON is an API token as listed: never its secret.
type tokenJSON struct {
	ID         ID         `json:"id"`
	Name       string     `json:"name"`
	ScopeID    *ID        `json:"scope_id,omitempty"`
	ScopeName  string     `json:"scope_name,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	Active     bool       `json:"active"`
	Token      string     `json:"token,omitempty"` // only in the answer to its creation
}

func localPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.In(model.Shanghai)
	return &v
}

func (a *API) toTokenJSON(t *model.APIToken) tokenJSON {
	j := tokenJSON{ID: ID(t.ID), Name: t.Name, ScopeName: t.ScopeName, CreatedAt: t.CreatedAt.In(model.Shanghai), ExpiresAt: t.ExpiresAt.In(model.Shanghai),
		RevokedAt: localPtr(t.RevokedAt), LastUsedAt: localPtr(t.LastUsedAt), Active: a.st.TokenActive(t)}
	if t.ScopeID != 0 {
		id := ID(t.ScopeID)
		j.ScopeID = &id
	}
	return j
}

type tokenCreate struct {
	Name          string `json:"name"`
	ScopeID       *ID    `json:"scope_id"`
	ExpiresInDays int    `json:"expires_in_days"`
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request) error {
	u := authz.UserFrom(r.Context()) // a session: the route is authz.SessionRoute
	var req tokenCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	var scope int64
	if req.ScopeID != nil {
		scope = int64(*req.ScopeID)
	}
	token, t, err := a.st.CreateAPIToken(r.Context(), u, req.Name, scope, req.ExpiresInDays)
	if err != nil {
		return err
	}
	j := a.toTokenJSON(t)
	j.Token = token
	return writeJSON(w, http.StatusCreated, j)
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	u := authz.UserFrom(r.Context()) // a session: the route is authz.SessionRoute
	toks, err := a.st.APITokens(r.Context(), u.ID)
	if err != nil {
		return err
	}
	out := list[tokenJSON]{Items: make([]tokenJSON, 0, len(toks))}
	for _, t := range toks {
		out.Items = append(out.Items, a.toTokenJSON(t))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) error {
	u := authz.UserFrom(r.Context()) // a session: the route is authz.SessionRoute
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.st.RevokeAPIToken(r.Context(), u.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type passwordChange struct {
	OldPassword string `json:"old_password"`
	Password    string `json:"password"`
}

// changePassword changes the caller's own password; every session of the account ends, this
// one too (the cookie is cleared): log in again with the new password.
func (a *API) changePassword(w http.ResponseWriter, r *http.Request) error {
	u := authz.UserFrom(r.Context()) // a session: the route is authz.SessionRoute
	var req passwordChange
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	var v model.ValidationError
	if req.OldPassword == "" {
		v.Add("old_password", "请填写当前密码")
	}
	if len(req.Password) > authz.MaxPasswordBytes {
		v.Add("password", "密码过长：不能超过1024字节")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := a.st.ChangePassword(r.Context(), u, req.OldPassword, req.Password); err != nil {
		return err
	}
	ClearSessionCookie(w, SecureRequest(r, a.secure))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// accountJSON is an account as administrators see it.
type accountJSON struct {
	userJSON
	Disabled     bool       `json:"disabled"`
	LockedUntil  *time.Time `json:"locked_until,omitempty"`
	TOTPEnrolled bool       `json:"totp_enrolled"`
	LastLoginAt  *time.Time `json:"last_login_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

func toAccountJSON(u *model.User) accountJSON {
	j := accountJSON{userJSON: toUserJSON(u), Disabled: u.Disabled, TOTPEnrolled: u.TOTPEnrolled(), LastLoginAt: localPtr(u.LastLoginAt),
		CreatedAt: u.CreatedAt.In(model.Shanghai)}
	if u.LockedUntil != nil && time.Now().Before(*u.LockedUntil) {
		j.LockedUntil = localPtr(u.LockedUntil)
	}
	return j
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	users, err := a.st.Users(r.Context(), authz.ScopeFrom(r.Context()))
	if err != nil {
		return err
	}
	out := list[accountJSON]{Items: make([]accountJSON, 0, len(users))}
	for _, u := range users {
		out.Items = append(out.Items, toAccountJSON(u))
	}
	return writeJSON(w, http.StatusOK, out)
}

type userCreate struct {
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	Password    string     `json:"password"`
	Role        model.Role `json:"role"`
	ScopeID     *ID        `json:"scope_id"`
	TOTPSecret  string     `json:"totp_secret"`
	// OrganizationID is required for the role partner (its scope is then the organization's
	// node) and refused for every other role.
	OrganizationID *ID `json:"organization_id"`
	// UnitID is required for the role unit_leader (its scope is then the unit's households,
	// under the unit's anchor node) and refused for every other role.
	UnitID *ID `json:"unit_id"`
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	var req userCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	in := store.UserInput{Username: req.Username, DisplayName: req.DisplayName, Password: req.Password, Role: req.Role, TOTPSecret: req.TOTPSecret}
	if req.ScopeID != nil {
		in.ScopeID = int64(*req.ScopeID)
	}
	if req.OrganizationID != nil {
		in.OrganizationID = int64(*req.OrganizationID)
	}
	if req.UnitID != nil {
		in.UnitID = int64(*req.UnitID)
	}
	u, err := a.st.CreateUser(r.Context(), authz.ScopeFrom(r.Context()), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toAccountJSON(u))
}

// userPatch is the body of PATCH /api/v1/users/{id}: absent fields stay as they are.
type userPatch struct {
	DisplayName *string     `json:"display_name"`
	Role        *model.Role `json:"role"`
	ScopeID     *ID         `json:"scope_id"`
	// OrganizationID: a partner's organization (its scope follows it).
	OrganizationID *ID `json:"organization_id"`
	// UnitID: a unit leader's unit (its scope follows it).
	UnitID *ID `json:"unit_id"`
}

// updateUser changes an account's display name, role or scope under the rules of separation of
// duties, which the store enforces (403 with the rule, recorded as denied).
func (a *API) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req userPatch
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	p := store.UserPatch{DisplayName: req.DisplayName, Role: req.Role}
	if req.ScopeID != nil {
		scope := int64(*req.ScopeID)
		p.ScopeID = &scope
	}
	if req.OrganizationID != nil {
		org := int64(*req.OrganizationID)
		p.OrganizationID = &org
	}
	if req.UnitID != nil {
		unit := int64(*req.UnitID)
		p.UnitID = &unit
	}
	u, err := a.st.UpdateUser(r.Context(), authz.ScopeFrom(r.Context()), id, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toAccountJSON(u))
}

// accountAction answers POST /api/v1/users/{id}/{disable,enable,unlock,reset-totp}.
func (a *API) accountAction(action store.AccountAction) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		u, err := a.st.AdminAccount(r.Context(), authz.ScopeFrom(r.Context()), id, action)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, toAccountJSON(u))
	}
}
