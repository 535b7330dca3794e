package model

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Study (先进性教育): courses of ordered lessons (text with images, attachments and links) and a
// quiz (single or multiple choice questions, scored, with a pass mark), assigned to orgs or
// members with a due date. A member completes a course by reading every lesson and, when the
// course has questions, passing its quiz.

// CourseStatus is whether a course is being written, open to its assignees, or put away.
type CourseStatus string

// Course statuses. Only a published course can be assigned or studied.
const (
	CourseDraft     CourseStatus = "draft"
	CoursePublished CourseStatus = "published"
	CourseArchived  CourseStatus = "archived"
)

var courseStatusLabels = map[CourseStatus]string{CourseDraft: "草稿", CoursePublished: "已发布", CourseArchived: "已归档"}

// Valid reports whether s is a known status.
func (s CourseStatus) Valid() bool { _, ok := courseStatusLabels[s]; return ok }

// Label is the status's Chinese name.
func (s CourseStatus) Label() string { return courseStatusLabels[s] }

// MaterialKind is what a lesson's material is.
type MaterialKind string

// A lesson carries images (shown in the text), attachments (downloaded) and links.
const (
	MaterialImage      MaterialKind = "image"
	MaterialAttachment MaterialKind = "attachment"
	MaterialLink       MaterialKind = "link"
)

var materialLabels = map[MaterialKind]string{MaterialImage: "图片", MaterialAttachment: "附件", MaterialLink: "链接"}

// Valid reports whether k is a known kind.
func (k MaterialKind) Valid() bool { _, ok := materialLabels[k]; return ok }

// Label is the kind's Chinese name.
func (k MaterialKind) Label() string { return materialLabels[k] }

// Course is a course with its lessons and quiz.
type Course struct {
	ID            int64
	Title         string
	Summary       string
	TerritoryID   int64
	TerritoryName string
	OrgID         int64 // 0: owned by the territory's staff, no org
	OrgName       string
	Path          string
	PassMark      int // percent of questions answered right
	Points        int // awarded once when the quiz is passed
	Status        CourseStatus
	CreatedAt     time.Time
	UpdatedAt     time.Time
	LessonCount   int
	QuestionCount int
	Lessons       []Lesson   // loaded by the single-course reads
	Questions     []Question // likewise
}

// Lesson is one lesson of a course, in order.
type Lesson struct {
	ID        int64
	Position  int
	Title     string
	Body      string
	Materials []Material
}

// Material is an image, attachment or link of a lesson.
type Material struct {
	Kind  MaterialKind
	Title string
	URL   string
}

// Question is one quiz question with its options.
type Question struct {
	ID       int64
	Position int
	Text     string
	Multiple bool
	Options  []QuizOption
}

// QuizOption is one option of a question; Correct is never shown to a member taking the quiz.
type QuizOption struct {
	ID       int64
	Position int
	Text     string
	Correct  bool
}

// CourseInput is a new course with its lessons and questions.
type CourseInput struct {
	Title       string
	Summary     string
	TerritoryID int64
	OrgID       int64
	PassMark    int
	Points      int
	Status      CourseStatus
	Lessons     []LessonInput
	Questions   []QuestionInput
}

// LessonInput is a lesson of a CourseInput, or one added to a course.
type LessonInput struct {
	Title     string
	Body      string
	Materials []Material
}

// QuestionInput is a question of a CourseInput, or one added to a course.
type QuestionInput struct {
	Text     string
	Multiple bool
	Options  []OptionInput
}

// OptionInput is an option of a QuestionInput.
type OptionInput struct {
	Text    string
	Correct bool
}

// Limits of a course's content.
const (
	MaxLessons   = 50
	MaxQuestions = 100
	MaxOptions   = 8
	maxLessonLen = 20000
)

func checkText(v *ValidationError, field, s, what string, max int, required bool) {
	switch n := utf8.RuneCountInString(s); {
	case n == 0 && required:
		v.Add(field, "请填写"+what)
	case n > max:
		v.Add(field, fmt.Sprintf("%s不能超过%d个字", what, max))
	}
}

// Validate trims in and checks it: a title, a pass mark between 1 and 100, points between 0
// and 100, at least one lesson, and every lesson and question valid (see LessonInput.Validate,
// QuestionInput.Validate); field names of lessons and questions carry their index
// ("lessons[0].title").
func (in *CourseInput) Validate() error {
	v := &ValidationError{}
	in.Title, in.Summary = strings.TrimSpace(in.Title), strings.TrimSpace(in.Summary)
	checkText(v, "title", in.Title, "课程名称", 100, true)
	checkText(v, "summary", in.Summary, "课程简介", 1000, false)
	if in.TerritoryID <= 0 {
		v.Add("territory_id", "请选择课程所属的社区或街道")
	}
	if in.PassMark == 0 {
		in.PassMark = 60
	}
	if in.PassMark < 1 || in.PassMark > 100 {
		v.Add("pass_mark", "及格线应为1到100之间的百分数，例如60")
	}
	if in.Points < 0 || in.Points > 100 {
		v.Add("points", "通过测验的积分应为0到100之间的整数")
	}
	if in.Status == "" {
		in.Status = CoursePublished
	}
	if !in.Status.Valid() {
		v.Add("status", "状态应为 draft、published 或 archived")
	}
	switch {
	case len(in.Lessons) == 0:
		v.Add("lessons", "请至少添加一节课")
	case len(in.Lessons) > MaxLessons:
		v.Add("lessons", fmt.Sprintf("一门课程最多%d节课", MaxLessons))
	}
	for i := range in.Lessons {
		in.Lessons[i].check(v, fmt.Sprintf("lessons[%d].", i))
	}
	if len(in.Questions) > MaxQuestions {
		v.Add("questions", fmt.Sprintf("一门课程最多%d道测验题", MaxQuestions))
	}
	for i := range in.Questions {
		in.Questions[i].check(v, fmt.Sprintf("questions[%d].", i))
	}
	return v.Err()
}

// Validate checks a lesson added on its own.
func (in *LessonInput) Validate() error {
	v := &ValidationError{}
	in.check(v, "")
	return v.Err()
}

func (in *LessonInput) check(v *ValidationError, prefix string) {
	in.Title, in.Body = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	checkText(v, prefix+"title", in.Title, "课时标题", 100, true)
	checkText(v, prefix+"body", in.Body, "课时正文", maxLessonLen, false)
	if in.Body == "" && len(in.Materials) == 0 {
		v.Add(prefix+"body", "请填写课时正文，或添加图片、附件或链接")
	}
	if len(in.Materials) > 20 {
		v.Add(prefix+"materials", "一节课最多20个图片、附件或链接")
	}
	for j := range in.Materials {
		m := &in.Materials[j]
		f := fmt.Sprintf("%smaterials[%d].", prefix, j)
		m.Title, m.URL = strings.TrimSpace(m.Title), strings.TrimSpace(m.URL)
		if !m.Kind.Valid() {
			v.Add(f+"kind", "类型应为 image（图片）、attachment（附件）或 link（链接）")
		}
		checkText(v, f+"title", m.Title, "名称", 100, false)
		if msg := checkMaterialURL(m.URL); msg != "" {
			v.Add(f+"url", msg)
		}
	}
}

// checkMaterialURL accepts an http(s) address or a path on this site; nothing else (no
// javascript: or data: addresses that a page would render as a link).
func checkMaterialURL(s string) string {
	if s == "" {
		return "请填写地址"
	}
	if len(s) > 2000 {
		return "地址不能超过2000个字符"
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "地址格式不正确"
	case u.Scheme == "" && strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//"):
		return ""
	case (u.Scheme == "https" || u.Scheme == "http") && u.Host != "":
		return ""
	}
	return "地址应以 https:// 或 http:// 开头，或为本站路径（以 / 开头）"
}

// Validate checks a question added on its own.
func (in *QuestionInput) Validate() error {
	v := &ValidationError{}
	in.check(v, "")
	return v.Err()
}

func (in *QuestionInput) check(v *ValidationError, prefix string) {
	in.Text = strings.TrimSpace(in.Text)
	checkText(v, prefix+"text", in.Text, "题目", 500, true)
	if len(in.Options) < 2 || len(in.Options) > MaxOptions {
		v.Add(prefix+"options", fmt.Sprintf("每道题应有2到%d个选项", MaxOptions))
	}
	correct := 0
	for j := range in.Options {
		in.Options[j].Text = strings.TrimSpace(in.Options[j].Text)
		checkText(v, fmt.Sprintf("%soptions[%d].text", prefix, j), in.Options[j].Text, "选项", 200, true)
		if in.Options[j].Correct {
			correct++
		}
	}
	switch {
	case !in.Multiple && correct != 1:
		v.Add(prefix+"options", "单选题应恰好有一个正确选项")
	case in.Multiple && correct == 0:
		v.Add(prefix+"options", "多选题应至少有一个正确选项")
	}
}

// CoursePatch changes a course's own fields; nil fields stay.
type CoursePatch struct {
	Title    *string
	Summary  *string
	PassMark *int
	Points   *int
	Status   *CourseStatus
}

// Apply sets the fields present in p on in (built from the stored course) for Validate.
func (p CoursePatch) Apply(in *CourseInput) {
	if p.Title != nil {
		in.Title = *p.Title
	}
	if p.Summary != nil {
		in.Summary = *p.Summary
	}
	if p.PassMark != nil {
		in.PassMark = *p.PassMark
		if in.PassMark == 0 {
			in.PassMark = -1 // 0 is not "the default" in a change
		}
	}
	if p.Points != nil {
		in.Points = *p.Points
	}
	if p.Status != nil {
		in.Status = *p.Status
		if in.Status == "" {
			in.Status = "?"
		}
	}
}

// QuizAnswers are a member's answers: for each question id, the chosen option ids.
type QuizAnswers map[int64][]int64

// Grade checks answers against the course's questions and scores them: a question is right
// when the chosen options are exactly its correct ones. It refuses (ValidationError naming
// "answers[<question id>]") a question left unanswered, a single-choice question with more
// than one option chosen, an option that is not the question's, and an answer to a question
// the course does not have. score is the percent right, rounded down.
func Grade(qs []Question, answers QuizAnswers) (correct, score int, err error) {
	v := &ValidationError{}
	if len(qs) == 0 {
		v.Add("answers", "该课程没有测验题")
		return 0, 0, v
	}
	known := map[int64]bool{}
	for _, q := range qs {
		known[q.ID] = true
		f := fmt.Sprintf("answers[%d]", q.ID)
		chosen := slices.Clone(answers[q.ID])
		slices.Sort(chosen)
		chosen = slices.Compact(chosen)
		switch {
		case len(chosen) == 0:
			v.Add(f, fmt.Sprintf("第%d题还没有作答", q.Position))
			continue
		case !q.Multiple && len(chosen) > 1:
			v.Add(f, fmt.Sprintf("第%d题是单选题，只能选一个选项", q.Position))
			continue
		}
		var want []int64
		ok := true
		for _, c := range chosen {
			if !slices.ContainsFunc(q.Options, func(o QuizOption) bool { return o.ID == c }) {
				ok = false
			}
		}
		if !ok {
			v.Add(f, fmt.Sprintf("第%d题的选项不属于这道题，请刷新页面后重新作答", q.Position))
			continue
		}
		for _, o := range q.Options {
			if o.Correct {
				want = append(want, o.ID)
			}
		}
		slices.Sort(want)
		if slices.Equal(chosen, want) {
			correct++
		}
	}
	for id := range answers {
		if !known[id] {
			v.Add(fmt.Sprintf("answers[%d]", id), "该题不属于本课程的测验")
		}
	}
	if err := v.Err(); err != nil {
		return 0, 0, err
	}
	return correct, correct * 100 / len(qs), nil
}

// AssignmentInput assigns a course to an org (its members and those of the orgs under it) or
// to one member, due on DueOn (YYYY-MM-DD, in Asia/Shanghai).
type AssignmentInput struct {
	CourseID int64
	OrgID    int64
	MemberID int64
	DueOn    string
}

// Validate checks that exactly one assignee is named and that the due date is a date not
// before today (today is the date in Asia/Shanghai).
func (in *AssignmentInput) Validate(today time.Time) error {
	v := &ValidationError{}
	if (in.OrgID == 0) == (in.MemberID == 0) {
		v.Add("org_id", "请选择一个党组织或一名党员（二选一）")
	}
	in.DueOn = strings.TrimSpace(in.DueOn)
	d, err := time.Parse(time.DateOnly, in.DueOn)
	switch {
	case in.DueOn == "":
		v.Add("due_on", "请填写截止日期")
	case err != nil:
		v.Add("due_on", "截止日期应为 YYYY-MM-DD 格式，例如 2026-12-31")
	case d.Format(time.DateOnly) < today.Format(time.DateOnly):
		v.Add("due_on", "截止日期不能早于今天")
	}
	return v.Err()
}

// Assignment is a course assigned to an org or member.
type Assignment struct {
	ID         int64
	CourseID   int64
	OrgID      int64
	OrgName    string
	MemberID   int64
	MemberName string
	DueOn      time.Time
	Path       string
	CreatedAt  time.Time
}

// ReminderDays is how long before the due date a course not yet completed is flagged.
const ReminderDays = 7

// DueState is where an assigned course stands against its due date.
type DueState string

// Due states: completed; overdue; due within ReminderDays (a reminder); otherwise open.
const (
	DueDone    DueState = "done"
	DueOverdue DueState = "overdue"
	DueSoon    DueState = "soon"
	DueOpen    DueState = "open"
)

var dueLabels = map[DueState]string{DueDone: "已完成", DueOverdue: "已逾期", DueSoon: "即将到期", DueOpen: "学习中"}

// Label is the state's Chinese name.
func (s DueState) Label() string { return dueLabels[s] }

// DueStateOf is the state of a course due on due (a date) for a member who completed it (or
// not) as of today (the date in Asia/Shanghai). Reminders are computed, not sent by a job:
// the member's course list and the staff's completion view show them when they are read.
func DueStateOf(due time.Time, completed bool, today time.Time) DueState {
	d, t := due.Format(time.DateOnly), today.Format(time.DateOnly)
	switch {
	case completed:
		return DueDone
	case d < t:
		return DueOverdue
	case d <= today.AddDate(0, 0, ReminderDays).Format(time.DateOnly):
		return DueSoon
	}
	return DueOpen
}

// MyCourse is a course as an assigned member sees it in the list.
type MyCourse struct {
	CourseID    int64
	Title       string
	Summary     string
	DueOn       time.Time
	Lessons     int
	LessonsRead int
	Questions   int
	BestScore   int // -1: no attempt
	PassMark    int
	Passed      bool
	Completed   bool
	State       DueState
}

// CourseResult is a member's standing in a course.
type CourseResult struct {
	LessonsRead int
	Read        map[int64]bool // lesson ids read
	Attempts    int
	BestScore   int // -1: no attempt
	Passed      bool
	Completed   bool
	DueOn       time.Time
}

// QuizResult is the outcome of one attempt.
type QuizResult struct {
	AttemptID     int64
	Correct       int
	Questions     int
	Score         int
	PassMark      int
	Passed        bool
	Completed     bool // the course is now completed
	PointsAwarded int
}

// Completion is how far an org's members (or one member) got in a course.
type Completion struct {
	OrgID     int64
	OrgName   string
	Members   int // members the course is assigned to
	Completed int
	Passed    int
	Started   int
	Overdue   int
}

// Rate is the completed share in percent (0 with no members).
func (c Completion) Rate() int {
	if c.Members == 0 {
		return 0
	}
	return c.Completed * 100 / c.Members
}

// MemberProgress is one assigned member's progress in a course, for the staff's view.
type MemberProgress struct {
	MemberID    int64
	Name        string
	OrgName     string
	DueOn       time.Time
	LessonsRead int
	BestScore   int // -1: no attempt
	Completed   bool
	State       DueState
}
