package model

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The projects list (项目清单) of the three lists: a need matched with a resource, proposed by
// staff or a grid leader, approved (or rejected) by the community's staff, then carried out
// with an owner and milestones. ProjectTransition decides every change of status; the store
// applies it with a conditional UPDATE on the status it read, so two approvals racing on one
// project have exactly one effect.

// ProjectStatus is where a project stands.
type ProjectStatus string

// The statuses.
const (
	ProjectProposed   ProjectStatus = "proposed"    // 待审批
	ProjectApproved   ProjectStatus = "approved"    // 已批准
	ProjectInProgress ProjectStatus = "in_progress" // 实施中
	ProjectDone       ProjectStatus = "done"        // 已完成
	ProjectRejected   ProjectStatus = "rejected"    // 未批准
	ProjectCancelled  ProjectStatus = "cancelled"   // 已取消
)

// ProjectStatuses lists the statuses in the order of the flow.
var ProjectStatuses = []ProjectStatus{ProjectProposed, ProjectApproved, ProjectInProgress, ProjectDone, ProjectRejected, ProjectCancelled}

var projectStatusLabels = map[ProjectStatus]string{
	ProjectProposed: "待审批", ProjectApproved: "已批准", ProjectInProgress: "实施中", ProjectDone: "已完成", ProjectRejected: "未批准", ProjectCancelled: "已取消",
}

// Label is the status's Chinese name.
func (s ProjectStatus) Label() string { return projectStatusLabels[s] }

// Valid reports whether s is a known status.
func (s ProjectStatus) Valid() bool { return projectStatusLabels[s] != "" }

// Public reports whether a project in s is shown to members and residents: once the community
// approved it (the proposals, rejections and cancellations are the office's business).
func (s ProjectStatus) Public() bool {
	return s == ProjectApproved || s == ProjectInProgress || s == ProjectDone
}

// Live reports whether a project in s still holds its resource (proposed, approved, in progress).
func (s ProjectStatus) Live() bool {
	return s == ProjectProposed || s == ProjectApproved || s == ProjectInProgress
}

// ProjectAction is a transition of a project.
type ProjectAction string

// The transitions. Approve and reject are the community's (ProjectActorApprover); the others
// are anyone's who works the lists in the project's territory.
const (
	ProjectApprove  ProjectAction = "approve"
	ProjectReject   ProjectAction = "reject"
	ProjectStart    ProjectAction = "start"
	ProjectComplete ProjectAction = "complete"
	ProjectCancel   ProjectAction = "cancel"
)

var projectActionLabels = map[ProjectAction]string{
	ProjectApprove: "批准", ProjectReject: "不予批准", ProjectStart: "开始实施", ProjectComplete: "完成", ProjectCancel: "取消",
}

// Label is the action's Chinese name ("提出" for the creation, "" for an unknown one).
func (a ProjectAction) Label() string {
	if a == "propose" {
		return "提出项目"
	}
	if a == "milestone" {
		return "里程碑"
	}
	return projectActionLabels[a]
}

// Valid reports whether a is a known transition.
func (a ProjectAction) Valid() bool { return projectActionLabels[a] != "" }

type projectEdge struct {
	from   ProjectStatus
	action ProjectAction
}

var projectMachine = map[projectEdge]ProjectStatus{
	{ProjectProposed, ProjectApprove}:    ProjectApproved,
	{ProjectProposed, ProjectReject}:     ProjectRejected,
	{ProjectProposed, ProjectCancel}:     ProjectCancelled,
	{ProjectApproved, ProjectStart}:      ProjectInProgress,
	{ProjectApproved, ProjectCancel}:     ProjectCancelled,
	{ProjectInProgress, ProjectComplete}: ProjectDone,
	{ProjectInProgress, ProjectCancel}:   ProjectCancelled,
}

// ProjectTransition decides action on a project in status from, by a caller who may approve
// (approver: the community's staff) or not: the status it leads to, a *ValidationError for an
// unknown action, a *ConflictError when the action is not allowed from this status (a second
// approval among them), or a *ForbiddenError when only an approver may take it.
func ProjectTransition(from ProjectStatus, action ProjectAction, approver bool) (ProjectStatus, error) {
	if !action.Valid() {
		return "", &ValidationError{Fields: []FieldError{{Field: "action", Message: "操作应为 approve（批准）、reject（不予批准）、start（开始实施）、complete（完成）或 cancel（取消）"}}}
	}
	to, ok := projectMachine[projectEdge{from, action}]
	if !ok {
		return "", &ConflictError{Message: fmt.Sprintf("项目%s，不能%s", from.Label(), action.Label())}
	}
	if (action == ProjectApprove || action == ProjectReject) && !approver {
		return "", &ForbiddenError{Message: "只有社区工作人员可以审批项目"}
	}
	return to, nil
}

// ProjectActions lists the transitions a caller may take on a project in s (the buttons).
func ProjectActions(s ProjectStatus, approver bool) []ProjectAction {
	var out []ProjectAction
	for _, a := range []ProjectAction{ProjectApprove, ProjectReject, ProjectStart, ProjectComplete, ProjectCancel} {
		if _, err := ProjectTransition(s, a, approver); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// Project is one entry of the projects list. Its community and place are its need's.
type Project struct {
	ID            int64
	CommunityID   int64
	TerritoryID   int64
	TerritoryName string
	Path          string
	NeedID        int64
	NeedTitle     string
	ResourceID    int64
	ResourceTitle string
	OfferedBy     string
	Title         string
	Owner         string // who is responsible, by name
	StartsOn      time.Time
	Status        ProjectStatus
	ProposedBy    string
	ApprovedBy    string
	ApprovedAt    *time.Time
	Milestones    []*Milestone
	History       []ProjectEvent
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Version       int64
}

// MilestonesDone counts the milestones done.
func (p *Project) MilestonesDone() int {
	n := 0
	for _, m := range p.Milestones {
		if m.DoneAt != nil {
			n++
		}
	}
	return n
}

// ProjectInput is what proposing a project (matching a need with a resource) takes.
type ProjectInput struct {
	NeedID     int64  `json:"need_id,string"`
	ResourceID int64  `json:"resource_id,string"`
	Title      string `json:"title"`
	Owner      string `json:"owner"`
	StartsOn   string `json:"starts_on"` // YYYY-MM-DD
	Reason     string `json:"reason"`
}

// Validate checks the fields and reports all bad ones; it returns the start date. The need
// and the resource (same community, in scope, open and available) are checked by the store.
func (in *ProjectInput) Validate() (time.Time, error) {
	var v ValidationError
	in.Title = strings.TrimSpace(in.Title)
	in.Owner = strings.TrimSpace(in.Owner)
	in.Reason = strings.TrimSpace(in.Reason)
	if in.NeedID <= 0 {
		v.Add("need_id", "请选择需求")
	}
	if in.ResourceID <= 0 {
		v.Add("resource_id", "请选择资源")
	}
	checkListTitle(&v, "title", in.Title, "项目名称")
	switch {
	case in.Owner == "":
		v.Add("owner", "请填写项目负责人")
	case utf8.RuneCountInString(in.Owner) > 32 || strings.ContainsAny(in.Owner, "\x00\r\n\t"):
		v.Add("owner", "负责人不能超过32个字")
	}
	start, err := time.Parse(time.DateOnly, strings.TrimSpace(in.StartsOn))
	if err != nil {
		v.Add("starts_on", "开始日期应为 YYYY-MM-DD，例如 2026-12-15")
	}
	if utf8.RuneCountInString(in.Reason) > 500 {
		v.Add("reason", "说明不能超过500个字")
	}
	return start, v.Err()
}

// ProjectTransitionInput is one transition with its reason (required to reject or cancel).
type ProjectTransitionInput struct {
	Action ProjectAction `json:"action"`
	Reason string        `json:"reason"`
}

// Validate checks the reason.
func (in *ProjectTransitionInput) Validate() error {
	var v ValidationError
	in.Reason = strings.TrimSpace(in.Reason)
	if (in.Action == ProjectReject || in.Action == ProjectCancel) && in.Reason == "" {
		v.Add("reason", "请写明"+in.Action.Label()+"的原因")
	}
	if utf8.RuneCountInString(in.Reason) > 500 {
		v.Add("reason", "原因不能超过500个字")
	}
	return v.Err()
}

// Milestone is a step of a project with its due date, done when ticked.
type Milestone struct {
	ID     int64
	Title  string
	DueOn  time.Time
	DoneAt *time.Time
	DoneBy string
}

// MilestoneInput is a new milestone.
type MilestoneInput struct {
	Title string `json:"title"`
	DueOn string `json:"due_on"` // YYYY-MM-DD
}

// Validate checks the fields against the project's start date and reports all bad ones; it
// returns the due date.
func (in *MilestoneInput) Validate(starts time.Time) (time.Time, error) {
	var v ValidationError
	in.Title = strings.TrimSpace(in.Title)
	checkListTitle(&v, "title", in.Title, "里程碑名称")
	due, err := time.Parse(time.DateOnly, strings.TrimSpace(in.DueOn))
	switch {
	case err != nil:
		v.Add("due_on", "完成期限应为 YYYY-MM-DD，例如 2027-01-31")
	case due.Before(starts):
		v.Add("due_on", "完成期限不能早于项目开始日期 "+starts.Format(time.DateOnly))
	}
	return due, v.Err()
}

// ProjectEvent is one entry of a project's history: who did what, when and why.
type ProjectEvent struct {
	Action string
	From   ProjectStatus
	To     ProjectStatus
	Actor  string
	Reason string
	At     time.Time
}

// Label is the action's Chinese name.
func (e ProjectEvent) Label() string { return ProjectAction(e.Action).Label() }

// SuggestProjectTitle suggests a project's title for a need and a resource (the matching form).
func SuggestProjectTitle(n *Need, r *Resource) string {
	t := []rune(strings.TrimSuffix(n.Title, "需求") + "·" + r.OfferedBy)
	if len(t) > ListTitleMax {
		t = t[:ListTitleMax]
	}
	return string(t)
}
