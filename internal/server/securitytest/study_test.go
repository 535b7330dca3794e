package securitytest_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The study and development objects of the matrix (partystudy): an org (a building group) at
// each relation's stairwell, a course owned by that stairwell, candidates developed there, and
// the member account's own roster row with a course assigned to it. They live beside the world
// (keyed by its fixture) so that the shared world needs no new fields.

type studyObjects struct {
	mu         sync.Mutex
	orgs       map[relation]int64
	courses    map[relation]int64
	candidates map[relation]int64
	mine       int64
}

var (
	studyMu    sync.Mutex
	studyWorld = map[*fixture]*studyObjects{}
)

func (w *world) study() *studyObjects {
	studyMu.Lock()
	defer studyMu.Unlock()
	s, ok := studyWorld[w.fixture]
	if !ok {
		s = &studyObjects{orgs: map[relation]int64{}, courses: map[relation]int64{}, candidates: map[relation]int64{}}
		studyWorld[w.fixture] = s
	}
	return s
}

var placeholder = regexp.MustCompile(`\?`)

// insertID runs an INSERT … RETURNING id written with ? placeholders on the world's database.
func (w *world) insertID(q string, args ...any) int64 {
	w.tb.Helper()
	if w.st.Engine() == "postgres" {
		n := 0
		q = placeholder.ReplaceAllStringFunc(q, func(string) string { n++; return "$" + strconv.Itoa(n) })
	}
	var id int64
	if err := w.st.DB().QueryRowContext(context.Background(), q, args...).Scan(&id); err != nil {
		w.tb.Fatalf("%s: %v", q, err)
	}
	return id
}

// studyOrg is the building group at rel's stairwell (written with SQL: the study side needs
// only the row).
func (w *world) studyOrg(rel relation) int64 {
	w.tb.Helper()
	s := w.study()
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.orgs[rel]; ok {
		return id
	}
	t := w.targets[rel]
	ts := time.Now().UTC()
	id := w.insertID(`INSERT INTO party_orgs (kind, name, territory_id, path, created_at, updated_at) VALUES ('building_group', ?, ?, ?, ?, ?) RETURNING id`,
		fmt.Sprintf("矩阵党小组%d", rel), t.node.ID, t.node.Path, ts, ts)
	s.orgs[rel] = id
	return id
}

func studyCourseInput(node int64) model.CourseInput {
	return model.CourseInput{Title: "矩阵课程", TerritoryID: node, PassMark: 60, Points: 2,
		Lessons:   []model.LessonInput{{Title: "第一课", Body: "正文"}},
		Questions: []model.QuestionInput{{Text: "对吗？", Options: []model.OptionInput{{Text: "对", Correct: true}, {Text: "错"}}}}}
}

// studyCourse is the standing course at rel's stairwell, or (fresh) a new one.
func (w *world) studyCourse(rel relation, fresh bool) int64 {
	w.tb.Helper()
	s := w.study()
	if !fresh {
		s.mu.Lock()
		defer s.mu.Unlock()
		if id, ok := s.courses[rel]; ok {
			return id
		}
	}
	c, err := w.st.CreateCourse(context.Background(), authz.System(), studyCourseInput(w.targets[rel].node.ID))
	if err != nil {
		w.tb.Fatalf("course at %s: %v", rel, err)
	}
	if !fresh {
		s.courses[rel] = c.ID
	}
	return c.ID
}

// candidate is the standing candidate at rel, or (fresh) a new one with the documents an
// activist needs: a resident who is not a member, applying to rel's org.
func (w *world) candidate(rel relation, fresh bool) int64 {
	w.tb.Helper()
	s := w.study()
	if !fresh {
		s.mu.Lock()
		if id, ok := s.candidates[rel]; ok {
			s.mu.Unlock()
			return id
		}
		s.mu.Unlock()
	}
	ctx := context.Background()
	r, err := w.st.CreateResident(ctx, authz.System(), model.ResidentInput{HouseholdID: w.targets[rel].household.ID,
		Name: fmt.Sprintf("申请人%d", w.nextSeq()), IDNumber: w.idNumber(), Relation: "其他", PoliticalStatus: model.StatusMasses})
	if err != nil {
		w.tb.Fatalf("resident at %s: %v", rel, err)
	}
	c, err := w.st.CreateCandidate(ctx, authz.System(), model.CandidateInput{ResidentID: r.ID, OrgID: w.studyOrg(rel), AppliedOn: "2025-12-01"})
	if err != nil {
		w.tb.Fatalf("candidate at %s: %v", rel, err)
	}
	if fresh {
		for _, d := range []model.DocKind{model.DocTalk, model.DocRecommendation} {
			if _, err := w.st.RecordDocument(ctx, authz.System(), c.ID, model.DocumentInput{Doc: d, RecordedOn: "2026-01-02"}); err != nil {
				w.tb.Fatal(err)
			}
		}
		return c.ID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.candidates[rel]; ok {
		return id // another case made it meanwhile; this one stays unused
	}
	s.candidates[rel] = c.ID
	return c.ID
}

// myCourse is the course assigned to the member account's roster row (made once: the account
// is linked to a member of relOwn's org).
func (w *world) myCourse() int64 {
	w.tb.Helper()
	org := w.studyOrg(relOwn)
	s := w.study()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mine != 0 {
		return s.mine
	}
	t := w.targets[relOwn]
	ts := time.Now().UTC()
	w.insertID(`INSERT INTO party_members (name, org_id, path, status, category, user_id, created_at, updated_at) VALUES ('矩阵党员', ?, ?, 'full', 'retired', ?, ?, ?) RETURNING id`,
		org, t.node.Path, w.users[model.RoleMember].ID, ts, ts)
	c, err := w.st.CreateCourse(context.Background(), authz.System(), studyCourseInput(t.node.ID))
	if err != nil {
		w.tb.Fatal(err)
	}
	// The account has several roster rows in the world (partylife's and the members' fixture
	// made theirs first); a member's study goes by its first, so the course is assigned to it.
	first := w.insertID(`SELECT MIN(id) FROM party_members WHERE user_id = ? AND left_on IS NULL`, w.users[model.RoleMember].ID)
	due := time.Now().In(model.Shanghai).AddDate(0, 1, 0).Format(time.DateOnly)
	if _, err := w.st.AssignCourse(context.Background(), authz.System(), model.AssignmentInput{CourseID: c.ID, MemberID: first, DueOn: due}); err != nil {
		w.tb.Fatal(err)
	}
	s.mine = c.ID
	return c.ID
}

func newCourseJSON(w *world, rel relation, _ int64) (string, []byte) {
	return "application/json", fmt.Appendf(nil, `{"title":"新课程%d","territory_id":"%d","lessons":[{"title":"第一课","body":"正文"}]}`, w.nextSeq(), w.targets[rel].node.ID)
}

func assignJSON(w *world, rel relation, _ int64) (string, []byte) {
	due := time.Now().In(model.Shanghai).AddDate(0, 1, 0).Format(time.DateOnly)
	return "application/json", fmt.Appendf(nil, `{"org_id":"%d","due_on":%q}`, w.studyOrg(rel), due)
}

func readLessonJSON(w *world, _ relation, _ int64) (string, []byte) {
	c, err := w.st.Course(context.Background(), authz.System(), w.myCourse())
	if err != nil || len(c.Lessons) == 0 {
		return "application/json", []byte(`{"lesson_id":"1"}`)
	}
	return "application/json", fmt.Appendf(nil, `{"lesson_id":"%d"}`, c.Lessons[0].ID)
}

func quizJSON(w *world, _ relation, _ int64) (string, []byte) {
	c, err := w.st.Course(context.Background(), authz.System(), w.myCourse())
	if err != nil || len(c.Questions) == 0 {
		return "application/json", []byte(`{"answers":{}}`)
	}
	q := c.Questions[0]
	return "application/json", fmt.Appendf(nil, `{"answers":{"%d":["%d"]}}`, q.ID, q.Options[0].ID)
}

func newCandidateJSON(w *world, rel relation, _ int64) (string, []byte) {
	r, err := w.st.CreateResident(context.Background(), authz.System(), model.ResidentInput{HouseholdID: w.targets[rel].household.ID,
		Name: fmt.Sprintf("新申请人%d", w.nextSeq()), IDNumber: w.idNumber(), Relation: "其他", PoliticalStatus: model.StatusMasses})
	if err != nil {
		w.tb.Fatalf("resident at %s: %v", rel, err)
	}
	return "application/json", fmt.Appendf(nil, `{"resident_id":"%d","org_id":"%d","applied_on":"2026-01-10"}`, r.ID, w.studyOrg(rel))
}

func newCourseForm(w *world, rel relation, _ int64) url.Values {
	return url.Values{"title": {fmt.Sprintf("新课程%d", w.nextSeq())}, "territory_id": {strconv.FormatInt(w.targets[rel].node.ID, 10)},
		"pass_mark": {"60"}, "lessons[0].title": {"第一课"}, "lessons[0].body": {"正文"}}
}

func assignForm(w *world, rel relation, _ int64) url.Values {
	return url.Values{"org_id": {strconv.FormatInt(w.studyOrg(rel), 10)}, "due_on": {time.Now().In(model.Shanghai).AddDate(0, 1, 0).Format(time.DateOnly)}}
}

func readLessonForm(w *world, _ relation, _ int64) url.Values {
	c, err := w.st.Course(context.Background(), authz.System(), w.myCourse())
	if err != nil || len(c.Lessons) == 0 {
		return url.Values{"lesson_id": {"1"}}
	}
	return url.Values{"lesson_id": {strconv.FormatInt(c.Lessons[0].ID, 10)}}
}

func quizForm(w *world, _ relation, _ int64) url.Values {
	c, err := w.st.Course(context.Background(), authz.System(), w.myCourse())
	if err != nil || len(c.Questions) == 0 {
		return url.Values{}
	}
	q := c.Questions[0]
	return url.Values{"q" + strconv.FormatInt(q.ID, 10): {strconv.FormatInt(q.Options[0].ID, 10)}}
}

func newCandidateForm(w *world, rel relation, _ int64) url.Values {
	r, err := w.st.CreateResident(context.Background(), authz.System(), model.ResidentInput{HouseholdID: w.targets[rel].household.ID,
		Name: fmt.Sprintf("新申请人%d", w.nextSeq()), IDNumber: w.idNumber(), Relation: "其他", PoliticalStatus: model.StatusMasses})
	if err != nil {
		w.tb.Fatalf("resident at %s: %v", rel, err)
	}
	return url.Values{"resident_id": {strconv.FormatInt(r.ID, 10)}, "org_id": {strconv.FormatInt(w.studyOrg(rel), 10)}, "applied_on": {"2026-01-10"}}
}
