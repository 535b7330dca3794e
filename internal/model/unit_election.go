package model

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Unit leader elections (issue 9 item 2). One household, one vote, and the vote is secret: the
// store keeps which households voted (so that none votes twice) apart from the candidates'
// tallies (so that no vote can be linked to a household), and shows the tallies only once the
// election has closed.

// ElectionStatus is where an election stands.
type ElectionStatus string

// The statuses of an election.
const (
	ElectionOpen      ElectionStatus = "open"
	ElectionClosed    ElectionStatus = "closed"
	ElectionCancelled ElectionStatus = "cancelled"
)

var electionStatusLabels = map[ElectionStatus]string{ElectionOpen: "投票中", ElectionClosed: "已结束", ElectionCancelled: "已取消"}

// Label is the status's Chinese name.
func (s ElectionStatus) Label() string { return electionStatusLabels[s] }

// ElectionResult is how a closed election ended.
type ElectionResult string

// The results of a closed election.
const (
	ResultElected ElectionResult = "elected" // one candidate had the most votes: the unit's leader
	ResultTie     ElectionResult = "tie"     // two or more shared the most votes: staff appoint or call a new election
	ResultNoVotes ElectionResult = "no_votes"
)

var electionResultLabels = map[ElectionResult]string{ResultElected: "选出小组长", ResultTie: "票数相同，未选出", ResultNoVotes: "无人投票，未选出"}

// Label is the result's Chinese name.
func (r ElectionResult) Label() string { return electionResultLabels[r] }

// Term bounds of a unit leader, in months.
const (
	MinTermMonths     = 6
	MaxTermMonths     = 60
	DefaultTermMonths = 36
)

// UnitCandidate is one household head standing in an election.
type UnitCandidate struct {
	ID          int64
	HouseholdID int64
	ResidentID  int64
	Name        string
	Address     string
	// Votes is the candidate's tally: nil while the election is open (a tally seen during the
	// vote would tell, before and after a household voted, whom it chose).
	Votes *int
}

// UnitElection is one election of a unit's leader.
type UnitElection struct {
	ID          int64
	UnitID      int64
	UnitName    string
	CommunityID int64
	Path        string // the unit's anchor path at opening: the election lies where the unit does
	OpensAt     time.Time
	ClosesAt    time.Time
	TermMonths  int
	Status      ElectionStatus
	// Households is the number of the unit's households when the election opened; Voted how
	// many of them have voted (turnout, shown at any time).
	Households int
	Voted      int
	Result     ElectionResult // "" while open
	// WinnerID is the elected candidate (0: none).
	WinnerID   int64
	Candidates []UnitCandidate
	// HouseholdVoted says whether the caller's own household has voted (for a voter's page;
	// never whom it chose).
	HouseholdVoted bool
	ClosedAt       *time.Time
	CreatedAt      time.Time
}

// Due reports whether an open election's closing time has passed at now.
func (e *UnitElection) Due(now time.Time) bool {
	return e.Status == ElectionOpen && !now.Before(e.ClosesAt)
}

// Closable reports whether staff may close the open election at now: at or after its closing
// time, or before it once every household of the election has voted. Closing early with
// households still to vote would let whoever follows the turnout household by household (staff
// do) read a choice off the tallies: close right after the one household watched has voted.
func (e *UnitElection) Closable(now time.Time) bool {
	return e.Status == ElectionOpen && (!now.Before(e.ClosesAt) || e.Voted >= e.Households)
}

// ErrEarlyClose refuses closing an election early while households are still to vote (see
// Closable).
var ErrEarlyClose = &ConflictError{Message: "截止时间之前，只有全部住户都已投票才能提前结束选举：否则从计票结果能推算出刚投票住户的选择"}

// Accepting reports whether the election takes votes at now.
func (e *UnitElection) Accepting(now time.Time) bool {
	return e.Status == ElectionOpen && !now.Before(e.OpensAt) && now.Before(e.ClosesAt)
}

// Winner returns the elected candidate, nil when there is none.
func (e *UnitElection) Winner() *UnitCandidate {
	for i := range e.Candidates {
		if e.Candidates[i].ID == e.WinnerID && e.WinnerID != 0 {
			return &e.Candidates[i]
		}
	}
	return nil
}

// ElectionInput opens an election. An empty Candidates means every household head of the unit.
type ElectionInput struct {
	OpensAt    time.Time // zero: now
	ClosesAt   time.Time
	TermMonths int
	Candidates []int64 // resident ids of household heads of the unit
}

// Validate checks the input against now.
func (in ElectionInput) Validate(now time.Time) error {
	v := &ValidationError{}
	opens := in.OpensAt
	if opens.IsZero() {
		opens = now
	}
	switch {
	case in.ClosesAt.IsZero():
		v.Add("closes_at", "请填写投票截止时间")
	case !in.ClosesAt.After(opens):
		v.Add("closes_at", "截止时间应晚于开始时间")
	case !in.ClosesAt.After(now):
		v.Add("closes_at", "截止时间应晚于现在")
	case in.ClosesAt.Sub(opens) > 90*24*time.Hour:
		v.Add("closes_at", "投票期不能超过 90 天")
	}
	if in.TermMonths < MinTermMonths || in.TermMonths > MaxTermMonths {
		v.Add("term_months", "任期应为 6 到 60 个月")
	}
	seen := map[int64]bool{}
	for _, id := range in.Candidates {
		if id <= 0 || seen[id] {
			v.Add("candidates", "候选人重复或编号无效")
			break
		}
		seen[id] = true
	}
	return v.Err()
}

// Appointment is staff naming a unit's leader without an election, recorded as such.
type Appointment struct {
	ResidentID int64
	TermMonths int
	Reason     string
}

// Validate checks the appointment.
func (a Appointment) Validate() error {
	v := &ValidationError{}
	if a.ResidentID <= 0 {
		v.Add("resident_id", "请选择要指定的户主")
	}
	if a.TermMonths < MinTermMonths || a.TermMonths > MaxTermMonths {
		v.Add("term_months", "任期应为 6 到 60 个月")
	}
	switch r := strings.TrimSpace(a.Reason); {
	case r == "":
		v.Add("reason", "请写明指定理由，例如“选举票数相同，经社区协商指定”")
	case utf8.RuneCountInString(r) > 200:
		v.Add("reason", "指定理由不能超过 200 个字")
	}
	return v.Err()
}

// TermEnd is the last day of a term of months starting on since (a date).
func TermEnd(since time.Time, months int) time.Time {
	return since.AddDate(0, months, -1)
}
