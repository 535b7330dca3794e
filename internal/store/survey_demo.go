package store

import (
	"context"
	"fmt"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The demo city's perception surveys (demo/survey.go): a year of rounds whose residents have no
// accounts, so their responses go in here, in one transaction per round, stored exactly as
// AnswerSurvey stores them (a respondent row, a response under a random key with its area and
// score, the survey's count) without the checks that concern a caller.

// DemoSurveyRespondents returns up to n residents of community's current households, spread
// evenly over it (the heads first), leaving out residents linked to an account: the demo's own
// accounts answer for themselves.
func (s *Store) DemoSurveyRespondents(ctx context.Context, community int64, n int) ([]int64, error) {
	ids, err := queryAll(ctx, s.reader(), `SELECT r.id FROM residents r JOIN households h ON h.id = r.household_id
		WHERE h.community_id = ? AND h.moved_out_at IS NULL AND r.id NOT IN (SELECT resident_id FROM users WHERE resident_id IS NOT NULL)
		ORDER BY CASE WHEN r.relation = ? THEN 0 ELSE 1 END, h.path, r.id LIMIT 5000`, []any{community, string(model.RelationHead)},
		func(r rowScanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		})
	if err != nil || len(ids) <= n {
		return ids, err
	}
	out := make([]int64, 0, n)
	for i := range n {
		out = append(out, ids[i*len(ids)/n])
	}
	return out, nil
}

// DemoSurveyResponse is one demo resident's answers.
type DemoSurveyResponse struct {
	ResidentID int64
	Answers    []model.Answer
}

// AnswerDemoSurvey stores the responses to survey id, one per resident (a resident who answered
// already, or whose household lies outside the survey, is skipped), and returns how many were
// stored. The answers are checked as AnswerSurvey checks them.
func (s *Store) AnswerDemoSurvey(ctx context.Context, id int64, rs []DemoSurveyResponse) (int, error) {
	stored := 0
	err := s.Tx(ctx, func(tx *Tx) error {
		sv, _, err := tx.survey(ctx, authz.System(), id)
		if err != nil {
			return err
		}
		areas := map[string]responseArea{}
		for _, r := range rs {
			clean, err := sv.CheckAnswers(r.Answers)
			if err != nil {
				return fmt.Errorf("resident %d: %w", r.ResidentID, err)
			}
			var household int64
			var path string
			err = tx.queryRow(ctx, `SELECT h.id, h.path FROM residents r JOIN households h ON h.id = r.household_id WHERE r.id = ? AND h.moved_out_at IS NULL`,
				[]any{r.ResidentID}, &household, &path)
			if err != nil {
				return fmt.Errorf("resident %d: %w", r.ResidentID, err)
			}
			if len(path) < len(sv.Path) || path[:len(sv.Path)] != sv.Path {
				continue
			}
			res, err := tx.exec(ctx, `INSERT INTO survey_respondents (survey_id, resident_id, household_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				sv.ID, r.ResidentID, household)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			a, ok := areas[path]
			if !ok {
				if a, err = tx.surveyArea(ctx, path); err != nil {
					return err
				}
				areas[path] = a
			}
			if err := tx.storeResponse(ctx, sv, r.ResidentID, a, clean); err != nil {
				return err
			}
			stored++
		}
		_, err = tx.exec(ctx, `UPDATE surveys SET responses = responses + ? WHERE id = ?`, stored, sv.ID)
		return err
	})
	return stored, err
}
