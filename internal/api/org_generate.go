package api

import (
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The org generators (issue 8, item 1) in the API: the same store calls as the page
// /party/generate. GET /api/v1/party/orgs/generator previews (writes nothing), POST runs the plan
// as one batch, POST /api/v1/party/orgs/generator/runs/{id}/undo takes a batch back as one step.

type plannedOrgJSON struct {
	Kind        model.OrgKind `json:"kind"`
	KindLabel   string        `json:"kind_label"`
	Name        string        `json:"name"`
	ParentID    ID            `json:"parent_id"`
	ParentName  string        `json:"parent_name"`
	TerritoryID ID            `json:"territory_id"`
}

type generatorPlanJSON struct {
	CommunityID    ID                  `json:"community_id"`
	Generator      model.GeneratorKind `json:"generator"`
	GeneratorLabel string              `json:"generator_label"`
	Items          []plannedOrgJSON    `json:"items"`
}

type orgBatchJSON struct {
	ID             ID                  `json:"id"`
	CommunityID    ID                  `json:"community_id"`
	Generator      model.GeneratorKind `json:"generator"`
	GeneratorLabel string              `json:"generator_label"`
	Orgs           int                 `json:"orgs"`
	CreatedBy      *ID                 `json:"created_by,omitempty"`
	CreatedAt      time.Time           `json:"created_at"`
	UndoneAt       *time.Time          `json:"undone_at,omitempty"`
}

func toOrgBatchJSON(b *model.OrgBatch) orgBatchJSON {
	j := orgBatchJSON{ID: ID(b.ID), CommunityID: ID(b.CommunityID), Generator: b.Generator, GeneratorLabel: b.Generator.Label(),
		Orgs: b.Orgs, CreatedBy: optID(b.CreatedBy), CreatedAt: b.CreatedAt.In(model.Shanghai)}
	if b.UndoneAt != nil {
		at := b.UndoneAt.In(model.Shanghai)
		j.UndoneAt = &at
	}
	return j
}

// communityQuery reads the required ?community= of the generator routes (400 naming it when
// missing or not an id).
func communityQuery(r *http.Request, allowed ...string) (int64, error) {
	_, err := parseList(r, append([]string{"community"}, allowed...)...)
	fields := queryFields(err)
	if err != nil && fields == nil {
		return 0, err
	}
	q := r.URL.Query().Get("community")
	community := queryID(q, "community", &fields)
	if q == "" {
		fields = append(fields, model.FieldError{Field: "community", Message: "请用 community 指定社区节点的 ID"})
	}
	if len(fields) > 0 {
		return 0, malformed("查询参数有误", fields...)
	}
	return community, nil
}

func (a *API) previewGenerator(w http.ResponseWriter, r *http.Request) error {
	community, err := communityQuery(r, "generator")
	if err != nil {
		return err
	}
	gen := model.GeneratorKind(r.URL.Query().Get("generator"))
	plan, err := a.st.PlanOrgs(r.Context(), authz.ScopeFrom(r.Context()), community, gen)
	if err != nil {
		return err
	}
	out := generatorPlanJSON{CommunityID: ID(community), Generator: gen, GeneratorLabel: gen.Label(), Items: make([]plannedOrgJSON, len(plan))}
	for i, p := range plan {
		out.Items[i] = plannedOrgJSON{Kind: p.Kind, KindLabel: p.Kind.Label(), Name: p.Name, ParentID: ID(p.ParentID), ParentName: p.ParentName, TerritoryID: ID(p.TerritoryID)}
	}
	return writeJSON(w, http.StatusOK, out)
}

type generatorRun struct {
	CommunityID ID                  `json:"community_id"`
	Generator   model.GeneratorKind `json:"generator"`
}

func (a *API) runGenerator(w http.ResponseWriter, r *http.Request) error {
	var req generatorRun
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	if req.CommunityID == 0 {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "community_id", Message: "请选择在哪个社区运行生成器"}}}
	}
	b, err := a.st.RunGenerator(r.Context(), authz.ScopeFrom(r.Context()), int64(req.CommunityID), req.Generator)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/party/orgs/generator/runs/"+itoa(b.ID))
	return writeJSON(w, http.StatusCreated, toOrgBatchJSON(b))
}

func (a *API) listGeneratorRuns(w http.ResponseWriter, r *http.Request) error {
	community, err := communityQuery(r)
	if err != nil {
		return err
	}
	batches, err := a.st.OrgBatches(r.Context(), authz.ScopeFrom(r.Context()), community)
	if err != nil {
		return err
	}
	out := list[orgBatchJSON]{Items: make([]orgBatchJSON, len(batches))}
	for i, b := range batches {
		out.Items[i] = toOrgBatchJSON(b)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getGeneratorRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	b, err := a.st.OrgBatch(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOrgBatchJSON(b))
}

func (a *API) undoGeneratorRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	b, err := a.st.UndoOrgBatch(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOrgBatchJSON(b))
}
