package api

import (
	"net/http"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Study (先进性教育): staff write courses and quizzes and assign them; members read their
// assigned courses and answer the quizzes under /party/me/courses.

type materialJSON struct {
	Kind      model.MaterialKind `json:"kind"`
	KindLabel string             `json:"kind_label,omitempty"`
	Title     string             `json:"title"`
	URL       string             `json:"url"`
}

type lessonJSON struct {
	ID        ID             `json:"id,omitempty"`
	Position  int            `json:"position,omitempty"`
	Title     string         `json:"title"`
	Body      string         `json:"body"`
	Materials []materialJSON `json:"materials"`
	Read      *bool          `json:"read,omitempty"`
}

type optionJSON struct {
	ID      ID     `json:"id,omitempty"`
	Text    string `json:"text"`
	Correct *bool  `json:"correct,omitempty"` // staff only
}

type questionJSON struct {
	ID       ID           `json:"id,omitempty"`
	Position int          `json:"position,omitempty"`
	Text     string       `json:"text"`
	Multiple bool         `json:"multiple"`
	Options  []optionJSON `json:"options"`
}

type courseJSON struct {
	ID            ID                 `json:"id"`
	Title         string             `json:"title"`
	Summary       string             `json:"summary"`
	TerritoryID   ID                 `json:"territory_id"`
	TerritoryName string             `json:"territory_name"`
	OrgID         *ID                `json:"org_id"`
	OrgName       string             `json:"org_name,omitempty"`
	PassMark      int                `json:"pass_mark"`
	Points        int                `json:"points"`
	Status        model.CourseStatus `json:"status"`
	StatusLabel   string             `json:"status_label"`
	Lessons       int                `json:"lesson_count"`
	Questions     int                `json:"question_count"`
	CreatedAt     time.Time          `json:"created_at"`
	UpdatedAt     time.Time          `json:"updated_at"`
	Content       *courseContentJSON `json:"content,omitempty"`
}

type courseContentJSON struct {
	Lessons   []lessonJSON   `json:"lessons"`
	Questions []questionJSON `json:"questions"`
}

func toCourseJSON(c *model.Course, content, staff bool, read map[int64]bool) courseJSON {
	j := courseJSON{ID: ID(c.ID), Title: c.Title, Summary: c.Summary, TerritoryID: ID(c.TerritoryID), TerritoryName: c.TerritoryName,
		OrgID: optID(c.OrgID), OrgName: c.OrgName, PassMark: c.PassMark, Points: c.Points, Status: c.Status, StatusLabel: c.Status.Label(),
		Lessons: c.LessonCount, Questions: c.QuestionCount, CreatedAt: c.CreatedAt.In(model.Shanghai), UpdatedAt: c.UpdatedAt.In(model.Shanghai)}
	if !content {
		return j
	}
	j.Content = &courseContentJSON{Lessons: []lessonJSON{}, Questions: []questionJSON{}}
	for _, l := range c.Lessons {
		lj := lessonJSON{ID: ID(l.ID), Position: l.Position, Title: l.Title, Body: l.Body, Materials: []materialJSON{}}
		for _, m := range l.Materials {
			lj.Materials = append(lj.Materials, materialJSON{Kind: m.Kind, KindLabel: m.Kind.Label(), Title: m.Title, URL: m.URL})
		}
		if read != nil {
			r := read[l.ID]
			lj.Read = &r
		}
		j.Content.Lessons = append(j.Content.Lessons, lj)
	}
	for _, q := range c.Questions {
		qj := questionJSON{ID: ID(q.ID), Position: q.Position, Text: q.Text, Multiple: q.Multiple, Options: []optionJSON{}}
		for _, o := range q.Options {
			oj := optionJSON{ID: ID(o.ID), Text: o.Text}
			if staff {
				c := o.Correct
				oj.Correct = &c
			}
			qj.Options = append(qj.Options, oj)
		}
		j.Content.Questions = append(j.Content.Questions, qj)
	}
	return j
}

func (a *API) listCourses(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "status")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	if lq.Territory != 0 {
		fields = append(fields, model.FieldError{Field: "territory", Message: "课程列表不按节点筛选：您看到的是本辖区和上级发布的课程"})
	}
	status := model.CourseStatus(r.URL.Query().Get("status"))
	if status != "" && !status.Valid() {
		fields = append(fields, model.FieldError{Field: "status", Message: "status 应为 draft、published 或 archived"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.Courses(r.Context(), authz.ScopeFrom(r.Context()), store.CourseFilter{Status: status, Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	out := list[courseJSON]{Items: make([]courseJSON, len(p.Items)), NextCursor: p.Next, Total: total(p.Total)}
	for i, c := range p.Items {
		out.Items[i] = toCourseJSON(c, false, true, nil)
	}
	return writeJSON(w, http.StatusOK, out)
}

type courseRequest struct {
	Title       string         `json:"title"`
	Summary     string         `json:"summary"`
	TerritoryID ID             `json:"territory_id"`
	OrgID       ID             `json:"org_id"`
	PassMark    int            `json:"pass_mark"`
	Points      int            `json:"points"`
	Status      string         `json:"status"`
	Lessons     []lessonJSON   `json:"lessons"`
	Questions   []questionJSON `json:"questions"`
}

func lessonInput(l lessonJSON) model.LessonInput {
	in := model.LessonInput{Title: l.Title, Body: l.Body}
	for _, m := range l.Materials {
		in.Materials = append(in.Materials, model.Material{Kind: m.Kind, Title: m.Title, URL: m.URL})
	}
	return in
}

func questionInput(q questionJSON) model.QuestionInput {
	in := model.QuestionInput{Text: q.Text, Multiple: q.Multiple}
	for _, o := range q.Options {
		in.Options = append(in.Options, model.OptionInput{Text: o.Text, Correct: o.Correct != nil && *o.Correct})
	}
	return in
}

func (a *API) createCourse(w http.ResponseWriter, r *http.Request) error {
	var req courseRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	in := model.CourseInput{Title: req.Title, Summary: req.Summary, TerritoryID: int64(req.TerritoryID), OrgID: int64(req.OrgID),
		PassMark: req.PassMark, Points: req.Points, Status: model.CourseStatus(req.Status)}
	for _, l := range req.Lessons {
		in.Lessons = append(in.Lessons, lessonInput(l))
	}
	for _, q := range req.Questions {
		in.Questions = append(in.Questions, questionInput(q))
	}
	c, err := a.st.CreateCourse(r.Context(), authz.ScopeFrom(r.Context()), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toCourseJSON(c, true, true, nil))
}

func (a *API) getCourse(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := a.st.Course(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCourseJSON(c, true, true, nil))
}

type coursePatchRequest struct {
	Title    *string             `json:"title"`
	Summary  *string             `json:"summary"`
	PassMark *int                `json:"pass_mark"`
	Points   *int                `json:"points"`
	Status   *model.CourseStatus `json:"status"`
}

func (a *API) updateCourse(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req coursePatchRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	c, err := a.st.UpdateCourse(r.Context(), authz.ScopeFrom(r.Context()), id, model.CoursePatch(req))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCourseJSON(c, true, true, nil))
}

func (a *API) addLesson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req lessonJSON
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	c, err := a.st.AddLesson(r.Context(), authz.ScopeFrom(r.Context()), id, lessonInput(req))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toCourseJSON(c, true, true, nil))
}

func (a *API) addQuestion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req questionJSON
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	c, err := a.st.AddQuestion(r.Context(), authz.ScopeFrom(r.Context()), id, questionInput(req))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toCourseJSON(c, true, true, nil))
}

type assignmentJSON struct {
	ID         ID        `json:"id"`
	CourseID   ID        `json:"course_id"`
	OrgID      *ID       `json:"org_id"`
	OrgName    string    `json:"org_name,omitempty"`
	MemberID   *ID       `json:"member_id"`
	MemberName string    `json:"member_name,omitempty"`
	DueOn      string    `json:"due_on"`
	CreatedAt  time.Time `json:"created_at"`
}

func toAssignmentJSON(x model.Assignment) assignmentJSON {
	return assignmentJSON{ID: ID(x.ID), CourseID: ID(x.CourseID), OrgID: optID(x.OrgID), OrgName: x.OrgName, MemberID: optID(x.MemberID),
		MemberName: x.MemberName, DueOn: x.DueOn.UTC().Format(time.DateOnly), CreatedAt: x.CreatedAt.In(model.Shanghai)}
}

func (a *API) listAssignments(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	as, err := a.st.Assignments(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	out := list[assignmentJSON]{Items: []assignmentJSON{}}
	for _, x := range as {
		out.Items = append(out.Items, toAssignmentJSON(x))
	}
	return writeJSON(w, http.StatusOK, out)
}

type assignRequest struct {
	OrgID    ID     `json:"org_id"`
	MemberID ID     `json:"member_id"`
	DueOn    string `json:"due_on"`
}

func (a *API) assignCourse(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req assignRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	x, err := a.st.AssignCourse(r.Context(), authz.ScopeFrom(r.Context()), model.AssignmentInput{CourseID: id, OrgID: int64(req.OrgID), MemberID: int64(req.MemberID), DueOn: req.DueOn})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toAssignmentJSON(*x))
}

type progressJSON struct {
	Orgs    []orgCompletionJSON  `json:"orgs"`
	Members []memberProgressJSON `json:"members"`
}

type orgCompletionJSON struct {
	OrgID     ID     `json:"org_id"`
	OrgName   string `json:"org_name"`
	Members   int    `json:"members"`
	Started   int    `json:"started"`
	Completed int    `json:"completed"`
	Overdue   int    `json:"overdue"`
	Rate      int    `json:"completion_rate"`
}

type memberProgressJSON struct {
	MemberID    ID             `json:"member_id"`
	Name        string         `json:"name"`
	OrgName     string         `json:"org_name"`
	DueOn       string         `json:"due_on"`
	LessonsRead int            `json:"lessons_read"`
	BestScore   *int           `json:"best_score"`
	Completed   bool           `json:"completed"`
	State       model.DueState `json:"state"`
	StateLabel  string         `json:"state_label"`
}

func optScore(n int) *int {
	if n < 0 {
		return nil
	}
	return &n
}

func (a *API) courseProgress(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ms, orgs, err := a.st.CourseProgress(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	out := progressJSON{Orgs: []orgCompletionJSON{}, Members: []memberProgressJSON{}}
	for _, o := range orgs {
		out.Orgs = append(out.Orgs, orgCompletionJSON{OrgID: ID(o.OrgID), OrgName: o.OrgName, Members: o.Members, Started: o.Started, Completed: o.Completed, Overdue: o.Overdue, Rate: o.Rate()})
	}
	for _, m := range ms {
		out.Members = append(out.Members, memberProgressJSON{MemberID: ID(m.MemberID), Name: m.Name, OrgName: m.OrgName, DueOn: m.DueOn.UTC().Format(time.DateOnly),
			LessonsRead: m.LessonsRead, BestScore: optScore(m.BestScore), Completed: m.Completed, State: m.State, StateLabel: m.State.Label()})
	}
	return writeJSON(w, http.StatusOK, out)
}

// The member's side.

type myCourseJSON struct {
	CourseID    ID             `json:"course_id"`
	Title       string         `json:"title"`
	Summary     string         `json:"summary"`
	DueOn       string         `json:"due_on"`
	Lessons     int            `json:"lesson_count"`
	LessonsRead int            `json:"lessons_read"`
	Questions   int            `json:"question_count"`
	BestScore   *int           `json:"best_score"`
	PassMark    int            `json:"pass_mark"`
	Passed      bool           `json:"passed"`
	Completed   bool           `json:"completed"`
	State       model.DueState `json:"state"`
	StateLabel  string         `json:"state_label"`
}

func (a *API) myCourses(w http.ResponseWriter, r *http.Request) error {
	cs, err := a.st.MyCourses(r.Context(), authz.ScopeFrom(r.Context()))
	if err != nil {
		return err
	}
	out := list[myCourseJSON]{Items: []myCourseJSON{}}
	for _, c := range cs {
		out.Items = append(out.Items, myCourseJSON{CourseID: ID(c.CourseID), Title: c.Title, Summary: c.Summary, DueOn: c.DueOn.UTC().Format(time.DateOnly),
			Lessons: c.Lessons, LessonsRead: c.LessonsRead, Questions: c.Questions, BestScore: optScore(c.BestScore), PassMark: c.PassMark,
			Passed: c.Passed, Completed: c.Completed, State: c.State, StateLabel: c.State.Label()})
	}
	return writeJSON(w, http.StatusOK, out)
}

type myCourseDetailJSON struct {
	courseJSON
	DueOn     string `json:"due_on"`
	BestScore *int   `json:"best_score"`
	Attempts  int    `json:"attempts"`
	Passed    bool   `json:"passed"`
	Completed bool   `json:"completed"`
}

func (a *API) myCourse(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, res, err := a.st.MyCourse(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, myCourseDetailJSON{courseJSON: toCourseJSON(c, true, false, res.Read), DueOn: res.DueOn.UTC().Format(time.DateOnly),
		BestScore: optScore(res.BestScore), Attempts: res.Attempts, Passed: res.Passed, Completed: res.Completed})
}

type readRequest struct {
	LessonID ID `json:"lesson_id"`
}

func (a *API) readLesson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req readRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	if req.LessonID == 0 {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "lesson_id", Message: "请指明读完的课时"}}}
	}
	done, err := a.st.ReadLesson(r.Context(), authz.ScopeFrom(r.Context()), id, int64(req.LessonID))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]bool{"course_completed": done})
}

// attemptRequest is a quiz answer: for each question id (a string key), the chosen option ids.
type attemptRequest struct {
	Answers map[string][]ID `json:"answers"`
}

type attemptJSONOut struct {
	ID            ID   `json:"id"`
	Correct       int  `json:"correct"`
	Questions     int  `json:"questions"`
	Score         int  `json:"score"`
	PassMark      int  `json:"pass_mark"`
	Passed        bool `json:"passed"`
	Completed     bool `json:"course_completed"`
	PointsAwarded int  `json:"points_awarded"`
}

func (a *API) submitAttempt(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req attemptRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	answers := model.QuizAnswers{}
	for k, opts := range req.Answers {
		q, err := strconv.ParseInt(k, 10, 64)
		if err != nil || q <= 0 {
			return malformed("答案格式有误", model.FieldError{Field: "answers", Message: "answers 的键应为题目 ID"})
		}
		for _, o := range opts {
			answers[q] = append(answers[q], int64(o))
		}
	}
	res, err := a.st.SubmitQuiz(r.Context(), authz.ScopeFrom(r.Context()), id, answers)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, attemptJSONOut{ID: ID(res.AttemptID), Correct: res.Correct, Questions: res.Questions, Score: res.Score,
		PassMark: res.PassMark, Passed: res.Passed, Completed: res.Completed, PointsAwarded: res.PointsAwarded})
}
