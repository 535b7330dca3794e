package demo

import (
	"testing"

	"gongzhi/internal/store"
)

// checkPoints checks the demo's points: one ledger entry per attendance and per passed quiz
// (the ledger is fed only through the events), points in most communities, and the first
// community's own rule.
func checkPoints(t *testing.T, st *store.Store, res *Result) {
	t.Helper()
	meetingEntries := mustCount(t, st, `SELECT COUNT(*) FROM party_points_entries WHERE source = 'meeting'`)
	courseEntries := mustCount(t, st, `SELECT COUNT(*) FROM party_points_entries WHERE source = 'course'`)
	if meetingEntries == 0 || courseEntries == 0 {
		t.Fatalf("ledger: %d meeting entries, %d course entries; want both", meetingEntries, courseEntries)
	}
	for _, tc := range []struct {
		name, query string
		want        int
	}{
		{"meeting entries = attendance", `SELECT COUNT(*) FROM party_meeting_attendance`, meetingEntries},
		{"course entries = passed quizzes", `SELECT COUNT(*) FROM party_course_results WHERE passed_at IS NOT NULL AND completed_at IS NOT NULL`, courseEntries},
		{"entries without an event", `SELECT COUNT(*) FROM party_points_entries e WHERE source = 'course' AND NOT EXISTS
			(SELECT 1 FROM party_course_results r WHERE r.course_id = e.source_id AND r.member_id = e.member_id AND r.passed_at IS NOT NULL)`, 0},
		{"community rules", `SELECT COUNT(*) FROM party_points_rules WHERE source = 'meeting' AND points = 3`, 1},
	} {
		if got := mustCount(t, st, tc.query); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if n := mustCount(t, st, `SELECT COUNT(DISTINCT community_id) FROM party_points_entries`); n < res.Communities/2 {
		t.Errorf("points in %d of %d communities", n, res.Communities)
	}
}
