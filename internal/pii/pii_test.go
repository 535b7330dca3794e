package pii

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustKeyring(tb testing.TB, keys ...Key) *Keyring {
	tb.Helper()
	kr, err := New(keys)
	if err != nil {
		tb.Fatal(err)
	}
	return kr
}

func mustKey(tb testing.TB, id string) Key {
	tb.Helper()
	k, err := NewKey(id)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

const col = "residents.id_number"

func TestRoundTrip(t *testing.T) {
	kr := mustKeyring(t, mustKey(t, "k1"))
	for _, v := range []string{"51078119800101001X", "13800138000", "张三", strings.Repeat("x", 5000)} {
		s, err := kr.Seal(col, v)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s, "k1:") || strings.Contains(s, v) {
			t.Fatalf("sealed %q = %q", v, s)
		}
		s2, _ := kr.Seal(col, v)
		if s == s2 {
			t.Errorf("two seals of %q are equal: the nonce is not random", v)
		}
		got, err := kr.Open(col, s)
		if err != nil || got != v {
			t.Errorf("Open = %q, %v; want %q", got, err, v)
		}
	}
	if s, err := kr.Seal(col, ""); s != "" || err != nil {
		t.Errorf("Seal(\"\") = %q, %v", s, err)
	}
	var none *Keyring
	if _, err := none.Seal(col, "1"); !errors.Is(err, ErrNoKeys) {
		t.Errorf("nil keyring Seal: %v", err)
	}
	if _, err := none.Open(col, "k1:AAAA"); !errors.Is(err, ErrNoKeys) {
		t.Errorf("nil keyring Open: %v", err)
	}
}

func TestTamper(t *testing.T) {
	k1, k2 := mustKey(t, "k1"), mustKey(t, "k2")
	kr := mustKeyring(t, k1, k2)
	sealed, err := kr.Seal(col, "51078119800101001X")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "k1:"))
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		return "k1:" + base64.RawStdEncoding.EncodeToString(b)
	}
	cases := []struct {
		name, column, value string
	}{
		{"nonce byte", col, flip(0)},
		{"last nonce byte", col, flip(11)},
		{"ciphertext byte", col, flip(12)},
		{"tag byte", col, flip(len(raw) - 1)},
		{"other key id", col, "k2:" + strings.TrimPrefix(sealed, "k1:")},
		{"unknown key id", col, "k9:" + strings.TrimPrefix(sealed, "k1:")},
		{"no key id", col, strings.TrimPrefix(sealed, "k1:")},
		{"swapped column", "residents.phone", sealed},
		{"truncated", col, sealed[:len(sealed)-4]},
		{"not base64", col, "k1:!!!!"},
		{"too short", col, "k1:AAAA"},
	}
	for _, c := range cases {
		got, err := kr.Open(c.column, c.value)
		if !errors.Is(err, ErrOpen) || got != "" {
			t.Errorf("%s: Open = %q, %v; want ErrOpen", c.name, got, err)
		}
	}
}

func TestRotation(t *testing.T) {
	k1, k2, idx := mustKey(t, "k1"), mustKey(t, "k2"), mustKey(t, IndexKeyID)
	old := mustKeyring(t, k1, idx)
	sealed, _ := old.Seal(col, "13800138000")
	index := old.BlindIndex(KindPhone, "13800138000")

	both := mustKeyring(t, k2, k1, idx) // k2 current, k1 still opens
	if both.Current() != "k2" {
		t.Fatalf("current = %s", both.Current())
	}
	v, err := both.Open(col, sealed)
	if err != nil || v != "13800138000" {
		t.Fatalf("old value under new ring: %q, %v", v, err)
	}
	resealed, _ := both.Seal(col, v)
	if KeyID(resealed) != "k2" {
		t.Fatalf("resealed under %s", KeyID(resealed))
	}
	if both.BlindIndex(KindPhone, v) != index {
		t.Error("the blind index changed with the encryption key")
	}
	retired := mustKeyring(t, k2, idx) // k1 removed
	if v, err := retired.Open(col, resealed); err != nil || v != "13800138000" {
		t.Errorf("re-sealed value after retiring k1: %q, %v", v, err)
	}
	if _, err := retired.Open(col, sealed); !errors.Is(err, ErrOpen) {
		t.Errorf("value under retired key: %v, want ErrOpen", err)
	}
	if retired.BlindIndex(KindPhone, v) != index {
		t.Error("the blind index changed when k1 was retired")
	}
}

func TestBlindIndex(t *testing.T) {
	kr := mustKeyring(t, mustKey(t, "k1"))
	other := mustKeyring(t, mustKey(t, "k1"))
	a := kr.BlindIndex(KindIDNumber, "51078119800101001x")
	if a == "" || a != kr.BlindIndex(KindIDNumber, " 51078119800101001X ") {
		t.Error("ID numbers differing in the case of X index differently")
	}
	if strings.Contains(a, "51078119800101001") {
		t.Error("index contains the value")
	}
	if kr.BlindIndex(KindPhone, "138-0013-8000") != kr.BlindIndex(KindPhone, "13800138000") {
		t.Error("phone punctuation changes the index")
	}
	if kr.BlindIndex(KindPhone, "13800138000") == kr.BlindIndex(KindIDNumber, "13800138000") {
		t.Error("kinds share an index space")
	}
	if a == other.BlindIndex(KindIDNumber, "51078119800101001X") {
		t.Error("different keys give the same index")
	}
	if kr.BlindIndex(KindPhone, "") != "" {
		t.Error("empty value has an index")
	}
}

func TestNewRejects(t *testing.T) {
	k := mustKey(t, "k1")
	for name, keys := range map[string][]Key{
		"none":       nil,
		"only index": {mustKey(t, IndexKeyID)},
		"duplicate":  {k, k},
		"short":      {{ID: "k1", Secret: make([]byte, 16)}},
		"bad id":     {{ID: "k:1", Secret: k.Secret}},
	} {
		if _, err := New(keys); err == nil {
			t.Errorf("%s: New accepted", name)
		}
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gongzhi.db.keys")
	kr, err := CreateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode().Perm(), err)
	}
	if _, err := CreateFile(path); err == nil {
		t.Error("CreateFile overwrote a key file")
	}
	keys, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kr2 := mustKeyring(t, keys...)
	s, _ := kr.Seal(col, "x1")
	if v, err := kr2.Open(col, s); err != nil || v != "x1" {
		t.Errorf("reloaded ring: %q, %v", v, err)
	}
	if kr.BlindIndex(KindPhone, "1") != kr2.BlindIndex(KindPhone, "1") {
		t.Error("reloaded ring indexes differently")
	}
	// JSON form.
	jpath := filepath.Join(dir, "keys.json")
	j := `{"keys": [{"id": "k7", "key": "` + base64.StdEncoding.EncodeToString(keys[0].Secret) + `"}]}`
	if err := os.WriteFile(jpath, []byte(j), 0o600); err != nil {
		t.Fatal(err)
	}
	if jk, err := LoadFile(jpath); err != nil || jk[0].ID != "k7" {
		t.Errorf("JSON key file: %v, %v", jk, err)
	}
	// Readable by others: refused.
	if err := os.Chmod(jpath, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(jpath); err == nil {
		t.Error("LoadFile accepted a world-readable file")
	}
	// Environment form.
	env := "k2:" + base64.StdEncoding.EncodeToString(keys[0].Secret) + ", k1:" + base64.RawURLEncoding.EncodeToString(keys[1].Secret)
	ek, err := ParseKeys(env)
	if err != nil || len(ek) != 2 || ek[0].ID != "k2" {
		t.Errorf("ParseKeys: %v, %v", ek, err)
	}
	for _, bad := range []string{"", "k1", "k1:not base64!"} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	kr := mustKeyring(b, mustKey(b, "k1"))
	for b.Loop() {
		_, _ = kr.Seal(col, "51078119800101001X")
	}
}

func BenchmarkBlindIndex(b *testing.B) {
	kr := mustKeyring(b, mustKey(b, "k1"))
	for b.Loop() {
		_ = kr.BlindIndex(KindIDNumber, "51078119800101001X")
	}
}
