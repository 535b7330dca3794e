package web

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

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

// otpData is the second step of a login: the code, and for an account that has not enrolled
// yet the new secret as text, otpauth:// URI and QR code.
type otpData struct {
	Page
	Form      *Form
	Next      string
	Challenge string
	Enrol     bool
	Secret    string       // grouped by four for reading
	URI       string       // otpauth://…
	QR        template.URL // data:image/png;base64,… (the CSP allows img data:)
}

// loginForm shows the login page; a caller already logged in goes on to next.
func (wb *Web) loginForm(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if authz.UserFrom(r.Context()) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther) // #nosec G710 -- next went through safeNext: a local path only
		return nil
	}
	d := &loginData{Page: wb.base(r, wb.t("login.title"), ""), Form: newForm("login", nil, "username", "password"), Next: next}
	d.Bare = true
	return wb.render(w, r, http.StatusOK, "accounts/login", d)
}

// secure reports whether cookies for r get the Secure attribute and the __Host- name.
func (wb *Web) secure(r *http.Request) bool { return api.SecureRequest(r, wb.opts.Secure) }

// login checks the username and password. An account without a second factor gets its session
// at once; one with a secret goes on to the code page; a staff account without one goes on to
// the enrolment page (secret, QR code, first code). The session is created only after the code.
// An unknown user, a wrong password and a locked account get the same answer.
func (wb *Web) login(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return err
	}
	next := safeNext(r.PostForm.Get("next"))
	username := strings.TrimSpace(r.PostForm.Get("username"))
	password := r.PostForm.Get("password")
	// The password is never echoed back into the page; a username with control characters is
	// not echoed either.
	shown := username
	if strings.ContainsAny(shown, "\x00\r\n") {
		shown = ""
	}
	f := newForm("login", url.Values{"username": {shown}}, "username", "password")
	f.fail(api.CheckLoginInput(username, password, ""))
	status := http.StatusUnprocessableEntity
	if !f.Invalid() {
		u, err := wb.st.Authenticate(r.Context(), username, password)
		switch {
		case err == nil:
			return wb.afterPassword(w, r, u, next)
		case errors.Is(err, model.ErrUnauthenticated):
			f.Message = wb.t("login.failed")
			status = http.StatusUnauthorized
		default:
			return err
		}
	}
	d := &loginData{Page: wb.base(r, wb.t("login.title"), ""), Form: f, Next: next}
	d.Failed, d.Bare = f, true
	return wb.render(w, r, status, "accounts/login", d)
}

// afterPassword goes on from a right password: the session, or the code or enrolment page.
func (wb *Web) afterPassword(w http.ResponseWriter, r *http.Request, u *model.User, next string) error {
	secret := ""
	switch {
	case u.TOTPEnrolled():
	case u.Role.NeedsSecondFactor():
		secret = authz.NewTOTPSecret()
	default:
		if err := wb.st.LoginSucceeded(r.Context(), u); err != nil {
			return err
		}
		return wb.startSession(w, r, u, next)
	}
	challenge, err := wb.st.CreateLoginChallenge(r.Context(), u, secret)
	if err != nil {
		return err
	}
	return wb.renderOTP(w, r, http.StatusOK, u, challenge, secret, next, newForm("otp", nil, "otp"))
}

func (wb *Web) renderOTP(w http.ResponseWriter, r *http.Request, status int, u *model.User, challenge, secret, next string, f *Form) error {
	d := &otpData{Page: wb.base(r, wb.t("otp.title"), ""), Form: f, Next: next, Challenge: challenge}
	d.Bare = true
	if f.Invalid() {
		d.Failed = f
	}
	if secret != "" {
		d.Enrol, d.Secret, d.URI = true, authz.GroupSecret(secret), authz.TOTPURI(secret, u.Username)
		d.Title = wb.t("otp.enrol.title")
		if png, err := qrcode.Encode(d.URI, qrcode.Medium, 240); err == nil {
			// #nosec G203 -- a data: URL of PNG bytes we encoded ourselves.
			d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
		}
	}
	return wb.render(w, r, status, "accounts/login_otp", d)
}

// loginOTP checks the code of the second step; on success the session starts.
func (wb *Web) loginOTP(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return err
	}
	next := safeNext(r.PostForm.Get("next"))
	challenge := r.PostForm.Get("challenge")
	code := strings.Map(func(c rune) rune {
		if c == ' ' || c == '-' {
			return -1
		}
		return c
	}, r.PostForm.Get("otp"))
	u, err := wb.st.CompleteLoginChallenge(r.Context(), challenge, code)
	if err == nil {
		return wb.startSession(w, r, u, next)
	}
	if !errors.Is(err, model.ErrUnauthenticated) {
		return err
	}
	// A wrong code: again, while the challenge lives and the account is not locked.
	cu, secret, cerr := wb.st.LoginChallenge(r.Context(), challenge)
	if cerr == nil && !cu.Disabled && (cu.LockedUntil == nil || !wb.st.Now().Before(*cu.LockedUntil)) {
		f := newForm("otp", nil, "otp")
		f.add("otp", wb.t("otp.failed"))
		return wb.renderOTP(w, r, http.StatusUnauthorized, cu, challenge, secret, next, f)
	}
	f := newForm("login", nil, "username", "password")
	f.Message = wb.t("otp.expired")
	d := &loginData{Page: wb.base(r, wb.t("login.title"), ""), Form: f, Next: next}
	d.Failed, d.Bare = f, true
	return wb.render(w, r, http.StatusUnauthorized, "accounts/login", d)
}

func (wb *Web) startSession(w http.ResponseWriter, r *http.Request, u *model.User, next string) error {
	token, expires, err := wb.st.CreateSession(r.Context(), u)
	if err != nil {
		return err
	}
	api.SetSessionCookie(w, token, expires, wb.secure(r))
	http.Redirect(w, r, next, http.StatusSeeOther) // #nosec G710 -- next went through safeNext: a local path only
	return nil
}

// logout ends the session and forgets the cookie.
func (wb *Web) logout(w http.ResponseWriter, r *http.Request) error {
	if err := wb.st.DeleteSession(r.Context(), api.Token(r)); err != nil {
		return err
	}
	api.ClearSessionCookie(w, wb.secure(r))
	http.Redirect(w, r, "/login?done=logged_out", http.StatusSeeOther)
	return nil
}
