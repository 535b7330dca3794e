package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Joint-building units (联建单元, issue 9; glossary in shared DESIGN.md). A unit is 10–20
// households, or one whole building or stairwell, inside one resident group and one compound.
// "Unit" here always means the joint-building unit; a stairwell (单元/楼道) is a territory node.

// UnitBasis says why a unit is a valid unit.
type UnitBasis string

// The bases of a unit.
const (
	UnitBuilding  UnitBasis = "building"  // one whole building, whatever its size
	UnitStairwell UnitBasis = "stairwell" // one whole stairwell, whatever its size
	UnitGrouped   UnitBasis = "grouped"   // households grouped by closeness, within the bounds
	UnitSplit     UnitBasis = "split"     // part of a large building or stairwell (by stairwell or floor), staff asked for it
	UnitOverride  UnitBasis = "override"  // outside the rules, confirmed with an explicit, recorded reason
)

// UnitBases lists every basis.
var UnitBases = []UnitBasis{UnitBuilding, UnitStairwell, UnitGrouped, UnitSplit, UnitOverride}

var unitBasisLabels = map[UnitBasis]string{
	UnitBuilding: "整栋楼", UnitStairwell: "整个单元(楼道)", UnitGrouped: "就近组合", UnitSplit: "大楼拆分", UnitOverride: "特批",
}

// Valid reports whether b is a known basis.
func (b UnitBasis) Valid() bool { return slices.Contains(UnitBases, b) }

// Label is the basis's Chinese name.
func (b UnitBasis) Label() string { return unitBasisLabels[b] }

// UnitStatus is where a unit stands; ended units stay, with their history.
type UnitStatus string

// The statuses of a unit.
const (
	UnitActive    UnitStatus = "active"
	UnitMerged    UnitStatus = "merged"    // its households went to SuccessorID
	UnitDissolved UnitStatus = "dissolved" // its households left every unit
)

var unitStatusLabels = map[UnitStatus]string{UnitActive: "在用", UnitMerged: "已合并", UnitDissolved: "已解散"}

// Label is the status's Chinese name.
func (s UnitStatus) Label() string { return unitStatusLabels[s] }

// LeaderMethod is how a unit's leader came to the post.
type LeaderMethod string

// The ways a leader is chosen.
const (
	LeaderElected   LeaderMethod = "elected"   // by the unit's households, one household one vote
	LeaderAppointed LeaderMethod = "appointed" // by staff, recorded as an appointment
)

// Label is the method's Chinese name.
func (m LeaderMethod) Label() string {
	switch m {
	case LeaderElected:
		return "选举产生"
	case LeaderAppointed:
		return "指定"
	}
	return ""
}

// UnitBounds are a community's size bounds for a unit formed by grouping (defaults 10–20).
type UnitBounds struct {
	Min int `json:"min_households"`
	Max int `json:"max_households"`
}

// DefaultUnitBounds are the document's 10–20 households.
var DefaultUnitBounds = UnitBounds{Min: 10, Max: 20}

// Validate checks the bounds.
func (b UnitBounds) Validate() error {
	v := &ValidationError{}
	if b.Min < 1 || b.Min > 200 {
		v.Add("min_households", "最少户数应在 1 到 200 之间")
	}
	if b.Max < 1 || b.Max > 500 {
		v.Add("max_households", "最多户数应在 1 到 500 之间")
	} else if b.Min >= 1 && b.Max < b.Min {
		v.Add("max_households", "最多户数不能少于最少户数")
	}
	return v.Err()
}

// Within reports whether n households lie within the bounds.
func (b UnitBounds) Within(n int) bool { return n >= b.Min && n <= b.Max }

// String is "10–20户".
func (b UnitBounds) String() string { return fmt.Sprintf("%d–%d户", b.Min, b.Max) }

// UnitLeader is a unit's current leader: a household head of the unit.
type UnitLeader struct {
	HouseholdID int64        `json:"household_id"`
	ResidentID  int64        `json:"resident_id"`
	Name        string       `json:"name"`
	Method      LeaderMethod `json:"method"`
	Since       string       `json:"since"`           // YYYY-MM-DD
	Until       string       `json:"until,omitempty"` // end of the term, YYYY-MM-DD
	// Reason is why staff appointed the leader (method appointed), "" for an elected one.
	Reason string `json:"reason,omitempty"`
	// ElectionID is the election that chose the leader (method elected).
	ElectionID int64 `json:"election_id,omitempty"`
}

// Unit is one joint-building unit.
type Unit struct {
	ID          int64
	CommunityID int64
	TerritoryID int64  // the anchor: the lowest territory node that holds all its households
	Path        string // the anchor's path: the unit lies in a scope that contains it
	Name        string
	Basis       UnitBasis
	// OverrideReason is the recorded reason a unit outside the rules was confirmed.
	OverrideReason string
	Status         UnitStatus
	Households     int         // current households, maintained
	Leader         *UnitLeader // nil while the unit has no leader
	RotationUntil  string      // last month (YYYY-MM) of its generated duty rotation, "" for none
	// LastActivityMonth is the month (YYYY-MM) of its latest joint activity, "" for none.
	LastActivityMonth string
	SuccessorID       int64 // the unit a merged unit went into
	FormedAt          time.Time
	EndedAt           *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Active reports whether the unit is in use.
func (u *Unit) Active() bool { return u.Status == UnitActive }

// UnitEvent is one entry of a unit's history.
type UnitEvent struct {
	ID     int64
	UnitID int64
	Action string // formed, merged, merged_in, split, split_from, dissolved, household_added, household_removed, leader, renamed …
	Detail string
	// RelatedUnitID is the other unit of a merge or split, 0 for none: merged names the unit
	// merged into, merged_in the unit merged out, split the unit formed from the households
	// that left, split_from the unit they left.
	RelatedUnitID int64
	ActorID       int64
	At            time.Time
}

// UnitDraft is one unit as a partition proposes it or staff adjust it, before it is confirmed.
type UnitDraft struct {
	Name       string    `json:"name"`
	Basis      UnitBasis `json:"basis"`
	Households []int64   `json:"households"`
	// Override confirms a unit outside the rules; OverrideReason says why (required with it).
	Override       bool   `json:"override,omitempty"`
	OverrideReason string `json:"override_reason,omitempty"`
}

// Validate checks what a draft can say about itself; the store checks the rest (the households
// exist, lie in the scope, belong to no unit, in one resident group and compound, and the size
// or whole block the basis claims).
func (d UnitDraft) Validate() error {
	v := &ValidationError{}
	name := strings.TrimSpace(d.Name)
	switch {
	case name == "":
		v.Add("name", "请填写联建单元名称")
	case utf8.RuneCountInString(name) > 60:
		v.Add("name", "联建单元名称不能超过 60 个字")
	}
	if !d.Basis.Valid() {
		v.Add("basis", "组建依据应为 building、stairwell、grouped、split 或 override")
	}
	if len(d.Households) == 0 {
		v.Add("households", "联建单元至少要有一户")
	}
	seen := make(map[int64]bool, len(d.Households))
	for _, id := range d.Households {
		if id <= 0 {
			v.Add("households", "住户编号无效")
			break
		}
		if seen[id] {
			v.Add("households", fmt.Sprintf("住户 %d 重复列出", id))
			break
		}
		seen[id] = true
	}
	if (d.Override || d.Basis == UnitOverride) && strings.TrimSpace(d.OverrideReason) == "" {
		v.Add("override_reason", "超出 10—20 户或整栋、整单元规则的联建单元须写明特批理由")
	}
	if utf8.RuneCountInString(d.OverrideReason) > 200 {
		v.Add("override_reason", "特批理由不能超过 200 个字")
	}
	return v.Err()
}
