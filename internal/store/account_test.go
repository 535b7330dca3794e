package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
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
	u, err := st.CreateUser(context.Background(), authz.System(), store.UserInput{Username: username, Password: goodPassword,
		Role: role, ScopeID: scope, TOTPSecret: secret})
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
		if got.TOTPSecret != secret {
			t.Errorf("secret not enrolled")
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
