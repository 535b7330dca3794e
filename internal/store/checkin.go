package store

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/binary"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/pii"
)

// QR check-in codes. A meeting's or activity's screen shows a code that names the object and an
// expiry, signed with a key derived from the key file (pii.Keyring.TokenMAC); it rotates every
// CheckinStep, and a code stays good until the end of the step after the one it was made in,
// so a code scanned just before the screen changes still works. The code only proves that the
// holder saw the screen lately: who checks in is the logged-in account, and whether it may is
// decided by the store (membership, the meeting still open), so a code passed on after the
// meeting closed, or to someone not a member of the org, records nothing.

// CheckinStep is how often a screen's code changes.
const CheckinStep = 60 * time.Second

const (
	checkinMeeting  byte = 'm'
	checkinActivity byte = 'a'
	checkinMACLen        = 16
)

// Errors a code can give, with the message members read.
var (
	ErrCheckinForged  = &model.ValidationError{Fields: []model.FieldError{{Field: "code", Message: "签到码无效：请重新扫描现场屏幕上的二维码"}}}
	ErrCheckinExpired = &model.ValidationError{Fields: []model.FieldError{{Field: "code", Message: "签到码已过期：请扫描屏幕上最新的二维码（每分钟更新）"}}}
)

// checkinCode makes the code of object id of kind, valid until the end of the next step after now.
func checkinCode(kr *pii.Keyring, kind byte, id int64, now time.Time) (string, time.Time, error) {
	exp := now.Truncate(CheckinStep).Add(2 * CheckinStep)
	b := []byte{kind}
	b = binary.AppendVarint(b, id)
	b = binary.AppendVarint(b, exp.Unix())
	mac, err := kr.TokenMAC("checkin")
	if err != nil {
		return "", time.Time{}, err
	}
	mac.Write(b)
	b = append(b, mac.Sum(nil)[:checkinMACLen]...)
	return base64.RawURLEncoding.EncodeToString(b), exp, nil
}

// parseCheckinCode verifies code and returns its kind and object id: ErrCheckinForged for a
// code this deployment did not sign, ErrCheckinExpired for one past its expiry at now.
func parseCheckinCode(kr *pii.Keyring, code string, now time.Time) (kind byte, id int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(code)
	if err != nil || len(b) < 1+2+checkinMACLen || len(b) > 64 {
		return 0, 0, ErrCheckinForged
	}
	body, sum := b[:len(b)-checkinMACLen], b[len(b)-checkinMACLen:]
	mac, err := kr.TokenMAC("checkin")
	if err != nil {
		return 0, 0, err
	}
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil)[:checkinMACLen], sum) {
		return 0, 0, ErrCheckinForged
	}
	kind = body[0]
	uid, n := binary.Varint(body[1:])
	if n <= 0 {
		return 0, 0, ErrCheckinForged
	}
	exp, m := binary.Varint(body[1+n:])
	if m <= 0 || 1+n+m != len(body) || uid <= 0 || exp <= 0 || exp > 1<<40 {
		return 0, 0, ErrCheckinForged
	}
	if kind != checkinMeeting && kind != checkinActivity {
		return 0, 0, ErrCheckinForged
	}
	if !now.Before(time.Unix(exp, 0)) {
		return 0, 0, ErrCheckinExpired
	}
	return kind, uid, nil
}
