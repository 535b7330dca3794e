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
)

const userColumns = `u.id, u.username, u.display_name, u.role, u.scope_id, COALESCE(t.path, ''), COALESCE(t.name, ''), u.password_hash, u.disabled, u.created_at,
	u.failed_logins, u.locked_until, u.totp_secret_enc, u.totp_enrolled_at, u.totp_last_step, u.last_login_at, u.disabled_at, u.password_changed_at, COALESCE(u.organization_id, 0), COALESCE(u.unit_id, 0)`

// userScan receives one row of userColumns.
type userScan struct {
	u                                              model.User
	scope                                          sql.NullInt64
	locked, enrolled, lastLogin, disabled, changed sql.NullTime
}

func (s *userScan) dest() []any {
	u := &s.u
	return []any{&u.ID, &u.Username, &u.DisplayName, &u.Role, &s.scope, &u.ScopePath, &u.ScopeName, &u.PasswordHash, &u.Disabled, &u.CreatedAt,
		&u.FailedLogins, &s.locked, &u.TOTPSealed, &s.enrolled, &u.TOTPLastStep, &s.lastLogin, &s.disabled, &s.changed, &u.OrganizationID, &u.UnitID}
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

// scopedUser returns the account id when it lies in sc (an unscoped account, a system
// administrator, only in an unscoped sc), else model.ErrNotFound.
func (c conn) scopedUser(ctx context.Context, sc authz.Scope, id int64) (*model.User, error) {
	u, err := c.user(ctx, `u.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if !sc.All && (u.ScopePath == "" || !sc.Contains(u.ScopePath)) {
		return nil, model.ErrNotFound
	}
	return u, nil
}

func scanUser(rows *sql.Rows) (*model.User, error) {
	var sc userScan
	if err := rows.Scan(sc.dest()...); err != nil {
		return nil, err
	}
	return sc.user(), nil
}

// UserInput is what an administrator sets on a new account.
type UserInput struct {
	Username    string
	DisplayName string
	Password    string
	Role        model.Role
	ScopeID     int64
	// TOTPSecret, when set (base32), enrols the second factor at once (it is stored sealed);
	// otherwise an account whose role needs one enrols at its first login on the pages.
	TOTPSecret string
	// OrganizationID is the organization of the register a partner account belongs to:
	// required for the role partner (whose scope is then that organization's node, whatever
	// ScopeID says), refused for every other role.
	OrganizationID int64
	// UnitID is the joint-building unit a unit_leader account leads: required for that role
	// (whose scope is then the unit's anchor node, whatever ScopeID says, narrowed to the
	// unit's households), refused for every other role.
	UnitID int64
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

// validDisplayName returns "" when name is acceptable, else a Chinese reason.
func validDisplayName(name string) string {
	if len(name) > 128 || strings.ContainsAny(name, "\x00\r\n") {
		return "姓名不能超过128个字符，不能包含换行或空字符"
	}
	return ""
}

// Separation of duties (issue 6.3). Every account change goes through these rules, below the
// handlers, so the API, the pages and the command line cannot differ:
//
//   - a caller acts only on accounts whose role it manages (model.Role.Manages: the system
//     administrator every role, any other administrator only roles ranking strictly below its
//     own; the auditor ranks right below the system administrator) and that lie in its scope
//     (model.ErrNotFound otherwise);
//   - it gives only roles it manages, and scopes inside its own subtree (a validation error on
//     scope, worded like a node that does not exist, otherwise);
//   - the system administrator role, which has no scope, is given only by an unscoped caller;
//   - nobody changes its own role or scope.
//
// A refusal answers a *model.ForbiddenError (403) with the rule in Chinese, changes nothing, and
// is recorded in the audit log with result denied. Every change is recorded with the account's
// state before and after (model.AccountChange).

// refusal is a rule of separation of duties that refused an account change: message for the
// caller, detail for the audit record, path the territory the record belongs to (nil: the
// account's).
type refusal struct {
	message, detail string
	path            *string
}

func (r *refusal) Error() string { return "refused: " + r.detail }

func refuse(message, format string, args ...any) *refusal {
	return &refusal{message: message, detail: "refused: " + fmt.Sprintf(format, args...)}
}

// mayManage refuses unless sc may act on the account u (which lies in its scope); nil when it may.
func mayManage(sc authz.Scope, u *model.User) *refusal {
	if !sc.Role.Manages(u.Role) {
		if u.ID == sc.UserID {
			return refuse("不能通过账号管理修改自己的账号，请联系上级管理员", "%s may not manage its own account", sc.Role)
		}
		return refuse("只能管理角色低于自己的账号：审计员和系统管理员只能由系统管理员管理", "%s may not manage %s", sc.Role, u.Role)
	}
	return nil
}

// mayGive refuses unless sc may give role to an account; nil when it may.
func mayGive(sc authz.Scope, role model.Role) *refusal {
	switch {
	case !sc.Role.Manages(role):
		return refuse("只能授予低于自己的角色：审计员和系统管理员只能由系统管理员授予", "%s may not give role %s", sc.Role, role)
	case !role.Scoped() && !sc.All:
		return refuse("只有不受范围限制的系统管理员可以授予系统管理员角色", "scoped %s may not give role %s", sc.Role, role)
	}
	return nil
}

// accountTx runs f in a transaction for an account change by sc with audit action action on the
// accounts ids. A refusal f returns rolls the transaction back and is recorded as denied in a
// transaction of its own; the caller gets a *model.ForbiddenError.
func (s *Store) accountTx(ctx context.Context, sc authz.Scope, action string, ids []int64, f func(tx *Tx) error) error {
	err := s.Tx(ctx, f)
	var r *refusal
	if !errors.As(err, &r) {
		return err
	}
	if err := s.Tx(ctx, func(tx *Tx) error {
		tx.audits = append(tx.audits, auditEntry{sc: sc, action: action, objectType: "user", ids: ids, detail: r.detail,
			result: model.AuditDenied, scope: r.path})
		return nil
	}); err != nil {
		return err
	}
	return &model.ForbiddenError{Message: r.message}
}

// CreateUser adds an account; the password is hashed with argon2id and a TOTP secret sealed
// here. Every role but system_admin needs a scope, inside the caller's own subtree (else a
// validation error on scope, beside every other bad field); the caller must manage the role
// (separation of duties above: *model.ForbiddenError, recorded as denied, before any other
// check). A taken username is a validation error.
func (s *Store) CreateUser(ctx context.Context, sc authz.Scope, in UserInput) (*model.User, error) {
	var v model.ValidationError
	if msg := ValidUsername(in.Username); msg != "" {
		v.Add("username", msg)
	}
	if msg := validDisplayName(in.DisplayName); msg != "" {
		v.Add("display_name", msg)
	}
	if !in.Role.Valid() {
		v.Add("role", "未知角色")
	} else if r := mayGive(sc, in.Role); r != nil {
		// An escalation is refused before any other check, so that every attempt is recorded
		// (in the caller's own part of the tree: the requested scope is not checked yet).
		r.path = &sc.Path
		return nil, s.accountTx(ctx, sc, "user.create", nil, func(*Tx) error { return r })
	}
	if msg := authz.CheckNewPassword(in.Password, in.Username, in.DisplayName); msg != "" {
		v.Add("password", msg)
	}
	org, err := s.reader().partnerOrganization(ctx, sc, in.Role, in.OrganizationID, &v)
	if err != nil {
		return nil, err
	}
	if org != nil {
		in.ScopeID = org.TerritoryID
	}
	unit, err := s.reader().leaderUnit(ctx, sc, in.Role, in.UnitID, &v)
	if err != nil {
		return nil, err
	}
	if unit != nil {
		in.ScopeID = unit.TerritoryID
	}
	var scope any
	switch {
	case !in.Role.Valid() || !in.Role.Scoped():
	case in.Role == model.RolePartner && org == nil:
	case in.Role == model.RoleUnitLeader && unit == nil:
	case in.ScopeID == 0:
		v.Add("scope", "该角色需要指定管辖范围（区划节点）")
	default:
		if _, err := s.Territory(ctx, sc, in.ScopeID); errors.Is(err, model.ErrNotFound) {
			v.Add("scope", "管辖范围节点不存在或不在您的管辖范围内")
		} else if err != nil {
			return nil, err
		}
		scope = in.ScopeID
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
	sealed, err := s.reader().sealTOTP(ColumnTOTPSecret, in.TOTPSecret)
	if err != nil {
		return nil, err
	}
	hash, err := authz.HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	var u *model.User
	ts := s.now()
	err = s.Tx(ctx, func(tx *Tx) error {
		var id int64
		if err := tx.queryRow(ctx, `INSERT INTO users (username, display_name, role, scope_id, password_hash, created_at, password_changed_at, totp_secret_enc, totp_enrolled_at, organization_id, unit_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{in.Username, in.DisplayName, string(in.Role), scope, hash, ts, ts, sealed, enrolled, nullID(in.OrganizationID), nullID(in.UnitID)}, &id); err != nil {
			return err
		}
		var err error
		if u, err = tx.user(ctx, `u.id = ?`, id); err != nil {
			return err
		}
		tx.audit(sc, "user.create", "user", []int64{id}, model.AccountChange(nil, u.State(ts)))
		return nil
	})
	if isConflict(err) {
		return nil, fieldErr("username", "用户名 "+in.Username+" 已存在")
	} else if err != nil {
		return nil, err
	}
	return u, nil
}

// UserPatch is what an administrator changes on an account; nil fields stay as they are.
type UserPatch struct {
	DisplayName *string
	Role        *model.Role
	ScopeID     *int64 // a territory id; nil or 0 with the role system_admin, which has no scope
	// OrganizationID is a partner account's organization (its scope follows the
	// organization's node); any other role has none, and a change away from partner drops it.
	OrganizationID *int64
	// UnitID is a unit_leader account's unit (its scope follows the unit's anchor node); any
	// other role has none, and a change away from unit_leader drops it.
	UnitID *int64
}

// UpdateUser changes the display name, role or scope of the account id under the rules of
// separation of duties above: the account must lie in sc (model.ErrNotFound), its role and the
// new role must be ones sc manages, and nobody changes its own role or scope
// (*model.ForbiddenError, recorded as denied); a new scope must lie inside sc (validation error
// on scope). A change of role or scope ends the account's sessions and revokes its API tokens,
// which were granted for the old one. The update is conditional on the role and scope that
// were checked: a concurrent change of either answers a *model.ConflictError. It returns the
// account as it now is.
func (s *Store) UpdateUser(ctx context.Context, sc authz.Scope, id int64, p UserPatch) (*model.User, error) {
	var out *model.User
	ts := s.now()
	err := s.accountTx(ctx, sc, "user.update", []int64{id}, func(tx *Tx) error {
		u, err := tx.scopedUser(ctx, sc, id)
		if err != nil {
			return err
		}
		role, scopeID, name := u.Role, u.ScopeID, u.DisplayName
		if p.Role != nil {
			role = *p.Role
		}
		if p.ScopeID != nil {
			scopeID = *p.ScopeID
		}
		if p.DisplayName != nil {
			name = strings.TrimSpace(*p.DisplayName)
		}
		unscope := !role.Scoped() && (p.ScopeID == nil || *p.ScopeID == 0)
		if unscope {
			scopeID = 0 // the system administrator's role has no scope: asking for it drops the old one
		}
		if u.ID == sc.UserID && (role != u.Role || scopeID != u.ScopeID) {
			return refuse("不能修改自己的角色或管辖范围，请联系上级管理员", "%s may not change its own role or scope", sc.Role)
		}
		if r := mayManage(sc, u); r != nil {
			return r
		}
		var v model.ValidationError
		if msg := validDisplayName(name); msg != "" {
			v.Add("display_name", msg)
		}
		switch {
		case !role.Valid():
			v.Add("role", "未知角色")
		case role != u.Role:
			if r := mayGive(sc, role); r != nil {
				return r
			}
		}
		orgID := u.OrganizationID
		if p.OrganizationID != nil {
			orgID = *p.OrganizationID
		}
		if role != model.RolePartner && p.OrganizationID == nil {
			orgID = 0
		}
		var org *model.Organization
		if role == model.RolePartner || orgID != 0 {
			if org, err = tx.partnerOrganization(ctx, sc, role, orgID, &v); err != nil {
				return err
			}
		}
		if org != nil {
			scopeID = org.TerritoryID
		}
		unitID := u.UnitID
		if p.UnitID != nil {
			unitID = *p.UnitID
		}
		if role != model.RoleUnitLeader && p.UnitID == nil {
			unitID = 0
		}
		var unit *model.Unit
		if role == model.RoleUnitLeader || unitID != 0 {
			if unit, err = tx.leaderUnit(ctx, sc, role, unitID, &v); err != nil {
				return err
			}
		}
		if unit != nil {
			scopeID = unit.TerritoryID
		}
		var scope any
		switch {
		case !role.Valid():
		case role == model.RolePartner && org == nil:
		case role == model.RoleUnitLeader && unit == nil:
		case !role.Scoped() && !unscope:
			v.Add("scope", "系统管理员不限管辖范围，请不要指定区划节点")
		case !role.Scoped():
		case scopeID == 0:
			v.Add("scope", "该角色需要指定管辖范围（区划节点）")
		default:
			if scopeID != u.ScopeID {
				if _, err := tx.territory(ctx, sc, scopeID); errors.Is(err, model.ErrNotFound) {
					v.Add("scope", "管辖范围节点不存在或不在您的管辖范围内")
				} else if err != nil {
					return err
				}
			}
			scope = scopeID
		}
		if err := v.Err(); err != nil {
			return err
		}
		if role == u.Role && scopeID == u.ScopeID && name == u.DisplayName && orgID == u.OrganizationID && unitID == u.UnitID {
			out = u
			return nil
		}
		res, err := tx.exec(ctx, `UPDATE users SET display_name = ?, role = ?, scope_id = ?, organization_id = ?, unit_id = ? WHERE id = ? AND role = ? AND COALESCE(scope_id, 0) = ?`,
			name, string(role), scope, nullID(orgID), nullID(unitID), id, string(u.Role), u.ScopeID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errAccountChanged
		}
		if role != u.Role || scopeID != u.ScopeID || orgID != u.OrganizationID || unitID != u.UnitID {
			if err := tx.endAccess(ctx, id, true, ts); err != nil {
				return err
			}
		}
		if out, err = tx.user(ctx, `u.id = ?`, id); err != nil {
			return err
		}
		before := u.State(ts)
		detail := model.AccountChange(&before, out.State(ts))
		if name != u.DisplayName {
			detail += "; display name changed"
		}
		tx.audit(sc, "user.update", "user", []int64{id}, detail)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// errAccountChanged answers a conditional account update that found the account changed since
// it was checked.
var errAccountChanged = &model.ConflictError{Message: "该账号刚被其他管理员修改，请刷新页面后重试"}

// endAccess ends the account's sessions and pending logins, and with tokens revokes its API
// tokens too.
func (tx *Tx) endAccess(ctx context.Context, userID int64, tokens bool, ts time.Time) error {
	if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM login_challenges WHERE user_id = ?`, userID); err != nil {
		return err
	}
	if tokens {
		_, err := tx.exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, ts, userID)
		return err
	}
	return nil
}

func (s *Store) userByID(ctx context.Context, id int64) (*model.User, error) {
	return s.reader().user(ctx, `u.id = ?`, id)
}

// Users lists accounts whose scope lies inside the caller's scope (system_admin sees all),
// ordered by id.
func (s *Store) Users(ctx context.Context, sc authz.Scope) ([]*model.User, error) {
	where, args := `1 = 1`, []any(nil)
	switch {
	case sc.All:
	case sc.Path == "":
		return nil, nil
	default:
		lo, hi := authz.PathRange(sc.Path)
		where, args = `t.path >= ? AND t.path < ?`, []any{lo, hi}
	}
	rows, err := s.reader().query(ctx, `SELECT `+userColumns+` FROM users u LEFT JOIN territories t ON t.id = u.scope_id WHERE `+where+` ORDER BY u.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*model.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// User returns the account with id when it lies in the caller's scope, else model.ErrNotFound.
func (s *Store) User(ctx context.Context, sc authz.Scope, id int64) (*model.User, error) {
	return s.reader().scopedUser(ctx, sc, id)
}

// UserByUsername returns the account named username, or model.ErrNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (*model.User, error) {
	return s.reader().user(ctx, `u.username = ?`, username)
}

// partnerOrganization checks the organization of an account of role: a partner needs one that
// sc may read (a field error on organization_id otherwise, added to v), any other role none.
// It returns the organization, nil when there is none or it is bad.
func (c conn) partnerOrganization(ctx context.Context, sc authz.Scope, role model.Role, orgID int64, v *model.ValidationError) (*model.Organization, error) {
	switch {
	case role != model.RolePartner && orgID != 0:
		v.Add("organization_id", "只有共建单位账号可以指定所属单位")
		return nil, nil
	case role != model.RolePartner:
		return nil, nil
	case orgID == 0:
		v.Add("organization_id", "共建单位账号需要指定所属单位（先在组织登记中登记该单位）")
		return nil, nil
	}
	o, err := c.organization(ctx, sc, orgID)
	switch {
	case errors.Is(err, model.ErrNotFound):
		v.Add("organization_id", "所属单位不存在或不在您的管辖范围内")
		return nil, nil
	case err != nil:
		return nil, err
	case !o.Active:
		v.Add("organization_id", "所属单位已停用")
		return nil, nil
	}
	return o, nil
}

// leaderUnit checks the unit of an account of role: a unit_leader needs an active unit that sc
// may read (a field error on unit_id otherwise, added to v), any other role none. It returns
// the unit, nil when there is none or it is bad.
func (c conn) leaderUnit(ctx context.Context, sc authz.Scope, role model.Role, unitID int64, v *model.ValidationError) (*model.Unit, error) {
	switch {
	case role != model.RoleUnitLeader && unitID != 0:
		v.Add("unit_id", "只有联建单元小组长账号可以指定联建单元")
		return nil, nil
	case role != model.RoleUnitLeader:
		return nil, nil
	case unitID == 0:
		v.Add("unit_id", "联建单元小组长账号需要指定所带的联建单元")
		return nil, nil
	}
	u, err := c.unit(ctx, sc, unitID)
	switch {
	case errors.Is(err, model.ErrNotFound):
		v.Add("unit_id", "联建单元不存在或不在您的管辖范围内")
		return nil, nil
	case err != nil:
		return nil, err
	case !u.Active():
		v.Add("unit_id", "该联建单元已"+u.Status.Label()+"，请选择在用的联建单元")
		return nil, nil
	}
	return u, nil
}
