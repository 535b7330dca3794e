package model

import (
	"time"
)

// PointsSource is what earned points (积分): study, attendance, service, duty, or a correction.
type PointsSource string

// The sources of the ledger. A correction is a manual entry that points at what it corrects.
const (
	PointsMeeting    PointsSource = "meeting"
	PointsActivity   PointsSource = "activity"
	PointsCourse     PointsSource = "course"
	PointsOrder      PointsSource = "order"
	PointsDuty       PointsSource = "duty"
	PointsCorrection PointsSource = "correction"
)

// PointsRuleSources are the sources a community sets points for, in page order.
var PointsRuleSources = []PointsSource{PointsMeeting, PointsActivity, PointsCourse, PointsOrder, PointsDuty}

var pointsSourceLabels = map[PointsSource]string{
	PointsMeeting: "参加组织生活", PointsActivity: "参加党群活动", PointsCourse: "完成学习课程",
	PointsOrder: "志愿服务接单", PointsDuty: "联建轮值", PointsCorrection: "更正",
}

// DefaultPoints is what each source awards where a community has not set its own rule.
var DefaultPoints = map[PointsSource]int{
	PointsMeeting: 2, PointsActivity: 3, PointsCourse: 5, PointsOrder: 5, PointsDuty: 2,
}

// Valid reports whether s is a known source.
func (s PointsSource) Valid() bool { _, ok := pointsSourceLabels[s]; return ok }

// Label is the source's Chinese name.
func (s PointsSource) Label() string { return pointsSourceLabels[s] }

// PointsEntry is one line of a member's append-only ledger.
type PointsEntry struct {
	ID         int64
	MemberID   int64
	MemberName string
	Points     int
	Reason     string
	Source     PointsSource
	SourceID   int64 // 0 for a correction
	CorrectsID int64 // the entry a correction corrects, 0 otherwise
	CreatedBy  int64
	CreatedAt  time.Time
}

// PointsRule is the points one source awards in a community.
type PointsRule struct {
	CommunityID int64
	Source      PointsSource
	Points      int
	Default     bool // no rule stored: the built-in default
}

// PointsStanding is one member on a leaderboard, or a member's public profile (亮身份):
// branch, service post and points, nothing personal.
type PointsStanding struct {
	Rank        int
	MemberID    int64
	Name        string
	OrgID       int64
	OrgName     string
	ServicePost string
	Points      int
}
