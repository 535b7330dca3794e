package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

const userColumns = `u.id, u.username, u.display_name, u.role, u.scope_id, COALESCE(t.path, ''), COALESCE(t.name, ''), u.password_hash, u.disabled, u.created_at,
	u.failed_logins, u.locked_until, u.totp_secret, u.totp_enrolled_at, u.totp_last_step, u.last_login_at, u.disabled_at, u.password_changed_at`

// userScan receives one row of userColumns.
type userScan struct {
	u                                              model.User
	scope                                          sql.NullInt64
	locked, enrolled, lastLogin, disabled, changed sql.NullTime
}

func (s *userScan) dest() []any {
	u := &s.u
	return []any{&u.ID, &u.Username, &u.DisplayName, &u.Role, &s.scope, &u.ScopePath, &u.ScopeName, &u.PasswordHash, &u.Disabled, &u.CreatedAt,
		&u.FailedLogins, &s.locked, &u.TOTPSecret, &s.enrolled, &u.TOTPLastStep, &s.lastLogin, &s.disabled, &s.changed}
}

func (s *userScan) user() *model.User {
	u := s.u
	u.ScopeID = s.scope.Int64
	u.LockedUntil, u.TOTPEnrolledAt, u.LastLoginAt = timePtr(s.locked), timePtr(s.enrolled), timePtr(s.lastLogin)
	u.DisabledAt, u.PasswordChangedAt = timePtr(s.disabled), timePtr(s.changed)
	return &u
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

// user returns the one account matching where; model.ErrNotFound when none does.
func (c conn) user(ctx context.Context, where string, args ...any) (*model.User, error) {
	var sc userScan
	if err := c.queryRow(ctx, `SELECT `+userColumns+` FROM users u LEFT JOIN territories t ON t.id = u.scope_id WHERE `+where, args, sc.dest()...); err != nil {
		return nil, err
	}
	return sc.user(), nil
}

func scanUser(rows *sql.Rows) (*model.User, error) {
	var sc userScan
	if err := rows.Scan(sc.dest()...); err != nil {
		return nil, err
	}
	return sc.user(), nil
}

// UserInput is what an administrator sets on an account.
type UserInput struct {
	Username    string
	DisplayName string
	Password    string
	Role        model.Role
	ScopeID     int64
	// TOTPSecret, when set (base32), enrols the second factor at once; otherwise an account
	// whose role needs one enrols at its first login on the pages.
	TOTPSecret string
}

// ValidUsername returns "" when username is acceptable, else a Chinese reason: 1–64 bytes, no
// spaces, control characters (CR, LF, null) or other invisible characters.
func ValidUsername(username string) string {
	if username == "" || len(username) > 64 {
		return "用户名应为1–64个字符"
	}
	for _, c := range username {
		if c < 0x21 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0xfeff || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) {
			return "用户名不能包含空格、换行、空字符或其他控制字符"
		}
	}
	return ""
}

// CreateUser adds an account; the password is hashed with argon2id here. Every role but
// system_admin needs a scope, and a scoped caller can only create accounts inside its own scope.
func (s *Store) CreateUser(ctx context.Context, sc authz.Scope, in UserInput) (*model.User, error) {
	var v model.ValidationError
	if msg := ValidUsername(in.Username); msg != "" {
		v.Add("username", msg)
	}
	if len(in.DisplayName) > 128 || strings.ContainsAny(in.DisplayName, "\x00\r\n") {
		v.Add("display_name", "姓名不能超过128个字符，不能包含换行或空字符")
	}
	if !in.Role.Valid() {
		v.Add("role", "未知角色")
	}
	if msg := authz.CheckNewPassword(in.Password, in.Username, in.DisplayName); msg != "" {
		v.Add("password", msg)
	}
	if in.Role.Valid() && in.Role.Scoped() && in.ScopeID == 0 {
		v.Add("scope", "该角色需要指定管辖范围（区划节点）")
	}
	if in.Role == model.RoleSystemAdmin && !sc.All {
		v.Add("role", "只有系统管理员可以创建系统管理员")
	}
	var enrolled any
	if in.TOTPSecret != "" {
		secret, err := authz.NormalizeTOTPSecret(in.TOTPSecret)
		if err != nil {
			v.Add("totp_secret", "动态验证码密钥应为 base32 编码，至少16字节（26个字符）")
		}
		in.TOTPSecret = secret
		enrolled = s.now()
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var scope any
	if in.Role.Scoped() {
		if _, err := s.Territory(ctx, sc, in.ScopeID); err != nil {
			if errors.Is(err, model.ErrNotFound) {
				return nil, fieldErr("scope", "管辖范围节点不存在或不在您的管辖范围内")
			}
			return nil, err
		}
		scope = in.ScopeID
	}
	hash, err := authz.HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	var id int64
	ts := s.now()
	err = s.Tx(ctx, func(tx *Tx) error {
		if err := tx.queryRow(ctx, `INSERT INTO users (username, display_name, role, scope_id, password_hash, created_at, password_changed_at, totp_secret, totp_enrolled_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{in.Username, in.DisplayName, string(in.Role), scope, hash, ts, ts, in.TOTPSecret, enrolled}, &id); err != nil {
			return err
		}
		tx.audit(sc, "user.create", "user", []int64{id}, "role="+string(in.Role))
		return nil
	})
	if isConflict(err) {
		return nil, fieldErr("username", "用户名 "+in.Username+" 已存在")
	} else if err != nil {
		return nil, err
	}
	return s.userByID(ctx, id)
}

func (s *Store) userByID(ctx context.Context, id int64) (*model.User, error) {
	return s.reader().user(ctx, `u.id = ?`, id)
}

// Users lists accounts whose scope lies inside the caller's scope (system_admin sees all).
func (s *Store) Users(ctx context.Context, sc authz.Scope) ([]*model.User, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users u LEFT JOIN territories t ON t.id = u.scope_id ORDER BY u.id`)
	if err != nil {
		return nil, s.d.mapErr(err)
	}
	defer rows.Close()
	var out []*model.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		if sc.All || (u.ScopePath != "" && sc.Contains(u.ScopePath)) {
			out = append(out, u)
		}
	}
	return out, rows.Err()
}

// User returns the account with id when it lies in the caller's scope, else model.ErrNotFound.
func (s *Store) User(ctx context.Context, sc authz.Scope, id int64) (*model.User, error) {
	u, err := s.userByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !sc.All && (u.ScopePath == "" || !sc.Contains(u.ScopePath)) {
		return nil, model.ErrNotFound
	}
	return u, nil
}

// UserByUsername returns the account named username, or model.ErrNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (*model.User, error) {
	return s.reader().user(ctx, `u.username = ?`, username)
}
