package model

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The register of organizations in the area (issue 8, item 2): co-building units (驻区单位),
// social organizations, volunteer teams and mutual-aid groups residents can join, mass and
// economic organizations, with contact, what they offer and their Party coverage. Later
// features (purchased services, orders) use this register rather than keeping their own.

// OrgType is the type of an organization of the register: a stable ASCII id with a Chinese label.
type OrgType string

// The types of the register.
const (
	OrgCoBuilding    OrgType = "co_building"    // 驻区单位（共建单位）
	OrgSocial        OrgType = "social"         // 社会组织
	OrgVolunteerTeam OrgType = "volunteer_team" // 志愿互助组合
	OrgMass          OrgType = "mass"           // 群团组织
	OrgEconomic      OrgType = "economic"       // 经济组织
)

// OrgTypes lists the types in display order.
var OrgTypes = []OrgType{OrgCoBuilding, OrgSocial, OrgVolunteerTeam, OrgMass, OrgEconomic}

var orgTypeLabels = map[OrgType]string{
	OrgCoBuilding: "驻区单位", OrgSocial: "社会组织", OrgVolunteerTeam: "志愿互助组合", OrgMass: "群团组织", OrgEconomic: "经济组织",
}

// Label is the type's Chinese name.
func (t OrgType) Label() string { return orgTypeLabels[t] }

// Valid reports whether t is a known type.
func (t OrgType) Valid() bool { return orgTypeLabels[t] != "" }

// OrgSubtype refines a co-building unit: a company, school, hospital or government agency.
type OrgSubtype string

// The subtypes of co-building units.
const (
	SubtypeCompany  OrgSubtype = "company"  // 企业
	SubtypeSchool   OrgSubtype = "school"   // 学校
	SubtypeHospital OrgSubtype = "hospital" // 医院
	SubtypeAgency   OrgSubtype = "agency"   // 机关事业单位
)

// OrgSubtypes lists the subtypes in display order.
var OrgSubtypes = []OrgSubtype{SubtypeCompany, SubtypeSchool, SubtypeHospital, SubtypeAgency}

var orgSubtypeLabels = map[OrgSubtype]string{
	SubtypeCompany: "企业", SubtypeSchool: "学校", SubtypeHospital: "医院", SubtypeAgency: "机关事业单位",
}

// Label is the subtype's Chinese name ("" for none).
func (s OrgSubtype) Label() string { return orgSubtypeLabels[s] }

// Valid reports whether s is a known subtype.
func (s OrgSubtype) Valid() bool { return orgSubtypeLabels[s] != "" }

// Coverage is an organization's Party coverage: its own Party organization, a joint branch
// shared with others (联合党支部), or none.
type Coverage string

// The coverages.
const (
	CoverageOwn   Coverage = "own"
	CoverageJoint Coverage = "joint"
	CoverageNone  Coverage = "none"
)

// Coverages lists the coverages in display order.
var Coverages = []Coverage{CoverageOwn, CoverageJoint, CoverageNone}

var coverageLabels = map[Coverage]string{CoverageOwn: "单独建立党组织", CoverageJoint: "联合党支部", CoverageNone: "未覆盖"}

// Label is the coverage's Chinese name.
func (c Coverage) Label() string { return coverageLabels[c] }

// Valid reports whether c is a known coverage.
func (c Coverage) Valid() bool { return coverageLabels[c] != "" }

// Offers is what an organization offers the community (the resources list of 三张清单): venues,
// skills and funds, each in words ("" for nothing).
type Offers struct {
	Venues string `json:"venues"`
	Skills string `json:"skills"`
	Funds  string `json:"funds"`
}

// Kinds lists the Chinese names of what is offered ("场地", "技能", "资金").
func (o Offers) Kinds() []string {
	var out []string
	if o.Venues != "" {
		out = append(out, "场地")
	}
	if o.Skills != "" {
		out = append(out, "技能")
	}
	if o.Funds != "" {
		out = append(out, "资金")
	}
	return out
}

// Organization is one organization of the register. Path and CommunityID follow TerritoryID.
type Organization struct {
	ID            int64
	Type          OrgType
	Subtype       OrgSubtype
	Name          string
	TerritoryID   int64
	TerritoryName string
	Path          string
	CommunityID   int64
	ContactName   string
	ContactPhone  string
	Address       string
	Offers        Offers
	Coverage      Coverage
	PartyOrgID    int64 // the Party organization covering it, 0 when none is linked
	Joinable      bool  // residents may join (volunteer teams and mutual-aid groups)
	ReportedOn    *time.Time
	Active        bool
	Members       int // residents who joined
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Reported reports whether a co-building unit has reported to the community (单位报到).
func (o *Organization) Reported() bool { return o.ReportedOn != nil }

// OrganizationInput is what staff set on an organization of the register; a partner sets only
// its offers and contact (OrganizationContact).
type OrganizationInput struct {
	Type         OrgType
	Subtype      OrgSubtype
	Name         string
	TerritoryID  int64
	ContactName  string
	ContactPhone string
	Address      string
	Offers       Offers
	Coverage     Coverage
	PartyOrgID   int64
	Joinable     bool
}

const (
	maxOrgName  = 64
	maxOrgText  = 200
	maxOrgOffer = 500
)

// Validate checks every field and reports all bad ones, in Chinese, in one *ValidationError
// (nil when fine). The territory is checked by the store.
func (in *OrganizationInput) Validate() error {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	in.ContactName = strings.TrimSpace(in.ContactName)
	in.ContactPhone = strings.TrimSpace(in.ContactPhone)
	in.Address = strings.TrimSpace(in.Address)
	switch {
	case !in.Type.Valid():
		v.Add("type", "类型应为 co_building（驻区单位）、social（社会组织）、volunteer_team（志愿互助组合）、mass（群团组织）或 economic（经济组织）")
	case in.Type == OrgCoBuilding && !in.Subtype.Valid():
		v.Add("subtype", "驻区单位应选择细分类型：company（企业）、school（学校）、hospital（医院）或 agency（机关事业单位）")
	case in.Type != OrgCoBuilding && in.Subtype != "":
		v.Add("subtype", "只有驻区单位有细分类型，请留空")
	}
	switch {
	case in.Name == "":
		v.Add("name", "请填写组织名称")
	case utf8.RuneCountInString(in.Name) > maxOrgName || strings.ContainsAny(in.Name, "\x00\r\n\t"):
		v.Add("name", "组织名称不能超过64个字，不能包含换行或控制字符")
	}
	if in.TerritoryID <= 0 {
		v.Add("territory_id", "请选择所在区划节点（通常是社区）")
	}
	if in.Coverage == "" {
		in.Coverage = CoverageNone
	}
	if !in.Coverage.Valid() {
		v.Add("coverage", "党组织覆盖应为 own（单独建立）、joint（联合党支部）或 none（未覆盖）")
	} else if in.Coverage == CoverageNone && in.PartyOrgID != 0 {
		v.Add("party_org_id", "未覆盖党组织的单位不能关联党组织")
	}
	if in.Joinable && in.Type != OrgVolunteerTeam {
		v.Add("joinable", "只有志愿互助组合可以让居民加入")
	}
	checkContact(&v, in.ContactName, in.ContactPhone, in.Address, in.Offers)
	return v.Err()
}

// OrganizationContact is what a partner may change of its own organization: its offers and
// contact (organization.own).
type OrganizationContact struct {
	ContactName  string
	ContactPhone string
	Address      string
	Offers       Offers
}

// Validate checks the contact and offers like OrganizationInput.Validate.
func (c *OrganizationContact) Validate() error {
	var v ValidationError
	c.ContactName = strings.TrimSpace(c.ContactName)
	c.ContactPhone = strings.TrimSpace(c.ContactPhone)
	c.Address = strings.TrimSpace(c.Address)
	checkContact(&v, c.ContactName, c.ContactPhone, c.Address, c.Offers)
	return v.Err()
}

func checkContact(v *ValidationError, name, phone, address string, o Offers) {
	if utf8.RuneCountInString(name) > 32 || strings.ContainsAny(name, "\x00\r\n\t") {
		v.Add("contact_name", "联系人不能超过32个字，不能包含换行或控制字符")
	}
	if phone != "" && !validOrgPhone(phone) {
		v.Add("contact_phone", "联系电话应为11位手机号或带区号的固定电话，例如 13800001234 或 0816-3212345")
	}
	if utf8.RuneCountInString(address) > maxOrgText || strings.ContainsAny(address, "\x00\r\n") {
		v.Add("address", "地址不能超过200个字，不能包含换行")
	}
	for _, f := range []struct{ field, label, text string }{{"offers.venues", "场地", o.Venues}, {"offers.skills", "技能", o.Skills}, {"offers.funds", "资金", o.Funds}} {
		if utf8.RuneCountInString(f.text) > maxOrgOffer || strings.ContainsRune(f.text, 0) {
			v.Add(f.field, "可提供的"+f.label+"不能超过500个字")
		}
	}
}

// validOrgPhone accepts a mobile number (11 digits starting with 1) or a landline with an area
// code (0NN-NNNNNNN or 0NNN-NNNNNNNN, the hyphen optional).
func validOrgPhone(p string) bool {
	digits := strings.ReplaceAll(p, "-", "")
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	switch {
	case len(digits) == 11 && digits[0] == '1' && !strings.Contains(p, "-"):
		return true
	case len(digits) >= 10 && len(digits) <= 12 && digits[0] == '0' && strings.Count(p, "-") <= 1:
		return true
	}
	return false
}

// OrganizationEvent is one entry of an organization's history.
type OrganizationEvent struct {
	ID     int64
	Action string // created | updated | contact_updated | reported | deactivated | reactivated | joined | left
	Detail string
	At     time.Time
}

var orgEventLabels = map[string]string{
	"created": "登记", "updated": "修改信息", "contact_updated": "单位更新联系方式和资源", "reported": "单位报到",
	"deactivated": "停用", "reactivated": "恢复", "joined": "居民加入", "left": "居民退出",
}

// Label is the event's Chinese name.
func (e OrganizationEvent) Label() string {
	if l, ok := orgEventLabels[e.Action]; ok {
		return l
	}
	return e.Action
}

// ValidOrgTypeFilter reports whether s is "" or a known type (for list filters).
func ValidOrgTypeFilter(s string) bool { return s == "" || OrgType(s).Valid() }

// OrgTypeIDs is the list of type ids, for messages and documents.
func OrgTypeIDs() []string {
	out := make([]string, len(OrgTypes))
	for i, t := range OrgTypes {
		out[i] = string(t)
	}
	return slices.Clip(out)
}
