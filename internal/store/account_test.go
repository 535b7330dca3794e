package store_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// fakeClock is a settable clock for the account rules.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(st ...*store.Store) *fakeClock {
	c := &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	for _, s := range st {
		s.SetNow(c.Now)
	}
	return c
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const goodPassword = "correct horse battery staple"

func mustAccount(t *testing.T, st *store.Store, username string, role model.Role, scope int64, secret string) *model.User {
	t.Helper()
	in := store.UserInput{Username: username, Password: goodPassword, Role: role, ScopeID: scope, TOTPSecret: secret}
	if role == model.RolePartner {
		in.OrganizationID = storetest.MustOrganization(t, st, scope, username+"志愿队") // a partner's scope is its organization's node
	}
	if role == model.RoleUnitLeader {
		node, err := st.Territory(context.Background(), authz.System(), scope)
		if err != nil {
			t.Fatal(err)
		}
		in.UnitID = storetest.MustLeaderUnit(t, st, node).ID // a unit leader leads a real unit
	}
	u, err := st.CreateUser(context.Background(), authz.System(), in)
	if err != nil {
		t.Fatalf("create %s: %v", username, err)
	}
	return u
}

func mustCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := authz.TOTPCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLockoutHeldInDatabase(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, engine)
			open := func() *store.Store {
				st, err := store.Open(ctx, dsn, store.WithKeys(storetest.Keyring(t)))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}
			a, b := open(), open()
			if _, err := a.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			clock := newClock(a, b)
			mustAccount(t, a, "resident1", model.RoleSystemAdmin, 0, "")
			// Four failures on one instance, the fifth on the other: the lock is in the database.
			for i := range store.MaxFailedLogins {
				st := a
				if i == store.MaxFailedLogins-1 {
					st = b
				}
				if _, err := st.Authenticate(ctx, "resident1", "wrong password "+string(rune('a'+i))); !errors.Is(err, model.ErrUnauthenticated) {
					t.Fatalf("failure %d: %v", i, err)
				}
			}
			for _, st := range []*store.Store{a, b} {
				if _, err := st.Authenticate(ctx, "resident1", goodPassword); !errors.Is(err, model.ErrUnauthenticated) {
					t.Fatalf("locked account logged in: %v", err)
				}
			}
			clock.Add(store.LockoutDuration - time.Second)
			if _, err := b.Authenticate(ctx, "resident1", goodPassword); !errors.Is(err, model.ErrUnauthenticated) {
				t.Fatalf("still locked: %v", err)
			}
			clock.Add(2 * time.Second)
			u, err := a.Authenticate(ctx, "resident1", goodPassword)
			if err != nil {
				t.Fatalf("after the lock: %v", err)
			}
			// An administrator's unlock lifts a lock at once.
			for range store.MaxFailedLogins {
				_, _ = b.Authenticate(ctx, "resident1", "wrong again, wrong")
			}
			if _, err := a.Authenticate(ctx, "resident1", goodPassword); !errors.Is(err, model.ErrUnauthenticated) {
				t.Fatalf("want locked: %v", err)
			}
			if _, err := b.AdminAccount(ctx, authz.System(), u.ID, store.ActionUnlock); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Authenticate(ctx, "resident1", goodPassword); err != nil {
				t.Fatalf("after unlock: %v", err)
			}
		})
	}
}

func TestLoginSecondFactor(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := newClock(st)
		tr := mustTree(t, st)
		secret := authz.NewTOTPSecret()
		for _, role := range model.Roles {
			t.Run(string(role), func(t *testing.T) {
				scope := tr.community.ID
				if role == model.RoleSystemAdmin {
					scope = 0
				}
				mustAccount(t, st, "n-"+string(role), role, scope, "")
				_, err := st.Login(ctx, "n-"+string(role), goodPassword, "")
				if role.NeedsSecondFactor() {
					if !errors.Is(err, model.ErrSecondFactorNotEnrolled) {
						t.Errorf("staff without a secret: %v, want not enrolled", err)
					}
				} else if err != nil {
					t.Errorf("%s without a secret: %v", role, err)
				}
				// With a secret every role gives a code.
				mustAccount(t, st, "e-"+string(role), role, scope, secret)
				if _, err := st.Login(ctx, "e-"+string(role), goodPassword, ""); !errors.Is(err, model.ErrSecondFactorRequired) {
					t.Errorf("no code: %v, want second factor required", err)
				}
				code := mustCode(t, secret, clock.Now())
				if _, err := st.Login(ctx, "e-"+string(role), goodPassword, code); err != nil {
					t.Errorf("with code: %v", err)
				}
				if _, err := st.Login(ctx, "e-"+string(role), goodPassword, code); !errors.Is(err, model.ErrUnauthenticated) {
					t.Errorf("reused code: %v, want refused", err)
				}
				// An earlier step's code, still inside the skew, is refused too: steps only go up.
				if _, err := st.Login(ctx, "e-"+string(role), goodPassword, mustCode(t, secret, clock.Now().Add(-30*time.Second))); !errors.Is(err, model.ErrUnauthenticated) {
					t.Errorf("older code: %v, want refused", err)
				}
				if _, err := st.Login(ctx, "e-"+string(role), "wrong password!!", mustCode(t, secret, clock.Now().Add(30*time.Second))); !errors.Is(err, model.ErrUnauthenticated) {
					t.Errorf("wrong password with a good code: %v", err)
				}
				if _, err := st.Login(ctx, "e-"+string(role), goodPassword, "000000"); !errors.Is(err, model.ErrUnauthenticated) {
					t.Errorf("wrong code: %v", err)
				}
				clock.Add(30 * time.Second)
				if _, err := st.Login(ctx, "e-"+string(role), goodPassword, mustCode(t, secret, clock.Now())); err != nil {
					t.Errorf("next step's code: %v", err)
				}
			})
		}
	})
}

func TestEnrolmentChallenge(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := newClock(st)
		u := mustAccount(t, st, "admin", model.RoleSystemAdmin, 0, "")
		secret := authz.NewTOTPSecret()
		tok, err := st.CreateLoginChallenge(ctx, u, secret)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CompleteLoginChallenge(ctx, tok, "123456x"); !errors.Is(err, model.ErrUnauthenticated) {
			t.Fatalf("bad code: %v", err)
		}
		got, err := st.CompleteLoginChallenge(ctx, tok, mustCode(t, secret, clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if !got.TOTPEnrolled() || strings.Contains(got.TOTPSealed, secret) {
			t.Errorf("secret not enrolled, or not sealed: %q", got.TOTPSealed)
		}
		if _, err := st.CompleteLoginChallenge(ctx, tok, mustCode(t, secret, clock.Now())); !errors.Is(err, model.ErrUnauthenticated) {
			t.Errorf("challenge used twice: %v", err)
		}
		// An expired challenge is refused.
		tok, _ = st.CreateLoginChallenge(ctx, got, "")
		clock.Add(store.ChallengeTTL + time.Second)
		if _, err := st.CompleteLoginChallenge(ctx, tok, mustCode(t, secret, clock.Now())); !errors.Is(err, model.ErrUnauthenticated) {
			t.Errorf("expired challenge: %v", err)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := newClock(st)
		u := mustAccount(t, st, "admin", model.RoleSystemAdmin, 0, authz.NewTOTPSecret())
		live := func(tok string) bool {
			_, err := st.UserByToken(ctx, tok)
			if err != nil && !errors.Is(err, model.ErrUnauthenticated) {
				t.Fatal(err)
			}
			return err == nil
		}
		// Idle: 29 minutes apart keeps it alive, 30 without a request ends it.
		tok, _, _ := st.CreateSession(ctx, u)
		for range 3 {
			clock.Add(29 * time.Minute)
			if !live(tok) {
				t.Fatal("session ended while in use")
			}
		}
		clock.Add(store.SessionIdle + time.Second)
		if live(tok) {
			t.Error("idle session still live")
		}
		// Absolute: used every 20 minutes, it still ends at 12 hours.
		tok, exp, _ := st.CreateSession(ctx, u)
		if got := exp.Sub(clock.Now()); got != store.SessionTTL {
			t.Errorf("expiry in %s, want %s", got, store.SessionTTL)
		}
		for clock.Now().Before(exp.Add(-20 * time.Minute)) {
			if !live(tok) {
				t.Fatalf("ended early at %s", clock.Now())
			}
			clock.Add(20 * time.Minute)
		}
		clock.Add(20 * time.Minute)
		if live(tok) {
			t.Error("session outlived 12 hours")
		}
	})
}

func TestSessionsEnd(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		newClock(st)
		admin := mustAccount(t, st, "admin", model.RoleSystemAdmin, 0, authz.NewTOTPSecret())
		u := mustAccount(t, st, "other", model.RoleSystemAdmin, 0, authz.NewTOTPSecret())
		live := func(tok string) bool { _, err := st.UserByToken(ctx, tok); return err == nil }
		tok, _, _ := st.CreateSession(ctx, u)
		if err := st.DeleteSession(ctx, tok); err != nil || live(tok) {
			t.Errorf("logout: %v, live %v", err, live(tok))
		}
		tok, _, _ = st.CreateSession(ctx, u)
		tok2, _, _ := st.CreateSession(ctx, u)
		if err := st.ChangePassword(ctx, u, goodPassword, "a different long passphrase"); err != nil {
			t.Fatal(err)
		}
		if live(tok) || live(tok2) {
			t.Error("password change left sessions")
		}
		tok, _, _ = st.CreateSession(ctx, u)
		api, _, err := st.CreateAPIToken(ctx, u, "script", 0, 30)
		if err != nil {
			t.Fatal(err)
		}
		if !live(api) {
			t.Fatal("new API token not live")
		}
		if _, err := st.AdminAccount(ctx, authz.ForUser(admin), u.ID, store.ActionDisable); err != nil {
			t.Fatal(err)
		}
		if live(tok) || live(api) {
			t.Error("disabling left a session or token")
		}
		if _, err := st.Authenticate(ctx, "other", "a different long passphrase"); !errors.Is(err, model.ErrUnauthenticated) {
			t.Errorf("disabled account logged in: %v", err)
		}
		if _, err := st.AdminAccount(ctx, authz.ForUser(admin), admin.ID, store.ActionDisable); !errors.Is(err, model.ErrConflict) {
			t.Errorf("disabling oneself: %v", err)
		}
		if _, err := st.AdminAccount(ctx, authz.ForUser(admin), u.ID, store.ActionEnable); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Authenticate(ctx, "other", "a different long passphrase"); err != nil {
			t.Errorf("enabled account: %v", err)
		}
	})
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := newClock(st)
		tr := mustTree(t, st)
		u := mustAccount(t, st, "street", model.RoleStreetAdmin, tr.street.ID, authz.NewTOTPSecret())
		tok, rec, err := st.CreateAPIToken(ctx, u, "社区A脚本", tr.community.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if rec.ScopeID != tr.community.ID || rec.Name != "社区A脚本" {
			t.Errorf("record %+v", rec)
		}
		got, err := st.UserByToken(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		sc := authz.ForUser(got)
		if got.TokenID != rec.ID || !sc.Contains(tr.stairwell.Path) || sc.Contains(tr.community2.Path) || sc.Contains(tr.street.Path) {
			t.Errorf("token scope %q does not narrow to community A", sc.Path)
		}
		// Out of the account's scope, bad names and lifetimes are refused.
		other := mustAccount(t, st, "c2", model.RoleCommunityAdmin, tr.community2.ID, authz.NewTOTPSecret())
		for _, tc := range []struct {
			name  string
			scope int64
			days  int
		}{{"x", tr.community.ID, 10}, {"", 0, 10}, {"x", 0, 0}, {"x", 0, 366}, {"a\nb", 0, 1}} {
			if _, _, err := st.CreateAPIToken(ctx, other, tc.name, tc.scope, tc.days); !errors.As(err, new(*model.ValidationError)) {
				t.Errorf("%+v: %v, want a validation error", tc, err)
			}
		}
		// Expired.
		clock.Add(24*time.Hour + time.Second)
		if _, err := st.UserByToken(ctx, tok); !errors.Is(err, model.ErrUnauthenticated) {
			t.Errorf("expired token: %v", err)
		}
		// Revoked.
		tok, rec, _ = st.CreateAPIToken(ctx, u, "b", 0, 30)
		if err := st.RevokeAPIToken(ctx, other.ID, rec.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("revoking another's token: %v", err)
		}
		if err := st.RevokeAPIToken(ctx, u.ID, rec.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.UserByToken(ctx, tok); !errors.Is(err, model.ErrUnauthenticated) {
			t.Errorf("revoked token: %v", err)
		}
		list, err := st.APITokens(ctx, u.ID)
		if err != nil || len(list) != 2 || list[0].RevokedAt == nil {
			t.Errorf("list: %v %+v", err, list)
		}
	})
}

func TestInactiveStaffDisabled(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := newClock(st)
		tr := mustTree(t, st)
		secret := authz.NewTOTPSecret()
		mustAccount(t, st, "grid", model.RoleGridLeader, tr.grid.ID, secret)
		mustAccount(t, st, "member", model.RoleMember, tr.stairwell.ID, "")
		mustAccount(t, st, "active", model.RoleCommunityStaff, tr.community.ID, secret)
		clock.Add(80 * 24 * time.Hour)
		if _, err := st.Login(ctx, "active", goodPassword, mustCode(t, secret, clock.Now())); err != nil {
			t.Fatal(err)
		}
		clock.Add(11 * 24 * time.Hour)
		n, err := st.DisableInactiveStaff(ctx)
		if err != nil || n != 1 {
			t.Errorf("sweep disabled %d (%v), want 1", n, err)
		}
		// Idempotent: a second run, here or on another instance, finds nothing to do.
		if n, _ := st.DisableInactiveStaff(ctx); n != 0 {
			t.Errorf("second sweep disabled %d", n)
		}
		for name, disabled := range map[string]bool{"grid": true, "member": false, "active": false} {
			u, _ := st.UserByUsername(ctx, name)
			if u.Disabled != disabled {
				t.Errorf("%s disabled = %v, want %v", name, u.Disabled, disabled)
			}
		}
		// The login itself checks too, before any sweep ran.
		clock.Add(91 * 24 * time.Hour)
		if _, err := st.Authenticate(ctx, "active", goodPassword); !errors.Is(err, model.ErrUnauthenticated) {
			t.Errorf("inactive staff logged in: %v", err)
		}
		if u, _ := st.UserByUsername(ctx, "active"); !u.Disabled {
			t.Error("login did not disable the inactive account")
		}
	})
}

func TestPasswordRulesOnAccounts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		for _, tc := range []struct{ username, name, password string }{
			{"wangfang", "王芳", "short"},
			{"wangfang", "王芳", "password1234"},
			{"wangfang", "王芳", "my name is WangFang ok"},
			{"wangfang", "王芳小区的长长的密码", "王芳小区的长长的密码呀"},
			{"bad\nname", "", goodPassword},
			{"bad\x00name", "", goodPassword},
			{"bad\rname", "", goodPassword},
		} {
			_, err := st.CreateUser(ctx, authz.System(), store.UserInput{Username: tc.username, DisplayName: tc.name, Password: tc.password, Role: model.RoleSystemAdmin})
			if !errors.As(err, new(*model.ValidationError)) {
				t.Errorf("%q/%q: %v, want a validation error", tc.username, tc.password, err)
			}
		}
	})
}

// dumpAtRest is everything at rest of st that a secret could hide in: for SQLite the database
// file and its WAL, and for both engines the text of every row of tables.
func dumpAtRest(t *testing.T, st *store.Store, tables ...string) []byte {
	t.Helper()
	ctx := context.Background()
	var b bytes.Buffer
	if st.Engine() == "sqlite" {
		path := strings.TrimPrefix(store.DSNOf(st), "sqlite:")
		for _, f := range []string{path, path + "-wal"} {
			data, err := os.ReadFile(f)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			b.Write(data)
		}
	}
	for _, table := range tables {
		q := `SELECT * FROM ` + table
		if st.Engine() == "postgres" {
			// The row as text: its type does not change when a migration changes the table's
			// columns (pgx caches the plan of a query by its text).
			q = `SELECT t::text FROM ` + table + ` t`
		}
		rows, err := st.DB().QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if raw, ok := v.([]byte); ok {
					b.Write(raw)
				} else {
					fmt.Fprint(&b, v)
				}
				b.WriteByte('|')
			}
		}
		rows.Close()
	}
	return b.Bytes()
}

// accountTables are the tables a second-factor secret could reach.
var accountTables = []string{"users", "login_challenges", "sessions", "audit_log", "totp_pending"}

// plaintextSecrets returns the secrets (base32 as given, or their raw bytes) found in data.
func plaintextSecrets(data []byte, secrets ...string) []string {
	var found []string
	for _, s := range secrets {
		raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
		if bytes.Contains(data, []byte(s)) || bytes.Contains(data, []byte(strings.ToLower(s))) || (len(raw) > 0 && bytes.Contains(data, raw)) {
			found = append(found, s)
		}
	}
	return found
}

// TestTOTPSecretsSealed: secrets given at creation, set by the operator and enrolled at the
// first login are stored only sealed (bound to their column), a pending enrolment's secret too,
// and every kind still logs in with its codes.
func TestTOTPSecretsSealed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := newClock(st)
		a, b, c := authz.NewTOTPSecret(), authz.NewTOTPSecret(), authz.NewTOTPSecret()
		mustAccount(t, st, "created", model.RoleSystemAdmin, 0, a)
		set := mustAccount(t, st, "set", model.RoleSystemAdmin, 0, "")
		if err := st.SetTOTPSecret(ctx, set.ID, b); err != nil {
			t.Fatal(err)
		}
		enrol := mustAccount(t, st, "enrolled", model.RoleSystemAdmin, 0, "")
		tok, err := st.CreateLoginChallenge(ctx, enrol, c)
		if err != nil {
			t.Fatal(err)
		}
		if found := plaintextSecrets(dumpAtRest(t, st, accountTables...), c); len(found) > 0 {
			t.Errorf("a pending enrolment keeps its secret in plaintext")
		}
		if _, secret, err := st.LoginChallenge(ctx, tok); err != nil || secret != c {
			t.Fatalf("the enrolment page gets %q, %v; want the secret", secret, err)
		}
		if _, err := st.CompleteLoginChallenge(ctx, tok, mustCode(t, c, clock.Now())); err != nil {
			t.Fatal(err)
		}
		clock.Add(30 * time.Second)
		for name, secret := range map[string]string{"created": a, "set": b, "enrolled": c} {
			u, err := st.UserByUsername(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(u.TOTPSealed, "t1:") {
				t.Errorf("%s: stored %q, want sealed under t1", name, u.TOTPSealed)
			}
			if _, err := st.Login(ctx, name, goodPassword, mustCode(t, secret, clock.Now())); err != nil {
				t.Errorf("%s: login with its code: %v", name, err)
			}
			if _, err := st.Login(ctx, name, goodPassword, mustCode(t, secret, clock.Now())); !errors.Is(err, model.ErrUnauthenticated) {
				t.Errorf("%s: the same code twice: %v", name, err)
			}
		}
		if found := plaintextSecrets(dumpAtRest(t, st, accountTables...), a, b, c); len(found) > 0 {
			t.Errorf("%d secrets in plaintext at rest", len(found))
		}
		// A sealed secret moved to another column does not open.
		tok, err = st.CreateLoginChallenge(ctx, enrol, authz.NewTOTPSecret())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB().ExecContext(ctx, rebind(st, `UPDATE login_challenges SET secret_enc = (SELECT totp_secret_enc FROM users WHERE username = 'created')`)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.LoginChallenge(ctx, tok); !errors.Is(err, pii.ErrOpen) {
			t.Errorf("a secret moved to another column opened: %v", err)
		}
	})
}

// TestTOTPRotation: `keys rotate` re-seals the second-factor secrets under the new key, after
// which the old key can go and every account still logs in.
func TestTOTPRotation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		secrets := map[string]string{}
		for _, name := range []string{"a", "b", "c"} {
			secrets[name] = authz.NewTOTPSecret()
			mustAccount(t, st, "user_"+name, model.RoleSystemAdmin, 0, secrets[name])
		}
		mustAccount(t, st, "none", model.RoleMember, mustTree(t, st).stairwell.ID, "")
		pending := mustAccount(t, st, "pending", model.RoleSystemAdmin, 0, "")
		if _, err := st.CreateLoginChallenge(ctx, pending, authz.NewTOTPSecret()); err != nil {
			t.Fatal(err)
		}
		k2, _ := pii.NewKey("t2")
		both, err := pii.New(append([]pii.Key{k2}, storetest.Keyring(t).Keys()...))
		if err != nil {
			t.Fatal(err)
		}
		rotated, err := store.Open(ctx, store.DSNOf(st), store.WithKeys(both))
		if err != nil {
			t.Fatal(err)
		}
		defer rotated.Close()
		if use, err := rotated.KeyUsage(ctx); err != nil || use["t1"] != 4 {
			t.Fatalf("before rotation: KeyUsage = %v, %v; want 4 secrets under t1", use, err)
		}
		if _, err := rotated.Reencrypt(ctx, 10, nil); err != nil {
			t.Fatal(err)
		}
		if use, err := rotated.KeyUsage(ctx); err != nil || use["t1"] != 0 || use["t2"] != 4 {
			t.Fatalf("after rotation: KeyUsage = %v, %v; want 4 secrets under t2", use, err)
		}
		var keys []pii.Key
		for _, k := range both.Keys() {
			if k.ID != "t1" {
				keys = append(keys, k)
			}
		}
		only, err := pii.New(keys)
		if err != nil {
			t.Fatal(err)
		}
		retired, err := store.Open(ctx, store.DSNOf(st), store.WithKeys(only))
		if err != nil {
			t.Fatal(err)
		}
		defer retired.Close()
		clock := newClock(retired)
		for name, secret := range secrets {
			if _, err := retired.Login(ctx, "user_"+name, goodPassword, mustCode(t, secret, clock.Now())); err != nil {
				t.Errorf("user_%s after retiring t1: %v", name, err)
			}
		}
		p, err := retired.AuditLog(ctx, authz.System(), store.AuditFilter{Action: "keys.reencrypt", Subject: "user"})
		if err != nil || len(p.Items) != 1 || !strings.Contains(p.Items[0].Detail, "totp_resealed=4") {
			t.Errorf("audit of the re-sealing: %+v, %v", p, err)
		}
	})
}

// TestMigrateTOTPPlaintext: a database whose accounts and pending enrolments hold plaintext
// secrets (as before 0009) is refused until migrated with keys; the migration seals the secrets,
// drops the pending enrolments and leaves no plaintext behind; the accounts log in as before.
func TestMigrateTOTPPlaintext(t *testing.T) {
	t.Parallel()
	hash, err := authz.HashPassword(goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range storetest.Engines {
		t.Run(e, func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, e)
			st, err := store.Open(ctx, dsn, store.WithKeys(storetest.Keyring(t)))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if err := st.MigrateTo(ctx, 8); err != nil {
				t.Fatal(err)
			}
			ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := st.DB().ExecContext(ctx, rebind(st, q), args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			secrets := []string{authz.NewTOTPSecret(), authz.NewTOTPSecret()}
			enrolling := authz.NewTOTPSecret()
			for i, s := range secrets {
				exec(`INSERT INTO users (id, username, display_name, role, password_hash, created_at, totp_secret, totp_enrolled_at) VALUES (?, ?, '', 'system_admin', ?, ?, ?, ?)`,
					i+1, fmt.Sprintf("old%d", i+1), hash, ts, s, ts)
			}
			exec(`INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (3, 'new', '', 'system_admin', ?, ?)`, hash, ts)
			exec(`INSERT INTO login_challenges (token_hash, user_id, secret, created_at, expires_at) VALUES ('h', 3, ?, ?, ?)`, enrolling, ts, ts.Add(time.Hour))
			if found := plaintextSecrets(dumpAtRest(t, st, "users", "login_challenges"), append(secrets, enrolling)...); len(found) != 3 {
				t.Fatalf("the scan finds %d of the 3 plaintext secrets written: it sees nothing", len(found))
			}

			bare, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bare.Migrate(ctx); !errors.Is(err, pii.ErrNoKeys) {
				t.Fatalf("Migrate without keys = %v, want ErrNoKeys", err)
			}
			if err := bare.CheckSchema(ctx); !errors.Is(err, store.ErrStaleSchema) {
				t.Fatalf("CheckSchema with secrets pending = %v", err)
			}
			bare.Close()

			if _, err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := st.CheckSchema(ctx); err != nil {
				t.Fatal(err)
			}
			if found := plaintextSecrets(dumpAtRest(t, st, accountTables...), append(secrets, enrolling)...); len(found) > 0 {
				t.Errorf("%d plaintext secrets left after the migration", len(found))
			}
			clock := newClock(st)
			for i, s := range secrets {
				if _, err := st.Login(ctx, fmt.Sprintf("old%d", i+1), goodPassword, mustCode(t, s, clock.Now())); err != nil {
					t.Errorf("old%d after the migration: %v", i+1, err)
				}
			}
			if u, err := st.UserByUsername(ctx, "new"); err != nil || u.TOTPEnrolled() {
				t.Errorf("the account that was enrolling: %+v, %v; want it to enrol again", u, err)
			}
		})
	}
}

// TestKeyUsageBefore0009: a database from before 0009 (sealed residents, no sealed secrets yet)
// still has its key usage counted, which is how `serve` tells a lost key file from a new
// database.
func TestKeyUsageBefore0009(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, storetest.DSN(t, "sqlite"), store.WithKeys(storetest.Keyring(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.MigrateTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	// Rows as such a database holds them (raw SQL: the store's code is of the newest schema).
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, q := range []string{
		`INSERT INTO territories (id, kind, name, path, community_id, created_at, updated_at) VALUES (1, 'community', '老社区', '/1/', 1, ?, ?)`,
		`INSERT INTO households (id, territory_id, community_id, path, address, created_at, updated_at) VALUES (1, 1, 1, '/1/', '老地址', ?, ?)`,
		`INSERT INTO residents (id, household_id, territory_id, community_id, path, name, gender, birth_date, relation, political_status, created_at, updated_at, id_number_enc, id_number_idx)
			VALUES (1, 1, 1, 1, '/1/', '老居民', 'male', ?, '其他', 'masses', ?, ?, 't1:AAAA', 'idx')`,
	} {
		args := []any{ts, ts}
		if strings.Contains(q, "residents") {
			args = append(args, ts)
		}
		if _, err := st.DB().ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if use, err := st.KeyUsage(ctx); err != nil || use["t1"] != 1 {
		t.Errorf("KeyUsage before 0009 = %v, %v; want 1 value under t1", use, err)
	}
}

// TestSessionTouchDoesNotWaitForTheWriter: on SQLite a long write transaction (an import) holds
// the one writer; a page's session lookup must still answer at once, recording the session's
// use later, when the writer is free.
func TestSessionTouchDoesNotWaitForTheWriter(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	ctx := context.Background()
	clock := newClock(st)
	u := mustAccount(t, st, "admin", model.RoleSystemAdmin, 0, authz.NewTOTPSecret())
	tok, _, err := st.CreateSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	api, _, err := st.CreateAPIToken(ctx, u, "script", 0, 30)
	if err != nil {
		t.Fatal(err)
	}
	lastSeen := func() time.Time {
		t.Helper()
		var seen time.Time
		if err := st.ReadDB().QueryRowContext(ctx, `SELECT last_seen_at FROM sessions`).Scan(&seen); err != nil {
			t.Fatal(err)
		}
		return seen.UTC()
	}
	before := lastSeen()
	clock.Add(store.LastSeenEvery + time.Second) // the lookup wants to record the use

	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- st.Tx(ctx, func(tx *store.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	looked := make(chan error, 2)
	go func() {
		_, err := st.UserByToken(ctx, tok)
		looked <- err
		_, err = st.UserByToken(ctx, api)
		looked <- err
	}()
	for range 2 {
		select {
		case err := <-looked:
			if err != nil {
				t.Fatalf("lookup while the writer is held: %v", err)
			}
		case <-time.After(time.Minute): // a guard against a hang, not a measurement
			close(release)
			t.Fatal("the session lookup waited for the write transaction")
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := lastSeen(); !got.Equal(before) {
		t.Errorf("last_seen_at written while the writer was held: %s", got)
	}
	// The writer is free again: the next request records the use.
	if _, err := st.UserByToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if got := lastSeen(); !got.After(before) {
		t.Errorf("last_seen_at = %s after the writer was freed, want later than %s", got, before)
	}
}
