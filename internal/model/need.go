package model

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The three lists (三张清单, issue 10 item 5) between a community and its co-building units: the
// needs list (需求清单), the resources list (资源清单) and the projects list (项目清单), which
// pairs a need with a resource once the community approves it. This file is the needs list.

// NeedSource is where a need came from.
type NeedSource string

// The sources. Orders: adopted by staff from a suggestion the store derives from recurring
// orders (store.NeedSuggestions). Survey: reserved for the surveys of issue 11, which will
// record needs through store.CreateNeed with this source; nothing writes it yet. Staff: entered
// by hand.
const (
	NeedFromOrders NeedSource = "orders"
	NeedFromSurvey NeedSource = "survey"
	NeedFromStaff  NeedSource = "staff"
)

// NeedSources lists the sources in display order.
var NeedSources = []NeedSource{NeedFromOrders, NeedFromSurvey, NeedFromStaff}

var needSourceLabels = map[NeedSource]string{NeedFromOrders: "群众点单", NeedFromSurvey: "问卷调查", NeedFromStaff: "工作人员登记"}

// Label is the source's Chinese name.
func (s NeedSource) Label() string { return needSourceLabels[s] }

// Valid reports whether s is a known source.
func (s NeedSource) Valid() bool { return needSourceLabels[s] != "" }

// NeedStatus is where a need stands: open until a project for it is approved (matched), closed
// when that project is done or staff close it.
type NeedStatus string

// The statuses.
const (
	NeedOpen    NeedStatus = "open"
	NeedMatched NeedStatus = "matched"
	NeedClosed  NeedStatus = "closed"
)

// NeedStatuses lists the statuses in display order.
var NeedStatuses = []NeedStatus{NeedOpen, NeedMatched, NeedClosed}

var needStatusLabels = map[NeedStatus]string{NeedOpen: "待对接", NeedMatched: "已对接", NeedClosed: "已关闭"}

// Label is the status's Chinese name.
func (s NeedStatus) Label() string { return needStatusLabels[s] }

// Valid reports whether s is a known status.
func (s NeedStatus) Valid() bool { return needStatusLabels[s] != "" }

// Need is one entry of the needs list. Path and CommunityID follow TerritoryID (a community,
// grid or compound).
type Need struct {
	ID              int64
	CommunityID     int64
	TerritoryID     int64
	TerritoryName   string
	TerritoryKind   TerritoryKind
	Path            string
	Title           string
	Description     string
	Category        string       // a word resources are matched on: an order category's name, 维修, 助老 …
	Wants           ResourceKind // the kind of resource wanted ("" for any)
	Households      int          // households affected
	Source          NeedSource
	OrderCategoryID int64 // the order category a need from orders was derived from (0 otherwise)
	Status          NeedStatus
	RecordedBy      string // the name of the account that recorded it
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// NeedInput is what staff enter for a need (and what adopting a suggestion fills in).
type NeedInput struct {
	Title           string       `json:"title"`
	Description     string       `json:"description"`
	Category        string       `json:"category"`
	Wants           ResourceKind `json:"wants"`
	TerritoryID     int64        `json:"territory_id,string"`
	Households      int          `json:"households"`
	Source          NeedSource   `json:"source"`
	OrderCategoryID int64        `json:"order_category_id,string"`
}

// List text limits.
const (
	ListTitleMax    = 60
	ListTextMax     = 1000
	ListCategoryMax = 20
	ListTagsMax     = 100
)

// Validate checks every field and reports all bad ones in one *ValidationError. The territory
// (in scope, a community, grid or compound) and the order category are checked by the store.
func (in *NeedInput) Validate() error {
	var v ValidationError
	in.Title = strings.TrimSpace(in.Title)
	in.Description = strings.TrimSpace(in.Description)
	in.Category = strings.TrimSpace(in.Category)
	checkListTitle(&v, "title", in.Title, "需求名称")
	if utf8.RuneCountInString(in.Description) > ListTextMax || strings.ContainsRune(in.Description, 0) {
		v.Add("description", "需求说明不能超过1000个字")
	}
	switch {
	case in.Category == "":
		v.Add("category", "请填写需求类别，例如 维修、助老、助学（用于匹配资源）")
	case utf8.RuneCountInString(in.Category) > ListCategoryMax || strings.ContainsAny(in.Category, "\x00\r\n\t"):
		v.Add("category", "需求类别不能超过20个字")
	}
	if in.Wants != "" && !in.Wants.Valid() {
		v.Add("wants", "所需资源类型应为 venue（场地）、skill（技能）、funds（资金）或 goods（物资），或留空")
	}
	if in.TerritoryID <= 0 {
		v.Add("territory_id", "请选择需求所在的社区、网格或小区")
	}
	if in.Households < 0 || in.Households > 100000 {
		v.Add("households", "涉及户数应为0到100000之间的整数")
	}
	if in.Source == "" {
		in.Source = NeedFromStaff
	}
	if !in.Source.Valid() {
		v.Add("source", "来源应为 orders（群众点单）、survey（问卷调查）或 staff（工作人员登记）")
	}
	if in.Source == NeedFromOrders && in.OrderCategoryID <= 0 {
		v.Add("order_category_id", "来自群众点单的需求应指明订单类别（请从“点单汇总建议”中采纳）")
	}
	if in.Source != NeedFromOrders && in.OrderCategoryID != 0 {
		v.Add("order_category_id", "只有来自群众点单的需求关联订单类别")
	}
	return v.Err()
}

func checkListTitle(v *ValidationError, field, s, what string) {
	switch {
	case s == "":
		v.Add(field, "请填写"+what)
	case utf8.RuneCountInString(s) > ListTitleMax || strings.ContainsAny(s, "\x00\r\n\t"):
		v.Add(field, what+"不能超过60个字，不能包含换行")
	}
}

// NeedSuggestion is a need the store derives from recurring orders: at least
// NeedSuggestMinOrders orders of one category placed in NeedSuggestDays days by households of
// one grid or compound, not yet adopted as an open or matched need.
type NeedSuggestion struct {
	OrderCategoryID int64
	Category        string
	TerritoryID     int64
	TerritoryName   string
	TerritoryKind   TerritoryKind
	Orders          int
	Households      int
	Since           time.Time
}

// The rule of suggestions.
const (
	NeedSuggestMinOrders = 3
	NeedSuggestDays      = 90
)

// Input is the need adopting s records.
func (s *NeedSuggestion) Input() NeedInput {
	return NeedInput{
		Title:           s.TerritoryName + s.Category + "需求",
		Description:     "近" + strconv.Itoa(NeedSuggestDays) + "天内" + s.TerritoryName + "有" + strconv.Itoa(s.Orders) + "单“" + s.Category + "”服务订单，涉及" + strconv.Itoa(s.Households) + "户，需求反复出现，建议对接共建资源长期解决。",
		Category:        s.Category,
		TerritoryID:     s.TerritoryID,
		Households:      s.Households,
		Source:          NeedFromOrders,
		OrderCategoryID: s.OrderCategoryID,
	}
}
