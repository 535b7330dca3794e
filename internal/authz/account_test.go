package authz_test

import (
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
)

func TestCheckNewPassword(t *testing.T) {
	tests := []struct {
		password string
		personal []string
		ok       bool
	}{
		{"correct horse battery staple", nil, true},
		{"长城长城长城长城长城长城", nil, false}, // one piece repeated
		{"我家住在中坝街道三号院子", nil, true},
		{"short", nil, false},
		{strings.Repeat("a", 129), nil, false},
		{strings.Repeat("长", 400), nil, false}, // over 1024 bytes
		{"with a \x00 null byte", nil, false},
		{"password1234", nil, false},  // listed password padded with digits
		{"PASSWORD1234!", nil, false}, // case and punctuation do not help
		{"qwertyuiop123", nil, false}, // listed
		{"123456789012", nil, false},  // digit run
		{"987654321098", nil, false},  // descending run
		{"abcabcabcabc", nil, false},  // repeated
		{"1q2w3e4r5t6y", nil, false},  // on the list
		{"my name is WangFang!", []string{"wangfang"}, false},
		{"call me on 13812345678 ok", []string{"", "13812345678"}, false},
		{"王芳的小区很漂亮呀真好啊", []string{"wf", "王芳"}, true}, // pieces under 3 characters are ignored
		{"王芳芳的小区很漂亮呀真好", []string{"王芳芳"}, false},
	}
	for _, tt := range tests {
		msg := authz.CheckNewPassword(tt.password, tt.personal...)
		if (msg == "") != tt.ok {
			t.Errorf("CheckNewPassword(%.20q, %q) = %q, want ok %v", tt.password, tt.personal, msg, tt.ok)
		}
	}
}

func TestTOTP(t *testing.T) {
	secret := authz.NewTOTPSecret()
	if _, err := authz.NormalizeTOTPSecret(authz.GroupSecret(strings.ToLower(secret))); err != nil {
		t.Fatalf("grouped lower-case secret: %v", err)
	}
	for _, bad := range []string{"", "ABC", "not base32 at all!!", "JBSWY3DP"} {
		if _, err := authz.NormalizeTOTPSecret(bad); err == nil {
			t.Errorf("secret %q accepted", bad)
		}
	}
	now := time.Date(2026, 5, 1, 8, 0, 10, 0, time.UTC)
	code, err := authz.TOTPCode(secret, now)
	if err != nil || len(code) != 6 {
		t.Fatalf("code %q, %v", code, err)
	}
	step, ok := authz.MatchTOTP(secret, code, now)
	if !ok || step != authz.TOTPStep(now) {
		t.Errorf("MatchTOTP = %d %v, want %d", step, ok, authz.TOTPStep(now))
	}
	// One step of drift either way is accepted, two are not.
	if _, ok := authz.MatchTOTP(secret, code, now.Add(30*time.Second)); !ok {
		t.Error("one step late refused")
	}
	if _, ok := authz.MatchTOTP(secret, code, now.Add(61*time.Second)); ok {
		t.Error("two steps late accepted")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := authz.MatchTOTP(secret, bad, now); ok {
			t.Errorf("code %q accepted", bad)
		}
	}
	uri := authz.TOTPURI(secret, "li shu")
	if !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "secret="+secret) || strings.Contains(uri, " ") {
		t.Errorf("URI %q", uri)
	}
}
