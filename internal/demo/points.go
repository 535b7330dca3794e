package demo

import (
	"context"
	"fmt"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's points (issue 8, item 6) beyond those of organizational life (partyLife records a
// year of meetings with attendance and their points): about half of the registered members of
// every community passed the quiz of the first course (完成学习课程 points, the course's own,
// through the same steps as a member's own pass), and the first community sets its own rule for
// organizational life from now on (3 points instead of the default 2), so the rules page shows
// a community's choice. Deterministic for a seed.

// partyPoints adds the quiz passes and the one rule; courses are the demo's courses, first the
// one the members pass.
func partyPoints(ctx context.Context, st *store.Store, opts Options, communities []*model.Territory, courses []int64) error {
	sc := authz.System()
	// The courses exist from today (partyStudy): the passes lie in the last three weeks, as the
	// year of meetings lies before today.
	y, mo, d := time.Now().In(model.Shanghai).Date()
	today := time.Date(y, mo, d, 0, 0, 0, 0, model.Shanghai)
	for i, c := range communities {
		r := seedFor(opts.Seed, "party points "+c.Code)
		if i == 0 {
			if err := st.SetPointsRule(ctx, sc, c.ID, model.PointsMeeting, 3); err != nil {
				return fmt.Errorf("%s: points rule: %w", c.Name, err)
			}
		}
		if len(courses) == 0 {
			continue
		}
		members, err := st.Members(ctx, sc, store.MemberFilter{Under: c.ID, Limit: 200})
		if err != nil {
			return err
		}
		err = st.Tx(ctx, func(tx *store.Tx) error {
			for _, m := range members.Items {
				if r.IntN(2) != 0 {
					continue
				}
				passed := today.AddDate(0, 0, -1-r.IntN(20)).Add(time.Duration(9+r.IntN(12)) * time.Hour)
				if _, err := tx.PointsDemoStudyPass(ctx, courses[0], m.ID, passed); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: quiz passes: %w", c.Name, err)
		}
	}
	return nil
}
