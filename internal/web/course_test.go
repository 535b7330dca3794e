package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// The study pages: a member reads the lessons of the course assigned to them and passes its
// quiz on the phone pages; a course not assigned is refused; staff see the completion.
func TestStudyPages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	ctx := context.Background()
	sys := authz.System()
	ts := time.Now().UTC()
	db := st.DB()
	var org, member, memberUser int64
	if err := db.QueryRow(`SELECT id FROM users WHERE username = 'member'`).Scan(&memberUser); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`INSERT INTO party_orgs (kind, name, territory_id, path, community_id, created_at, updated_at) VALUES ('community_committee', '天宝社区党委', ?, ?, ?, ?, ?) RETURNING id`,
		f.community.ID, f.community.Path, f.community.ID, ts, ts).Scan(&org); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`INSERT INTO party_members (name, org_id, path, community_id, status, category, user_id, created_at, updated_at) VALUES ('李学习', ?, ?, ?, 'full', 'retired', ?, ?, ?) RETURNING id`,
		org, f.community.Path, f.community.ID, memberUser, ts, ts).Scan(&member); err != nil {
		t.Fatal(err)
	}
	in := model.CourseInput{Title: "学习党章", TerritoryID: f.community.ID, PassMark: 100, Points: 5,
		Lessons:   []model.LessonInput{{Title: "第一课 总纲", Body: "中国共产党是中国工人阶级的先锋队。"}},
		Questions: []model.QuestionInput{{Text: "预备期为几年？", Options: []model.OptionInput{{Text: "一年", Correct: true}, {Text: "两年"}}}}}
	c, err := st.CreateCourse(ctx, sys, in)
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.CreateCourse(ctx, sys, in)
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().In(model.Shanghai).AddDate(0, 0, 3).Format(time.DateOnly)
	if _, err := st.AssignCourse(ctx, sys, model.AssignmentInput{CourseID: c.ID, OrgID: org, DueOn: due}); err != nil {
		t.Fatal(err)
	}
	m := f.as(t, "member")
	list := m.get("/party/study").want(t, http.StatusOK)
	if !strings.Contains(text(one(t, list.Doc, ".tiles")), "学习党章") || len(all(list.Doc, ".callout")) != 1 {
		t.Fatalf("my courses: no course or no reminder\n%s", excerpt(list.Body))
	}
	id := strconv.FormatInt(c.ID, 10)
	page := m.get("/party/study/"+id).want(t, http.StatusOK)
	lesson := attr(one(t, page.Doc, `input[name=lesson_id]`), "value")
	m.post("/party/study/"+id+"/read", url.Values{"lesson_id": {lesson}}).want(t, http.StatusSeeOther)
	// The quiz: the member's page carries no correct answers; a wrong answer fails, the right one passes.
	full, _ := st.Course(ctx, sys, c.ID)
	q := full.Questions[0]
	name := "q" + strconv.FormatInt(q.ID, 10)
	res := m.post("/party/study/"+id+"/quiz", url.Values{name: {strconv.FormatInt(q.Options[1].ID, 10)}}).want(t, http.StatusOK)
	if !strings.Contains(text(one(t, res.Doc, "#quiz-result")), "未达到及格线") {
		t.Fatalf("wrong answer: %s", excerpt(res.Body))
	}
	res = m.post("/party/study/"+id+"/quiz", url.Values{name: {strconv.FormatInt(q.Options[0].ID, 10)}}).want(t, http.StatusOK)
	if got := text(one(t, res.Doc, "#quiz-result")); !strings.Contains(got, "通过测验") || !strings.Contains(got, "本课程已完成") {
		t.Fatalf("right answer: %q", got)
	}
	// Unanswered: the error summary, nothing recorded.
	m.post("/party/study/"+id+"/quiz", url.Values{}).want(t, http.StatusUnprocessableEntity)
	// A course not assigned: refused, nothing recorded.
	before := lifeRows(t, f, "party_quiz_attempts")
	m.get("/party/study/"+strconv.FormatInt(other.ID, 10)).want(t, http.StatusForbidden)
	m.post("/party/study/"+strconv.FormatInt(other.ID, 10)+"/quiz", url.Values{name: {strconv.FormatInt(q.Options[0].ID, 10)}}).want(t, http.StatusForbidden)
	if after := lifeRows(t, f, "party_quiz_attempts"); after != before {
		t.Fatalf("attempts %d → %d after a refused answer", before, after)
	}
	// Staff: the course with its completion per org, the list, the pipeline board.
	s := f.as(t, "comadmin")
	cp := s.get("/party/courses/"+id).want(t, http.StatusOK)
	if got := text(one(t, cp.Doc, "#completion-title").Parent.Parent); !strings.Contains(got, "天宝社区党委") || !strings.Contains(got, "100%") {
		t.Fatalf("completion: %q", got)
	}
	s.get("/party/courses").want(t, http.StatusOK)
	s.get("/party/courses/new").want(t, http.StatusOK)
	s.get("/party/development").want(t, http.StatusOK)
	s.get("/party/development/new").want(t, http.StatusOK)
	m.get("/party/courses").want(t, http.StatusForbidden)
	// The course editor: a bad question keeps the input and names the field.
	bad := s.post("/party/courses/"+id+"/questions", url.Values{"text": {"新题"}, "options": {"*对\n*错"}}).want(t, http.StatusUnprocessableEntity)
	if len(all(bad.Doc, ".error-summary")) == 0 {
		t.Fatal("no error summary for two right answers on a single-choice question")
	}
	s.post("/party/courses/"+id+"/questions", url.Values{"text": {"新题"}, "options": {"*对\n错"}}).want(t, http.StatusSeeOther)
}

func lifeRows(t *testing.T, f *fixture, table string) int {
	t.Helper()
	var n int
	if err := f.st.DB().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
