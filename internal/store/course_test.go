package store_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// studyFixture: a community committee with a grid branch in community 1, a branch in
// community 2 (rows written with SQL until the org and member stores land), members in each
// (one linked to a member account), staff of both communities and of the street.
type studyFixture struct {
	tr                                 tree
	committee, branch, branch2         int64
	member, member2, other             int64 // member, member2 in branch; other in branch2
	memberSc, member2Sc, otherSc       authz.Scope
	admin1, admin2, streetA, communal1 authz.Scope
}

// mustSQL runs q (with ? placeholders) on st's database.
func mustSQL(t *testing.T, st *store.Store, q string, args ...any) int64 {
	t.Helper()
	if st.Engine() == "postgres" {
		n := 0
		var b strings.Builder
		for _, c := range q {
			if c == '?' {
				n++
				b.WriteString("$" + strconv.Itoa(n))
				continue
			}
			b.WriteRune(c)
		}
		q = b.String()
	}
	var id int64
	if strings.Contains(q, "RETURNING") {
		if err := st.DB().QueryRow(q, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	if _, err := st.DB().Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return 0
}

func mustOrg(t *testing.T, st *store.Store, parent int64, kind string, node *model.Territory, community *model.Territory, name string) int64 {
	t.Helper()
	var p any
	if parent != 0 {
		p = parent
	}
	ts := time.Now().UTC()
	return mustSQL(t, st, `INSERT INTO party_orgs (parent_id, kind, name, territory_id, path, community_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p, kind, name, node.ID, node.Path, community.ID, ts, ts)
}

func mustMember(t *testing.T, st *store.Store, org int64, node, community *model.Territory, name, status string, user int64) int64 {
	t.Helper()
	var u any
	if user != 0 {
		u = user
	}
	ts := time.Now().UTC()
	return mustSQL(t, st, `INSERT INTO party_members (name, org_id, path, community_id, status, category, user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'retired', ?, ?, ?) RETURNING id`,
		name, org, node.Path, community.ID, status, u, ts, ts)
}

func mustStudyFixture(t *testing.T, st *store.Store) studyFixture {
	t.Helper()
	var f studyFixture
	f.tr = mustTree(t, st)
	f.committee = mustOrg(t, st, 0, "community_committee", f.tr.community, f.tr.community, "天宝社区党委")
	f.branch = mustOrg(t, st, f.committee, "grid_branch", f.tr.grid, f.tr.community, "第一网格党支部")
	f.branch2 = mustOrg(t, st, 0, "community_committee", f.tr.community2, f.tr.community2, "东胜社区党委")
	u1 := mustAccount(t, st, "dangyuan1", model.RoleMember, f.tr.grid.ID, "")
	u2 := mustAccount(t, st, "dangyuan2", model.RoleMember, f.tr.grid.ID, "")
	u3 := mustAccount(t, st, "dangyuan3", model.RoleMember, f.tr.community2.ID, "")
	f.member = mustMember(t, st, f.branch, f.tr.grid, f.tr.community, "李学习", "full", u1.ID)
	f.member2 = mustMember(t, st, f.branch, f.tr.grid, f.tr.community, "张未学", "full", u2.ID)
	f.other = mustMember(t, st, f.branch2, f.tr.community2, f.tr.community2, "王东胜", "full", u3.ID)
	f.memberSc, f.member2Sc, f.otherSc = authz.ForUser(u1), authz.ForUser(u2), authz.ForUser(u3)
	f.admin1 = authz.ForUser(mustAccount(t, st, "admin1", model.RoleCommunityAdmin, f.tr.community.ID, ""))
	f.admin2 = authz.ForUser(mustAccount(t, st, "admin2", model.RoleCommunityAdmin, f.tr.community2.ID, ""))
	f.streetA = authz.ForUser(mustAccount(t, st, "street", model.RoleStreetAdmin, f.tr.street.ID, ""))
	f.communal1 = authz.ForUser(mustAccount(t, st, "staff1", model.RoleCommunityStaff, f.tr.community.ID, ""))
	return f
}

func sampleCourse(territory int64) model.CourseInput {
	return model.CourseInput{Title: "学习党章", TerritoryID: territory, PassMark: 100, Points: 5,
		Lessons: []model.LessonInput{
			{Title: "第一课 总纲", Body: "中国共产党是中国工人阶级的先锋队。", Materials: []model.Material{{Kind: model.MaterialLink, Title: "党章全文", URL: "https://www.12371.cn/"}}},
			{Title: "第二课 党员", Body: "党员的八项义务。"},
		},
		Questions: []model.QuestionInput{
			{Text: "预备期为几年？", Options: []model.OptionInput{{Text: "一年", Correct: true}, {Text: "两年"}}},
			{Text: "党员的权利包括哪些？", Multiple: true, Options: []model.OptionInput{{Text: "参加党的有关会议", Correct: true}, {Text: "选举权", Correct: true}, {Text: "免交党费"}}},
		}}
}

// rightAnswers answers every question of co correctly.
func rightAnswers(t *testing.T, st *store.Store, co *model.Course) model.QuizAnswers {
	t.Helper()
	full, err := st.Course(context.Background(), authz.System(), co.ID)
	if err != nil {
		t.Fatal(err)
	}
	a := model.QuizAnswers{}
	for _, q := range full.Questions {
		for _, o := range q.Options {
			if o.Correct {
				a[q.ID] = append(a[q.ID], o.ID)
			}
		}
	}
	return a
}

func countRows(t *testing.T, st *store.Store, table string) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCourseStudyFlow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustStudyFixture(t, st)
		co, err := st.CreateCourse(ctx, f.admin1, sampleCourse(f.tr.community.ID))
		if err != nil {
			t.Fatal(err)
		}
		if co.LessonCount != 2 || co.QuestionCount != 2 || len(co.Lessons) != 2 || len(co.Lessons[0].Materials) != 1 {
			t.Fatalf("course = %+v", co)
		}
		due := time.Now().In(model.Shanghai).AddDate(0, 0, 3).Format(time.DateOnly)
		// Assigned to the committee: the members of the branch under it are reached.
		if _, err := st.AssignCourse(ctx, f.admin1, model.AssignmentInput{CourseID: co.ID, OrgID: f.committee, DueOn: due}); err != nil {
			t.Fatal(err)
		}
		_, err = st.AssignCourse(ctx, f.admin1, model.AssignmentInput{CourseID: co.ID, OrgID: f.committee, DueOn: due})
		if !errors.Is(err, model.ErrConflict) {
			t.Fatalf("second assignment to the same org: %v, want a conflict", err)
		}
		mine, err := st.MyCourses(ctx, f.memberSc)
		if err != nil || len(mine) != 1 || mine[0].CourseID != co.ID || mine[0].State != model.DueSoon {
			t.Fatalf("my courses = %+v, %v; want the course, due soon (a reminder)", mine, err)
		}
		if other, _ := st.MyCourses(ctx, f.otherSc); len(other) != 0 {
			t.Fatalf("a member of another community sees %+v", other)
		}
		got, res, err := st.MyCourse(ctx, f.memberSc, co.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range got.Questions {
			for _, o := range q.Options {
				if o.Correct {
					t.Fatal("the member's view of the quiz carries the correct answers")
				}
			}
		}
		if res.BestScore != -1 || res.Completed {
			t.Fatalf("fresh result = %+v", res)
		}
		for _, l := range got.Lessons {
			if _, err := st.ReadLesson(ctx, f.memberSc, co.ID, l.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.ReadLesson(ctx, f.memberSc, co.ID, got.Lessons[0].ID); err != nil { // twice: once
			t.Fatal(err)
		}
		answers := rightAnswers(t, st, co)
		wrong := model.QuizAnswers{}
		for q, o := range answers {
			wrong[q] = o
		}
		q1 := got.Questions[0]
		for _, o := range q1.Options {
			if o.ID != answers[q1.ID][0] {
				wrong[q1.ID] = []int64{o.ID}
			}
		}
		r, err := st.SubmitQuiz(ctx, f.memberSc, co.ID, wrong)
		if err != nil || r.Passed || r.Score != 50 || r.Completed {
			t.Fatalf("wrong answers: %+v, %v", r, err)
		}
		r, err = st.SubmitQuiz(ctx, f.memberSc, co.ID, answers)
		if err != nil || !r.Passed || r.Score != 100 || !r.Completed || r.PointsAwarded != 5 {
			t.Fatalf("right answers: %+v, %v", r, err)
		}
		r, err = st.SubmitQuiz(ctx, f.memberSc, co.ID, answers)
		if err != nil || !r.Passed || r.PointsAwarded != 0 {
			t.Fatalf("a second pass awards again: %+v, %v", r, err)
		}
		// The pass is in the member's points ledger, once.
		var entries, points int
		if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(points), 0) FROM party_points_entries WHERE source = 'course' AND source_id = `+strconv.FormatInt(co.ID, 10)).Scan(&entries, &points); err != nil || entries != 1 || points != 5 {
			t.Errorf("ledger after two passes: %d entries, %d points, %v; want 1 entry of 5", entries, points, err)
		}
		progress, orgs, err := st.CourseProgress(ctx, f.admin1, co.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(progress) != 2 || len(orgs) != 1 || orgs[0].Members != 2 || orgs[0].Completed != 1 || orgs[0].Rate() != 50 {
			t.Fatalf("progress = %+v, per org = %+v; want 2 members, 1 completed", progress, orgs)
		}
		if _, _, err := st.CourseProgress(ctx, f.admin2, co.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("another community's admin reads the course's progress: %v", err)
		}
	})
}

// A quiz answer for a course not assigned to the member is refused and records nothing, the
// same for a course that does not exist; so are bad answers.
func TestQuizUnassignedAndBadAnswersRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustStudyFixture(t, st)
		co, err := st.CreateCourse(ctx, f.admin1, sampleCourse(f.tr.community.ID))
		if err != nil {
			t.Fatal(err)
		}
		due := time.Now().In(model.Shanghai).AddDate(0, 1, 0).Format(time.DateOnly)
		if _, err := st.AssignCourse(ctx, f.admin1, model.AssignmentInput{CourseID: co.ID, MemberID: f.member, DueOn: due}); err != nil {
			t.Fatal(err)
		}
		answers := rightAnswers(t, st, co)
		for _, tc := range []struct {
			name   string
			sc     authz.Scope
			course int64
		}{{"member not assigned", f.member2Sc, co.ID}, {"member elsewhere", f.otherSc, co.ID}, {"course missing", f.memberSc, co.ID + 1000}} {
			_, err := st.SubmitQuiz(ctx, tc.sc, tc.course, answers)
			if !errors.Is(err, model.ErrForbidden) || err.Error() != store.ErrNotAssigned.Error() {
				t.Errorf("%s: %v, want ErrNotAssigned", tc.name, err)
			}
			if _, _, err := st.MyCourse(ctx, tc.sc, tc.course); !errors.Is(err, model.ErrForbidden) {
				t.Errorf("%s reads the course: %v", tc.name, err)
			}
		}
		full, _ := st.Course(ctx, f.admin1, co.ID)
		single, multi := full.Questions[0], full.Questions[1]
		bad := []model.QuizAnswers{
			{single.ID: {single.Options[0].ID, single.Options[1].ID}, multi.ID: answers[multi.ID]}, // two options on a single choice
			{single.ID: answers[single.ID]},                                          // a question unanswered
			{single.ID: {multi.Options[0].ID}, multi.ID: answers[multi.ID]},          // an option of another question
			{single.ID: answers[single.ID], multi.ID: answers[multi.ID], 99999: {1}}, // a question of no course
		}
		for i, a := range bad {
			var ve *model.ValidationError
			if _, err := st.SubmitQuiz(ctx, f.memberSc, co.ID, a); !errors.As(err, &ve) {
				t.Errorf("bad answers %d: %v, want a validation error", i, err)
			}
		}
		if n := countRows(t, st, "party_quiz_attempts"); n != 0 {
			t.Fatalf("%d attempts recorded, want none", n)
		}
		if n := countRows(t, st, "party_course_results"); n != 0 {
			t.Fatalf("%d results recorded, want none", n)
		}
	})
}

func TestCourseScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustStudyFixture(t, st)
		street, err := st.CreateCourse(ctx, f.streetA, sampleCourse(f.tr.street.ID))
		if err != nil {
			t.Fatal(err)
		}
		local, err := st.CreateCourse(ctx, f.admin1, sampleCourse(f.tr.community.ID))
		if err != nil {
			t.Fatal(err)
		}
		// Another community's admin: reads the street's course, not community 1's.
		if _, err := st.Course(ctx, f.admin2, street.ID); err != nil {
			t.Fatalf("street course below: %v", err)
		}
		if _, err := st.Course(ctx, f.admin2, local.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("community 1's course from community 2: %v", err)
		}
		p, err := st.Courses(ctx, f.admin2, store.CourseFilter{})
		if err != nil || len(p.Items) != 1 || p.Total != 1 {
			t.Fatalf("community 2 lists %+v, %v", p, err)
		}
		// A course from above is assigned below, not changed there.
		title := "改名"
		if _, err := st.UpdateCourse(ctx, f.admin2, street.ID, model.CoursePatch{Title: &title}); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("community admin changes the street's course: %v", err)
		}
		due := time.Now().In(model.Shanghai).AddDate(0, 1, 0).Format(time.DateOnly)
		if _, err := st.AssignCourse(ctx, f.admin2, model.AssignmentInput{CourseID: street.ID, OrgID: f.branch2, DueOn: due}); err != nil {
			t.Fatal(err)
		}
		// An org outside the scope, a past due date, both assignees: invalid, nothing written.
		for _, in := range []model.AssignmentInput{
			{CourseID: street.ID, OrgID: f.branch, DueOn: due},
			{CourseID: street.ID, OrgID: f.branch2, DueOn: "2020-01-01"},
			{CourseID: street.ID, OrgID: f.branch2, MemberID: f.other, DueOn: due},
		} {
			var ve *model.ValidationError
			if _, err := st.AssignCourse(ctx, f.admin2, in); !errors.As(err, &ve) {
				t.Errorf("assign %+v: %v, want a validation error", in, err)
			}
		}
		if n := countRows(t, st, "party_course_assignments"); n != 1 {
			t.Fatalf("%d assignments, want 1", n)
		}
		// Bad course input: nothing written.
		bad := sampleCourse(f.tr.community.ID)
		bad.Questions[0].Options[1].Correct = true // two right answers on a single choice
		bad.Lessons[0].Materials[0].URL = "javascript:alert(1)"
		var ve *model.ValidationError
		if _, err := st.CreateCourse(ctx, f.admin1, bad); !errors.As(err, &ve) || len(ve.Fields) != 2 {
			t.Fatalf("bad course: %v", err)
		}
		if _, err := st.CreateCourse(ctx, f.admin2, sampleCourse(f.tr.community.ID)); !errors.As(err, &ve) || ve.Fields[0].Field != "territory_id" {
			t.Fatalf("course on a node outside the scope: %v", err)
		}
		if n := countRows(t, st, "party_courses"); n != 2 {
			t.Fatalf("%d courses, want 2", n)
		}
	})
}

// TestStudyConcurrent: one member reads the lessons and passes the quizzes of two courses from
// many requests at once (two phones, a double tap). Every request succeeds, each course is
// completed and its points awarded once, and the composition counts hold each completion once.
func TestStudyConcurrent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustStudyFixture(t, st)
		due := time.Now().In(model.Shanghai).AddDate(0, 0, 30).Format(time.DateOnly)
		var courses []*model.Course
		for range 2 {
			co, err := st.CreateCourse(ctx, f.admin1, sampleCourse(f.tr.community.ID))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.AssignCourse(ctx, f.admin1, model.AssignmentInput{CourseID: co.ID, OrgID: f.committee, DueOn: due}); err != nil {
				t.Fatal(err)
			}
			if co, _, err = st.MyCourse(ctx, f.memberSc, co.ID); err != nil {
				t.Fatal(err)
			}
			courses = append(courses, co)
		}
		answers := []model.QuizAnswers{rightAnswers(t, st, courses[0]), rightAnswers(t, st, courses[1])}
		const n = 50
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := range n {
			go func() {
				<-start
				co := courses[i%2]
				var err error
				switch i / 2 % 3 {
				case 0:
					_, err = st.ReadLesson(ctx, f.memberSc, co.ID, co.Lessons[0].ID)
				case 1:
					_, err = st.ReadLesson(ctx, f.memberSc, co.ID, co.Lessons[1].ID)
				default:
					_, err = st.SubmitQuiz(ctx, f.memberSc, co.ID, answers[i%2])
				}
				errs <- err
			}()
		}
		close(start)
		for range n {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		for i, co := range courses {
			_, res, err := st.MyCourse(ctx, f.memberSc, co.ID)
			if err != nil || !res.Completed {
				t.Errorf("course %d: %+v, %v; want completed", i, res, err)
			}
		}
		var entries int
		if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM party_points_entries WHERE source = 'course'`).Scan(&entries); err != nil || entries != 2 {
			t.Errorf("points entries = %d, %v; want 2", entries, err)
		}
		// The fixture's members were written with SQL, outside the counts: the completions are
		// the only count of their community.
		var counted int64
		if err := st.DB().QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM party_member_counts WHERE dim = 'study_completed' AND path = '`+f.tr.community.Path+`'`).Scan(&counted); err != nil || counted != 2 {
			t.Errorf("study completions counted = %d, %v; want 2", counted, err)
		}
	})
}
