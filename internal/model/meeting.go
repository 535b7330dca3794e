package model

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// MeetingType is the kind of a meeting: one of the Party organization's four kinds of
// organizational life (三会一课), or one of the residents' (villagers') committee's own meetings.
type MeetingType string

// The Party organization's: 支部党员大会, 支委会, 党小组会, 党课.
const (
	BranchAssembly   MeetingType = "branch_assembly"
	CommitteeMeeting MeetingType = "committee_meeting"
	GroupMeeting     MeetingType = "group_meeting"
	PartyLecture     MeetingType = "party_lecture"
)

// The residents' committee's (居民委员会; in a village the villagers' committee, 村民委员会):
// 居民委员会会议, 居民代表会议, 居民会议 (村民委员会会议, 村民代表会议, 村民会议).
const (
	ResidentsCommittee       MeetingType = "residents_committee"
	ResidentsRepresentatives MeetingType = "residents_representatives"
	ResidentsAssembly        MeetingType = "residents_assembly"
)

// MeetingTypes lists the Party organization's types in the order pages show them.
var MeetingTypes = []MeetingType{BranchAssembly, CommitteeMeeting, GroupMeeting, PartyLecture}

// CommitteeMeetingTypes lists the committee's types in the order pages show them.
var CommitteeMeetingTypes = []MeetingType{ResidentsCommittee, ResidentsRepresentatives, ResidentsAssembly}

// MeetingTypesFor lists the types a meeting owned by body may have (none for an unknown body).
func MeetingTypesFor(body OwnerBody) []MeetingType {
	switch body {
	case OwnerParty:
		return MeetingTypes
	case OwnerCommittee:
		return CommitteeMeetingTypes
	}
	return nil
}

var meetingTypeLabels = map[MeetingType]string{
	BranchAssembly: "支部党员大会", CommitteeMeeting: "支委会", GroupMeeting: "党小组会", PartyLecture: "党课",
	ResidentsCommittee: "居民委员会会议", ResidentsRepresentatives: "居民代表会议", ResidentsAssembly: "居民会议",
}

var villageMeetingTypeLabels = map[MeetingType]string{
	ResidentsCommittee: "村民委员会会议", ResidentsRepresentatives: "村民代表会议", ResidentsAssembly: "村民会议",
}

// Valid reports whether t is a known type (of either body).
func (t MeetingType) Valid() bool { _, ok := meetingTypeLabels[t]; return ok }

// Body is the body whose meetings are of type t ("" for an unknown type).
func (t MeetingType) Body() OwnerBody {
	switch {
	case slices.Contains(MeetingTypes, t):
		return OwnerParty
	case slices.Contains(CommitteeMeetingTypes, t):
		return OwnerCommittee
	}
	return ""
}

// Label is the type's Chinese name (a committee's type as a residents' committee names it).
func (t MeetingType) Label() string { return meetingTypeLabels[t] }

// LabelIn is the type's Chinese name in a community whose body is of kind k: a villagers'
// committee's meetings are 村民委员会会议, 村民代表会议, 村民会议.
func (t MeetingType) LabelIn(k BodyKind) string {
	if l, ok := villageMeetingTypeLabels[t]; ok && k == BodyVillagers {
		return l
	}
	return meetingTypeLabels[t]
}

// Key is the type's message key suffix in a community whose body is of kind k (the village
// names of the committee's types end in "_village").
func (t MeetingType) Key(k BodyKind) string {
	if _, ok := villageMeetingTypeLabels[t]; ok && k == BodyVillagers {
		return string(t) + "_village"
	}
	return string(t)
}

// meetingTypeMessage is the field error for a type that is not the body's.
func meetingTypeMessage(body OwnerBody) string {
	if body == OwnerCommittee {
		return "居（村）委会的会议类型应为居民委员会会议、居民代表会议或居民会议（村为村民委员会会议、村民代表会议、村民会议），支部党员大会、支委会、党小组会、党课是党组织的会议"
	}
	return "党组织的会议类型应为支部党员大会、支委会、党小组会或党课，居（村）民委员会会议、代表会议和居（村）民会议是居（村）委会的会议"
}

// CheckMeetingType checks that typ is a type of body's meetings (body already valid): a
// *ValidationError on "type" otherwise.
func CheckMeetingType(body OwnerBody, typ MeetingType) error {
	if typ.Body() != body {
		return &ValidationError{Fields: []FieldError{{Field: "type", Message: meetingTypeMessage(body)}}}
	}
	return nil
}

// DefaultMeetingMonths is how often each type is expected, in months, unless a community sets
// its own: committee and group meetings monthly, branch assemblies and lectures quarterly.
var DefaultMeetingMonths = map[MeetingType]int{
	BranchAssembly: 3, CommitteeMeeting: 1, GroupMeeting: 1, PartyLecture: 3,
}

// MeetingStatus is where a meeting stands.
type MeetingStatus string

// A meeting is scheduled until it is closed (held; no more check-ins) or cancelled.
const (
	MeetingScheduled MeetingStatus = "scheduled"
	MeetingClosed    MeetingStatus = "closed"
	MeetingCancelled MeetingStatus = "cancelled"
)

var meetingStatusLabels = map[MeetingStatus]string{
	MeetingScheduled: "待召开", MeetingClosed: "已结束", MeetingCancelled: "已取消",
}

// Label is the status's Chinese name.
func (s MeetingStatus) Label() string { return meetingStatusLabels[s] }

// Valid reports whether s is a known status.
func (s MeetingStatus) Valid() bool { _, ok := meetingStatusLabels[s]; return ok }

// Meeting is one meeting of an org. Path and CommunityID are the org's (scope).
type Meeting struct {
	ID          int64
	OrgID       int64
	OrgName     string
	Path        string
	CommunityID int64
	Type        MeetingType
	Body        OwnerBody // the owning body: the Party organization unless the committee holds it
	BodyKind    BodyKind  // the community's body (a villagers' committee names the committee's meetings 村民…)
	Title       string
	StartsAt    time.Time
	EndsAt      time.Time
	ClosesAt    time.Time // no check-in after this moment
	Place       string
	SeriesID    int64
	Minutes     string
	Status      MeetingStatus
	Attendees   int
	CreatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TypeLabel is the meeting's type as its community names it.
func (m *Meeting) TypeLabel() string { return m.Type.LabelIn(m.BodyKind) }

// TypeKey is the meeting's type's message key suffix (see MeetingType.Key).
func (m *Meeting) TypeKey() string { return m.Type.Key(m.BodyKind) }

// CheckinOpen reports whether a member may check in at t.
func (m *Meeting) CheckinOpen(t time.Time) bool {
	return m.Status == MeetingScheduled && t.Before(m.ClosesAt) && !t.Before(m.StartsAt.Add(-CheckinLead))
}

// CheckinLead is how long before the start check-in opens.
const CheckinLead = time.Hour

// CheckinGrace is how long after the end check-in stays open unless the schedule says otherwise.
const CheckinGrace = 30 * time.Minute

// Repeat is how a schedule generates a series of meetings.
type Repeat string

// A schedule is one meeting, or a series of Count meetings a month or a quarter apart.
const (
	RepeatNone      Repeat = ""
	RepeatMonthly   Repeat = "monthly"
	RepeatQuarterly Repeat = "quarterly"
)

// MaxSeries bounds the meetings one schedule generates (two years of monthly meetings).
const MaxSeries = 24

// MeetingInput is what a schedule form or API call gives.
type MeetingInput struct {
	OrgID    int64
	Type     MeetingType
	Body     OwnerBody // "": the Party organization
	Title    string
	StartsAt time.Time
	EndsAt   time.Time
	Place    string
	Repeat   Repeat
	Count    int // meetings in the series (Repeat set), 1 otherwise
}

// Validate checks the input; every problem is one field error in Chinese.
func (in *MeetingInput) Validate() error {
	ve := &ValidationError{}
	in.Title = strings.TrimSpace(in.Title)
	in.Place = strings.TrimSpace(in.Place)
	if in.OrgID <= 0 {
		ve.Add("org_id", "请选择召开会议的党组织")
	}
	def := OwnerParty
	if in.Type.Body() == OwnerCommittee {
		def = OwnerCommittee // a committee's type says whose meeting it is
	}
	if in.Body = OwnerBodyOr(in.Body, def); !in.Body.Valid() {
		ve.Add("body", ownerBodyMessage)
	} else if in.Type.Body() != in.Body {
		ve.Add("type", meetingTypeMessage(in.Body))
	}
	if in.Title == "" {
		ve.Add("title", "请填写会议主题")
	} else if utf8.RuneCountInString(in.Title) > 100 {
		ve.Add("title", "会议主题最多 100 个字")
	}
	if utf8.RuneCountInString(in.Place) > 100 {
		ve.Add("place", "地点最多 100 个字")
	}
	switch {
	case in.StartsAt.IsZero():
		ve.Add("starts_at", "请填写开始时间，如 2026-12-05 19:30")
	case in.EndsAt.IsZero():
		ve.Add("ends_at", "请填写结束时间，如 2026-12-05 21:00")
	case !in.EndsAt.After(in.StartsAt):
		ve.Add("ends_at", "结束时间应晚于开始时间")
	case in.EndsAt.Sub(in.StartsAt) > 12*time.Hour:
		ve.Add("ends_at", "一次会议最长 12 小时")
	}
	switch in.Repeat {
	case RepeatNone:
		in.Count = 1
	case RepeatMonthly, RepeatQuarterly:
		if in.Count < 2 || in.Count > MaxSeries {
			ve.Add("count", "重复次数应在 2 到 24 之间")
		}
	default:
		ve.Add("repeat", "重复方式应为不重复、每月或每季度")
	}
	return ve.Err()
}

// MeetingBodyInput moves a meeting to another owning body, and with it to one of that body's
// types (Type "": the meeting's type stays, when it is one of the body's).
type MeetingBodyInput struct {
	Body OwnerBody
	Type MeetingType
}

// Validate checks the input against the meeting's current type cur, filling Type from it when
// empty; every problem is one field error in Chinese.
func (in *MeetingBodyInput) Validate(cur MeetingType) error {
	if !in.Body.Valid() {
		return &ValidationError{Fields: []FieldError{{Field: "body", Message: ownerBodyMessage}}}
	}
	if in.Type == "" {
		in.Type = cur
		if cur.Body() != in.Body {
			return &ValidationError{Fields: []FieldError{{Field: "type", Message: "改为" + in.Body.Label() + "的会议，请同时选择" + in.Body.Label() + "的会议类型"}}}
		}
	}
	return CheckMeetingType(in.Body, in.Type)
}

// Occurrences returns the start and end of every meeting of the series: the same local
// (Asia/Shanghai) clock time, a month or a quarter apart.
func (in *MeetingInput) Occurrences() [][2]time.Time {
	step := 0
	switch in.Repeat {
	case RepeatMonthly:
		step = 1
	case RepeatQuarterly:
		step = 3
	}
	n := max(in.Count, 1)
	d := in.EndsAt.Sub(in.StartsAt)
	s := in.StartsAt.In(Shanghai)
	out := make([][2]time.Time, 0, n)
	for i := range n {
		t := s.AddDate(0, i*step, 0).UTC()
		out = append(out, [2]time.Time{t, t.Add(d)})
	}
	return out
}

// Attendance is one member present at a meeting.
type Attendance struct {
	MeetingID   int64
	MemberID    int64
	MemberName  string
	Method      string // qr | staff
	RecordedBy  int64
	CheckedInAt time.Time
}

// CheckinMethodLabel names how a check-in was recorded.
func CheckinMethodLabel(m string) string {
	if m == "staff" {
		return "工作人员登记"
	}
	return "扫码签到"
}

// MeetingDue is when the next meeting of a type expected every months months falls due after
// one held at last: months calendar months later (time.AddDate's calendar).
func MeetingDue(last time.Time, months int) time.Time { return last.AddDate(0, months, 0) }

// MeetingOverdue is the compliance rule: an org is overdue with a type of meeting expected every
// months months at now when it held none (last nil) or the next one fell due (MeetingDue)
// before now. The analytics count it on the maintained due dates (store/analytics.go).
func MeetingOverdue(last *time.Time, months int, now time.Time) bool {
	return last == nil || MeetingDue(*last, months).Before(now)
}

// Compliance is one org's organizational life against the expected frequency of one type.
type Compliance struct {
	OrgID      int64
	OrgName    string
	OrgKind    string
	Type       MeetingType
	Months     int        // expected every this many months
	Last       *time.Time // the last meeting held (closed), nil when none
	Overdue    bool
	HeldInYear int // meetings held in the last twelve months
}
