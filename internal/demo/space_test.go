package demo

import (
	"testing"

	"gongzhi/internal/store"
)

// checkSpaces checks the branches' online spaces: every grid branch has two notices, two
// threads whose replies counter matches their replies, a hidden reply with its reason and a
// shared file; authors are names, never empty.
func checkSpaces(t *testing.T, st *store.Store, res *Result) {
	t.Helper()
	for _, tc := range []struct {
		name, query string
		want        int
	}{
		{"branches without two notices", `SELECT COUNT(*) FROM party_orgs o WHERE o.kind = 'grid_branch' AND (SELECT COUNT(*) FROM org_notices n WHERE n.org_id = o.id) <> 2`, 0},
		{"branches without two threads", `SELECT COUNT(*) FROM party_orgs o WHERE o.kind = 'grid_branch' AND (SELECT COUNT(*) FROM org_posts p WHERE p.org_id = o.id AND p.parent_id IS NULL) <> 2`, 0},
		{"branches without a hidden reply", `SELECT COUNT(*) FROM party_orgs o WHERE o.kind = 'grid_branch'
			AND NOT EXISTS (SELECT 1 FROM org_posts p WHERE p.org_id = o.id AND p.parent_id IS NOT NULL AND p.hidden_at IS NOT NULL AND p.hidden_reason <> '')`, 0},
		{"branches without a shared file", `SELECT COUNT(*) FROM party_orgs o WHERE o.kind = 'grid_branch' AND NOT EXISTS (SELECT 1 FROM org_files f WHERE f.org_id = o.id)`, 0},
		{"threads whose counter is off", `SELECT COUNT(*) FROM org_posts t WHERE t.parent_id IS NULL AND t.replies <> (SELECT COUNT(*) FROM org_posts r WHERE r.parent_id = t.id)`, 0},
		{"posts without an author's name", `SELECT COUNT(*) FROM org_posts WHERE author_name = ''`, 0},
		{"posts in the result", `SELECT COUNT(*) FROM org_posts`, int(res.SpacePosts)},
	} {
		if got := mustCount(t, st, tc.query); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if res.Grids == 0 || res.SpacePosts < int64(res.Grids)*5 {
		t.Errorf("%d posts for %d branches, want at least 5 each", res.SpacePosts, res.Grids)
	}
}
