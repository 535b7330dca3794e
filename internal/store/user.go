package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

const userColumns = `u.id, u.username, u.display_name, u.role, u.scope_id, COALESCE(t.path, ''), COALESCE(t.name, ''), u.password_hash, u.disabled, u.created_at`

// user returns the one account matching where; model.ErrNotFound when none does.
func (c conn) user(ctx context.Context, where string, args ...any) (*model.User, error) {
	var u model.User
	var scope sql.NullInt64
	err := c.queryRow(ctx, `SELECT `+userColumns+` FROM users u LEFT JOIN territories t ON t.id = u.scope_id WHERE `+where, args,
		&u.ID, &u.Username, &u.DisplayName, &u.Role, &scope, &u.ScopePath, &u.ScopeName, &u.PasswordHash, &u.Disabled, &u.CreatedAt)
	if err != nil {
		return nil, err
	}
	u.ScopeID = scope.Int64
	return &u, nil
}

func scanUser(sc interface{ Scan(...any) error }) (*model.User, error) {
	var u model.User
	var scope sql.NullInt64
	if err := sc.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &scope, &u.ScopePath, &u.ScopeName, &u.PasswordHash, &u.Disabled, &u.CreatedAt); err != nil {
		return nil, err
	}
	u.ScopeID = scope.Int64
	return &u, nil
}

// UserInput is what an administrator sets on an account.
type UserInput struct {
	Username    string
	DisplayName string
	Password    string
	Role        model.Role
	ScopeID     int64
}

// CreateUser adds an account; the password is hashed with argon2id here. Every role but
// system_admin needs a scope, and a scoped caller can only create accounts inside its own scope.
func (s *Store) CreateUser(ctx context.Context, sc authz.Scope, in UserInput) (*model.User, error) {
	var v model.ValidationError
	if in.Username == "" || len(in.Username) > 64 {
		v.Add("username", "用户名应为1–64个字符")
	}
	for _, c := range in.Username {
		if c < 0x21 || c == 0x7f {
			v.Add("username", "用户名不能包含空格或控制字符")
			break
		}
	}
	if !in.Role.Valid() {
		v.Add("role", "未知角色")
	}
	if msg := authz.CheckNewPassword(in.Password); msg != "" {
		v.Add("password", msg)
	}
	if in.Role.Valid() && in.Role.Scoped() && in.ScopeID == 0 {
		v.Add("scope", "该角色需要指定管辖范围（区划节点）")
	}
	if in.Role == model.RoleSystemAdmin && !sc.All {
		v.Add("role", "只有系统管理员可以创建系统管理员")
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
	err = s.Tx(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, `INSERT INTO users (username, display_name, role, scope_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{in.Username, in.DisplayName, string(in.Role), scope, hash, now()}, &id)
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

// Authenticate checks a username and password and returns the account, or
// model.ErrUnauthenticated for an unknown user, a wrong password or a disabled account alike;
// both paths cost one argon2id verification.
func (s *Store) Authenticate(ctx context.Context, username, password string) (*model.User, error) {
	u, err := s.reader().user(ctx, `u.username = ?`, username)
	hash := ""
	if err == nil {
		hash = u.PasswordHash
	} else if !errors.Is(err, model.ErrNotFound) {
		return nil, err
	}
	if !authz.CheckPassword(hash, password) || u == nil || u.Disabled {
		return nil, model.ErrUnauthenticated
	}
	return u, nil
}

// SessionTTL is how long a session lives.
const SessionTTL = 12 * time.Hour

// CreateSession starts a session for u and returns its token (only its hash is stored).
func (s *Store) CreateSession(ctx context.Context, u *model.User) (token string, expires time.Time, err error) {
	token, hash, err := authz.NewToken()
	if err != nil {
		return "", time.Time{}, err
	}
	ts := now()
	expires = ts.Add(SessionTTL)
	_, err = s.write.ExecContext(ctx, s.d.rebind(`INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`), hash, u.ID, ts, expires)
	return token, expires, s.d.mapErr(err)
}

// UserBySession returns the account of a live session token, or model.ErrUnauthenticated.
func (s *Store) UserBySession(ctx context.Context, token string) (*model.User, error) {
	u, err := s.reader().user(ctx, `u.id = (SELECT user_id FROM sessions WHERE token_hash = ? AND expires_at > ?)`, authz.TokenHash(token), now())
	if err != nil || u.Disabled {
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return nil, err
		}
		return nil, model.ErrUnauthenticated
	}
	return u, nil
}

// DeleteSession ends the session with token.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	_, err := s.write.ExecContext(ctx, s.d.rebind(`DELETE FROM sessions WHERE token_hash = ?`), authz.TokenHash(token))
	return s.d.mapErr(err)
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

// UserByUsername returns the account named username, or model.ErrNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (*model.User, error) {
	return s.reader().user(ctx, `u.username = ?`, username)
}

// SetPassword replaces an account's password (hashed here) and ends its sessions.
func (s *Store) SetPassword(ctx context.Context, userID int64, password string) error {
	if msg := authz.CheckNewPassword(password); msg != "" {
		return fieldErr("password", msg)
	}
	hash, err := authz.HashPassword(password)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return model.ErrNotFound
		}
		_, err = tx.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
		return err
	})
}
