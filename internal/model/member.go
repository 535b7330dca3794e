package model

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MemberList says which roster a member is on: registered here (在册, counted in every total,
// in exactly one branch or group) or reporting here while registered elsewhere (双报到 in-work
// members and inflowing mobile members: never counted in the registered totals).
type MemberList string

const (
	ListRegistered MemberList = "registered" // 在册党员
	ListReporting  MemberList = "reporting"  // 报到党员
)

// MemberStatus is probationary (预备党员) or full (正式党员).
type MemberStatus string

const (
	MemberProbationary MemberStatus = "probationary"
	MemberFull         MemberStatus = "full"
)

// MemberCategory is what a member does, kept apart from mobility.
type MemberCategory string

const (
	CategoryInWork     MemberCategory = "in_work"    // 在职
	CategoryRetired    MemberCategory = "retired"    // 离退休
	CategoryUnemployed MemberCategory = "unemployed" // 下岗失业
	CategoryStudent    MemberCategory = "student"    // 学生
	CategoryOther      MemberCategory = "other"      // 其他
)

// Mobility says whether a registered member lives or works away (流出).
type Mobility string

const (
	MobilityNone    Mobility = "none"    // 无
	MobilityOutflow Mobility = "outflow" // 流出党员
)

// ReportingKind is why a member registered elsewhere is on the reporting list.
type ReportingKind string

const (
	ReportingInWork ReportingKind = "in_work" // 在职党员到居住地社区报到（双报到）
	ReportingInflow ReportingKind = "inflow"  // 流入党员
)

// Education is a member's highest education (学历).
type Education string

const (
	EduPrimary    Education = "primary"    // 小学及以下
	EduJunior     Education = "junior"     // 初中
	EduSenior     Education = "senior"     // 高中
	EduVocational Education = "vocational" // 中专
	EduCollege    Education = "college"    // 大专
	EduBachelor   Education = "bachelor"   // 本科
	EduPostgrad   Education = "postgrad"   // 研究生
)

// The enumerations in display order, and their Chinese labels.
var (
	MemberLists      = []MemberList{ListRegistered, ListReporting}
	MemberStatuses   = []MemberStatus{MemberProbationary, MemberFull}
	MemberCategories = []MemberCategory{CategoryInWork, CategoryRetired, CategoryUnemployed, CategoryStudent, CategoryOther}
	Mobilities       = []Mobility{MobilityNone, MobilityOutflow}
	ReportingKinds   = []ReportingKind{ReportingInWork, ReportingInflow}
	Educations       = []Education{EduPrimary, EduJunior, EduSenior, EduVocational, EduCollege, EduBachelor, EduPostgrad}
)

var memberLabels = map[string]string{
	"list:registered": "在册党员", "list:reporting": "报到党员",
	"status:probationary": "预备党员", "status:full": "正式党员",
	"category:in_work": "在职", "category:retired": "离退休", "category:unemployed": "下岗失业",
	"category:student": "学生", "category:other": "其他",
	"mobility:none": "无", "mobility:outflow": "流出党员",
	"reporting:in_work": "在职党员报到", "reporting:inflow": "流入党员",
	"education:primary": "小学及以下", "education:junior": "初中", "education:senior": "高中",
	"education:vocational": "中专", "education:college": "大专", "education:bachelor": "本科",
	"education:postgrad": "研究生",
}

// Label is the list's Chinese name ("" for an unknown one); likewise for the other enumerations.
func (l MemberList) Label() string     { return memberLabels["list:"+string(l)] }
func (s MemberStatus) Label() string   { return memberLabels["status:"+string(s)] }
func (c MemberCategory) Label() string { return memberLabels["category:"+string(c)] }
func (m Mobility) Label() string       { return memberLabels["mobility:"+string(m)] }
func (k ReportingKind) Label() string  { return memberLabels["reporting:"+string(k)] }
func (e Education) Label() string      { return memberLabels["education:"+string(e)] }

// PoliticalStatus is the resident record's political status that agrees with s: a resident on
// the roster is 中共党员 or 预备党员 exactly as the roster says.
func (s MemberStatus) PoliticalStatus() PoliticalStatus {
	if s == MemberFull {
		return StatusPartyMember
	}
	return StatusProbationary
}

// Member is one party member on the registered or the reporting list.
type Member struct {
	ID            int64
	List          MemberList
	ResidentID    int64 // 0 when the member does not live here (or lives here unrecorded)
	Name          string
	Gender        Gender
	BirthDate     time.Time // zero when unknown
	Education     Education
	OrgID         int64
	OrgName       string
	CommunityID   int64
	Status        MemberStatus
	JoinedOn      time.Time // 入党日期; zero when unknown
	FullOn        time.Time // 转正日期; zero while probationary
	Category      MemberCategory
	Mobility      Mobility
	ReportingKind ReportingKind // "" on the registered list
	HomeOrg       string        // reporting: the org the member is registered with
	Workplace     string
	ServicePost   string    // 设岗定责: the post a reporting member took
	ReportedOn    time.Time // reporting: the day the member reported; zero: not yet
	UserID        int64     // the member's own account, 0 for none
	LeftOn        time.Time // zero while current
	LeftReason    string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Current reports whether the member is still on the roster.
func (m *Member) Current() bool { return m.LeftOn.IsZero() }

// MemberInput is what a client sets on a new member. With a ResidentID the name, gender and
// birth date come from the resident record.
type MemberInput struct {
	List          MemberList
	ResidentID    int64
	Name          string
	Gender        Gender
	BirthDate     string // YYYY-MM-DD or ""
	Education     Education
	OrgID         int64
	Status        MemberStatus
	JoinedOn      string // YYYY-MM-DD or ""
	FullOn        string // YYYY-MM-DD or ""; only for full members
	Category      MemberCategory
	Mobility      Mobility
	ReportingKind ReportingKind
	HomeOrg       string
	Workplace     string
	ServicePost   string
	ReportedOn    string // YYYY-MM-DD or ""
}

// Validate checks every field against the others and now (no date in the future) and returns a
// *ValidationError naming every bad field. Empty list and mobility default to registered and
// none.
func (in *MemberInput) Validate(now time.Time) error {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	in.HomeOrg, in.Workplace, in.ServicePost = strings.TrimSpace(in.HomeOrg), strings.TrimSpace(in.Workplace), strings.TrimSpace(in.ServicePost)
	if in.List == "" {
		in.List = ListRegistered
	}
	if in.Mobility == "" {
		in.Mobility = MobilityNone
	}
	if in.List.Label() == "" {
		v.Add("list", "名册应为 registered（在册党员）或 reporting（报到党员）")
	}
	if in.ResidentID == 0 {
		switch n := utf8.RuneCountInString(in.Name); {
		case n == 0:
			v.Add("name", "请填写姓名，或选择本社区的居民")
		case n > 32:
			v.Add("name", "姓名不能超过32个字")
		case strings.ContainsAny(in.Name, "\x00\r\n\t<>"):
			v.Add("name", "姓名不能包含换行、尖括号或控制字符")
		}
		if in.Gender != "" && in.Gender != GenderMale && in.Gender != GenderFemale {
			v.Add("gender", "性别应为 male 或 female")
		}
	}
	if in.OrgID <= 0 {
		v.Add("org_id", "请选择所在党支部或党小组")
	}
	if in.Status.Label() == "" {
		v.Add("status", "党员类别应为 probationary（预备党员）或 full（正式党员）")
	}
	if in.Category.Label() == "" {
		v.Add("category", "人员类型应为：在职、离退休、下岗失业、学生或其他")
	}
	if in.Mobility.Label() == "" {
		v.Add("mobility", "流动情况应为 none 或 outflow（流出党员）")
	}
	if in.Education != "" && in.Education.Label() == "" {
		v.Add("education", "学历应为：小学及以下、初中、高中、中专、大专、本科或研究生")
	}
	birth := checkDate(&v, "birth_date", in.BirthDate, now)
	joined := checkDate(&v, "joined_on", in.JoinedOn, now)
	full := checkDate(&v, "full_on", in.FullOn, now)
	checkDate(&v, "reported_on", in.ReportedOn, now)
	if !birth.IsZero() && !joined.IsZero() && joined.Before(birth.AddDate(18, 0, 0)) {
		v.Add("joined_on", "入党日期应在年满18周岁之后")
	}
	switch {
	case in.Status == MemberProbationary && in.FullOn != "":
		v.Add("full_on", "预备党员还没有转正日期；转正请用“转为正式党员”")
	case !full.IsZero() && !joined.IsZero() && full.Before(joined.AddDate(1, 0, 0)):
		v.Add("full_on", "转正日期应在入党（预备期开始）满一年之后")
	}
	switch in.List {
	case ListRegistered:
		if in.ReportingKind != "" {
			v.Add("reporting_kind", "在册党员没有报到类型；组织关系在别处的党员请登记为报到党员")
		}
	case ListReporting:
		if in.ReportingKind.Label() == "" {
			v.Add("reporting_kind", "报到类型应为 in_work（在职党员报到）或 inflow（流入党员）")
		}
		if in.Mobility != MobilityNone {
			v.Add("mobility", "报到党员的组织关系不在本社区，不登记为流出党员")
		}
		if in.HomeOrg == "" {
			v.Add("home_org", "请填写组织关系所在的党组织")
		}
	}
	for _, f := range []struct{ field, value string }{{"home_org", in.HomeOrg}, {"workplace", in.Workplace}, {"service_post", in.ServicePost}} {
		if utf8.RuneCountInString(f.value) > 64 {
			v.Add(f.field, "不能超过64个字")
		} else if strings.ContainsAny(f.value, "\x00\r\n<>") {
			v.Add(f.field, "不能包含换行、尖括号或控制字符")
		}
	}
	return v.Err()
}

// checkDate parses a YYYY-MM-DD field that may be empty, adding an error for a malformed or
// future date; the zero time for "" or a bad date.
func checkDate(v *ValidationError, field, s string, now time.Time) time.Time {
	if s == "" {
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, s)
	switch {
	case err != nil:
		v.Add(field, "日期应为 YYYY-MM-DD 格式，例如 2015-07-01")
	case d.After(Today(now)):
		v.Add(field, "日期不能晚于今天")
	case d.Year() < 1921:
		v.Add(field, "日期不能早于1921年")
	default:
		return d
	}
	return time.Time{}
}

// MemberPatch changes some of a member's fields; the org is changed only by a transfer and the
// status only by conversion (转正), each with its own history entry.
type MemberPatch struct {
	Name        *string
	Education   *Education
	Category    *MemberCategory
	Mobility    *Mobility
	HomeOrg     *string
	Workplace   *string
	ServicePost *string
	ReportedOn  *string
}

// Empty reports whether p changes nothing.
func (p MemberPatch) Empty() bool { return p == MemberPatch{} }

// Input returns m's fields as the input that would create it, for a patch to apply to.
func (m *Member) Input() MemberInput {
	in := MemberInput{List: m.List, ResidentID: m.ResidentID, Name: m.Name, Gender: m.Gender, Education: m.Education, OrgID: m.OrgID,
		Status: m.Status, Category: m.Category, Mobility: m.Mobility, ReportingKind: m.ReportingKind, HomeOrg: m.HomeOrg,
		Workplace: m.Workplace, ServicePost: m.ServicePost, BirthDate: dateString(m.BirthDate), JoinedOn: dateString(m.JoinedOn),
		FullOn: dateString(m.FullOn), ReportedOn: dateString(m.ReportedOn)}
	return in
}

// Apply sets the fields present in p on in.
func (p MemberPatch) Apply(in *MemberInput) {
	setIf(&in.Name, p.Name)
	setIf(&in.Education, p.Education)
	setIf(&in.Category, p.Category)
	setIf(&in.Mobility, p.Mobility)
	setIf(&in.HomeOrg, p.HomeOrg)
	setIf(&in.Workplace, p.Workplace)
	setIf(&in.ServicePost, p.ServicePost)
	setIf(&in.ReportedOn, p.ReportedOn)
}

func dateString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// Money is integer fen (分); a yuan amount with more than two decimals is refused, never rounded.

// ParseYuan parses a non-negative yuan amount ("3500", "3500.5", "3500.50") into fen. It
// returns a Chinese reason for anything else: a sign, a fraction of a fen (three or more
// decimals), letters, or more than 100 million yuan.
func ParseYuan(s string) (int64, string) {
	s = strings.TrimSpace(s)
	whole, frac, dot := strings.Cut(s, ".")
	switch {
	case s == "":
		return 0, "请填写金额（元）"
	case dot && len(frac) > 2:
		return 0, "金额最小单位为分，最多两位小数"
	case whole == "" || !allDigits(whole) || (dot && (frac == "" || !allDigits(frac))):
		return 0, "金额应为不带符号的数字，例如 3500 或 12.50"
	case len(whole) > 9:
		return 0, "金额过大"
	}
	yuan, _ := strconv.ParseInt(whole, 10, 64)
	fen := int64(0)
	if dot {
		for len(frac) < 2 {
			frac += "0"
		}
		fen, _ = strconv.ParseInt(frac, 10, 64)
	}
	return yuan*100 + fen, ""
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// FormatYuan shows fen as yuan with two decimals: 1234 → "12.34".
func FormatYuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + strconv.FormatInt(fen/100, 10) + "." + strconv.FormatInt(fen%100/10, 10) + strconv.FormatInt(fen%10, 10)
}

// MinimumDuesFen is the monthly dues of students, unemployed members and members on
// subsistence allowances: 0.2 yuan.
const MinimumDuesFen = 20

// DuesRate is the monthly dues rate in per-mille of the declared monthly income for a member of
// category, by the published table: in work (and other members with an income) ≤3,000 yuan
// 5‰, ≤5,000 10‰, ≤10,000 15‰, above 20‰; retired ≤5,000 5‰, above 10‰. It is 0 for the
// categories that pay the fixed minimum (students, unemployed) and for subsistence.
func DuesRate(category MemberCategory, incomeFen int64, subsistence bool) int64 {
	if subsistence {
		return 0
	}
	switch category {
	case CategoryStudent, CategoryUnemployed:
		return 0
	case CategoryRetired:
		if incomeFen <= 5000_00 {
			return 5
		}
		return 10
	}
	switch {
	case incomeFen <= 3000_00:
		return 5
	case incomeFen <= 5000_00:
		return 10
	case incomeFen <= 10000_00:
		return 15
	}
	return 20
}

// MonthlyDues is the monthly dues in fen for a member of category with a declared monthly
// income of incomeFen (rounded half up to the fen): the fixed 0.2 yuan for students, unemployed
// members and members on subsistence allowances, else DuesRate of the income, at least 1 fen
// for an income above zero.
func MonthlyDues(category MemberCategory, incomeFen int64, subsistence bool) int64 {
	rate := DuesRate(category, incomeFen, subsistence)
	if rate == 0 {
		return MinimumDuesFen
	}
	if incomeFen <= 0 {
		return 0
	}
	fen := (incomeFen*rate + 500) / 1000
	return max(fen, 1)
}

// Today is the date of now in Asia/Shanghai as midnight UTC, the form dates are parsed and stored
// in: a date is in the future when it is after Today.
func Today(now time.Time) time.Time {
	n := now.In(Shanghai)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
}
