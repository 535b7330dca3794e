package model

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Special funds (专项经费, issue 12 item 1). A community's budget for a year is held per
// category of a configurable catalogue (党建活动经费, 服务群众专项经费, 办公经费 …). Staff
// request spending (purpose, amount, payee, receipts); a request goes along the approval
// chain (a configurable list of steps, each decided by one role, copied onto the request when
// it is made) and, at its last step, is paid: the payment posts balanced entries in a
// double-entry ledger in the same transaction. Every balance is the sum of its account's
// entries; a payment that would make a budget negative is refused unless a role allowed to
// override gives a reason, which is audited.
//
// The ledger's accounts, per community, year and category: source (拨入, the allocations'
// counter-account), budget (可用预算) and expense (已支出). Entries are debit positive,
// credit negative: an allocation debits budget and credits source; a payment debits expense
// and credits budget. So every transaction sums to zero and a budget account's balance is
// what is left to spend.

// Limits of funds.
const (
	FundPurposeMax     = 200      // runes of a request's purpose
	FundPayeeMax       = 100      // runes of a payee
	FundReasonMax      = 500      // runes of a rejection's or an override's reason
	FundCategoryMax    = 40       // runes of a category's name
	FundMaxFen         = 1e11     // one amount: at most 10 亿元
	ReceiptsPerRequest = 6        // receipts of one request
	ReceiptPDFMax      = 10 << 20 // bytes of one PDF receipt
	FundChainMax       = 5        // steps of the approval chain
	PDFType            = "application/pdf"
)

// FundAccountKind is one of a budget line's three accounts.
type FundAccountKind string

// The accounts of a budget line (a community, year and category).
const (
	AccountSource  FundAccountKind = "source"  // 拨入: credited by allocations
	AccountBudget  FundAccountKind = "budget"  // 可用预算: debited by allocations, credited by payments
	AccountExpense FundAccountKind = "expense" // 已支出: debited by payments
)

// FundCategory is a category of the catalogue.
type FundCategory struct {
	ID     int64
	Name   string
	Active bool
	Sort   int
}

// FundCategoryInput creates or changes a category.
type FundCategoryInput struct {
	Name   string
	Active bool
	Sort   int
}

// Validate trims the name and names every bad field.
func (in *FundCategoryInput) Validate() error {
	v := &ValidationError{}
	in.Name = strings.TrimSpace(in.Name)
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		v.Add("name", "请填写经费类别名称，例如“党建活动经费”")
	case n > FundCategoryMax:
		v.Add("name", fmt.Sprintf("类别名称不能超过 %d 个字", FundCategoryMax))
	}
	return v.Err()
}

// FundChainStep is one step of the approval chain: the role that decides it.
type FundChainStep struct {
	Step  int
	Role  Role
	Label string // "社区书记审批"
}

// FundChainRoles are the roles a step may name, in their order: staff who hold a territory.
var FundChainRoles = []Role{RoleCommunityAdmin, RoleCommunityStaff, RoleStreetAdmin, RoleDistrictAdmin}

// ValidateFundChain checks a chain: 1 to FundChainMax steps, each a staff role with a label,
// numbered from 1 in order (Validate renumbers them).
func ValidateFundChain(steps []FundChainStep) error {
	v := &ValidationError{}
	if len(steps) == 0 || len(steps) > FundChainMax {
		v.Add("steps", fmt.Sprintf("审批流程应有 1 到 %d 步", FundChainMax))
	}
	for i := range steps {
		steps[i].Step = i + 1
		steps[i].Label = strings.TrimSpace(steps[i].Label)
		if !slices.Contains(FundChainRoles, steps[i].Role) {
			v.Add(fmt.Sprintf("steps[%d].role", i), "审批角色应为社区管理员、社区工作人员、街道管理员或区县管理员")
		}
		if steps[i].Label == "" {
			steps[i].Label = steps[i].Role.Label() + "审批"
		}
		if utf8.RuneCountInString(steps[i].Label) > FundCategoryMax {
			v.Add(fmt.Sprintf("steps[%d].label", i), fmt.Sprintf("步骤名称不能超过 %d 个字", FundCategoryMax))
		}
	}
	return v.Err()
}

// FundBudget is a budget line: a community's budget of one category in one year, from its
// accounts' balances.
type FundBudget struct {
	CommunityID   int64
	CommunityName string
	Path          string
	Year          int
	CategoryID    int64
	CategoryName  string
	AllocatedFen  int64 // what was allocated: minus the source account's balance
	SpentFen      int64 // the expense account's balance
	AvailableFen  int64 // the budget account's balance
}

// Allocated, Spent and Available are the amounts in yuan.
func (b *FundBudget) Allocated() string { return FormatYuan(b.AllocatedFen) }
func (b *FundBudget) Spent() string     { return FormatYuan(b.SpentFen) }
func (b *FundBudget) Available() string { return FormatYuan(b.AvailableFen) }

// SpentPercent is the share of the allocation spent, 0–100 (more when overspent).
func (b *FundBudget) SpentPercent() int64 {
	if b.AllocatedFen <= 0 {
		return 0
	}
	return b.SpentFen * 100 / b.AllocatedFen
}

// FundAllocationInput allocates budget to a community's category in a year.
type FundAllocationInput struct {
	CommunityID int64
	CategoryID  int64
	Year        int
	Amount      string // yuan
	AmountFen   int64  // set by Validate
	Memo        string
}

// Validate reads the amount and names every bad field; the year is within two of now's.
func (in *FundAllocationInput) Validate(now time.Time) error {
	v := &ValidationError{}
	in.Memo = strings.TrimSpace(in.Memo)
	if in.CommunityID <= 0 {
		v.Add("community_id", "请选择社区")
	}
	if in.CategoryID <= 0 {
		v.Add("category_id", "请选择经费类别")
	}
	y := now.In(Shanghai).Year()
	if in.Year < y-2 || in.Year > y+1 {
		v.Add("year", fmt.Sprintf("年度应在 %d 到 %d 之间", y-2, y+1))
	}
	in.AmountFen = fundAmount(v, "amount", in.Amount)
	if utf8.RuneCountInString(in.Memo) > FundPurposeMax {
		v.Add("memo", fmt.Sprintf("说明不能超过 %d 个字", FundPurposeMax))
	}
	return v.Err()
}

// fundAmount parses a positive yuan amount into fen, adding field's error to v.
func fundAmount(v *ValidationError, field, s string) int64 {
	fen, msg := ParseYuan(s)
	switch {
	case msg != "":
		v.Add(field, msg)
	case fen <= 0:
		v.Add(field, "金额应大于 0")
	case fen > FundMaxFen:
		v.Add(field, "金额过大，请核对（单位是元）")
	}
	return fen
}

// FundRequestStatus is where a spending request stands.
type FundRequestStatus string

// The statuses of a request: pending along the chain → paid (approved at the last step, the
// payment posted) or rejected at any step.
const (
	FundPending  FundRequestStatus = "pending"  // 审批中
	FundPaid     FundRequestStatus = "paid"     // 已批准支付
	FundRejected FundRequestStatus = "rejected" // 已驳回
)

// FundRequestStatuses lists the statuses in the order of the flow.
var FundRequestStatuses = []FundRequestStatus{FundPending, FundPaid, FundRejected}

var fundStatusLabels = map[FundRequestStatus]string{FundPending: "审批中", FundPaid: "已批准支付", FundRejected: "已驳回"}

// Label is the status's Chinese name.
func (s FundRequestStatus) Label() string { return fundStatusLabels[s] }

// Valid reports whether s is a known status.
func (s FundRequestStatus) Valid() bool { return fundStatusLabels[s] != "" }

// FundRequest is a spending request.
type FundRequest struct {
	ID             int64
	CommunityID    int64
	CommunityName  string
	Path           string
	Year           int
	CategoryID     int64
	CategoryName   string
	Purpose        string
	AmountFen      int64
	Payee          string
	Status         FundRequestStatus
	Step           int // the step pending (1-based); len(Steps)+1 once paid
	RequestedBy    int64
	RequesterName  string
	RejectReason   string
	OverrideReason string // the payment made the budget negative: why it was allowed
	OverrideByName string
	TxnID          int64
	DecidedAt      *time.Time
	CreatedAt      time.Time
	Steps          []FundStep
	Receipts       []FundReceipt
	// Caller is what the caller may do: set by the store for the caller who read it.
	Caller FundCaller
}

// FundCaller is the caller's standing on a request.
type FundCaller struct {
	Decide   bool // the caller decides the pending step (its role, in its territory, not its own request)
	Own      bool // the caller made the request
	Override bool // the caller's role may allow a payment over the budget
	Receipts bool // the caller may add receipts (pending, and its own or managed)
}

// Amount is the amount in yuan.
func (r *FundRequest) Amount() string { return FormatYuan(r.AmountFen) }

// Pending is the pending step, nil when the request is no longer pending.
func (r *FundRequest) Pending() *FundStep {
	if r.Status != FundPending || r.Step < 1 || r.Step > len(r.Steps) {
		return nil
	}
	return &r.Steps[r.Step-1]
}

// FundStep is one step of a request's chain and its decision.
type FundStep struct {
	Step        int
	Role        Role
	Label       string
	Decision    string // "", "approved", "rejected"
	Reason      string
	DeciderName string
	DecidedAt   *time.Time
}

// DecisionLabel is the decision's Chinese name.
func (s FundStep) DecisionLabel() string {
	switch s.Decision {
	case "approved":
		return "同意"
	case "rejected":
		return "驳回"
	}
	return "待审批"
}

// FundReceipt is a receipt of a request: a photo (re-encoded JPEG) or a PDF kept as sent.
type FundReceipt struct {
	N           int
	ContentType string
	Size        int64
	Name        string
}

// IsPDF reports whether the receipt is a PDF.
func (r FundReceipt) IsPDF() bool { return r.ContentType == PDFType }

// FundRequestInput makes a spending request.
type FundRequestInput struct {
	CommunityID int64
	CategoryID  int64
	Year        int // 0: this year
	Purpose     string
	Amount      string // yuan, "1234.56"
	AmountFen   int64  // set by Validate
	Payee       string
}

// Validate trims the input, reads the amount and names every bad field.
func (in *FundRequestInput) Validate(now time.Time) error {
	v := &ValidationError{}
	in.Purpose, in.Payee = strings.TrimSpace(in.Purpose), strings.TrimSpace(in.Payee)
	if in.CommunityID <= 0 {
		v.Add("community_id", "请选择社区")
	}
	if in.CategoryID <= 0 {
		v.Add("category_id", "请选择经费类别")
	}
	y := now.In(Shanghai).Year()
	if in.Year == 0 {
		in.Year = y
	}
	if in.Year < y-1 || in.Year > y {
		v.Add("year", fmt.Sprintf("只能申请 %d 或 %d 年度的经费", y-1, y))
	}
	switch n := utf8.RuneCountInString(in.Purpose); {
	case n == 0:
		v.Add("purpose", "请填写用途，例如“七一主题党日活动场地布置”")
	case n > FundPurposeMax:
		v.Add("purpose", fmt.Sprintf("用途不能超过 %d 个字", FundPurposeMax))
	}
	in.AmountFen = fundAmount(v, "amount", in.Amount)
	switch n := utf8.RuneCountInString(in.Payee); {
	case n == 0:
		v.Add("payee", "请填写收款方（单位或个人）")
	case n > FundPayeeMax:
		v.Add("payee", fmt.Sprintf("收款方不能超过 %d 个字", FundPayeeMax))
	}
	return v.Err()
}

// FundDecision is an approver's decision on the pending step.
type FundDecision struct {
	// Step is the step the approver saw pending (0: whichever is pending): a decision on a
	// step another approver decided meanwhile is a conflict, not a decision on the next one.
	Step           int
	Approve        bool
	Reason         string // a rejection's reason (required), an approval's note
	Override       bool   // allow the payment over the budget (roles that may override)
	OverrideReason string
}

// Validate trims the reasons and names every bad field.
func (d *FundDecision) Validate() error {
	v := &ValidationError{}
	d.Reason, d.OverrideReason = strings.TrimSpace(d.Reason), strings.TrimSpace(d.OverrideReason)
	if !d.Approve && d.Reason == "" {
		v.Add("reason", "驳回时请填写理由，申请人会看到")
	}
	if utf8.RuneCountInString(d.Reason) > FundReasonMax {
		v.Add("reason", fmt.Sprintf("理由不能超过 %d 个字", FundReasonMax))
	}
	if d.Override && d.OverrideReason == "" {
		v.Add("override_reason", "超预算支付请填写理由")
	}
	if utf8.RuneCountInString(d.OverrideReason) > FundReasonMax {
		v.Add("override_reason", fmt.Sprintf("理由不能超过 %d 个字", FundReasonMax))
	}
	return v.Err()
}

// ReceiptFile is one uploaded receipt.
type ReceiptFile struct {
	Name string
	Data []byte
}

// CheckedReceipt is an accepted receipt: a re-encoded photo or a PDF as sent.
type CheckedReceipt struct {
	Data          []byte
	ContentType   string
	Width, Height int
	Name          string
}

// CheckReceipt checks one uploaded receipt; field names the form field for the error. A PDF
// (its first bytes are "%PDF-") is kept as sent, up to ReceiptPDFMax; anything else must be a
// photo (CheckPhoto: JPEG, PNG or WebP, re-encoded). Everything else is a *ValidationError
// saying what to upload.
func CheckReceipt(field string, f ReceiptFile) (*CheckedReceipt, error) {
	name := strings.TrimSpace(f.Name)
	if utf8.RuneCountInString(name) > 100 {
		name = string([]rune(name)[:100])
	}
	if bytes.HasPrefix(f.Data, []byte("%PDF-")) {
		if len(f.Data) > ReceiptPDFMax {
			return nil, &ValidationError{Fields: []FieldError{{Field: field, Message: fmt.Sprintf("PDF 票据不能超过 %d MB（这份 %.1f MB），请压缩或拍照上传", ReceiptPDFMax>>20, float64(len(f.Data))/(1<<20))}}}
		}
		return &CheckedReceipt{Data: f.Data, ContentType: PDFType, Name: name}, nil
	}
	ph, err := CheckPhoto(field, f.Data)
	if err != nil {
		if ve, ok := err.(*ValidationError); ok && len(f.Data) > 0 && len(f.Data) <= PhotoMax {
			for i := range ve.Fields {
				if strings.HasPrefix(ve.Fields[i].Message, "只能上传") {
					ve.Fields[i].Message = "票据只能是照片（JPG、PNG、WebP）或 PDF 文件；这个文件两者都不是（改了扩展名的文件也不行）"
				}
			}
		}
		return nil, err
	}
	return &CheckedReceipt{Data: ph.Data, ContentType: ph.ContentType, Width: ph.Width, Height: ph.Height, Name: name}, nil
}

// FundStatementLine is one category's line of a statement over a period.
type FundStatementLine struct {
	CategoryID   int64
	CategoryName string
	OpeningFen   int64 // available at the start of the period
	AllocatedFen int64 // allocated in the period
	SpentFen     int64 // paid in the period
	ClosingFen   int64 // available at the end
}

// Opening, Allocated, Spent and Closing are the amounts in yuan.
func (l FundStatementLine) Opening() string   { return FormatYuan(l.OpeningFen) }
func (l FundStatementLine) Allocated() string { return FormatYuan(l.AllocatedFen) }
func (l FundStatementLine) Spent() string     { return FormatYuan(l.SpentFen) }
func (l FundStatementLine) Closing() string   { return FormatYuan(l.ClosingFen) }

// FundPayment is one payment of a statement.
type FundPayment struct {
	RequestID     int64
	CommunityName string
	CategoryName  string
	Purpose       string
	Payee         string
	AmountFen     int64
	Override      bool
	PaidAt        time.Time
}

// Amount is the amount in yuan.
func (p FundPayment) Amount() string { return FormatYuan(p.AmountFen) }

// FundStatement is a statement of a territory's funds over a month or a year.
type FundStatement struct {
	TerritoryID   int64
	TerritoryName string
	Year          int
	Month         int // 0: the whole year
	From, To      time.Time
	Lines         []FundStatementLine
	Total         FundStatementLine
	Payments      []FundPayment
}

// Period is the statement's period in words: "2026年" or "2026年3月".
func (s *FundStatement) Period() string {
	if s.Month == 0 {
		return fmt.Sprintf("%d年", s.Year)
	}
	return fmt.Sprintf("%d年%d月", s.Year, s.Month)
}

// FundPeriod is the period [from, to) of year and month (0: the whole year) in Shanghai, as UTC.
func FundPeriod(year, month int) (from, to time.Time) {
	if month == 0 {
		from = time.Date(year, 1, 1, 0, 0, 0, 0, Shanghai)
		return from.UTC(), from.AddDate(1, 0, 0).UTC()
	}
	from = time.Date(year, time.Month(month), 1, 0, 0, 0, 0, Shanghai)
	return from.UTC(), from.AddDate(0, 1, 0).UTC()
}

// FundSpending is a category's spending of a year, as the public disclosure page shows it.
type FundSpending struct {
	CategoryName string
	AllocatedFen int64
	SpentFen     int64
	Payments     int
}

// Allocated and Spent are the amounts in yuan.
func (s FundSpending) Allocated() string { return FormatYuan(s.AllocatedFen) }
func (s FundSpending) Spent() string     { return FormatYuan(s.SpentFen) }
