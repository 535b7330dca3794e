package demo

import (
	"testing"

	"gongzhi/internal/store"
)

// checkOrganizations checks the demo's register: every type in every filled community,
// co-building units of every subtype, some reported and some not, every Party coverage, teams
// residents joined, and the result's count.
func checkOrganizations(t *testing.T, st *store.Store, res *Result) {
	t.Helper()
	for _, tc := range []struct {
		name, query string
		want        int
	}{
		{"organizations in the result", `SELECT COUNT(*) FROM organizations`, res.Organizations},
		{"communities lacking a type", `SELECT COUNT(*) FROM (SELECT community_id FROM organizations GROUP BY community_id HAVING COUNT(DISTINCT type) <> 5) x`, 0},
		{"communities with a register", `SELECT COUNT(DISTINCT community_id) FROM organizations`, res.Communities},
		{"co-building subtypes", `SELECT COUNT(DISTINCT subtype) FROM organizations WHERE type = 'co_building'`, 4},
		{"coverages", `SELECT COUNT(DISTINCT party_coverage) FROM organizations`, 3},
		{"empty teams", `SELECT COUNT(*) FROM organizations o WHERE o.joinable AND NOT EXISTS (SELECT 1 FROM organization_members m WHERE m.organization_id = o.id)`, 0},
	} {
		if got := mustCount(t, st, tc.query); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	reported := mustCount(t, st, `SELECT COUNT(*) FROM organizations WHERE reported_on IS NOT NULL`)
	units := mustCount(t, st, `SELECT COUNT(*) FROM organizations WHERE type = 'co_building'`)
	if reported == 0 || reported == units {
		t.Errorf("%d of %d co-building units reported, want some but not all", reported, units)
	}
}
