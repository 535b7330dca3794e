package model

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Purchased services (政府购买服务, issue 12 item 7). A community contracts a social
// organization of the register (organization.go, type social) for a service: its scope and
// amount in fen, paid from a budget line of the special funds (fund.go: a category and year).
// The contract's milestones each name a KPI and the amount accepting it releases; residents of
// the community rate each milestone 1–5, once. Accepting a milestone posts its payment in the
// funds ledger in the same transaction; the payments never exceed the contract's amount.

// Limits of contracts.
const (
	ContractTitleMax = 80
	ContractScopeMax = 2000
	MilestoneKPIMax  = 500
)

// Contract is a purchased-service contract with its milestones.
type Contract struct {
	ID               int64
	CommunityID      int64
	CommunityName    string
	Path             string
	OrganizationID   int64
	OrganizationName string
	Title            string
	Scope            string
	AmountFen        int64
	PaidFen          int64
	Year             int
	CategoryID       int64
	CategoryName     string
	CreatedAt        time.Time
	Milestones       []ContractMilestone
}

// Amount and Paid are the amounts in yuan.
func (c *Contract) Amount() string { return FormatYuan(c.AmountFen) }
func (c *Contract) Paid() string   { return FormatYuan(c.PaidFen) }

// ContractMilestone is a milestone with its residents' rating.
type ContractMilestone struct {
	ID             int64
	Title          string
	KPI            string
	DueOn          time.Time
	AmountFen      int64
	Accepted       bool
	AcceptedByName string
	AcceptedAt     *time.Time
	Ratings        int
	ScoreSum       int
	MyScore        int // the caller's own rating, 0 when they have not rated it
}

// Amount is the amount in yuan.
func (m ContractMilestone) Amount() string { return FormatYuan(m.AmountFen) }

// Satisfaction is the mean rating "4.3", "" without ratings.
func (m ContractMilestone) Satisfaction() string {
	if m.Ratings == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f", float64(m.ScoreSum)/float64(m.Ratings))
}

// ContractInput makes a contract.
type ContractInput struct {
	CommunityID    int64
	OrganizationID int64
	CategoryID     int64
	Year           int
	Title, Scope   string
	Amount         string
	AmountFen      int64 // set by Validate
}

// Validate trims the input, reads the amount and names every bad field.
func (in *ContractInput) Validate(now time.Time) error {
	v := &ValidationError{}
	in.Title, in.Scope = strings.TrimSpace(in.Title), strings.TrimSpace(in.Scope)
	if in.CommunityID <= 0 {
		v.Add("community_id", "请选择社区")
	}
	if in.OrganizationID <= 0 {
		v.Add("organization_id", "请选择承接服务的社会组织")
	}
	if in.CategoryID <= 0 {
		v.Add("category_id", "请选择支付所用的经费类别")
	}
	y := now.In(Shanghai).Year()
	if in.Year == 0 {
		in.Year = y
	}
	if in.Year < y-1 || in.Year > y {
		v.Add("year", fmt.Sprintf("年度应为 %d 或 %d", y-1, y))
	}
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		v.Add("title", "请填写合同名称，例如“2026年居家养老上门服务”")
	case n > ContractTitleMax:
		v.Add("title", fmt.Sprintf("合同名称不能超过 %d 个字", ContractTitleMax))
	}
	switch n := utf8.RuneCountInString(in.Scope); {
	case n == 0:
		v.Add("scope", "请填写服务内容和范围")
	case n > ContractScopeMax:
		v.Add("scope", fmt.Sprintf("服务内容不能超过 %d 个字", ContractScopeMax))
	}
	in.AmountFen = fundAmount(v, "amount", in.Amount)
	return v.Err()
}

// ContractMilestoneInput adds a milestone to a contract.
type ContractMilestoneInput struct {
	Title, KPI, DueOn string
	Amount            string
	AmountFen         int64 // set by Validate
	Due               time.Time
}

// Validate trims the input, reads the amount and the date and names every bad field.
func (in *ContractMilestoneInput) Validate() error {
	v := &ValidationError{}
	in.Title, in.KPI = strings.TrimSpace(in.Title), strings.TrimSpace(in.KPI)
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		v.Add("title", "请填写节点名称，例如“第一季度服务”")
	case n > ContractTitleMax:
		v.Add("title", fmt.Sprintf("节点名称不能超过 %d 个字", ContractTitleMax))
	}
	switch n := utf8.RuneCountInString(in.KPI); {
	case n == 0:
		v.Add("kpi", "请填写考核指标，例如“上门服务不少于 120 人次”")
	case n > MilestoneKPIMax:
		v.Add("kpi", fmt.Sprintf("考核指标不能超过 %d 个字", MilestoneKPIMax))
	}
	d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(in.DueOn), Shanghai)
	if err != nil {
		v.Add("due_on", "请填写日期，例如 2026-06-30")
	}
	in.Due = d
	in.AmountFen = fundAmount(v, "amount", in.Amount)
	return v.Err()
}
