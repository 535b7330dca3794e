package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Small projects (民生微实事 proposals, issue 11 item 5) at /api/v1/projects: list and read
// (whoever reads the round: infeasible ones with their reason too), propose (residents,
// members, unit leaders of the community, and staff), review (staff: feasible with a cost in
// yuan, or infeasible with a reason), start and complete a winner, its milestones and photos.
// The proposer's name only staff who manage the round read (proposer); everyone reads its role
// (proposer_label).

type projectPhotoJSON struct {
	N      int    `json:"n"`
	URL    string `json:"url"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

type smallProjectJSON struct {
	ID            ID                 `json:"id"`
	RoundID       ID                 `json:"round_id"`
	RoundTitle    string             `json:"round_title"`
	Year          int                `json:"year"`
	TerritoryID   ID                 `json:"territory_id"`
	TerritoryName string             `json:"territory_name"`
	Title         string             `json:"title"`
	Description   string             `json:"description"`
	Proposer      string             `json:"proposer,omitempty"`
	ProposerLabel string             `json:"proposer_label"`
	Mine          bool               `json:"mine"`
	Status        string             `json:"status"`
	StatusLabel   string             `json:"status_label"`
	CostFen       *int64             `json:"cost_fen,omitempty"`
	Cost          string             `json:"cost,omitempty"`
	Note          string             `json:"note,omitempty"`
	ReviewedBy    string             `json:"reviewed_by,omitempty"`
	ReviewedAt    string             `json:"reviewed_at,omitempty"`
	OptionID      *ID                `json:"option_id,omitempty"`
	Approvals     *int               `json:"approvals,omitempty"`
	LossReason    string             `json:"loss_reason,omitempty"`
	StartedAt     string             `json:"started_at,omitempty"`
	DoneAt        string             `json:"done_at,omitempty"`
	Milestones    []milestoneJSON    `json:"milestones"`
	Photos        []projectPhotoJSON `json:"photos"`
	CreatedAt     string             `json:"created_at"`
}

func toSmallProjectJSON(p *model.SmallProject) smallProjectJSON {
	out := smallProjectJSON{ID: ID(p.ID), RoundID: ID(p.RoundID), RoundTitle: p.RoundTitle, Year: p.RoundYear, TerritoryID: ID(p.TerritoryID),
		TerritoryName: p.TerritoryName, Title: p.Title, Description: p.Description, Proposer: p.ProposerName, ProposerLabel: p.ProposerLabel(),
		Mine: p.Mine, Status: string(p.Status), StatusLabel: p.Status.Label(), Cost: p.Cost(), Note: p.Note, ReviewedBy: p.ReviewedBy,
		OptionID: optID(p.OptionID), Approvals: p.Approvals, LossReason: p.LossReason, CreatedAt: rfc3339(p.CreatedAt),
		Milestones: make([]milestoneJSON, len(p.Milestones)), Photos: make([]projectPhotoJSON, len(p.Photos))}
	if p.CostFen != 0 {
		c := p.CostFen
		out.CostFen = &c
	}
	for _, t := range []struct {
		at  *time.Time
		dst *string
	}{{p.ReviewedAt, &out.ReviewedAt}, {p.StartedAt, &out.StartedAt}, {p.DoneAt, &out.DoneAt}} {
		if t.at != nil {
			*t.dst = rfc3339(*t.at)
		}
	}
	for i, m := range p.Milestones {
		out.Milestones[i] = milestoneJSON{ID: ID(m.ID), Title: m.Title, DueOn: m.DueOn.Format(time.DateOnly), Done: m.DoneAt != nil, DoneBy: m.DoneBy}
		if m.DoneAt != nil {
			out.Milestones[i].DoneAt = rfc3339(*m.DoneAt)
		}
	}
	for i, ph := range p.Photos {
		out.Photos[i] = projectPhotoJSON{N: ph.N, URL: fmt.Sprintf("/api/v1/projects/%d/photos/%d", p.ID, ph.N), Width: ph.Width, Height: ph.Height}
	}
	return out
}

func (a *API) listSmallProjects(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "round", "status")
	if err != nil {
		return err
	}
	f := store.SmallProjectFilter{Status: model.SmallProjectStatus(r.URL.Query().Get("status")), Territory: lq.Territory, Limit: lq.Limit, Cursor: lq.Cursor}
	if s := r.URL.Query().Get("round"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return &model.ValidationError{Fields: []model.FieldError{{Field: "round", Message: "round 应为轮次 ID"}}}
		}
		f.Round = n
	}
	p, err := a.st.SmallProjects(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toSmallProjectJSON))
}

type smallProjectCreate struct {
	RoundID     ID     `json:"round_id"`
	TerritoryID ID     `json:"territory_id"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

func (a *API) proposeSmallProject(w http.ResponseWriter, r *http.Request) error {
	var req smallProjectCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	p, err := a.st.ProposeSmallProject(r.Context(), authz.ScopeFrom(r.Context()), model.SmallProjectInput{RoundID: int64(req.RoundID),
		TerritoryID: int64(req.TerritoryID), Title: req.Title, Description: req.Description})
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/projects/%d", p.ID))
	return writeJSON(w, http.StatusCreated, toSmallProjectJSON(p))
}

func (a *API) getSmallProject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := a.st.SmallProject(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSmallProjectJSON(p))
}

type reviewCreate struct {
	Feasible *bool  `json:"feasible"`
	Cost     string `json:"cost"`
	Note     string `json:"note"`
}

func (a *API) reviewSmallProject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req reviewCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	if req.Feasible == nil {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "feasible", Message: "请给出审核结论：feasible 为 true（可行）或 false（不可行）"}}}
	}
	p, err := a.st.ReviewSmallProject(r.Context(), authz.ScopeFrom(r.Context()), id, model.ReviewInput{Feasible: *req.Feasible, Cost: req.Cost, Note: req.Note})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSmallProjectJSON(p))
}

func (a *API) transitionSmallProject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Action string `json:"action"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	p, err := a.st.TransitionSmallProject(r.Context(), authz.ScopeFrom(r.Context()), id, model.SmallProjectAction(req.Action))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSmallProjectJSON(p))
}

func (a *API) addSmallProjectMilestone(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in model.MilestoneInput
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	p, err := a.st.AddSmallProjectMilestone(r.Context(), authz.ScopeFrom(r.Context()), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toSmallProjectJSON(p))
}

// tickSmallProjectMilestone marks one milestone done: {"milestone_id": "…"}.
func (a *API) tickSmallProjectMilestone(w http.ResponseWriter, r *http.Request) error {
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
	p, err := a.st.TickSmallProjectMilestone(r.Context(), authz.ScopeFrom(r.Context()), id, int64(in.MilestoneID))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSmallProjectJSON(p))
}

// addSmallProjectPhotos takes a multipart upload (files photos) of a winner's photos: 201
// with the project.
func (a *API) addSmallProjectPhotos(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, ActivityUploadLimit)
	// #nosec G120 -- the body is bounded by the MaxBytesReader just above
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return malformed("请求应为 multipart/form-data，照片放在字段 photos 中", model.FieldError{Field: "photos", Message: "请求格式不对"})
	}
	defer r.MultipartForm.RemoveAll()
	photos, err := formPhotos(r.MultipartForm)
	if err != nil {
		return err
	}
	p, err := a.st.AddSmallProjectPhotos(r.Context(), authz.ScopeFrom(r.Context()), id, photos)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toSmallProjectJSON(p))
}

func (a *API) smallProjectPhoto(w http.ResponseWriter, r *http.Request) error {
	id, n, err := pathIDAndIndex(r)
	if err != nil {
		return err
	}
	p, b, err := a.st.SmallProjectPhoto(r.Context(), authz.ScopeFrom(r.Context()), id, n)
	if err != nil {
		return err
	}
	WritePhoto(w, p.ContentType, fmt.Sprintf("project-%d-%d.jpg", id, n), b.Data)
	return nil
}
