package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The five joint activities of the units (五联创建, issue 9 item 5): records per unit of what
// its households did together, with photos; a hardship record (困难联帮) may carry a case, the
// household helped, tracked from report to resolution.

// ActivityCategory is one of the five joint activities.
type ActivityCategory string

// The five joint activities.
const (
	ActivityEnvironment ActivityCategory = "environment" // 环境联治
	ActivitySafety      ActivityCategory = "safety"      // 平安联创
	ActivityHardship    ActivityCategory = "hardship"    // 困难联帮
	ActivityProsperity  ActivityCategory = "prosperity"  // 致富联带
	ActivityCivility    ActivityCategory = "civility"    // 新风联树
)

// ActivityCategories lists the five in the document's order.
var ActivityCategories = []ActivityCategory{ActivityEnvironment, ActivitySafety, ActivityHardship, ActivityProsperity, ActivityCivility}

var activityCategoryLabels = map[ActivityCategory]string{
	ActivityEnvironment: "环境联治", ActivitySafety: "平安联创", ActivityHardship: "困难联帮", ActivityProsperity: "致富联带", ActivityCivility: "新风联树",
}

// Valid reports whether c is one of the five.
func (c ActivityCategory) Valid() bool { return slices.Contains(ActivityCategories, c) }

// Label is the category's Chinese name.
func (c ActivityCategory) Label() string { return activityCategoryLabels[c] }

// CaseStatus is where a hardship case stands.
type CaseStatus string

// A case goes reported → helping → resolved (a resolved case may be reopened to helping).
const (
	CaseReported CaseStatus = "reported"
	CaseHelping  CaseStatus = "helping"
	CaseResolved CaseStatus = "resolved"
)

// CaseStatuses lists the statuses in order.
var CaseStatuses = []CaseStatus{CaseReported, CaseHelping, CaseResolved}

var caseStatusLabels = map[CaseStatus]string{CaseReported: "已上报", CaseHelping: "帮扶中", CaseResolved: "已解决"}

// Label is the status's Chinese name.
func (s CaseStatus) Label() string { return caseStatusLabels[s] }

// Valid reports whether s is a known status.
func (s CaseStatus) Valid() bool { return slices.Contains(CaseStatuses, s) }

// CanMove reports whether a case may go from s to to.
func (s CaseStatus) CanMove(to CaseStatus) bool {
	switch s {
	case CaseReported:
		return to == CaseHelping || to == CaseResolved
	case CaseHelping:
		return to == CaseResolved
	case CaseResolved:
		return to == CaseHelping
	}
	return false
}

// Limits of an activity record.
const (
	ActivityDescriptionMax = 1000 // runes
	CaseNoteMax            = 500  // runes
)

// ActivityPhoto is one photo of a record, served at its number.
type ActivityPhoto struct {
	N           int    `json:"n"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	BlobID      string `json:"-"`
}

// HardshipCase is the case a hardship record carries.
type HardshipCase struct {
	HouseholdID int64      `json:"household_id"`
	Address     string     `json:"address"`
	Status      CaseStatus `json:"status"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Notes       []CaseNote `json:"notes,omitempty"`
}

// CaseNote is one step of a case.
type CaseNote struct {
	From    CaseStatus `json:"from,omitempty"`
	To      CaseStatus `json:"to"`
	Note    string     `json:"note"`
	ActorID int64      `json:"-"`
	At      time.Time  `json:"at"`
}

// UnitActivity is one record of a joint activity.
type UnitActivity struct {
	ID          int64
	UnitID      int64
	UnitName    string
	CommunityID int64
	Path        string
	Category    ActivityCategory
	Date        string // YYYY-MM-DD, in Asia/Shanghai
	Month       string // YYYY-MM
	Description string
	// Households are the unit's households that took part.
	Households  []int64
	Photos      []ActivityPhoto
	Case        *HardshipCase // a hardship record's case; nil without one or when withheld
	CreatedBy   int64
	CreatorName string
	CreatedAt   time.Time
	// Withheld: a hardship record read by a role that may not see hardship (authz.FieldHardship)
	// keeps only its category, date, unit and number of households: what was done, who took
	// part, the photos and the case are withheld, never shown as empty.
	Withheld bool
	// HouseholdCount is len(Households) as recorded (kept when Households is withheld).
	HouseholdCount int
}

// UnitActivityInput is a record as a form or the API sends it. Photos are checked apart, by
// CheckPhoto, one by one.
type UnitActivityInput struct {
	Category    ActivityCategory `json:"category"`
	Date        string           `json:"date"` // YYYY-MM-DD; "" for today
	Households  []int64          `json:"households"`
	Description string           `json:"description"`
	// CaseHouseholdID opens a hardship case for a household of the unit (hardship records only).
	CaseHouseholdID int64 `json:"case_household_id,omitempty"`
}

// Validate checks the input against today (a record is of a day that has happened, at most a
// year back); the store checks the households belong to the unit.
func (in *UnitActivityInput) Validate(today time.Time) error {
	v := &ValidationError{}
	if !in.Category.Valid() {
		v.Add("category", "请选择活动类别：环境联治、平安联创、困难联帮、致富联带或新风联树")
	}
	in.Date = strings.TrimSpace(in.Date)
	if in.Date == "" {
		in.Date = today.In(Shanghai).Format(time.DateOnly)
	}
	d, err := time.ParseInLocation(time.DateOnly, in.Date, Shanghai)
	day := today.In(Shanghai).Format(time.DateOnly)
	switch {
	case err != nil:
		v.Add("date", "日期格式应为 2026-05-01")
	case in.Date > day:
		v.Add("date", "活动日期不能晚于今天")
	case d.Before(today.In(Shanghai).AddDate(-1, 0, -1)):
		v.Add("date", "只能补记一年以内的活动")
	}
	in.Description = strings.TrimSpace(in.Description)
	switch {
	case in.Description == "":
		v.Add("description", "请写一句做了什么，例如“清理楼道杂物，共6户参加”")
	case utf8.RuneCountInString(in.Description) > ActivityDescriptionMax:
		v.Add("description", fmt.Sprintf("活动内容不能超过 %d 个字", ActivityDescriptionMax))
	}
	if len(in.Households) == 0 {
		v.Add("households", "请至少勾选一户参加的住户")
	}
	seen := map[int64]bool{}
	for _, h := range in.Households {
		if h <= 0 || seen[h] {
			v.Add("households", "参加住户有重复或无效的编号")
			break
		}
		seen[h] = true
	}
	if in.CaseHouseholdID != 0 && in.Category != ActivityHardship {
		v.Add("case_household_id", "只有困难联帮的记录可以登记帮扶对象")
	}
	return v.Err()
}

// MonthOf is the YYYY-MM of a YYYY-MM-DD date.
func MonthOf(date string) string {
	if len(date) < 7 {
		return ""
	}
	return date[:7]
}

// ShiftMonth moves a YYYY-MM month by n months ("" stays "").
func ShiftMonth(month string, n int) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return ""
	}
	return t.AddDate(0, n, 0).Format("2006-01")
}

// CurrentMonth is the month (YYYY-MM) of t in Asia/Shanghai.
func CurrentMonth(t time.Time) string { return t.In(Shanghai).Format("2006-01") }

// UnitCoverage is how far the units reach in a territory subtree (issue 9 item 6), from counters
// maintained as units, households, leaders, rotations and activities change.
type UnitCoverage struct {
	TerritoryID   int64  `json:"territory_id"`
	TerritoryName string `json:"territory_name"`
	Kind          string `json:"kind"`
	Month         string `json:"month"` // the current month the measures are of
	Households    int64  `json:"households"`
	InUnits       int64  `json:"households_in_units"`
	Units         int64  `json:"units"`
	WithLeader    int64  `json:"units_with_leader"`
	// RotationCurrent counts the units whose rotation runs at least RotationAhead months past
	// the current month.
	RotationCurrent int64 `json:"units_rotation_current"`
	// Activities this month and last month, and per category this month.
	ActivitiesThisMonth int64            `json:"activities_this_month"`
	ActivitiesLastMonth int64            `json:"activities_last_month"`
	ByCategory          map[string]int64 `json:"activities_by_category"`
	// Attention: units without a leader, whose rotation lapses within a month, or without an
	// activity in the current and the last month (a unit may be in several).
	NoLeader        int64 `json:"attention_no_leader"`
	RotationLapsing int64 `json:"attention_rotation_lapsing"`
	Inactive        int64 `json:"attention_inactive"`
}

// RotationAhead is how many months past the current one a rotation must reach to count as
// current.
const RotationAhead = 1

// Share is part/whole in percent (0 for an empty whole).
func Share(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) * 100 / float64(whole)
}

// PerUnit is the activities per unit this month.
func (c *UnitCoverage) PerUnit() float64 {
	if c.Units == 0 {
		return 0
	}
	return float64(c.ActivitiesThisMonth) / float64(c.Units)
}
