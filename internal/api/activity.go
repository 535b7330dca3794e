package api

import (
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Party–resident activities (党群活动): /api/v1/party/activities.

type activityJSON struct {
	ID            ID                   `json:"id"`
	TerritoryID   ID                   `json:"territory_id"`
	TerritoryName string               `json:"territory_name"`
	OrgID         *ID                  `json:"org_id"`
	Title         string               `json:"title"`
	Description   string               `json:"description"`
	Place         string               `json:"place"`
	StartsAt      time.Time            `json:"starts_at"`
	EndsAt        time.Time            `json:"ends_at"`
	Limit         int                  `json:"limit"`
	Signups       int                  `json:"signups"`
	CheckedIn     int                  `json:"checked_in"`
	Status        model.ActivityStatus `json:"status"`
	StatusLabel   string               `json:"status_label"`
	SignedUp      bool                 `json:"signed_up"`
	// Service: volunteer service; ServiceHours what it banks for each registered taker
	// checked in at it when it is closed.
	Service      bool    `json:"service"`
	ServiceHours float64 `json:"service_hours,omitempty"`
}

func toActivityJSON(x *model.Activity) activityJSON {
	out := activityJSON{ID: ID(x.ID), TerritoryID: ID(x.TerritoryID), TerritoryName: x.TerritoryName, OrgID: optID(x.OrgID), Title: x.Title,
		Description: x.Description, Place: x.Place, StartsAt: x.StartsAt.In(model.Shanghai), EndsAt: x.EndsAt.In(model.Shanghai), Limit: x.Limit,
		Signups: x.Signups, CheckedIn: x.CheckedIn, Status: x.Status, StatusLabel: x.Status.Label(), SignedUp: x.Mine != nil}
	if x.Service {
		out.Service, out.ServiceHours = true, float64(x.ServiceMinutes())/60
	}
	return out
}

func (a *API) listActivities(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "upcoming")
	if err != nil {
		return err
	}
	p, err := a.st.Activities(r.Context(), authz.ScopeFrom(r.Context()), store.ActivityFilter{Under: lq.Territory, Upcoming: r.URL.Query().Get("upcoming") == "true", Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	out := list[activityJSON]{Items: make([]activityJSON, len(p.Items)), NextCursor: p.Next, Total: total(p.Total)}
	for i, x := range p.Items {
		out.Items[i] = toActivityJSON(x)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) createActivity(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		TerritoryID ID        `json:"territory_id"`
		OrgID       ID        `json:"org_id"`
		Title       string    `json:"title"`
		Description string    `json:"description"`
		Place       string    `json:"place"`
		StartsAt    time.Time `json:"starts_at"`
		EndsAt      time.Time `json:"ends_at"`
		Limit       int       `json:"limit"`
		Service     bool      `json:"service"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	x, err := a.st.PublishActivity(r.Context(), authz.ScopeFrom(r.Context()), model.ActivityInput{TerritoryID: int64(req.TerritoryID), OrgID: int64(req.OrgID),
		Title: req.Title, Description: req.Description, Place: req.Place, StartsAt: req.StartsAt, EndsAt: req.EndsAt, Limit: req.Limit, Service: req.Service})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toActivityJSON(x))
}

func (a *API) getActivity(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	x, err := a.st.Activity(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toActivityJSON(x))
}

func (a *API) signUpActivity(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	x, err := a.st.SignUp(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toActivityJSON(x))
}

// activityStatus closes or cancels a published activity (staff): closing a volunteer service
// activity banks its hours for the registered takers checked in at it.
func (a *API) activityStatus(status model.ActivityStatus) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		x, err := a.st.SetActivityStatus(r.Context(), authz.ScopeFrom(r.Context()), id, status)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, toActivityJSON(x))
	}
}
