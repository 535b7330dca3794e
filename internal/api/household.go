package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// maxResidentsPerCreate bounds the residents of one POST /households; a real household has a
// handful, and the importer is the way to load many.
const maxResidentsPerCreate = 50

type householdJSON struct {
	ID          ID        `json:"id"`
	TerritoryID ID        `json:"territory_id"`
	Address     string    `json:"address"`
	HeadName    string    `json:"head_name"`
	Members     int       `json:"members"`
	Flags       flagsJSON `json:"flags"`
	MovedInAt   *string   `json:"moved_in_at"`
	MovedOutAt  *string   `json:"moved_out_at"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// householdDetailJSON is a single household with its residents, always masked: the household
// read is an overview, and a full ID number is read one resident at a time.
type householdDetailJSON struct {
	householdJSON
	Residents []residentJSON `json:"residents"`
}

// flagsJSON are a household's care flags; hardship is absent for a role it is withheld from
// (not false, which would look like a real "no").
type flagsJSON struct {
	ElderlyAlone bool  `json:"elderly_alone"`
	Hardship     *bool `json:"hardship,omitempty"`
	Disability   bool  `json:"disability"`
	Mobile       bool  `json:"mobile"`
}

func toFlagsJSON(h *model.Household) flagsJSON {
	f := flagsJSON{ElderlyAlone: h.Flags.ElderlyAlone, Disability: h.Flags.Disability, Mobile: h.Flags.Mobile}
	if !h.Withheld.Hardship {
		f.Hardship = &h.Flags.Hardship
	}
	return f
}

func toHouseholdJSON(h *model.Household) householdJSON {
	return householdJSON{ID: ID(h.ID), TerritoryID: ID(h.TerritoryID), Address: h.Address, HeadName: h.HeadName,
		Members: h.Members, Flags: toFlagsJSON(h), MovedInAt: dateJSON(h.MovedInAt), MovedOutAt: dateJSON(h.MovedOutAt),
		CreatedAt: h.CreatedAt.In(model.Shanghai), UpdatedAt: h.UpdatedAt.In(model.Shanghai)}
}

// dateJSON formats a calendar date as YYYY-MM-DD, nil for none. Dates carry no zone: both
// engines hand them back as midnight UTC, so they are formatted as they are.
func dateJSON(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

// householdDetail reads the residents of h (masked) to answer a single-household request.
func (a *API) householdDetail(r *http.Request, h *model.Household) (householdDetailJSON, error) {
	members, err := a.st.ResidentsOfHouseholds(r.Context(), authz.ScopeFrom(r.Context()), []int64{h.ID})
	if err != nil {
		return householdDetailJSON{}, err
	}
	now := time.Now().In(model.Shanghai)
	out := householdDetailJSON{householdJSON: toHouseholdJSON(h), Residents: make([]residentJSON, len(members[h.ID]))}
	for i, res := range members[h.ID] {
		out.Residents[i] = toResidentJSON(res, nil, now)
	}
	return out, nil
}

func (a *API) listHouseholds(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "flag", "q", "moved_out")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	q := r.URL.Query()
	f := store.HouseholdFilter{Under: lq.Territory, Flag: q.Get("flag"), Q: strings.TrimSpace(q.Get("q")),
		Limit: lq.Limit, Cursor: lq.Cursor}
	if f.Flag != "" && !store.ValidHouseholdFlag(f.Flag) {
		fields = append(fields, model.FieldError{Field: "flag", Message: "flag 应为 elderly_alone、hardship、disability 或 mobile"})
	}
	if msg := checkSearch(f.Q); msg != "" {
		fields = append(fields, model.FieldError{Field: "q", Message: msg})
	}
	switch q.Get("moved_out") {
	case "", "false":
	case "true":
		f.MovedOut = true
	default:
		fields = append(fields, model.FieldError{Field: "moved_out", Message: "moved_out 应为 true 或 false"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.Households(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := list[householdJSON]{Items: make([]householdJSON, len(p.Items)), NextCursor: p.Next, Total: total(p.Total)}
	for i, h := range p.Items {
		out.Items[i] = toHouseholdJSON(h)
	}
	return writeJSON(w, http.StatusOK, out)
}

// checkSearch returns "" for an acceptable search text q, else a Chinese reason.
func checkSearch(q string) string {
	if utf8.RuneCountInString(q) > 64 || strings.ContainsAny(q, "\x00\r\n") {
		return "搜索词不能超过64个字，且不能包含换行或控制字符"
	}
	return ""
}

// total is the list envelope's total: absent when the store did not count (-1).
func total(n int64) *int64 {
	if n < 0 {
		return nil
	}
	return &n
}

func (a *API) getHousehold(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	switch inc := r.URL.Query().Get("include"); inc {
	case "", "residents":
	default:
		return malformed("查询参数有误", model.FieldError{Field: "include", Message: "include 只能是 residents"})
	}
	h, err := a.st.Household(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("include") != "residents" {
		return writeJSON(w, http.StatusOK, toHouseholdJSON(h))
	}
	out, err := a.householdDetail(r, h)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// householdCreate is the body of POST /households: the household and its first residents,
// written together or not at all.
type householdCreate struct {
	TerritoryID ID                   `json:"territory_id"`
	Address     string               `json:"address"`
	Flags       model.HouseholdFlags `json:"flags"`
	MovedInAt   string               `json:"moved_in_at"`
	Residents   []residentFields     `json:"residents"`
}

// createHousehold writes the household and its residents in one transaction. Every bad field
// of the household and of every resident is reported in one problem (residents[1].id_number),
// and then nothing is written.
func (a *API) createHousehold(w http.ResponseWriter, r *http.Request) error {
	var req householdCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	if len(req.Residents) > maxResidentsPerCreate {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "residents",
			Message: fmt.Sprintf("一次最多登记%d位成员，更多请用批量导入", maxResidentsPerCreate)}}}
	}
	ctx, sc := r.Context(), authz.ScopeFrom(r.Context())
	var id int64
	err := a.st.Tx(ctx, func(tx *store.Tx) error {
		var v model.ValidationError
		h, err := tx.CreateHousehold(ctx, sc, model.HouseholdInput{TerritoryID: int64(req.TerritoryID),
			Address: req.Address, Flags: req.Flags, MovedInAt: req.MovedInAt})
		if err := collect(&v, "", err); err != nil {
			return err
		}
		firstWith := map[string]int{} // ID number → index of the first resident giving it
		head := -1                    // index of the first resident who is the head
		for i, rf := range req.Residents {
			prefix := fmt.Sprintf("residents[%d].", i)
			in := rf.input()
			number := strings.ToUpper(strings.TrimSpace(in.IDNumber))
			first, dup := firstWith[number]
			if !dup && number != "" {
				firstWith[number] = i
			}
			secondHead := in.Relation == model.RelationHead && head >= 0
			if in.Relation == model.RelationHead && head < 0 {
				head = i
			}
			var err error
			if h != nil && !dup && !secondHead {
				in.HouseholdID = h.ID
				_, err = tx.CreateResident(ctx, sc, in)
			} else {
				// The store cannot judge this resident (no household was made, or the request
				// contradicts itself): check its own fields and what the request must agree on.
				err = in.Validate(time.Now())
				if dup {
					v.Add(prefix+"id_number", fmt.Sprintf("与第%d位成员的身份证号重复", first+1))
				}
				if secondHead {
					v.Add(prefix+"relation", fmt.Sprintf("一户只能有一位户主（第%d位成员已是户主），请选择其他关系", head+1))
				}
			}
			if err := collect(&v, prefix, err); err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err // rolls back the household and the residents written so far
		}
		id = h.ID
		return nil
	})
	if err != nil {
		return err
	}
	h, err := a.st.Household(ctx, sc, id)
	if err != nil {
		return err
	}
	out, err := a.householdDetail(r, h)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/households/"+itoa(id))
	return writeJSON(w, http.StatusCreated, out)
}

// collect adds the fields of a validation error to v, each prefixed; it returns any other
// error for the caller to give up on, and nil otherwise.
func collect(v *model.ValidationError, prefix string, err error) error {
	if err == nil {
		return nil
	}
	fe, ok := err.(*model.ValidationError)
	if !ok {
		return err
	}
	for _, f := range fe.Fields {
		v.Add(prefix+f.Field, f.Message)
	}
	return nil
}

// householdPatch changes the fields present; the territory is not changed here.
type householdPatch struct {
	Address   *string                    `json:"address"`
	Flags     *model.HouseholdFlagsPatch `json:"flags"`
	MovedInAt *string                    `json:"moved_in_at"` // "" clears it
}

func (a *API) updateHousehold(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req householdPatch
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	p := model.HouseholdPatch{Address: req.Address, MovedInAt: req.MovedInAt}
	if req.Flags != nil {
		p.Flags = *req.Flags
	}
	h, err := a.st.PatchHousehold(r.Context(), authz.ScopeFrom(r.Context()), id, p)
	if err != nil {
		return err
	}
	out, err := a.householdDetail(r, h)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// moveOut is the body of POST /households/{id}/move-out.
type moveOut struct {
	Date string `json:"date"` // YYYY-MM-DD
	Note string `json:"note"`
}

func (a *API) moveOutHousehold(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req moveOut
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	h, err := a.st.MoveOutHousehold(r.Context(), authz.ScopeFrom(r.Context()), id, model.MoveOut{Date: req.Date, Note: req.Note})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toHouseholdJSON(h))
}

type householdEventJSON struct {
	ID     ID        `json:"id"`
	Action string    `json:"action"`
	Detail string    `json:"detail"`
	At     time.Time `json:"at"`
}

func (a *API) householdHistory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	events, err := a.st.HouseholdEvents(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	out := list[householdEventJSON]{Items: make([]householdEventJSON, len(events))}
	for i, e := range events {
		out.Items[i] = householdEventJSON{ID: ID(e.ID), Action: e.Action, Detail: e.Detail, At: e.At.In(model.Shanghai)}
	}
	return writeJSON(w, http.StatusOK, out)
}
