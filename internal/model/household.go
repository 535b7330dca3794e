package model

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Household is one registered household (户), attached to one territory node, normally a
// stairwell or a building.
type Household struct {
	ID          int64
	TerritoryID int64
	Path        string // the node's materialized path, denormalized for subtree queries
	Address     string
	HeadName    string // name of the member whose relation is 户主, "" while none
	Members     int
	// UnitID is the joint-building unit the household belongs to (0: none); only the store
	// changes it (store.FormUnits and the unit features).
	UnitID     int64
	Flags      HouseholdFlags
	MovedInAt  *time.Time
	MovedOutAt *time.Time // set when the household moved away; it stays in history
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Withheld   Withheld // Withheld.Hardship: the hardship flag was left out for the caller's role
}

// HouseholdFlags are the care flags community staff keep on a household.
type HouseholdFlags struct {
	ElderlyAlone bool `json:"elderly_alone"` // 独居老人
	Hardship     bool `json:"hardship"`      // 困难户
	Disability   bool `json:"disability"`    // 残疾
	Mobile       bool `json:"mobile"`        // 流动人口
}

// Labels lists the Chinese names of the flags that are set.
func (f HouseholdFlags) Labels() []string {
	var s []string
	if f.ElderlyAlone {
		s = append(s, "独居老人")
	}
	if f.Hardship {
		s = append(s, "困难户")
	}
	if f.Disability {
		s = append(s, "残疾")
	}
	if f.Mobile {
		s = append(s, "流动人口")
	}
	return s
}

// HouseholdInput is what a client may set on a household.
type HouseholdInput struct {
	TerritoryID int64
	Address     string
	Flags       HouseholdFlags
	MovedInAt   string // YYYY-MM-DD or ""
	// MovedOutAt is the stored household's move-out date when it has one (the store sets it on
	// an update): the move-in date may not be later.
	MovedOutAt *time.Time
}

// Validate checks the fields on their own; the store checks the territory exists in scope.
func (in *HouseholdInput) Validate() error {
	var v ValidationError
	in.Address = strings.TrimSpace(in.Address)
	if in.TerritoryID <= 0 {
		v.Add("territory_id", "请选择所属单元、楼栋或小区")
	}
	switch n := utf8.RuneCountInString(in.Address); {
	case n == 0:
		v.Add("address", "请填写门牌地址，例如 3单元502室")
	case n > 128:
		v.Add("address", "地址不能超过128个字")
	case strings.ContainsAny(in.Address, "\x00\r\n"):
		v.Add("address", "地址不能包含换行或控制字符")
	}
	if in.MovedInAt != "" {
		if d, err := time.Parse(time.DateOnly, in.MovedInAt); err != nil {
			v.Add("moved_in_at", "迁入日期应为 YYYY-MM-DD 格式")
		} else if in.MovedOutAt != nil && d.After(*in.MovedOutAt) {
			v.Add("moved_in_at", "迁入日期不能晚于迁出日期 "+in.MovedOutAt.Format(time.DateOnly))
		}
	}
	return v.Err()
}

// HouseholdFlagsPatch changes only the flags that are set (non-nil).
type HouseholdFlagsPatch struct {
	ElderlyAlone *bool `json:"elderly_alone"`
	Hardship     *bool `json:"hardship"`
	Disability   *bool `json:"disability"`
	Mobile       *bool `json:"mobile"`
}

// HouseholdPatch is a change of some of a household's fields: the fields present (non-nil)
// change, the rest stay. The territory is not changed by a patch. The API's PATCH and the edit
// page both build one; the store applies it to the stored household in one transaction and
// validates the result with HouseholdInput.Validate, so both surfaces share every rule.
type HouseholdPatch struct {
	Address   *string
	Flags     HouseholdFlagsPatch
	MovedInAt *string // "" clears it
}

// Empty reports whether p changes nothing.
func (p HouseholdPatch) Empty() bool { return p == HouseholdPatch{} }

// Apply sets the fields present in p on in.
func (p HouseholdPatch) Apply(in *HouseholdInput) {
	setIf(&in.Address, p.Address)
	setIf(&in.MovedInAt, p.MovedInAt)
	setIf(&in.Flags.ElderlyAlone, p.Flags.ElderlyAlone)
	setIf(&in.Flags.Hardship, p.Flags.Hardship)
	setIf(&in.Flags.Disability, p.Flags.Disability)
	setIf(&in.Flags.Mobile, p.Flags.Mobile)
}

// setIf sets *dst to *v when v is present.
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// MoveOut is a household's move-out: the date it left and a note.
type MoveOut struct {
	Date string // YYYY-MM-DD
	Note string
}

// Validate checks the date (a date, and not before movedIn when that is known) and the note,
// which it trims. Fields: date, note.
func (m *MoveOut) Validate(movedIn *time.Time) error {
	var v ValidationError
	m.Date = strings.TrimSpace(m.Date)
	m.Note = strings.TrimSpace(m.Note)
	if d, err := time.Parse(time.DateOnly, m.Date); err != nil {
		v.Add("date", "迁出日期应为 YYYY-MM-DD 格式，例如 2024-06-30")
	} else if movedIn != nil && d.Before(*movedIn) {
		v.Add("date", "迁出日期不能早于迁入日期 "+movedIn.Format(time.DateOnly))
	}
	switch {
	case utf8.RuneCountInString(m.Note) > 200:
		v.Add("note", "备注不能超过200个字")
	case strings.ContainsAny(m.Note, "\x00\r\n"):
		v.Add("note", "备注不能包含换行或控制字符")
	}
	return v.Err()
}

// HouseholdEvent is one entry of a household's history (move-in, move-out, changes).
type HouseholdEvent struct {
	ID          int64
	HouseholdID int64
	Action      string // moved_in | moved_out | updated | member_added | member_removed
	Detail      string
	At          time.Time
}
