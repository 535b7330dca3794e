package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The data subject's pages (我的 › 我的信息): everything stored about them, the export, and a
// correction request asked one question per page; and the staff pages that handle requests.

// myField is one stored fact on 我的信息; Correct names the correction field, "" when the
// fact cannot be corrected by request (it follows from another, or staff keep it).
type myField struct {
	Label   string
	Value   string
	Correct model.CorrectionField
}

type myDataPage struct {
	Page
	Data      *store.SubjectData
	Personal  []myField
	Household []myField
	Flags     []string
}

func (wb *Web) myData(w http.ResponseWriter, r *http.Request) error {
	u := authz.UserFrom(r.Context())
	d, err := wb.st.SubjectData(r.Context(), u.ID)
	if err != nil {
		return err
	}
	p := &myDataPage{Page: wb.base(r, wb.t("subject.title"), "me"), Data: d}
	p.Crumbs = []Crumb{{Name: wb.t("me.title"), URL: "/me"}, {Name: p.Title}}
	if res := d.Resident; res != nil {
		phone := d.Own.Phone // their own record, in full
		if phone == "" {
			phone = "—"
		}
		occupation := res.Occupation
		if occupation == "" {
			occupation = "—"
		}
		p.Personal = []myField{
			{wb.t("correction.field.name"), res.Name, model.CorrectName},
			{wb.t("col.gender"), wb.t("gender." + string(res.Gender)), ""},
			{wb.t("correction.field.birth_date"), res.BirthDate.UTC().Format(time.DateOnly), model.CorrectBirthDate},
			{wb.t("correction.field.id_number"), d.Own.IDNumber, model.CorrectIDNumber},
			{wb.t("correction.field.phone"), phone, model.CorrectPhone},
			{wb.t("col.relation"), res.Relation.Label(), ""},
			{wb.t("correction.field.political_status"), wb.t("political." + string(res.PoliticalStatus)), model.CorrectPoliticalStatus},
			{wb.t("correction.field.occupation"), occupation, model.CorrectOccupation},
		}
		// The subject's own record in full: a reveal like any other, recorded before it is shown.
		if err := wb.st.RecordAccess(r.Context(), scope(r), "subject.read", "resident", []int64{res.ID}, ""); err != nil {
			return err
		}
	}
	if h := d.Household; h != nil {
		p.Household = []myField{{wb.t("correction.field.address"), h.Address, model.CorrectAddress}}
		p.Flags = h.Flags.Labels()
	}
	return wb.render(w, r, http.StatusOK, "subject/my_data", p)
}

// myDataExport hands out the same JSON file as GET /api/v1/me/data/export.
func (wb *Web) myDataExport(w http.ResponseWriter, r *http.Request) error {
	return api.SubjectExport(wb.st, w, r)
}

// The steps of the correction form, one question each, then the check page.
const (
	stepField  = "field"
	stepValue  = "value"
	stepReason = "reason"
	stepCheck  = "check"
)

type correctionFormPage struct {
	Page
	Step     string
	Form     *Form
	Fields   []model.CorrectionField
	Statuses []model.PoliticalStatus
	Field    model.CorrectionField
	Current  string // the value stored now, in full (the subject's own)
}

// ValueLabel is the requested value as the check page shows it.
func (p *correctionFormPage) ValueLabel() string {
	return p.Field.Display(p.Form.Values.Get("value"))
}

// changeButton is a 更改 button of the check page: it posts the answers back to the step.
type changeButton struct {
	Form  *Form
	Step  string
	Label string // message key of the answer, for screen readers
}

// Change is the 更改 button that goes back to step.
func (p *correctionFormPage) Change(step, label string) changeButton {
	return changeButton{Form: p.Form, Step: step, Label: label}
}

// CurrentLabel is the stored value as the pages show it.
func (p *correctionFormPage) CurrentLabel() string {
	return p.Field.Display(p.Current)
}

func (wb *Web) correctionPage(w http.ResponseWriter, r *http.Request, status int, step string, f *Form) error {
	u := authz.UserFrom(r.Context())
	field := model.CorrectionField(f.Values.Get("field"))
	if !field.Valid() {
		step = stepField
	}
	titles := map[string]string{stepField: "correction.new.title", stepValue: "correction.value.title",
		stepReason: "correction.reason.title", stepCheck: "correction.check.title"}
	p := &correctionFormPage{Page: wb.base(r, wb.t(titles[step]), "me"), Step: step, Form: f,
		Fields: model.CorrectionFields, Statuses: model.PoliticalStatuses, Field: field}
	p.Crumbs = []Crumb{{Name: wb.t("me.title"), URL: "/me"}, {Name: wb.t("subject.title"), URL: "/me/data"}, {Name: p.Title}}
	if field.Valid() {
		cur, err := wb.st.CorrectionCurrent(r.Context(), u.ID, field)
		if err != nil {
			return err
		}
		p.Current = cur
		if step == stepValue && f.Values.Get("value") == "" && status == http.StatusOK && field == model.CorrectPoliticalStatus {
			f.Values.Set("value", cur)
		}
	}
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "subject/correction_new", p)
}

func correctionForm(values url.Values) *Form {
	f := newForm("correction", url.Values{}, "field", "value", "reason")
	for _, k := range []string{"field", "value", "reason"} {
		f.Values.Set(k, values.Get(k))
	}
	return f
}

// newCorrection starts a request, at the value question when the link names a field.
func (wb *Web) newCorrection(w http.ResponseWriter, r *http.Request) error {
	u := authz.UserFrom(r.Context())
	rid, err := wb.st.LinkedResidentID(r.Context(), u.ID)
	if err != nil {
		return err
	}
	if rid == 0 {
		http.Redirect(w, r, "/me/data", http.StatusSeeOther)
		return nil
	}
	f := correctionForm(url.Values{"field": {r.URL.Query().Get("field")}})
	return wb.correctionPage(w, r, http.StatusOK, stepValue, f)
}

// postCorrection takes one answer at a time: each step's form carries the earlier answers as
// hidden fields and names its own step; "goto" comes from a 更改 button on the check page.
// Nothing is recorded until the check page is confirmed.
func (wb *Web) postCorrection(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	u := authz.UserFrom(r.Context())
	f := correctionForm(r.PostForm)
	in := model.CorrectionInput{Field: model.CorrectionField(f.Values.Get("field")), Value: f.Values.Get("value"), Reason: f.Values.Get("reason")}
	switch step := r.PostForm.Get("goto"); step {
	case stepField, stepValue, stepReason:
		return wb.correctionPage(w, r, http.StatusOK, step, f)
	}
	fail := func(step string, err error) error {
		if f.fail(err) {
			// The answer of an earlier step may be the one at fault: show the step that asks it.
			if f.Err("field") != "" {
				step = stepField
			} else if f.Err("value") != "" {
				step = stepValue
			}
			return wb.correctionPage(w, r, http.StatusUnprocessableEntity, step, f)
		}
		return err
	}
	switch r.PostForm.Get("step") {
	case stepField:
		if !in.Field.Valid() {
			f.add("field", wb.t("correction.field.missing"))
			return wb.correctionPage(w, r, http.StatusUnprocessableEntity, stepField, f)
		}
		if r.PostForm.Get("was") != string(in.Field) {
			// Another field chosen on the way back from the check page: its answer no longer fits.
			f.Values.Set("value", "")
		}
		return wb.correctionPage(w, r, http.StatusOK, stepValue, f)
	case stepValue:
		in.Reason = ""
		if _, err := wb.st.CheckCorrection(r.Context(), u.ID, in); err != nil {
			return fail(stepValue, err)
		}
		return wb.correctionPage(w, r, http.StatusOK, stepReason, f)
	case stepReason:
		if _, err := wb.st.CheckCorrection(r.Context(), u.ID, in); err != nil {
			return fail(stepReason, err)
		}
		return wb.correctionPage(w, r, http.StatusOK, stepCheck, f)
	case stepCheck:
		if r.PostForm.Get("confirm") != "1" {
			return wb.correctionPage(w, r, http.StatusOK, stepCheck, f)
		}
		if _, err := wb.st.CreateCorrection(r.Context(), u.ID, in); err != nil {
			return fail(stepCheck, err)
		}
		redirect(w, r, "/me/data#corrections", "correction_sent")
		return nil
	}
	return wb.correctionPage(w, r, http.StatusOK, stepField, f)
}

// Staff side.

type correctionsPage struct {
	Page
	List
	Rows []*model.CorrectionRequest
}

func (wb *Web) corrections(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	under, err := queryID(r, "territory")
	if err != nil {
		return err
	}
	status := q.Get("status")
	if _, ok := q["status"]; !ok {
		status = string(model.CorrectionOpen)
	}
	if status != "" && !model.CorrectionStatus(status).Valid() {
		return model.ErrNotFound
	}
	pg, err := wb.st.Corrections(r.Context(), scope(r), store.CorrectionFilter{Under: under,
		Status: model.CorrectionStatus(status), Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	p := &correctionsPage{Page: wb.base(r, wb.t("corrections.title"), "corrections"), Rows: pg.Items}
	p.Head = Head{Title: p.Title, Lead: wb.t("corrections.lead")}
	statuses := []Option{{Label: wb.t("list.all")}}
	for _, s := range []model.CorrectionStatus{model.CorrectionOpen, model.CorrectionAccepted, model.CorrectionRejected} {
		statuses = append(statuses, Option{Value: string(s), Label: wb.t("correction.status." + string(s))})
	}
	p.Filters = FilterBar{Action: "/corrections", Fields: []Filter{selectFilter("status", wb.t("corrections.filter.status"), status, statuses...)}}
	p.Note = wb.t("residents.masked")
	p.Empty = Empty{Icon: "check", Title: wb.t("corrections.empty"), Text: wb.t("corrections.empty.next")}
	p.Crumbs = wb.scopeCrumbs(r, territoryURL)
	p.Crumbs = append(p.Crumbs, Crumb{Name: p.Title})
	p.Pager = newPager(wb.t("corrections.total", strconv.FormatInt(pg.Total, 10)), "/corrections", q, q.Get("cursor"), pg.Next)
	return wb.renderList(w, r, "corrections/list", p)
}

type correctionHandlePage struct {
	Page
	C      *model.CorrectionRequest
	Accept *Form
	Reject *Form
}

func (wb *Web) correctionHandlePage(w http.ResponseWriter, r *http.Request, status int, accept, reject *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := wb.st.Correction(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	p := &correctionHandlePage{Page: wb.base(r, wb.t("correction.handle.title"), "corrections"), C: c, Accept: accept, Reject: reject}
	p.Crumbs = append(wb.scopeCrumbs(r, territoryURL), Crumb{Name: wb.t("corrections.title"), URL: "/corrections"}, Crumb{Name: c.ResidentName})
	if accept.Invalid() {
		p.Failed = accept
	} else if reject.Invalid() {
		p.Failed = reject
	}
	return wb.render(w, r, status, "corrections/show", p)
}

func (wb *Web) correction(w http.ResponseWriter, r *http.Request) error {
	return wb.correctionHandlePage(w, r, http.StatusOK, newForm("accept", nil, "note"), newForm("reject", nil, "note"))
}

func (wb *Web) acceptCorrection(w http.ResponseWriter, r *http.Request) error {
	return wb.decideCorrection(w, r, true)
}

func (wb *Web) rejectCorrection(w http.ResponseWriter, r *http.Request) error {
	return wb.decideCorrection(w, r, false)
}

func (wb *Web) decideCorrection(w http.ResponseWriter, r *http.Request, accept bool) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	af, rf := newForm("accept", nil, "note"), newForm("reject", nil, "note")
	f, decide, done := rf, wb.st.RejectCorrection, "correction_rejected"
	if accept {
		f, decide, done = af, wb.st.AcceptCorrection, "correction_accepted"
	}
	f.Values = r.PostForm
	if _, err := decide(r.Context(), scope(r), id, r.PostForm.Get("note")); err != nil {
		var ve *model.ValidationError
		if errors.As(err, &ve) {
			// A value refused at acceptance is about the request, not the note: say it in the summary.
			for _, fe := range ve.Fields {
				if fe.Field == "note" {
					f.add("note", fe.Message)
				} else {
					f.Message = wb.t("correction.handle.invalid", fe.Message)
				}
			}
			return wb.correctionHandlePage(w, r, http.StatusUnprocessableEntity, af, rf)
		}
		if f.fail(err) {
			return wb.correctionHandlePage(w, r, http.StatusConflict, af, rf)
		}
		return err
	}
	redirect(w, r, "/corrections", done)
	return nil
}
