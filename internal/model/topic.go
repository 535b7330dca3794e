package model

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Topics of compound affairs (议题, issue 11 item 1). A topic is raised over a territory — a
// street, community, grid, compound, building or stairwell — by a resident, member or unit
// leader of a household under it, or by staff and grid leaders in their territory; neighbours
// discuss it in replies (one level); a moderator (staff) hides a topic or a reply with a stated
// reason and never deletes it; anyone who reads a topic may follow it (notified of replies and
// of its vote); staff turn a topic into a proposal that goes to a vote (Topic.VoteID, set once).

// Limits of a topic's texts.
const (
	TopicTitleMax  = 100  // runes of a topic's title
	TopicBodyMax   = 5000 // runes of a topic's or a reply's body
	TopicReasonMax = 200  // runes of the reason a post was hidden
)

// HiddenText is what readers who do not moderate see instead of a hidden post.
func HiddenText(reason string) string { return "此内容已被隐藏：" + reason }

// TopicPost is what a topic and a reply share: who wrote it, when, and whether a moderator
// hid it. A hidden post keeps its text in the database; the store withholds it (Withheld)
// from every reader but the moderators of its territory, who see it with the reason.
type TopicPost struct {
	ID           int64
	Body         string
	AuthorID     int64  // the author's account (0: the system)
	AuthorName   string // the display name the author's account chose, never a resident's record
	AuthorRole   Role
	CreatedAt    time.Time
	HiddenAt     *time.Time
	HiddenReason string
	Withheld     bool // hidden, and the text withheld from the caller
	Mine         bool // written by the caller's account
}

// Hidden reports whether a moderator hid the post.
func (p TopicPost) Hidden() bool { return p.HiddenAt != nil }

// HiddenNotice is "此内容已被隐藏：<reason>".
func (p TopicPost) HiddenNotice() string { return HiddenText(p.HiddenReason) }

// AuthorLabel is how a post's author is introduced: staff by role, the rest by name.
func (p TopicPost) AuthorLabel() string {
	switch p.AuthorRole {
	case RoleResident, RoleMember, RoleUnitLeader, "":
		return p.AuthorName
	}
	return p.AuthorName + "（" + p.AuthorRole.Label() + "）"
}

// Topic is a topic of compound affairs.
type Topic struct {
	TopicPost
	Title         string
	TerritoryID   int64
	TerritoryName string
	TerritoryKind TerritoryKind
	Path          string
	CommunityID   int64
	Replies       int
	Followers     int
	LastReplyAt   *time.Time
	VoteID        int64 // the vote it became (0: none yet)
	VoteTitle     string
	VoteStatus    VoteStatus
	ProposedAt    *time.Time
	// Caller is the caller's standing: set by the store for the caller who read it.
	Caller TopicCaller
}

// TopicCaller is what the caller may do with a topic.
type TopicCaller struct {
	Following bool
	Moderate  bool // staff whose territory holds the topic: hide, unhide, propose; see hidden text
	Reply     bool // may reply (the topic is not hidden)
}

// TopicReply is a reply to a topic.
type TopicReply struct {
	TopicPost
	TopicID int64
}

// TopicStatus is where a topic stands, derived: under discussion, or proposed to a vote.
func (t *Topic) Status() string {
	if t.VoteID != 0 {
		return "proposed"
	}
	return "open"
}

// StatusLabel is the status in Chinese.
func (t *Topic) StatusLabel() string {
	if t.VoteID != 0 {
		return "已转为表决"
	}
	return "讨论中"
}

// TopicInput raises a topic.
type TopicInput struct {
	TerritoryID int64
	Title       string
	Body        string
}

// Validate trims the input and names every bad field.
func (in *TopicInput) Validate() error {
	in.Title, in.Body = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	e := &ValidationError{}
	if in.TerritoryID <= 0 {
		e.Add("territory_id", "请选择议题的范围（小区、网格、社区或街道）")
	}
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		e.Add("title", "请填写议题标题，一句话说清要商量的事")
	case n > TopicTitleMax:
		e.Add("title", "议题标题最多 100 字，请精简")
	}
	checkTopicBody(e, in.Body, "议题内容")
	return e.Err()
}

// ValidateTopicReply trims a reply's body and checks it.
func ValidateTopicReply(body string) (string, error) {
	body = strings.TrimSpace(body)
	e := &ValidationError{}
	checkTopicBody(e, body, "回复内容")
	return body, e.Err()
}

func checkTopicBody(e *ValidationError, s, what string) {
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		e.Add("body", "请填写"+what)
	case n > TopicBodyMax:
		e.Add("body", what+"最多 5000 字，请精简或分成几条")
	}
}

// ValidateTopicHideReason trims the reason a post is hidden; it must be given, since every
// reader sees it in the post's place.
func ValidateTopicHideReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	e := &ValidationError{}
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		e.Add("reason", "请填写隐藏的理由，居民会在原处看到它")
	case n > TopicReasonMax:
		e.Add("reason", "隐藏理由最多 200 字")
	}
	return reason, e.Err()
}
