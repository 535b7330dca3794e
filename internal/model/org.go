package model

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// OrgKind is the kind of a Party organization (glossary: shared DESIGN.md). The four territorial
// kinds are anchored to a territory node; a functional organization belongs to a parent org.
type OrgKind string

// The kinds, from the top down.
const (
	OrgStreetCommittee    OrgKind = "street_committee"    // 街道大工委
	OrgCommunityCommittee OrgKind = "community_committee" // 社区大党委
	OrgGridBranch         OrgKind = "grid_branch"         // 网格党支部
	OrgBuildingGroup      OrgKind = "building_group"      // 楼栋/楼院党小组
	OrgFunctional         OrgKind = "functional_group"    // 功能型党组织（四缘）
)

// OrgKinds lists every kind in tree order.
var OrgKinds = []OrgKind{OrgStreetCommittee, OrgCommunityCommittee, OrgGridBranch, OrgBuildingGroup, OrgFunctional}

var orgKindLabels = map[OrgKind]string{
	OrgStreetCommittee: "街道大工委", OrgCommunityCommittee: "社区大党委", OrgGridBranch: "网格党支部",
	OrgBuildingGroup: "党小组", OrgFunctional: "功能型党组织",
}

// Valid reports whether k is a known kind.
func (k OrgKind) Valid() bool { return slices.Contains(OrgKinds, k) }

// Label is the kind's Chinese name.
func (k OrgKind) Label() string { return orgKindLabels[k] }

// Territorial reports whether orgs of kind k are anchored to a territory node.
func (k OrgKind) Territorial() bool { return k.Valid() && k != OrgFunctional }

// Committee reports whether k is a committee (which has terms of office and 换届).
func (k OrgKind) Committee() bool { return k == OrgStreetCommittee || k == OrgCommunityCommittee }

// AnchorKinds are the territory kinds an org of kind k may be anchored to.
func (k OrgKind) AnchorKinds() []TerritoryKind {
	switch k {
	case OrgStreetCommittee:
		return []TerritoryKind{KindStreet}
	case OrgCommunityCommittee:
		return []TerritoryKind{KindCommunity}
	case OrgGridBranch:
		return []TerritoryKind{KindGrid}
	case OrgBuildingGroup:
		return []TerritoryKind{KindCompound, KindBuilding}
	}
	return nil
}

// ParentKinds are the kinds an org of kind k may sit under (none: it may be a root).
func (k OrgKind) ParentKinds() []OrgKind {
	switch k {
	case OrgCommunityCommittee:
		return []OrgKind{OrgStreetCommittee}
	case OrgGridBranch:
		return []OrgKind{OrgCommunityCommittee}
	case OrgBuildingGroup:
		return []OrgKind{OrgGridBranch}
	case OrgFunctional:
		return OrgKinds
	}
	return nil
}

// OrgLevel is the level of a functional organization: a branch or a group.
type OrgLevel string

// The levels ("" for territorial orgs, whose kind says it).
const (
	LevelBranch OrgLevel = "branch"
	LevelGroup  OrgLevel = "group"
)

// Label is the level's Chinese name.
func (l OrgLevel) Label() string {
	switch l {
	case LevelBranch:
		return "支部"
	case LevelGroup:
		return "党小组"
	}
	return ""
}

// Affinity is the bond a functional organization gathers members by (四缘).
type Affinity string

// The affinities.
const (
	AffinityLocality   Affinity = "locality"   // 地缘
	AffinityOccupation Affinity = "occupation" // 业缘
	AffinityInterest   Affinity = "interest"   // 趣缘
	AffinityOnline     Affinity = "online"     // 网缘
)

// Affinities lists every affinity.
var Affinities = []Affinity{AffinityLocality, AffinityOccupation, AffinityInterest, AffinityOnline}

var affinityLabels = map[Affinity]string{
	AffinityLocality: "地缘", AffinityOccupation: "业缘", AffinityInterest: "趣缘", AffinityOnline: "网缘",
}

// Valid reports whether a is a known affinity.
func (a Affinity) Valid() bool { return slices.Contains(Affinities, a) }

// Label is the affinity's Chinese name.
func (a Affinity) Label() string { return affinityLabels[a] }

// OrgStatus is where an org stands: active, merged into another, or dissolved. Orgs are never
// deleted.
type OrgStatus string

// The statuses.
const (
	OrgActive    OrgStatus = "active"
	OrgMerged    OrgStatus = "merged"
	OrgDissolved OrgStatus = "dissolved"
)

// Label is the status's Chinese name.
func (s OrgStatus) Label() string {
	switch s {
	case OrgActive:
		return "正常"
	case OrgMerged:
		return "已合并"
	case OrgDissolved:
		return "已撤销"
	}
	return string(s)
}

// Org is one Party organization. Path is the anchoring node's path (a functional org's parent's),
// so scope works on orgs exactly as on territory.
type Org struct {
	ID           int64
	ParentID     int64 // 0 for a root
	Kind         OrgKind
	Level        OrgLevel
	Affinity     Affinity
	Name         string
	TerritoryID  int64 // 0 for a functional org
	Path         string
	CommunityID  int64 // 0 above the community
	Status       OrgStatus
	MergedIntoID int64
	BatchID      int64
	Members      int64 // registered members, maintained by the members' store
	CreatedAt    time.Time
	UpdatedAt    time.Time
	EndedAt      *time.Time
}

// Active reports whether the org is neither merged nor dissolved.
func (o *Org) Active() bool { return o.Status == OrgActive }

// KindLabel names the org's kind, with the affinity and level for a functional org
// (e.g. "功能型党组织·趣缘·党小组").
func (o *Org) KindLabel() string {
	if o.Kind != OrgFunctional {
		return o.Kind.Label()
	}
	s := o.Kind.Label() + "·" + o.Affinity.Label()
	if o.Level != "" {
		s += "·" + o.Level.Label()
	}
	return s
}

// OrgInput is what a client may set on a new org.
type OrgInput struct {
	ParentID    int64
	Kind        OrgKind
	Level       OrgLevel
	Affinity    Affinity
	Name        string
	TerritoryID int64
}

// Validate checks the fields on their own and the kind rules that need no database: a
// territorial org has an anchor and no affinity, a functional org has a parent, an affinity and
// a level and no anchor. The store checks the anchor's and the parent's kinds.
func (in *OrgInput) Validate() error {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	if !in.Kind.Valid() {
		v.Add("kind", "请选择组织类型：街道大工委、社区大党委、网格党支部、党小组或功能型党组织")
	}
	validateOrgName(&v, in.Name)
	switch {
	case in.Kind == OrgFunctional:
		if !in.Affinity.Valid() {
			v.Add("affinity", "功能型党组织请选择类别：地缘、业缘、趣缘或网缘")
		}
		if in.Level == "" {
			in.Level = LevelGroup
		}
		if in.Level != LevelBranch && in.Level != LevelGroup {
			v.Add("level", "功能型党组织的层级应为支部或党小组")
		}
		if in.ParentID == 0 {
			v.Add("parent_id", "功能型党组织须有上级党组织")
		}
		if in.TerritoryID != 0 {
			v.Add("territory_id", "功能型党组织不挂在网格或楼栋上，请只选上级党组织")
		}
	case in.Kind.Valid():
		if in.Affinity != "" {
			v.Add("affinity", "只有功能型党组织有类别（四缘）")
		}
		if in.Level != "" {
			v.Add("level", "只有功能型党组织选层级")
		}
		if in.TerritoryID == 0 {
			v.Add("territory_id", "请选择"+in.Kind.Label()+"所在的"+anchorLabels(in.Kind))
		}
		if in.Kind != OrgStreetCommittee && in.ParentID == 0 {
			v.Add("parent_id", "请选择上级党组织")
		}
	}
	return v.Err()
}

func anchorLabels(k OrgKind) string {
	var names []string
	for _, a := range k.AnchorKinds() {
		names = append(names, a.Label())
	}
	return strings.Join(names, "或")
}

// ValidateOrgName checks an org's name (for create and rename).
func ValidateOrgName(name string) error {
	var v ValidationError
	validateOrgName(&v, strings.TrimSpace(name))
	return v.Err()
}

func validateOrgName(v *ValidationError, name string) {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		v.Add("name", "请填写组织名称")
	case n > 64:
		v.Add("name", "组织名称不能超过64个字")
	case strings.ContainsAny(name, "\x00\r\n\t"):
		v.Add("name", "组织名称不能包含换行或控制字符")
	}
}

// OrgEvent is one entry of an org's history.
type OrgEvent struct {
	ID      int64
	OrgID   int64
	Action  string // created | renamed | merged | merged_in | dissolved | re_elected | post | undone
	Detail  string
	ActorID int64
	At      time.Time
}

// ActionLabel names the event in Chinese.
func (e OrgEvent) ActionLabel() string {
	switch e.Action {
	case "created":
		return "成立"
	case "renamed":
		return "更名"
	case "merged":
		return "并入"
	case "merged_in":
		return "接收合并"
	case "dissolved":
		return "撤销"
	case "re_elected":
		return "换届"
	case "term":
		return "任期"
	case "post":
		return "职务变动"
	case "undone":
		return "撤回生成"
	}
	return e.Action
}

// PostKind is a post on a committee or branch.
type PostKind string

// The posts.
const (
	PostSecretary  PostKind = "secretary"
	PostDeputy     PostKind = "deputy_secretary"
	PostOrganizer  PostKind = "organizer"
	PostPropaganda PostKind = "propaganda"
	PostDiscipline PostKind = "discipline"
	PostPartTime   PostKind = "part_time"
)

// PostKinds lists every post in the order a committee lists them.
var PostKinds = []PostKind{PostSecretary, PostDeputy, PostOrganizer, PostPropaganda, PostDiscipline, PostPartTime}

var postLabels = map[PostKind]string{
	PostSecretary: "书记", PostDeputy: "副书记", PostOrganizer: "组织委员", PostPropaganda: "宣传委员",
	PostDiscipline: "纪检委员", PostPartTime: "兼职委员",
}

// Valid reports whether p is a known post.
func (p PostKind) Valid() bool { return slices.Contains(PostKinds, p) }

// Label is the post's Chinese name.
func (p PostKind) Label() string { return postLabels[p] }

// Post is a post held on an org: by a member (MemberID), or by someone outside the roster
// (HolderName, usually the leader of a co-building unit: OrganizationID).
type Post struct {
	ID             int64
	OrgID          int64
	Post           PostKind
	MemberID       int64
	HolderName     string
	OrganizationID int64
	UserID         int64
	StartsOn       time.Time
	EndsOn         *time.Time
	EndedAt        *time.Time
	CreatedAt      time.Time
}

// PostInput is a new post holder.
type PostInput struct {
	Post           PostKind
	MemberID       int64
	HolderName     string
	OrganizationID int64
	UserID         int64
	StartsOn       time.Time
	EndsOn         *time.Time
}

// Validate checks the post on its own.
func (in *PostInput) Validate() error {
	var v ValidationError
	in.HolderName = strings.TrimSpace(in.HolderName)
	if !in.Post.Valid() {
		v.Add("post", "请选择职务：书记、副书记、组织委员、宣传委员、纪检委员或兼职委员")
	}
	if in.MemberID == 0 && in.HolderName == "" {
		v.Add("holder_name", "请选择担任职务的党员，或填写任职人姓名")
	}
	if utf8.RuneCountInString(in.HolderName) > 32 {
		v.Add("holder_name", "姓名不能超过32个字")
	}
	if in.StartsOn.IsZero() {
		v.Add("starts_on", "请填写任职日期")
	}
	if in.EndsOn != nil && !in.EndsOn.After(in.StartsOn) {
		v.Add("ends_on", "任期结束日期应晚于开始日期")
	}
	return v.Err()
}

// Term is one term of office (届) of a committee or branch.
type Term struct {
	ID        int64
	OrgID     int64
	StartsOn  time.Time
	EndsOn    time.Time
	ElectedOn *time.Time
	Note      string
	CreatedAt time.Time
}

// TermWarnDays is how long before a term ends the pages warn of the coming 换届.
const TermWarnDays = 90

// DaysLeft is the number of whole days from today until the term ends (negative when over).
func (t *Term) DaysLeft(today time.Time) int {
	y, m, d := today.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return int(t.EndsOn.Sub(day).Hours() / 24)
}

// Warning is "overdue" when the term has ended, "due" within TermWarnDays, "" otherwise.
func (t *Term) Warning(today time.Time) string {
	switch n := t.DaysLeft(today); {
	case n < 0:
		return "overdue"
	case n <= TermWarnDays:
		return "due"
	}
	return ""
}

// TermInput records a term (a re-election starts a new one).
type TermInput struct {
	StartsOn  time.Time
	EndsOn    time.Time
	ElectedOn *time.Time
	Note      string
}

// Validate checks the dates.
func (in *TermInput) Validate() error {
	var v ValidationError
	in.Note = strings.TrimSpace(in.Note)
	if in.StartsOn.IsZero() {
		v.Add("starts_on", "请填写本届任期开始日期")
	}
	if in.EndsOn.IsZero() {
		v.Add("ends_on", "请填写本届任期结束日期")
	} else if !in.StartsOn.IsZero() && !in.EndsOn.After(in.StartsOn) {
		v.Add("ends_on", "任期结束日期应晚于开始日期")
	}
	if in.ElectedOn != nil && !in.StartsOn.IsZero() && in.ElectedOn.After(in.StartsOn) {
		v.Add("elected_on", "选举日期不能晚于任期开始日期")
	}
	if utf8.RuneCountInString(in.Note) > 500 {
		v.Add("note", "备注不能超过500个字")
	}
	return v.Err()
}

// GeneratorKind names one of the two generators a community secretary runs.
type GeneratorKind string

// The generators.
const (
	GenBranches       GeneratorKind = "branches"        // one branch per grid
	GenGroupsBuilding GeneratorKind = "groups_building" // 2–3 groups per branch, by building
	GenGroupsCompound GeneratorKind = "groups_compound" // 2–3 groups per branch, by compound
)

// Valid reports whether g is a known generator.
func (g GeneratorKind) Valid() bool {
	return g == GenBranches || g == GenGroupsBuilding || g == GenGroupsCompound
}

// Label names the generator in Chinese.
func (g GeneratorKind) Label() string {
	switch g {
	case GenBranches:
		return "一网格一支部"
	case GenGroupsBuilding:
		return "每支部2–3个党小组（按楼栋）"
	case GenGroupsCompound:
		return "每支部2–3个党小组（按小区/楼院）"
	}
	return string(g)
}

// PlannedOrg is one org a generator would create.
type PlannedOrg struct {
	Kind        OrgKind
	Name        string
	ParentID    int64
	ParentName  string
	TerritoryID int64
}

// OrgBatch is one generator run that wrote orgs.
type OrgBatch struct {
	ID          int64
	CommunityID int64
	Generator   GeneratorKind
	Orgs        int
	CreatedBy   int64
	CreatedAt   time.Time
	UndoneAt    *time.Time
}
