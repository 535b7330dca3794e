package web

import (
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Points (积分): the leaderboards of the caller's area, and "my branch" (我的支部), the member's
// phone page: my meetings, my points, check-in; courses and dues join it from their parts.

type pointsPage struct {
	Page
	Rows []model.PointsStanding
}

func (wb *Web) points(w http.ResponseWriter, r *http.Request) error {
	sc := scope(r)
	if u := authz.UserFrom(r.Context()); u == nil || !authz.Allowed(u.Role, authz.PartyMeetingRead) {
		// A member sees the boards of their own branch and community on "my branch".
		http.Redirect(w, r, "/party/me#points", http.StatusSeeOther)
		return nil
	}
	rows, err := wb.st.Leaderboard(r.Context(), sc, store.LeaderboardFilter{Limit: 100})
	if err != nil {
		return err
	}
	p := &pointsPage{Page: wb.base(r, wb.t("points.title"), "party-points"), Rows: rows}
	p.Crumbs = []Crumb{{Name: p.Title}}
	return wb.render(w, r, http.StatusOK, "party/points_board", p)
}

type myBranchPage struct {
	Page
	Meetings []*model.Meeting
	Points   *store.MyParty
	Dues     *store.DuesAccount // this year's; nil when it cannot be read
	Now      time.Time
}

func (wb *Web) myBranch(w http.ResponseWriter, r *http.Request) error {
	sc := scope(r)
	ms, err := wb.st.MemberMeetings(r.Context(), sc.UserID, time.Now().AddDate(0, -3, 0), 20)
	if err != nil {
		return err
	}
	pts, err := wb.st.MyPoints(r.Context(), sc)
	if err != nil {
		return err
	}
	p := &myBranchPage{Page: wb.base(r, wb.t("me.branch.title"), "party-me"), Meetings: ms, Points: pts, Now: time.Now()}
	if p.Dues, err = wb.st.MyDues(r.Context(), sc, time.Now().In(model.Shanghai).Year()); err != nil {
		return err
	}
	p.Crumbs = []Crumb{{Name: p.Title}}
	return wb.render(w, r, http.StatusOK, "party/me", p)
}
