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

// memberJSON is a party member as clients see it: enumerations as ASCII ids with a Chinese
// _label beside them, dates as YYYY-MM-DD (absent when unknown).
type memberJSON struct {
	ID                 ID                   `json:"id"`
	List               model.MemberList     `json:"list"`
	ListLabel          string               `json:"list_label"`
	ResidentID         *ID                  `json:"resident_id,omitempty"`
	Name               string               `json:"name"`
	Gender             model.Gender         `json:"gender,omitempty"`
	BirthDate          string               `json:"birth_date,omitempty"`
	Education          model.Education      `json:"education,omitempty"`
	EducationLabel     string               `json:"education_label,omitempty"`
	OrgID              ID                   `json:"org_id"`
	OrgName            string               `json:"org_name"`
	Status             model.MemberStatus   `json:"status"`
	StatusLabel        string               `json:"status_label"`
	JoinedOn           string               `json:"joined_on,omitempty"`
	FullOn             string               `json:"full_on,omitempty"`
	Category           model.MemberCategory `json:"category"`
	CategoryLabel      string               `json:"category_label"`
	Mobility           model.Mobility       `json:"mobility"`
	MobilityLabel      string               `json:"mobility_label"`
	ReportingKind      model.ReportingKind  `json:"reporting_kind,omitempty"`
	ReportingKindLabel string               `json:"reporting_kind_label,omitempty"`
	HomeOrg            string               `json:"home_org,omitempty"`
	Workplace          string               `json:"workplace,omitempty"`
	ServicePost        string               `json:"service_post,omitempty"`
	ReportedOn         string               `json:"reported_on,omitempty"`
	LeftOn             string               `json:"left_on,omitempty"`
	CreatedAt          time.Time            `json:"created_at"`
	UpdatedAt          time.Time            `json:"updated_at"`
}

func dateOnly(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func toMemberJSON(m *model.Member) memberJSON {
	j := memberJSON{ID: ID(m.ID), List: m.List, ListLabel: m.List.Label(), Name: m.Name, Gender: m.Gender, BirthDate: dateOnly(m.BirthDate),
		Education: m.Education, EducationLabel: m.Education.Label(), OrgID: ID(m.OrgID), OrgName: m.OrgName,
		Status: m.Status, StatusLabel: m.Status.Label(), JoinedOn: dateOnly(m.JoinedOn), FullOn: dateOnly(m.FullOn),
		Category: m.Category, CategoryLabel: m.Category.Label(), Mobility: m.Mobility, MobilityLabel: m.Mobility.Label(),
		ReportingKind: m.ReportingKind, ReportingKindLabel: m.ReportingKind.Label(), HomeOrg: m.HomeOrg, Workplace: m.Workplace,
		ServicePost: m.ServicePost, ReportedOn: dateOnly(m.ReportedOn), LeftOn: dateOnly(m.LeftOn),
		CreatedAt: m.CreatedAt.In(model.Shanghai), UpdatedAt: m.UpdatedAt.In(model.Shanghai)}
	if m.ResidentID != 0 {
		id := ID(m.ResidentID)
		j.ResidentID = &id
	}
	return j
}

func (a *API) listMembers(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "org_id", "list", "status", "category", "mobility", "reported", "q", "former")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	q := r.URL.Query()
	f := store.MemberFilter{Under: lq.Territory, List: model.MemberList(q.Get("list")), Status: model.MemberStatus(q.Get("status")),
		Category: model.MemberCategory(q.Get("category")), Mobility: model.Mobility(q.Get("mobility")), Reported: q.Get("reported"),
		Q: strings.TrimSpace(q.Get("q")), Limit: lq.Limit, Cursor: lq.Cursor}
	if v := q.Get("org_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			fields = append(fields, model.FieldError{Field: "org_id", Message: "org_id 应为党组织 ID"})
		}
		f.OrgID = n
	}
	switch q.Get("former") {
	case "", "false":
	case "true":
		f.Former = true
	default:
		fields = append(fields, model.FieldError{Field: "former", Message: "former 应为 true 或 false"})
	}
	if msg := checkSearch(f.Q); msg != "" {
		fields = append(fields, model.FieldError{Field: "q", Message: msg})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.Members(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := list[memberJSON]{Items: make([]memberJSON, len(p.Items)), NextCursor: p.Next, Total: total(p.Total)}
	for i, m := range p.Items {
		out.Items[i] = toMemberJSON(m)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := a.st.Member(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toMemberJSON(m))
}

// memberCreate is the body of POST /party/members.
type memberCreate struct {
	List          model.MemberList     `json:"list"`
	ResidentID    ID                   `json:"resident_id"`
	Name          string               `json:"name"`
	Gender        model.Gender         `json:"gender"`
	BirthDate     string               `json:"birth_date"`
	Education     model.Education      `json:"education"`
	OrgID         ID                   `json:"org_id"`
	Status        model.MemberStatus   `json:"status"`
	JoinedOn      string               `json:"joined_on"`
	FullOn        string               `json:"full_on"`
	Category      model.MemberCategory `json:"category"`
	Mobility      model.Mobility       `json:"mobility"`
	ReportingKind model.ReportingKind  `json:"reporting_kind"`
	HomeOrg       string               `json:"home_org"`
	Workplace     string               `json:"workplace"`
	ServicePost   string               `json:"service_post"`
	ReportedOn    string               `json:"reported_on"`
}

func (a *API) createMember(w http.ResponseWriter, r *http.Request) error {
	var req memberCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	in := model.MemberInput{List: req.List, ResidentID: int64(req.ResidentID), Name: req.Name, Gender: req.Gender, BirthDate: req.BirthDate,
		Education: req.Education, OrgID: int64(req.OrgID), Status: req.Status, JoinedOn: req.JoinedOn, FullOn: req.FullOn,
		Category: req.Category, Mobility: req.Mobility, ReportingKind: req.ReportingKind, HomeOrg: req.HomeOrg, Workplace: req.Workplace,
		ServicePost: req.ServicePost, ReportedOn: req.ReportedOn}
	m, err := a.st.CreateMember(r.Context(), authz.ScopeFrom(r.Context()), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/party/members/"+itoa(m.ID))
	return writeJSON(w, http.StatusCreated, toMemberJSON(m))
}

// memberPatch changes the fields present; the org changes by a transfer, the status by
// POST /party/members/{id}/convert.
type memberPatch struct {
	Name        *string               `json:"name"`
	Education   *model.Education      `json:"education"`
	Category    *model.MemberCategory `json:"category"`
	Mobility    *model.Mobility       `json:"mobility"`
	HomeOrg     *string               `json:"home_org"`
	Workplace   *string               `json:"workplace"`
	ServicePost *string               `json:"service_post"`
	ReportedOn  *string               `json:"reported_on"`
}

func (a *API) updateMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req memberPatch
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	m, err := a.st.UpdateMember(r.Context(), authz.ScopeFrom(r.Context()), id, model.MemberPatch(req))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toMemberJSON(m))
}

func (a *API) convertMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		FullOn string `json:"full_on"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	m, err := a.st.ConvertMember(r.Context(), authz.ScopeFrom(r.Context()), id, req.FullOn)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toMemberJSON(m))
}

type memberEventJSON struct {
	Action string    `json:"action"`
	Detail string    `json:"detail"`
	At     time.Time `json:"at"`
}

func (a *API) memberHistory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	evs, err := a.st.MemberHistory(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	out := list[memberEventJSON]{Items: make([]memberEventJSON, len(evs))}
	for i, e := range evs {
		out.Items[i] = memberEventJSON{Action: e.Action, Detail: e.Detail, At: e.At.In(model.Shanghai)}
	}
	return writeJSON(w, http.StatusOK, out)
}

// myMember answers the caller's own roster record (party.self).
func (a *API) myMember(w http.ResponseWriter, r *http.Request) error {
	m, err := a.st.MyMemberRecord(r.Context(), authz.ScopeFrom(r.Context()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toMemberJSON(m))
}
