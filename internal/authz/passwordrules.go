package authz

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
)

// MaxPasswordBytes bounds what login accepts before hashing: a longer password is refused with a
// clear error and never reaches argon2id.
const MaxPasswordBytes = 1024

//go:embed data/common-passwords.txt
var commonPasswordList string

var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 10000)
	for _, l := range strings.Split(commonPasswordList, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			m[strings.ToLower(l)] = struct{}{}
		}
	}
	return m
})

// CommonPassword reports whether password is on the list of the 10,000 most common passwords
// (case-insensitive), is such a password padded with digits or punctuation ("password1234"),
// one short piece repeated ("abcabcabcabc") or a run of consecutive digits ("123456789012").
func CommonPassword(password string) bool {
	p := strings.ToLower(password)
	list := commonPasswords()
	if _, ok := list[p]; ok {
		return true
	}
	core := strings.TrimFunc(p, func(r rune) bool { return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || r == ' ' })
	if _, ok := list[core]; ok && len(core) >= 4 {
		return true
	}
	return repeated(p) || digitRun(p)
}

// repeated reports whether s is one piece of at most 4 characters repeated.
func repeated(s string) bool {
	r := []rune(s)
	for n := 1; n <= 4 && n < len(r); n++ {
		if len(r)%n == 0 && strings.Repeat(string(r[:n]), len(r)/n) == s {
			return true
		}
	}
	return false
}

// digitRun reports whether s is all digits, each one up or down from the one before.
func digitRun(s string) bool {
	if len(s) < 2 {
		return false
	}
	up, down := true, true
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		if i > 0 {
			d := (int(s[i]) - int(s[i-1]) + 10) % 10
			up = up && d == 1
			down = down && d == 9
		}
	}
	return up || down
}

// CheckNewPassword returns "" when password is acceptable, else a Chinese reason. Rules (no
// composition rules, per NIST SP 800-63B and ASVS 5.0): 12 to 128 characters, at most
// MaxPasswordBytes bytes, no null byte, not a common password, and not containing any of
// personal (the account's username, name, phone; case-insensitive, pieces shorter than 3
// characters ignored).
func CheckNewPassword(password string, personal ...string) string {
	switch n := len([]rune(password)); {
	case len(password) > MaxPasswordBytes:
		return "密码过长：不能超过1024字节"
	case n < 12:
		return "密码至少12个字符"
	case n > 128:
		return "密码不能超过128个字符"
	case strings.ContainsRune(password, 0):
		return "密码不能包含空字符"
	case CommonPassword(password):
		return "这是常见密码，很容易被猜中，请换一个（可以用几个词组成的长句）"
	}
	lower := strings.ToLower(password)
	for _, w := range personal {
		w = strings.ToLower(strings.TrimSpace(w))
		if len([]rune(w)) >= 3 && strings.Contains(lower, w) {
			return "密码不能包含用户名、姓名或手机号"
		}
	}
	return ""
}
