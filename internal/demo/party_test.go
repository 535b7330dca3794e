package demo

import (
	"testing"

	"gongzhi/internal/store"
)

// checkParty checks the demo's Party structure: a committee on every street and community, a
// branch on every grid with 2–3 groups anchored in its grid, every affinity, a current term per
// committee and branch with some ending within 90 days of AsOf, and a secretary on every org.
func checkParty(t *testing.T, st *store.Store, res *Result) {
	t.Helper()
	for _, tc := range []struct {
		name, query string
		want        int
	}{
		{"street committees", `SELECT COUNT(*) FROM party_orgs WHERE kind = 'street_committee'`, res.Streets},
		{"community committees", `SELECT COUNT(*) FROM party_orgs WHERE kind = 'community_committee'`, res.Communities},
		{"grid branches", `SELECT COUNT(*) FROM party_orgs WHERE kind = 'grid_branch'`, res.Grids},
		{"orgs in the result", `SELECT COUNT(*) FROM party_orgs`, res.PartyOrgs},
		{"affinities", `SELECT COUNT(DISTINCT affinity) FROM party_orgs WHERE kind = 'functional_group'`, 4},
		{"branches with fewer than 2 or more than 3 groups (grids with 2+ compounds)", `SELECT COUNT(*) FROM party_orgs b WHERE b.kind = 'grid_branch'
			AND (SELECT COUNT(*) FROM territories c WHERE c.parent_id = b.territory_id AND c.kind = 'compound') >= 2
			AND (SELECT COUNT(*) FROM party_orgs g WHERE g.parent_id = b.id AND g.kind = 'building_group') NOT BETWEEN 2 AND 3`, 0},
		{"groups anchored outside their branch's grid", `SELECT COUNT(*) FROM party_orgs g JOIN party_orgs b ON b.id = g.parent_id
			WHERE g.kind = 'building_group' AND substr(g.path, 1, length(b.path)) <> b.path`, 0},
		{"orgs whose path is not their anchor's", `SELECT COUNT(*) FROM party_orgs o JOIN territories t ON t.id = o.territory_id WHERE o.path <> t.path`, 0},
		{"committees and branches without a term", `SELECT COUNT(*) FROM party_orgs o WHERE o.kind IN ('street_committee', 'community_committee', 'grid_branch')
			AND NOT EXISTS (SELECT 1 FROM party_org_terms t WHERE t.org_id = o.id)`, 0},
		{"territorial orgs without a secretary", `SELECT COUNT(*) FROM party_orgs o WHERE o.kind <> 'functional_group'
			AND NOT EXISTS (SELECT 1 FROM party_posts p WHERE p.org_id = o.id AND p.post = 'secretary' AND p.ended_at IS NULL)`, 0},
	} {
		if got := mustCount(t, st, tc.query); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	soon := mustCount(t, st, `SELECT COUNT(*) FROM party_org_terms WHERE ends_on < '2025-09-30'`)
	all := mustCount(t, st, `SELECT COUNT(*) FROM party_org_terms`)
	if soon == 0 || soon*2 > all {
		t.Errorf("%d of %d terms end within 90 days of AsOf, want some but a minority", soon, all)
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM party_posts WHERE post = 'part_time'`); n < res.Communities {
		t.Errorf("%d part-time committee members, want at least one per community (%d)", n, res.Communities)
	}
}
