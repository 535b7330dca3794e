package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
)

// Account rules (issue 3: OWASP ASVS 5.0 level 2).
const (
	MaxFailedLogins   = 5                   // consecutive failures that lock an account
	LockoutDuration   = 15 * time.Minute    // how long a lock lasts
	SessionTTL        = 12 * time.Hour      // a session's absolute lifetime
	SessionIdle       = 30 * time.Minute    // a session unused this long ends
	LastSeenEvery     = time.Minute         // last_seen_at is written at most this often per session
	InactiveAfter     = 90 * 24 * time.Hour // staff accounts unused this long are disabled
	ChallengeTTL      = 5 * time.Minute     // time between the password and the code
	MaxTokenDays      = 365                 // longest API token lifetime
	APITokenPrefix    = "gzt_"              // API tokens start with it; session tokens never do
	maxTokenNameBytes = 100
)

// SetNow replaces the clock the account rules use (sessions, lockout, TOTP, token expiry, the
// inactivity sweep). Tests inject a fake clock here before the store is used; nil restores the
// wall clock.
func (s *Store) SetNow(f func() time.Time) {
	s.clock = f
	s.tokens.invalidate()
}

// Now is the accounts' clock (see SetNow).
func (s *Store) Now() time.Time { return s.now() }

// now is the accounts' clock, truncated so both engines round-trip it exactly.
func (s *Store) now() time.Time {
	if s.clock != nil {
		return s.clock().UTC().Truncate(time.Microsecond)
	}
	return now()
}

// staffRoles lists the roles the 90-day sweep applies to, for SQL.
func staffRoles() (in string, args []any) {
	var ph []string
	for _, r := range model.Roles {
		if r.NeedsSecondFactor() {
			ph = append(ph, "?")
			args = append(args, string(r))
		}
	}
	return "(" + strings.Join(ph, ", ") + ")", args
}

// Authenticate checks a username and password and returns the account. It answers
// model.ErrUnauthenticated alike for an unknown user, a wrong password, a locked, disabled or
// (staff, 90 days unused) inactive account; every path costs one argon2id verification. A wrong
// password counts towards the lock (MaxFailedLogins in a row lock the account for
// LockoutDuration, in the database, so every instance sees it). Authenticate does not check the
// second factor: see Login and VerifyTOTP; the failure counter is reset only when the whole
// login succeeds.
func (s *Store) Authenticate(ctx context.Context, username, password string) (*model.User, error) {
	u, err := s.reader().user(ctx, `u.username = ?`, username)
	hash := ""
	if err == nil {
		hash = u.PasswordHash
	} else if !errors.Is(err, model.ErrNotFound) {
		return nil, err
	}
	ok := authz.CheckPassword(hash, password)
	if u == nil {
		return nil, s.loginFailed(ctx, username, nil, "unknown username")
	}
	ts := s.now()
	switch {
	case u.Disabled:
		return nil, s.loginFailed(ctx, username, u, "account disabled")
	case u.LockedUntil != nil && ts.Before(*u.LockedUntil):
		return nil, s.loginFailed(ctx, username, u, "account locked")
	case !ok:
		return nil, s.recordFailure(ctx, u.ID)
	case s.inactive(u, ts):
		err := s.Tx(ctx, func(tx *Tx) error {
			if _, err := tx.exec(ctx, `UPDATE users SET disabled = ?, disabled_at = ? WHERE id = ? AND disabled = ?`, true, ts, u.ID, false); err != nil {
				return err
			}
			tx.auditLogin(username, u, "auth.login", model.AuditFailed, "account unused for 90 days: disabled")
			return nil
		})
		if err != nil {
			return nil, err
		}
		return nil, model.ErrUnauthenticated
	}
	return u, nil
}

// inactive reports whether u is a staff account whose last login (or creation, or enabling)
// lies more than InactiveAfter before ts.
func (s *Store) inactive(u *model.User, ts time.Time) bool {
	if !u.Role.NeedsSecondFactor() {
		return false
	}
	last := u.CreatedAt
	if u.LastLoginAt != nil && u.LastLoginAt.After(last) {
		last = *u.LastLoginAt
	}
	return ts.Sub(last) > InactiveAfter
}

// recordFailure counts one failed login for the account and locks it on the MaxFailedLogins-th;
// it returns model.ErrUnauthenticated (or the database error). The update is one statement, so
// concurrent failures on several instances all count.
func (s *Store) recordFailure(ctx context.Context, userID int64) error {
	ts := s.now()
	err := s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE users SET
		locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END,
		failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END
		WHERE id = ?`, MaxFailedLogins, ts.Add(LockoutDuration), MaxFailedLogins, userID); err != nil {
			return err
		}
		// The failure and, when it was the last one allowed, the lockout go into the audit log.
		u, err := tx.user(ctx, `u.id = ?`, userID)
		if err != nil {
			return err
		}
		tx.auditLogin(u.Username, u, "auth.login", model.AuditFailed, "wrong password or code")
		if u.FailedLogins == 0 && u.LockedUntil != nil && u.LockedUntil.After(ts) {
			tx.auditLogin(u.Username, u, "auth.lockout", model.AuditOK, "locked for "+LockoutDuration.String())
		}
		return nil
	})
	if err != nil {
		return err
	}
	return model.ErrUnauthenticated
}

// loginFailed records a refused login that counts no failure (unknown user, disabled or locked
// account) and returns model.ErrUnauthenticated, or the audit log's error.
// Anyone can cause these without knowing a password, so they are aggregated like anonymous
// denials (audit_denial.go): counted per minute, source and outcome (the account's id included),
// the first of each minute recorded.
func (s *Store) loginFailed(ctx context.Context, username string, u *model.User, reason string) error {
	outcome := string(model.AuditFailed) + ": " + reason
	if u != nil {
		outcome += fmt.Sprintf(" (user %d)", u.ID)
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		first, err := tx.countDenial(ctx, "auth.login", outcome, "auth.login")
		if err != nil || !first {
			return err
		}
		tx.auditLogin(username, u, "auth.login", model.AuditFailed, reason+aggregatedNote)
		return nil
	})
	if err != nil {
		return err
	}
	return model.ErrUnauthenticated
}

// loginSucceeded resets the failure counter and records the login time.
func (c conn) loginSucceeded(ctx context.Context, userID int64, ts time.Time) error {
	_, err := c.exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ? WHERE id = ?`, ts, userID)
	return err
}

// Login is the whole login of the API: password, then the TOTP code when the account has a
// secret or its role needs one. It returns the account, or model.ErrUnauthenticated (see
// Authenticate; a wrong or reused code counts as a failure too),
// model.ErrSecondFactorRequired when otp is empty and the account needs one, and
// model.ErrSecondFactorNotEnrolled when the role needs one but none is enrolled yet (the account
// enrols on the login page).
func (s *Store) Login(ctx context.Context, username, password, otp string) (*model.User, error) {
	u, err := s.Authenticate(ctx, username, password)
	if err != nil {
		return nil, err
	}
	switch {
	case u.TOTPEnrolled() && otp == "":
		return nil, model.ErrSecondFactorRequired
	case u.TOTPEnrolled():
		if err := s.VerifyTOTP(ctx, u, otp); err != nil {
			return nil, err
		}
	case u.Role.NeedsSecondFactor():
		return nil, model.ErrSecondFactorNotEnrolled
	}
	return u, s.writer().loginSucceeded(ctx, u.ID, s.now())
}

// LoginSucceeded records a completed login of an account without a second factor (the pages'
// password-only path): the failure counter is reset and the login time kept.
func (s *Store) LoginSucceeded(ctx context.Context, u *model.User) error {
	return s.writer().loginSucceeded(ctx, u.ID, s.now())
}

// VerifyTOTP checks code against u's enrolled secret, which it opens with the keyring (an error
// wrapping pii.ErrOpen or pii.ErrNoKeys when it cannot). A code is accepted once: its time step
// must be later than the last accepted one (the check and the update are one statement, so two
// instances cannot both accept it). A wrong or reused code counts as a failed login and returns
// model.ErrUnauthenticated.
func (s *Store) VerifyTOTP(ctx context.Context, u *model.User, code string) error {
	if u.TOTPSealed == "" {
		return s.recordFailure(ctx, u.ID)
	}
	secret, err := s.keys.Open(ColumnTOTPSecret, u.TOTPSealed)
	if err != nil {
		return fmt.Errorf("second factor of account %d: %w", u.ID, err)
	}
	step, ok := authz.MatchTOTP(secret, code, s.now())
	if !ok {
		return s.recordFailure(ctx, u.ID)
	}
	res, err := s.writer().exec(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ? AND totp_secret_enc = ?`,
		step, u.ID, step, u.TOTPSealed)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.recordFailure(ctx, u.ID)
	}
	return nil
}

// CreateLoginChallenge records that u gave the right password and must now give a code; secret
// is the new TOTP secret shown on the enrolment page ("" when u is enrolled), stored sealed. It
// returns the challenge token for the login form (only its hash is stored); it lives
// ChallengeTTL.
func (s *Store) CreateLoginChallenge(ctx context.Context, u *model.User, secret string) (string, error) {
	token, hash, err := authz.NewToken()
	if err != nil {
		return "", err
	}
	sealed, err := s.reader().sealTOTP(ColumnChallengeSecret, secret)
	if err != nil {
		return "", err
	}
	ts := s.now()
	err = s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM login_challenges WHERE expires_at <= ?`, ts); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `INSERT INTO login_challenges (token_hash, user_id, secret_enc, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			hash, u.ID, sealed, ts, ts.Add(ChallengeTTL))
		return err
	})
	return token, err
}

// LoginChallenge returns the account and the secret being enrolled ("" when none), opened for
// the enrolment page and the code check, of a live challenge, or model.ErrUnauthenticated.
func (s *Store) LoginChallenge(ctx context.Context, token string) (*model.User, string, error) {
	var userID int64
	var sealed string
	err := s.reader().queryRow(ctx, `SELECT user_id, secret_enc FROM login_challenges WHERE token_hash = ? AND expires_at > ?`,
		[]any{authz.TokenHash(token), s.now()}, &userID, &sealed)
	if errors.Is(err, model.ErrNotFound) {
		return nil, "", model.ErrUnauthenticated
	} else if err != nil {
		return nil, "", err
	}
	secret, err := s.keys.Open(ColumnChallengeSecret, sealed)
	if err != nil {
		return nil, "", fmt.Errorf("login challenge of account %d: %w", userID, err)
	}
	u, err := s.userByID(ctx, userID)
	if err != nil {
		return nil, "", err
	}
	return u, secret, nil
}

// CompleteLoginChallenge checks code for the challenge: against the secret being enrolled (which
// is then saved on the account) or the account's own. On success the challenge is gone, the
// login is recorded and the account is returned; a wrong or reused code is
// model.ErrUnauthenticated and counts as a failed login, and a locked or disabled account fails
// alike.
func (s *Store) CompleteLoginChallenge(ctx context.Context, token, code string) (*model.User, error) {
	u, secret, err := s.LoginChallenge(ctx, token)
	if err != nil {
		return nil, err
	}
	ts := s.now()
	if u.Disabled || (u.LockedUntil != nil && ts.Before(*u.LockedUntil)) {
		return nil, model.ErrUnauthenticated
	}
	if secret != "" {
		step, ok := authz.MatchTOTP(secret, code, ts)
		if !ok {
			return nil, s.recordFailure(ctx, u.ID)
		}
		sealed, err := s.reader().sealTOTP(ColumnTOTPSecret, secret)
		if err != nil {
			return nil, err
		}
		before := u.State(ts)
		err = s.Tx(ctx, func(tx *Tx) error {
			// Enrolled once: a second challenge of the same account cannot replace the secret.
			res, err := tx.exec(ctx, `UPDATE users SET totp_secret_enc = ?, totp_enrolled_at = ?, totp_last_step = ? WHERE id = ? AND totp_secret_enc = ''`,
				sealed, ts, step, u.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return model.ErrUnauthenticated
			}
			u.TOTPSealed, u.TOTPLastStep, u.TOTPEnrolledAt = sealed, step, &ts
			tx.auditLogin(u.Username, u, "user.totp_enrol", model.AuditOK, model.AccountChange(&before, u.State(ts)))
			return nil
		})
		if err != nil {
			return nil, err
		}
	} else if err := s.VerifyTOTP(ctx, u, code); err != nil {
		return nil, err
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM login_challenges WHERE user_id = ?`, u.ID); err != nil {
			return err
		}
		return tx.loginSucceeded(ctx, u.ID, ts)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// CreateSession starts a session for u and returns its token (only its hash is stored) and its
// absolute expiry (SessionTTL); it also ends after SessionIdle without a request.
func (s *Store) CreateSession(ctx context.Context, u *model.User) (token string, expires time.Time, err error) {
	token, hash, err := authz.NewToken()
	if err != nil {
		return "", time.Time{}, err
	}
	ts := s.now()
	expires = ts.Add(SessionTTL)
	// A session starts with a successful login, and so does its audit record.
	err = s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)`, hash, u.ID, ts, expires, ts); err != nil {
			return err
		}
		tx.auditLogin(u.Username, u, "auth.login", model.AuditOK, "")
		return nil
	})
	return token, expires, err
}

// UserBySession returns the account of a live session or API token; see UserByToken.
func (s *Store) UserBySession(ctx context.Context, token string) (*model.User, error) {
	return s.UserByToken(ctx, token)
}

// UserByToken returns the account of a live session token or API token, or
// model.ErrUnauthenticated. A session is live before its absolute expiry and within SessionIdle
// of its last request (last_seen_at is written at most every LastSeenEvery, so most requests
// cost one read). The returned account holds what a request needs (identity, role, scope,
// disabled, created) and none of the secrets: no password hash, no TOTP secret. An API token
// (APITokenPrefix) is live until it expires or is revoked; its
// scope, when set, narrows the account's: the returned user carries the token's ScopeID and
// ScopePath and TokenID. Disabled accounts have no live tokens.
func (s *Store) UserByToken(ctx context.Context, token string) (*model.User, error) {
	if strings.HasPrefix(token, APITokenPrefix) {
		return s.userByAPIToken(ctx, token)
	}
	ts := s.now()
	hash := authz.TokenHash(token)
	if u, ok := s.tokens.get(hash, ts); ok {
		return u, nil
	}
	gen := s.tokens.gen.Load()
	var sc requestUserScan
	var seen, expires time.Time
	dest := append(sc.dest(), &seen, &expires)
	err := s.reader().queryRow(ctx, `SELECT `+requestUserColumns+`, k.last_seen_at, k.expires_at FROM sessions k JOIN users u ON u.id = k.user_id
		LEFT JOIN territories t ON t.id = u.scope_id WHERE k.token_hash = ? AND k.expires_at > ? AND k.last_seen_at > ?`,
		[]any{hash, ts, ts.Add(-SessionIdle)}, dest...)
	if errors.Is(err, model.ErrNotFound) {
		return nil, model.ErrUnauthenticated
	} else if err != nil {
		return nil, err
	}
	u := sc.user()
	if u.Disabled {
		return nil, model.ErrUnauthenticated
	}
	if ts.Sub(seen) >= LastSeenEvery {
		if s.touch(ctx, `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`, ts, hash) {
			seen = ts
		}
	}
	s.tokens.put(hash, u, gen, expires, seen)
	return u, nil
}

// TokenLive reports whether token, a session or an API token, is still live, as UserByToken
// would find it, without counting as a use: it does not move the session's idle timeout. A
// request that lasts (an event stream) asks it now and then, so that a logout, a revoked token
// or a disabled account ends it, while an open page alone does not keep a session alive.
func (s *Store) TokenLive(ctx context.Context, token string) (bool, error) {
	ts := s.now()
	hash := authz.TokenHash(token)
	q := `SELECT COUNT(*) FROM sessions k JOIN users u ON u.id = k.user_id
		WHERE k.token_hash = ? AND k.expires_at > ? AND k.last_seen_at > ? AND u.disabled = ?`
	args := []any{hash, ts, ts.Add(-SessionIdle), false}
	if strings.HasPrefix(token, APITokenPrefix) {
		q = `SELECT COUNT(*) FROM api_tokens k JOIN users u ON u.id = k.user_id
			WHERE k.token_hash = ? AND k.revoked_at IS NULL AND k.expires_at > ? AND u.disabled = ?`
		args = []any{hash, ts, false}
	}
	var n int
	err := s.reader().queryRow(ctx, q, args, &n)
	return n > 0, err
}

// touchTimeout bounds the write of a session's or a token's last use.
const touchTimeout = 250 * time.Millisecond

// touch writes a session's last_seen_at or a token's last_used_at, best effort: a request must
// not wait behind a long write transaction to record that it happened (on SQLite the one
// writer may be held by an import for minutes). When SQLite's writer is busy the write is
// skipped; otherwise it is tried for at most touchTimeout and a failure is ignored. Either way
// the next request of the session tries again (the stored time stays old until one succeeds),
// so only a writer held for SessionIdle without a break could end a session that is in use.
// It reports whether the time was written.
func (s *Store) touch(ctx context.Context, query string, args ...any) bool {
	if s.d.name == "sqlite" && s.write.Stats().InUse > 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, touchTimeout)
	defer cancel()
	_, err := s.writer().exec(ctx, query, args...)
	return err == nil
}

func (s *Store) userByAPIToken(ctx context.Context, token string) (*model.User, error) {
	ts := s.now()
	hash := authz.TokenHash(token)
	if u, ok := s.tokens.get(hash, ts); ok {
		return u, nil
	}
	gen := s.tokens.gen.Load()
	var sc requestUserScan
	var tokenID int64
	var tokenScope sql.NullInt64
	var tokenPath, tokenScopeName string
	var used sql.NullTime
	var expires time.Time
	dest := append(sc.dest(), &tokenID, &tokenScope, &tokenPath, &tokenScopeName, &used, &expires)
	err := s.reader().queryRow(ctx, `SELECT `+requestUserColumns+`, k.id, k.scope_id, COALESCE(kt.path, ''), COALESCE(kt.name, ''), k.last_used_at, k.expires_at
		FROM api_tokens k JOIN users u ON u.id = k.user_id LEFT JOIN territories t ON t.id = u.scope_id LEFT JOIN territories kt ON kt.id = k.scope_id
		WHERE k.token_hash = ? AND k.revoked_at IS NULL AND k.expires_at > ?`,
		[]any{hash, ts}, dest...)
	if errors.Is(err, model.ErrNotFound) {
		return nil, model.ErrUnauthenticated
	} else if err != nil {
		return nil, err
	}
	u := sc.user()
	if u.Disabled {
		return nil, model.ErrUnauthenticated
	}
	if tokenScope.Valid {
		// The account's scope may have shrunk since the token was made: a token never reaches
		// beyond its account.
		if !authz.ForUser(u).Contains(tokenPath) {
			return nil, model.ErrUnauthenticated
		}
		u.ScopeID, u.ScopePath, u.ScopeName = tokenScope.Int64, tokenPath, tokenScopeName
	}
	u.TokenID = tokenID
	if !used.Valid || ts.Sub(used.Time) >= LastSeenEvery {
		if s.touch(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, ts, tokenID) {
			used.Time = ts
		}
	}
	s.tokens.put(hash, u, gen, expires, used.Time)
	return u, nil
}

// requestUserColumns is the slim account of every request (see UserByToken).
const requestUserColumns = `u.id, u.username, u.display_name, u.role, u.scope_id, COALESCE(t.path, ''), COALESCE(t.name, ''), u.disabled, u.created_at, COALESCE(u.organization_id, 0), COALESCE(u.unit_id, 0)`

type requestUserScan struct {
	u     model.User
	scope sql.NullInt64
}

func (s *requestUserScan) dest() []any {
	u := &s.u
	return []any{&u.ID, &u.Username, &u.DisplayName, &u.Role, &s.scope, &u.ScopePath, &u.ScopeName, &u.Disabled, &u.CreatedAt, &u.OrganizationID, &u.UnitID}
}

func (s *requestUserScan) user() *model.User {
	u := s.u
	u.ScopeID = s.scope.Int64
	return &u
}

// DeleteSession ends the session with token.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	return s.Tx(ctx, func(tx *Tx) error {
		u, err := tx.user(ctx, `u.id = (SELECT user_id FROM sessions WHERE token_hash = ?)`, authz.TokenHash(token))
		if errors.Is(err, model.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, authz.TokenHash(token)); err != nil {
			return err
		}
		tx.auditLogin(u.Username, u, "auth.logout", model.AuditOK, "")
		return nil
	})
}

// SetPassword replaces an account's password (checked by authz.CheckNewPassword against its
// username and name, hashed here) and ends all its sessions. It checks no rule of separation of
// duties: it serves the account's own change (ChangePassword) and the operator's commands.
func (s *Store) SetPassword(ctx context.Context, userID int64, password string) error {
	u, err := s.userByID(ctx, userID)
	if err != nil {
		return err
	}
	if msg := authz.CheckNewPassword(password, u.Username, u.DisplayName); msg != "" {
		return fieldErr("password", msg)
	}
	hash, err := authz.HashPassword(password)
	if err != nil {
		return err
	}
	ts := s.now()
	return s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?`, hash, ts, userID); err != nil {
			return err
		}
		return tx.auditAccount(ctx, callerScope(ctx), "user.password", u, ts, func() error {
			_, err := tx.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
			return err
		})
	})
}

// auditAccount runs f (the rest of a change to the account before, which lies in the
// transaction), then reads the account again and queues the audit record of action with its
// state before and after.
func (tx *Tx) auditAccount(ctx context.Context, sc authz.Scope, action string, before *model.User, ts time.Time, f func() error) error {
	if f != nil {
		if err := f(); err != nil {
			return err
		}
	}
	after, err := tx.user(ctx, `u.id = ?`, before.ID)
	if err != nil {
		return err
	}
	b := before.State(ts)
	tx.audit(sc, action, "user", []int64{before.ID}, model.AccountChange(&b, after.State(ts)))
	return nil
}

// ChangePassword is the account's own change: old must be its current password (otherwise a
// validation error on old_password, counted as a failed login), new must pass the rules. Every
// session of the account ends, the caller's too.
func (s *Store) ChangePassword(ctx context.Context, caller *model.User, old, new string) error {
	// The request's account carries no password hash (see UserByToken): read it afresh.
	u, err := s.userByID(ctx, caller.ID)
	if err != nil {
		return err
	}
	if len(old) > authz.MaxPasswordBytes || !authz.CheckPassword(u.PasswordHash, old) {
		if err := s.recordFailure(ctx, u.ID); !errors.Is(err, model.ErrUnauthenticated) {
			return err
		}
		return fieldErr("old_password", "当前密码不正确")
	}
	if old == new {
		return fieldErr("password", "新密码不能与当前密码相同")
	}
	return s.SetPassword(ctx, u.ID, new)
}

// SetTOTPSecret enrols secret (base32, stored sealed) as the account's second factor, for
// `gongzhi user add` and the demo; "" removes it (the account enrols again at its next login).
// It checks no rule of separation of duties: it serves the operator's commands.
func (s *Store) SetTOTPSecret(ctx context.Context, userID int64, secret string) error {
	var enrolled any
	if secret != "" {
		var err error
		if secret, err = authz.NormalizeTOTPSecret(secret); err != nil {
			return fieldErr("totp_secret", "动态验证码密钥应为 base32 编码，至少16字节（26个字符）")
		}
		enrolled = s.now()
	}
	sealed, err := s.reader().sealTOTP(ColumnTOTPSecret, secret)
	if err != nil {
		return err
	}
	ts := s.now()
	return s.Tx(ctx, func(tx *Tx) error {
		u, err := tx.user(ctx, `u.id = ?`, userID)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE users SET totp_secret_enc = ?, totp_enrolled_at = ?, totp_last_step = 0 WHERE id = ?`, sealed, enrolled, userID); err != nil {
			return err
		}
		return tx.auditAccount(ctx, callerScope(ctx), "user.totp", u, ts, func() error { return tx.endAccess(ctx, userID, false, ts) })
	})
}

// AccountAction is what an administrator does to an account.
type AccountAction string

// The account actions of the users API and page.
const (
	ActionDisable   AccountAction = "disable"    // refuse logins, end sessions and API tokens
	ActionEnable    AccountAction = "enable"     // allow logins again; the 90-day clock restarts
	ActionUnlock    AccountAction = "unlock"     // lift a lockout
	ActionResetTOTP AccountAction = "reset-totp" // forget the second factor: enrol at next login
)

// AdminAccount applies action to the account id in the caller's scope (model.ErrNotFound
// outside it) under the rules of separation of duties (see CreateUser: a role the caller does
// not manage, its own account included unless it is a system administrator, is a
// *model.ForbiddenError, recorded as denied). Nobody disables its own account (a
// *model.ConflictError). Disabling and resetting the second factor end the account's sessions
// at once, and disabling revokes its API tokens. The update is conditional on the role and scope
// that were checked (a concurrent change answers a *model.ConflictError). The audit record holds
// the account's state before and after.
func (s *Store) AdminAccount(ctx context.Context, sc authz.Scope, id int64, action AccountAction) (*model.User, error) {
	ts := s.now()
	var q string
	var args []any
	endSessions := false
	switch action {
	case ActionDisable:
		if id == sc.UserID {
			return nil, &model.ConflictError{Message: "不能停用自己的账号"}
		}
		q, args, endSessions = `UPDATE users SET disabled = ?, disabled_at = ? WHERE id = ?`, []any{true, ts, id}, true
	case ActionEnable:
		q, args = `UPDATE users SET disabled = ?, disabled_at = NULL, failed_logins = 0, locked_until = NULL, last_login_at = ? WHERE id = ?`, []any{false, ts, id}
	case ActionUnlock:
		q, args = `UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?`, []any{id}
	case ActionResetTOTP:
		q, args, endSessions = `UPDATE users SET totp_secret_enc = '', totp_enrolled_at = NULL, totp_last_step = 0 WHERE id = ?`, []any{id}, true
	default:
		return nil, fieldErr("action", "未知操作")
	}
	var out *model.User
	err := s.accountTx(ctx, sc, "user."+string(action), []int64{id}, func(tx *Tx) error {
		u, err := tx.scopedUser(ctx, sc, id)
		if err != nil {
			return err
		}
		if r := mayManage(sc, u); r != nil {
			return r
		}
		res, err := tx.exec(ctx, q+` AND role = ? AND COALESCE(scope_id, 0) = ?`, append(args, string(u.Role), u.ScopeID)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errAccountChanged
		}
		if err := tx.auditAccount(ctx, sc, "user."+string(action), u, ts, func() error {
			if !endSessions {
				return nil
			}
			return tx.endAccess(ctx, id, action == ActionDisable, ts)
		}); err != nil {
			return err
		}
		out, err = tx.user(ctx, `u.id = ?`, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DisableInactiveStaff disables every staff account (roles that need a second factor) whose
// last login, creation or re-enabling lies more than InactiveAfter ago, ends their sessions,
// and returns how many it disabled. It is idempotent, so every instance may run it.
func (s *Store) DisableInactiveStaff(ctx context.Context) (int, error) {
	ts := s.now()
	cutoff := ts.Add(-InactiveAfter)
	roles, rargs := staffRoles()
	var n int64
	err := s.Tx(ctx, func(tx *Tx) error {
		args := append([]any{true, ts}, rargs...)
		args = append(args, false, cutoff, cutoff)
		res, err := tx.exec(ctx, `UPDATE users SET disabled = ?, disabled_at = ? WHERE role IN `+roles+` AND disabled = ?
			AND created_at < ? AND (last_login_at IS NULL OR last_login_at < ?)`, args...)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if n > 0 {
			tx.audit(authz.System(), "user.disable_inactive", "user", nil, fmt.Sprintf("disabled=%d", n))
		}
		_, err = tx.exec(ctx, `DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE disabled = ?)`, true)
		return err
	})
	return int(n), err
}

// CreateAPIToken makes a token for u named name, limited to the territory scopeID (0: the
// account's own scope; it must lie within the account's scope, else a validation error), valid
// for days (1–MaxTokenDays). It returns the token, shown once, and its record.
func (s *Store) CreateAPIToken(ctx context.Context, u *model.User, name string, scopeID int64, days int) (string, *model.APIToken, error) {
	var v model.ValidationError
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxTokenNameBytes || strings.ContainsAny(name, "\x00\r\n") {
		v.Add("name", "请填写令牌名称（不超过100字节，不含换行）")
	}
	if days < 1 || days > MaxTokenDays {
		v.Add("expires_in_days", "有效期应为1–365天")
	}
	var scope any
	if scopeID != 0 {
		if _, err := s.Territory(ctx, authz.ForUser(u), scopeID); err != nil {
			if !errors.Is(err, model.ErrNotFound) {
				return "", nil, err
			}
			v.Add("scope_id", "范围节点不存在或不在您的管辖范围内")
		}
		scope = scopeID
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	secret, hash, err := authz.NewToken()
	if err != nil {
		return "", nil, err
	}
	token := APITokenPrefix + secret
	hash = authz.TokenHash(token)
	ts := s.now()
	var id int64
	err = s.Tx(ctx, func(tx *Tx) error {
		if err := tx.queryRow(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, scope_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{u.ID, name, hash, scope, ts, ts.Add(time.Duration(days) * 24 * time.Hour)}, &id); err != nil {
			return err
		}
		tx.audit(authz.ForUser(u), "token.create", "api_token", []int64{id}, fmt.Sprintf("days=%d", days))
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	toks, err := s.APITokens(ctx, u.ID)
	if err != nil {
		return "", nil, err
	}
	for _, t := range toks {
		if t.ID == id {
			return token, t, nil
		}
	}
	return "", nil, model.ErrNotFound
}

// APITokens lists the account's tokens, newest first (never their secrets).
func (s *Store) APITokens(ctx context.Context, userID int64) ([]*model.APIToken, error) {
	return queryAll(ctx, s.reader(), `SELECT k.id, k.user_id, k.name, k.scope_id, COALESCE(t.name, ''), k.created_at, k.expires_at, k.revoked_at, k.last_used_at
		FROM api_tokens k LEFT JOIN territories t ON t.id = k.scope_id WHERE k.user_id = ? ORDER BY k.id DESC`, []any{userID},
		func(r rowScanner) (*model.APIToken, error) {
			var t model.APIToken
			var scope sql.NullInt64
			var revoked, used sql.NullTime
			if err := r.Scan(&t.ID, &t.UserID, &t.Name, &scope, &t.ScopeName, &t.CreatedAt, &t.ExpiresAt, &revoked, &used); err != nil {
				return nil, err
			}
			t.ScopeID, t.RevokedAt, t.LastUsedAt = scope.Int64, timePtr(revoked), timePtr(used)
			return &t, nil
		})
}

// RevokeAPIToken revokes the account's token id; model.ErrNotFound when it has no such token.
// Revoking twice is harmless.
func (s *Store) RevokeAPIToken(ctx context.Context, userID, id int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND user_id = ?`, s.now(), id, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return model.ErrNotFound
		}
		tx.audit(callerScope(ctx), "token.revoke", "api_token", []int64{id}, "")
		return nil
	})
}

// TokenActive reports whether t is usable now by the store's clock.
func (s *Store) TokenActive(t *model.APIToken) bool { return t.Active(s.now()) }

// callerScope is the scope of the account behind ctx, for writes whose methods take no scope;
// the operator's (System) outside HTTP requests.
func callerScope(ctx context.Context) authz.Scope {
	if authz.UserFrom(ctx) == nil {
		return authz.System()
	}
	return authz.ScopeFrom(ctx)
}

// The columns second-factor secrets are sealed for (the additional data of each sealed value).
const (
	ColumnTOTPSecret      = "users.totp_secret" // #nosec G101 -- a column name bound as additional data, not a credential
	ColumnChallengeSecret = "login_challenges.secret"
)

// sealTOTP seals a TOTP secret for column with the keyring ("" stays ""); pii.ErrNoKeys without
// keys.
func (c conn) sealTOTP(column, secret string) (string, error) {
	if secret == "" {
		return "", nil
	}
	if c.keys == nil {
		return "", pii.ErrNoKeys
	}
	return c.keys.Seal(column, secret)
}

// sealedTOTPColumns are the tables and columns that hold sealed second-factor secrets, with the
// column name each was sealed for, for key usage and rotation.
var sealedTOTPColumns = []struct{ table, column, aad string }{
	{"users", "totp_secret_enc", ColumnTOTPSecret},
	{"login_challenges", "secret_enc", ColumnChallengeSecret},
}

// addTOTPKeyUsage adds to use how many second-factor secrets each key id seals, so that
// KeyUsage keeps a key that still opens one. A database from before 0009 has none sealed (and
// no column for them): KeyUsage still answers for its residents.
func (s *Store) addTOTPKeyUsage(ctx context.Context, use map[string]int64) error {
	p, err := s.migrator()
	if err != nil {
		return err
	}
	if v, err := p.GetDBVersion(ctx); err != nil {
		return err
	} else if v < 9 {
		return nil
	}
	for _, t := range sealedTOTPColumns {
		if err := s.addKeyUsage(ctx, t.table, t.column, use); err != nil {
			return err
		}
	}
	return nil
}

// addKeyUsage adds to use the count of values of table.column sealed under each key id.
func (s *Store) addKeyUsage(ctx context.Context, table, column string, use map[string]int64) error {
	// The key id is everything before the first colon.
	expr := `substr(` + column + `, 1, instr(` + column + `, ':') - 1)`
	if s.d.name == "postgres" {
		expr = `split_part(` + column + `, ':', 1)`
	}
	rows, err := s.reader().query(ctx, `SELECT `+expr+`, COUNT(*) FROM `+table+` WHERE `+column+` <> '' GROUP BY 1`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var kid string
		var n int64
		if err := rows.Scan(&kid, &n); err != nil {
			return err
		}
		use[kid] += n
	}
	return rows.Err()
}

// reencryptTOTP seals again, under the current key, every second-factor secret (of accounts and
// of pending enrolments) sealed under another key, in one transaction with one audit record;
// Reencrypt calls it after the residents. It returns how many it re-sealed.
func (s *Store) reencryptTOTP(ctx context.Context) (int64, error) {
	cur := s.keys.Current() + ":"
	var done int64
	err := s.Tx(ctx, func(tx *Tx) error {
		for _, t := range sealedTOTPColumns {
			type row struct {
				key    any // users.id or login_challenges.token_hash
				sealed string
			}
			// Both tables have a one-column key: users.id, login_challenges.token_hash.
			key := "id"
			if t.table == "login_challenges" {
				key = "token_hash"
			}
			rows, err := tx.query(ctx, `SELECT `+key+`, `+t.column+` FROM `+t.table+` WHERE `+t.column+` <> '' AND substr(`+t.column+`, 1, ?) <> ?`, len(cur), cur)
			if err != nil {
				return err
			}
			var rs []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.key, &r.sealed); err != nil {
					rows.Close()
					return err
				}
				rs = append(rs, r)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			for _, r := range rs {
				secret, err := tx.keys.Open(t.aad, r.sealed)
				if err != nil {
					return fmt.Errorf("%s %v: %w", t.table, r.key, err)
				}
				sealed, err := tx.keys.Seal(t.aad, secret)
				if err != nil {
					return err
				}
				// Conditional on the old value: a secret replaced meanwhile is not overwritten.
				if _, err := tx.exec(ctx, `UPDATE `+t.table+` SET `+t.column+` = ? WHERE `+key+` = ? AND `+t.column+` = ?`, sealed, r.key, r.sealed); err != nil {
					return err
				}
				done++
			}
		}
		if done > 0 {
			tx.audit(authz.System(), "keys.reencrypt", "user", nil, fmt.Sprintf("totp_resealed=%d key=%s", done, tx.keys.Current()))
		}
		return nil
	})
	return done, err
}

// sealPendingTOTP is the Go step of migration 0009: it seals the plaintext second-factor secrets
// that the SQL step moved from users to totp_pending, deletes them there, and then rewrites the
// files (SQLite VACUUM, PostgreSQL VACUUM FULL) so that no free page or dead tuple keeps the
// plaintext. A row with user_id 0 is the SQL step's note that only pending enrolments (deleted
// there) held plaintext: nothing to seal, but the files are rewritten all the same. It returns
// how many secrets it sealed; without a keyring and with secrets pending it fails with
// pii.ErrNoKeys.
func (s *Store) sealPendingTOTP(ctx context.Context) (int, error) {
	var pending int
	if err := s.writer().queryRow(ctx, `SELECT COUNT(*) FROM totp_pending`, nil, &pending); err != nil {
		return 0, err
	}
	if pending == 0 {
		return 0, nil
	}
	done := 0
	err := s.Tx(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT user_id, secret FROM totp_pending WHERE user_id <> 0 ORDER BY user_id`)
		if err != nil {
			return err
		}
		type row struct {
			id     int64
			secret string
		}
		var rs []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.secret); err != nil {
				rows.Close()
				return err
			}
			rs = append(rs, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if len(rs) > 0 && tx.keys == nil {
			return fmt.Errorf("migrate: %d second-factor secrets wait to be encrypted: %w", len(rs), pii.ErrNoKeys)
		}
		for _, r := range rs {
			sealed, err := tx.sealTOTP(ColumnTOTPSecret, r.secret)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `UPDATE users SET totp_secret_enc = ? WHERE id = ?`, sealed, r.id); err != nil {
				return fmt.Errorf("seal the second factor of account %d: %w", r.id, err)
			}
		}
		if _, err := tx.exec(ctx, `DELETE FROM totp_pending`); err != nil {
			return err
		}
		done = len(rs)
		return nil
	})
	if err != nil {
		return 0, err
	}
	vacuum := `VACUUM`
	if s.d.name == "postgres" {
		vacuum = `VACUUM FULL users, login_challenges, totp_pending`
	}
	if _, err := s.writer().exec(ctx, vacuum); err != nil {
		return done, fmt.Errorf("vacuum after sealing second-factor secrets: %w", err)
	}
	if s.d.name == "sqlite" {
		// Fold the WAL, which still holds the pages written before VACUUM, into the file and empty it.
		if err := s.truncateWAL(ctx); err != nil {
			return done, err
		}
	}
	return done, nil
}
