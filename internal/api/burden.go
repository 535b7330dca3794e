package api

import (
	"context"
	"net/http"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The administrative-burden register (准入清单、减负, issue 12 item 2) at /api/v1/burden: the
// department register and the duty list (read by staff, kept by street and district
// administrators), the tasks handed down to communities (recorded, accepted and done by staff;
// approved or refused by the street when off the list) and the burden view. Hours travel as
// minutes with the hours text beside them; hours sent in are decimal strings ("1.5").

type burdenDepartmentJSON struct {
	ID        ID     `json:"id"`
	OwnerID   *ID    `json:"owner_id,omitempty"`
	OwnerName string `json:"owner_name"`
	Name      string `json:"name"`
	Line      string `json:"line"`
	Active    bool   `json:"active"`
}

func toBurdenDepartmentJSON(d *model.BurdenDepartment) burdenDepartmentJSON {
	return burdenDepartmentJSON{ID: ID(d.ID), OwnerID: optID(d.OwnerID), OwnerName: d.OwnerName, Name: d.Name, Line: d.Line, Active: d.Active}
}

type burdenDutyJSON struct {
	ID        ID     `json:"id"`
	OwnerID   *ID    `json:"owner_id,omitempty"`
	OwnerName string `json:"owner_name"`
	Code      string `json:"code"`
	Name      string `json:"name"`
	Basis     string `json:"basis"`
	Active    bool   `json:"active"`
}

func toBurdenDutyJSON(d *model.BurdenDuty) burdenDutyJSON {
	return burdenDutyJSON{ID: ID(d.ID), OwnerID: optID(d.OwnerID), OwnerName: d.OwnerName, Code: d.Code, Name: d.Name, Basis: d.Basis, Active: d.Active}
}

// burdenCatalogFilter reads ?community=ID&active=true.
func burdenCatalogFilter(r *http.Request) (store.BurdenCatalogFilter, error) {
	_, err := parseList(r, "community", "active")
	fields := queryFields(err)
	q := r.URL.Query()
	f := store.BurdenCatalogFilter{Community: queryID(q.Get("community"), "community", &fields)}
	switch q.Get("active") {
	case "", "false":
	case "true":
		f.ActiveOnly = true
	default:
		fields = append(fields, model.FieldError{Field: "active", Message: "active 应为 true 或 false"})
	}
	if len(fields) > 0 {
		return f, malformed("查询参数有误", fields...)
	}
	return f, nil
}

func (a *API) listBurdenDepartments(w http.ResponseWriter, r *http.Request) error {
	f, err := burdenCatalogFilter(r)
	if err != nil {
		return err
	}
	ds, err := a.st.BurdenDepartments(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := make([]burdenDepartmentJSON, len(ds))
	for i, d := range ds {
		out[i] = toBurdenDepartmentJSON(d)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

type burdenDepartmentSave struct {
	OwnerID ID     `json:"owner_id"`
	Name    string `json:"name"`
	Line    string `json:"line"`
	Active  *bool  `json:"active"`
}

func (a *API) saveBurdenDepartment(create bool) handlerFunc {
	return saveEntry(a, create, func(ctx context.Context, sc authz.Scope, id int64, req burdenDepartmentSave) (any, error) {
		d, err := a.st.SaveBurdenDepartment(ctx, sc, id, model.BurdenDepartmentInput{OwnerID: int64(req.OwnerID), Name: req.Name,
			Line: req.Line, Active: req.Active == nil || *req.Active})
		if err != nil {
			return nil, err
		}
		return toBurdenDepartmentJSON(d), nil
	})
}

func (a *API) listBurdenDuties(w http.ResponseWriter, r *http.Request) error {
	f, err := burdenCatalogFilter(r)
	if err != nil {
		return err
	}
	ds, err := a.st.BurdenDuties(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := make([]burdenDutyJSON, len(ds))
	for i, d := range ds {
		out[i] = toBurdenDutyJSON(d)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

type burdenDutySave struct {
	OwnerID ID     `json:"owner_id"`
	Code    string `json:"code"`
	Name    string `json:"name"`
	Basis   string `json:"basis"`
	Active  *bool  `json:"active"`
}

func (a *API) saveBurdenDuty(create bool) handlerFunc {
	return saveEntry(a, create, func(ctx context.Context, sc authz.Scope, id int64, req burdenDutySave) (any, error) {
		d, err := a.st.SaveBurdenDuty(ctx, sc, id, model.BurdenDutyInput{OwnerID: int64(req.OwnerID), Code: req.Code, Name: req.Name,
			Basis: req.Basis, Active: req.Active == nil || *req.Active})
		if err != nil {
			return nil, err
		}
		return toBurdenDutyJSON(d), nil
	})
}

type burdenTaskJSON struct {
	ID             ID     `json:"id"`
	CommunityID    ID     `json:"community_id"`
	CommunityName  string `json:"community_name"`
	DepartmentID   ID     `json:"department_id"`
	DepartmentName string `json:"department_name"`
	DepartmentLine string `json:"department_line"`
	OnList         bool   `json:"on_list"`
	DutyID         *ID    `json:"duty_id,omitempty"`
	DutyCode       string `json:"duty_code,omitempty"`
	DutyName       string `json:"duty_name,omitempty"`
	Body           string `json:"body"`
	BodyLabel      string `json:"body_label"`
	Title          string `json:"title"`
	Detail         string `json:"detail"`
	ReceivedOn     string `json:"received_on"`
	DueOn          string `json:"due_on"`
	Status         string `json:"status"`
	StatusLabel    string `json:"status_label"`
	Minutes        int    `json:"minutes"`
	Hours          string `json:"hours"`
	DecisionReason string `json:"decision_reason,omitempty"`
	DecidedBy      string `json:"decided_by,omitempty"`
	DecidedAt      string `json:"decided_at,omitempty"`
	DoneAt         string `json:"done_at,omitempty"`
	DoneBy         string `json:"done_by,omitempty"`
	CreatedBy      string `json:"created_by"`
	CreatedAt      string `json:"created_at"`
	CanWork        bool   `json:"can_work"`
	CanDecide      bool   `json:"can_decide"`
}

func toBurdenTaskJSON(t *model.BurdenTask) burdenTaskJSON {
	out := burdenTaskJSON{ID: ID(t.ID), CommunityID: ID(t.CommunityID), CommunityName: t.CommunityName, DepartmentID: ID(t.DepartmentID), DepartmentName: t.DepartmentName,
		DepartmentLine: t.DepartmentLine, OnList: t.OnList(), DutyID: optID(t.DutyID), DutyCode: t.DutyCode, DutyName: t.DutyName, Body: string(t.Body), BodyLabel: t.Body.Label(), Title: t.Title, Detail: t.Detail,
		ReceivedOn: t.ReceivedOn, DueOn: t.DueOn, Status: string(t.Status), StatusLabel: t.Status.Label(), Minutes: t.Minutes, Hours: t.Hours(),
		DecisionReason: t.DecisionReason, DecidedBy: t.DecidedByName, DoneBy: t.DoneByName, CreatedBy: t.CreatedByName, CreatedAt: rfc3339(t.CreatedAt),
		CanWork: t.Caller.Work, CanDecide: t.Caller.Decide}
	if t.DecidedAt != nil {
		out.DecidedAt = rfc3339(*t.DecidedAt)
	}
	if t.DoneAt != nil {
		out.DoneAt = rfc3339(*t.DoneAt)
	}
	return out
}

// burdenTaskFilter reads a task list's query: territory, status, department, on_list, year.
func burdenTaskFilter(r *http.Request) (store.BurdenTaskFilter, error) {
	lq, err := parseList(r, "status", "department", "on_list", "year", "body")
	fields := queryFields(err)
	q := r.URL.Query()
	f := store.BurdenTaskFilter{Territory: lq.Territory, Limit: lq.Limit, Cursor: lq.Cursor, Status: model.BurdenTaskStatus(q.Get("status")),
		Department: queryID(q.Get("department"), "department", &fields), OnList: q.Get("on_list"), Body: model.OwnerBody(q.Get("body"))}
	if y := q.Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > 2200 {
			fields = append(fields, model.FieldError{Field: "year", Message: "year 应为 2000–2200 的年份"})
		}
		f.Year = n
	}
	if len(fields) > 0 {
		return f, malformed("查询参数有误", fields...)
	}
	return f, nil
}

func (a *API) listBurdenTasks(w http.ResponseWriter, r *http.Request) error {
	f, err := burdenTaskFilter(r)
	if err != nil {
		return err
	}
	p, err := a.st.BurdenTasks(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toBurdenTaskJSON))
}

type burdenTaskCreate struct {
	CommunityID  ID     `json:"community_id"`
	DepartmentID ID     `json:"department_id"`
	DutyID       ID     `json:"duty_id"`
	Body         string `json:"body"`
	Title        string `json:"title"`
	Detail       string `json:"detail"`
	ReceivedOn   string `json:"received_on"`
	DueOn        string `json:"due_on"`
}

func (a *API) createBurdenTask(w http.ResponseWriter, r *http.Request) error {
	var req burdenTaskCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	t, err := a.st.CreateBurdenTask(r.Context(), authz.ScopeFrom(r.Context()), model.BurdenTaskInput{CommunityID: int64(req.CommunityID), DepartmentID: int64(req.DepartmentID),
		DutyID: int64(req.DutyID), Body: model.OwnerBody(req.Body), Title: req.Title, Detail: req.Detail, ReceivedOn: req.ReceivedOn, DueOn: req.DueOn})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toBurdenTaskJSON(t))
}

func (a *API) getBurdenTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := a.st.BurdenTask(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toBurdenTaskJSON(t))
}

// burdenTaskPatch moves a task to another owning body (PATCH).
type burdenTaskPatch struct {
	Body model.OwnerBody `json:"body"`
}

func (a *API) updateBurdenTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req burdenTaskPatch
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	t, err := a.st.SetBurdenTaskBody(r.Context(), authz.ScopeFrom(r.Context()), id, req.Body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toBurdenTaskJSON(t))
}

func (a *API) acceptBurdenTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := a.st.AcceptBurdenTask(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toBurdenTaskJSON(t))
}

type burdenDecision struct {
	Approve *bool  `json:"approve"`
	Reason  string `json:"reason"`
}

func (a *API) decideBurdenTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req burdenDecision
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	if req.Approve == nil {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "approve", Message: "请选择批准（true）或拒绝（false）"}}}
	}
	t, err := a.st.DecideBurdenTask(r.Context(), authz.ScopeFrom(r.Context()), id, model.BurdenDecisionInput{Approve: *req.Approve, Reason: req.Reason})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toBurdenTaskJSON(t))
}

type burdenDone struct {
	Hours string `json:"hours"`
}

func (a *API) finishBurdenTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req burdenDone
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	m, err := model.BurdenMinutes("hours", req.Hours)
	if err != nil {
		return err
	}
	t, err := a.st.FinishBurdenTask(r.Context(), authz.ScopeFrom(r.Context()), id, m)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toBurdenTaskJSON(t))
}

type burdenMonthJSON struct {
	Month        string `json:"month"`
	TaskMinutes  int    `json:"task_minutes"`
	ServeMinutes int    `json:"serve_minutes"`
}

type burdenSenderJSON struct {
	Name    string `json:"name"`
	Line    string `json:"line"`
	Tasks   int    `json:"tasks"`
	OffList int    `json:"off_list"`
	Minutes int    `json:"minutes"`
}

type burdenCommunityJSON struct {
	ID           ID     `json:"id"`
	Name         string `json:"name"`
	Tasks        int    `json:"tasks"`
	OffList      int    `json:"off_list"`
	TaskMinutes  int    `json:"task_minutes"`
	ServeMinutes int    `json:"serve_minutes"`
}

type burdenViewJSON struct {
	Year         int                   `json:"year"`
	TaskMinutes  int                   `json:"task_minutes"`
	ServeMinutes int                   `json:"serve_minutes"`
	TaskShare    int                   `json:"task_share_percent"`
	Tasks        int                   `json:"tasks"`
	OffList      int                   `json:"off_list"`
	Refused      int                   `json:"refused"`
	Pending      int                   `json:"pending"`
	Months       []burdenMonthJSON     `json:"months"`
	Departments  []burdenSenderJSON    `json:"departments"`
	Communities  []burdenCommunityJSON `json:"communities"`
}

func (a *API) burdenView(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "year")
	fields := queryFields(err)
	year := 0
	if y := r.URL.Query().Get("year"); y != "" {
		if year, err = strconv.Atoi(y); err != nil {
			fields = append(fields, model.FieldError{Field: "year", Message: "year 应为年份"})
		}
	} else {
		year = a.st.Now().In(model.Shanghai).Year()
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	v, err := a.st.BurdenView(r.Context(), authz.ScopeFrom(r.Context()), lq.Territory, year)
	if err != nil {
		return err
	}
	out := burdenViewJSON{Year: v.Year, TaskMinutes: v.TaskMinutes, ServeMinutes: v.ServeMinutes, TaskShare: v.TaskShare(), Tasks: v.Tasks, OffList: v.OffList,
		Refused: v.Refused, Pending: v.Pending, Months: []burdenMonthJSON{}, Departments: []burdenSenderJSON{}, Communities: []burdenCommunityJSON{}}
	for _, m := range v.Months {
		out.Months = append(out.Months, burdenMonthJSON(m))
	}
	for _, d := range v.Departments {
		out.Departments = append(out.Departments, burdenSenderJSON(d))
	}
	for _, c := range v.Communities {
		out.Communities = append(out.Communities, burdenCommunityJSON{ID: ID(c.ID), Name: c.Name, Tasks: c.Tasks, OffList: c.OffList, TaskMinutes: c.TaskMinutes, ServeMinutes: c.ServeMinutes})
	}
	return writeJSON(w, http.StatusOK, out)
}
