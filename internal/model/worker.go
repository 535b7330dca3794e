package model

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Community workers (社区工作者, issue 12 item 3): the roster of a community's paid staff, with
// their position, social-work qualification, training hours, recruitment records (exam,
// interview, appointment), the grids each is assigned to and the account each logs in with.
// The phone and ID number are Sensitive: masked on every render path, sealed at rest, full
// only through the store's audited reveal (store.RevealWorker).

// Qualification is the worker's social-work vocational qualification (社会工作者职业资格).
type Qualification string

// The qualification levels.
const (
	QualNone      Qualification = "none"      // 无
	QualAssistant Qualification = "assistant" // 助理社会工作师
	QualWorker    Qualification = "worker"    // 社会工作师
	QualSenior    Qualification = "senior"    // 高级社会工作师
)

// Qualifications lists the levels, lowest first.
var Qualifications = []Qualification{QualNone, QualAssistant, QualWorker, QualSenior}

var qualLabels = map[Qualification]string{QualNone: "无", QualAssistant: "助理社会工作师", QualWorker: "社会工作师", QualSenior: "高级社会工作师"}

// Valid reports whether q is a known level.
func (q Qualification) Valid() bool { return slices.Contains(Qualifications, q) }

// Label is the level's Chinese name.
func (q Qualification) Label() string { return qualLabels[q] }

// WorkerPositions are the usual positions, offered as suggestions (the field is free text).
var WorkerPositions = []string{"社区书记", "社区主任", "副主任", "专职网格员", "社区专职工作者", "社会工作者", "综治专干", "民政专干"}

// RecruitStage is a step of a worker's recruitment.
type RecruitStage string

// The stages, in order.
const (
	StageExam        RecruitStage = "exam"        // 笔试
	StageInterview   RecruitStage = "interview"   // 面试
	StageAppointment RecruitStage = "appointment" // 聘用
)

// RecruitStages lists the stages in order.
var RecruitStages = []RecruitStage{StageExam, StageInterview, StageAppointment}

var recruitStageLabels = map[RecruitStage]string{StageExam: "笔试", StageInterview: "面试", StageAppointment: "聘用"}

// Valid reports whether s is a known stage.
func (s RecruitStage) Valid() bool { return slices.Contains(RecruitStages, s) }

// Label is the stage's Chinese name.
func (s RecruitStage) Label() string { return recruitStageLabels[s] }

// RecruitResult is the outcome of a stage.
type RecruitResult string

// The outcomes.
const (
	ResultPassed RecruitResult = "passed" // 通过 (for an appointment: 已聘用)
	ResultFailed RecruitResult = "failed" // 未通过
)

// Valid reports whether r is a known outcome.
func (r RecruitResult) Valid() bool { return r == ResultPassed || r == ResultFailed }

// Label is the outcome's Chinese name.
func (r RecruitResult) Label() string {
	switch r {
	case ResultPassed:
		return "通过"
	case ResultFailed:
		return "未通过"
	}
	return ""
}

// Worker is one community worker.
type Worker struct {
	ID            int64
	CommunityID   int64
	CommunityName string
	Path          string // the community's path
	Name          string
	Position      string
	Qualification Qualification
	Phone         Sensitive
	IDNumber      Sensitive
	HiredOn       string // YYYY-MM-DD, "" when unknown
	LeftOn        string // YYYY-MM-DD, "" while serving
	UserID        int64  // the worker's account, 0 for none
	Username      string
	// TrainingMinutes is the sum of the worker's training records.
	TrainingMinutes int64
	// Coverage: the grids the worker is assigned to and the households under them (the
	// territory tree's maintained counts).
	GridCount  int64
	Households int64
	// Visits90 counts the worker's visits in the last 90 days.
	Visits90 int64
	// Grids, Trainings and Recruitments are filled on a single read.
	Grids        []TerritoryRef
	Trainings    []Training
	Recruitments []Recruitment
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Active reports whether the worker still serves.
func (w *Worker) Active() bool { return w.LeftOn == "" }

// TrainingHours is the training total in hours, one decimal ("12.5").
func (w *Worker) TrainingHours() string { return FormatHours(int(w.TrainingMinutes)) }

// Training is one training record.
type Training struct {
	ID      int64
	On      string // YYYY-MM-DD
	Title   string
	Minutes int64
}

// Hours is the record's hours.
func (t Training) Hours() string { return FormatHours(int(t.Minutes)) }

// Recruitment is one step of a worker's recruitment.
type Recruitment struct {
	ID     int64
	Stage  RecruitStage
	On     string // YYYY-MM-DD
	Result RecruitResult
	Score  string // as announced ("86.5"), "" for none
	Note   string
}

// WorkerInput is what staff set on a worker. On an update an empty Phone or IDNumber keeps
// the stored value (a client holds only the mask).
type WorkerInput struct {
	CommunityID   int64
	Name          string
	Position      string
	Qualification Qualification
	Phone         string
	IDNumber      string
	HiredOn       string
	LeftOn        string
	UserID        int64
}

// Validate checks the fields on their own; the store checks the community and the account.
func (in *WorkerInput) Validate(now time.Time) error {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	in.Position = strings.TrimSpace(in.Position)
	in.Phone = strings.TrimSpace(in.Phone)
	in.IDNumber = strings.ToUpper(strings.TrimSpace(in.IDNumber))
	in.HiredOn, in.LeftOn = strings.TrimSpace(in.HiredOn), strings.TrimSpace(in.LeftOn)
	if in.CommunityID <= 0 {
		v.Add("community_id", "请选择社区")
	}
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		v.Add("name", "请填写姓名")
	case n > 32:
		v.Add("name", "姓名不能超过32个字")
	}
	switch n := utf8.RuneCountInString(in.Position); {
	case n == 0:
		v.Add("position", "请填写岗位，如 社区专职工作者")
	case n > 32:
		v.Add("position", "岗位不能超过32个字")
	}
	if in.Qualification == "" {
		in.Qualification = QualNone
	}
	if !in.Qualification.Valid() {
		v.Add("qualification", "职业资格应为 none、assistant、worker 或 senior")
	}
	if in.Phone != "" {
		if msg := CheckPhone(in.Phone); msg != "" {
			v.Add("phone", msg)
		}
	}
	if in.IDNumber != "" {
		if _, msg := ParseIDNumber(in.IDNumber, now); msg != "" {
			v.Add("id_number", msg)
		}
	}
	checkWorkerDate(&v, "hired_on", in.HiredOn, now, false)
	checkWorkerDate(&v, "left_on", in.LeftOn, now, false)
	if in.HiredOn != "" && in.LeftOn != "" && in.LeftOn < in.HiredOn {
		v.Add("left_on", "离职日期不能早于入职日期")
	}
	return v.Err()
}

// checkWorkerDate checks an optional (or, with required, mandatory) YYYY-MM-DD date that is not in
// the future (Asia/Shanghai).
func checkWorkerDate(v *ValidationError, field, s string, now time.Time, required bool) {
	if s == "" {
		if required {
			v.Add(field, "请填写日期，格式如 2026-03-01")
		}
		return
	}
	d, err := time.ParseInLocation("2006-01-02", s, Shanghai)
	switch {
	case err != nil:
		v.Add(field, "日期格式应为 2026-03-01")
	case d.After(now.In(Shanghai)):
		v.Add(field, "日期不能晚于今天")
	case d.Year() < 1950:
		v.Add(field, "日期不能早于1950年")
	}
}

// TrainingInput is a training record to add.
type TrainingInput struct {
	On      string
	Title   string
	Hours   string
	Minutes int64 // set by Validate
}

// Validate checks the record and sets Minutes.
func (in *TrainingInput) Validate(now time.Time) error {
	var v ValidationError
	in.On, in.Title = strings.TrimSpace(in.On), strings.TrimSpace(in.Title)
	checkWorkerDate(&v, "date", in.On, now, true)
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		v.Add("title", "请填写培训内容，如 社会工作实务培训")
	case n > 64:
		v.Add("title", "培训内容不能超过64个字")
	}
	m, ok := ParseHours(in.Hours)
	switch {
	case !ok || strings.TrimSpace(in.Hours) == "":
		v.Add("hours", "请填写学时，如 2 或 1.5")
	case m <= 0 || m > 200*60:
		v.Add("hours", "一次培训的学时应在 0.01 到 200 之间")
	}
	in.Minutes = int64(m)
	return v.Err()
}

// RecruitmentInput is a recruitment step to record.
type RecruitmentInput struct {
	Stage  RecruitStage
	On     string
	Result RecruitResult
	Score  string
	Note   string
}

// Validate checks the step.
func (in *RecruitmentInput) Validate(now time.Time) error {
	var v ValidationError
	in.On, in.Score, in.Note = strings.TrimSpace(in.On), strings.TrimSpace(in.Score), strings.TrimSpace(in.Note)
	if !in.Stage.Valid() {
		v.Add("stage", "环节应为 exam（笔试）、interview（面试）或 appointment（聘用）")
	}
	checkWorkerDate(&v, "date", in.On, now, true)
	if !in.Result.Valid() {
		v.Add("result", "结果应为 passed（通过）或 failed（未通过）")
	}
	if in.Score != "" {
		if f, err := strconv.ParseFloat(in.Score, 64); err != nil || f < 0 || f > 1000 {
			v.Add("score", "成绩应为 0–1000 的数，如 86.5")
		}
	}
	if utf8.RuneCountInString(in.Note) > 200 {
		v.Add("note", "备注不能超过200个字")
	}
	return v.Err()
}

// String names the worker for logs (never a personal value).
func (w *Worker) String() string { return fmt.Sprintf("worker %d", w.ID) }
