package model

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The administrative-burden register (去行政化、减负; 准入清单, issue 12 item 2). A community's
// statutory duty list (BurdenDuty: code, name, legal basis) is kept by the street or the district
// (or the whole deployment) that owns it and applies to every community below its owner. Every
// task a government department hands down (BurdenTask) names its sender from a register of
// departments and vertical lines (BurdenDepartment, 条线), and, when it is on the list, the
// duty it falls under. A task on the list is accepted by the community; a task off the list
// waits for the street to approve or refuse it (who, when, why recorded); an accepted task is
// done with the hours it took. The burden view sets those hours against the hours spent serving
// residents.

// BurdenLines are the vertical lines (条线) a department belongs to.
var BurdenLines = []string{"民政", "人社", "卫健", "公安", "应急管理", "统计", "住建", "城管", "市场监管", "医保", "司法", "退役军人", "残联", "妇联", "团委", "其他"}

// Limits of the register.
const (
	BurdenNameMax   = 60   // runes of a department's or duty's name
	BurdenCodeMax   = 20   // runes of a duty's code
	BurdenBasisMax  = 300  // runes of a duty's legal basis
	BurdenTitleMax  = 120  // runes of a task's title
	BurdenDetailMax = 2000 // runes of a task's detail
	BurdenReasonMax = 500  // runes of a decision's reason
	BurdenMaxHours  = 2000 // hours one task may take
)

// BurdenDepartment is a government department or vertical line of the register.
type BurdenDepartment struct {
	ID        int64
	OwnerID   int64  // the street or district keeping it (0: the whole deployment)
	OwnerPath string // "" for the whole deployment
	OwnerName string
	Name      string
	Line      string // one of BurdenLines
	Active    bool
}

// BurdenDuty is one item of the statutory duty list (社区工作事项准入清单).
type BurdenDuty struct {
	ID        int64
	OwnerID   int64
	OwnerPath string
	OwnerName string
	Code      string
	Name      string
	Basis     string // the law, regulation or document that puts it on the list
	Active    bool
}

// BurdenDepartmentInput is a department as staff enter it.
type BurdenDepartmentInput struct {
	OwnerID int64 // 0: the whole deployment (system administrators only)
	Name    string
	Line    string
	Active  bool
}

// Validate checks the department's fields.
func (in *BurdenDepartmentInput) Validate() error {
	in.Name = strings.TrimSpace(in.Name)
	var v ValidationError
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		v.Add("name", "请填写部门名称，如“江油市民政局”")
	case n > BurdenNameMax:
		v.Add("name", "部门名称不超过 "+strconv.Itoa(BurdenNameMax)+" 个字")
	}
	if !slices.Contains(BurdenLines, in.Line) {
		v.Add("line", "请选择所属条线")
	}
	return v.Err()
}

// BurdenDutyInput is a duty as staff enter it.
type BurdenDutyInput struct {
	OwnerID int64
	Code    string
	Name    string
	Basis   string
	Active  bool
}

// Validate checks the duty's fields.
func (in *BurdenDutyInput) Validate() error {
	in.Code, in.Name, in.Basis = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name), strings.TrimSpace(in.Basis)
	var v ValidationError
	switch n := utf8.RuneCountInString(in.Code); {
	case n == 0:
		v.Add("code", "请填写事项编号，如“MZ-01”")
	case n > BurdenCodeMax:
		v.Add("code", "事项编号不超过 "+strconv.Itoa(BurdenCodeMax)+" 个字符")
	}
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		v.Add("name", "请填写事项名称")
	case n > BurdenNameMax:
		v.Add("name", "事项名称不超过 "+strconv.Itoa(BurdenNameMax)+" 个字")
	}
	switch n := utf8.RuneCountInString(in.Basis); {
	case n == 0:
		v.Add("basis", "请填写依据（法律法规或文件名称及条款）")
	case n > BurdenBasisMax:
		v.Add("basis", "依据不超过 "+strconv.Itoa(BurdenBasisMax)+" 个字")
	}
	return v.Err()
}

// BurdenTaskStatus is where a handed-down task stands.
type BurdenTaskStatus string

// The statuses: a task on the list is received, then accepted by the community; a task off
// the list is pending until the street approves (accepted) or refuses it (refused, final);
// an accepted task is done with its hours.
const (
	TaskReceived BurdenTaskStatus = "received"
	TaskPending  BurdenTaskStatus = "pending"
	TaskAccepted BurdenTaskStatus = "accepted"
	TaskRefused  BurdenTaskStatus = "refused"
	TaskDone     BurdenTaskStatus = "done"
)

var taskStatusLabels = map[BurdenTaskStatus]string{TaskReceived: "待受理", TaskPending: "待街道审批", TaskAccepted: "办理中", TaskRefused: "街道已拒绝", TaskDone: "已办结"}

// BurdenTaskStatuses lists the statuses in their order.
var BurdenTaskStatuses = []BurdenTaskStatus{TaskReceived, TaskPending, TaskAccepted, TaskRefused, TaskDone}

// Label is the status's Chinese name.
func (s BurdenTaskStatus) Label() string { return taskStatusLabels[s] }

// Valid reports whether s is a known status.
func (s BurdenTaskStatus) Valid() bool { return taskStatusLabels[s] != "" }

// BurdenTask is one task handed down to a community.
type BurdenTask struct {
	ID             int64
	CommunityID    int64
	CommunityName  string
	Path           string // the community's
	DepartmentID   int64
	DepartmentName string
	DepartmentLine string
	DutyID         int64 // 0: not on the duty list
	DutyCode       string
	DutyName       string
	Body           OwnerBody // the owning body: the committee unless the Party organization holds it
	Title          string
	Detail         string
	ReceivedOn     string // 2006-01-02, Asia/Shanghai
	DueOn          string
	Status         BurdenTaskStatus
	Minutes        int // done: the time it took
	DecisionReason string
	DecidedByName  string
	DecidedAt      *time.Time
	DoneAt         *time.Time
	DoneByName     string
	CreatedBy      int64
	CreatedByName  string
	CreatedAt      time.Time
	Caller         BurdenCaller
}

// BurdenCaller is what the caller may do with a task.
type BurdenCaller struct {
	Work   bool // community work: accept an on-list task, record it done
	Decide bool // street approval of an off-list task (not one the caller recorded itself)
}

// OnList reports whether the task falls under a duty of the list.
func (t *BurdenTask) OnList() bool { return t.DutyID != 0 }

// Hours is the time the task took, "1.5".
func (t *BurdenTask) Hours() string { return FormatHours(t.Minutes) }

// Overdue reports whether the task is still open after its deadline (today in Shanghai).
func (t *BurdenTask) Overdue(now time.Time) bool {
	open := t.Status == TaskReceived || t.Status == TaskPending || t.Status == TaskAccepted
	return open && t.DueOn != "" && t.DueOn < now.In(Shanghai).Format(time.DateOnly)
}

// BurdenTaskInput is a task as community staff record it.
type BurdenTaskInput struct {
	CommunityID  int64
	DepartmentID int64
	DutyID       int64     // 0: not on the list
	Body         OwnerBody // "": the residents' (villagers') committee, where handed-down tasks land
	Title        string
	Detail       string
	ReceivedOn   string
	DueOn        string
}

// Validate checks the task's own fields; the store checks that the department and the duty
// apply to the community.
func (in *BurdenTaskInput) Validate(now time.Time) error {
	in.Title, in.Detail = strings.TrimSpace(in.Title), strings.TrimSpace(in.Detail)
	var v ValidationError
	if in.CommunityID <= 0 {
		v.Add("community_id", "请选择社区")
	}
	if in.DepartmentID <= 0 {
		v.Add("department_id", "请从部门名录中选择交办部门")
	}
	if in.Body = OwnerBodyOr(in.Body, OwnerCommittee); !in.Body.Valid() {
		v.Add("body", ownerBodyMessage)
	}
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		v.Add("title", "请填写交办事项")
	case n > BurdenTitleMax:
		v.Add("title", "交办事项不超过 "+strconv.Itoa(BurdenTitleMax)+" 个字")
	}
	if utf8.RuneCountInString(in.Detail) > BurdenDetailMax {
		v.Add("detail", "说明不超过 "+strconv.Itoa(BurdenDetailMax)+" 个字")
	}
	today := now.In(Shanghai).Format(time.DateOnly)
	rec, err := time.Parse(time.DateOnly, in.ReceivedOn)
	switch {
	case err != nil:
		v.Add("received_on", "请填写收到日期，格式如 2026-03-01")
	case in.ReceivedOn > today:
		v.Add("received_on", "收到日期不能晚于今天")
	}
	due, err := time.Parse(time.DateOnly, in.DueOn)
	switch {
	case err != nil:
		v.Add("due_on", "请填写办理时限，格式如 2026-03-15")
	case !rec.IsZero() && due.Before(rec):
		v.Add("due_on", "办理时限不能早于收到日期")
	}
	return v.Err()
}

// BurdenDecisionInput is the street's decision on an off-list task.
type BurdenDecisionInput struct {
	Approve bool
	Reason  string
}

// Validate checks the reason.
func (in *BurdenDecisionInput) Validate() error {
	in.Reason = strings.TrimSpace(in.Reason)
	switch n := utf8.RuneCountInString(in.Reason); {
	case n == 0:
		return &ValidationError{Fields: []FieldError{{Field: "reason", Message: "请写明批准或拒绝的理由"}}}
	case n > BurdenReasonMax:
		return &ValidationError{Fields: []FieldError{{Field: "reason", Message: "理由不超过 " + strconv.Itoa(BurdenReasonMax) + " 个字"}}}
	}
	return nil
}

// BurdenMinutes reads the hours a task took (timebank's ParseHours: at most two decimals)
// as minutes. Bad input is a *ValidationError on field.
func BurdenMinutes(field, s string) (int, error) {
	m, ok := ParseHours(s)
	switch {
	case !ok:
		return 0, &ValidationError{Fields: []FieldError{{Field: field, Message: "请填写用时（小时），最多两位小数，如 1.5"}}}
	case m <= 0:
		return 0, &ValidationError{Fields: []FieldError{{Field: field, Message: "用时应大于 0"}}}
	case m > BurdenMaxHours*60:
		return 0, &ValidationError{Fields: []FieldError{{Field: field, Message: "用时不超过 " + strconv.Itoa(BurdenMaxHours) + " 小时"}}}
	}
	return m, nil
}

// BurdenView is the burden of a community, or of the communities under a node, in one year:
// hours on handed-down tasks (done in the year) set against hours serving residents.
type BurdenView struct {
	Year         int
	Months       []BurdenMonth // 12, January first
	Departments  []BurdenDepartmentRow
	Communities  []BurdenCommunityRow // one per community under the node, by name
	TaskMinutes  int
	ServeMinutes int
	Tasks        int // received in the year
	OffList      int // of them off the list
	Refused      int
	Pending      int // waiting for the street now
}

// BurdenMonth is one month of the view.
type BurdenMonth struct {
	Month        string // 2026-03
	TaskMinutes  int
	ServeMinutes int
}

// BurdenDepartmentRow is one sender's part of the view.
type BurdenDepartmentRow struct {
	Name    string
	Line    string
	Tasks   int
	OffList int
	Minutes int
}

// BurdenCommunityRow is one community's part of the view.
type BurdenCommunityRow struct {
	ID           int64
	Name         string
	Tasks        int
	OffList      int
	TaskMinutes  int
	ServeMinutes int
}

// TaskShare is the share of task hours in all hours, 0–100.
func (v *BurdenView) TaskShare() int { return share(v.TaskMinutes, v.ServeMinutes) }

// TaskShare is the community's share of task hours, 0–100.
func (r BurdenCommunityRow) TaskShare() int { return share(r.TaskMinutes, r.ServeMinutes) }

func share(task, serve int) int {
	if task+serve == 0 {
		return 0
	}
	return task * 100 / (task + serve)
}

// SortDepartments orders the senders by hours, then tasks, then name.
func (v *BurdenView) SortDepartments() {
	slices.SortFunc(v.Departments, func(a, b BurdenDepartmentRow) int {
		return cmp.Or(cmp.Compare(b.Minutes, a.Minutes), cmp.Compare(b.Tasks, a.Tasks), strings.Compare(a.Name, b.Name))
	})
}

// BurdenMonthOf is the month (Asia/Shanghai) of t, "2026-03".
func BurdenMonthOf(t time.Time) string { return t.In(Shanghai).Format("2006-01") }

// TaskHours is the month's task hours, "1.5".
func (m BurdenMonth) TaskHours() string { return FormatHours(m.TaskMinutes) }

// ServeHours is the month's hours serving residents.
func (m BurdenMonth) ServeHours() string { return FormatHours(m.ServeMinutes) }

// Hours is the sender's task hours.
func (r BurdenDepartmentRow) Hours() string { return FormatHours(r.Minutes) }

// TaskHours is the community's task hours.
func (r BurdenCommunityRow) TaskHours() string { return FormatHours(r.TaskMinutes) }

// ServeHours is the community's hours serving residents.
func (r BurdenCommunityRow) ServeHours() string { return FormatHours(r.ServeMinutes) }
