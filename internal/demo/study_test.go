package demo

import (
	"testing"

	"gongzhi/internal/store"
)

// checkStudy checks the demo's study and pipeline: two courses with quizzes, assigned to every
// community committee, and in every community applicants, activists and development targets.
func checkStudy(t *testing.T, st *store.Store, res *Result) {
	t.Helper()
	for _, tc := range []struct {
		name, query string
		want        int
	}{
		{"courses", `SELECT COUNT(*) FROM party_courses`, 2},
		{"courses without a quiz", `SELECT COUNT(*) FROM party_courses c WHERE NOT EXISTS (SELECT 1 FROM party_quiz_questions q WHERE q.course_id = c.id)`, 0},
		{"assignments", `SELECT COUNT(*) FROM party_course_assignments`, 2 * res.Communities},
		{"stages present", `SELECT COUNT(DISTINCT stage) FROM party_candidates`, 3},
		{"communities with applicants", `SELECT COUNT(DISTINCT community_id) FROM party_candidates`, res.Communities},
		{"development targets less than a year after becoming activists", `SELECT COUNT(*) FROM party_candidates WHERE stage = 'development_target' AND target_on < activist_on`, 0},
	} {
		if got := mustCount(t, st, tc.query); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
