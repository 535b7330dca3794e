package model

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Community bodies (issue 12 item 4): the residents' committee (居民委员会; in a village the
// villagers' committee, 村民委员会) as a body of its own beside the community's Party committee,
// so that the community can show it acting for residents in its own right. A body serves in
// terms, each elected (election date and result); its members hold posts; a member who, by the
// person the two records name, also holds a post on the community's Party committee is a cross
// appointment (交叉任职), found from those links, never typed by hand. Decisions, meetings and
// tasks are recorded per body.

// BodyKind is which self-governing body a community has.
type BodyKind string

// The kinds.
const (
	BodyResidents BodyKind = "residents" // 居民委员会
	BodyVillagers BodyKind = "villagers" // 村民委员会
)

// Label is the body's Chinese name.
func (k BodyKind) Label() string {
	if k == BodyVillagers {
		return "村民委员会"
	}
	return "居民委员会"
}

// BodyKindOf is the body of a community with the 12-digit statistical code code: a villagers'
// committee for village-level codes 200–399 (the bureau's ranges, as division.KindOf reads
// them), a residents' committee otherwise (and without a code).
func BodyKindOf(code string) BodyKind {
	if len(code) == 12 && code[9] >= '2' && code[9] <= '3' {
		return BodyVillagers
	}
	return BodyResidents
}

// BodyPost is a post on a residents' or villagers' committee.
type BodyPost string

// The posts, in the order a committee lists them.
const (
	BodyDirector  BodyPost = "director" // 主任
	BodyDeputy    BodyPost = "deputy"   // 副主任
	BodyCommittee BodyPost = "member"   // 委员
)

// BodyPosts lists the posts in order.
var BodyPosts = []BodyPost{BodyDirector, BodyDeputy, BodyCommittee}

// Valid reports whether p is a known post.
func (p BodyPost) Valid() bool { return slices.Contains(BodyPosts, p) }

// Label is the post's Chinese name.
func (p BodyPost) Label() string {
	switch p {
	case BodyDirector:
		return "主任"
	case BodyDeputy:
		return "副主任"
	case BodyCommittee:
		return "委员"
	}
	return ""
}

// BodyTerm is one term of a community's body.
type BodyTerm struct {
	ID             int64
	CommunityID    int64
	CommunityName  string
	Path           string
	Kind           BodyKind
	StartsOn       string // YYYY-MM-DD
	EndsOn         string // YYYY-MM-DD
	ElectedOn      string // YYYY-MM-DD
	ElectionResult string // e.g. "应到选民 2310 人，实到 1986 人，7 人当选"
	Members        []*BodyMember
	CreatedAt      time.Time
}

// Current reports whether the term runs on day (YYYY-MM-DD).
func (t *BodyTerm) Current(day string) bool { return t.StartsOn <= day && day <= t.EndsOn }

// CrossAppointed counts the term's members who also hold a Party committee post.
func (t *BodyTerm) CrossAppointed() int {
	n := 0
	for _, m := range t.Members {
		if m.PartyPost != "" {
			n++
		}
	}
	return n
}

// BodyMember is a member of a body's term. ResidentID and PartyMemberID link the person; the
// cross appointment (PartyPost) is read from the Party committee's posts through them.
type BodyMember struct {
	ID            int64
	TermID        int64
	Post          BodyPost
	Name          string
	ResidentID    int64
	PartyMemberID int64
	// PartyPost is the post the same person holds on the community's Party committee now
	// ("" for none): a cross appointment (交叉任职).
	PartyPost PostKind
}

// BodyTermInput is a new term with its elected members.
type BodyTermInput struct {
	CommunityID    int64
	StartsOn       string
	EndsOn         string
	ElectedOn      string
	ElectionResult string
	Members        []BodyMemberInput
}

// BodyMemberInput is an elected member.
type BodyMemberInput struct {
	Post          BodyPost
	Name          string
	ResidentID    int64
	PartyMemberID int64
}

// Validate checks the term on its own: dates in order (a term of at most five years, the
// election before it starts), exactly one director, every member named with a post.
func (in *BodyTermInput) Validate() error {
	var v ValidationError
	in.ElectionResult = strings.TrimSpace(in.ElectionResult)
	day := func(field, s string) time.Time {
		d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
		if err != nil {
			v.Add(field, "日期格式应为 2026-03-01")
		}
		return d
	}
	start, end, elected := day("starts_on", in.StartsOn), day("ends_on", in.EndsOn), day("elected_on", in.ElectedOn)
	switch {
	case !end.After(start):
		v.Add("ends_on", "届期结束应晚于开始")
	case end.After(start.AddDate(5, 0, 0)):
		v.Add("ends_on", "每届任期不超过五年")
	}
	if elected.After(start) {
		v.Add("elected_on", "选举日期应在届期开始之前或当天")
	}
	if utf8.RuneCountInString(in.ElectionResult) > 500 {
		v.Add("election_result", "选举结果不能超过500个字")
	}
	directors := 0
	for i := range in.Members {
		m := &in.Members[i]
		m.Name = strings.TrimSpace(m.Name)
		if !m.Post.Valid() {
			v.Add("members", "职务应为 director（主任）、deputy（副主任）或 member（委员）")
			break
		}
		if m.Name == "" || utf8.RuneCountInString(m.Name) > 32 {
			v.Add("members", "请填写每位成员的姓名（不超过32个字）")
			break
		}
		if m.Post == BodyDirector {
			directors++
		}
	}
	if len(in.Members) > 0 && directors != 1 {
		v.Add("members", "每届应有且只有一名主任")
	}
	if len(in.Members) > 25 {
		v.Add("members", "成员不能超过25人")
	}
	return v.Err()
}

// BodyDecisionKind is what a body's record is.
type BodyDecisionKind string

// The kinds.
const (
	DecisionMeeting  BodyDecisionKind = "meeting"  // 会议
	DecisionDecision BodyDecisionKind = "decision" // 决定
	DecisionTask     BodyDecisionKind = "task"     // 任务
)

// Valid reports whether k is a known kind.
func (k BodyDecisionKind) Valid() bool {
	return k == DecisionMeeting || k == DecisionDecision || k == DecisionTask
}

// Label is the kind's Chinese name.
func (k BodyDecisionKind) Label() string {
	switch k {
	case DecisionMeeting:
		return "会议"
	case DecisionDecision:
		return "决定"
	case DecisionTask:
		return "任务"
	}
	return ""
}

// BodyDecision is a meeting, decision or task the body owns.
type BodyDecision struct {
	ID          int64
	TermID      int64
	CommunityID int64
	Kind        BodyDecisionKind
	On          string // YYYY-MM-DD
	Title       string
	Content     string
	CreatedAt   time.Time
}

// BodyDecisionInput is a record to add to a term.
type BodyDecisionInput struct {
	Kind    BodyDecisionKind
	On      string
	Title   string
	Content string
}

// Validate checks the record on its own.
func (in *BodyDecisionInput) Validate() error {
	var v ValidationError
	in.Title, in.Content, in.On = strings.TrimSpace(in.Title), strings.TrimSpace(in.Content), strings.TrimSpace(in.On)
	if !in.Kind.Valid() {
		v.Add("kind", "类型应为 meeting（会议）、decision（决定）或 task（任务）")
	}
	if _, err := time.Parse(time.DateOnly, in.On); err != nil {
		v.Add("date", "日期格式应为 2026-03-01")
	}
	if n := utf8.RuneCountInString(in.Title); n == 0 || n > 80 {
		v.Add("title", "请填写标题（不超过80个字）")
	}
	if utf8.RuneCountInString(in.Content) > 2000 {
		v.Add("content", "内容不能超过2000个字")
	}
	return v.Err()
}

// OwnerBody is which community body owns a meeting or a handed-down task: the Party
// organization (党组织) or the residents' or villagers' committee (居委会/村委会), so the
// community can show the committee acting for residents in its own right.
type OwnerBody string

// The owning bodies, in the order pages list them.
const (
	OwnerParty     OwnerBody = "party"     // 党组织
	OwnerCommittee OwnerBody = "committee" // 居（村）民委员会
)

// OwnerBodies lists the owning bodies in order.
var OwnerBodies = []OwnerBody{OwnerParty, OwnerCommittee}

// Valid reports whether b is a known owning body.
func (b OwnerBody) Valid() bool { return slices.Contains(OwnerBodies, b) }

// Label is the body's short Chinese name.
func (b OwnerBody) Label() string {
	switch b {
	case OwnerParty:
		return "党组织"
	case OwnerCommittee:
		return "居（村）委会"
	}
	return ""
}

// OwnerBodyOr is b, or def when b is empty (an input that does not say).
func OwnerBodyOr(b, def OwnerBody) OwnerBody {
	if b == "" {
		return def
	}
	return b
}

// ownerBodyMessage is the field error for an unknown owning body.
const ownerBodyMessage = "归属主体应为党组织或居（村）委会"

// BodyOwned is what a community's residents' (villagers') committee owns in its own right:
// the handed-down tasks and the meetings (not cancelled) recorded as the committee's, and the
// entries (meetings, decisions, tasks) of its terms' records.
type BodyOwned struct {
	Tasks     int
	Meetings  int
	Decisions int
}
