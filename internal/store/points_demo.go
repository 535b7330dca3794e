package store

import (
	"context"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// PointsDemoStudyPass records for the demo, inside tx, that member read every lesson of the
// course and passed its quiz with full marks at ts, as ReadLesson and SubmitQuiz would for the
// member's own account (the demo's members have none): the lesson completions, one passing
// attempt, the result (passed, completed) and the points into the ledger, once. It returns the
// points awarded (0 when the member had already passed).
func (tx *Tx) PointsDemoStudyPass(ctx context.Context, courseID, memberID int64, ts time.Time) (int, error) {
	co, err := tx.course(ctx, authz.System(), courseID, true)
	if err != nil {
		return 0, err
	}
	var path string
	if err := tx.queryRow(ctx, `SELECT path FROM party_members WHERE id = ?`, []any{memberID}, &path); err != nil {
		return 0, err
	}
	for _, l := range co.Lessons {
		if _, err := tx.exec(ctx, `INSERT INTO party_lesson_completions (member_id, lesson_id, course_id, completed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			memberID, l.ID, courseID, ts); err != nil {
			return 0, err
		}
	}
	if err := tx.ensureResult(ctx, courseID, memberID); err != nil {
		return 0, err
	}
	n := len(co.Questions)
	if _, err := tx.exec(ctx, `INSERT INTO party_quiz_attempts (course_id, member_id, correct, questions, score, passed, answers, path, created_at)
		VALUES (?, ?, ?, ?, 100, ?, '', ?, ?)`, courseID, memberID, n, n, true, path, ts); err != nil {
		return 0, err
	}
	if _, err := tx.exec(ctx, `UPDATE party_course_results SET attempts = attempts + 1, best_score = 100,
		lessons_read = (SELECT COUNT(*) FROM party_lesson_completions WHERE member_id = ? AND course_id = ?)
		WHERE course_id = ? AND member_id = ?`, memberID, courseID, courseID, memberID); err != nil {
		return 0, err
	}
	r, err := tx.exec(ctx, `UPDATE party_course_results SET passed_at = ? WHERE course_id = ? AND member_id = ? AND passed_at IS NULL`, ts, courseID, memberID)
	if err != nil {
		return 0, err
	}
	points := 0
	if k, _ := r.RowsAffected(); k == 1 {
		if points, err = tx.awardPoints(ctx, memberID, model.PointsCourse, courseID, co.Points, "完成学习课程："+co.Title, 0); err != nil {
			return 0, err
		}
	}
	_, err = tx.completeIfDone(ctx, courseID, memberID, ts)
	return points, err
}
