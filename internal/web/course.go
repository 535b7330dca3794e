package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Study (先进性教育): staff list courses, write one (the course editor: its own fields and first
// lesson, then lessons and questions added on its page), assign it and follow completion per
// org and member; a member studies the assigned courses on the phone (/party/study).

type coursesPage struct {
	Page
	Rows  []*model.Course
	Total int64
	Next  string
}

func (wb *Web) courses(w http.ResponseWriter, r *http.Request) error {
	pg, err := wb.st.Courses(r.Context(), scope(r), store.CourseFilter{Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	p := &coursesPage{Page: wb.base(r, wb.t("courses.title"), "party-courses"), Rows: pg.Items, Total: pg.Total, Next: pg.Next}
	p.Crumbs = []Crumb{{Name: p.Title}}
	return wb.render(w, r, http.StatusOK, "party/course_list", p)
}

type courseNewPage struct {
	Page
	Form *Form
}

func courseNewForm(values url.Values) *Form {
	return newForm("course", values, "title", "summary", "territory_id", "pass_mark", "points", "lessons[0].title", "lessons[0].body")
}

func (wb *Web) newCourseForm(w http.ResponseWriter, r *http.Request) error {
	v := url.Values{"pass_mark": {"60"}, "points": {"5"}}
	if u := authz.UserFrom(r.Context()); u != nil && u.ScopeID != 0 {
		v.Set("territory_id", strconv.FormatInt(u.ScopeID, 10))
	}
	return wb.courseNew(w, r, http.StatusOK, courseNewForm(v))
}

func (wb *Web) courseNew(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	p := &courseNewPage{Page: wb.base(r, wb.t("course.new.title"), "party-courses"), Form: f}
	p.Crumbs = []Crumb{{Name: wb.t("courses.title"), URL: "/party/courses"}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "party/course_new", p)
}

// atoiField reads an integer form field; bad input is recorded on f.
func atoiField(f *Form, name, msg string) int {
	s := strings.TrimSpace(f.Values.Get(name))
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		f.add(name, msg)
	}
	return n
}

func idField(f *Form, name, msg string) int64 {
	s := strings.TrimSpace(f.Values.Get(name))
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		f.add(name, msg)
		return 0
	}
	return n
}

func (wb *Web) createCourse(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := courseNewForm(r.PostForm)
	in := model.CourseInput{Title: f.Values.Get("title"), Summary: f.Values.Get("summary"),
		TerritoryID: idField(f, "territory_id", wb.t("course.territory.bad")),
		PassMark:    atoiField(f, "pass_mark", wb.t("course.number.bad")), Points: atoiField(f, "points", wb.t("course.number.bad")),
		Lessons: []model.LessonInput{{Title: f.Values.Get("lessons[0].title"), Body: f.Values.Get("lessons[0].body")}}}
	if f.Invalid() {
		return wb.courseNew(w, r, http.StatusUnprocessableEntity, f)
	}
	c, err := wb.st.CreateCourse(r.Context(), scope(r), in)
	if err != nil {
		if f.fail(err) {
			return wb.courseNew(w, r, http.StatusUnprocessableEntity, f)
		}
		return err
	}
	redirect(w, r, "/party/courses/"+strconv.FormatInt(c.ID, 10), "course_created")
	return nil
}

type coursePage struct {
	Page
	C                        *model.Course
	Assignments              []model.Assignment
	Orgs                     []model.Completion
	Members                  []model.MemberProgress
	OrgOptions               []*model.Org
	Writable                 bool
	Lesson, Question, Assign *Form
}

func courseForms() (lesson, question, assign *Form) {
	return newForm("lesson", nil, "title", "body", "material_title", "material_url"),
		newForm("question", nil, "text", "options"),
		newForm("assign", url.Values{"due_on": {time.Now().In(model.Shanghai).AddDate(0, 0, 30).Format(time.DateOnly)}}, "org_id", "due_on")
}

func (wb *Web) course(w http.ResponseWriter, r *http.Request) error {
	l, q, a := courseForms()
	return wb.coursePage(w, r, http.StatusOK, l, q, a)
}

func (wb *Web) coursePage(w http.ResponseWriter, r *http.Request, status int, lesson, question, assign *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sc := scope(r)
	c, err := wb.st.Course(r.Context(), sc, id)
	if err != nil {
		return err
	}
	as, err := wb.st.Assignments(r.Context(), sc, id)
	if err != nil {
		return err
	}
	members, orgs, err := wb.st.CourseProgress(r.Context(), sc, id)
	if err != nil {
		return err
	}
	p := &coursePage{Page: wb.base(r, c.Title, "party-courses"), C: c, Assignments: as, Orgs: orgs, Members: members,
		Writable: sc.Contains(c.Path), Lesson: lesson, Question: question, Assign: assign}
	if p.Can(authz.PartyCourseWrite) {
		op, err := wb.st.Orgs(r.Context(), sc, store.OrgFilter{Limit: 200})
		if err != nil {
			return err
		}
		p.OrgOptions = op.Items
	}
	p.Crumbs = []Crumb{{Name: wb.t("courses.title"), URL: "/party/courses"}, {Name: c.Title}}
	for _, f := range []*Form{lesson, question, assign} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	return wb.render(w, r, status, "party/course_show", p)
}

func (wb *Web) addCourseLesson(w http.ResponseWriter, r *http.Request) error {
	return wb.courseWrite(w, r, "lesson", "lesson_added", func(id int64, f *Form) error {
		in := model.LessonInput{Title: f.Values.Get("title"), Body: f.Values.Get("body")}
		if u := strings.TrimSpace(f.Values.Get("material_url")); u != "" {
			in.Materials = []model.Material{{Kind: model.MaterialKind(f.Values.Get("material_kind")), Title: f.Values.Get("material_title"), URL: u}}
		}
		_, err := wb.st.AddLesson(r.Context(), scope(r), id, in)
		var ve *model.ValidationError
		if errors.As(err, &ve) {
			for i := range ve.Fields { // the form's names for the one material's fields
				ve.Fields[i].Field = strings.NewReplacer("materials[0].url", "material_url", "materials[0].title", "material_title", "materials[0].kind", "material_url").Replace(ve.Fields[i].Field)
			}
		}
		return err
	})
}

// parseOptions reads a question's options, one a line; a line starting with * is correct.
func parseOptions(s string) []model.OptionInput {
	var out []model.OptionInput
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		o := model.OptionInput{Text: line}
		if t, ok := strings.CutPrefix(line, "*"); ok {
			o = model.OptionInput{Text: strings.TrimSpace(t), Correct: true}
		}
		out = append(out, o)
	}
	return out
}

func (wb *Web) addCourseQuestion(w http.ResponseWriter, r *http.Request) error {
	return wb.courseWrite(w, r, "question", "question_added", func(id int64, f *Form) error {
		in := model.QuestionInput{Text: f.Values.Get("text"), Multiple: f.Checked("multiple"), Options: parseOptions(f.Values.Get("options"))}
		_, err := wb.st.AddQuestion(r.Context(), scope(r), id, in)
		var ve *model.ValidationError
		if errors.As(err, &ve) {
			for i := range ve.Fields {
				if strings.HasPrefix(ve.Fields[i].Field, "options") {
					ve.Fields[i].Field = "options"
				}
			}
		}
		return err
	})
}

func (wb *Web) assignCoursePage(w http.ResponseWriter, r *http.Request) error {
	return wb.courseWrite(w, r, "assign", "course_assigned", func(id int64, f *Form) error {
		org := idField(f, "org_id", wb.t("course.org.bad"))
		if f.Invalid() {
			return nil
		}
		_, err := wb.st.AssignCourse(r.Context(), scope(r), model.AssignmentInput{CourseID: id, OrgID: org, DueOn: f.Values.Get("due_on")})
		return err
	})
}

// courseWrite handles one of the course page's forms: parse, call write, and on a fixable
// error show the page again with the form's errors.
func (wb *Web) courseWrite(w http.ResponseWriter, r *http.Request, name, done string, write func(id int64, f *Form) error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	l, q, a := courseForms()
	f := map[string]*Form{"lesson": l, "question": q, "assign": a}[name]
	f.Values = r.PostForm
	err = write(id, f)
	if f.Invalid() || err != nil && f.fail(err) {
		return wb.coursePage(w, r, http.StatusUnprocessableEntity, l, q, a)
	}
	if err != nil {
		return err
	}
	redirect(w, r, "/party/courses/"+strconv.FormatInt(id, 10), done)
	return nil
}

// The member's side (phone).

type studyListPage struct {
	Page
	Rows     []model.MyCourse
	Linked   bool
	Reminder int // courses due soon or overdue
}

func (wb *Web) myStudy(w http.ResponseWriter, r *http.Request) error {
	sc := scope(r)
	_, err := wb.st.MyMember(r.Context(), sc)
	linked := err == nil
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return err
	}
	cs, err := wb.st.MyCourses(r.Context(), sc)
	if err != nil {
		return err
	}
	p := &studyListPage{Page: wb.base(r, wb.t("study.title"), "party-study"), Rows: cs, Linked: linked}
	for _, c := range cs {
		if c.State == model.DueSoon || c.State == model.DueOverdue {
			p.Reminder++
		}
	}
	p.Crumbs = []Crumb{{Name: p.Title}}
	return wb.render(w, r, http.StatusOK, "party/course_study_list", p)
}

type studyPage struct {
	Page
	C      *model.Course
	Res    *model.CourseResult
	State  model.DueState
	Quiz   *Form
	Result *model.QuizResult
}

func (wb *Web) studyCourse(w http.ResponseWriter, r *http.Request) error {
	return wb.studyPage(w, r, http.StatusOK, newForm("quiz", nil), nil)
}

func (wb *Web) studyPage(w http.ResponseWriter, r *http.Request, status int, quiz *Form, result *model.QuizResult) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, res, err := wb.st.MyCourse(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	p := &studyPage{Page: wb.base(r, c.Title, "party-study"), C: c, Res: res, Quiz: quiz, Result: result,
		State: model.DueStateOf(res.DueOn, res.Completed, time.Now().In(model.Shanghai))}
	p.Crumbs = []Crumb{{Name: wb.t("study.title"), URL: "/party/study"}, {Name: c.Title}}
	if quiz.Invalid() {
		p.Failed = quiz
	}
	return wb.render(w, r, status, "party/course_study", p)
}

func (wb *Web) readStudyLesson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	lesson, err := strconv.ParseInt(r.PostForm.Get("lesson_id"), 10, 64)
	if err != nil || lesson <= 0 {
		return model.ErrNotFound
	}
	if _, err := wb.st.ReadLesson(r.Context(), scope(r), id, lesson); err != nil {
		return err
	}
	redirect(w, r, "/party/study/"+strconv.FormatInt(id, 10)+"#lesson-"+strconv.FormatInt(lesson, 10), "")
	return nil
}

func (wb *Web) submitStudyQuiz(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("quiz", r.PostForm)
	answers := model.QuizAnswers{}
	for k, vs := range r.PostForm {
		qs, ok := strings.CutPrefix(k, "q")
		if !ok {
			continue
		}
		q, err := strconv.ParseInt(qs, 10, 64)
		if err != nil {
			continue
		}
		for _, v := range vs {
			if o, err := strconv.ParseInt(v, 10, 64); err == nil {
				answers[q] = append(answers[q], o)
			}
		}
	}
	res, err := wb.st.SubmitQuiz(r.Context(), scope(r), id, answers)
	if err != nil {
		if f.fail(err) {
			return wb.studyPage(w, r, http.StatusUnprocessableEntity, f, nil)
		}
		return err
	}
	return wb.studyPage(w, r, http.StatusOK, newForm("quiz", nil), res)
}
