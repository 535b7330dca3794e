package store

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Study (先进性教育): courses, their lessons and quiz, assignments to orgs or members, and each
// member's progress. Staff of a subtree write the courses of their subtree and read those of
// the subtrees above them (a street's course is studied in its communities); an assignment
// lies at its assignee's path. A member reads and answers only the courses assigned to them
// (to them, to their org or an org above it, or to a functional org they belong to); a quiz
// answer for any other course is refused with the same answer whether the course exists or not.

const courseColumns = `c.id, c.title, c.summary, c.territory_id, t.name, COALESCE(c.org_id, 0), COALESCE(o.name, ''), c.path, c.pass_mark, c.points, c.status, c.created_at, c.updated_at,
	(SELECT COUNT(*) FROM party_lessons l WHERE l.course_id = c.id), (SELECT COUNT(*) FROM party_quiz_questions q WHERE q.course_id = c.id)`

const courseFrom = ` FROM party_courses c JOIN territories t ON t.id = c.territory_id LEFT JOIN party_orgs o ON o.id = c.org_id`

func scanCourse(r rowScanner) (*model.Course, error) {
	var c model.Course
	err := r.Scan(&c.ID, &c.Title, &c.Summary, &c.TerritoryID, &c.TerritoryName, &c.OrgID, &c.OrgName, &c.Path, &c.PassMark, &c.Points,
		&c.Status, &c.CreatedAt, &c.UpdatedAt, &c.LessonCount, &c.QuestionCount)
	return &c, err
}

// ancestorPaths are the paths of the nodes above the scope's root ("/1/5/9/" → "/1/", "/1/5/").
func ancestorPaths(p string) []string {
	var out []string
	for i := 1; i < len(p)-1; i++ {
		if p[i] == '/' {
			out = append(out, p[:i+1])
		}
	}
	return out
}

// courseReadable is the filter of the courses sc reads as staff: those in its subtree and those
// owned by a node above it.
func courseReadable(sc authz.Scope) filter {
	if sc.All {
		return filter{}
	}
	if sc.Path == "" {
		return filter{where: []string{"1 = 0"}}
	}
	lo, hi := authz.PathRange(sc.Path)
	anc := ancestorPaths(sc.Path)
	args := []any{lo, hi}
	for _, a := range anc {
		args = append(args, a)
	}
	return filter{where: []string{"((c.path >= ? AND c.path < ?) OR c.path IN (" + inList(len(anc)) + "))"}, args: args}
}

// CreateCourse adds a course with its lessons and questions, owned by a node in the scope (and
// optionally an org in the scope). Bad fields, a node or org outside the scope are one
// *model.ValidationError, nothing written.
func (s *Store) CreateCourse(ctx context.Context, sc authz.Scope, in model.CourseInput) (*model.Course, error) {
	var c *model.Course
	err := s.Tx(ctx, func(tx *Tx) error {
		v := validation(in.Validate())
		var t *model.Territory
		if in.TerritoryID > 0 {
			var err error
			t, err = tx.territory(ctx, sc, in.TerritoryID)
			switch {
			case errors.Is(err, model.ErrNotFound):
				v.Add("territory_id", "所属节点不存在或不在您的管辖范围内")
			case err != nil:
				return err
			}
		}
		var orgID any
		if in.OrgID > 0 {
			o, err := tx.partyOrgRef(ctx, sc, in.OrgID)
			switch {
			case errors.Is(err, model.ErrNotFound):
				v.Add("org_id", "党组织不存在或不在您的管辖范围内")
			case err != nil:
				return err
			default:
				orgID = o.id
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		var community sql.NullInt64
		if err := tx.queryRow(ctx, `SELECT community_id FROM territories WHERE id = ?`, []any{t.ID}, &community); err != nil {
			return err
		}
		ts := now()
		var id int64
		if err := tx.queryRow(ctx, `INSERT INTO party_courses (title, summary, territory_id, org_id, path, community_id, pass_mark, points, status, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{in.Title, in.Summary, t.ID, orgID, t.Path, community, in.PassMark, in.Points, string(in.Status), userArg(sc), ts, ts}, &id); err != nil {
			return err
		}
		for i, l := range in.Lessons {
			if err := tx.insertLesson(ctx, id, i+1, l); err != nil {
				return err
			}
		}
		for i, q := range in.Questions {
			if err := tx.insertQuestion(ctx, id, i+1, q); err != nil {
				return err
			}
		}
		tx.auditAt(sc, t.Path, "party.course.create", "party_course", []int64{id}, "lessons="+strconv.Itoa(len(in.Lessons))+" questions="+strconv.Itoa(len(in.Questions)))
		var err error
		c, err = tx.course(ctx, sc, id, true)
		return err
	})
	return c, err
}

// userArg is the caller's account id for a *_by column (NULL for the operator's command line).
func userArg(sc authz.Scope) any {
	if sc.UserID == 0 {
		return nil
	}
	return sc.UserID
}

func (tx *Tx) insertLesson(ctx context.Context, courseID int64, pos int, l model.LessonInput) error {
	var id int64
	if err := tx.queryRow(ctx, `INSERT INTO party_lessons (course_id, position, title, body, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		[]any{courseID, pos, l.Title, l.Body, now()}, &id); err != nil {
		return err
	}
	for j, m := range l.Materials {
		if _, err := tx.exec(ctx, `INSERT INTO party_lesson_materials (lesson_id, position, kind, title, url) VALUES (?, ?, ?, ?, ?)`,
			id, j+1, string(m.Kind), m.Title, m.URL); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) insertQuestion(ctx context.Context, courseID int64, pos int, q model.QuestionInput) error {
	var id int64
	if err := tx.queryRow(ctx, `INSERT INTO party_quiz_questions (course_id, position, text, multiple) VALUES (?, ?, ?, ?) RETURNING id`,
		[]any{courseID, pos, q.Text, q.Multiple}, &id); err != nil {
		return err
	}
	for j, o := range q.Options {
		if _, err := tx.exec(ctx, `INSERT INTO party_quiz_options (question_id, position, text, correct) VALUES (?, ?, ?, ?)`, id, j+1, o.Text, o.Correct); err != nil {
			return err
		}
	}
	return nil
}

// Course returns the course with its lessons and quiz (correct options included) when sc reads
// it as staff, else model.ErrNotFound.
func (s *Store) Course(ctx context.Context, sc authz.Scope, id int64) (*model.Course, error) {
	return s.reader().course(ctx, sc, id, true)
}

func (c conn) course(ctx context.Context, sc authz.Scope, id int64, content bool) (*model.Course, error) {
	f := courseReadable(sc)
	f.add("c.id = ?", id)
	co, err := queryOne(ctx, c, `SELECT `+courseColumns+courseFrom+` WHERE `+f.sql(), f.args, scanCourse)
	if err != nil || !content {
		return co, err
	}
	return co, c.courseContent(ctx, co)
}

// courseContent loads the lessons with their materials and the questions with their options.
func (c conn) courseContent(ctx context.Context, co *model.Course) error {
	lessons, err := queryAll(ctx, c, `SELECT id, position, title, body FROM party_lessons WHERE course_id = ? ORDER BY position`, []any{co.ID},
		func(r rowScanner) (model.Lesson, error) {
			var l model.Lesson
			return l, r.Scan(&l.ID, &l.Position, &l.Title, &l.Body)
		})
	if err != nil {
		return err
	}
	type mat struct {
		lesson int64
		m      model.Material
	}
	mats, err := queryAll(ctx, c, `SELECT m.lesson_id, m.kind, m.title, m.url FROM party_lesson_materials m JOIN party_lessons l ON l.id = m.lesson_id
		WHERE l.course_id = ? ORDER BY m.lesson_id, m.position`, []any{co.ID}, func(r rowScanner) (mat, error) {
		var x mat
		return x, r.Scan(&x.lesson, &x.m.Kind, &x.m.Title, &x.m.URL)
	})
	if err != nil {
		return err
	}
	for i := range lessons {
		for _, m := range mats {
			if m.lesson == lessons[i].ID {
				lessons[i].Materials = append(lessons[i].Materials, m.m)
			}
		}
	}
	co.Lessons = lessons
	qs, err := queryAll(ctx, c, `SELECT id, position, text, multiple FROM party_quiz_questions WHERE course_id = ? ORDER BY position`, []any{co.ID},
		func(r rowScanner) (model.Question, error) {
			var q model.Question
			return q, r.Scan(&q.ID, &q.Position, &q.Text, &q.Multiple)
		})
	if err != nil {
		return err
	}
	type opt struct {
		question int64
		o        model.QuizOption
	}
	opts, err := queryAll(ctx, c, `SELECT o.question_id, o.id, o.position, o.text, o.correct FROM party_quiz_options o JOIN party_quiz_questions q ON q.id = o.question_id
		WHERE q.course_id = ? ORDER BY o.question_id, o.position`, []any{co.ID}, func(r rowScanner) (opt, error) {
		var x opt
		return x, r.Scan(&x.question, &x.o.ID, &x.o.Position, &x.o.Text, &x.o.Correct)
	})
	if err != nil {
		return err
	}
	for i := range qs {
		for _, o := range opts {
			if o.question == qs[i].ID {
				qs[i].Options = append(qs[i].Options, o.o)
			}
		}
	}
	co.Questions = qs
	return nil
}

// CourseFilter selects courses.
type CourseFilter struct {
	Status model.CourseStatus // "" for every status
	Limit  int
	Cursor string
}

// Courses lists the courses sc reads as staff, newest first (by id), without their content.
func (s *Store) Courses(ctx context.Context, sc authz.Scope, f CourseFilter) (*Page[*model.Course], error) {
	c := s.reader()
	if f.Status != "" && !f.Status.Valid() {
		return nil, fieldErr("status", "status 应为 draft、published 或 archived")
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	w := courseReadable(sc)
	if f.Status != "" {
		w.add("c.status = ?", string(f.Status))
	}
	count := w.clone()
	if cur.id != 0 {
		w.add("c.id < ?", cur.id)
	}
	limit := clampLimit(f.Limit)
	p, err := fetchPage(ctx, c, `SELECT `+courseColumns+courseFrom+` WHERE `+w.sql()+` ORDER BY c.id DESC`, w.args, limit,
		func(r rowScanner) (*model.Course, cursor, error) {
			co, err := scanCourse(r)
			return co, cursor{key: "c", id: co.ID}, err
		})
	if err != nil {
		return nil, err
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM party_courses c WHERE `+count.sql(), count.args, &p.Total); err != nil {
		return nil, err
	}
	return p, nil
}

// writableCourse is the course id when it lies in sc's own subtree (staff write only there),
// else model.ErrNotFound (a course of a node above is read, not changed, below it).
func (tx *Tx) writableCourse(ctx context.Context, sc authz.Scope, id int64) (*model.Course, error) {
	co, err := tx.course(ctx, sc, id, false)
	if err != nil {
		return nil, err
	}
	if !sc.Contains(co.Path) {
		return nil, &model.ForbiddenError{Message: "该课程由上级发布，只能查看和布置，不能修改"}
	}
	return co, nil
}

// UpdateCourse changes a course's title, summary, pass mark, points or status.
func (s *Store) UpdateCourse(ctx context.Context, sc authz.Scope, id int64, p model.CoursePatch) (*model.Course, error) {
	var out *model.Course
	err := s.Tx(ctx, func(tx *Tx) error {
		co, err := tx.writableCourse(ctx, sc, id)
		if err != nil {
			return err
		}
		in := model.CourseInput{Title: co.Title, Summary: co.Summary, TerritoryID: co.TerritoryID, PassMark: co.PassMark, Points: co.Points, Status: co.Status,
			Lessons: []model.LessonInput{{Title: "-", Body: "-"}}}
		p.Apply(&in)
		if err := in.Validate(); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE party_courses SET title = ?, summary = ?, pass_mark = ?, points = ?, status = ?, updated_at = ? WHERE id = ?`,
			in.Title, in.Summary, in.PassMark, in.Points, string(in.Status), now(), id); err != nil {
			return err
		}
		tx.auditAt(sc, co.Path, "party.course.update", "party_course", []int64{id}, "")
		out, err = tx.course(ctx, sc, id, true)
		return err
	})
	return out, err
}

// AddLesson appends a lesson to a course. Members who completed the course before keep their
// completion (they completed the course as it was).
func (s *Store) AddLesson(ctx context.Context, sc authz.Scope, courseID int64, in model.LessonInput) (*model.Course, error) {
	var out *model.Course
	err := s.Tx(ctx, func(tx *Tx) error {
		co, err := tx.writableCourse(ctx, sc, courseID)
		if err != nil {
			return err
		}
		if err := in.Validate(); err != nil {
			return err
		}
		if co.LessonCount >= model.MaxLessons {
			return fieldErr("lessons", "一门课程最多"+strconv.Itoa(model.MaxLessons)+"节课")
		}
		if err := tx.insertLesson(ctx, courseID, co.LessonCount+1, in); err != nil {
			return err
		}
		tx.auditAt(sc, co.Path, "party.course.lesson", "party_course", []int64{courseID}, "")
		out, err = tx.course(ctx, sc, courseID, true)
		return err
	})
	return out, err
}

// AddQuestion appends a question to a course's quiz.
func (s *Store) AddQuestion(ctx context.Context, sc authz.Scope, courseID int64, in model.QuestionInput) (*model.Course, error) {
	var out *model.Course
	err := s.Tx(ctx, func(tx *Tx) error {
		co, err := tx.writableCourse(ctx, sc, courseID)
		if err != nil {
			return err
		}
		if err := in.Validate(); err != nil {
			return err
		}
		if co.QuestionCount >= model.MaxQuestions {
			return fieldErr("questions", "一门课程最多"+strconv.Itoa(model.MaxQuestions)+"道测验题")
		}
		if err := tx.insertQuestion(ctx, courseID, co.QuestionCount+1, in); err != nil {
			return err
		}
		tx.auditAt(sc, co.Path, "party.course.question", "party_course", []int64{courseID}, "")
		out, err = tx.course(ctx, sc, courseID, true)
		return err
	})
	return out, err
}

// activeOrg is an active party org in the caller's scope, as courses and candidates refer to it.
type activeOrg struct {
	id        int64
	name      string
	path      string
	community sql.NullInt64
}

// partyOrgRef is the active party org id in sc, else model.ErrNotFound.
func (c conn) partyOrgRef(ctx context.Context, sc authz.Scope, id int64) (activeOrg, error) {
	return scopedOne(ctx, c, sc, `SELECT id, name, path, community_id FROM party_orgs WHERE id = ? AND status = 'active'`, []any{id},
		func(r rowScanner) (activeOrg, error) {
			var o activeOrg
			return o, r.Scan(&o.id, &o.name, &o.path, &o.community)
		}, func(o activeOrg) string { return o.path })
}

// memberRef is what a reference to a current party member needs.
type memberRef struct {
	id        int64
	name      string
	orgID     int64
	path      string
	community sql.NullInt64
	status    string
	list      string
}

const memberRefColumns = `id, name, org_id, path, community_id, status, list`

func scanMemberRef(r rowScanner) (memberRef, error) {
	var m memberRef
	return m, r.Scan(&m.id, &m.name, &m.orgID, &m.path, &m.community, &m.status, &m.list)
}

// partyMemberRef is the current (not left) member id in sc, else model.ErrNotFound.
func (c conn) partyMemberRef(ctx context.Context, sc authz.Scope, id int64) (memberRef, error) {
	return scopedOne(ctx, c, sc, `SELECT `+memberRefColumns+` FROM party_members WHERE id = ? AND left_on IS NULL`, []any{id}, scanMemberRef,
		func(m memberRef) string { return m.path })
}

// AssignCourse assigns a published course sc reads to an org or a member in sc, due on a date.
// A course already assigned to the same org or member is a *model.ConflictError; an assignee
// outside the scope, a course that is not published, bad fields: *model.ValidationError.
func (s *Store) AssignCourse(ctx context.Context, sc authz.Scope, in model.AssignmentInput) (*model.Assignment, error) {
	var out *model.Assignment
	err := s.Tx(ctx, func(tx *Tx) error {
		v := validation(in.Validate(time.Now().In(model.Shanghai)))
		co, err := tx.course(ctx, sc, in.CourseID, false)
		if err != nil {
			return err
		}
		if co.Status != model.CoursePublished {
			v.Add("course_id", "课程尚未发布或已归档，不能布置")
		}
		var path string
		var community sql.NullInt64
		var org, member any
		switch {
		case in.OrgID > 0:
			o, err := tx.partyOrgRef(ctx, sc, in.OrgID)
			switch {
			case errors.Is(err, model.ErrNotFound):
				v.Add("org_id", "党组织不存在或不在您的管辖范围内")
			case err != nil:
				return err
			}
			path, community, org = o.path, o.community, o.id
		case in.MemberID > 0:
			m, err := tx.partyMemberRef(ctx, sc, in.MemberID)
			switch {
			case errors.Is(err, model.ErrNotFound):
				v.Add("member_id", "党员不存在或不在您的管辖范围内")
			case err != nil:
				return err
			}
			path, community, member = m.path, m.community, m.id
		}
		if err := v.Err(); err != nil {
			return err
		}
		var id int64
		err = tx.queryRow(ctx, `INSERT INTO party_course_assignments (course_id, org_id, member_id, due_on, path, community_id, assigned_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, []any{co.ID, org, member, dateArg(in.DueOn), path, community, userArg(sc), now()}, &id)
		if isConflict(err) {
			return &model.ConflictError{Message: "该课程已布置给这个党组织或党员，如需改期请先撤销原布置"}
		}
		if err != nil {
			return err
		}
		tx.auditAt(sc, path, "party.course.assign", "party_course", []int64{co.ID, id}, "")
		as, err := tx.assignments(ctx, sc, co.ID, id)
		if err != nil {
			return err
		}
		out = &as[0]
		return nil
	})
	return out, err
}

// Assignments lists a course's assignments whose assignee lies in sc (the course must be one
// sc reads).
func (s *Store) Assignments(ctx context.Context, sc authz.Scope, courseID int64) ([]model.Assignment, error) {
	c := s.reader()
	if _, err := c.course(ctx, sc, courseID, false); err != nil {
		return nil, err
	}
	return c.assignments(ctx, sc, courseID, 0)
}

// RemoveAssignment withdraws an assignment whose assignee lies in sc. Progress already made
// is kept.
func (s *Store) RemoveAssignment(ctx context.Context, sc authz.Scope, courseID, id int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		as, err := tx.assignments(ctx, sc, courseID, id)
		if err != nil {
			return err
		}
		if len(as) == 0 {
			return model.ErrNotFound
		}
		if _, err := tx.exec(ctx, `DELETE FROM party_course_assignments WHERE id = ?`, id); err != nil {
			return err
		}
		tx.auditAt(sc, as[0].Path, "party.course.unassign", "party_course", []int64{courseID, id}, "")
		return nil
	})
}

func (c conn) assignments(ctx context.Context, sc authz.Scope, courseID, only int64) ([]model.Assignment, error) {
	w := underPathOf("a.path", sc)
	w.add("a.course_id = ?", courseID)
	if only != 0 {
		w.add("a.id = ?", only)
	}
	return queryAll(ctx, c, `SELECT a.id, a.course_id, COALESCE(a.org_id, 0), COALESCE(o.name, ''), COALESCE(a.member_id, 0), COALESCE(m.name, ''), a.due_on, a.path, a.created_at
		FROM party_course_assignments a LEFT JOIN party_orgs o ON o.id = a.org_id LEFT JOIN party_members m ON m.id = a.member_id
		WHERE `+w.sql()+` ORDER BY a.due_on, a.id`, w.args, func(r rowScanner) (model.Assignment, error) {
		var a model.Assignment
		return a, r.Scan(&a.ID, &a.CourseID, &a.OrgID, &a.OrgName, &a.MemberID, &a.MemberName, &a.DueOn, &a.Path, &a.CreatedAt)
	})
}

// underPathOf is the filter on col lying in sc's subtree (nothing for a scope that sees nothing).
func underPathOf(col string, sc authz.Scope) filter {
	if sc.All {
		return filter{}
	}
	if sc.Path == "" {
		return filter{where: []string{"1 = 0"}}
	}
	lo, hi := authz.PathRange(sc.Path)
	return filter{where: []string{col + " >= ?", col + " < ?"}, args: []any{lo, hi}}
}

// assignedSQL selects (member_id, assignment_id) of every member a course (the first two ?:
// course id, twice) is assigned to: directly, through an org or any org under it (the org tree
// by parent_id), or through a functional org the member belongs to.
const assignedSQL = `WITH RECURSIVE sub(org_id, assignment_id) AS (
		SELECT org_id, id FROM party_course_assignments WHERE course_id = ? AND org_id IS NOT NULL
		UNION
		SELECT o.id, sub.assignment_id FROM party_orgs o JOIN sub ON o.parent_id = sub.org_id WHERE o.status = 'active'
	), assigned(member_id, assignment_id) AS (
		SELECT m.id, sub.assignment_id FROM party_members m JOIN sub ON m.org_id = sub.org_id WHERE m.left_on IS NULL
		UNION
		SELECT pom.member_id, sub.assignment_id FROM party_org_members pom JOIN sub ON pom.org_id = sub.org_id
		UNION
		SELECT member_id, id FROM party_course_assignments WHERE course_id = ? AND member_id IS NOT NULL
	)`

// CourseProgress lists the progress of every member in sc the course is assigned to (by org,
// then name), and the completion per org (the member's own branch or group), as of today.
func (s *Store) CourseProgress(ctx context.Context, sc authz.Scope, courseID int64) ([]model.MemberProgress, []model.Completion, error) {
	c := s.reader()
	if _, err := c.course(ctx, sc, courseID, false); err != nil {
		return nil, nil, err
	}
	w := underPathOf("m.path", sc)
	args := append([]any{courseID, courseID, courseID}, w.args...)
	type row struct {
		p     model.MemberProgress
		orgID int64
	}
	rows, err := queryAll(ctx, c, assignedSQL+` SELECT m.id, m.name, m.org_id, o.name, a.due_on, COALESCE(r.lessons_read, 0), COALESCE(r.best_score, -1), r.completed_at IS NOT NULL
		FROM assigned x JOIN party_course_assignments a ON a.id = x.assignment_id JOIN party_members m ON m.id = x.member_id JOIN party_orgs o ON o.id = m.org_id
		LEFT JOIN party_course_results r ON r.course_id = ? AND r.member_id = m.id
		WHERE m.left_on IS NULL AND `+w.sql()+` ORDER BY o.name, m.org_id, m.name, m.id`, args, func(r rowScanner) (row, error) {
		var x row
		return x, r.Scan(&x.p.MemberID, &x.p.Name, &x.orgID, &x.p.OrgName, &x.p.DueOn, &x.p.LessonsRead, &x.p.BestScore, &x.p.Completed)
	})
	if err != nil {
		return nil, nil, err
	}
	today := time.Now().In(model.Shanghai)
	var out []model.MemberProgress
	var orgs []model.Completion
	idx := map[int64]int{}    // member → index in out
	orgIdx := map[int64]int{} // org → index in orgs
	memberOrg := map[int64]int64{}
	for _, x := range rows {
		if i, ok := idx[x.p.MemberID]; ok { // assigned twice: the earliest due date counts
			if x.p.DueOn.Before(out[i].DueOn) {
				out[i].DueOn = x.p.DueOn
			}
			continue
		}
		idx[x.p.MemberID] = len(out)
		memberOrg[x.p.MemberID] = x.orgID
		out = append(out, x.p)
	}
	for i := range out {
		p := &out[i]
		p.State = model.DueStateOf(p.DueOn, p.Completed, today)
		o := memberOrg[p.MemberID]
		j, ok := orgIdx[o]
		if !ok {
			j = len(orgs)
			orgIdx[o] = j
			orgs = append(orgs, model.Completion{OrgID: o, OrgName: p.OrgName})
		}
		cm := &orgs[j]
		cm.Members++
		if p.Completed {
			cm.Completed++
		}
		if p.BestScore >= 0 || p.LessonsRead > 0 {
			cm.Started++
		}
		if p.State == model.DueOverdue {
			cm.Overdue++
		}
	}
	return out, orgs, nil
}

// MyMember is the roster row of sc's account (party_members.user_id), current; model.ErrNotFound
// when the account is linked to no member.
func (s *Store) MyMember(ctx context.Context, sc authz.Scope) (int64, error) {
	m, err := s.reader().myMember(ctx, sc)
	return m.id, err
}

func (c conn) myMember(ctx context.Context, sc authz.Scope) (memberRef, error) {
	if sc.UserID == 0 {
		return memberRef{}, model.ErrNotFound
	}
	return queryOne(ctx, c, `SELECT `+memberRefColumns+` FROM party_members WHERE user_id = ? AND left_on IS NULL ORDER BY id LIMIT 1`, []any{sc.UserID}, scanMemberRef)
}

// dueFor is the earliest due date of the published course's assignments that reach member,
// model.ErrNotFound when none does.
func (c conn) dueFor(ctx context.Context, courseID, memberID int64) (time.Time, error) {
	ds, err := queryAll(ctx, c, assignedSQL+` SELECT a.due_on FROM assigned x JOIN party_course_assignments a ON a.id = x.assignment_id
		JOIN party_courses c ON c.id = a.course_id WHERE x.member_id = ? AND c.status = 'published' ORDER BY a.due_on`, []any{courseID, courseID, memberID},
		func(r rowScanner) (time.Time, error) {
			var d time.Time
			return d, r.Scan(&d)
		})
	if err != nil {
		return time.Time{}, err
	}
	if len(ds) == 0 {
		return time.Time{}, model.ErrNotFound
	}
	return ds[0], nil
}

// ErrNotAssigned answers a member's read or answer of a course not assigned to them, the same
// whether the course exists or not.
var ErrNotAssigned = &model.ForbiddenError{Message: "该课程没有布置给您，不能学习或提交测验"}

// MyCourses lists the published courses assigned to sc's member, by due date, with progress
// and the reminder state as of today.
func (s *Store) MyCourses(ctx context.Context, sc authz.Scope) ([]model.MyCourse, error) {
	c := s.reader()
	m, err := c.myMember(ctx, sc)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// The courses reaching the member: direct, through its org and the orgs above it, and its
	// functional orgs. The org's ancestors come from a recursive walk up parent_id.
	rows, err := queryAll(ctx, c, `WITH RECURSIVE up(org_id) AS (
			SELECT org_id FROM party_members WHERE id = ?
			UNION
			SELECT org_id FROM party_org_members WHERE member_id = ?
			UNION
			SELECT o.parent_id FROM party_orgs o JOIN up ON o.id = up.org_id WHERE o.parent_id IS NOT NULL
		)
		SELECT c.id, c.title, c.summary, a.due_on, c.pass_mark,
			(SELECT COUNT(*) FROM party_lessons l WHERE l.course_id = c.id), (SELECT COUNT(*) FROM party_quiz_questions q WHERE q.course_id = c.id),
			COALESCE(r.lessons_read, 0), COALESCE(r.best_score, -1), r.passed_at IS NOT NULL, r.completed_at IS NOT NULL
		FROM party_course_assignments a JOIN party_courses c ON c.id = a.course_id
		LEFT JOIN party_course_results r ON r.course_id = c.id AND r.member_id = ?
		WHERE c.status = 'published' AND (a.member_id = ? OR a.org_id IN (SELECT org_id FROM up))
		ORDER BY a.due_on, c.id`, []any{m.id, m.id, m.id, m.id}, func(r rowScanner) (model.MyCourse, error) {
		var x model.MyCourse
		return x, r.Scan(&x.CourseID, &x.Title, &x.Summary, &x.DueOn, &x.PassMark, &x.Lessons, &x.Questions, &x.LessonsRead, &x.BestScore, &x.Passed, &x.Completed)
	})
	if err != nil {
		return nil, err
	}
	today := time.Now().In(model.Shanghai)
	var out []model.MyCourse
	seen := map[int64]bool{}
	for _, x := range rows {
		if seen[x.CourseID] { // ordered by due date: the earliest assignment counts
			continue
		}
		seen[x.CourseID] = true
		x.State = model.DueStateOf(x.DueOn, x.Completed, today)
		out = append(out, x)
	}
	return out, nil
}

// MyCourse returns a course assigned to sc's member, its quiz without the correct answers, and
// the member's standing; ErrNotAssigned for any other course.
func (s *Store) MyCourse(ctx context.Context, sc authz.Scope, courseID int64) (*model.Course, *model.CourseResult, error) {
	c := s.reader()
	m, err := c.myMember(ctx, sc)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil, ErrNotAssigned
	}
	if err != nil {
		return nil, nil, err
	}
	due, err := c.dueFor(ctx, courseID, m.id)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil, ErrNotAssigned
	}
	if err != nil {
		return nil, nil, err
	}
	co, err := c.course(ctx, authz.System(), courseID, true)
	if err != nil {
		return nil, nil, err
	}
	for i := range co.Questions {
		for j := range co.Questions[i].Options {
			co.Questions[i].Options[j].Correct = false
		}
	}
	res, err := c.result(ctx, courseID, m.id)
	if err != nil {
		return nil, nil, err
	}
	res.DueOn = due
	return co, res, nil
}

func (c conn) result(ctx context.Context, courseID, memberID int64) (*model.CourseResult, error) {
	res := &model.CourseResult{BestScore: -1, Read: map[int64]bool{}}
	var best sql.NullInt64
	var passed, completed sql.NullTime
	err := c.queryRow(ctx, `SELECT lessons_read, best_score, attempts, passed_at, completed_at FROM party_course_results WHERE course_id = ? AND member_id = ?`,
		[]any{courseID, memberID}, &res.LessonsRead, &best, &res.Attempts, &passed, &completed)
	switch {
	case errors.Is(err, model.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		if best.Valid {
			res.BestScore = int(best.Int64)
		}
		res.Passed, res.Completed = passed.Valid, completed.Valid
	}
	ids, err := queryAll(ctx, c, `SELECT lesson_id FROM party_lesson_completions WHERE member_id = ? AND course_id = ?`, []any{memberID, courseID},
		func(r rowScanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		})
	for _, id := range ids {
		res.Read[id] = true
	}
	return res, err
}

// assignedMember is sc's member when courseID is assigned to them, else ErrNotAssigned.
func (tx *Tx) assignedMember(ctx context.Context, sc authz.Scope, courseID int64) (memberRef, error) {
	m, err := tx.myMember(ctx, sc)
	if errors.Is(err, model.ErrNotFound) {
		return m, ErrNotAssigned
	}
	if err != nil {
		return m, err
	}
	if _, err := tx.dueFor(ctx, courseID, m.id); errors.Is(err, model.ErrNotFound) {
		return m, ErrNotAssigned
	} else if err != nil {
		return m, err
	}
	return m, nil
}

// ReadLesson records that sc's member read a lesson of a course assigned to them (once; a
// second read changes nothing) and completes the course when it was the last thing missing.
// It returns whether the course is now completed.
func (s *Store) ReadLesson(ctx context.Context, sc authz.Scope, courseID, lessonID int64) (bool, error) {
	var done bool
	err := s.Tx(ctx, func(tx *Tx) error {
		m, err := tx.assignedMember(ctx, sc, courseID)
		if err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM party_lessons WHERE id = ? AND course_id = ?`, []any{lessonID, courseID}, &n); err != nil {
			return err
		}
		if n == 0 {
			return model.ErrNotFound
		}
		ts := now()
		if _, err := tx.exec(ctx, `INSERT INTO party_lesson_completions (member_id, lesson_id, course_id, completed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			m.id, lessonID, courseID, ts); err != nil {
			return err
		}
		if err := tx.ensureResult(ctx, courseID, m.id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE party_course_results SET lessons_read = (SELECT COUNT(*) FROM party_lesson_completions WHERE member_id = ? AND course_id = ?)
			WHERE course_id = ? AND member_id = ?`, m.id, courseID, courseID, m.id); err != nil {
			return err
		}
		done, err = tx.completeIfDone(ctx, courseID, m.id, ts)
		return err
	})
	return done, err
}

func (tx *Tx) ensureResult(ctx context.Context, courseID, memberID int64) error {
	_, err := tx.exec(ctx, `INSERT INTO party_course_results (course_id, member_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, courseID, memberID)
	return err
}

// completeIfDone marks the course completed for the member when every lesson is read and the
// quiz (if any) passed; the conditional UPDATE makes it happen once. It reports whether the
// course is completed (now or before).
func (tx *Tx) completeIfDone(ctx context.Context, courseID, memberID int64, ts time.Time) (bool, error) {
	// The member's completions are in the composition counts (study_completed): uncounted
	// before, counted again after (the member row locked in between, as a move would).
	agg := map[memberCountKey]int64{}
	if err := tx.memberCountsRows(ctx, agg, -1, "", "id = ?", memberID); err != nil {
		return false, err
	}
	_, err := tx.exec(ctx, `UPDATE party_course_results SET completed_at = ?
		WHERE course_id = ? AND member_id = ? AND completed_at IS NULL
		AND lessons_read >= (SELECT COUNT(*) FROM party_lessons WHERE course_id = ?)
		AND (passed_at IS NOT NULL OR NOT EXISTS (SELECT 1 FROM party_quiz_questions WHERE course_id = ?))`,
		ts, courseID, memberID, courseID, courseID)
	if err != nil {
		return false, err
	}
	if err := tx.memberCountsRows(ctx, agg, 1, "", "id = ?", memberID); err != nil {
		return false, err
	}
	if err := tx.memberCountsWrite(ctx, agg); err != nil {
		return false, err
	}
	var done bool
	err = tx.queryRow(ctx, `SELECT completed_at IS NOT NULL FROM party_course_results WHERE course_id = ? AND member_id = ?`, []any{courseID, memberID}, &done)
	return done, err
}

// SubmitQuiz grades sc's member's answers to the quiz of a course assigned to them, records the
// attempt and the member's best score, and completes the course when the quiz is passed and
// every lesson read. A course not assigned to the member is ErrNotAssigned; bad answers (a
// question unanswered, two options on a single-choice question, an option of another question)
// are a *model.ValidationError; in both cases nothing is recorded. The first pass is decided by
// a conditional UPDATE (passed_at IS NULL), so two passes at once count once.
func (s *Store) SubmitQuiz(ctx context.Context, sc authz.Scope, courseID int64, answers model.QuizAnswers) (*model.QuizResult, error) {
	var out *model.QuizResult
	err := s.Tx(ctx, func(tx *Tx) error {
		m, err := tx.assignedMember(ctx, sc, courseID)
		if err != nil {
			return err
		}
		co, err := tx.course(ctx, authz.System(), courseID, true)
		if err != nil {
			return err
		}
		correct, score, err := model.Grade(co.Questions, answers)
		if err != nil {
			return err
		}
		passed := score >= co.PassMark
		ts := now()
		res := &model.QuizResult{Correct: correct, Questions: len(co.Questions), Score: score, PassMark: co.PassMark, Passed: passed}
		if err := tx.queryRow(ctx, `INSERT INTO party_quiz_attempts (course_id, member_id, correct, questions, score, passed, answers, path, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, []any{courseID, m.id, correct, len(co.Questions), score, passed, encodeAnswers(answers), m.path, ts}, &res.AttemptID); err != nil {
			return err
		}
		if err := tx.ensureResult(ctx, courseID, m.id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE party_course_results SET attempts = attempts + 1,
			best_score = CASE WHEN best_score IS NULL OR best_score < ? THEN ? ELSE best_score END WHERE course_id = ? AND member_id = ?`,
			score, score, courseID, m.id); err != nil {
			return err
		}
		if passed {
			r, err := tx.exec(ctx, `UPDATE party_course_results SET passed_at = ? WHERE course_id = ? AND member_id = ? AND passed_at IS NULL`, ts, courseID, m.id)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n == 1 {
				// The first pass awards the course's points (its own when its author set them,
				// else the community's rule for study) into the ledger, in this transaction;
				// the ledger's unique index keeps it to once per member and course.
				if res.PointsAwarded, err = tx.awardPoints(ctx, m.id, model.PointsCourse, courseID, co.Points, "完成学习课程："+co.Title, sc.UserID); err != nil {
					return err
				}
			}
		}
		if res.Completed, err = tx.completeIfDone(ctx, courseID, m.id, ts); err != nil {
			return err
		}
		tx.auditAt(sc, m.path, "party.quiz.submit", "party_course", []int64{courseID, res.AttemptID}, "score="+strconv.Itoa(score))
		out = res
		return nil
	})
	return out, err
}

// encodeAnswers writes answers as "question:option,option;…" in question order, for the record.
func encodeAnswers(a model.QuizAnswers) string {
	var b strings.Builder
	for _, q := range sortedKeys(a) {
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(strconv.FormatInt(q, 10) + ":")
		for i, o := range a[q] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(o, 10))
		}
	}
	return b.String()
}

func sortedKeys(a model.QuizAnswers) []int64 { return slices.Sorted(maps.Keys(a)) }
