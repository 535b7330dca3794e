package securitytest_test

import (
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/store/storetest"
)

// TestEveryRouteHasPolicyEntry fails when a route of either surface names an action missing
// from the policy table (the guard would deny it to everyone, silently) or no action at all.
func TestEveryRouteHasPolicyEntry(t *testing.T) {
	apiRoutes, pageRoutes := surfaceRoutes(t, storetest.Open(t, "sqlite"))
	seen := map[string]bool{}
	for _, rt := range append(apiRoutes, pageRoutes...) {
		if rt.Action == "" || !authz.Known(rt.Action) {
			t.Errorf("route %q names action %q, which the policy table does not have", rt.Pattern, rt.Action)
		}
		if seen[rt.Pattern] {
			t.Errorf("route %q is in the route tables twice", rt.Pattern)
		}
		seen[rt.Pattern] = true
	}
	if len(seen) == 0 {
		t.Fatal("no routes")
	}
}
