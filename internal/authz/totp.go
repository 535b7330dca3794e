package authz

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: RFC 6238 defaults every authenticator app understands.
const (
	TOTPPeriod = 30 // seconds per step
	TOTPSkew   = 1  // steps accepted either side of now, for clock drift
	totpIssuer = "共治"
)

var totpOpts = totp.ValidateOpts{Period: TOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// ErrBadTOTPSecret is returned for a secret that is not base32 of at least 16 bytes.
var ErrBadTOTPSecret = errors.New("TOTP secret must be base32 of at least 16 bytes (26 characters)")

// NewTOTPSecret returns a fresh random secret of 20 bytes in base32 without padding.
func NewTOTPSecret() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// NormalizeTOTPSecret upper-cases s and drops spaces, dashes and padding; it returns
// ErrBadTOTPSecret when the result is not base32 of at least 16 bytes.
func NormalizeTOTPSecret(s string) (string, error) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "=", "").Replace(s))
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(b) < 16 {
		return "", ErrBadTOTPSecret
	}
	return s, nil
}

// TOTPCode returns the six-digit code of secret at t: for `gongzhi otp` and for tests.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}

// TOTPStep is the time step t falls in.
func TOTPStep(t time.Time) int64 { return t.Unix() / TOTPPeriod }

// MatchTOTP returns the time step at which code is secret's code, looking TOTPSkew steps either
// side of now; ok is false when it matches none. The caller refuses steps already used.
func MatchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	base := TOTPStep(now)
	for d := int64(-TOTPSkew); d <= TOTPSkew; d++ {
		s := base + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*TOTPPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// TOTPURI is the otpauth:// URI authenticator apps read (by QR code or pasted).
func TOTPURI(secret, username string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", totpIssuer)
	v.Set("period", "30")
	v.Set("digits", "6")
	v.Set("algorithm", "SHA1")
	return "otpauth://totp/" + url.PathEscape(totpIssuer+":"+username) + "?" + v.Encode()
}

// GroupSecret writes secret in groups of four for reading off a screen.
func GroupSecret(secret string) string {
	var b strings.Builder
	for i, r := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
