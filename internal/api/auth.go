package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Session cookie names: over TLS the cookie is __Host- prefixed (Secure, Path=/, no Domain:
// browsers then refuse it from any other origin or over plain HTTP); over plain HTTP (a laptop
// demo) browsers would drop a Secure cookie, so it is named SessionCookie.
const (
	SessionCookie       = "gongzhi_session"
	SecureSessionCookie = "__Host-gongzhi"
)

var errNoRoute = model.ErrNotFound

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	OTP      string `json:"otp,omitempty"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userJSON  `json:"user"`
}

type userJSON struct {
	ID          ID         `json:"id"`
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	Role        model.Role `json:"role"`
	RoleLabel   string     `json:"role_label"`
	ScopeID     *ID        `json:"scope_id,omitempty"`
	ScopeName   string     `json:"scope_name,omitempty"`
	// UnitID is the joint-building unit a unit_leader account leads.
	UnitID *ID `json:"unit_id,omitempty"`
}

func toUserJSON(u *model.User) userJSON {
	j := userJSON{ID: ID(u.ID), Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, RoleLabel: u.Role.Label(), ScopeName: u.ScopeName}
	if u.ScopeID != 0 {
		id := ID(u.ScopeID)
		j.ScopeID = &id
	}
	if u.UnitID != 0 {
		id := ID(u.UnitID)
		j.UnitID = &id
	}
	return j
}

// CheckLoginInput validates the login form's fields before anything is looked up or hashed, and
// returns every bad field with a Chinese message: username present, at most 64 bytes, without
// CR, LF or null; password present and at most authz.MaxPasswordBytes bytes (a longer one is
// refused, never hashed); otp, when given, at most 16 bytes. The pages use it too.
func CheckLoginInput(username, password, otp string) error {
	var v model.ValidationError
	switch {
	case strings.TrimSpace(username) == "":
		v.Add("username", "请填写用户名")
	case strings.ContainsAny(username, "\x00\r\n"):
		v.Add("username", "用户名不能包含换行符或空字符")
	case len(username) > 64:
		v.Add("username", "用户名不能超过64个字符")
	}
	switch {
	case password == "":
		v.Add("password", "请填写密码")
	case len(password) > authz.MaxPasswordBytes:
		v.Add("password", "密码过长：不能超过1024字节")
	}
	if len(otp) > 16 {
		v.Add("otp", "动态验证码应为6位数字")
	}
	return v.Err()
}

func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	if err := CheckLoginInput(req.Username, req.Password, req.OTP); err != nil {
		return err
	}
	u, err := a.st.Login(r.Context(), req.Username, req.Password, strings.TrimSpace(req.OTP))
	switch {
	case errors.Is(err, model.ErrUnauthenticated):
		return &authFailed{}
	case errors.Is(err, model.ErrSecondFactorRequired):
		return &secondFactor{}
	case errors.Is(err, model.ErrSecondFactorNotEnrolled):
		return &secondFactor{enrol: true}
	case err != nil:
		return err
	}
	token, expires, err := a.st.CreateSession(r.Context(), u)
	if err != nil {
		return err
	}
	SetSessionCookie(w, token, expires, SecureRequest(r, a.secure))
	return writeJSON(w, http.StatusOK, loginResponse{Token: token, ExpiresAt: expires.In(model.Shanghai), User: toUserJSON(u)})
}

// authFailed is a failed login: the same answer for an unknown user, a wrong password or code,
// and a locked or disabled account.
type authFailed struct{}

func (*authFailed) Error() string { return "login failed" }

// secondFactor is a right password for an account that must also give a TOTP code; enrol is
// true when the account has not enrolled one yet (it does so on the login page).
type secondFactor struct{ enrol bool }

func (*secondFactor) Error() string { return "second factor required" }

// SecureRequest reports whether r reached us over TLS: directly (r.TLS) or, with behindTLS,
// through a TLS-terminating proxy the operator vouches for.
func SecureRequest(r *http.Request, behindTLS bool) bool { return behindTLS || r.TLS != nil }

// SetSessionCookie sets the pages' session cookie: HttpOnly, SameSite=Lax, Path=/, and with
// secure the __Host- name and the Secure attribute.
func SetSessionCookie(w http.ResponseWriter, token string, expires time.Time, secure bool) {
	name := SessionCookie
	if secure {
		name = SecureSessionCookie
	}
	// #nosec G124 -- HttpOnly and SameSite=Lax always; Secure (and the __Host- name) whenever served over TLS: a plain-HTTP demo on localhost would lose a Secure cookie
	http.SetCookie(w, &http.Cookie{Name: name, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// ClearSessionCookie removes the session cookie.
func ClearSessionCookie(w http.ResponseWriter, secure bool) {
	name := SessionCookie
	if secure {
		name = SecureSessionCookie
	}
	// #nosec G124 -- clears the cookie set above, with the same attributes
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// Token returns the token of r: the bearer token (a session token or an API token), else the
// session cookie.
func Token(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	for _, name := range []string{SecureSessionCookie, SessionCookie} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) error {
	if err := a.st.DeleteSession(r.Context(), Token(r)); err != nil {
		return err
	}
	ClearSessionCookie(w, SecureRequest(r, a.secure))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, toUserJSON(authz.UserFrom(r.Context())))
}
