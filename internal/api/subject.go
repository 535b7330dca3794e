package api

import (
	"context"
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The data subject's own data (PIPL art. 45) and their correction requests (art. 46), and the
// staff side that handles the requests.

// subjectAccountJSON is the account part of a subject's data.
type subjectAccountJSON struct {
	Username       string     `json:"username"`
	DisplayName    string     `json:"display_name"`
	Role           model.Role `json:"role"`
	RoleLabel      string     `json:"role_label"`
	ScopeName      string     `json:"scope_name,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	LastLoginAt    *time.Time `json:"last_login_at"`
	ActiveSessions int        `json:"active_sessions"`
}

// subjectMemberJSON is another member of the subject's household.
type subjectMemberJSON struct {
	Name           string         `json:"name"`
	Relation       model.Relation `json:"relation"`
	RelationLabel  string         `json:"relation_label"`
	IDNumberMasked string         `json:"id_number_masked"`
}

// subjectDataJSON is everything stored about the caller. Resident is unmasked: it is their own.
type subjectDataJSON struct {
	GeneratedAt      time.Time           `json:"generated_at"`
	Linked           bool                `json:"linked"`
	Account          subjectAccountJSON  `json:"account"`
	Resident         *residentJSON       `json:"resident"`
	Household        *householdJSON      `json:"household"`
	HouseholdMembers []subjectMemberJSON `json:"household_members"`
	Corrections      []correctionJSON    `json:"corrections"`
}

// correctionJSON is a correction request. RequestedValue is masked for phone and ID number in
// staff lists; the subject sees their own request in full.
type correctionJSON struct {
	ID             ID                     `json:"id"`
	ResidentID     ID                     `json:"resident_id"`
	ResidentName   string                 `json:"resident_name"`
	TerritoryID    ID                     `json:"territory_id"`
	Field          model.CorrectionField  `json:"field"`
	FieldLabel     string                 `json:"field_label"`
	CurrentValue   string                 `json:"current_value"`
	RequestedValue string                 `json:"requested_value"`
	Masked         bool                   `json:"masked"`
	Reason         string                 `json:"reason"`
	Status         model.CorrectionStatus `json:"status"`
	StatusLabel    string                 `json:"status_label"`
	Note           string                 `json:"note"`
	HandledAt      *time.Time             `json:"handled_at"`
	CreatedAt      time.Time              `json:"created_at"`
}

func toCorrectionJSON(c *model.CorrectionRequest, own bool) correctionJSON {
	j := correctionJSON{ID: ID(c.ID), ResidentID: ID(c.ResidentID), ResidentName: c.ResidentName, TerritoryID: ID(c.TerritoryID),
		Field: c.Field, FieldLabel: c.Field.Label(), CurrentValue: c.CurrentValueMasked, RequestedValue: c.RequestedValue,
		Reason: c.Reason, Status: c.Status, StatusLabel: c.Status.Label(), Note: c.Note, CreatedAt: c.CreatedAt.In(model.Shanghai)}
	if !own && c.Field.Sensitive() {
		j.RequestedValue, j.Masked = c.RequestedValueMasked(), true
	}
	if c.HandledAt != nil {
		t := c.HandledAt.In(model.Shanghai)
		j.HandledAt = &t
	}
	return j
}

// subjectData reads and renders the caller's own data.
func subjectData(st *store.Store, r *http.Request) (subjectDataJSON, error) {
	u := authz.UserFrom(r.Context())
	if u == nil {
		return subjectDataJSON{}, model.ErrUnauthenticated
	}
	d, err := st.SubjectData(r.Context(), u.ID)
	if err != nil {
		return subjectDataJSON{}, err
	}
	now := time.Now().In(model.Shanghai)
	out := subjectDataJSON{GeneratedAt: now.Truncate(time.Second), Linked: d.Resident != nil,
		Account: subjectAccountJSON{Username: d.Account.Username, DisplayName: d.Account.DisplayName, Role: d.Account.Role,
			RoleLabel: d.Account.Role.Label(), ScopeName: d.Account.ScopeName, CreatedAt: d.Account.CreatedAt.In(model.Shanghai),
			ActiveSessions: d.Account.Sessions},
		HouseholdMembers: []subjectMemberJSON{}, Corrections: []correctionJSON{}}
	if t := d.Account.LastLoginAt; t != nil {
		lt := t.In(model.Shanghai)
		out.Account.LastLoginAt = &lt
	}
	if d.Resident != nil {
		res := toResidentJSON(d.Resident, &d.Own, now)
		out.Resident = &res
	}
	if d.Household != nil {
		h := toHouseholdJSON(d.Household)
		out.Household = &h
	}
	for _, m := range d.Members {
		out.HouseholdMembers = append(out.HouseholdMembers, subjectMemberJSON{Name: m.Name, Relation: m.Relation, RelationLabel: m.Relation.Label(), IDNumberMasked: m.IDNumberMasked})
	}
	for _, c := range d.Corrections {
		out.Corrections = append(out.Corrections, toCorrectionJSON(c, true))
	}
	return out, nil
}

// recordSubjectRead audits a read of the subject's own record in full (action subject.read or
// subject.export); nothing to record when the account is not linked. The data must not be
// handed out when it fails.
func recordSubjectRead(st *store.Store, r *http.Request, d subjectDataJSON, action string) error {
	if d.Resident == nil {
		return nil
	}
	return st.RecordAccess(r.Context(), authz.ScopeFrom(r.Context()), action, "resident", []int64{int64(d.Resident.ID)}, "")
}

func (a *API) myData(w http.ResponseWriter, r *http.Request) error {
	d, err := subjectData(a.st, r)
	if err != nil {
		return err
	}
	if err := recordSubjectRead(a.st, r, d, "subject.read"); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (a *API) myDataExport(w http.ResponseWriter, r *http.Request) error {
	return SubjectExport(a.st, w, r)
}

// SubjectExport writes everything stored about the logged-in caller as a JSON file to keep
// (PIPL art. 45: a copy of one's data), the document of GET /api/v1/me/data with
// Content-Disposition: attachment. The pages' export button answers with it too, so both
// surfaces hand out one format. Errors are returned unwritten, for the caller's error mapping.
func SubjectExport(st *store.Store, w http.ResponseWriter, r *http.Request) error {
	d, err := subjectData(st, r)
	if err != nil {
		return err
	}
	if err := recordSubjectRead(st, r, d, "subject.export"); err != nil {
		return err
	}
	name := "gongzhi-my-data-" + d.GeneratedAt.Format("20060102") + ".json"
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	return writeJSON(w, http.StatusOK, d)
}

// correctionCreate is the body of POST /me/corrections.
type correctionCreate struct {
	Field  model.CorrectionField `json:"field"`
	Value  string                `json:"value"`
	Reason string                `json:"reason"`
}

func (a *API) createMyCorrection(w http.ResponseWriter, r *http.Request) error {
	var req correctionCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	u := authz.UserFrom(r.Context())
	c, err := a.st.CreateCorrection(r.Context(), u.ID, model.CorrectionInput{Field: req.Field, Value: req.Value, Reason: req.Reason})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toCorrectionJSON(c, true))
}

func (a *API) listMyCorrections(w http.ResponseWriter, r *http.Request) error {
	u := authz.UserFrom(r.Context())
	cs, err := a.st.MyCorrections(r.Context(), u.ID)
	if err != nil {
		return err
	}
	out := list[correctionJSON]{Items: make([]correctionJSON, len(cs))}
	for i, c := range cs {
		out.Items[i] = toCorrectionJSON(c, true)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) listCorrections(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "status")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	status := model.CorrectionStatus(r.URL.Query().Get("status"))
	if status != "" && !status.Valid() {
		fields = append(fields, model.FieldError{Field: "status", Message: "status 应为 open、accepted 或 rejected"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.Corrections(r.Context(), authz.ScopeFrom(r.Context()),
		store.CorrectionFilter{Under: lq.Territory, Status: status, Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	out := list[correctionJSON]{Items: make([]correctionJSON, len(p.Items)), NextCursor: p.Next, Total: total(p.Total)}
	for i, c := range p.Items {
		out.Items[i] = toCorrectionJSON(c, false) // lists are always masked
	}
	return writeJSON(w, http.StatusOK, out)
}

// correctionDecision is the body of POST /corrections/{id}/accept and /reject.
type correctionDecision struct {
	Note string `json:"note"`
}

func (a *API) acceptCorrection(w http.ResponseWriter, r *http.Request) error {
	return a.decideCorrection(w, r, a.st.AcceptCorrection)
}

func (a *API) rejectCorrection(w http.ResponseWriter, r *http.Request) error {
	return a.decideCorrection(w, r, a.st.RejectCorrection)
}

func (a *API) decideCorrection(w http.ResponseWriter, r *http.Request,
	decide func(ctx context.Context, sc authz.Scope, id int64, note string) (*model.CorrectionRequest, error)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req correctionDecision
	if r.ContentLength != 0 {
		if err := decode(w, r, a.maxBody, &req); err != nil {
			return err
		}
	}
	c, err := decide(r.Context(), authz.ScopeFrom(r.Context()), id, req.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCorrectionJSON(c, false))
}

// residentLink is the body and the answer of PUT /users/{id}/resident: the resident record the
// account belongs to, null to remove the link.
type residentLink struct {
	UserID     ID  `json:"user_id"`
	ResidentID *ID `json:"resident_id"`
}

// linkResident links a resident or member account to its own resident record (or unlinks it),
// both in the caller's scope.
func (a *API) linkResident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		ResidentID *ID `json:"resident_id"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	var rid int64
	if req.ResidentID != nil {
		if rid = int64(*req.ResidentID); rid <= 0 {
			return malformed("请求格式错误", model.FieldError{Field: "resident_id", Message: "resident_id 应为居民 ID，或 null 表示取消关联"})
		}
	}
	if err := a.st.LinkResident(r.Context(), authz.ScopeFrom(r.Context()), id, rid); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, residentLink{UserID: ID(id), ResidentID: req.ResidentID})
}
