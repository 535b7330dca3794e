package authz

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters (RFC 9106 second recommended option, memory-constrained).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// argonCost is what new hashes take: the parameters above, or the test cost once a test binary
// asked for it (UseTestPasswordCost). Verifying always follows the parameters stored in the hash.
type argonParams struct {
	time, memory uint32
	threads      uint8
}

var (
	productionCost = argonParams{argonTime, argonMemory, argonThreads}
	argonCost      = productionCost
)

// UseTestPasswordCost makes the new hashes of this test binary cheap (argon2id t=1, m=64 KiB,
// p=1): fixtures create hundreds of accounts, at about 0.4 s a hash on two cores and 1 s under
// -race, which made password hashing most of what the web and security tests spent. Hashes of
// either cost verify alike, as CheckPassword reads the parameters from the hash. It panics
// outside a test binary; storetest calls it from its init, before any test runs.
func UseTestPasswordCost() {
	if !testing.Testing() {
		panic("authz.UseTestPasswordCost called outside a test binary")
	}
	argonCost = argonParams{1, 64, 1}
}

// UseProductionPasswordCost puts the production cost back until restore is called, for a test
// that measures logins as they cost in production (unknown user against wrong password). Call it
// from a test that is not parallel: top-level parallel tests start only after it has returned.
func UseProductionPasswordCost() (restore func()) {
	if !testing.Testing() {
		panic("authz.UseProductionPasswordCost called outside a test binary")
	}
	prev := argonCost
	argonCost = productionCost
	return func() { argonCost = prev }
}

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	c := argonCost
	key := argon2.IDKey([]byte(password), salt, c.time, c.memory, c.threads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, c.memory, c.time, c.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// dummyHash is verified against when the user does not exist, so that both cases cost the same:
// one hash per cost new hashes take (production, or a test binary's; see UseTestPasswordCost).
func dummyHash() string {
	c := argonCost
	if h, ok := dummyHashes.Load(c); ok {
		return h.(string)
	}
	h, _ := HashPassword("gongzhi-dummy-password")
	dummyHashes.Store(c, h)
	return h
}

var dummyHashes sync.Map // argonParams → hash

// CheckPassword reports whether password matches the PHC-format hash; an empty hash is checked
// against a dummy so that unknown users and wrong passwords take the same time.
func CheckPassword(hash, password string) bool {
	known := hash != ""
	if !known {
		hash = dummyHash()
	}
	var version, mem, t, p int
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	// #nosec G115 -- t, mem and p were parsed from our own hash string and bounded there; len(want) is a hash length
	got := argon2.IDKey([]byte(password), salt, uint32(t), uint32(mem), uint8(p), uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1 && known
}

// NewToken returns a random session token for the client and the hash stored at rest.
func NewToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, TokenHash(token), nil
}

// TokenHash is the at-rest form of a token: the database never holds a usable token.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
