package api

import (
	"net/http"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The needs list of the three lists (三张清单): /api/v1/lists/needs, its suggestions derived from
// recurring orders, and the resources ranked for a need (the matching). Staff and grid leaders
// of the need's territory; the store decides.

type needJSON struct {
	ID              ID     `json:"id"`
	Title           string `json:"title"`
	Description     string `json:"description"`
	Category        string `json:"category"`
	Wants           string `json:"wants"`
	CommunityID     ID     `json:"community_id"`
	TerritoryID     ID     `json:"territory_id"`
	Territory       string `json:"territory"`
	Households      int    `json:"households"`
	Source          string `json:"source"`
	SourceLabel     string `json:"source_label"`
	OrderCategoryID *ID    `json:"order_category_id"`
	Status          string `json:"status"`
	StatusLabel     string `json:"status_label"`
	RecordedBy      string `json:"recorded_by"`
	CreatedAt       string `json:"created_at"`
	UpdatedAt       string `json:"updated_at"`
}

func toNeedJSON(n *model.Need) needJSON {
	out := needJSON{ID: ID(n.ID), Title: n.Title, Description: n.Description, Category: n.Category, Wants: string(n.Wants), CommunityID: ID(n.CommunityID),
		TerritoryID: ID(n.TerritoryID), Territory: n.TerritoryName, Households: n.Households, Source: string(n.Source), SourceLabel: n.Source.Label(),
		Status: string(n.Status), StatusLabel: n.Status.Label(), RecordedBy: n.RecordedBy, CreatedAt: rfc3339(n.CreatedAt), UpdatedAt: rfc3339(n.UpdatedAt)}
	if n.OrderCategoryID != 0 {
		id := ID(n.OrderCategoryID)
		out.OrderCategoryID = &id
	}
	return out
}

func (a *API) listNeeds(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "status", "source", "category", "q")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p, err := a.st.Needs(r.Context(), authz.ScopeFrom(r.Context()), store.NeedFilter{Under: lq.Territory, Status: model.NeedStatus(q.Get("status")),
		Source: model.NeedSource(q.Get("source")), Category: q.Get("category"), Q: q.Get("q"), Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toNeedJSON))
}

func (a *API) createNeed(w http.ResponseWriter, r *http.Request) error {
	var in model.NeedInput
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	n, err := a.st.CreateNeed(r.Context(), authz.ScopeFrom(r.Context()), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toNeedJSON(n))
}

func (a *API) getNeed(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := a.st.Need(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toNeedJSON(n))
}

func (a *API) setNeedStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Status model.NeedStatus `json:"status"`
	}
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	n, err := a.st.SetNeedStatus(r.Context(), authz.ScopeFrom(r.Context()), id, in.Status)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toNeedJSON(n))
}

type needSuggestionJSON struct {
	OrderCategoryID ID     `json:"order_category_id"`
	Category        string `json:"category"`
	TerritoryID     ID     `json:"territory_id"`
	Territory       string `json:"territory"`
	TerritoryKind   string `json:"territory_kind"`
	Orders          int    `json:"orders"`
	Households      int    `json:"households"`
	Since           string `json:"since"`
}

// needSuggestions answers the needs derived from recurring orders that no need records yet.
func (a *API) needSuggestions(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r)
	if err != nil {
		return err
	}
	ss, err := a.st.NeedSuggestions(r.Context(), authz.ScopeFrom(r.Context()), lq.Territory)
	if err != nil {
		return err
	}
	out := list[needSuggestionJSON]{Items: make([]needSuggestionJSON, len(ss))}
	for i, s := range ss {
		out.Items[i] = needSuggestionJSON{OrderCategoryID: ID(s.OrderCategoryID), Category: s.Category, TerritoryID: ID(s.TerritoryID), Territory: s.TerritoryName,
			TerritoryKind: string(s.TerritoryKind), Orders: s.Orders, Households: s.Households, Since: rfc3339(s.Since)}
	}
	return writeJSON(w, http.StatusOK, out)
}

type resourceMatchJSON struct {
	Resource resourceJSON `json:"resource"`
	Score    int          `json:"score"`
	Why      string       `json:"why"`
}

// needMatches answers the available resources of the need's community, ranked, each with the
// line that explains its rank.
func (a *API) needMatches(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, ms, err := a.st.ResourceMatches(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	out := struct {
		Need  needJSON            `json:"need"`
		Items []resourceMatchJSON `json:"items"`
	}{Need: toNeedJSON(n), Items: make([]resourceMatchJSON, len(ms))}
	for i, m := range ms {
		out.Items[i] = resourceMatchJSON{Resource: toResourceJSON(m.Resource), Score: m.Score, Why: m.Why}
	}
	return writeJSON(w, http.StatusOK, out)
}
