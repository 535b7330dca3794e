package api

import (
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

type territoryJSON struct {
	ID         ID                  `json:"id"`
	ParentID   *ID                 `json:"parent_id"`
	Kind       model.TerritoryKind `json:"kind"`
	KindLabel  string              `json:"kind_label"`
	Name       string              `json:"name"`
	Code       string              `json:"code,omitempty"`
	Households int64               `json:"households"`
	Residents  int64               `json:"residents"`
	ArchivedAt *time.Time          `json:"archived_at,omitempty"`
	CreatedAt  time.Time           `json:"created_at"`
	UpdatedAt  time.Time           `json:"updated_at"`
}

func toTerritoryJSON(t *model.Territory) territoryJSON {
	j := territoryJSON{ID: ID(t.ID), Kind: t.Kind, KindLabel: t.Kind.Label(), Name: t.Name, Code: t.Code,
		Households: t.Households, Residents: t.Residents, CreatedAt: t.CreatedAt.In(model.Shanghai), UpdatedAt: t.UpdatedAt.In(model.Shanghai)}
	if t.ParentID != 0 {
		p := ID(t.ParentID)
		j.ParentID = &p
	}
	if t.ArchivedAt != nil {
		at := t.ArchivedAt.In(model.Shanghai)
		j.ArchivedAt = &at
	}
	return j
}

func territoryList(p *store.Page[*model.Territory]) list[territoryJSON] {
	out := list[territoryJSON]{Items: make([]territoryJSON, len(p.Items)), NextCursor: p.Next}
	for i, t := range p.Items {
		out.Items[i] = toTerritoryJSON(t)
	}
	return out
}

func (a *API) listTerritories(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "kind", "code", "archived")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.TerritoryFilter{Under: lq.Territory, Kind: model.TerritoryKind(q.Get("kind")), Code: q.Get("code"),
		IncludeArchived: q.Get("archived") == "true", Limit: lq.Limit, Cursor: lq.Cursor}
	if f.Kind != "" && !f.Kind.Valid() {
		return malformed("查询参数有误", model.FieldError{Field: "kind", Message: "kind 应为 district、street、community、resident_group、grid、compound、building 或 stairwell"})
	}
	if f.Code != "" && !model.ValidDivisionCode(f.Code) {
		return malformed("查询参数有误", model.FieldError{Field: "code", Message: "code 应为12位统计区划代码"})
	}
	p, err := a.st.Territories(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, territoryList(p))
}

func (a *API) getTerritory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := a.st.Territory(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toTerritoryJSON(t))
}

func (a *API) territoryChildren(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	lq, err := parseList(r, "archived")
	if err != nil {
		return err
	}
	sc := authz.ScopeFrom(r.Context())
	if _, err := a.st.Territory(r.Context(), sc, id); err != nil {
		return err
	}
	p, err := a.st.Territories(r.Context(), sc, store.TerritoryFilter{Under: id, ParentID: id,
		IncludeArchived: r.URL.Query().Get("archived") == "true", Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, territoryList(p))
}

type territoryEventJSON struct {
	Action  string    `json:"action"`
	Detail  string    `json:"detail"`
	ActorID *ID       `json:"actor_id,omitempty"`
	At      time.Time `json:"at"`
}

func (a *API) territoryHistory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	events, err := a.st.TerritoryEvents(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	out := list[territoryEventJSON]{Items: make([]territoryEventJSON, len(events))}
	for i, e := range events {
		out.Items[i] = territoryEventJSON{Action: e.Action, Detail: e.Detail, At: e.At.In(model.Shanghai)}
		if e.ActorID != 0 {
			actor := ID(e.ActorID)
			out.Items[i].ActorID = &actor
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

type territoryCreate struct {
	ParentID ID                  `json:"parent_id"`
	Kind     model.TerritoryKind `json:"kind"`
	Name     string              `json:"name"`
	Code     string              `json:"code"`
}

func (a *API) createTerritory(w http.ResponseWriter, r *http.Request) error {
	var req territoryCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	t, err := a.st.CreateTerritory(r.Context(), authz.ScopeFrom(r.Context()),
		model.TerritoryInput{ParentID: int64(req.ParentID), Kind: req.Kind, Name: req.Name, Code: req.Code})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/territories/"+itoa(t.ID))
	return writeJSON(w, http.StatusCreated, toTerritoryJSON(t))
}

// territoryPatch renames (name, code) and/or moves (parent_id) a node; absent fields stay.
type territoryPatch struct {
	Name     *string `json:"name"`
	Code     *string `json:"code"`
	ParentID *ID     `json:"parent_id"`
}

func (a *API) updateTerritory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req territoryPatch
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	ctx, sc := r.Context(), authz.ScopeFrom(r.Context())
	t, err := a.st.Territory(ctx, sc, id)
	if err != nil {
		return err
	}
	if req.Name != nil || req.Code != nil {
		name := t.Name
		if req.Name != nil {
			name = *req.Name
		}
		if t, err = a.st.RenameTerritory(ctx, sc, id, name, req.Code); err != nil {
			return err
		}
	}
	if req.ParentID != nil {
		if t, err = a.st.MoveTerritory(ctx, sc, id, int64(*req.ParentID)); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, toTerritoryJSON(t))
}

func (a *API) archiveTerritory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := a.st.ArchiveTerritory(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toTerritoryJSON(t))
}
