package api

import (
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The projects list of the three lists (三张清单): /api/v1/lists/projects. Proposing (matching a
// need with a resource), the community's approval (its own route and action, list.approve),
// the other transitions, milestones. A second approval, or two at once, is 409 for all but one.

type milestoneJSON struct {
	ID     ID     `json:"id"`
	Title  string `json:"title"`
	DueOn  string `json:"due_on"`
	Done   bool   `json:"done"`
	DoneAt string `json:"done_at,omitempty"`
	DoneBy string `json:"done_by,omitempty"`
}

type projectEventJSON struct {
	Action string `json:"action"`
	Label  string `json:"label"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
	At     string `json:"at"`
}

type projectJSON struct {
	ID          ID                 `json:"id"`
	Title       string             `json:"title"`
	Status      string             `json:"status"`
	StatusLabel string             `json:"status_label"`
	CommunityID ID                 `json:"community_id"`
	TerritoryID ID                 `json:"territory_id"`
	Territory   string             `json:"territory"`
	NeedID      ID                 `json:"need_id"`
	Need        string             `json:"need"`
	ResourceID  ID                 `json:"resource_id"`
	Resource    string             `json:"resource"`
	OfferedBy   string             `json:"offered_by"`
	Owner       string             `json:"owner"`
	StartsOn    string             `json:"starts_on"`
	ProposedBy  string             `json:"proposed_by"`
	ApprovedBy  string             `json:"approved_by,omitempty"`
	ApprovedAt  string             `json:"approved_at,omitempty"`
	Milestones  []milestoneJSON    `json:"milestones"`
	History     []projectEventJSON `json:"history,omitempty"`
	CreatedAt   string             `json:"created_at"`
	UpdatedAt   string             `json:"updated_at"`
	Version     int64              `json:"version"`
}

func toProjectJSON(p *model.Project) projectJSON {
	out := projectJSON{ID: ID(p.ID), Title: p.Title, Status: string(p.Status), StatusLabel: p.Status.Label(), CommunityID: ID(p.CommunityID),
		TerritoryID: ID(p.TerritoryID), Territory: p.TerritoryName, NeedID: ID(p.NeedID), Need: p.NeedTitle, ResourceID: ID(p.ResourceID),
		Resource: p.ResourceTitle, OfferedBy: p.OfferedBy, Owner: p.Owner, StartsOn: p.StartsOn.Format(time.DateOnly), ProposedBy: p.ProposedBy,
		ApprovedBy: p.ApprovedBy, Milestones: make([]milestoneJSON, len(p.Milestones)), CreatedAt: rfc3339(p.CreatedAt), UpdatedAt: rfc3339(p.UpdatedAt),
		Version: p.Version}
	if p.ApprovedAt != nil {
		out.ApprovedAt = rfc3339(*p.ApprovedAt)
	}
	for i, m := range p.Milestones {
		out.Milestones[i] = milestoneJSON{ID: ID(m.ID), Title: m.Title, DueOn: m.DueOn.Format(time.DateOnly), Done: m.DoneAt != nil, DoneBy: m.DoneBy}
		if m.DoneAt != nil {
			out.Milestones[i].DoneAt = rfc3339(*m.DoneAt)
		}
	}
	for _, e := range p.History {
		out.History = append(out.History, projectEventJSON{Action: e.Action, Label: e.Label(), From: string(e.From), To: string(e.To), Actor: e.Actor,
			Reason: e.Reason, At: rfc3339(e.At)})
	}
	return out
}

func (a *API) listProjects(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "status", "need_id", "resource_id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.ProjectFilter{Under: lq.Territory, Status: model.ProjectStatus(q.Get("status")), Limit: lq.Limit, Cursor: lq.Cursor}
	var bad []model.FieldError
	for _, x := range []struct {
		name string
		dst  *int64
	}{{"need_id", &f.Need}, {"resource_id", &f.Resource}} {
		if s := q.Get(x.name); s != "" {
			var id ID
			if err := id.UnmarshalJSON([]byte(s)); err != nil || id <= 0 {
				bad = append(bad, model.FieldError{Field: x.name, Message: "应为 ID"})
			}
			*x.dst = int64(id)
		}
	}
	if len(bad) > 0 {
		return malformed("查询参数有误", bad...)
	}
	p, err := a.st.Projects(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toProjectJSON))
}

func (a *API) proposeProject(w http.ResponseWriter, r *http.Request) error {
	var in model.ProjectInput
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	p, err := a.st.ProposeProject(r.Context(), authz.ScopeFrom(r.Context()), in)
	if err != nil {
		return err
	}
	p, err = a.st.Project(r.Context(), authz.ScopeFrom(r.Context()), p.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toProjectJSON(p))
}

func (a *API) getProject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := a.st.Project(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toProjectJSON(p))
}

// approveProject is the community's decision on a proposed project: {"decision": "approve"}
// or {"decision": "reject", "reason": "…"}.
func (a *API) approveProject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
	}
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	act := model.ProjectAction(in.Decision)
	if act != model.ProjectApprove && act != model.ProjectReject {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "decision", Message: "审批结果应为 approve（批准）或 reject（不予批准）"}}}
	}
	p, err := a.st.TransitionProject(r.Context(), authz.ScopeFrom(r.Context()), id, model.ProjectTransitionInput{Action: act, Reason: in.Reason})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toProjectJSON(p))
}

// transitionProject starts, completes or cancels a project; approval has its own route.
func (a *API) transitionProject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in model.ProjectTransitionInput
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	if in.Action == model.ProjectApprove || in.Action == model.ProjectReject {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "action", Message: "审批请使用 POST /api/v1/lists/projects/{id}/approval"}}}
	}
	p, err := a.st.TransitionProject(r.Context(), authz.ScopeFrom(r.Context()), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toProjectJSON(p))
}

func (a *API) addMilestone(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in model.MilestoneInput
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	p, err := a.st.AddMilestone(r.Context(), authz.ScopeFrom(r.Context()), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toProjectJSON(p))
}

// tickMilestone marks one milestone of the project done: {"milestone_id": "…"}.
func (a *API) tickMilestone(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		MilestoneID ID `json:"milestone_id"`
	}
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	if in.MilestoneID <= 0 {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "milestone_id", Message: "请指明要勾选的里程碑"}}}
	}
	p, err := a.st.TickMilestone(r.Context(), authz.ScopeFrom(r.Context()), id, int64(in.MilestoneID))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toProjectJSON(p))
}
