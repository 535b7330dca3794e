package model

import (
	"fmt"
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

// Roles lists every role in the order pages and documents show them: the territory's chain of
// command first, the auditor last. Which role outranks which is Rank's order, not this one.
var Roles = []Role{RoleSystemAdmin, RoleDistrictAdmin, RoleStreetAdmin, RoleCommunityAdmin, RoleCommunityStaff,
	RoleGridLeader, RoleUnitLeader, RoleMember, RoleResident, RolePartner, RoleAuditor}

// roleOrder is the one order of roles for separation of duties (issue 6.3), highest first. The
// auditor ranks right below the system administrator: only the system administrator may create,
// enable, re-scope or reset an auditor, so nobody whose actions an auditor reads can make or
// unmake one.
var roleOrder = []Role{RoleSystemAdmin, RoleAuditor, RoleDistrictAdmin, RoleStreetAdmin, RoleCommunityAdmin,
	RoleCommunityStaff, RoleGridLeader, RoleUnitLeader, RoleMember, RoleResident, RolePartner}

// Rank is r's place in the order of separation of duties: higher outranks lower, every role has
// its own rank, and an unknown role ranks 0, below every known one.
func (r Role) Rank() int {
	if i := slices.Index(roleOrder, r); i >= 0 {
		return len(roleOrder) - i
	}
	return 0
}

// Manages reports whether an account of role r may create, change, enable, disable, unlock or
// reset an account of role target: the system administrator manages every role, its own
// included; any other role only roles that rank strictly below its own. (Which roles may manage
// accounts at all is the policy table's user.admin action; scope is the store's check.)
func (r Role) Manages(target Role) bool {
	if r == RoleSystemAdmin {
		return target.Valid()
	}
	return r.Valid() && target.Valid() && target.Rank() < r.Rank()
}

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
	ID          int64
	Username    string
	DisplayName string
	Role        Role
	ScopeID     int64  // territory the account is limited to; 0 for system_admin
	ScopePath   string // materialized path of ScopeID; "" for system_admin (everything)
	ScopeName   string
	// OrganizationID is the organization of the register a partner account belongs to (0 for
	// every other role); its scope is that organization's territory node.
	OrganizationID int64
	// UnitID is the joint-building unit a unit_leader account leads (0 for every other role):
	// its scope is that unit's households.
	UnitID       int64
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time

	FailedLogins int        // consecutive failed logins since the last success or lock
	LockedUntil  *time.Time // login refused until then (5 failures lock for 15 minutes)
	// TOTPSealed is the second-factor secret as stored: sealed with the personal-data keyring
	// (internal/pii), "" until enrolled. Only the store opens it, where a code is checked.
	TOTPSealed        string
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
func (u *User) TOTPEnrolled() bool { return u.TOTPSealed != "" }

// Locked reports whether failed logins have the account locked at now.
func (u *User) Locked(now time.Time) bool { return u.LockedUntil != nil && now.Before(*u.LockedUntil) }

// AccountState is what the audit log keeps of an account before and after a change: its role,
// scope, and whether it is disabled, locked and enrolled in a second factor. Never a password,
// a secret or a personal value.
type AccountState struct {
	Role     Role
	ScopeID  int64
	Disabled bool
	Locked   bool
	TOTP     bool
}

// State is u's AccountState at now.
func (u *User) State(now time.Time) AccountState {
	return AccountState{Role: u.Role, ScopeID: u.ScopeID, Disabled: u.Disabled, Locked: u.Locked(now), TOTP: u.TOTPEnrolled()}
}

// String is the state as the audit detail writes it: "role=grid_leader scope=12 disabled=false
// locked=false totp=true" (scope=0: unscoped).
func (s AccountState) String() string {
	return fmt.Sprintf("role=%s scope=%d disabled=%t locked=%t totp=%t", s.Role, s.ScopeID, s.Disabled, s.Locked, s.TOTP)
}

// AccountChange is the audit detail of a change from before to after; nil before: the account
// was created.
func AccountChange(before *AccountState, after AccountState) string {
	if before == nil {
		return "after: " + after.String()
	}
	return "before: " + before.String() + "; after: " + after.String()
}

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
