package web

import (
	"net/http"
	"strconv"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Party–resident activities (党群活动): the list for one's area, an activity's page with the
// sign-up button (and, for staff, the sign-ups and the QR screen).

type activitiesPage struct {
	Page
	Rows  []*model.Activity
	Total int64
}

func (wb *Web) activities(w http.ResponseWriter, r *http.Request) error {
	pg, err := wb.st.Activities(r.Context(), scope(r), store.ActivityFilter{Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	p := &activitiesPage{Page: wb.base(r, wb.t("activities.title"), "party-activities"), Rows: pg.Items, Total: pg.Total}
	p.Crumbs = []Crumb{{Name: p.Title}}
	return wb.render(w, r, http.StatusOK, "party/activity_list", p)
}

type activityPage struct {
	Page
	A       *model.Activity
	Signups []*model.ActivitySignup
	Manage  bool
}

func (wb *Web) activity(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sc := scope(r)
	a, err := wb.st.Activity(r.Context(), sc, id)
	if err != nil {
		return err
	}
	p := &activityPage{Page: wb.base(r, a.Title, "party-activities"), A: a}
	if p.Can("party.activity.write") && sc.Contains(a.Path) {
		p.Manage = true
		if _, p.Signups, err = wb.st.ActivitySignups(r.Context(), sc, id); err != nil {
			return err
		}
	}
	p.Crumbs = []Crumb{{Name: wb.t("activities.title"), URL: "/party/activities"}, {Name: a.Title}}
	return wb.render(w, r, http.StatusOK, "party/activity_show", p)
}

func (wb *Web) signUp(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := wb.st.SignUp(r.Context(), scope(r), id); err != nil {
		return err
	}
	redirect(w, r, "/party/activities/"+strconv.FormatInt(id, 10), "signed_up")
	return nil
}

// closeActivity closes (or, with cancel, cancels) an activity: closing a volunteer service
// activity banks its hours for the registered takers checked in at it.
func (wb *Web) closeActivity(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	status, done := model.ActivityClosed, "activity_closed"
	if r.PostForm.Get("cancel") != "" {
		status, done = model.ActivityCancelled, "activity_cancelled"
	}
	if _, err := wb.st.SetActivityStatus(r.Context(), scope(r), id, status); err != nil {
		return err
	}
	redirect(w, r, "/party/activities/"+strconv.FormatInt(id, 10), done)
	return nil
}

func (wb *Web) activityQR(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, code, exp, err := wb.st.ActivityCode(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	return wb.qrScreen(w, r, a.Title, a.TerritoryName, "/party/activities/"+strconv.FormatInt(id, 10), code, exp)
}
