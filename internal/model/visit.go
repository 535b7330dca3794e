package model

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Visits (走访, issue 12 item 3): staff and grid leaders going into the compounds and buildings
// (「经常性深入到院落、楼栋中去」) log from the phone who went where, when, for how long, what they
// found and what must follow. A visit lies at a territory node below the community (a grid,
// compound, building or stairwell) or at a household; it counts as a visit of the compound and
// the building above it, so that "places nobody has visited for N days" is one indexed probe
// per place.

// FollowStatus is the state of a visit's follow-up.
type FollowStatus string

// The states.
const (
	FollowNone FollowStatus = "none" // nothing to follow up
	FollowOpen FollowStatus = "open" // 待跟进
	FollowDone FollowStatus = "done" // 已办结
)

// Valid reports whether s is a known state.
func (s FollowStatus) Valid() bool { return s == FollowNone || s == FollowOpen || s == FollowDone }

// Label is the state's Chinese name.
func (s FollowStatus) Label() string {
	switch s {
	case FollowNone:
		return "无需跟进"
	case FollowOpen:
		return "待跟进"
	case FollowDone:
		return "已办结"
	}
	return ""
}

// DefaultVisitMinutes is a visit's duration when none is given.
const DefaultVisitMinutes = 30

// Visit is one visit.
type Visit struct {
	ID            int64
	CommunityID   int64
	CommunityName string
	TerritoryID   int64 // the node visited (a household's node for a household)
	PlaceKind     TerritoryKind
	PlaceName     string // the node's name, with the household's address for a household
	HouseholdID   int64  // 0 when the visit was to a node
	Path          string // the node's path
	VisitorID     int64
	VisitorName   string
	WorkerID      int64 // the visitor's roster entry (by its account), 0 for none
	VisitedAt     time.Time
	Minutes       int
	Findings      string
	FollowUp      string
	FollowStatus  FollowStatus
	FollowDoneAt  *time.Time
	FollowDoneBy  string
	CreatedAt     time.Time
}

// VisitInput is a visit to log. Exactly one of TerritoryID and HouseholdID names the place.
type VisitInput struct {
	TerritoryID int64
	HouseholdID int64
	VisitedAt   time.Time // zero: now
	Minutes     int       // 0: DefaultVisitMinutes
	Findings    string
	FollowUp    string // "" when nothing must follow
}

// Validate checks the fields on their own; the store checks the place and the scope.
func (in *VisitInput) Validate(now time.Time) error {
	var v ValidationError
	in.Findings, in.FollowUp = strings.TrimSpace(in.Findings), strings.TrimSpace(in.FollowUp)
	if in.TerritoryID <= 0 && in.HouseholdID <= 0 {
		v.Add("territory_id", "请选择走访的小区、楼栋或住户")
	}
	if in.VisitedAt.IsZero() {
		in.VisitedAt = now
	}
	switch {
	case in.VisitedAt.After(now.Add(5 * time.Minute)):
		v.Add("visited_at", "走访时间不能晚于现在")
	case in.VisitedAt.Before(now.AddDate(0, 0, -90)):
		v.Add("visited_at", "只能补记90天内的走访")
	}
	if in.Minutes == 0 {
		in.Minutes = DefaultVisitMinutes
	}
	if in.Minutes < 1 || in.Minutes > 600 {
		v.Add("minutes", "时长应为 1–600 分钟")
	}
	switch n := utf8.RuneCountInString(in.Findings); {
	case n == 0:
		v.Add("findings", "请简要写下走访情况，如 “楼道堆放杂物，已提醒住户”")
	case n > 1000:
		v.Add("findings", "走访情况不能超过1000个字")
	}
	if utf8.RuneCountInString(in.FollowUp) > 500 {
		v.Add("follow_up", "跟进事项不能超过500个字")
	}
	return v.Err()
}

// VisitablePlace reports whether a node of kind k can be visited: below the community.
func VisitablePlace(k TerritoryKind) bool { return k.Rank() > KindCommunity.Rank() }

// UnvisitedPlace is a compound or building nobody has visited for the asked number of days.
type UnvisitedPlace struct {
	ID          int64
	Kind        TerritoryKind
	Name        string
	Path        string
	Households  int64
	LastVisitAt *time.Time // nil: never visited
}

// VisitMonth is a community's visits in one month (Asia/Shanghai): the count and the minutes
// they took, for the burden view's "hours serving residents".
type VisitMonth struct {
	Month   string // YYYY-MM
	Visits  int64
	Minutes int64
}

// Hours is the month's visit time in hours, one decimal.
func (m VisitMonth) Hours() string { return FormatHours(int(m.Minutes)) }
