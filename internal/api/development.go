package api

import (
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The development pipeline (发展党员): applications, documents, stage changes by the rules of
// model.CheckAdvance, with the reminder of the stage due.

type candidateDocJSON struct {
	Doc        model.DocKind `json:"doc"`
	DocLabel   string        `json:"doc_label"`
	Stage      model.Stage   `json:"stage"`
	RecordedOn string        `json:"recorded_on"`
	Note       string        `json:"note,omitempty"`
}

type stageDueJSON struct {
	Next      model.Stage `json:"next"`
	NextLabel string      `json:"next_label"`
	DueOn     string      `json:"due_on"`
	Overdue   bool        `json:"overdue"`
	Soon      bool        `json:"soon"`
}

type candidateJSON struct {
	ID             ID                 `json:"id"`
	ResidentID     ID                 `json:"resident_id"`
	Name           string             `json:"name"`
	OrgID          ID                 `json:"org_id"`
	OrgName        string             `json:"org_name"`
	Stage          model.Stage        `json:"stage"`
	StageLabel     string             `json:"stage_label"`
	AppliedOn      string             `json:"applied_on"`
	ActivistOn     *string            `json:"activist_on"`
	TargetOn       *string            `json:"development_target_on"`
	ProbationaryOn *string            `json:"probationary_on"`
	FullOn         *string            `json:"full_on"`
	Sponsor1ID     *ID                `json:"sponsor1_id"`
	Sponsor1Name   string             `json:"sponsor1_name,omitempty"`
	Sponsor2ID     *ID                `json:"sponsor2_id"`
	Sponsor2Name   string             `json:"sponsor2_name,omitempty"`
	MemberID       *ID                `json:"member_id"`
	Due            *stageDueJSON      `json:"due,omitempty"`
	Documents      []candidateDocJSON `json:"documents,omitempty"`
	Events         []candidateEvtJSON `json:"events,omitempty"`
	UpdatedAt      time.Time          `json:"updated_at"`
}

type candidateEvtJSON struct {
	Action string      `json:"action"`
	From   model.Stage `json:"from_stage,omitempty"`
	To     model.Stage `json:"to_stage,omitempty"`
	OnDate *string     `json:"on_date,omitempty"`
	Detail string      `json:"detail,omitempty"`
	At     time.Time   `json:"at"`
}

func optDate(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.DateOnly)
	return &s
}

func toCandidateJSON(c *model.Candidate) candidateJSON {
	j := candidateJSON{ID: ID(c.ID), ResidentID: ID(c.ResidentID), Name: c.Name, OrgID: ID(c.OrgID), OrgName: c.OrgName, Stage: c.Stage, StageLabel: c.Stage.Label(),
		AppliedOn: c.AppliedOn.UTC().Format(time.DateOnly), ActivistOn: optDate(c.ActivistOn), TargetOn: optDate(c.TargetOn),
		ProbationaryOn: optDate(c.ProbationaryOn), FullOn: optDate(c.FullOn), Sponsor1ID: optID(c.Sponsor1ID), Sponsor1Name: c.Sponsor1Name,
		Sponsor2ID: optID(c.Sponsor2ID), Sponsor2Name: c.Sponsor2Name, MemberID: optID(c.MemberID), UpdatedAt: c.UpdatedAt.In(model.Shanghai)}
	if d, ok := model.DueOf(c, time.Now().In(model.Shanghai)); ok {
		j.Due = &stageDueJSON{Next: d.Next, NextLabel: d.Next.Label(), DueOn: d.Due.UTC().Format(time.DateOnly), Overdue: d.Overdue, Soon: d.Soon}
	}
	for _, d := range c.Documents {
		j.Documents = append(j.Documents, candidateDocJSON{Doc: d.Doc, DocLabel: d.Doc.Label(), Stage: d.Stage, RecordedOn: d.RecordedOn.UTC().Format(time.DateOnly), Note: d.Note})
	}
	return j
}

func (a *API) listCandidates(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "stage", "org_id")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	if lq.Territory != 0 {
		fields = append(fields, model.FieldError{Field: "territory", Message: "发展党员列表按 org_id 筛选"})
	}
	q := r.URL.Query()
	stage := model.Stage(q.Get("stage"))
	if stage != "" && !stage.Valid() {
		fields = append(fields, model.FieldError{Field: "stage", Message: "stage 应为 application、activist、development_target、probationary 或 full"})
	}
	var org ID
	if v := q.Get("org_id"); v != "" {
		if err := org.UnmarshalJSON([]byte(v)); err != nil || org == 0 {
			fields = append(fields, model.FieldError{Field: "org_id", Message: "org_id 应为党组织 ID"})
		}
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.Candidates(r.Context(), authz.ScopeFrom(r.Context()), store.CandidateFilter{Stage: stage, OrgID: int64(org), Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	out := list[candidateJSON]{Items: make([]candidateJSON, len(p.Items)), NextCursor: p.Next, Total: total(p.Total)}
	for i, c := range p.Items {
		out.Items[i] = toCandidateJSON(c)
	}
	return writeJSON(w, http.StatusOK, out)
}

type candidateRequest struct {
	ResidentID ID     `json:"resident_id"`
	OrgID      ID     `json:"org_id"`
	AppliedOn  string `json:"applied_on"`
	Note       string `json:"note"`
}

func (a *API) createCandidate(w http.ResponseWriter, r *http.Request) error {
	var req candidateRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	c, err := a.st.CreateCandidate(r.Context(), authz.ScopeFrom(r.Context()), model.CandidateInput{ResidentID: int64(req.ResidentID), OrgID: int64(req.OrgID), AppliedOn: req.AppliedOn, Note: req.Note})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toCandidateJSON(c))
}

func (a *API) getCandidate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sc := authz.ScopeFrom(r.Context())
	c, err := a.st.Candidate(r.Context(), sc, id)
	if err != nil {
		return err
	}
	ev, err := a.st.CandidateEvents(r.Context(), sc, id)
	if err != nil {
		return err
	}
	j := toCandidateJSON(c)
	for _, e := range ev {
		j.Events = append(j.Events, candidateEvtJSON{Action: e.Action, From: e.FromStage, To: e.ToStage, OnDate: optDate(e.OnDate), Detail: e.Detail, At: e.At.In(model.Shanghai)})
	}
	return writeJSON(w, http.StatusOK, j)
}

type documentRequest struct {
	Doc        model.DocKind `json:"doc"`
	RecordedOn string        `json:"recorded_on"`
	Note       string        `json:"note"`
}

func (a *API) recordDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req documentRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	c, err := a.st.RecordDocument(r.Context(), authz.ScopeFrom(r.Context()), id, model.DocumentInput(req))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toCandidateJSON(c))
}

type advanceRequest struct {
	To         model.Stage `json:"to"`
	On         string      `json:"on"`
	Sponsor1ID ID          `json:"sponsor1_id"`
	Sponsor2ID ID          `json:"sponsor2_id"`
	Note       string      `json:"note"`
}

func (a *API) advanceCandidate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req advanceRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	c, err := a.st.Advance(r.Context(), authz.ScopeFrom(r.Context()), id, model.AdvanceInput{To: req.To, On: req.On, Sponsor1ID: int64(req.Sponsor1ID), Sponsor2ID: int64(req.Sponsor2ID), Note: req.Note})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCandidateJSON(c))
}
