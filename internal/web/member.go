package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/importer"
	"gongzhi/internal/jobs"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The roster at a desk (issue 8 items 3 and 11): the members of an org or a subtree, registered
// (在册) or reporting (报到, with who has reported and the service post each took), a member's
// profile (roster fields, history, the resident record, dues for those who may see them), the
// new-member and edit forms, and conversion of a probationary member (转正).

func memberURL(id int64) string { return "/party/members/" + strconv.FormatInt(id, 10) }

// memberOrgChoiceLimit bounds the orgs the filter and the forms offer in a select; a scope with
// more (a district) filters by org from the org's page instead.
const memberOrgChoiceLimit = 400

// memberOrgChoices are the orgs of the scope a member may belong to (committees, branches,
// groups), for the selects; nil when there are more than memberOrgChoiceLimit.
func (wb *Web) memberOrgChoices(r *http.Request) ([]*model.Org, error) {
	orgs, truncated, err := wb.st.OrgTree(r.Context(), scope(r), 0)
	if err != nil || truncated {
		return nil, err
	}
	var out []*model.Org
	for _, o := range orgs {
		switch o.Kind {
		case model.OrgCommunityCommittee, model.OrgGridBranch, model.OrgBuildingGroup:
			out = append(out, o)
		}
	}
	if len(out) > memberOrgChoiceLimit {
		return nil, nil
	}
	return out, nil
}

type membersPage struct {
	Page
	List
	Rows      []*model.Member
	Reporting bool
	Reported  int64 // reporting list: members who reported, of the filter without "reported"
	Waiting   int64 // and those who have not yet
}

func (wb *Web) members(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.MemberFilter{List: model.MemberList(q.Get("list")), Status: model.MemberStatus(q.Get("status")),
		Category: model.MemberCategory(q.Get("category")), Mobility: model.Mobility(q.Get("mobility")), Reported: q.Get("reported"),
		Q: q.Get("q"), Cursor: q.Get("cursor")}
	p := &membersPage{Page: wb.base(r, wb.t("members.title"), "party-members"), Reporting: f.List == model.ListReporting}
	var bad []model.FieldError
	if v := q.Get("org"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			bad = append(bad, model.FieldError{Field: "org", Message: wb.t("members.filter.org.bad")})
		}
		f.OrgID = n
	}
	p.Head = Head{Title: p.Title, Lead: wb.t("members.lead")}
	if p.Can(authz.PartyMemberWrite) && scope(r).Role != model.RoleMember {
		p.Head.Actions = []Link{{Label: wb.t("member.new.title"), URL: "/party/members/new", Icon: "plus", Primary: true},
			{Label: wb.t("members.import.title"), URL: "/party/members/import", Icon: "upload"}}
	}
	lists := []Option{}
	for _, l := range model.MemberLists {
		lists = append(lists, Option{Value: string(l), Label: l.Label()})
	}
	all := Option{Label: wb.t("list.all")}
	orgs := []Option{all}
	choices, err := wb.memberOrgChoices(r)
	if err != nil {
		return err
	}
	for _, o := range choices {
		orgs = append(orgs, Option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name})
	}
	statuses, categories, mobilities := []Option{all}, []Option{all}, []Option{all}
	for _, s := range model.MemberStatuses {
		statuses = append(statuses, Option{Value: string(s), Label: s.Label()})
	}
	for _, c := range model.MemberCategories {
		categories = append(categories, Option{Value: string(c), Label: c.Label()})
	}
	for _, m := range model.Mobilities {
		mobilities = append(mobilities, Option{Value: string(m), Label: m.Label()})
	}
	p.Filters = FilterBar{Action: "/party/members", Live: true, Fields: []Filter{
		searchFilter("q", wb.t("members.filter.q"), f.Q, wb.t("members.filter.q.placeholder")),
		selectFilter("list", wb.t("members.filter.list"), string(f.List), lists...),
	}}
	p.Filters.Fields[0].Grow = true
	if choices != nil {
		p.Filters.Fields = append(p.Filters.Fields, selectFilter("org", wb.t("members.filter.org"), q.Get("org"), orgs...))
	} else if f.OrgID != 0 {
		p.Filters.Hidden = []Filter{{Name: "org", Value: q.Get("org")}}
	}
	p.Filters.Fields = append(p.Filters.Fields,
		selectFilter("status", wb.t("members.filter.status"), string(f.Status), statuses...),
		selectFilter("category", wb.t("members.filter.category"), string(f.Category), categories...))
	if p.Reporting {
		reported := []Option{all, {Value: "yes", Label: wb.t("members.reported.yes")}, {Value: "no", Label: wb.t("members.reported.no")}}
		p.Filters.Fields = append(p.Filters.Fields, selectFilter("reported", wb.t("members.filter.reported"), f.Reported, reported...))
	} else {
		p.Filters.Fields = append(p.Filters.Fields, selectFilter("mobility", wb.t("members.filter.mobility"), string(f.Mobility), mobilities...))
	}
	if len(cloneValues(q)) > 0 {
		p.Filters.ClearURL = "/party/members"
	}
	p.Empty = Empty{Icon: "people", Title: wb.t("members.empty"), Text: wb.t("members.empty.next")}
	if len(p.Head.Actions) > 0 {
		p.Empty.Actions = []Link{{Label: wb.t("member.new.title"), URL: "/party/members/new", Primary: true}}
	}
	p.Crumbs = append(wb.scopeCrumbs(r, territoryURL), Crumb{Name: p.Title})
	pg := &store.Page[*model.Member]{}
	if len(bad) > 0 {
		p.Errors = bad
	} else {
		pg, err = wb.st.Members(r.Context(), scope(r), f)
		if err != nil {
			if !p.fail(err) {
				return err
			}
			pg = &store.Page[*model.Member]{}
		} else if p.Reporting {
			if err := wb.memberReportCounts(r, f, p); err != nil {
				return err
			}
		}
	}
	p.Rows = pg.Items
	summary := wb.t("members.total", strconv.FormatInt(pg.Total, 10))
	if p.Reporting {
		summary = wb.t("members.total.reporting", strconv.FormatInt(pg.Total, 10), strconv.FormatInt(p.Reported, 10), strconv.FormatInt(p.Waiting, 10))
	}
	p.Pager = newPager(summary, "/party/members", q, q.Get("cursor"), pg.Next)
	return wb.renderList(w, r, "party/member_list", p)
}

// memberReportCounts fills how many of the reporting members f selects (whatever f says of
// "reported") have reported and how many have not: two counts, no rows.
func (wb *Web) memberReportCounts(r *http.Request, f store.MemberFilter, p *membersPage) error {
	f.Cursor, f.Limit = "", 1
	for _, x := range []struct {
		v   string
		out *int64
	}{{"yes", &p.Reported}, {"no", &p.Waiting}} {
		f.Reported = x.v
		pg, err := wb.st.Members(r.Context(), scope(r), f)
		if err != nil {
			return err
		}
		*x.out = pg.Total
	}
	return nil
}

type memberPage struct {
	Page
	M         *model.Member
	Events    []store.MemberEvent
	Resident  *model.Resident    // the linked resident record, when the caller may read it
	Dues      *store.DuesAccount // nil when the caller may not see dues (a grid leader)
	Manage    bool               // the caller manages the member's org
	Convert   *Form
	Transfer  *Form             // the transfer request
	Orgs      []*model.Org      // the orgs a transfer may go to (nil: too many, typed by id)
	Transfers []*model.Transfer // the member's transfers, newest first
	Open      bool              // one of them is open
}

func (wb *Web) memberPage(w http.ResponseWriter, r *http.Request, status int, convert *Form) error {
	return wb.memberPageWith(w, r, status, convert, newForm("transfer", nil, "to_org_id", "destination", "reason"))
}

// memberPageWith is the member's page with its two forms (conversion, transfer request).
func (wb *Web) memberPageWith(w http.ResponseWriter, r *http.Request, status int, convert, transfer *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	m, err := wb.st.Member(ctx, sc, id)
	if err != nil {
		return err
	}
	p := &memberPage{Page: wb.base(r, m.Name, "party-members"), M: m, Convert: convert, Transfer: transfer}
	if p.Transfers, p.Open, err = wb.memberTransfers(r, id); err != nil {
		return err
	}
	if p.Events, err = wb.st.MemberHistory(ctx, sc, id); err != nil {
		return err
	}
	if m.ResidentID != 0 && p.Can(authz.HouseholdRead) {
		res, err := wb.st.Resident(ctx, sc, m.ResidentID)
		switch {
		case err == nil:
			p.Resident = res
		case !errors.Is(err, model.ErrNotFound):
			return err
		}
	}
	if p.Can(authz.PartyDuesRead) {
		d, err := wb.st.MemberDues(ctx, sc, id, time.Now().In(model.Shanghai).Year())
		switch {
		case err == nil:
			p.Dues = d
		case !errors.Is(err, model.ErrNotFound):
			return err
		}
	}
	if p.Can(authz.PartyMemberWrite) && m.Current() {
		if p.Manage, err = wb.st.ManagesOrg(ctx, sc, m.OrgID); err != nil {
			return err
		}
	}
	if convert.Values.Get("full_on") == "" && !m.JoinedOn.IsZero() {
		due := m.JoinedOn.AddDate(1, 0, 0)
		if today := model.Today(time.Now()); due.After(today) {
			due = today
		}
		convert.Values.Set("full_on", due.Format(time.DateOnly))
	}
	p.Crumbs = []Crumb{{Name: wb.t("members.title"), URL: "/party/members"}, {Name: m.Name}}
	if p.Manage && m.List == model.ListRegistered {
		if p.Orgs, err = wb.memberOrgChoices(r); err != nil {
			return err
		}
	}
	switch {
	case convert.Invalid():
		p.Failed = convert
	case transfer.Invalid():
		p.Failed = transfer
	}
	return wb.render(w, r, status, "party/member_show", p)
}

func (wb *Web) member(w http.ResponseWriter, r *http.Request) error {
	return wb.memberPage(w, r, http.StatusOK, newForm("convert", nil, "full_on"))
}

func (wb *Web) convertMemberPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("convert", r.PostForm, "full_on")
	if _, err := wb.st.ConvertMember(r.Context(), scope(r), id, r.PostForm.Get("full_on")); err != nil {
		if f.fail(err) {
			return wb.memberPage(w, r, http.StatusUnprocessableEntity, f)
		}
		return err
	}
	redirect(w, r, memberURL(id), "member_converted")
	return nil
}

// memberFormPage is the new-member and the edit form.
type memberFormPage struct {
	Page
	Form     *Form
	M        *model.Member   // nil on the new form
	Resident *model.Resident // new form opened for a resident (?resident=)
	Orgs     []*model.Org    // nil: too many to offer, the org is typed by id
	Choices  map[string][]Option
	Action   string
}

// memberChoices are the choices of the form's selects, by field, with their Chinese labels.
func (wb *Web) memberChoices() map[string][]Option {
	out := map[string][]Option{}
	add := func(name, v, l string) { out[name] = append(out[name], Option{Value: v, Label: l}) }
	for _, x := range model.MemberLists {
		add("list", string(x), x.Label())
	}
	for _, x := range model.MemberStatuses {
		add("status", string(x), x.Label())
	}
	for _, x := range model.MemberCategories {
		add("category", string(x), x.Label())
	}
	for _, x := range model.Mobilities {
		add("mobility", string(x), x.Label())
	}
	add("reporting_kind", "", wb.t("member.none"))
	for _, x := range model.ReportingKinds {
		add("reporting_kind", string(x), x.Label())
	}
	add("education", "", wb.t("member.none"))
	for _, x := range model.Educations {
		add("education", string(x), x.Label())
	}
	add("gender", "", wb.t("member.none"))
	for _, g := range []model.Gender{model.GenderMale, model.GenderFemale} {
		add("gender", string(g), wb.t("gender."+string(g)))
	}
	return out
}

// Select is the select of field name for the "memberSelect" partial.
func (p *memberFormPage) Select(name, label string, required bool) memberSelect {
	return memberSelect{Field: p.Form.Field(name), Label: label, Required: required, Options: p.Choices[name]}
}

// memberSelect is one labelled select of a member form.
type memberSelect struct {
	Field
	Label    string
	Required bool
	Options  []Option
}

var memberCreateFields = []string{"list", "resident_id", "name", "gender", "birth_date", "education", "org_id", "status", "joined_on", "full_on",
	"category", "mobility", "reporting_kind", "home_org", "workplace", "service_post", "reported_on"}

var memberEditFields = []string{"name", "education", "category", "mobility", "home_org", "workplace", "service_post", "reported_on"}

func (wb *Web) memberForm(w http.ResponseWriter, r *http.Request, status int, p *memberFormPage) error {
	orgs, err := wb.memberOrgChoices(r)
	if err != nil {
		return err
	}
	p.Orgs, p.Choices = orgs, wb.memberChoices()
	if p.Form.Invalid() {
		p.Failed = p.Form
	}
	return wb.render(w, r, status, "party/member_form", p)
}

func (wb *Web) newMemberForm(w http.ResponseWriter, r *http.Request) error {
	f := newForm("member", nil, memberCreateFields...)
	q := r.URL.Query()
	f.Values.Set("list", string(model.ListRegistered))
	f.Values.Set("status", string(model.MemberFull))
	f.Values.Set("mobility", string(model.MobilityNone))
	for _, k := range []string{"org_id", "list"} {
		if v := q.Get(k); v != "" {
			f.Values.Set(k, v)
		}
	}
	p := &memberFormPage{Page: wb.base(r, wb.t("member.new.title"), "party-members"), Form: f, Action: "/party/members/new"}
	if v := q.Get("resident"); v != "" {
		if err := wb.memberFormResident(r, p, v); err != nil {
			return err
		}
	}
	p.Crumbs = []Crumb{{Name: wb.t("members.title"), URL: "/party/members"}, {Name: p.Title}}
	return wb.memberForm(w, r, http.StatusOK, p)
}

// memberFormResident fills the new form for the resident id v (a number), when the caller may
// read it; anything else leaves the form as it is.
func (wb *Web) memberFormResident(r *http.Request, p *memberFormPage, v string) error {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil
	}
	res, err := wb.st.Resident(r.Context(), scope(r), id)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	p.Resident = res
	p.Form.Values.Set("resident_id", strconv.FormatInt(id, 10))
	return nil
}

func (wb *Web) createMemberPage(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := r.PostForm
	f := newForm("member", v, memberCreateFields...)
	p := &memberFormPage{Page: wb.base(r, wb.t("member.new.title"), "party-members"), Form: f, Action: "/party/members/new"}
	p.Crumbs = []Crumb{{Name: wb.t("members.title"), URL: "/party/members"}, {Name: p.Title}}
	in := model.MemberInput{List: model.MemberList(v.Get("list")), Name: v.Get("name"), Gender: model.Gender(v.Get("gender")),
		BirthDate: v.Get("birth_date"), Education: model.Education(v.Get("education")), Status: model.MemberStatus(v.Get("status")),
		JoinedOn: v.Get("joined_on"), FullOn: v.Get("full_on"), Category: model.MemberCategory(v.Get("category")),
		Mobility: model.Mobility(v.Get("mobility")), ReportingKind: model.ReportingKind(v.Get("reporting_kind")), HomeOrg: v.Get("home_org"),
		Workplace: v.Get("workplace"), ServicePost: v.Get("service_post"), ReportedOn: v.Get("reported_on")}
	if s := v.Get("org_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			f.add("org_id", wb.t("member.org.bad"))
		}
		in.OrgID = n
	}
	if s := v.Get("resident_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			f.add("resident_id", wb.t("member.resident.bad"))
		} else if err := wb.memberFormResident(r, p, s); err != nil {
			return err
		}
		in.ResidentID = n
	}
	if f.Invalid() {
		return wb.memberForm(w, r, http.StatusUnprocessableEntity, p)
	}
	m, err := wb.st.CreateMember(r.Context(), scope(r), in)
	if err != nil {
		if f.fail(err) {
			return wb.memberForm(w, r, http.StatusUnprocessableEntity, p)
		}
		return err
	}
	redirect(w, r, memberURL(m.ID), "member_created")
	return nil
}

func (wb *Web) editMemberForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := wb.st.Member(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	if err := wb.memberManaged(r, m); err != nil {
		return err
	}
	in := m.Input()
	f := newForm("member", url.Values{}, memberEditFields...)
	for k, v := range map[string]string{"name": in.Name, "education": string(in.Education), "category": string(in.Category),
		"mobility": string(in.Mobility), "home_org": in.HomeOrg, "workplace": in.Workplace, "service_post": in.ServicePost, "reported_on": in.ReportedOn} {
		f.Values.Set(k, v)
	}
	return wb.memberEditPage(w, r, http.StatusOK, m, f)
}

func (wb *Web) memberEditPage(w http.ResponseWriter, r *http.Request, status int, m *model.Member, f *Form) error {
	p := &memberFormPage{Page: wb.base(r, wb.t("member.edit.title", m.Name), "party-members"), Form: f, M: m, Action: memberURL(m.ID) + "/edit"}
	p.Crumbs = []Crumb{{Name: wb.t("members.title"), URL: "/party/members"}, {Name: m.Name, URL: memberURL(m.ID)}, {Name: wb.t("member.edit")}}
	p.Choices = wb.memberChoices()
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "party/member_form", p)
}

func (wb *Web) editMemberPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := wb.st.Member(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := r.PostForm
	f := newForm("member", v, memberEditFields...)
	str := func(k string) *string { s := v.Get(k); return &s }
	edu, cat, mob := model.Education(v.Get("education")), model.MemberCategory(v.Get("category")), model.Mobility(v.Get("mobility"))
	patch := model.MemberPatch{Name: str("name"), Education: &edu, Category: &cat, Mobility: &mob, HomeOrg: str("home_org"),
		Workplace: str("workplace"), ServicePost: str("service_post"), ReportedOn: str("reported_on")}
	if m.ResidentID != 0 {
		patch.Name = nil // the name follows the resident record
	}
	if _, err := wb.st.UpdateMember(r.Context(), scope(r), id, patch); err != nil {
		if f.fail(err) {
			return wb.memberEditPage(w, r, http.StatusUnprocessableEntity, m, f)
		}
		return err
	}
	redirect(w, r, memberURL(id), "member_updated")
	return nil
}

// Yuan shows fen as yuan with two decimals.
func (p *memberPage) Yuan(fen int64) string { return model.FormatYuan(fen) }

// memberManaged is nil when the caller manages m's org (may change it), else the refusal the
// store would give: a *model.ForbiddenError for a member it may only read, a *model.ConflictError
// for a member no longer on the roster.
func (wb *Web) memberManaged(r *http.Request, m *model.Member) error {
	ok, err := wb.st.ManagesOrg(r.Context(), scope(r), m.OrgID)
	switch {
	case err != nil:
		return err
	case !ok:
		return &model.ForbiddenError{Message: wb.t("member.manage.forbidden")}
	case !m.Current():
		return &model.ConflictError{Message: wb.t("member.manage.left")}
	}
	return nil
}

// memberImportPage is the member import's upload form.
func (wb *Web) memberImportPage(r *http.Request, f *Form) *importData {
	d := &importData{Page: wb.base(r, wb.t("members.import.title"), "party-members"), Form: f, MaxMB: wb.opts.MaxUploadBytes >> 20}
	d.Upload = importUpload{Action: "/party/members/import", Template: "/party/members/import/template.xlsx", Lead: wb.t("members.import.lead"),
		Steps: [3]importStep{{wb.t("import.step1"), wb.t("members.import.step1")}, {wb.t("import.step2"), wb.t("members.import.step2")},
			{wb.t("import.step3"), wb.t("members.import.step3")}}}
	d.Crumbs = []Crumb{{Name: wb.t("members.title"), URL: "/party/members"}, {Name: d.Title}}
	if f.Invalid() {
		d.Failed = f
	}
	return d
}

func (wb *Web) memberImportForm(w http.ResponseWriter, r *http.Request) error {
	return wb.render(w, r, http.StatusOK, "party/member_import", wb.memberImportPage(r, newForm("import", nil, "file")))
}

// importMembers queues the import of an uploaded member file as a background job and sends the
// browser to the job's page (progress, then every bad row by number, column and reason).
func (wb *Web) importMembers(w http.ResponseWriter, r *http.Request) error {
	return wb.receiveUpload(w, r, "party/member_import", wb.memberImportPage, func(q *jobs.Queue, name string, file io.Reader, _ bool) (*model.Job, error) {
		return q.SubmitMemberImport(r.Context(), scope(r), name, file)
	})
}

// memberImportTemplate downloads the member import workbook with its instructions sheet.
func (wb *Web) memberImportTemplate(w http.ResponseWriter, r *http.Request) error {
	var buf bytes.Buffer
	if err := importer.WriteMemberTemplate(&buf); err != nil {
		return err
	}
	attachment(w, xlsxType, wb.t("members.import.template.filename")+".xlsx", "members-template.xlsx")
	_, err := buf.WriteTo(w)
	return err
}
