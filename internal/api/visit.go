package api

import (
	"net/http"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Visits (走访, issue 12 item 3) at /api/v1/visits: staff and grid leaders log visits to the
// places and households of their territory, list them, close a follow-up, find the compounds
// and buildings nobody has visited for N days, and read a community's visit time per month.

type visitJSON struct {
	ID                ID     `json:"id"`
	CommunityID       ID     `json:"community_id"`
	CommunityName     string `json:"community_name"`
	TerritoryID       ID     `json:"territory_id"`
	PlaceKind         string `json:"place_kind"`
	PlaceName         string `json:"place_name"`
	HouseholdID       *ID    `json:"household_id,omitempty"`
	VisitorID         *ID    `json:"visitor_id,omitempty"`
	VisitorName       string `json:"visitor_name"`
	WorkerID          *ID    `json:"worker_id,omitempty"`
	VisitedAt         string `json:"visited_at"`
	Minutes           int    `json:"minutes"`
	Findings          string `json:"findings"`
	FollowUp          string `json:"follow_up,omitempty"`
	FollowStatus      string `json:"follow_status"`
	FollowStatusLabel string `json:"follow_status_label"`
	FollowDoneAt      string `json:"follow_done_at,omitempty"`
	FollowDoneBy      string `json:"follow_done_by,omitempty"`
	CreatedAt         string `json:"created_at"`
}

func toVisitJSON(v *model.Visit) visitJSON {
	out := visitJSON{ID: ID(v.ID), CommunityID: ID(v.CommunityID), CommunityName: v.CommunityName, TerritoryID: ID(v.TerritoryID), PlaceKind: string(v.PlaceKind),
		PlaceName: v.PlaceName, HouseholdID: optID(v.HouseholdID), VisitorID: optID(v.VisitorID), VisitorName: v.VisitorName, WorkerID: optID(v.WorkerID),
		VisitedAt: rfc3339(v.VisitedAt), Minutes: v.Minutes, Findings: v.Findings, FollowUp: v.FollowUp, FollowStatus: string(v.FollowStatus),
		FollowStatusLabel: v.FollowStatus.Label(), FollowDoneBy: v.FollowDoneBy, CreatedAt: rfc3339(v.CreatedAt)}
	if v.FollowDoneAt != nil {
		out.FollowDoneAt = rfc3339(*v.FollowDoneAt)
	}
	return out
}

func (a *API) listVisits(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "follow", "mine", "worker")
	q := r.URL.Query()
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	var worker int64
	if s := q.Get("worker"); s != "" {
		if worker, err = strconv.ParseInt(s, 10, 64); err != nil || worker <= 0 {
			fields = append(fields, model.FieldError{Field: "worker", Message: "worker 应为工作者 ID"})
		}
	}
	mine := q.Get("mine")
	if mine != "" && mine != "true" && mine != "false" {
		fields = append(fields, model.FieldError{Field: "mine", Message: "mine 应为 true 或 false"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.Visits(r.Context(), authz.ScopeFrom(r.Context()), store.VisitFilter{Territory: lq.Territory, Follow: model.FollowStatus(q.Get("follow")),
		Mine: mine == "true", WorkerID: worker, Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toVisitJSON))
}

type visitCreate struct {
	TerritoryID ID     `json:"territory_id"`
	HouseholdID ID     `json:"household_id"`
	VisitedAt   string `json:"visited_at"`
	Minutes     int    `json:"minutes"`
	Findings    string `json:"findings"`
	FollowUp    string `json:"follow_up"`
}

func (a *API) createVisit(w http.ResponseWriter, r *http.Request) error {
	var req visitCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	in := model.VisitInput{TerritoryID: int64(req.TerritoryID), HouseholdID: int64(req.HouseholdID), Minutes: req.Minutes, Findings: req.Findings, FollowUp: req.FollowUp}
	if req.VisitedAt != "" {
		t, err := time.Parse(time.RFC3339, req.VisitedAt)
		if err != nil {
			return &model.ValidationError{Fields: []model.FieldError{{Field: "visited_at", Message: "走访时间应为 RFC 3339 格式，如 2026-03-01T09:30:00+08:00"}}}
		}
		in.VisitedAt = t
	}
	v, err := a.st.LogVisit(r.Context(), authz.ScopeFrom(r.Context()), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toVisitJSON(v))
}

func (a *API) getVisit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := a.st.Visit(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toVisitJSON(v))
}

func (a *API) closeVisitFollowUp(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := a.st.CloseVisitFollowUp(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toVisitJSON(v))
}

type unvisitedJSON struct {
	ID          ID     `json:"id"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Households  int64  `json:"households"`
	LastVisitAt string `json:"last_visit_at,omitempty"`
}

func (a *API) unvisitedPlaces(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "days", "kind")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	q := r.URL.Query()
	days := 30
	if s := q.Get("days"); s != "" {
		if days, err = strconv.Atoi(s); err != nil {
			fields = append(fields, model.FieldError{Field: "days", Message: "天数应为 1–3650 的整数"})
		}
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.UnvisitedPlaces(r.Context(), authz.ScopeFrom(r.Context()), store.UnvisitedFilter{Territory: lq.Territory, Days: days,
		Kind: model.TerritoryKind(q.Get("kind")), Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, func(u *model.UnvisitedPlace) unvisitedJSON {
		out := unvisitedJSON{ID: ID(u.ID), Kind: string(u.Kind), Name: u.Name, Households: u.Households}
		if u.LastVisitAt != nil {
			out.LastVisitAt = rfc3339(*u.LastVisitAt)
		}
		return out
	}))
}

func (a *API) visitMonths(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var fields []model.FieldError
	for k := range q {
		if k != "community" && k != "from" && k != "to" {
			fields = append(fields, model.FieldError{Field: k, Message: "未知的查询参数"})
		}
	}
	community, err := strconv.ParseInt(q.Get("community"), 10, 64)
	if err != nil || community <= 0 {
		fields = append(fields, model.FieldError{Field: "community", Message: "community 应为社区的节点 ID"})
	}
	now := time.Now().In(model.Shanghai)
	from, to := now.AddDate(-1, 1, 0), now.AddDate(0, 1, 0)
	for _, x := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		if s := q.Get(x.name); s != "" {
			t, err := time.ParseInLocation("2006-01", s, model.Shanghai)
			if err != nil {
				fields = append(fields, model.FieldError{Field: x.name, Message: x.name + " 应为月份，如 2026-01"})
			}
			*x.dst = t
		}
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	if to.Sub(from) > 5*366*24*time.Hour {
		return malformed("查询参数有误", model.FieldError{Field: "to", Message: "一次最多查询5年"})
	}
	months, err := a.st.CommunityVisitMonths(r.Context(), authz.ScopeFrom(r.Context()), community, from, to)
	if err != nil {
		return err
	}
	type monthJSON struct {
		Month   string `json:"month"`
		Visits  int64  `json:"visits"`
		Minutes int64  `json:"minutes"`
		Hours   string `json:"hours"`
	}
	out := struct {
		Items []monthJSON `json:"items"`
	}{Items: []monthJSON{}}
	for _, m := range months {
		out.Items = append(out.Items, monthJSON{Month: m.Month, Visits: m.Visits, Minutes: m.Minutes, Hours: m.Hours()})
	}
	return writeJSON(w, http.StatusOK, out)
}
