package model

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Notices (公告, issue 11 item 4). Staff publish a notice to a territory subtree — a compound,
// a grid, a community, a street — pinned or not; the households under it read it on their
// phones, and each household's first reading is its read receipt (已读), so staff see how many
// of the households it went to have read it, and which have not. A notice marked public also
// appears on the community's public disclosure page (居务公开). A notice is never deleted: staff
// withdraw it with a reason.

// NoticeStatus is where a notice stands.
type NoticeStatus string

// The statuses of a notice.
const (
	NoticePublished NoticeStatus = "published"
	NoticeWithdrawn NoticeStatus = "withdrawn"
)

var noticeStatusLabels = map[NoticeStatus]string{NoticePublished: "已发布", NoticeWithdrawn: "已撤回"}

// Label is the status's Chinese name.
func (s NoticeStatus) Label() string { return noticeStatusLabels[s] }

// Notice is one notice.
type Notice struct {
	ID              int64
	Title           string
	Body            string
	TerritoryID     int64
	TerritoryName   string
	Path            string
	CommunityID     int64
	Pinned          bool
	Public          bool
	Status          NoticeStatus
	Audience        int // households under the territory when it was published
	Reads           int // of them, those that have read it
	PublishedAt     time.Time
	PublishedByName string
	WithdrawnAt     *time.Time
	WithdrawReason  string
	// Read: the caller's household has read it (set for callers with a household).
	Read bool
}

// ReadShare is the share of the audience that has read the notice, 0–100.
func (n *Notice) ReadShare() int {
	if n.Audience == 0 {
		return 0
	}
	return min(100, n.Reads*100/n.Audience)
}

// NoticeInput publishes a notice.
type NoticeInput struct {
	Title       string
	Body        string
	TerritoryID int64
	Pinned      bool
	Public      bool
}

// Validate checks the input and trims it.
func (in *NoticeInput) Validate() error {
	v := &ValidationError{}
	in.Title, in.Body = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		v.Add("title", "请填写公告标题")
	case n > 100:
		v.Add("title", "公告标题不能超过 100 个字")
	}
	switch n := utf8.RuneCountInString(in.Body); {
	case n == 0:
		v.Add("body", "请填写公告内容")
	case n > 10000:
		v.Add("body", "公告内容不能超过 10000 个字")
	}
	if in.TerritoryID <= 0 {
		v.Add("territory_id", "请选择公告发给哪里（街道、社区、网格、小区、楼栋或单元）")
	}
	return v.Err()
}
