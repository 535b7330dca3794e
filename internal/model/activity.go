package model

import (
	"strings"
	"time"
	"unicode/utf8"
)

// ActivityStatus is where a Party–resident activity (党群活动) stands.
type ActivityStatus string

// An activity is published (sign-up and check-in open) until closed or cancelled.
const (
	ActivityPublished ActivityStatus = "published"
	ActivityClosed    ActivityStatus = "closed"
	ActivityCancelled ActivityStatus = "cancelled"
)

var activityStatusLabels = map[ActivityStatus]string{
	ActivityPublished: "报名中", ActivityClosed: "已结束", ActivityCancelled: "已取消",
}

// Label is the status's Chinese name.
func (s ActivityStatus) Label() string { return activityStatusLabels[s] }

// Activity is a Party–resident activity published to a territory subtree: everyone whose scope
// lies in it (members and residents) sees it and may sign up, up to Limit (0: no limit).
type Activity struct {
	ID            int64
	TerritoryID   int64
	TerritoryName string
	Path          string
	CommunityID   int64
	OrgID         int64
	Title         string
	Description   string
	Place         string
	StartsAt      time.Time
	EndsAt        time.Time
	ClosesAt      time.Time
	Limit         int
	Signups       int
	CheckedIn     int
	Status        ActivityStatus
	// Service: a volunteer service activity — when it is closed, every registered taker checked
	// in at it banks its length (at most ServiceMinutesMax) in the time bank (issue 10 item 4).
	Service   bool
	CreatedBy int64
	CreatedAt time.Time
	// Mine is set for the caller's own sign-up on reads made for one account.
	Mine *ActivitySignup
}

// Full reports whether the sign-up limit is reached.
func (a *Activity) Full() bool { return a.Limit > 0 && a.Signups >= a.Limit }

// CheckinOpen reports whether check-in is open at t.
func (a *Activity) CheckinOpen(t time.Time) bool {
	return a.Status == ActivityPublished && t.Before(a.ClosesAt) && !t.Before(a.StartsAt.Add(-CheckinLead))
}

// ActivitySignup is one account signed up for an activity.
type ActivitySignup struct {
	ActivityID  int64
	UserID      int64
	Name        string
	MemberID    int64 // 0 when the account is not a member
	SignedAt    time.Time
	CheckedInAt *time.Time
}

// ActivityInput is what the publish form or API call gives.
type ActivityInput struct {
	TerritoryID int64
	OrgID       int64
	Title       string
	Description string
	Place       string
	StartsAt    time.Time
	EndsAt      time.Time
	Limit       int
	Service     bool // volunteer service: the checked-in takers bank its hours when it closes
}

// ServiceMinutesMax is the most minutes one service activity banks for a taker (a day's work),
// however long the activity runs.
const ServiceMinutesMax = 8 * 60

// ServiceMinutes is what a service activity banks for each taker checked in at it: its length
// in whole minutes, at most ServiceMinutesMax.
func (a *Activity) ServiceMinutes() int {
	return min(int(a.EndsAt.Sub(a.StartsAt)/time.Minute), ServiceMinutesMax)
}

// ServiceHours is ServiceMinutes in hours as the time bank shows them.
func (a *Activity) ServiceHours() string { return FormatHours(a.ServiceMinutes()) }

// Validate checks the input; every problem is one field error in Chinese.
func (in *ActivityInput) Validate() error {
	ve := &ValidationError{}
	in.Title = strings.TrimSpace(in.Title)
	in.Place = strings.TrimSpace(in.Place)
	in.Description = strings.TrimSpace(in.Description)
	if in.TerritoryID <= 0 {
		ve.Add("territory_id", "请选择发布范围（社区或网格）")
	}
	if in.Title == "" {
		ve.Add("title", "请填写活动名称")
	} else if utf8.RuneCountInString(in.Title) > 100 {
		ve.Add("title", "活动名称最多 100 个字")
	}
	if utf8.RuneCountInString(in.Place) > 100 {
		ve.Add("place", "地点最多 100 个字")
	}
	if utf8.RuneCountInString(in.Description) > 2000 {
		ve.Add("description", "活动介绍最多 2000 个字")
	}
	switch {
	case in.StartsAt.IsZero():
		ve.Add("starts_at", "请填写开始时间，如 2026-12-05 09:00")
	case in.EndsAt.IsZero():
		ve.Add("ends_at", "请填写结束时间，如 2026-12-05 11:30")
	case !in.EndsAt.After(in.StartsAt):
		ve.Add("ends_at", "结束时间应晚于开始时间")
	case in.EndsAt.Sub(in.StartsAt) > 7*24*time.Hour:
		ve.Add("ends_at", "一次活动最长 7 天")
	}
	if in.Limit < 0 || in.Limit > 10000 {
		ve.Add("limit", "报名人数上限应在 0（不限）到 10000 之间")
	}
	return ve.Err()
}
