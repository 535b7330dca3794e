package web

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Organizational life (三会一课): the meetings of the orgs in scope with the compliance view,
// the schedule form, a meeting's page (roster to tick, minutes, close), the QR screen, and the
// check-in page its code opens on a member's phone.

type meetingsPage struct {
	Page
	Rows       []*model.Meeting
	Compliance []model.Compliance
	Overdue    int
	Total      int64
	Next       string
}

func (wb *Web) meetings(w http.ResponseWriter, r *http.Request) error {
	sc := scope(r)
	pg, err := wb.st.Meetings(r.Context(), sc, store.MeetingFilter{Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	comp, err := wb.st.Compliance(r.Context(), sc, 0)
	if err != nil {
		return err
	}
	p := &meetingsPage{Page: wb.base(r, wb.t("meetings.title"), "party-meetings"), Rows: pg.Items, Compliance: comp, Total: pg.Total, Next: pg.Next}
	for _, c := range comp {
		if c.Overdue {
			p.Overdue++
		}
	}
	p.Crumbs = []Crumb{{Name: p.Title}}
	return wb.render(w, r, http.StatusOK, "party/meeting_list", p)
}

type meetingNewPage struct {
	Page
	Form     *Form
	Orgs     []*model.Org
	BodyType meetingBodyType
}

// typeOption is one choice of a meeting type select.
type typeOption struct{ Value, Label string }

// meetingBodyType is the owning body and type pair of a meeting form: the types offered are
// the chosen body's (named as the community's body names them); choosing another body asks
// Refresh (the form's own page, with the form's values) for the type field again (htmx).
type meetingBodyType struct {
	Body, Type Field
	Options    []typeOption
	Refresh    string
}

// newMeetingBodyType is the pair for form f, whose body (party unless it says committee) picks
// the types, labelled for a community whose body is of kind kind.
func newMeetingBodyType(f *Form, kind model.BodyKind, refresh string) meetingBodyType {
	body := model.OwnerBody(f.Values.Get("body"))
	if !body.Valid() {
		body = model.OwnerParty
	}
	bt := meetingBodyType{Body: f.Field("body"), Type: f.Field("type"), Refresh: refresh}
	for _, t := range model.MeetingTypesFor(body) {
		bt.Options = append(bt.Options, typeOption{Value: string(t), Label: t.LabelIn(kind)})
	}
	return bt
}

func meetingForm() *Form {
	return newForm("meeting", nil, "org_id", "type", "body", "title", "starts_at", "ends_at", "place", "repeat", "count")
}

func (wb *Web) meetingNewPage(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	orgs, err := wb.st.MeetingOrgs(r.Context(), scope(r))
	if err != nil {
		return err
	}
	// The committee's types are named as the chosen org's community names them (only its code is
	// read: the org is one the caller may schedule for).
	kind := model.BodyResidents
	if org, _ := strconv.ParseInt(f.Values.Get("org_id"), 10, 64); org > 0 {
		for _, o := range orgs {
			if o.ID == org && o.CommunityID != 0 {
				if t, err := wb.st.Territory(r.Context(), authz.System(), o.CommunityID); err == nil {
					kind = model.BodyKindOf(t.Code)
				}
			}
		}
	}
	p := &meetingNewPage{Page: wb.base(r, wb.t("meeting.new.title"), "party-meetings"), Form: f, Orgs: orgs, BodyType: newMeetingBodyType(f, kind, "/party/meetings/new")}
	p.Crumbs = []Crumb{{Name: wb.t("meetings.title"), URL: "/party/meetings"}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "party/meeting_new", p)
}

// newMeetingForm is the schedule form: blank, for ?org=, or (htmx asking for the type field of
// another body or org) with the form's values in the query.
func (wb *Web) newMeetingForm(w http.ResponseWriter, r *http.Request) error {
	f := meetingForm()
	q := r.URL.Query()
	for _, k := range []string{"org_id", "type", "body", "title", "starts_at", "ends_at", "place", "repeat", "count"} {
		if v := q.Get(k); v != "" {
			f.Values.Set(k, v)
		}
	}
	if f.Values.Get("body") == "" {
		f.Values.Set("body", string(model.OwnerParty))
	}
	if org := q.Get("org"); org != "" {
		f.Values.Set("org_id", org)
	}
	return wb.meetingNewPage(w, r, http.StatusOK, f)
}

// parseLocal reads a datetime-local field ("2026-12-05T19:30") as Asia/Shanghai time.
func parseLocal(v string) time.Time {
	v = strings.TrimSpace(strings.Replace(v, " ", "T", 1))
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, model.Shanghai); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func (wb *Web) createMeeting(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := meetingForm()
	f.Values = r.PostForm
	v := r.PostForm
	org, _ := strconv.ParseInt(v.Get("org_id"), 10, 64)
	count, _ := strconv.Atoi(v.Get("count"))
	in := model.MeetingInput{OrgID: org, Type: model.MeetingType(v.Get("type")), Body: model.OwnerBody(v.Get("body")), Title: v.Get("title"), Place: v.Get("place"),
		StartsAt: parseLocal(v.Get("starts_at")), EndsAt: parseLocal(v.Get("ends_at")), Repeat: model.Repeat(v.Get("repeat")), Count: count}
	ms, err := wb.st.ScheduleMeetings(r.Context(), scope(r), in)
	if err != nil {
		if f.fail(err) {
			return wb.meetingNewPage(w, r, http.StatusUnprocessableEntity, f)
		}
		return err
	}
	redirect(w, r, "/party/meetings/"+strconv.FormatInt(ms[0].ID, 10), "meeting_scheduled")
	return nil
}

type meetingPage struct {
	Page
	M        *model.Meeting
	Roster   []store.Attendee
	Present  int
	Minutes  *Form
	Manage   bool
	Body     *Form           // the owning body and type, to change them
	BodyType meetingBodyType // its fields
}

func (wb *Web) meetingPage(w http.ResponseWriter, r *http.Request, status int, minutes *Form) error {
	return wb.meetingPageWith(w, r, status, minutes, nil)
}

// meetingPageWith renders the meeting's page with the minutes form and the body form (nil: as
// stored, or, when htmx asks for the type field of another body, ?body= and ?type=).
func (wb *Web) meetingPageWith(w http.ResponseWriter, r *http.Request, status int, minutes, body *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, roster, err := wb.st.MeetingRoster(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	if minutes == nil {
		minutes = newForm("minutes", nil, "minutes")
		minutes.Values.Set("minutes", m.Minutes)
	}
	p := &meetingPage{Page: wb.base(r, m.Title, "party-meetings"), M: m, Roster: roster, Minutes: minutes}
	p.Manage = p.Can("party.meeting.write")
	if body == nil {
		body = newForm("mbody", url.Values{"body": {string(m.Body)}, "type": {string(m.Type)}}, "body", "type")
		if b := r.URL.Query().Get("body"); b != "" {
			body.Values.Set("body", b)
			body.Values.Set("type", r.URL.Query().Get("type"))
		}
	}
	p.Body, p.BodyType = body, newMeetingBodyType(body, m.BodyKind, "/party/meetings/"+strconv.FormatInt(m.ID, 10))
	for _, a := range roster {
		if a.Present {
			p.Present++
		}
	}
	p.Crumbs = []Crumb{{Name: wb.t("meetings.title"), URL: "/party/meetings"}, {Name: m.Title}}
	if minutes.Invalid() {
		p.Failed = minutes
	}
	if body.Invalid() {
		p.Failed = body
	}
	return wb.render(w, r, status, "party/meeting_show", p)
}

func (wb *Web) meeting(w http.ResponseWriter, r *http.Request) error {
	return wb.meetingPage(w, r, http.StatusOK, nil)
}

func (wb *Web) tickAttendance(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	var ids []int64
	for _, v := range r.PostForm["member_id"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return &model.ValidationError{Fields: []model.FieldError{{Field: "member_id", Message: wb.t("meeting.tick.bad")}}}
		}
		ids = append(ids, n)
	}
	if len(ids) == 0 {
		redirect(w, r, "/party/meetings/"+strconv.FormatInt(id, 10), "")
		return nil
	}
	if _, err := wb.st.MarkAttendance(r.Context(), scope(r), id, ids); err != nil {
		return err
	}
	redirect(w, r, "/party/meetings/"+strconv.FormatInt(id, 10), "attendance_recorded")
	return nil
}

func (wb *Web) saveMinutes(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("minutes", r.PostForm, "minutes")
	if _, err := wb.st.SetMinutes(r.Context(), scope(r), id, r.PostForm.Get("minutes")); err != nil {
		if f.fail(err) {
			return wb.meetingPage(w, r, http.StatusUnprocessableEntity, f)
		}
		return err
	}
	redirect(w, r, "/party/meetings/"+strconv.FormatInt(id, 10), "minutes_saved")
	return nil
}

// saveMeetingBody moves a meeting to another owning body and type (POST /party/meetings/{id}/body);
// a type that is not the body's re-renders the page with the error at the type.
func (wb *Web) saveMeetingBody(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("mbody", r.PostForm, "body", "type")
	in := model.MeetingBodyInput{Body: model.OwnerBody(r.PostForm.Get("body")), Type: model.MeetingType(r.PostForm.Get("type"))}
	if _, err := wb.st.SetMeetingBody(r.Context(), scope(r), id, in); err != nil {
		if f.fail(err) {
			return wb.meetingPageWith(w, r, formStatus(err), nil, f)
		}
		return err
	}
	redirect(w, r, "/party/meetings/"+strconv.FormatInt(id, 10), "meeting_body_saved")
	return nil
}

func (wb *Web) closeMeeting(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	status, done := model.MeetingClosed, "meeting_closed"
	if r.PostForm.Get("cancel") != "" {
		status, done = model.MeetingCancelled, "meeting_cancelled"
	}
	if _, err := wb.st.SetMeetingStatus(r.Context(), scope(r), id, status); err != nil {
		return err
	}
	redirect(w, r, "/party/meetings/"+strconv.FormatInt(id, 10), done)
	return nil
}

// qrPage is the screen shown in the meeting room: the current code as a QR image that reloads
// itself every CheckinStep (without JavaScript: a meta refresh).
type qrPage struct {
	Page
	Heading string
	Sub     string
	Back    string
	QR      template.URL // data: URL of the PNG (ours, not user input)
	URL     string
	Expires time.Time
	Refresh int
}

func (wb *Web) qrScreen(w http.ResponseWriter, r *http.Request, heading, sub, back, code string, exp time.Time) error {
	link := checkinURL(r, code)
	png, err := qrcode.Encode(link, qrcode.Medium, 360)
	if err != nil {
		return err
	}
	p := &qrPage{Page: wb.base(r, heading, "party-meetings"), Heading: heading, Sub: sub, Back: back,
		URL: link, Expires: exp, Refresh: int(store.CheckinStep.Seconds())}
	p.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)) // #nosec G203 -- a PNG this handler encoded, no user input
	p.Crumbs = []Crumb{{Name: heading, URL: back}, {Name: wb.t("checkin.qr.title")}}
	return wb.render(w, r, http.StatusOK, "party/checkin_qr", p)
}

// checkinURL is the absolute link a code opens on a phone.
func checkinURL(r *http.Request, code string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/party/checkin?c=" + code
}

func (wb *Web) meetingQR(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, code, exp, err := wb.st.MeetingCode(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	return wb.qrScreen(w, r, m.Title, m.OrgName+" · "+m.TypeLabel(), "/party/meetings/"+strconv.FormatInt(id, 10), code, exp)
}

type checkinPage struct {
	Page
	Code    string
	What    string
	Meeting bool
	Error   string
	Result  *store.CheckinResult
}

// checkin is the page a QR code opens: it names what the member is checking in to and asks to
// confirm (a GET records nothing: a link preview or a prefetch must not check anyone in).
func (wb *Web) checkin(w http.ResponseWriter, r *http.Request) error {
	code := r.URL.Query().Get("c")
	p := &checkinPage{Page: wb.base(r, wb.t("checkin.title"), "party-me"), Code: code}
	status := http.StatusOK
	what, meeting, err := wb.st.PeekCheckin(r.Context(), code)
	if err != nil {
		var ve *model.ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		p.Error, status = ve.Fields[0].Message, http.StatusUnprocessableEntity
	}
	p.What, p.Meeting = what, meeting
	return wb.render(w, r, status, "party/checkin", p)
}

func (wb *Web) postCheckin(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	code := r.PostForm.Get("c")
	p := &checkinPage{Page: wb.base(r, wb.t("checkin.title"), "party-me"), Code: code}
	res, err := wb.st.CheckIn(r.Context(), scope(r), code)
	if err != nil {
		var (
			ve *model.ValidationError
			ce *model.ConflictError
			fe *model.ForbiddenError
		)
		status := http.StatusUnprocessableEntity
		switch {
		case errors.As(err, &ve):
			p.Error = ve.Fields[0].Message
		case errors.As(err, &ce):
			p.Error, status = ce.Message, http.StatusConflict
		case errors.As(err, &fe):
			p.Error, status = fe.Message, http.StatusForbidden
		default:
			return err
		}
		return wb.render(w, r, status, "party/checkin", p)
	}
	p.Result = res
	if res.Meeting != nil {
		p.What, p.Meeting = res.Meeting.OrgName+" · "+res.Meeting.TypeLabel()+"："+res.Meeting.Title, true
	} else {
		p.What = res.Activity.Title
	}
	return wb.render(w, r, http.StatusOK, "party/checkin", p)
}
