package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Visits' pages (走访, issue 12 item 3): the visits of the caller's territory with their
// follow-ups, the phone form to log one, and the compounds and buildings nobody has visited for
// N days (N chosen on the page).

type visitsPage struct {
	Page
	List
	Rows []*model.Visit
}

func (wb *Web) listVisits(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.VisitFilter{Follow: model.FollowStatus(q.Get("follow")), Mine: q.Get("mine") == "1", Cursor: q.Get("cursor")}
	f.Territory, _ = strconv.ParseInt(q.Get("territory"), 10, 64)
	f.WorkerID, _ = strconv.ParseInt(q.Get("worker"), 10, 64)
	p := &visitsPage{Page: wb.base(r, wb.t("visits.title"), "visits")}
	p.Head = Head{Title: p.Title, Lead: wb.t("visits.lead"), Actions: []Link{
		{Label: wb.t("visits.unvisited.title"), URL: "/visits/unvisited", Icon: "map"},
		{Label: wb.t("visits.new"), URL: "/visits/new", Icon: "plus", Primary: true}}}
	follows := []Option{{Label: wb.t("list.all")}, {Value: string(model.FollowOpen), Label: model.FollowOpen.Label()},
		{Value: string(model.FollowDone), Label: model.FollowDone.Label()}, {Value: string(model.FollowNone), Label: model.FollowNone.Label()}}
	whose := []Option{{Label: wb.t("visits.whose.all")}, {Value: "1", Label: wb.t("visits.whose.mine")}}
	p.Filters = FilterBar{Action: "/visits", Fields: []Filter{
		selectFilter("follow", wb.t("visits.col.follow"), string(f.Follow), follows...),
		selectFilter("mine", wb.t("visits.filter.whose"), q.Get("mine"), whose...),
	}}
	for _, k := range []string{"territory", "worker"} {
		if v := q.Get(k); v != "" {
			p.Filters.Hidden = append(p.Filters.Hidden, Filter{Name: k, Value: v})
		}
	}
	if len(q) > 0 {
		p.Filters.ClearURL = "/visits"
	}
	p.Empty = Empty{Icon: "map", Title: wb.t("visits.empty"), Text: wb.t("visits.empty.next"),
		Actions: []Link{{Label: wb.t("visits.new"), URL: "/visits/new", Primary: true}}}
	p.Crumbs = append(wb.scopeCrumbs(r, territoryURL), Crumb{Name: p.Title})
	pg, err := wb.st.Visits(r.Context(), scope(r), f)
	if err != nil {
		if !p.fail(err) {
			return err
		}
		pg = &store.Page[*model.Visit]{}
	}
	p.Rows = pg.Items
	p.Pager = newPager(wb.t("visits.total", strconv.FormatInt(pg.Total, 10)), "/visits", q, q.Get("cursor"), pg.Next)
	return wb.renderList(w, r, "visits/list", p)
}

var visitFields = []string{"territory_id", "household_id", "visited_at", "minutes", "findings", "follow_up"}

type visitFormPage struct {
	Page
	Form      *Form
	Places    []territoryOption
	Household *model.Household
	Minutes   []int
}

func (wb *Web) newVisit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := url.Values{"minutes": {strconv.Itoa(model.DefaultVisitMinutes)}}
	for _, k := range []string{"territory_id", "household_id"} {
		if s := q.Get(k); s != "" {
			v.Set(k, s)
		}
	}
	return wb.visitForm(w, r, http.StatusOK, newForm("visit", v, visitFields...))
}

func (wb *Web) visitForm(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	p := &visitFormPage{Page: wb.base(r, wb.t("visits.new"), "visits"), Form: f, Minutes: []int{15, 30, 45, 60, 90, 120}}
	p.Crumbs = []Crumb{{Name: wb.t("visits.title"), URL: "/visits"}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	if hid, _ := strconv.ParseInt(f.Values.Get("household_id"), 10, 64); hid != 0 {
		h, err := wb.st.Household(r.Context(), scope(r), hid)
		switch {
		case err == nil:
			p.Household = h
		case !errors.Is(err, model.ErrNotFound) || !f.Invalid():
			return err
		}
		// A household the caller may not see, refused by the store: the form names the field.
	}
	var err error
	if p.Places, err = wb.listNodes(r, model.KindResidentGroup, model.KindGrid, model.KindCompound, model.KindBuilding, model.KindStairwell); err != nil {
		return err
	}
	return wb.render(w, r, status, "visits/new", p)
}

func (wb *Web) logVisit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("visit", r.PostForm, visitFields...)
	in := model.VisitInput{Findings: f.Values.Get("findings"), FollowUp: f.Values.Get("follow_up")}
	in.HouseholdID, _ = strconv.ParseInt(f.Values.Get("household_id"), 10, 64)
	if in.HouseholdID == 0 {
		in.TerritoryID, _ = strconv.ParseInt(f.Values.Get("territory_id"), 10, 64)
	}
	in.Minutes, _ = strconv.Atoi(f.Values.Get("minutes"))
	if s := f.Values.Get("visited_at"); s != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", s, model.Shanghai)
		if err != nil {
			f.add("visited_at", wb.t("visits.visited_at.bad"))
			return wb.visitForm(w, r, http.StatusUnprocessableEntity, f)
		}
		in.VisitedAt = t
	}
	if _, err := wb.st.LogVisit(r.Context(), scope(r), in); err != nil {
		if f.fail(err) {
			return wb.visitForm(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, "/visits?mine=1", "visit_logged")
	return nil
}

func (wb *Web) closeVisitFollowUp(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return model.ErrNotFound
	}
	if _, err := wb.st.CloseVisitFollowUp(r.Context(), scope(r), id); err != nil {
		return err
	}
	redirect(w, r, "/visits?follow=open", "visit_follow_done")
	return nil
}

type unvisitedPage struct {
	Page
	List
	Rows []*model.UnvisitedPlace
	Days int
}

func (wb *Web) unvisitedPlaces(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	days := 30
	if s := q.Get("days"); s != "" {
		days, _ = strconv.Atoi(s)
	}
	f := store.UnvisitedFilter{Days: days, Kind: model.TerritoryKind(q.Get("kind")), Cursor: q.Get("cursor")}
	f.Territory, _ = strconv.ParseInt(q.Get("territory"), 10, 64)
	p := &unvisitedPage{Page: wb.base(r, wb.t("visits.unvisited.title"), "visits-unvisited"), Days: days}
	p.Head = Head{Title: p.Title, Lead: wb.t("visits.unvisited.lead"), Actions: []Link{{Label: wb.t("visits.new"), URL: "/visits/new", Icon: "plus", Primary: true}}}
	kinds := []Option{{Label: wb.t("visits.unvisited.kind.both")}, {Value: string(model.KindCompound), Label: model.KindCompound.Label()},
		{Value: string(model.KindBuilding), Label: model.KindBuilding.Label()}}
	dayOpts := []Option{}
	for _, d := range []int{7, 14, 30, 60, 90, 180, 365} {
		dayOpts = append(dayOpts, Option{Value: strconv.Itoa(d), Label: wb.t("visits.unvisited.days.n", d)})
	}
	if q.Get("days") != "" && !slicesHasOption(dayOpts, q.Get("days")) {
		dayOpts = append(dayOpts, Option{Value: q.Get("days"), Label: wb.t("visits.unvisited.days.n", days)})
	}
	p.Filters = FilterBar{Action: "/visits/unvisited", Fields: []Filter{
		selectFilter("days", wb.t("visits.unvisited.days"), strconv.Itoa(days), dayOpts...),
		selectFilter("kind", wb.t("visits.unvisited.kind"), string(f.Kind), kinds...),
	}}
	if v := q.Get("territory"); v != "" {
		p.Filters.Hidden = []Filter{{Name: "territory", Value: v}}
	}
	if len(q) > 0 {
		p.Filters.ClearURL = "/visits/unvisited"
	}
	p.Empty = Empty{Icon: "check", Title: wb.t("visits.unvisited.empty", days), Text: wb.t("visits.unvisited.empty.next")}
	p.Crumbs = []Crumb{{Name: wb.t("visits.title"), URL: "/visits"}, {Name: p.Title}}
	pg, err := wb.st.UnvisitedPlaces(r.Context(), scope(r), f)
	if err != nil {
		if !p.fail(err) {
			return err
		}
		pg = &store.Page[*model.UnvisitedPlace]{}
	}
	p.Rows = pg.Items
	p.Pager = newPager(wb.t("visits.unvisited.total", strconv.FormatInt(pg.Total, 10)), "/visits/unvisited", q, q.Get("cursor"), pg.Next)
	return wb.renderList(w, r, "visits/unvisited", p)
}

func slicesHasOption(opts []Option, v string) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}
