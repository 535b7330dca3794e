package model

import (
	"strings"
	"time"
	"unicode/utf8"
)

// The resources list (资源清单) of the three lists: what co-building units (organizations of the
// register) and party members offer the community. Money is whole fen, never a float.

// ResourceKind is what kind of resource is offered.
type ResourceKind string

// The kinds.
const (
	ResourceVenue ResourceKind = "venue" // 场地
	ResourceSkill ResourceKind = "skill" // 技能
	ResourceFunds ResourceKind = "funds" // 资金
	ResourceGoods ResourceKind = "goods" // 物资
)

// ResourceKinds lists the kinds in display order.
var ResourceKinds = []ResourceKind{ResourceVenue, ResourceSkill, ResourceFunds, ResourceGoods}

var resourceKindLabels = map[ResourceKind]string{ResourceVenue: "场地", ResourceSkill: "技能", ResourceFunds: "资金", ResourceGoods: "物资"}

// Label is the kind's Chinese name.
func (k ResourceKind) Label() string { return resourceKindLabels[k] }

// Valid reports whether k is a known kind.
func (k ResourceKind) Valid() bool { return resourceKindLabels[k] != "" }

// ResourceStatus is whether a resource is on offer.
type ResourceStatus string

// The statuses.
const (
	ResourceAvailable ResourceStatus = "available" // 可对接
	ResourceWithdrawn ResourceStatus = "withdrawn" // 已撤回
)

var resourceStatusLabels = map[ResourceStatus]string{ResourceAvailable: "可对接", ResourceWithdrawn: "已撤回"}

// Label is the status's Chinese name.
func (s ResourceStatus) Label() string { return resourceStatusLabels[s] }

// Valid reports whether s is a known status.
func (s ResourceStatus) Valid() bool { return resourceStatusLabels[s] != "" }

// Resource is one entry of the resources list, offered by an organization of the register or
// by a party member (exactly one of OrganizationID and MemberID is set). ContactPhone is the
// offerer's phone: the organization's contact phone, or the member's own (from its resident
// record); it renders masked everywhere (Sensitive), the member's full number is read on the
// member's record with its audited reveal.
type Resource struct {
	ID             int64
	CommunityID    int64
	TerritoryID    int64
	TerritoryName  string
	Path           string
	Kind           ResourceKind
	Title          string
	Description    string
	Tags           string // words the matching compares with a need's category: "维修 水电"
	Capacity       int    // people, places or pieces (0: not stated); venues, skills, goods
	AmountFen      int64  // funds, in fen (0: not stated)
	Availability   string // when it is available, in words: 每周六上午
	OrganizationID int64
	MemberID       int64
	OfferedBy      string // the organization's or the member's name
	ContactPhone   Sensitive
	Status         ResourceStatus
	ActiveProjects int // projects using it that are approved or in progress
	RecordedBy     string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// TagList is the resource's tags as words.
func (r *Resource) TagList() []string { return strings.Fields(r.Tags) }

// ResourceInput is what staff enter for a resource.
type ResourceInput struct {
	Kind           ResourceKind `json:"kind"`
	Title          string       `json:"title"`
	Description    string       `json:"description"`
	Tags           string       `json:"tags"`
	Capacity       int          `json:"capacity"`
	AmountFen      int64        `json:"amount_fen"`
	Availability   string       `json:"availability"`
	TerritoryID    int64        `json:"territory_id,string"`
	OrganizationID int64        `json:"organization_id,string"`
	MemberID       int64        `json:"member_id,string"`
}

// MaxAmountFen bounds a resource's funds: 一亿元.
const MaxAmountFen = 100_000_000_00

// Validate checks every field and reports all bad ones in one *ValidationError. The territory,
// the organization and the member (in scope) are checked by the store.
func (in *ResourceInput) Validate() error {
	var v ValidationError
	in.Title = strings.TrimSpace(in.Title)
	in.Description = strings.TrimSpace(in.Description)
	in.Tags = strings.Join(strings.Fields(strings.NewReplacer("，", " ", ",", " ", "、", " ").Replace(in.Tags)), " ")
	in.Availability = strings.TrimSpace(in.Availability)
	if !in.Kind.Valid() {
		v.Add("kind", "资源类型应为 venue（场地）、skill（技能）、funds（资金）或 goods（物资）")
	}
	checkListTitle(&v, "title", in.Title, "资源名称")
	if utf8.RuneCountInString(in.Description) > ListTextMax || strings.ContainsRune(in.Description, 0) {
		v.Add("description", "资源说明不能超过1000个字")
	}
	if utf8.RuneCountInString(in.Tags) > ListTagsMax || strings.ContainsRune(in.Tags, 0) {
		v.Add("tags", "标签合计不能超过100个字，用空格或逗号分隔")
	}
	if in.Capacity < 0 || in.Capacity > 1_000_000 {
		v.Add("capacity", "数量应为0到1000000之间的整数（0表示不限或未说明）")
	}
	switch {
	case in.AmountFen < 0:
		v.Add("amount_fen", "金额不能为负数")
	case in.AmountFen > MaxAmountFen:
		v.Add("amount_fen", "金额不能超过1亿元")
	case in.Kind == ResourceFunds && in.AmountFen == 0:
		v.Add("amount_fen", "资金类资源请填写金额（单位：分，例如 500000 表示5000元）")
	case in.Kind.Valid() && in.Kind != ResourceFunds && in.AmountFen != 0:
		v.Add("amount_fen", "只有资金类资源填写金额")
	}
	if utf8.RuneCountInString(in.Availability) > 100 || strings.ContainsAny(in.Availability, "\x00\r\n") {
		v.Add("availability", "可用时间不能超过100个字，不能包含换行")
	}
	if in.TerritoryID <= 0 {
		v.Add("territory_id", "请选择资源所在的节点")
	}
	switch {
	case in.OrganizationID == 0 && in.MemberID == 0:
		v.Add("organization_id", "请选择提供资源的共建单位或党员")
	case in.OrganizationID != 0 && in.MemberID != 0:
		v.Add("member_id", "一项资源只能由一个共建单位或一名党员提供，请只选其一")
	case in.OrganizationID < 0:
		v.Add("organization_id", "共建单位不存在或不在您的管辖范围内")
	case in.MemberID < 0:
		v.Add("member_id", "党员不存在或不在您的管辖范围内")
	}
	return v.Err()
}
