package api

import (
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// ID numbers registered twice: a create, change or import that collides with a resident outside
// the caller's scope is refused with a neutral message and recorded; the administrators whose
// scope holds both sides list the records here and move the resident or reject the attempt.

// conflictJSON is a recorded collision. The attempted ID number and phone are masked.
type conflictJSON struct {
	ID                  ID                   `json:"id"`
	Status              model.ConflictStatus `json:"status"`
	StatusLabel         string               `json:"status_label"`
	Source              model.ConflictSource `json:"source"`
	SourceLabel         string               `json:"source_label"`
	RequestedBy         *ID                  `json:"requested_by"`
	RequesterName       string               `json:"requester_name"`
	RequesterRole       model.Role           `json:"requester_role"`
	TargetTerritoryID   ID                   `json:"target_territory_id"`
	TargetTerritoryName string               `json:"target_territory_name"`
	TargetHouseholdID   *ID                  `json:"target_household_id"`
	ResidentID          *ID                  `json:"resident_id"`
	ResidentName        string               `json:"resident_name"`
	HolderTerritoryID   *ID                  `json:"holder_territory_id"`
	HolderTerritoryName string               `json:"holder_territory_name"`
	Attempt             attemptJSON          `json:"attempt"`
	Note                string               `json:"note"`
	HandledBy           *ID                  `json:"handled_by"`
	HandledAt           *time.Time           `json:"handled_at"`
	CreatedAt           time.Time            `json:"created_at"`
}

// attemptJSON is what the requester tried to register, masked where the record is masked.
type attemptJSON struct {
	Name           string `json:"name"`
	IDNumberMasked string `json:"id_number_masked"`
	PhoneMasked    string `json:"phone_masked,omitempty"`
	Relation       string `json:"relation,omitempty"`
	Row            int    `json:"row,omitempty"`
}

func optID(n int64) *ID {
	if n == 0 {
		return nil
	}
	id := ID(n)
	return &id
}

func toConflictJSON(c *model.IDConflict) conflictJSON {
	j := conflictJSON{ID: ID(c.ID), Status: c.Status, StatusLabel: c.Status.Label(), Source: c.Source, SourceLabel: c.Source.Label(),
		RequestedBy: optID(c.RequestedBy), RequesterName: c.RequesterName, RequesterRole: c.RequesterRole,
		TargetTerritoryID: ID(c.TargetTerritoryID), TargetTerritoryName: c.TargetTerritoryName, TargetHouseholdID: optID(c.TargetHouseholdID),
		ResidentID: optID(c.ResidentID), ResidentName: c.ResidentName, HolderTerritoryID: optID(c.HolderTerritoryID),
		HolderTerritoryName: c.HolderTerritoryName, Note: c.Note, HandledBy: optID(c.HandledBy), CreatedAt: c.CreatedAt.In(model.Shanghai),
		Attempt: attemptJSON{Name: c.Attempt.Name, IDNumberMasked: c.AttemptIDMasked(), Relation: string(model.Relation(c.Attempt.Relation).Normalized()), Row: c.Attempt.Row}}
	if c.Attempt.Phone != "" {
		j.Attempt.PhoneMasked = model.MaskPhone(c.Attempt.Phone)
	}
	if c.HandledAt != nil {
		t := c.HandledAt.In(model.Shanghai)
		j.HandledAt = &t
	}
	return j
}

func (a *API) listConflicts(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "status")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	if lq.Territory != 0 {
		fields = append(fields, model.FieldError{Field: "territory", Message: "登记冲突列表不按节点筛选：您看到的是双方都在您管辖范围内的记录"})
	}
	status := model.ConflictStatus(r.URL.Query().Get("status"))
	if status != "" && !status.Valid() {
		fields = append(fields, model.FieldError{Field: "status", Message: "status 应为 open、transferred 或 rejected"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.IDConflicts(r.Context(), authz.ScopeFrom(r.Context()), store.ConflictFilter{Status: status, Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	out := list[conflictJSON]{Items: make([]conflictJSON, len(p.Items)), NextCursor: p.Next, Total: total(p.Total)}
	for i, c := range p.Items {
		out.Items[i] = toConflictJSON(c)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getConflict(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := a.st.IDConflict(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toConflictJSON(c))
}

// conflictDecision is the body of POST /conflicts/{id}/transfer and /reject. HouseholdID names
// the household to move into when the record has none (an import row).
type conflictDecision struct {
	Note        string `json:"note"`
	HouseholdID ID     `json:"household_id"`
}

func (a *API) decodeDecision(w http.ResponseWriter, r *http.Request) (int64, conflictDecision, error) {
	var req conflictDecision
	id, err := pathID(r)
	if err != nil {
		return 0, req, err
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, a.maxBody, &req); err != nil {
			return 0, req, err
		}
	}
	return id, req, nil
}

func (a *API) transferConflict(w http.ResponseWriter, r *http.Request) error {
	id, req, err := a.decodeDecision(w, r)
	if err != nil {
		return err
	}
	c, err := a.st.TransferIDConflict(r.Context(), authz.ScopeFrom(r.Context()), id, int64(req.HouseholdID), req.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toConflictJSON(c))
}

func (a *API) rejectConflict(w http.ResponseWriter, r *http.Request) error {
	id, req, err := a.decodeDecision(w, r)
	if err != nil {
		return err
	}
	c, err := a.st.RejectIDConflict(r.Context(), authz.ScopeFrom(r.Context()), id, req.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toConflictJSON(c))
}
