// Package authz decides who may do what where: the policy table (role → actions), the territory
// scope every store query goes through, and the password and token primitives behind login.
package authz

import (
	"gongzhi/internal/model"
)

// Scope is the caller as the store sees it: who, with which role, limited to which subtree.
// Every store method that reads or writes people or territory takes a Scope and narrows its
// query with it, so a handler cannot forget the check. The zero Scope sees nothing.
type Scope struct {
	UserID int64
	Role   model.Role
	// Path is the materialized path of the scope's root node ("/1/5/"); "" with All.
	Path string
	// All is true only for system_admin and for internal jobs (demo, import from the command line).
	All bool
	// Organization is the organization of the register a partner account belongs to (0 for
	// every other role): a partner reads and changes that one organization only.
	Organization int64
	// Unit is the joint-building unit of a unit_leader account (0 for every other role): its
	// scope is exactly that unit's households, inside Path (the unit's anchor).
	Unit int64
}

// System is the scope of internal jobs run from the command line by the operator.
func System() Scope { return Scope{Role: model.RoleSystemAdmin, All: true} }

// ForUser is the scope of a logged-in account. A system_admin sees everything unless an API
// token narrowed it to a subtree (ScopePath set).
func ForUser(u *model.User) Scope {
	if u.Role == model.RoleSystemAdmin && u.ScopePath == "" {
		return Scope{UserID: u.ID, Role: u.Role, All: true}
	}
	return Scope{UserID: u.ID, Role: u.Role, Path: u.ScopePath, Organization: u.OrganizationID, Unit: u.UnitID}
}

// Contains reports whether the node with materialized path p lies in the scope.
func (s Scope) Contains(p string) bool {
	if s.All {
		return true
	}
	return s.Path != "" && len(p) >= len(s.Path) && p[:len(s.Path)] == s.Path
}

// UnitBound reports whether the scope is a unit leader's: of the households it sees exactly
// those of Unit (none while Unit is 0), inside Path (the unit's anchor). The store narrows every
// read and write of households, residents and their history by it (store.ContainsHousehold and
// the list filters), as it narrows everything by Path.
func (s Scope) UnitBound() bool { return !s.All && s.Role == model.RoleUnitLeader }

// ContainsHousehold reports whether a household at path p, in the unit with id unit (0: in
// none), lies in the scope: under Path and, for a unit-bound scope, in its unit.
func (s Scope) ContainsHousehold(p string, unit int64) bool {
	if !s.Contains(p) {
		return false
	}
	return !s.UnitBound() || s.Unit != 0 && unit == s.Unit
}

// Narrow intersects the subtree under path p ("" meaning everything) with the scope and returns
// the path prefix to query; ok is false when the two do not overlap (the caller answers 404).
func (s Scope) Narrow(p string) (prefix string, ok bool) {
	switch {
	case s.All:
		return p, true
	case s.Path == "":
		return "", false
	case p == "" || s.Contains(p):
		if p == "" {
			return s.Path, true
		}
		return p, true
	case len(s.Path) > len(p) && s.Path[:len(p)] == p:
		// p is an ancestor of the scope root: the caller sees only its own part of it.
		return s.Path, true
	default:
		return "", false
	}
}

// PathRange gives the half-open range [lo, hi) of materialized paths under prefix, so that a
// subtree is one index range scan on both engines ('0' is the byte after '/').
// An empty prefix means every path.
func PathRange(prefix string) (lo, hi string) {
	if prefix == "" {
		return "/", "0"
	}
	return prefix, prefix[:len(prefix)-1] + "0"
}
