package api

import (
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The points ledger (积分): /api/v1/party/points (leaderboards) and /api/v1/party/points/me.

type standingJSON struct {
	Rank        int    `json:"rank,omitempty"`
	MemberID    ID     `json:"member_id"`
	Name        string `json:"name"`
	OrgID       ID     `json:"org_id"`
	OrgName     string `json:"org_name"`
	ServicePost string `json:"service_post"`
	Points      int    `json:"points"`
}

func toStandings(rows []model.PointsStanding) []standingJSON {
	out := make([]standingJSON, len(rows))
	for i, p := range rows {
		out[i] = standingJSON{Rank: p.Rank, MemberID: ID(p.MemberID), Name: p.Name, OrgID: ID(p.OrgID), OrgName: p.OrgName, ServicePost: p.ServicePost, Points: p.Points}
	}
	return out
}

func (a *API) leaderboard(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "org")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	org := optionalID(r, "org", &fields)
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	rows, err := a.st.Leaderboard(r.Context(), authz.ScopeFrom(r.Context()), store.LeaderboardFilter{OrgID: org, Under: lq.Territory, Limit: lq.Limit})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list[standingJSON]{Items: toStandings(rows)})
}

type pointsEntryJSON struct {
	ID          ID                 `json:"id"`
	Points      int                `json:"points"`
	Reason      string             `json:"reason"`
	Source      model.PointsSource `json:"source"`
	SourceLabel string             `json:"source_label"`
	SourceID    *ID                `json:"source_id"`
	CorrectsID  *ID                `json:"corrects_id"`
	CreatedAt   time.Time          `json:"created_at"`
}

func (a *API) myPoints(w http.ResponseWriter, r *http.Request) error {
	my, err := a.st.MyPoints(r.Context(), authz.ScopeFrom(r.Context()))
	if err != nil {
		return err
	}
	entries := make([]pointsEntryJSON, len(my.Entries))
	for i, e := range my.Entries {
		entries[i] = pointsEntryJSON{ID: ID(e.ID), Points: e.Points, Reason: e.Reason, Source: e.Source, SourceLabel: e.Source.Label(),
			SourceID: optID(e.SourceID), CorrectsID: optID(e.CorrectsID), CreatedAt: e.CreatedAt.In(model.Shanghai)}
	}
	p := toStandings([]model.PointsStanding{my.Profile})[0]
	return writeJSON(w, http.StatusOK, map[string]any{"profile": p, "entries": entries,
		"branch": toStandings(my.Branch), "community": toStandings(my.Community)})
}
