// Package pii protects personal information at rest: values such as ID numbers and phones are
// sealed with AES-256-GCM under a key from a Keyring, each sealed value naming the key that
// sealed it so keys can rotate, and an HMAC blind index makes exact lookup possible without
// storing the plaintext. Keys come from the environment or a key file, never from the database.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
)

// KeySize is the length of every key: AES-256.
const KeySize = 32

// IndexKeyID is the reserved key id of the blind-index root key. A keyring without one derives
// its blind-index key from the current encryption key instead.
const IndexKeyID = "index"

// AuditKeyPrefix marks the audit keys of a ring: ids "audit1", "audit2", … (the first in the
// ring is current: it signs new audit records; every one verifies the records it signed). They
// key the audit log's hash chain (HMAC-SHA256), so that someone who can write the database but
// does not hold the key file cannot rewrite a record and recompute the chain after it.
const AuditKeyPrefix = "audit"

// IsAuditKey reports whether id names an audit key.
func IsAuditKey(id string) bool { return strings.HasPrefix(id, AuditKeyPrefix) }

// Key is one secret with its short id.
type Key struct {
	ID     string
	Secret []byte
}

// ErrNoKeys is returned by a nil Keyring: nothing can be sealed or opened without keys.
var ErrNoKeys = errors.New("没有配置个人信息加密密钥：用 --keys FILE（或 GONGZHI_KEY_FILE）指定密钥文件，或用 GONGZHI_KEYS 给出密钥；还没有密钥文件时，用 gongzhi keys new FILE 生成")

// ErrOpen is wrapped by every failure to open a sealed value: tampered, moved to another column,
// sealed under a key that is not in the ring, or malformed. Open never returns a wrong value.
var ErrOpen = errors.New("个人信息密文无法解密")

// Keyring holds the encryption keys (the first is current: it seals; all open) and the
// blind-index key. It is safe for concurrent use. A nil *Keyring answers ErrNoKeys.
type Keyring struct {
	keys    []Key // encryption keys, current first
	aeads   map[string]cipher.AEAD
	index   Key // root of the blind-index key: the "index" entry, or the current key
	idxKey  []byte
	hmacs   sync.Pool
	current string
	audit   []Key             // audit keys, current first
	auditK  map[string][]byte // audit key id → the HMAC key derived from it
}

// New builds a keyring from keys: the first key that is not IndexKeyID is current; an
// IndexKeyID entry, if present, is the stable blind-index root. Ids must be unique, 1–16 of
// [A-Za-z0-9_-], and every secret KeySize bytes.
func New(keys []Key) (*Keyring, error) {
	kr := &Keyring{aeads: map[string]cipher.AEAD{}, auditK: map[string][]byte{}}
	seen := map[string]bool{}
	for _, k := range keys {
		if err := checkID(k.ID); err != nil {
			return nil, err
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("密钥 id %q 重复", k.ID)
		}
		seen[k.ID] = true
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("密钥 %s 长度为 %d 字节，应为 %d 字节（AES-256）", k.ID, len(k.Secret), KeySize)
		}
		if k.ID == IndexKeyID {
			kr.index = k
			continue
		}
		if IsAuditKey(k.ID) {
			mk, err := hkdf.Key(sha256.New, k.Secret, nil, "gongzhi audit chain v1", KeySize)
			if err != nil {
				return nil, err
			}
			kr.audit, kr.auditK[k.ID] = append(kr.audit, k), mk
			continue
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, err
		}
		kr.aeads[k.ID] = aead
		kr.keys = append(kr.keys, k)
	}
	if len(kr.keys) == 0 {
		return nil, errors.New("至少需要一个加密密钥")
	}
	kr.current = kr.keys[0].ID
	if kr.index.ID == "" {
		kr.index = kr.keys[0]
	}
	var err error
	kr.idxKey, err = hkdf.Key(sha256.New, kr.index.Secret, nil, "gongzhi blind index v1", KeySize)
	if err != nil {
		return nil, err
	}
	kr.hmacs.New = func() any { return hmac.New(sha256.New, kr.idxKey) }
	return kr, nil
}

func checkID(id string) error {
	if id == "" || len(id) > 16 {
		return fmt.Errorf("密钥 id %q 应为 1–16 个字符", id)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("密钥 id %q 只能包含字母、数字、_ 和 -", id)
		}
	}
	return nil
}

// Current is the id of the key that seals.
func (kr *Keyring) Current() string {
	if kr == nil {
		return ""
	}
	return kr.current
}

// Keys returns a copy of every key: the encryption keys (current first), the blind-index root
// (if it is an entry of its own), then the audit keys (current first).
func (kr *Keyring) Keys() []Key {
	if kr == nil {
		return nil
	}
	out := append([]Key(nil), kr.keys...)
	if kr.index.ID == IndexKeyID {
		out = append(out, kr.index)
	}
	return append(out, kr.audit...)
}

// ErrNoAuditKey is returned when an audit record is to be signed and the ring holds no audit key.
var ErrNoAuditKey = errors.New("密钥中没有审计密钥（audit…）：审计日志的哈希链需要它。请运行 gongzhi migrate（或 gongzhi keys list），它会在密钥文件中加入一把；密钥来自 GONGZHI_KEYS 时，用 gongzhi keys new FILE 生成一把并加入")

// AuditKeyID is the id of the current audit key, "" when the ring has none.
func (kr *Keyring) AuditKeyID() string {
	if kr == nil || len(kr.audit) == 0 {
		return ""
	}
	return kr.audit[0].ID
}

// AuditMAC returns a fresh HMAC-SHA256 under the audit key kid (its HKDF-derived MAC key);
// ErrNoAuditKey when the ring does not hold kid.
func (kr *Keyring) AuditMAC(kid string) (hash.Hash, error) {
	if kr == nil {
		return nil, ErrNoAuditKey
	}
	k, ok := kr.auditK[kid]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoAuditKey, kid)
	}
	return hmac.New(sha256.New, k), nil
}

// NextAuditKeyID is the id of a new audit key beside keys: audit<N+1> after the highest auditN.
func NextAuditKeyID(keys []Key) string {
	next := 1
	for _, k := range keys {
		if n, err := strconv.Atoi(strings.TrimPrefix(k.ID, AuditKeyPrefix)); err == nil && IsAuditKey(k.ID) && n >= next {
			next = n + 1
		}
	}
	return AuditKeyPrefix + strconv.Itoa(next)
}

// IndexRoot is the key the blind index is derived from: the IndexKeyID entry, or the current
// key when the ring has none. Rotation keeps it, so indexes never need recomputing.
func (kr *Keyring) IndexRoot() Key { return kr.index }

// Seal encrypts plaintext for column (e.g. "residents.id_number", bound as additional data so a
// value cannot be moved to another column) under the current key and returns
// "kid:" + base64(nonce‖ciphertext‖tag). The empty string seals to the empty string: an absent
// value is not a secret, and skipping it keeps bulk loads fast.
func (kr *Keyring) Seal(column, plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	if kr == nil {
		return "", ErrNoKeys
	}
	aead := kr.aeads[kr.current]
	// #nosec G407 -- the AEAD is cipher.NewGCMWithRandomNonce: it draws a fresh random 96-bit
	// nonce for every Seal and prepends it; the nil here is not a nonce.
	ct := aead.Seal(nil, nil, []byte(plaintext), []byte(column))
	var b strings.Builder
	b.Grow(len(kr.current) + 1 + base64.RawStdEncoding.EncodedLen(len(ct)))
	b.WriteString(kr.current)
	b.WriteByte(':')
	b.WriteString(base64.RawStdEncoding.EncodeToString(ct))
	return b.String(), nil
}

// Open decrypts a value Seal made for column. A malformed value, an unknown key id, a value
// of another column or any changed byte is an error wrapping ErrOpen.
func (kr *Keyring) Open(column, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if kr == nil {
		return "", ErrNoKeys
	}
	kid, body, ok := strings.Cut(sealed, ":")
	if !ok {
		return "", fmt.Errorf("%w: 缺少密钥 id", ErrOpen)
	}
	aead := kr.aeads[kid]
	if aead == nil {
		return "", fmt.Errorf("%w: 未知的密钥 id %q", ErrOpen, kid)
	}
	ct, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil {
		return "", fmt.Errorf("%w: 格式错误", ErrOpen)
	}
	pt, err := aead.Open(nil, nil, ct, []byte(column))
	if err != nil {
		return "", fmt.Errorf("%w: 密文被篡改或不属于 %s", ErrOpen, column)
	}
	return string(pt), nil
}

// KeyID returns the key id a sealed value names ("" for the empty value).
func KeyID(sealed string) string {
	kid, _, _ := strings.Cut(sealed, ":")
	return kid
}

// Blind-index kinds: the value is normalized by kind before it is indexed.
const (
	KindIDNumber = "id_number"
	KindPhone    = "phone"
)

// Normalize puts value in the form it is indexed in: ID numbers trimmed and with an upper-case
// X, phones reduced to their digits; other kinds trimmed.
func Normalize(kind, value string) string {
	value = strings.TrimSpace(value)
	switch kind {
	case KindIDNumber:
		return strings.ToUpper(value)
	case KindPhone:
		var b strings.Builder
		for _, c := range value {
			if c >= '0' && c <= '9' {
				b.WriteRune(c)
			}
		}
		return b.String()
	}
	return value
}

// IndexBytes is how much of the HMAC a blind index keeps: 128 bits, so that among 30 million
// people the chance of two numbers sharing an index is about 1 in 10^24, while the index stays
// small enough (22 characters) that its random order costs bulk loads little.
const IndexBytes = 16

// BlindIndex is HMAC-SHA256 of kind and the normalized value under the blind-index key,
// truncated to IndexBytes, base64 (22 characters): equal values give equal indexes, so a
// UNIQUE index and exact lookups work, while the index reveals nothing without the key. The
// empty value has no index ("").
func (kr *Keyring) BlindIndex(kind, value string) string {
	value = Normalize(kind, value)
	if value == "" || kr == nil {
		return ""
	}
	h := kr.hmacs.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(value))
	var sum [sha256.Size]byte
	out := base64.RawStdEncoding.EncodeToString(h.Sum(sum[:0])[:IndexBytes])
	kr.hmacs.Put(h)
	return out
}

// NewKey returns a fresh random key with id.
func NewKey(id string) (Key, error) {
	if err := checkID(id); err != nil {
		return Key{}, err
	}
	k := Key{ID: id, Secret: make([]byte, KeySize)}
	if _, err := rand.Read(k.Secret); err != nil {
		return Key{}, err
	}
	return k, nil
}

// TokenMAC returns a fresh HMAC-SHA256 for signing short-lived tokens of purpose (e.g. the QR
// check-in codes of meetings), under a key derived from the blind-index root with HKDF, so the
// key file holds no extra secret and a token of one purpose never verifies as another's.
func (kr *Keyring) TokenMAC(purpose string) (hash.Hash, error) {
	if kr == nil {
		return nil, ErrNoKeys
	}
	k, err := hkdf.Key(sha256.New, kr.index.Secret, nil, "gongzhi token v1 "+purpose, KeySize)
	if err != nil {
		return nil, err
	}
	return hmac.New(sha256.New, k), nil
}
