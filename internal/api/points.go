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

// Points rules per community (积分规则), a member's public profile (亮身份), the ledger and its
// corrections (new entries, never edits).

type pointsRuleJSON struct {
	CommunityID ID                 `json:"community_id"`
	Source      model.PointsSource `json:"source"`
	SourceLabel string             `json:"source_label"`
	Points      int                `json:"points"`
	Default     bool               `json:"default"`
}

func toPointsRules(rules []model.PointsRule) list[pointsRuleJSON] {
	out := list[pointsRuleJSON]{Items: make([]pointsRuleJSON, len(rules))}
	for i, r := range rules {
		out.Items[i] = pointsRuleJSON{CommunityID: ID(r.CommunityID), Source: r.Source, SourceLabel: r.Source.Label(), Points: r.Points, Default: r.Default}
	}
	return out
}

func (a *API) pointsRules(w http.ResponseWriter, r *http.Request) error {
	var fields []model.FieldError
	community := optionalID(r, "community", &fields)
	if community == 0 && len(fields) == 0 {
		fields = append(fields, model.FieldError{Field: "community", Message: "请指定社区（community）"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	rules, err := a.st.PointsRules(r.Context(), authz.ScopeFrom(r.Context()), community)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPointsRules(rules))
}

func (a *API) setPointsRule(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		CommunityID ID                 `json:"community_id"`
		Source      model.PointsSource `json:"source"`
		Points      *int               `json:"points"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	if req.Points == nil {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "points", Message: "请填写分值"}}}
	}
	sc := authz.ScopeFrom(r.Context())
	if err := a.st.SetPointsRule(r.Context(), sc, int64(req.CommunityID), req.Source, *req.Points); err != nil {
		return err
	}
	rules, err := a.st.PointsRules(r.Context(), sc, int64(req.CommunityID))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPointsRules(rules))
}

func (a *API) memberProfile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := a.st.MemberProfile(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toStandings([]model.PointsStanding{*p})[0])
}

func toPointsEntries(es []model.PointsEntry) []pointsEntryJSON {
	out := make([]pointsEntryJSON, len(es))
	for i, e := range es {
		out[i] = pointsEntryJSON{ID: ID(e.ID), Points: e.Points, Reason: e.Reason, Source: e.Source, SourceLabel: e.Source.Label(),
			SourceID: optID(e.SourceID), CorrectsID: optID(e.CorrectsID), CreatedAt: e.CreatedAt.In(model.Shanghai)}
	}
	return out
}

func (a *API) memberLedger(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	lq, err := parseList(r)
	if err != nil {
		return err
	}
	entries, total, err := a.st.MemberLedger(r.Context(), authz.ScopeFrom(r.Context()), id, lq.Limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"member_id": ID(id), "total": total, "entries": toPointsEntries(entries)})
}

func (a *API) correctPoints(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		EntryID ID     `json:"entry_id"`
		Points  int    `json:"points"`
		Reason  string `json:"reason"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	if req.EntryID <= 0 {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "entry_id", Message: "请指定要更正的积分记录"}}}
	}
	e, err := a.st.CorrectPoints(r.Context(), authz.ScopeFrom(r.Context()), id, int64(req.EntryID), req.Points, req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toPointsEntries([]model.PointsEntry{*e})[0])
}
