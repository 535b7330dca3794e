package model

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The development pipeline (发展党员): application (入党申请) → activist (入党积极分子) →
// development target (发展对象) → probationary member (预备党员) → full member (转正). Each stage
// has its date, its required documents and, from admission on, two sponsors (入党介绍人) who are
// full members. CheckAdvance is the one function that enforces the rules.

// Stage is a candidate's stage in the pipeline.
type Stage string

// The stages in order.
const (
	StageApplication  Stage = "application"
	StageActivist     Stage = "activist"
	StageTarget       Stage = "development_target"
	StageProbationary Stage = "probationary"
	StageFull         Stage = "full"
)

// Stages lists the stages in order.
var Stages = []Stage{StageApplication, StageActivist, StageTarget, StageProbationary, StageFull}

var stageLabels = map[Stage]string{
	StageApplication: "入党申请人", StageActivist: "入党积极分子", StageTarget: "发展对象",
	StageProbationary: "预备党员", StageFull: "正式党员",
}

// Valid reports whether s is a known stage.
func (s Stage) Valid() bool { _, ok := stageLabels[s]; return ok }

// Label is the stage's Chinese name.
func (s Stage) Label() string { return stageLabels[s] }

// Index is the stage's place in the pipeline (0 for an application, -1 for an unknown stage).
func (s Stage) Index() int {
	for i, t := range Stages {
		if t == s {
			return i
		}
	}
	return -1
}

// Next is the stage after s ("" after full membership).
func (s Stage) Next() Stage {
	if i := s.Index(); i >= 0 && i+1 < len(Stages) {
		return Stages[i+1]
	}
	return ""
}

// DocKind is a document a stage requires.
type DocKind string

// The documents of the pipeline, by the stage that requires them.
const (
	DocApplication    DocKind = "application_letter"    // 入党申请书
	DocTalk           DocKind = "talk_record"           // 谈话记录
	DocRecommendation DocKind = "recommendation"        // 推荐材料（党员推荐、群团组织推优）
	DocTraining       DocKind = "training_record"       // 培养教育考察登记
	DocPolitical      DocKind = "political_review"      // 政治审查材料
	DocCourse         DocKind = "training_certificate"  // 集中培训结业证明
	DocVolunteer      DocKind = "admission_form"        // 入党志愿书
	DocResolution     DocKind = "branch_resolution"     // 支部大会决议及上级党委审批
	DocConversion     DocKind = "conversion_request"    // 转正申请书
	DocConvResolution DocKind = "conversion_resolution" // 转正的支部大会决议及上级党委审批
)

var docLabels = map[DocKind]string{
	DocApplication: "入党申请书", DocTalk: "谈话记录", DocRecommendation: "推荐材料（党员推荐、群团推优）",
	DocTraining: "培养教育考察登记表", DocPolitical: "政治审查材料", DocCourse: "集中培训结业证明",
	DocVolunteer: "入党志愿书", DocResolution: "支部大会决议及上级党委审批意见", DocConversion: "转正申请书",
	DocConvResolution: "转正支部大会决议及上级党委审批意见",
}

// Label is the document's Chinese name.
func (d DocKind) Label() string { return docLabels[d] }

// StageDocuments are the documents that must be recorded before a candidate enters each stage.
var StageDocuments = map[Stage][]DocKind{
	StageApplication:  {DocApplication},
	StageActivist:     {DocTalk, DocRecommendation},
	StageTarget:       {DocTraining, DocPolitical},
	StageProbationary: {DocCourse, DocVolunteer, DocResolution},
	StageFull:         {DocConversion, DocConvResolution},
}

// DocStage is the stage that requires d ("" for an unknown document).
func DocStage(d DocKind) Stage {
	for _, s := range Stages {
		for _, k := range StageDocuments[s] {
			if k == d {
				return s
			}
		}
	}
	return ""
}

// The waiting periods the pipeline enforces.
const (
	ActivistYears  = 1 // at least one year as an activist before becoming a development target
	ProbationYears = 1 // one year of probation before full membership
)

// Candidate is someone in the pipeline.
type Candidate struct {
	ID             int64
	ResidentID     int64
	Name           string
	OrgID          int64
	OrgName        string
	Path           string
	Stage          Stage
	Status         string // active | withdrawn
	AppliedOn      time.Time
	ActivistOn     *time.Time
	TargetOn       *time.Time
	ProbationaryOn *time.Time
	FullOn         *time.Time
	Sponsor1ID     int64
	Sponsor1Name   string
	Sponsor2ID     int64
	Sponsor2Name   string
	MemberID       int64 // the roster row once admitted
	Documents      []CandidateDocument
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// StageDate is the date the candidate entered s (nil when not yet).
func (c *Candidate) StageDate(s Stage) *time.Time {
	switch s {
	case StageApplication:
		return &c.AppliedOn
	case StageActivist:
		return c.ActivistOn
	case StageTarget:
		return c.TargetOn
	case StageProbationary:
		return c.ProbationaryOn
	case StageFull:
		return c.FullOn
	}
	return nil
}

// HasDoc reports whether d is recorded for c.
func (c *Candidate) HasDoc(d DocKind) bool {
	for _, x := range c.Documents {
		if x.Doc == d {
			return true
		}
	}
	return false
}

// CandidateDocument is a recorded document.
type CandidateDocument struct {
	Doc        DocKind
	Stage      Stage
	RecordedOn time.Time
	Note       string
}

// CandidateEvent is one entry of a candidate's history.
type CandidateEvent struct {
	ID        int64
	Action    string
	FromStage Stage
	ToStage   Stage
	OnDate    *time.Time
	Detail    string
	ActorID   int64
	At        time.Time
}

// CandidateInput is a new application.
type CandidateInput struct {
	ResidentID int64
	OrgID      int64
	AppliedOn  string // YYYY-MM-DD
	Note       string
}

// Validate checks a new application: the resident, the branch that develops the candidate and
// a date of application not in the future.
func (in *CandidateInput) Validate(today time.Time) error {
	v := &ValidationError{}
	if in.ResidentID <= 0 {
		v.Add("resident_id", "请选择申请人（本社区居民）")
	}
	if in.OrgID <= 0 {
		v.Add("org_id", "请选择培养的党支部")
	}
	checkDateNotFuture(v, "applied_on", "申请日期", in.AppliedOn, today)
	in.Note = strings.TrimSpace(in.Note)
	checkText(v, "note", in.Note, "备注", 500, false)
	return v.Err()
}

func checkDateNotFuture(v *ValidationError, field, what, s string, today time.Time) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	switch {
	case strings.TrimSpace(s) == "":
		v.Add(field, "请填写"+what)
	case err != nil:
		v.Add(field, what+"应为 YYYY-MM-DD 格式，例如 2026-03-01")
	case d.Format(time.DateOnly) > today.Format(time.DateOnly):
		v.Add(field, what+"不能晚于今天")
	}
}

// AdvanceInput moves a candidate to the next stage on a date, naming the sponsors when the
// stage needs them (admission as a probationary member).
type AdvanceInput struct {
	To         Stage
	On         string // YYYY-MM-DD
	Sponsor1ID int64
	Sponsor2ID int64
	Note       string
}

// Sponsor is what the pipeline needs to know of a proposed sponsor (a roster row).
type Sponsor struct {
	ID     int64
	Name   string
	Full   bool // a full member (not probationary), on the registered list, not left
	Exists bool // the member exists in the caller's scope
}

// CheckAdvance is the pipeline's rules, in one place. It refuses, with a ValidationError
// naming the field: a stage other than the next one (no stage skipped, none gone back to); a
// date that is not a date, lies in the future or before the current stage's date; a
// development target less than ActivistYears after becoming an activist; full membership less
// than ProbationYears after admission; admission without two different
// sponsors who are full members; a stage whose required documents (StageDocuments) are not all
// recorded. A withdrawn candidate cannot advance.
func CheckAdvance(c *Candidate, in *AdvanceInput, sponsors []Sponsor, today time.Time) error {
	v := &ValidationError{}
	if c.Status != "" && c.Status != "active" {
		v.Add("to", "该申请人已退出发展流程")
		return v
	}
	next := c.Stage.Next()
	switch {
	case !in.To.Valid():
		v.Add("to", "阶段应为 activist、development_target、probationary 或 full")
		return v
	case next == "":
		v.Add("to", "已是正式党员，发展流程已结束")
		return v
	case in.To != next:
		if in.To.Index() > next.Index() {
			v.Add("to", fmt.Sprintf("不能跳过阶段：当前为%s，下一阶段应为%s", c.Stage.Label(), next.Label()))
		} else {
			v.Add("to", fmt.Sprintf("不能退回或重复阶段：当前为%s，下一阶段应为%s", c.Stage.Label(), next.Label()))
		}
		return v
	}
	checkDateNotFuture(v, "on", "日期", in.On, today)
	on, err := time.Parse(time.DateOnly, strings.TrimSpace(in.On))
	if err == nil {
		prev := c.StageDate(c.Stage)
		if prev != nil && on.Format(time.DateOnly) < prev.Format(time.DateOnly) {
			v.Add("on", fmt.Sprintf("日期不能早于成为%s的日期 %s", c.Stage.Label(), prev.Format(time.DateOnly)))
		}
		switch in.To {
		case StageTarget:
			if c.ActivistOn != nil {
				due := c.ActivistOn.AddDate(ActivistYears, 0, 0)
				if on.Before(due) {
					v.Add("on", fmt.Sprintf("确定为入党积极分子满一年后才能列为发展对象：最早 %s", due.Format(time.DateOnly)))
				}
			}
		case StageFull:
			if c.ProbationaryOn != nil {
				due := c.ProbationaryOn.AddDate(ProbationYears, 0, 0)
				if on.Before(due) {
					v.Add("on", fmt.Sprintf("预备期为一年，期满后才能转为正式党员：最早 %s", due.Format(time.DateOnly)))
				}
			}
		}
	}
	if in.To == StageProbationary {
		checkSponsors(v, in, sponsors)
	}
	var missing []string
	for _, d := range StageDocuments[in.To] {
		if !c.HasDoc(d) {
			missing = append(missing, d.Label())
		}
	}
	if len(missing) > 0 {
		v.Add("documents", "进入"+in.To.Label()+"阶段前需登记材料："+strings.Join(missing, "、"))
	}
	in.Note = strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Note) > 500 {
		v.Add("note", "备注不能超过500个字")
	}
	return v.Err()
}

// checkSponsors: two different sponsors, each an existing full member.
func checkSponsors(v *ValidationError, in *AdvanceInput, sponsors []Sponsor) {
	ids := []int64{in.Sponsor1ID, in.Sponsor2ID}
	fields := []string{"sponsor1_id", "sponsor2_id"}
	for i, id := range ids {
		if id == 0 {
			v.Add(fields[i], "请选择入党介绍人（须为正式党员）")
			continue
		}
		var s *Sponsor
		for j := range sponsors {
			if sponsors[j].ID == id {
				s = &sponsors[j]
			}
		}
		switch {
		case s == nil || !s.Exists:
			v.Add(fields[i], "入党介绍人不存在或不在您的管辖范围内")
		case !s.Full:
			v.Add(fields[i], s.Name+"不是正式党员，不能担任入党介绍人")
		}
	}
	if in.Sponsor1ID != 0 && in.Sponsor1ID == in.Sponsor2ID {
		v.Add("sponsor2_id", "两名入党介绍人不能是同一人")
	}
}

// DocumentInput records a document of a candidate.
type DocumentInput struct {
	Doc        DocKind
	RecordedOn string
	Note       string
}

// Validate checks the document's kind and date.
func (in *DocumentInput) Validate(today time.Time) error {
	v := &ValidationError{}
	if DocStage(in.Doc) == "" {
		v.Add("doc", "材料类型不正确")
	}
	checkDateNotFuture(v, "recorded_on", "材料日期", in.RecordedOn, today)
	in.Note = strings.TrimSpace(in.Note)
	checkText(v, "note", in.Note, "备注", 500, false)
	return v.Err()
}

// StageDue is a reminder of the pipeline: the candidate can (or must) move on from the current
// stage on Due. Only stages with a rule date have one: an activist may become a development
// target a year after becoming an activist; a probationary member's conversion is due a year
// after admission.
type StageDue struct {
	Next    Stage
	Due     time.Time
	Overdue bool // the date has passed
	Soon    bool // within StageReminderDays
}

// StageReminderDays is how long before a stage's due date the reminder shows.
const StageReminderDays = 30

// DueOf is c's reminder as of today, ok false when the current stage has no rule date.
// Reminders are computed when the board is read, not sent by a job.
func DueOf(c *Candidate, today time.Time) (StageDue, bool) {
	var from *time.Time
	var years int
	switch c.Stage {
	case StageActivist:
		from, years = c.ActivistOn, ActivistYears
	case StageProbationary:
		from, years = c.ProbationaryOn, ProbationYears
	default:
		return StageDue{}, false
	}
	if from == nil || c.Status == "withdrawn" {
		return StageDue{}, false
	}
	due := from.AddDate(years, 0, 0)
	d, t := due.Format(time.DateOnly), today.Format(time.DateOnly)
	return StageDue{Next: c.Stage.Next(), Due: due, Overdue: d <= t,
		Soon: d > t && d <= today.AddDate(0, 0, StageReminderDays).Format(time.DateOnly)}, true
}
