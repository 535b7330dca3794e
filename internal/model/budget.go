package model

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Small-project budgeting (民生微实事, issue 11 item 5). A budget round is held in one
// community for one year with a budget in fen: residents propose small projects (a proposal:
// what, where in the community, why); staff review each (feasible with a cost, or infeasible
// with a reason); staff open voting, which is a vote of the votes machinery (vote.go): one
// option per feasible project, as many choices as there are options (approval voting: tick
// every project one supports), over the community by the rule staff chose; when the vote
// closes, SelectWinners picks the winners greedily by approvals within the budget (the rule,
// BudgetRuleText, is shown on every page of a round). Winners are then carried out with
// milestones and photos, published on the community's disclosure page.

// BudgetRuleText is how winners are chosen, in the words every round page shows.
const BudgetRuleText = "按得票数从高到低依次入选；某项目费用超过剩余预算时跳过，继续看下一项，直至没有项目能放进剩余预算。得票相同时费用低者优先，再相同时先提出者优先。"

// BudgetZeroText is the one thing the rule leaves implicit: a project nobody ticked never wins.
const BudgetZeroText = "未获得任何票数的项目不入选。"

// BudgetOutcome is the outcome line of a round's vote: the round decides, not a threshold.
const BudgetOutcome = "按民生微实事的选定规则，在预算内依得票确定入选项目，详见轮次页面"

// Limits of budgeting.
const (
	BudgetRoundTitleMax    = 80     // runes of a round's title (its vote's title adds a suffix)
	SmallProjectTitleMax   = 60     // runes of a proposal's title: it is the vote's option label
	SmallProjectTextMax    = 2000   // runes of a proposal's description
	BudgetNoteMax          = 500    // runes of a review's note, a cancellation's reason
	ProposalsPerProposer   = 3      // proposals one account makes in one round
	BudgetVotingMaxOptions = 20     // feasible projects one vote holds (a vote's option limit)
	BudgetMaxFen           = 1e11   // a round's budget: at most 10 亿元
	budgetMinFen           = 100_00 // a round's budget: at least 100 元
	budgetRuleSuffix       = "：项目投票"
)

// BudgetRoundStatus is where a round stands.
type BudgetRoundStatus string

// The statuses of a round: proposing → reviewing → voting → decided, or cancelled from any
// but decided. Staff may open voting straight from proposing once every proposal is reviewed.
const (
	RoundProposing BudgetRoundStatus = "proposing" // 征集中: residents propose, staff review
	RoundReviewing BudgetRoundStatus = "reviewing" // 审核中: proposals closed, staff review
	RoundVoting    BudgetRoundStatus = "voting"    // 投票中: the round's vote is open
	RoundDecided   BudgetRoundStatus = "decided"   // 已确定: the vote closed, winners chosen
	RoundCancelled BudgetRoundStatus = "cancelled" // 已取消, with a reason
)

var roundStatusLabels = map[BudgetRoundStatus]string{RoundProposing: "征集中", RoundReviewing: "审核中", RoundVoting: "投票中", RoundDecided: "已确定", RoundCancelled: "已取消"}

// Label is the status's Chinese name.
func (s BudgetRoundStatus) Label() string { return roundStatusLabels[s] }

// Valid reports whether s is a known status.
func (s BudgetRoundStatus) Valid() bool { return roundStatusLabels[s] != "" }

// Reviewable reports whether proposals of a round in s may still be reviewed.
func (s BudgetRoundStatus) Reviewable() bool { return s == RoundProposing || s == RoundReviewing }

// BudgetRound is one round of small-project budgeting.
type BudgetRound struct {
	ID            int64
	CommunityID   int64
	CommunityName string
	Path          string // the community's
	Title         string
	Year          int
	BudgetFen     int64
	Rule          VoteRule
	Status        BudgetRoundStatus
	Proposals     int // proposals made
	VoteID        int64
	VoteStatus    VoteStatus
	VoteOpensAt   *time.Time
	VoteClosesAt  *time.Time
	UsedFen       int64 // decided: the winners' costs
	DecidedAt     *time.Time
	CancelReason  string
	CreatedByName string
	CreatedAt     time.Time
	// Caller is what the caller may do: set by the store for the caller who read it.
	Caller BudgetCaller
}

// BudgetCaller is the caller's standing in a round.
type BudgetCaller struct {
	Manage    bool // staff whose territory holds the community: review, open voting, cancel, carry out
	Propose   bool // may propose now (the round is proposing and the caller's role proposes)
	Proposals int  // proposals the caller made in this round
}

// LeftFen is what the winners left of the budget (decided rounds).
func (r *BudgetRound) LeftFen() int64 { return r.BudgetFen - r.UsedFen }

// Budget is the budget in yuan, "50000.00".
func (r *BudgetRound) Budget() string { return FormatYuan(r.BudgetFen) }

// Used is the winners' costs in yuan.
func (r *BudgetRound) Used() string { return FormatYuan(r.UsedFen) }

// Left is what is left in yuan.
func (r *BudgetRound) Left() string { return FormatYuan(r.LeftFen()) }

// UsedPercent is the share of the budget the winners use, 0–100.
func (r *BudgetRound) UsedPercent() int64 {
	if r.BudgetFen <= 0 {
		return 0
	}
	return r.UsedFen * 100 / r.BudgetFen
}

// RuleText is the selection rule (BudgetRuleText), for templates.
func (r *BudgetRound) RuleText() string { return BudgetRuleText }

// VoteTitle is the title of the round's vote.
func (r *BudgetRound) VoteTitle() string { return r.Title + budgetRuleSuffix }

// BudgetRoundInput creates a round.
type BudgetRoundInput struct {
	CommunityID int64
	Title       string
	Year        int
	Budget      string // yuan, "50000" or "50000.00"
	BudgetFen   int64  // set by Validate from Budget
	Rule        VoteRule
}

// Validate trims the input, reads the budget into BudgetFen and names every bad field. The
// year is last year, this year or next year at now (in Shanghai).
func (in *BudgetRoundInput) Validate(now time.Time) error {
	v := &ValidationError{}
	in.Title = strings.TrimSpace(in.Title)
	if in.CommunityID <= 0 {
		v.Add("community_id", "请选择社区")
	}
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		v.Add("title", "请填写本轮名称，例如“2027年度民生微实事”")
	case n > BudgetRoundTitleMax:
		v.Add("title", fmt.Sprintf("名称不能超过 %d 个字", BudgetRoundTitleMax))
	}
	y := now.In(Shanghai).Year()
	if in.Year < y-1 || in.Year > y+1 {
		v.Add("year", fmt.Sprintf("年度应为 %d、%d 或 %d", y-1, y, y+1))
	}
	fen, msg := ParseYuan(in.Budget)
	switch {
	case msg != "":
		v.Add("budget", msg)
	case fen < budgetMinFen:
		v.Add("budget", "预算不能少于 100 元")
	case fen > BudgetMaxFen:
		v.Add("budget", "预算过大，请核对（单位是元）")
	}
	in.BudgetFen = fen
	if in.Rule != RuleHousehold && in.Rule != RuleResident {
		v.Add("rule", "请选择计票规则：一户一票或一人一票")
	}
	return v.Err()
}

// SmallProjectStatus is where a proposal stands.
type SmallProjectStatus string

// The statuses of a proposal: proposed → feasible | infeasible (staff review); after the
// decision a feasible one is won or lost; a winner then in_progress → done.
const (
	SmallProposed   SmallProjectStatus = "proposed"    // 待审核
	SmallFeasible   SmallProjectStatus = "feasible"    // 可行
	SmallInfeasible SmallProjectStatus = "infeasible"  // 不可行
	SmallWon        SmallProjectStatus = "won"         // 入选
	SmallLost       SmallProjectStatus = "lost"        // 未入选
	SmallInProgress SmallProjectStatus = "in_progress" // 实施中
	SmallDone       SmallProjectStatus = "done"        // 已完成
)

// SmallProjectStatuses lists the statuses in the order of the flow.
var SmallProjectStatuses = []SmallProjectStatus{SmallProposed, SmallFeasible, SmallInfeasible, SmallWon, SmallLost, SmallInProgress, SmallDone}

var smallProjectStatusLabels = map[SmallProjectStatus]string{SmallProposed: "待审核", SmallFeasible: "可行", SmallInfeasible: "不可行",
	SmallWon: "入选", SmallLost: "未入选", SmallInProgress: "实施中", SmallDone: "已完成"}

// Label is the status's Chinese name.
func (s SmallProjectStatus) Label() string { return smallProjectStatusLabels[s] }

// Valid reports whether s is a known status.
func (s SmallProjectStatus) Valid() bool { return smallProjectStatusLabels[s] != "" }

// Winner reports whether a project in s won its round (won, in progress, done).
func (s SmallProjectStatus) Winner() bool {
	return s == SmallWon || s == SmallInProgress || s == SmallDone
}

// Tone is the status's colour on a tag: green, amber, red or "".
func (s SmallProjectStatus) Tone() string {
	switch s {
	case SmallFeasible, SmallWon, SmallDone:
		return "green"
	case SmallProposed, SmallInProgress:
		return "amber"
	case SmallInfeasible:
		return "red"
	}
	return ""
}

// SmallProject is one proposal of a round.
type SmallProject struct {
	ID            int64
	RoundID       int64
	RoundTitle    string
	RoundYear     int
	RoundStatus   BudgetRoundStatus
	CommunityID   int64
	TerritoryID   int64
	TerritoryName string
	Path          string // the territory's
	Title         string
	Description   string
	// ProposerName is the display name of the proposer's account: staff read it; everyone else
	// gets "" (the store withholds it) and reads ProposerLabel.
	ProposerName string
	ProposerRole Role
	Mine         bool // proposed by the caller's account
	Status       SmallProjectStatus
	CostFen      int64 // reviewed feasible: the estimated cost
	Note         string
	ReviewedBy   string
	ReviewedAt   *time.Time
	OptionID     int64 // the option of the round's vote (feasible projects, once voting opened)
	Approvals    *int  // decided rounds: the votes its option got
	LossReason   string
	StartedAt    *time.Time
	DoneAt       *time.Time
	Milestones   []*Milestone
	Photos       []ActivityPhoto
	CreatedAt    time.Time
}

// ProposerLabel is how a proposal's proposer is introduced to a reader who does not see names:
// by role only.
func (p *SmallProject) ProposerLabel() string {
	switch p.ProposerRole {
	case RoleResident, RoleMember, "":
		return "居民提出"
	case RoleUnitLeader:
		return "联建单元长提出"
	}
	return "社区提出"
}

// Cost is the cost in yuan ("" before a feasible review).
func (p *SmallProject) Cost() string {
	if p.CostFen == 0 {
		return ""
	}
	return FormatYuan(p.CostFen)
}

// Votes is the approvals of a decided project (0 before the decision).
func (p *SmallProject) Votes() int {
	if p.Approvals == nil {
		return 0
	}
	return *p.Approvals
}

// MilestonesDone counts the milestones done.
func (p *SmallProject) MilestonesDone() int {
	n := 0
	for _, m := range p.Milestones {
		if m.DoneAt != nil {
			n++
		}
	}
	return n
}

// SmallProjectInput is a proposal.
type SmallProjectInput struct {
	RoundID     int64
	TerritoryID int64 // where in the community (0: the community itself)
	Title       string
	Description string
}

// Validate trims the input and names every bad field.
func (in *SmallProjectInput) Validate() error {
	v := &ValidationError{}
	in.Title, in.Description = strings.TrimSpace(in.Title), strings.TrimSpace(in.Description)
	if in.RoundID <= 0 {
		v.Add("round_id", "请选择征集项目的轮次")
	}
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		v.Add("title", "请用一句话写下想做的事，例如“3栋门口加装休息座椅”")
	case n > SmallProjectTitleMax:
		v.Add("title", fmt.Sprintf("项目名称不能超过 %d 个字，详细情况写在说明里", SmallProjectTitleMax))
	case strings.ContainsAny(in.Title, "\r\n\t\x00"):
		v.Add("title", "项目名称只能是一行文字")
	}
	switch n := utf8.RuneCountInString(in.Description); {
	case n == 0:
		v.Add("description", "请说明为什么要做、在哪里做、大概怎么做")
	case n > SmallProjectTextMax:
		v.Add("description", fmt.Sprintf("说明不能超过 %d 个字", SmallProjectTextMax))
	}
	return v.Err()
}

// ReviewInput is staff's review of a proposal.
type ReviewInput struct {
	Feasible bool
	Cost     string // yuan; required when feasible
	CostFen  int64  // set by Validate
	Note     string // the feasibility note; the reason, required, when infeasible
}

// Validate checks the review against the round's budget (in fen) and names every bad field: a
// feasible project needs a cost above zero and at most the whole budget ("费用超过本轮预算").
func (in *ReviewInput) Validate(budgetFen int64) error {
	v := &ValidationError{}
	in.Note = strings.TrimSpace(in.Note)
	if in.Feasible {
		fen, msg := ParseYuan(in.Cost)
		switch {
		case msg != "":
			v.Add("cost", msg)
		case fen <= 0:
			v.Add("cost", "可行的项目请填写估算费用（元），应大于 0")
		case fen > budgetFen:
			v.Add("cost", "费用超过本轮预算 "+FormatYuan(budgetFen)+" 元，请核实，或判为不可行")
		}
		in.CostFen = fen
	} else {
		in.Cost, in.CostFen = "", 0
		if in.Note == "" {
			v.Add("note", "判为不可行时请写明理由，居民会看到它")
		}
	}
	if utf8.RuneCountInString(in.Note) > BudgetNoteMax {
		v.Add("note", fmt.Sprintf("说明不能超过 %d 个字", BudgetNoteMax))
	}
	return v.Err()
}

// ValidateBudgetReason trims the reason a round is cancelled; it must be given.
func ValidateBudgetReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	v := &ValidationError{}
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		v.Add("reason", "请写明取消本轮的理由，居民会看到它")
	case n > BudgetNoteMax:
		v.Add("reason", fmt.Sprintf("理由不能超过 %d 个字", BudgetNoteMax))
	}
	return reason, v.Err()
}

// SmallProjectAction is a transition of a winning project.
type SmallProjectAction string

// The transitions of a winner.
const (
	SmallStart    SmallProjectAction = "start"    // won → in_progress
	SmallComplete SmallProjectAction = "complete" // in_progress → done
)

// SmallProjectTransition decides action on a project in status from: the status it leads to,
// a *ValidationError for an unknown action, a *ConflictError when the action does not apply to
// from (a second "complete" among them).
func SmallProjectTransition(from SmallProjectStatus, action SmallProjectAction) (SmallProjectStatus, error) {
	switch action {
	case SmallStart:
		if from == SmallWon {
			return SmallInProgress, nil
		}
		return "", &ConflictError{Message: "项目" + from.Label() + "，不能开始实施（只有入选的项目可以开始）"}
	case SmallComplete:
		if from == SmallInProgress {
			return SmallDone, nil
		}
		return "", &ConflictError{Message: "项目" + from.Label() + "，不能标记完成（只有实施中的项目可以）"}
	}
	return "", &ValidationError{Fields: []FieldError{{Field: "action", Message: "操作应为 start（开始实施）或 complete（完成）"}}}
}

// Loss reasons of SelectWinners.
const (
	LostNoVotes  = "得票不足以入选"
	LostNoBudget = "剩余预算不足"
)

// BudgetCandidate is a feasible project as SelectWinners weighs it.
type BudgetCandidate struct {
	ID        int64 // also the order of proposal: a lower id was proposed first
	CostFen   int64
	Approvals int
}

// BudgetSelection is SelectWinners' answer.
type BudgetSelection struct {
	Ranked  []BudgetCandidate // every candidate in the rule's order
	Winners []int64           // in the rule's order
	UsedFen int64
	LeftFen int64
	// Lost gives each loser's reason: LostNoVotes (no approvals) or LostNoBudget followed by
	// what was left when its turn came.
	Lost map[int64]string
}

// SelectWinners chooses the winners among candidates within budget (fen) by BudgetRuleText:
// most approvals first (ties: lower cost, then proposed first); a project that costs more
// than what is left is skipped and the next one looked at, so the walk goes on until nothing
// left fits. A project without approvals never wins. The winners' costs never exceed budget.
func SelectWinners(candidates []BudgetCandidate, budget int64) BudgetSelection {
	ranked := slices.Clone(candidates)
	slices.SortFunc(ranked, func(a, b BudgetCandidate) int {
		if c := cmp.Compare(b.Approvals, a.Approvals); c != 0 {
			return c
		}
		if c := cmp.Compare(a.CostFen, b.CostFen); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	s := BudgetSelection{Ranked: ranked, Lost: map[int64]string{}, LeftFen: max(budget, 0)}
	for _, c := range ranked {
		switch {
		case c.Approvals <= 0:
			s.Lost[c.ID] = LostNoVotes
		case c.CostFen <= 0 || c.CostFen > s.LeftFen:
			s.Lost[c.ID] = fmt.Sprintf("%s（轮到时剩余 %s 元，需 %s 元）", LostNoBudget, FormatYuan(s.LeftFen), FormatYuan(c.CostFen))
		default:
			s.Winners = append(s.Winners, c.ID)
			s.UsedFen += c.CostFen
			s.LeftFen -= c.CostFen
		}
	}
	return s
}
