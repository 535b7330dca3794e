package model

import (
	"slices"
	"time"
)

// Role is what an account may do; every role but system_admin has a territory scope.
type Role string

// The roles of API.md.
const (
	RoleSystemAdmin    Role = "system_admin"
	RoleDistrictAdmin  Role = "district_admin"
	RoleStreetAdmin    Role = "street_admin"
	RoleCommunityAdmin Role = "community_admin"
	RoleCommunityStaff Role = "community_staff"
	RoleGridLeader     Role = "grid_leader"
	RoleUnitLeader     Role = "unit_leader"
	RoleMember         Role = "member"
	RoleResident       Role = "resident"
	RolePartner        Role = "partner"
	RoleAuditor        Role = "auditor" // reads the audit log of its subtree, nothing else to change
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleSystemAdmin, RoleDistrictAdmin, RoleStreetAdmin, RoleCommunityAdmin, RoleCommunityStaff,
	RoleGridLeader, RoleUnitLeader, RoleMember, RoleResident, RolePartner, RoleAuditor}

var roleLabels = map[Role]string{
	RoleSystemAdmin: "系统管理员", RoleDistrictAdmin: "区县管理员", RoleStreetAdmin: "街道管理员",
	RoleCommunityAdmin: "社区管理员", RoleCommunityStaff: "社区工作人员", RoleGridLeader: "网格员",
	RoleUnitLeader: "联建单元小组长", RoleMember: "党员", RoleResident: "居民", RolePartner: "共建单位",
	RoleAuditor: "审计员",
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Label is the role's Chinese name.
func (r Role) Label() string { return roleLabels[r] }

// Scoped reports whether the role is limited to a territory subtree.
func (r Role) Scoped() bool { return r != RoleSystemAdmin }

// User is an account.
type User struct {
	ID           int64
	Username     string
	DisplayName  string
	Role         Role
	ScopeID      int64  // territory the account is limited to; 0 for system_admin
	ScopePath    string // materialized path of ScopeID; "" for system_admin (everything)
	ScopeName    string
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time

	FailedLogins      int        // consecutive failed logins since the last success or lock
	LockedUntil       *time.Time // login refused until then (5 failures lock for 15 minutes)
	TOTPSecret        string     // base32 second-factor secret; "" until enrolled
	TOTPEnrolledAt    *time.Time
	TOTPLastStep      int64 // time step of the last accepted code: codes are single-use
	LastLoginAt       *time.Time
	DisabledAt        *time.Time
	PasswordChangedAt *time.Time

	// TokenID is the API token this request came with (0 for a session); its scope, when it has
	// one, has already narrowed ScopeID and ScopePath.
	TokenID int64
}

// NeedsSecondFactor reports whether accounts of role r must log in with a TOTP code: every
// staff role, and the auditor role.
func (r Role) NeedsSecondFactor() bool {
	switch r {
	case RoleSystemAdmin, RoleDistrictAdmin, RoleStreetAdmin, RoleCommunityAdmin, RoleCommunityStaff, RoleGridLeader, RoleAuditor:
		return true
	}
	return false
}

// TOTPEnrolled reports whether the account has a second-factor secret.
func (u *User) TOTPEnrolled() bool { return u.TOTPSecret != "" }

// APIToken is a named, scoped, expiring token for scripts; only its hash is stored.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	ScopeID    int64 // 0: the account's own scope
	ScopeName  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// Active reports whether the token is neither revoked nor expired at now.
func (t *APIToken) Active(now time.Time) bool { return t.RevokedAt == nil && now.Before(t.ExpiresAt) }

// Session is a logged-in session; the same token serves as bearer token and cookie.
type Session struct {
	UserID    int64
	ExpiresAt time.Time
}
