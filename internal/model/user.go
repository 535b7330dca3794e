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
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleSystemAdmin, RoleDistrictAdmin, RoleStreetAdmin, RoleCommunityAdmin, RoleCommunityStaff,
	RoleGridLeader, RoleUnitLeader, RoleMember, RoleResident, RolePartner}

var roleLabels = map[Role]string{
	RoleSystemAdmin: "系统管理员", RoleDistrictAdmin: "区县管理员", RoleStreetAdmin: "街道管理员",
	RoleCommunityAdmin: "社区管理员", RoleCommunityStaff: "社区工作人员", RoleGridLeader: "网格员",
	RoleUnitLeader: "联建单元小组长", RoleMember: "党员", RoleResident: "居民", RolePartner: "共建单位",
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
}

// Session is a logged-in session; the same token serves as bearer token and cookie.
type Session struct {
	UserID    int64
	ExpiresAt time.Time
}
