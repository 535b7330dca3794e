package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The register of organizations (issue 8.2): the desk table with its type filter, one
// organization with its history, the forms staff register and change them with, a partner's
// own page (我的单位), and the volunteer teams a resident joins (/me/teams).

func organizationURL(id int64) string { return "/organizations/" + strconv.FormatInt(id, 10) }

type organizationsPage struct {
	Page
	List
	Rows     []*model.Organization
	CanWrite bool
}

func (wb *Web) organizations(w http.ResponseWriter, r *http.Request) error {
	if u := authz.UserFrom(r.Context()); u != nil && u.Role == model.RolePartner {
		http.Redirect(w, r, "/organizations/mine", http.StatusSeeOther)
		return nil
	}
	q := r.URL.Query()
	f := store.OrganizationFilter{Type: model.OrgType(q.Get("type")), Q: q.Get("q"), Reported: q.Get("reported"),
		Inactive: q.Get("status") == "inactive", Cursor: q.Get("cursor")}
	p := &organizationsPage{Page: wb.base(r, wb.t("organizations.title"), "organizations"), CanWrite: authz.Allowed(authz.UserFrom(r.Context()).Role, authz.OrganizationWrite)}
	p.Head = Head{Title: p.Title, Lead: wb.t("organizations.lead")}
	if p.CanWrite {
		p.Head.Actions = []Link{{Label: wb.t("organizations.new"), URL: "/organizations/new", Icon: "plus", Primary: true}}
	}
	types := []Option{{Label: wb.t("list.all")}}
	for _, t := range model.OrgTypes {
		types = append(types, Option{Value: string(t), Label: t.Label()})
	}
	reported := []Option{{Label: wb.t("list.all")}, {Value: "yes", Label: wb.t("organizations.reported.yes")}, {Value: "no", Label: wb.t("organizations.reported.no")}}
	statuses := []Option{{Label: wb.t("organizations.status.active")}, {Value: "inactive", Label: wb.t("organizations.status.inactive")}}
	p.Filters = FilterBar{Action: "/organizations", Live: true, Fields: []Filter{
		searchFilter("q", wb.t("organizations.filter.q"), f.Q, wb.t("organizations.filter.q.placeholder")),
		selectFilter("type", wb.t("organizations.filter.type"), string(f.Type), types...),
		selectFilter("reported", wb.t("organizations.filter.reported"), f.Reported, reported...),
		selectFilter("status", wb.t("organizations.filter.status"), q.Get("status"), statuses...),
	}}
	p.Filters.Fields[0].Grow = true
	if len(q) > 0 {
		p.Filters.ClearURL = "/organizations"
	}
	p.Empty = Empty{Icon: "people", Title: wb.t("organizations.empty"), Text: wb.t("organizations.empty.next")}
	p.Crumbs = append(wb.scopeCrumbs(r, territoryURL), Crumb{Name: p.Title})
	pg, err := wb.st.Organizations(r.Context(), scope(r), f)
	if err != nil {
		if !p.fail(err) {
			return err
		}
		pg = &store.Page[*model.Organization]{}
	}
	p.Rows = pg.Items
	p.Pager = newPager(wb.t("organizations.total", strconv.FormatInt(pg.Total, 10)), "/organizations", q, q.Get("cursor"), pg.Next)
	return wb.renderList(w, r, "organizations/list", p)
}

// fail shows the filters the store refused above the table; false for other errors.
func (l *List) fail(err error) bool {
	f := &Form{}
	if !f.fail(err) {
		return false
	}
	l.Errors = f.Errors
	return true
}

type organizationPage struct {
	Page
	O        *model.Organization
	Events   []model.OrganizationEvent
	Members  []store.TeamMember
	CanWrite bool
	Report   *Form
	Status   *Form
}

func (wb *Web) organizationPage(w http.ResponseWriter, r *http.Request, status int, report, st *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	o, err := wb.st.Organization(ctx, sc, id)
	if err != nil {
		return err
	}
	p := &organizationPage{Page: wb.base(r, o.Name, "organizations"), O: o, Report: report, Status: st,
		CanWrite: authz.Allowed(sc.Role, authz.OrganizationWrite)}
	if p.Events, err = wb.st.OrganizationEvents(ctx, sc, id); err != nil {
		return err
	}
	if o.Joinable {
		if p.Members, err = wb.st.TeamMembers(ctx, sc, id); err != nil {
			return err
		}
	}
	if report.Values.Get("reported_on") == "" {
		report.Values.Set("reported_on", time.Now().In(model.Shanghai).Format(time.DateOnly))
	}
	p.Crumbs = append(wb.scopeCrumbs(r, territoryURL), Crumb{Name: wb.t("organizations.title"), URL: "/organizations"}, Crumb{Name: o.Name})
	switch {
	case report.Invalid():
		p.Failed = report
	case st.Invalid():
		p.Failed = st
	}
	return wb.render(w, r, status, "organizations/show", p)
}

func organizationActionForms() (report, status *Form) {
	return newForm("report", nil, "reported_on"), newForm("status", nil, "reason")
}

func (wb *Web) organization(w http.ResponseWriter, r *http.Request) error {
	rf, sf := organizationActionForms()
	return wb.organizationPage(w, r, http.StatusOK, rf, sf)
}

func (wb *Web) reportOrganization(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	rf, sf := organizationActionForms()
	rf.Values = r.PostForm
	if _, err := wb.st.ReportOrganization(r.Context(), scope(r), id, r.PostForm.Get("reported_on")); err != nil {
		if rf.fail(err) {
			return wb.organizationPage(w, r, formStatus(err), rf, sf)
		}
		return err
	}
	redirect(w, r, organizationURL(id), "organization_reported")
	return nil
}

// setOrganizationActive answers the deactivate (active false) and reactivate forms.
func (wb *Web) setOrganizationActive(active bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		rf, sf := organizationActionForms()
		sf.Values = r.PostForm
		if _, err := wb.st.SetOrganizationActive(r.Context(), scope(r), id, active, r.PostForm.Get("reason")); err != nil {
			if sf.fail(err) {
				return wb.organizationPage(w, r, formStatus(err), rf, sf)
			}
			return err
		}
		done := "organization_deactivated"
		if active {
			done = "organization_reactivated"
		}
		redirect(w, r, organizationURL(id), done)
		return nil
	}
}

// formStatus is the status of a form answered again with err: 409 for a conflict, else 422.
func formStatus(err error) int {
	if _, ok := err.(*model.ConflictError); ok {
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

var organizationFields = []string{"type", "subtype", "name", "territory_id", "contact_name", "contact_phone", "address",
	"offers.venues", "offers.skills", "offers.funds", "coverage", "party_org_id", "joinable"}

type organizationFormPage struct {
	Page
	Form      *Form
	Action    string
	Cancel    string
	Edit      bool
	Types     []model.OrgType
	Subtypes  []model.OrgSubtype
	Coverages []model.Coverage
	Nodes     []territoryOption
}

func (wb *Web) organizationForm(w http.ResponseWriter, r *http.Request, status int, f *Form, o *model.Organization) error {
	title, action, cancel := wb.t("organizations.new"), "/organizations/new", "/organizations"
	if o != nil {
		title, action, cancel = wb.t("organization.edit"), organizationURL(o.ID)+"/edit", organizationURL(o.ID)
	}
	p := &organizationFormPage{Page: wb.base(r, title, "organizations"), Form: f, Action: action, Cancel: cancel, Edit: o != nil,
		Types: model.OrgTypes, Subtypes: model.OrgSubtypes, Coverages: model.Coverages}
	var err error
	if p.Nodes, err = wb.organizationNodes(r); err != nil {
		return err
	}
	p.Crumbs = append(wb.scopeCrumbs(r, territoryURL), Crumb{Name: wb.t("organizations.title"), URL: "/organizations"}, Crumb{Name: title})
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "organizations/form", p)
}

// organizationNodes lists the nodes of the scope an organization may be registered at: the
// street, community, resident group and grid levels.
func (wb *Web) organizationNodes(r *http.Request) ([]territoryOption, error) {
	page, err := wb.st.Territories(r.Context(), scope(r), store.TerritoryFilter{Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	var out []territoryOption
	for _, t := range page.Items {
		names[t.ID] = t.Name
		switch t.Kind {
		case model.KindStreet, model.KindCommunity, model.KindResidentGroup, model.KindGrid:
		default:
			continue
		}
		var parts []string
		for _, id := range model.PathIDs(t.Path) {
			if n, ok := names[id]; ok && id != t.ID {
				parts = append(parts, n)
			}
		}
		label := t.Name
		if len(parts) > 1 {
			label = strings.Join(append(parts[len(parts)-1:], t.Name), " › ")
		}
		out = append(out, territoryOption{ID: t.ID, Label: label})
	}
	return out, nil
}

func (wb *Web) newOrganizationForm(w http.ResponseWriter, r *http.Request) error {
	f := newForm("organization", nil, organizationFields...)
	f.Values.Set("coverage", string(model.CoverageNone))
	if u := authz.UserFrom(r.Context()); u != nil && u.ScopeID != 0 {
		f.Values.Set("territory_id", strconv.FormatInt(u.ScopeID, 10))
	}
	return wb.organizationForm(w, r, http.StatusOK, f, nil)
}

// organizationInput reads the form's fields.
func organizationInput(v url.Values) model.OrganizationInput {
	tid, _ := strconv.ParseInt(v.Get("territory_id"), 10, 64)
	pid, _ := strconv.ParseInt(v.Get("party_org_id"), 10, 64)
	return model.OrganizationInput{Type: model.OrgType(v.Get("type")), Subtype: model.OrgSubtype(v.Get("subtype")), Name: v.Get("name"),
		TerritoryID: tid, ContactName: v.Get("contact_name"), ContactPhone: v.Get("contact_phone"), Address: v.Get("address"),
		Offers:   model.Offers{Venues: strings.TrimSpace(v.Get("offers.venues")), Skills: strings.TrimSpace(v.Get("offers.skills")), Funds: strings.TrimSpace(v.Get("offers.funds"))},
		Coverage: model.Coverage(v.Get("coverage")), PartyOrgID: pid, Joinable: v.Get("joinable") != ""}
}

func (wb *Web) createOrganization(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("organization", r.PostForm, organizationFields...)
	in := organizationInput(r.PostForm)
	if in.Type != model.OrgCoBuilding {
		in.Subtype = "" // the subtype select is only meaningful for co-building units
	}
	o, err := wb.st.CreateOrganization(r.Context(), scope(r), in)
	if err != nil {
		if f.fail(err) {
			return wb.organizationForm(w, r, formStatus(err), f, nil)
		}
		return err
	}
	redirect(w, r, organizationURL(o.ID), "organization_created")
	return nil
}

func (wb *Web) editOrganizationForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := wb.st.Organization(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	v := url.Values{"type": {string(o.Type)}, "subtype": {string(o.Subtype)}, "name": {o.Name}, "territory_id": {strconv.FormatInt(o.TerritoryID, 10)},
		"contact_name": {o.ContactName}, "contact_phone": {o.ContactPhone}, "address": {o.Address}, "offers.venues": {o.Offers.Venues},
		"offers.skills": {o.Offers.Skills}, "offers.funds": {o.Offers.Funds}, "coverage": {string(o.Coverage)}}
	if o.PartyOrgID != 0 {
		v.Set("party_org_id", strconv.FormatInt(o.PartyOrgID, 10))
	}
	if o.Joinable {
		v.Set("joinable", "1")
	}
	return wb.organizationForm(w, r, http.StatusOK, newForm("organization", v, organizationFields...), o)
}

func (wb *Web) editOrganization(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	o, err := wb.st.Organization(ctx, sc, id)
	if err != nil {
		return err
	}
	f := newForm("organization", r.PostForm, organizationFields...)
	in := organizationInput(r.PostForm)
	if in.Type != model.OrgCoBuilding {
		in.Subtype = ""
	}
	if _, err := wb.st.UpdateOrganization(ctx, sc, id, in); err != nil {
		if f.fail(err) {
			return wb.organizationForm(w, r, formStatus(err), f, o)
		}
		return err
	}
	redirect(w, r, organizationURL(id), "organization_saved")
	return nil
}

// 我的单位: a partner's own organization, its offers and contact.

type myOrganizationPage struct {
	Page
	O    *model.Organization
	Form *Form
}

var contactFields = []string{"contact_name", "contact_phone", "address", "offers.venues", "offers.skills", "offers.funds"}

func (wb *Web) myOrganizationPage(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	sc := scope(r)
	o, err := wb.st.Organization(r.Context(), sc, sc.Organization)
	if err != nil {
		return err
	}
	if f == nil {
		f = newForm("contact", url.Values{"contact_name": {o.ContactName}, "contact_phone": {o.ContactPhone}, "address": {o.Address},
			"offers.venues": {o.Offers.Venues}, "offers.skills": {o.Offers.Skills}, "offers.funds": {o.Offers.Funds}}, contactFields...)
	}
	p := &myOrganizationPage{Page: wb.base(r, wb.t("organization.mine.title"), "organization-mine"), O: o, Form: f}
	p.Crumbs = []Crumb{{Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "organizations/mine", p)
}

func (wb *Web) myOrganization(w http.ResponseWriter, r *http.Request) error {
	return wb.myOrganizationPage(w, r, http.StatusOK, nil)
}

func (wb *Web) saveMyOrganization(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := r.PostForm
	f := newForm("contact", v, contactFields...)
	sc := scope(r)
	c := model.OrganizationContact{ContactName: v.Get("contact_name"), ContactPhone: v.Get("contact_phone"), Address: v.Get("address"),
		Offers: model.Offers{Venues: strings.TrimSpace(v.Get("offers.venues")), Skills: strings.TrimSpace(v.Get("offers.skills")), Funds: strings.TrimSpace(v.Get("offers.funds"))}}
	if _, err := wb.st.UpdateOrganizationContact(r.Context(), sc, sc.Organization, c); err != nil {
		if f.fail(err) {
			return wb.myOrganizationPage(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, "/organizations/mine", "organization_saved")
	return nil
}

// Volunteer teams a resident or member joins (志愿互助组合).

type myTeamsPage struct {
	Page
	Teams   []*model.Organization
	Joined  map[int64]bool
	Message string
}

func (wb *Web) myTeams(w http.ResponseWriter, r *http.Request) error {
	return wb.myTeamsPage(w, r, http.StatusOK, "")
}

func (wb *Web) myTeamsPage(w http.ResponseWriter, r *http.Request, status int, message string) error {
	teams, joined, err := wb.st.JoinableTeams(r.Context(), scope(r))
	if err != nil {
		return err
	}
	p := &myTeamsPage{Page: wb.base(r, wb.t("teams.title"), "me"), Teams: teams, Joined: joined, Message: message}
	p.Crumbs = []Crumb{{Name: wb.t("tab.me"), URL: "/me"}, {Name: p.Title}}
	return wb.render(w, r, status, "organizations/teams", p)
}

// joinTeam answers the join (true) and leave buttons.
func (wb *Web) joinTeam(join bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if join {
			err = wb.st.JoinTeam(r.Context(), scope(r), id)
		} else {
			err = wb.st.LeaveTeam(r.Context(), scope(r), id)
		}
		if ce, ok := err.(*model.ConflictError); ok {
			return wb.myTeamsPage(w, r, http.StatusConflict, ce.Message)
		} else if err != nil {
			return err
		}
		done := "team_joined"
		if !join {
			done = "team_left"
		}
		redirect(w, r, "/me/teams", done)
		return nil
	}
}
