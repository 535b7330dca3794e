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
	Flags       HouseholdFlags
	MovedInAt   *time.Time
	MovedOutAt  *time.Time // set when the household moved away; it stays in history
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Withheld    Withheld // Withheld.Hardship: the hardship flag was left out for the caller's role
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
		if _, err := time.Parse(time.DateOnly, in.MovedInAt); err != nil {
			v.Add("moved_in_at", "迁入日期应为 YYYY-MM-DD 格式")
		}
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
