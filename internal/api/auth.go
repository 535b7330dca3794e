package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// SessionCookie is the name of the pages' session cookie; it holds the same token the API
// hands out as a bearer token.
const SessionCookie = "gongzhi_session"

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
}

func toUserJSON(u *model.User) userJSON {
	j := userJSON{ID: ID(u.ID), Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, RoleLabel: u.Role.Label(), ScopeName: u.ScopeName}
	if u.ScopeID != 0 {
		id := ID(u.ScopeID)
		j.ScopeID = &id
	}
	return j
}

func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	var v model.ValidationError
	if strings.TrimSpace(req.Username) == "" || len(req.Username) > 64 || strings.ContainsAny(req.Username, "\x00\r\n") {
		v.Add("username", "请填写用户名（不超过64个字符，不含换行）")
	}
	if req.Password == "" || len(req.Password) > 1024 {
		v.Add("password", "请填写密码")
	}
	if err := v.Err(); err != nil {
		return err
	}
	u, err := a.st.Authenticate(r.Context(), req.Username, req.Password)
	if err != nil {
		if errors.Is(err, model.ErrUnauthenticated) {
			return &authFailed{}
		}
		return err
	}
	token, expires, err := a.st.CreateSession(r.Context(), u)
	if err != nil {
		return err
	}
	SetSessionCookie(w, token, expires, a.secure)
	return writeJSON(w, http.StatusOK, loginResponse{Token: token, ExpiresAt: expires.In(shanghai), User: toUserJSON(u)})
}

// authFailed is a failed login: the same answer for an unknown user and a wrong password.
type authFailed struct{}

func (*authFailed) Error() string { return "login failed" }

// SetSessionCookie sets the pages' session cookie (HttpOnly, SameSite=Lax, Secure over TLS).
func SetSessionCookie(w http.ResponseWriter, token string, expires time.Time, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// ClearSessionCookie removes the session cookie.
func ClearSessionCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// Token returns the session token of r: the bearer token, else the session cookie.
func Token(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) error {
	if err := a.st.DeleteSession(r.Context(), Token(r)); err != nil {
		return err
	}
	ClearSessionCookie(w, a.secure)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, toUserJSON(authz.UserFrom(r.Context())))
}

// shanghai is the platform's zone for times in JSON; Go's tz database may be absent on a
// minimal machine, so fall back to a fixed +08:00.
var shanghai = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}()
