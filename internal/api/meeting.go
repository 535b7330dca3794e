package api

import (
	"net/http"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Organizational life (三会一课): /api/v1/party/meetings, the compliance view, and the QR
// check-in of members (meetings and activities alike).

type meetingJSON struct {
	ID          ID                  `json:"id"`
	OrgID       ID                  `json:"org_id"`
	OrgName     string              `json:"org_name"`
	Type        model.MeetingType   `json:"type"`
	TypeLabel   string              `json:"type_label"`
	Body        model.OwnerBody     `json:"body"`
	BodyLabel   string              `json:"body_label"`
	Title       string              `json:"title"`
	StartsAt    time.Time           `json:"starts_at"`
	EndsAt      time.Time           `json:"ends_at"`
	ClosesAt    time.Time           `json:"closes_at"`
	Place       string              `json:"place"`
	SeriesID    *ID                 `json:"series_id"`
	Minutes     string              `json:"minutes"`
	Status      model.MeetingStatus `json:"status"`
	StatusLabel string              `json:"status_label"`
	Attendees   int                 `json:"attendees"`
}

func toMeetingJSON(m *model.Meeting) meetingJSON {
	return meetingJSON{ID: ID(m.ID), OrgID: ID(m.OrgID), OrgName: m.OrgName, Type: m.Type, TypeLabel: m.TypeLabel(), Body: m.Body, BodyLabel: m.Body.Label(), Title: m.Title,
		StartsAt: m.StartsAt.In(model.Shanghai), EndsAt: m.EndsAt.In(model.Shanghai), ClosesAt: m.ClosesAt.In(model.Shanghai), Place: m.Place,
		SeriesID: optID(m.SeriesID), Minutes: m.Minutes, Status: m.Status, StatusLabel: m.Status.Label(), Attendees: m.Attendees}
}

func optionalID(r *http.Request, name string, fields *[]model.FieldError) int64 {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		*fields = append(*fields, model.FieldError{Field: name, Message: name + " 应为 ID"})
	}
	return n
}

func (a *API) listMeetings(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "org", "type", "status", "body")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	org := optionalID(r, "org", &fields)
	typ := model.MeetingType(r.URL.Query().Get("type"))
	if typ != "" && !typ.Valid() {
		fields = append(fields, model.FieldError{Field: "type", Message: "type 应为 branch_assembly、committee_meeting、group_meeting、party_lecture（党组织）或 residents_committee、residents_representatives、residents_assembly（居（村）委会）"})
	}
	status := model.MeetingStatus(r.URL.Query().Get("status"))
	if status != "" && !status.Valid() {
		fields = append(fields, model.FieldError{Field: "status", Message: "status 应为 scheduled、closed 或 cancelled"})
	}
	body := model.OwnerBody(r.URL.Query().Get("body"))
	if body != "" && !body.Valid() {
		fields = append(fields, model.FieldError{Field: "body", Message: "body 应为 party 或 committee"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.Meetings(r.Context(), authz.ScopeFrom(r.Context()), store.MeetingFilter{OrgID: org, Under: lq.Territory, Type: typ, Status: status, Body: body, Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	out := list[meetingJSON]{Items: make([]meetingJSON, len(p.Items)), NextCursor: p.Next, Total: total(p.Total)}
	for i, m := range p.Items {
		out.Items[i] = toMeetingJSON(m)
	}
	return writeJSON(w, http.StatusOK, out)
}

type meetingRequest struct {
	OrgID    ID                `json:"org_id"`
	Type     model.MeetingType `json:"type"`
	Body     model.OwnerBody   `json:"body"`
	Title    string            `json:"title"`
	StartsAt time.Time         `json:"starts_at"`
	EndsAt   time.Time         `json:"ends_at"`
	Place    string            `json:"place"`
	Repeat   model.Repeat      `json:"repeat"`
	Count    int               `json:"count"`
}

func (a *API) createMeetings(w http.ResponseWriter, r *http.Request) error {
	var req meetingRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	ms, err := a.st.ScheduleMeetings(r.Context(), authz.ScopeFrom(r.Context()), model.MeetingInput{OrgID: int64(req.OrgID), Type: req.Type, Body: req.Body, Title: req.Title,
		StartsAt: req.StartsAt.UTC(), EndsAt: req.EndsAt.UTC(), Place: req.Place, Repeat: req.Repeat, Count: req.Count})
	if err != nil {
		return err
	}
	out := list[meetingJSON]{Items: make([]meetingJSON, len(ms))}
	for i, m := range ms {
		out.Items[i] = toMeetingJSON(m)
	}
	return writeJSON(w, http.StatusCreated, out)
}

// meetingPatch moves a meeting to another owning body or type (PATCH): either may be left out
// (the meeting's stays); a type must be one of the body's.
type meetingPatch struct {
	Body model.OwnerBody   `json:"body"`
	Type model.MeetingType `json:"type"`
}

func (a *API) updateMeeting(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req meetingPatch
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	m, err := a.st.SetMeetingBody(r.Context(), authz.ScopeFrom(r.Context()), id, model.MeetingBodyInput{Body: req.Body, Type: req.Type})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toMeetingJSON(m))
}

func (a *API) getMeeting(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := a.st.Meeting(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toMeetingJSON(m))
}

type attendeeJSON struct {
	MemberID    ID         `json:"member_id"`
	Name        string     `json:"name"`
	OrgName     string     `json:"org_name"`
	Present     bool       `json:"present"`
	Method      string     `json:"method,omitempty"`
	MethodLabel string     `json:"method_label,omitempty"`
	CheckedInAt *time.Time `json:"checked_in_at"`
}

func (a *API) meetingAttendance(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	_, roster, err := a.st.MeetingRoster(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	out := list[attendeeJSON]{Items: make([]attendeeJSON, len(roster))}
	for i, x := range roster {
		j := attendeeJSON{MemberID: ID(x.MemberID), Name: x.Name, OrgName: x.OrgName, Present: x.Present, Method: x.Method}
		if x.Present {
			j.MethodLabel = model.CheckinMethodLabel(x.Method)
			t := x.CheckedInAt.In(model.Shanghai)
			j.CheckedInAt = &t
		}
		out.Items[i] = j
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) markAttendance(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		MemberIDs []ID `json:"member_ids"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	if len(req.MemberIDs) == 0 || len(req.MemberIDs) > store.MaxAttendees {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "member_ids", Message: "请列出 1 到 1000 名出席的党员"}}}
	}
	ids := make([]int64, len(req.MemberIDs))
	for i, x := range req.MemberIDs {
		ids[i] = int64(x)
	}
	n, err := a.st.MarkAttendance(r.Context(), authz.ScopeFrom(r.Context()), id, ids)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]int{"recorded": n})
}

func (a *API) setMinutes(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Minutes string `json:"minutes"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	m, err := a.st.SetMinutes(r.Context(), authz.ScopeFrom(r.Context()), id, req.Minutes)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toMeetingJSON(m))
}

func (a *API) meetingStatus(status model.MeetingStatus) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		m, err := a.st.SetMeetingStatus(r.Context(), authz.ScopeFrom(r.Context()), id, status)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, toMeetingJSON(m))
	}
}

type checkinCodeJSON struct {
	Code      string    `json:"code"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CheckinPath is the page a QR code opens: /party/checkin?c=CODE.
func CheckinPath(code string) string { return "/party/checkin?c=" + code }

func (a *API) meetingCode(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	_, code, exp, err := a.st.MeetingCode(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, checkinCodeJSON{Code: code, URL: CheckinPath(code), ExpiresAt: exp.In(model.Shanghai)})
}

type complianceJSON struct {
	OrgID      ID                `json:"org_id"`
	OrgName    string            `json:"org_name"`
	OrgKind    string            `json:"org_kind"`
	Type       model.MeetingType `json:"type"`
	TypeLabel  string            `json:"type_label"`
	EveryMonth int               `json:"every_months"`
	Last       *time.Time        `json:"last_held"`
	HeldInYear int               `json:"held_last_12_months"`
	Overdue    bool              `json:"overdue"`
}

func (a *API) compliance(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r)
	if err != nil {
		return err
	}
	rows, err := a.st.Compliance(r.Context(), authz.ScopeFrom(r.Context()), lq.Territory)
	if err != nil {
		return err
	}
	out := list[complianceJSON]{Items: make([]complianceJSON, len(rows))}
	for i, c := range rows {
		j := complianceJSON{OrgID: ID(c.OrgID), OrgName: c.OrgName, OrgKind: c.OrgKind, Type: c.Type, TypeLabel: c.Type.Label(), EveryMonth: c.Months, HeldInYear: c.HeldInYear, Overdue: c.Overdue}
		if c.Last != nil {
			t := c.Last.In(model.Shanghai)
			j.Last = &t
		}
		out.Items[i] = j
	}
	return writeJSON(w, http.StatusOK, out)
}

type checkinJSON struct {
	Kind    string    `json:"kind"` // meeting | activity
	ID      ID        `json:"id"`
	Title   string    `json:"title"`
	Already bool      `json:"already"`
	Points  int       `json:"points"`
	At      time.Time `json:"at"`
}

func (a *API) checkIn(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	res, err := a.st.CheckIn(r.Context(), authz.ScopeFrom(r.Context()), req.Code)
	if err != nil {
		return err
	}
	out := checkinJSON{Already: res.Already, Points: res.Points, At: res.At.In(model.Shanghai)}
	if res.Meeting != nil {
		out.Kind, out.ID, out.Title = "meeting", ID(res.Meeting.ID), res.Meeting.Title
	} else {
		out.Kind, out.ID, out.Title = "activity", ID(res.Activity.ID), res.Activity.Title
	}
	return writeJSON(w, http.StatusOK, out)
}
