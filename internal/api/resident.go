package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// residentJSON is a resident as clients see it. Phone and ID number are masked unless Masked
// is false, which only a single read with ?reveal=true by a role allowed authz.PersonalReveal
// gives.
type residentJSON struct {
	ID                   ID                    `json:"id"`
	HouseholdID          ID                    `json:"household_id"`
	TerritoryID          ID                    `json:"territory_id"`
	Name                 string                `json:"name"`
	Gender               model.Gender          `json:"gender"`
	BirthDate            string                `json:"birth_date"`
	Age                  int                   `json:"age"`
	Phone                string                `json:"phone"`
	IDNumber             string                `json:"id_number"`
	Masked               bool                  `json:"masked"`
	Relation             model.Relation        `json:"relation"`
	PoliticalStatus      model.PoliticalStatus `json:"political_status"`
	PoliticalStatusLabel string                `json:"political_status_label"`
	Occupation           string                `json:"occupation"`
	CreatedAt            time.Time             `json:"created_at"`
	UpdatedAt            time.Time             `json:"updated_at"`
}

// toResidentJSON renders r with its phone and ID number masked unless reveal; now gives the age.
func toResidentJSON(r *model.Resident, reveal bool, now time.Time) residentJSON {
	j := residentJSON{ID: ID(r.ID), HouseholdID: ID(r.HouseholdID), TerritoryID: ID(r.TerritoryID), Name: r.Name,
		Gender: r.Gender, BirthDate: r.BirthDate.Format(time.DateOnly), Age: r.Age(now),
		Phone: model.MaskPhone(r.Phone), IDNumber: model.MaskIDNumber(r.IDNumber), Masked: true,
		Relation: r.Relation, PoliticalStatus: r.PoliticalStatus, PoliticalStatusLabel: r.PoliticalStatus.Label(),
		Occupation: r.Occupation, CreatedAt: r.CreatedAt.In(model.Shanghai), UpdatedAt: r.UpdatedAt.In(model.Shanghai)}
	if reveal {
		j.Phone, j.IDNumber, j.Masked = r.Phone, r.IDNumber, false
	}
	return j
}

// residentFields are the fields a client sets on a resident, in POST /residents and in each
// entry of POST /households' residents.
type residentFields struct {
	Name            string                `json:"name"`
	Gender          model.Gender          `json:"gender"`
	BirthDate       string                `json:"birth_date"`
	Phone           string                `json:"phone"`
	IDNumber        string                `json:"id_number"`
	Relation        model.Relation        `json:"relation"`
	PoliticalStatus model.PoliticalStatus `json:"political_status"`
	Occupation      string                `json:"occupation"`
}

func (f residentFields) input() model.ResidentInput {
	return model.ResidentInput{Name: f.Name, Gender: f.Gender, BirthDate: f.BirthDate, Phone: f.Phone, IDNumber: f.IDNumber,
		Relation: f.Relation, PoliticalStatus: f.PoliticalStatus, Occupation: f.Occupation}
}

// residentCreate is the body of POST /residents.
type residentCreate struct {
	HouseholdID ID `json:"household_id"`
	residentFields
}

func (a *API) listResidents(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "household", "political_status", "q", "id_number", "phone", "reason")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	q := r.URL.Query()
	f := store.ResidentFilter{Under: lq.Territory, PoliticalStatus: model.PoliticalStatus(q.Get("political_status")),
		Q: strings.TrimSpace(q.Get("q")), IDNumber: q.Get("id_number"), Phone: q.Get("phone"), Reason: q.Get("reason"),
		Limit: lq.Limit, Cursor: lq.Cursor}
	// Exact lookups through the blind index; the numbers never reach a log or an error message.
	if _, ok := q["id_number"]; ok && (len(f.IDNumber) != 18 || strings.TrimSpace(f.IDNumber) != f.IDNumber) {
		fields = append(fields, model.FieldError{Field: "id_number", Message: "id_number 应为18位身份证号"})
	}
	if _, ok := q["phone"]; ok && model.CheckPhone(f.Phone) != "" {
		fields = append(fields, model.FieldError{Field: "phone", Message: "phone 应为手机号或带区号的固定电话"})
	}
	if v := q.Get("household"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			fields = append(fields, model.FieldError{Field: "household", Message: "household 应为住户 ID"})
		}
		f.HouseholdID = n
	}
	if f.PoliticalStatus != "" && f.PoliticalStatus.Label() == "" {
		fields = append(fields, model.FieldError{Field: "political_status",
			Message: "political_status 应为 party_member、probationary、league_member 或 masses"})
	}
	if msg := checkSearch(f.Q); msg != "" {
		fields = append(fields, model.FieldError{Field: "q", Message: msg})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.Residents(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	now := time.Now().In(model.Shanghai)
	out := list[residentJSON]{Items: make([]residentJSON, len(p.Items)), NextCursor: p.Next, Total: total(p.Total)}
	for i, res := range p.Items {
		out.Items[i] = toResidentJSON(res, false, now) // lists are always masked
	}
	return writeJSON(w, http.StatusOK, out)
}

// wantReveal reads ?reveal= of a single read: true only for "true", and then only for a role
// allowed authz.PersonalReveal (model.ErrForbidden otherwise); a value other than true or
// false is malformed.
func wantReveal(r *http.Request) (bool, error) {
	switch r.URL.Query().Get("reveal") {
	case "", "false":
		return false, nil
	case "true":
		if u := authz.UserFrom(r.Context()); u == nil || !authz.Allowed(u.Role, authz.PersonalReveal) {
			return false, model.ErrForbidden
		}
		return true, nil
	}
	return false, malformed("查询参数有误", model.FieldError{Field: "reveal", Message: "reveal 应为 true 或 false"})
}

func (a *API) getResident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	reveal, err := wantReveal(r)
	if errors.Is(err, model.ErrForbidden) {
		// A role that may read but not reveal asked to: a denial like the guard's.
		if aerr := a.st.RecordDenied(r.Context(), authz.ScopeFrom(r.Context()), string(authz.PersonalReveal), r.Pattern); aerr != nil {
			return aerr
		}
	}
	if err != nil {
		return err
	}
	res, err := a.st.Resident(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	if reveal {
		// Who saw whose full ID number and phone: recorded before answering, or no answer.
		if err := a.st.RecordAccess(r.Context(), authz.ScopeFrom(r.Context()), "resident.reveal", "resident", []int64{res.ID}, "fields=id_number,phone"); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, toResidentJSON(res, reveal, time.Now().In(model.Shanghai)))
}

func (a *API) createResident(w http.ResponseWriter, r *http.Request) error {
	var req residentCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	in := req.input()
	in.HouseholdID = int64(req.HouseholdID)
	res, err := a.st.CreateResident(r.Context(), authz.ScopeFrom(r.Context()), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/residents/"+itoa(res.ID))
	return writeJSON(w, http.StatusCreated, toResidentJSON(res, false, time.Now().In(model.Shanghai)))
}

// residentPatch changes the fields present; the household is not changed here. A new ID
// number without gender or birth date derives them afresh from the number.
type residentPatch struct {
	Name            *string                `json:"name"`
	Gender          *model.Gender          `json:"gender"`
	BirthDate       *string                `json:"birth_date"`
	Phone           *string                `json:"phone"`
	IDNumber        *string                `json:"id_number"`
	Relation        *model.Relation        `json:"relation"`
	PoliticalStatus *model.PoliticalStatus `json:"political_status"`
	Occupation      *string                `json:"occupation"`
}

func (a *API) updateResident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req residentPatch
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	ctx, sc := r.Context(), authz.ScopeFrom(r.Context())
	old, err := a.st.Resident(ctx, sc, id)
	if err != nil {
		return err
	}
	in := model.ResidentInput{HouseholdID: old.HouseholdID, Name: old.Name, Gender: old.Gender,
		BirthDate: old.BirthDate.Format(time.DateOnly), Phone: old.Phone, IDNumber: old.IDNumber,
		Relation: old.Relation, PoliticalStatus: old.PoliticalStatus, Occupation: old.Occupation}
	if req.IDNumber != nil {
		in.IDNumber, in.Gender, in.BirthDate = *req.IDNumber, "", ""
	}
	setIf(&in.Name, req.Name)
	setIf(&in.Gender, req.Gender)
	setIf(&in.BirthDate, req.BirthDate)
	setIf(&in.Phone, req.Phone)
	setIf(&in.Relation, req.Relation)
	setIf(&in.PoliticalStatus, req.PoliticalStatus)
	setIf(&in.Occupation, req.Occupation)
	res := old
	if req != (residentPatch{}) {
		if res, err = a.st.UpdateResident(ctx, sc, id, in); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, toResidentJSON(res, false, time.Now().In(model.Shanghai)))
}

func (a *API) deleteResident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.st.DeleteResident(r.Context(), authz.ScopeFrom(r.Context()), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
