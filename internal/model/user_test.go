package model

import (
	"slices"
	"testing"
)

// TestRoleOrder: the order of separation of duties ranks every role exactly once, and the rules
// issue 6.3 names hold in it.
func TestRoleOrder(t *testing.T) {
	if len(roleOrder) != len(Roles) {
		t.Fatalf("roleOrder has %d roles, Roles %d", len(roleOrder), len(Roles))
	}
	ranks := map[int]Role{}
	for _, r := range Roles {
		if r.Rank() == 0 {
			t.Errorf("%s has no rank", r)
		}
		if other, dup := ranks[r.Rank()]; dup {
			t.Errorf("%s and %s share rank %d", r, other, r.Rank())
		}
		ranks[r.Rank()] = r
	}
	if Role("nobody").Rank() != 0 || Role("nobody").Manages(RoleResident) || RoleSystemAdmin.Manages("nobody") {
		t.Error("an unknown role ranks or manages")
	}
	admins := []Role{RoleDistrictAdmin, RoleStreetAdmin, RoleCommunityAdmin}
	for _, r := range Roles {
		if !RoleSystemAdmin.Manages(r) {
			t.Errorf("the system administrator does not manage %s", r)
		}
		for _, a := range admins {
			want := r != RoleSystemAdmin && r != RoleAuditor && slices.Index(Roles, r) > slices.Index(Roles, a)
			if got := a.Manages(r); got != want {
				t.Errorf("%s manages %s = %v, want %v", a, r, got, want)
			}
		}
		if r != RoleSystemAdmin && r.Manages(r) {
			t.Errorf("%s manages its own rank", r)
		}
	}
	if RoleAuditor.Rank() != RoleSystemAdmin.Rank()-1 {
		t.Error("the auditor must rank right below the system administrator")
	}
}
