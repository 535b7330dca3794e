package model

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Votes of compound affairs (小区议事, issue 11 item 2). A vote is held over a territory subtree
// (a compound, grid, community or street) by one of two rules: one household one vote, or one
// adult resident one vote. Who may vote is fixed when the vote opens: the roll (选民名册) holds
// every household (or adult resident) of the subtree on that day. Ballots are secret: the roll
// says who voted, the ballots what was chosen, and nothing joins the two; each ballot carries a
// random receipt code its voter can check was counted. Results are published when the vote
// closes, tallied from the stored ballots (Tally), so anyone can reproduce them.

// VoteRule is who a vote counts: households or adult residents.
type VoteRule string

// The rules of a vote.
const (
	RuleHousehold VoteRule = "household" // 一户一票: the head, or a member on the household's behalf
	RuleResident  VoteRule = "resident"  // 一人一票: every resident aged 18 or over
)

var voteRuleLabels = map[VoteRule]string{RuleHousehold: "一户一票", RuleResident: "一人一票（18 周岁以上居民）"}

// Label is the rule's Chinese name.
func (r VoteRule) Label() string { return voteRuleLabels[r] }

// VoteKind is the shape of a vote's options.
type VoteKind string

// The kinds of vote.
const (
	VoteYesNo    VoteKind = "yes_no"   // 同意 / 反对 / 弃权
	VoteSingle   VoteKind = "single"   // one of several options
	VoteMultiple VoteKind = "multiple" // up to MaxChoices of several options
)

var voteKindLabels = map[VoteKind]string{VoteYesNo: "表决（同意/反对/弃权）", VoteSingle: "单选", VoteMultiple: "多选"}

// Label is the kind's Chinese name.
func (k VoteKind) Label() string { return voteKindLabels[k] }

// Threshold is the share of the ballots cast an option needs to pass.
type Threshold string

// The thresholds.
const (
	ThresholdMajority  Threshold = "majority"   // more than half of the ballots cast
	ThresholdTwoThirds Threshold = "two_thirds" // at least two thirds of the ballots cast
)

var thresholdLabels = map[Threshold]string{ThresholdMajority: "过半数同意", ThresholdTwoThirds: "三分之二以上同意"}

// Label is the threshold's Chinese name.
func (t Threshold) Label() string { return thresholdLabels[t] }

// Meets reports whether votes of ballots reach the threshold.
func (t Threshold) Meets(votes, ballots int) bool {
	if ballots == 0 {
		return false
	}
	if t == ThresholdTwoThirds {
		return 3*votes >= 2*ballots
	}
	return 2*votes > ballots
}

// Quorum is the share of the roll that must take part for a vote to count, as a fraction
// (Num/Den); 0/1 is none.
type Quorum struct{ Num, Den int }

// ParseQuorum reads "2/3", "1/2" or "0" (none).
func ParseQuorum(s string) (Quorum, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return Quorum{0, 1}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	n, err1 := strconv.Atoi(strings.TrimSpace(a))
	d, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 0 || d <= 0 || n > d || d > 100 {
		return Quorum{}, fmt.Errorf("quorum %q", s)
	}
	return Quorum{n, d}, nil
}

func (q Quorum) String() string {
	if q.Num == 0 {
		return "0"
	}
	return fmt.Sprintf("%d/%d", q.Num, q.Den)
}

// Label is the quorum in Chinese.
func (q Quorum) Label() string {
	switch {
	case q.Num == 0:
		return "不设参与率要求"
	case q.Num == 1 && q.Den == 2:
		return "过半数参与"
	case q.Num == 2 && q.Den == 3:
		return "三分之二以上参与"
	}
	return fmt.Sprintf("参与率不低于 %d/%d", q.Num, q.Den)
}

// Met reports whether voted of eligible reach the quorum.
func (q Quorum) Met(voted, eligible int) bool {
	if q.Num == 0 {
		return true
	}
	return eligible > 0 && voted*q.Den >= eligible*q.Num
}

// VoteStatus is where a vote stands.
type VoteStatus string

// The statuses of a vote; a vote whose opening time lies ahead is open but not yet accepting.
const (
	VoteOpen      VoteStatus = "open"
	VoteClosed    VoteStatus = "closed"
	VoteCancelled VoteStatus = "cancelled"
)

var voteStatusLabels = map[VoteStatus]string{VoteOpen: "投票中", VoteClosed: "已结束", VoteCancelled: "已取消"}

// Label is the status's Chinese name.
func (s VoteStatus) Label() string { return voteStatusLabels[s] }

// VoteOption is one choice of a vote. Votes is its tally: nil until the vote has closed.
type VoteOption struct {
	ID      int64
	Label   string
	Abstain bool // 弃权: counts as taking part, never passes
	Votes   *int
	Passed  bool // closed votes: the option reached the threshold with the quorum met
}

// Vote is one vote of compound affairs.
type Vote struct {
	ID            int64
	Title         string
	Description   string
	TerritoryID   int64
	TerritoryName string
	Path          string
	CommunityID   int64
	Rule          VoteRule
	Kind          VoteKind
	MaxChoices    int
	Quorum        Quorum
	Threshold     Threshold
	OpensAt       time.Time
	ClosesAt      time.Time
	Status        VoteStatus
	Eligible      int // on the roll
	Voted         int // turnout, shown at any time
	Options       []VoteOption
	CreatedByName string
	CancelReason  string
	ClosedAt      *time.Time
	CreatedAt     time.Time
	// RoundID is the budget round (民生微实事, budget.go) whose voting this vote is (0: none):
	// the round's decision replaces "passed" per option, and the vote is cancelled with it.
	RoundID int64
	// Caller is what the caller may do: set by the store for the caller who read it.
	Caller VoteCaller
}

// VoteCaller is the caller's standing in a vote.
type VoteCaller struct {
	OnRoll bool // the caller (or its household) is on the roll
	Voted  bool // and has voted
}

// Accepting reports whether the vote takes ballots at now.
func (v *Vote) Accepting(now time.Time) bool {
	return v.Status == VoteOpen && !now.Before(v.OpensAt) && now.Before(v.ClosesAt)
}

// Due reports whether an open vote's closing time has passed at now.
func (v *Vote) Due(now time.Time) bool { return v.Status == VoteOpen && !now.Before(v.ClosesAt) }

// Closable reports whether staff may close the open vote at now: at or after its closing
// time, or before it once everyone on the roll has voted (closing early with voters still to
// come would let whoever follows the turnout read the last voter's choice off the tallies).
func (v *Vote) Closable(now time.Time) bool {
	return v.Status == VoteOpen && (!now.Before(v.ClosesAt) || v.Voted >= v.Eligible)
}

// ErrVoteEarlyClose refuses closing a vote early while voters are still to vote.
var ErrVoteEarlyClose = &ConflictError{Message: "截止时间之前，只有名册上的全部选民都已投票才能提前结束：否则从计票结果能推算出最后投票者的选择"}

// PhaseLabel is the vote's status as a voter reads it at now.
func (v *Vote) PhaseLabel(now time.Time) string {
	if v.Status == VoteOpen && now.Before(v.OpensAt) {
		return "未开始"
	}
	if v.Due(now) {
		return "已截止，待计票"
	}
	return v.Status.Label()
}

// VoteInput opens a vote.
type VoteInput struct {
	Title       string
	Description string
	TerritoryID int64
	Rule        VoteRule
	Kind        VoteKind
	Options     []string // single and multiple; a yes/no vote has its three
	MaxChoices  int      // multiple: 2 … len(Options); else 1
	Quorum      Quorum
	Threshold   Threshold
	OpensAt     time.Time // zero: now
	ClosesAt    time.Time
}

// YesNoOptions are the options of a yes/no vote; the last is the abstention.
var YesNoOptions = []string{"同意", "反对", "弃权"}

// Validate checks the input against now and fills the options of a yes/no vote.
func (in *VoteInput) Validate(now time.Time) error {
	v := &ValidationError{}
	in.Title = strings.TrimSpace(in.Title)
	in.Description = strings.TrimSpace(in.Description)
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		v.Add("title", "请填写表决事项")
	case n > 100:
		v.Add("title", "表决事项不能超过 100 个字")
	}
	if utf8.RuneCountInString(in.Description) > 4000 {
		v.Add("description", "说明不能超过 4000 个字")
	}
	if in.TerritoryID <= 0 {
		v.Add("territory_id", "请选择投票范围（小区、网格、社区或街道）")
	}
	if in.Rule != RuleHousehold && in.Rule != RuleResident {
		v.Add("rule", "请选择计票规则：一户一票或一人一票")
	}
	switch in.Kind {
	case VoteYesNo:
		in.Options, in.MaxChoices = slices.Clone(YesNoOptions), 1
	case VoteSingle, VoteMultiple:
		var opts []string
		seen := map[string]bool{}
		for _, o := range in.Options {
			o = strings.TrimSpace(o)
			if o == "" {
				continue
			}
			if utf8.RuneCountInString(o) > 60 {
				v.Add("options", "每个选项不能超过 60 个字")
				break
			}
			if seen[o] {
				v.Add("options", "选项重复："+o)
				break
			}
			seen[o] = true
			opts = append(opts, o)
		}
		in.Options = opts
		switch {
		case len(opts) < 2:
			v.Add("options", "请至少填写两个选项")
		case len(opts) > 20:
			v.Add("options", "选项不能超过 20 个")
		}
		if in.Kind == VoteSingle {
			in.MaxChoices = 1
		} else if in.MaxChoices < 2 || in.MaxChoices > max(len(opts), 2) {
			v.Add("max_choices", "多选时最多可选项数应在 2 到选项数之间")
		}
	default:
		v.Add("kind", "请选择表决方式：同意/反对/弃权、单选或多选")
	}
	if in.Quorum.Den <= 0 {
		in.Quorum = Quorum{0, 1}
	}
	if in.Threshold != ThresholdMajority && in.Threshold != ThresholdTwoThirds {
		v.Add("threshold", "请选择通过标准：过半数或三分之二以上")
	}
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
	if !in.OpensAt.IsZero() && in.OpensAt.Sub(now) > 90*24*time.Hour {
		v.Add("opens_at", "开始时间不能晚于 90 天之后")
	}
	return v.Err()
}

// CheckChoices validates a ballot's choices (option ids) against v and returns them sorted.
func (v *Vote) CheckChoices(choices []int64) ([]int64, error) {
	valid := map[int64]bool{}
	for _, o := range v.Options {
		valid[o.ID] = true
	}
	out := slices.Clone(choices)
	slices.Sort(out)
	switch {
	case len(out) == 0:
		return nil, &ValidationError{Fields: []FieldError{{Field: "choices", Message: "请选择一项"}}}
	case len(out) > v.MaxChoices:
		return nil, &ValidationError{Fields: []FieldError{{Field: "choices", Message: fmt.Sprintf("最多只能选 %d 项", v.MaxChoices)}}}
	case len(slices.Compact(slices.Clone(out))) != len(out):
		return nil, &ValidationError{Fields: []FieldError{{Field: "choices", Message: "同一选项不能重复选择"}}}
	}
	for _, c := range out {
		if !valid[c] {
			return nil, &ValidationError{Fields: []FieldError{{Field: "choices", Message: "选项不属于本次投票"}}}
		}
	}
	if len(out) > 1 {
		for _, o := range v.Options {
			if o.Abstain && slices.Contains(out, o.ID) {
				return nil, &ValidationError{Fields: []FieldError{{Field: "choices", Message: "弃权不能与其他选项同时选择"}}}
			}
		}
	}
	return out, nil
}

// VoteResult is a closed vote's outcome, computed from its ballots by Tally.
type VoteResult struct {
	Ballots   int // ballots cast (= turnout)
	Eligible  int
	QuorumMet bool
	Options   []VoteOption // with Votes and Passed
	// Passed: a yes/no vote was carried (同意 reached the threshold with the quorum met); a
	// single-choice vote has a winner (WinnerID).
	Passed    bool
	WinnerID  int64
	Buildings []BuildingTurnout
	// Reproduced says the tally of the stored ballots equals the tallies recorded at closing.
	Reproduced bool
}

// BuildingTurnout is the turnout of one building (or, for roll entries not under a building,
// the territory the household lies in).
type BuildingTurnout struct {
	TerritoryID int64
	Name        string
	Eligible    int
	Voted       int
}

// Tally counts ballots (each a list of option ids) for vote v: the options' votes, whether
// the quorum was met, which options passed.
func Tally(v *Vote, ballots [][]int64) VoteResult {
	counts := map[int64]int{}
	for _, b := range ballots {
		for _, c := range b {
			counts[c]++
		}
	}
	return v.result(counts, len(ballots))
}

// RecordedResult is a closed vote's result from the tallies recorded on its options at closing
// (Tally counted them from the ballots), without reading the ballots again.
func (v *Vote) RecordedResult() VoteResult {
	counts := map[int64]int{}
	for _, o := range v.Options {
		if o.Votes != nil {
			counts[o.ID] = *o.Votes
		}
	}
	return v.result(counts, v.Voted)
}

// result is the outcome of counts (votes by option id) of ballots ballots.
func (v *Vote) result(counts map[int64]int, ballots int) VoteResult {
	r := VoteResult{Ballots: ballots, Eligible: v.Eligible}
	r.QuorumMet = v.Quorum.Met(ballots, v.Eligible)
	best, bestVotes, tie := int64(0), -1, false
	for _, o := range v.Options {
		n := counts[o.ID]
		o.Votes = &n
		o.Passed = r.QuorumMet && !o.Abstain && v.Threshold.Meets(n, ballots)
		if !o.Abstain {
			switch {
			case n > bestVotes:
				best, bestVotes, tie = o.ID, n, false
			case n == bestVotes:
				tie = true
			}
		}
		r.Options = append(r.Options, o)
	}
	switch v.Kind {
	case VoteYesNo:
		r.Passed = len(r.Options) > 0 && r.Options[0].Passed
	case VoteSingle:
		if !tie && best != 0 {
			for _, o := range r.Options {
				if o.ID == best && o.Passed {
					r.Passed, r.WinnerID = true, best
				}
			}
		}
	default:
		for _, o := range r.Options {
			r.Passed = r.Passed || o.Passed
		}
	}
	return r
}

// Outcome is the result in one line of Chinese.
func (r *VoteResult) Outcome(v *Vote) string {
	if !r.QuorumMet {
		return fmt.Sprintf("参与 %d/%d，未达到%s，表决无效", r.Ballots, r.Eligible, v.Quorum.Label())
	}
	switch v.Kind {
	case VoteYesNo:
		if r.Passed {
			return "表决通过"
		}
		return "表决未通过"
	case VoteSingle:
		for _, o := range r.Options {
			if o.ID == r.WinnerID {
				return "选出：" + o.Label
			}
		}
		return "没有选项达到" + v.Threshold.Label() + "，未选出"
	}
	var passed []string
	for _, o := range r.Options {
		if o.Passed {
			passed = append(passed, o.Label)
		}
	}
	if len(passed) == 0 {
		return "没有选项达到" + v.Threshold.Label()
	}
	return "通过：" + strings.Join(passed, "、")
}

// receiptAlphabet is Crockford's base 32: no I, L, O or U, so a code read aloud or copied by
// hand is not mistaken.
const receiptAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ReceiptCode formats 60 random bits (the low bits of b) as a receipt: XXXX-XXXX-XXXX.
func ReceiptCode(b uint64) string {
	var sb strings.Builder
	for i := range 12 {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(receiptAlphabet[(b>>(5*(11-i)))&31])
	}
	return sb.String()
}

// NormalizeReceipt reads a receipt as a voter types it (any case, with or without dashes or
// spaces, O for 0, I and L for 1); ok is false when it is not one.
func NormalizeReceipt(s string) (string, bool) {
	var raw []byte
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if r > 127 || !strings.ContainsRune(receiptAlphabet, r) {
			return "", false
		}
		raw = append(raw, byte(r))
	}
	if len(raw) != 12 {
		return "", false
	}
	return string(raw[0:4]) + "-" + string(raw[4:8]) + "-" + string(raw[8:12]), true
}
