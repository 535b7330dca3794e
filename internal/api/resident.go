package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// residentJSON is a resident as clients see it. Phone and ID number are their masks (the
// model.Sensitive rendering) unless Masked is false, which only a single read with
// ?reveal=true by a role allowed authz.PersonalReveal gives, through store.RevealResidents.
// Fields withheld from the caller's role are absent: birth_date and age (birth_year instead)
// where the ID number is masked, political_status and its label where it is withheld.
type residentJSON struct {
	ID                   ID                    `json:"id"`
	HouseholdID          ID                    `json:"household_id"`
	TerritoryID          ID                    `json:"territory_id"`
	Name                 string                `json:"name"`
	Gender               model.Gender          `json:"gender"`
	BirthDate            string                `json:"birth_date,omitempty"`
	BirthYear            int                   `json:"birth_year,omitempty"`
	Age                  *int                  `json:"age,omitempty"`
	Phone                string                `json:"phone"`
	IDNumber             string                `json:"id_number"`
	Masked               bool                  `json:"masked"`
	Relation             model.Relation        `json:"relation"`
	RelationLabel        string                `json:"relation_label"`
	PoliticalStatus      model.PoliticalStatus `json:"political_status,omitempty"`
	PoliticalStatusLabel string                `json:"political_status_label,omitempty"`
	Occupation           string                `json:"occupation"`
	CreatedAt            time.Time             `json:"created_at"`
	UpdatedAt            time.Time             `json:"updated_at"`
}

// toResidentJSON renders r with its phone and ID number masked, or in full from revealed (the
// store's audited reveal of r) when it is not nil; now gives the age.
func toResidentJSON(r *model.Resident, revealed *store.Revealed, now time.Time) residentJSON {
	j := residentJSON{ID: ID(r.ID), HouseholdID: ID(r.HouseholdID), TerritoryID: ID(r.TerritoryID), Name: r.Name,
		Gender: r.Gender, Phone: r.Phone.String(), IDNumber: r.IDNumber.String(), Masked: true,
		Relation: r.Relation, RelationLabel: r.Relation.Label(), Occupation: r.Occupation, CreatedAt: r.CreatedAt.In(model.Shanghai), UpdatedAt: r.UpdatedAt.In(model.Shanghai)}
	if r.Withheld.BirthDate {
		j.BirthYear = r.BirthDate.Year()
	} else {
		age := r.Age(now)
		j.BirthDate, j.Age = r.BirthDate.Format(time.DateOnly), &age
	}
	if !r.Withheld.PoliticalStatus {
		j.PoliticalStatus, j.PoliticalStatusLabel = r.PoliticalStatus, r.PoliticalStatus.Label()
	}
	if revealed != nil {
		j.Phone, j.IDNumber, j.Masked = revealed.Phone, revealed.IDNumber, false
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
		// The relation may be given as its id (head) or its Chinese word (户主).
		Relation: f.Relation.Normalized(), PoliticalStatus: f.PoliticalStatus, Occupation: f.Occupation}
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
		out.Items[i] = toResidentJSON(res, nil, now) // lists are always masked
	}
	return writeJSON(w, http.StatusOK, out)
}

// wantReveal reads ?reveal= of a single read: true only for "true" (the store decides whether
// the role may); a value other than true or false is malformed.
func wantReveal(r *http.Request) (bool, error) {
	switch r.URL.Query().Get("reveal") {
	case "", "false":
		return false, nil
	case "true":
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
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), authz.ScopeFrom(r.Context())
	var revealed *store.Revealed
	if reveal {
		// The store checks the role (403, recorded as denied) and records who saw whose full
		// values before handing them out; an id outside the scope reveals nothing.
		vs, err := a.st.RevealResidents(ctx, sc, []int64{id}, r.Pattern)
		if err != nil {
			return err
		}
		if v, ok := vs[id]; ok {
			revealed = &v
		}
	}
	res, err := a.st.Resident(ctx, sc, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toResidentJSON(res, revealed, time.Now().In(model.Shanghai)))
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
	return writeJSON(w, http.StatusCreated, toResidentJSON(res, nil, time.Now().In(model.Shanghai)))
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
	res, err := a.st.PatchResident(r.Context(), authz.ScopeFrom(r.Context()), id, model.ResidentPatch(req))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toResidentJSON(res, nil, time.Now().In(model.Shanghai)))
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
