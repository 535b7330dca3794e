package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/importer"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The administrative-burden register (准入清单、减负, issue 12 item 2), staff at a desk: the
// tasks handed down to the communities (list, filter, pager, xlsx), the form community staff
// record one with, a task's page with the community's acceptance, the street's decision on a
// task off the list and the hours when done; the burden view (hours on handed-down tasks
// against hours serving residents, by month, sender and community, as charts over tables);
// the duty list and the department register, kept by street and district administrators.

func burdenTaskURL(id int64) string { return "/burden/tasks/" + strconv.FormatInt(id, 10) }

var burdenTaskFields = []string{"community_id", "department_id", "duty_id", "body", "title", "detail", "received_on", "due_on"}

type burdenListPage struct {
	Page
	List
	Rows []*model.BurdenTask
	Now  time.Time
}

// burdenFilter reads the list's filters (the page's and the export's).
func burdenFilter(q url.Values) store.BurdenTaskFilter {
	f := store.BurdenTaskFilter{Status: model.BurdenTaskStatus(q.Get("status")), OnList: q.Get("on_list"), Body: model.OwnerBody(q.Get("body")),
		Cursor: q.Get("cursor"), Limit: 30}
	f.Territory, _ = strconv.ParseInt(q.Get("territory"), 10, 64)
	f.Department, _ = strconv.ParseInt(q.Get("department"), 10, 64)
	f.Year, _ = strconv.Atoi(q.Get("year"))
	return f
}

func (wb *Web) burdenTasks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ctx, sc := r.Context(), scope(r)
	f := burdenFilter(q)
	p := &burdenListPage{Page: wb.base(r, wb.t("burden.title"), "burden"), Now: wb.st.Now()}
	pg, err := wb.st.BurdenTasks(ctx, sc, f)
	if err != nil {
		if !listRefused(&p.List, err) {
			return err
		}
		pg = &store.Page[*model.BurdenTask]{}
	}
	p.Rows = pg.Items
	p.Head = Head{Title: p.Title, Lead: wb.t("burden.lead")}
	if p.Can(authz.BurdenWrite) {
		p.Head.Actions = append(p.Head.Actions, Link{Label: wb.t("burden.new"), URL: "/burden/tasks/new", Icon: "plus", Primary: true})
	}
	p.Head.Actions = append(p.Head.Actions, Link{Label: wb.t("burden.view.title"), URL: "/burden/view", Icon: "star"},
		Link{Label: wb.t("burden.catalog.title"), URL: "/burden/catalog", Icon: "file"},
		Link{Label: wb.t("burden.export"), URL: withQuery("/burden/tasks.xlsx", burdenExportQuery(q)), Icon: "download"})
	comms, err := wb.st.BurdenCommunities(ctx, sc)
	if err != nil {
		return err
	}
	depts, err := wb.st.BurdenDepartments(ctx, sc, store.BurdenCatalogFilter{})
	if err != nil {
		return err
	}
	var fields []Filter
	if len(comms) > 1 {
		opts := []Option{{Label: wb.t("list.all")}}
		for _, c := range comms {
			opts = append(opts, Option{Value: strconv.FormatInt(c.ID, 10), Label: c.Name})
		}
		fields = append(fields, selectFilter("territory", wb.t("burden.col.community"), q.Get("territory"), opts...))
	}
	statuses := []Option{{Label: wb.t("list.all")}}
	for _, s := range model.BurdenTaskStatuses {
		statuses = append(statuses, Option{Value: string(s), Label: s.Label()})
	}
	deptOpts := []Option{{Label: wb.t("list.all")}}
	for _, d := range depts {
		deptOpts = append(deptOpts, Option{Value: strconv.FormatInt(d.ID, 10), Label: d.Name})
	}
	year := wb.st.Now().In(model.Shanghai).Year()
	years := []Option{{Label: wb.t("list.all")}}
	for y := year; y >= year-3; y-- {
		years = append(years, Option{Value: strconv.Itoa(y), Label: wb.t("burden.year", y)})
	}
	fields = append(fields, selectFilter("status", wb.t("burden.col.status"), q.Get("status"), statuses...),
		selectFilter("on_list", wb.t("burden.col.list"), q.Get("on_list"), Option{Label: wb.t("list.all")},
			Option{Value: "yes", Label: wb.t("burden.onlist.yes")}, Option{Value: "no", Label: wb.t("burden.onlist.no")}),
		selectFilter("department", wb.t("burden.col.department"), q.Get("department"), deptOpts...),
		selectFilter("body", wb.t("owner.filter"), q.Get("body"), Option{Label: wb.t("list.all")},
			Option{Value: string(model.OwnerParty), Label: wb.t("owner.party")}, Option{Value: string(model.OwnerCommittee), Label: wb.t("owner.committee")}),
		selectFilter("year", wb.t("burden.filter.year"), q.Get("year"), years...))
	p.Filters = FilterBar{Action: "/burden", Fields: fields}
	if len(cloneValues(burdenExportQuery(q))) > 0 {
		p.Filters.ClearURL = "/burden"
		p.Empty = wb.emptyFiltered("file", wb.t("burden.empty.filtered"), "/burden")
	} else {
		p.Empty = Empty{Icon: "file", Title: wb.t("burden.empty"), Text: wb.t("burden.empty.next")}
		if p.Can(authz.BurdenWrite) {
			p.Empty.Actions = []Link{{Label: wb.t("burden.new"), URL: "/burden/tasks/new", Primary: true}}
		}
	}
	p.Crumbs = []Crumb{{Name: p.Title}}
	p.Pager = newPager(wb.t("burden.total", pg.Total), "/burden", q, q.Get("cursor"), pg.Next)
	return wb.renderList(w, r, "burden/list", p)
}

// listRefused shows the filters the store refused above the list; it reports whether err was
// such a refusal.
func listRefused(l *List, err error) bool {
	f := newForm("filters", nil)
	if !f.fail(err) || len(f.Errors) == 0 {
		return false
	}
	l.Errors = f.Errors
	return true
}

// burdenExportQuery is the list's filters without the page's own parameters.
func burdenExportQuery(q url.Values) url.Values {
	out := url.Values{}
	for _, k := range []string{"territory", "status", "on_list", "department", "year", "body"} {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

// burdenExport downloads the filtered list as xlsx (at most importer.BurdenExportMax rows).
func (wb *Web) burdenExport(w http.ResponseWriter, r *http.Request) error {
	f := burdenFilter(r.URL.Query())
	f.Cursor = ""
	data, err := importer.BurdenTasks(r.Context(), wb.st, scope(r), f)
	if err != nil {
		return err
	}
	attachment(w, xlsxType, "交办事项登记.xlsx", "burden-tasks.xlsx")
	_, err = w.Write(data) // #nosec G705 -- an xlsx download (Content-Disposition: attachment) the importer wrote, not HTML
	return err
}

type burdenNewPage struct {
	Page
	Form        *Form
	Communities []*model.Territory
	Departments []*model.BurdenDepartment
	Duties      []*model.BurdenDuty
}

func (wb *Web) newBurdenTask(w http.ResponseWriter, r *http.Request) error {
	today := wb.st.Now().In(model.Shanghai).Format(time.DateOnly)
	v := url.Values{"received_on": {today}, "community_id": {r.URL.Query().Get("community")}, "body": {string(model.OwnerCommittee)}}
	return wb.burdenNewPageFor(w, r, http.StatusOK, newForm("task", v, burdenTaskFields...))
}

func (wb *Web) burdenNewPageFor(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	ctx, sc := r.Context(), scope(r)
	p := &burdenNewPage{Page: wb.base(r, wb.t("burden.new"), "burden"), Form: f}
	p.Crumbs = []Crumb{{Name: wb.t("burden.title"), URL: "/burden"}, {Name: p.Title}}
	var err error
	if p.Communities, err = wb.st.BurdenCommunities(ctx, sc); err != nil {
		return err
	}
	if len(p.Communities) == 1 && f.Values.Get("community_id") == "" {
		f.Values.Set("community_id", strconv.FormatInt(p.Communities[0].ID, 10))
	}
	// The catalogues of the chosen community; before one is chosen, all the caller reads.
	cf := store.BurdenCatalogFilter{ActiveOnly: true}
	if c, _ := strconv.ParseInt(f.Values.Get("community_id"), 10, 64); c > 0 {
		cf.Community = c
	}
	if p.Departments, err = wb.st.BurdenDepartments(ctx, sc, cf); err != nil && cf.Community != 0 {
		cf.Community = 0
		p.Departments, err = wb.st.BurdenDepartments(ctx, sc, cf)
	}
	if err != nil {
		return err
	}
	if p.Duties, err = wb.st.BurdenDuties(ctx, sc, cf); err != nil {
		return err
	}
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "burden/new", p)
}

func (wb *Web) createBurdenTask(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("task", r.PostForm, burdenTaskFields...)
	in := model.BurdenTaskInput{Body: model.OwnerBody(f.Values.Get("body")), Title: f.Values.Get("title"), Detail: f.Values.Get("detail"), ReceivedOn: f.Values.Get("received_on"), DueOn: f.Values.Get("due_on")}
	in.CommunityID, _ = strconv.ParseInt(f.Values.Get("community_id"), 10, 64)
	in.DepartmentID, _ = strconv.ParseInt(f.Values.Get("department_id"), 10, 64)
	in.DutyID, _ = strconv.ParseInt(f.Values.Get("duty_id"), 10, 64)
	t, err := wb.st.CreateBurdenTask(r.Context(), scope(r), in)
	if err != nil {
		if f.fail(err) {
			return wb.burdenNewPageFor(w, r, formStatus(err), f)
		}
		return err
	}
	done := "burden_received"
	if !t.OnList() {
		done = "burden_pending"
	}
	redirect(w, r, burdenTaskURL(t.ID), done)
	return nil
}

type burdenTaskPage struct {
	Page
	T        *model.BurdenTask
	Now      time.Time
	Accept   *Form
	Decision *Form
	Done     *Form
	Body     *Form // the owning body, to change it
}

func (wb *Web) burdenTaskPageFor(w http.ResponseWriter, r *http.Request, status int, fill func(p *burdenTaskPage)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := wb.st.BurdenTask(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	p := &burdenTaskPage{Page: wb.base(r, t.Title, "burden"), T: t, Now: wb.st.Now(),
		Accept: newForm("accept", nil), Decision: newForm("decision", nil, "reason"), Done: newForm("done", nil, "hours"),
		Body: newForm("tbody", url.Values{"body": {string(t.Body)}}, "body")}
	p.Crumbs = []Crumb{{Name: wb.t("burden.title"), URL: "/burden"}, {Name: wb.t("burden.task.crumb")}}
	if fill != nil {
		fill(p)
	}
	for _, f := range []*Form{p.Accept, p.Decision, p.Done, p.Body} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	return wb.render(w, r, status, "burden/task", p)
}

func (wb *Web) showBurdenTask(w http.ResponseWriter, r *http.Request) error {
	return wb.burdenTaskPageFor(w, r, http.StatusOK, nil)
}

// saveBurdenTaskBody moves a task to another owning body (POST /burden/tasks/{id}/body).
func (wb *Web) saveBurdenTaskBody(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := wb.st.SetBurdenTaskBody(r.Context(), scope(r), id, model.OwnerBody(r.PostForm.Get("body"))); err != nil {
		f := newForm("tbody", r.PostForm, "body")
		if f.fail(err) {
			return wb.burdenTaskPageFor(w, r, formStatus(err), func(p *burdenTaskPage) { p.Body = f })
		}
		return err
	}
	redirect(w, r, burdenTaskURL(id), "burden_body_saved")
	return nil
}

func (wb *Web) acceptBurdenTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := wb.st.AcceptBurdenTask(r.Context(), scope(r), id); err != nil {
		f := newForm("accept", r.PostForm)
		if f.fail(err) {
			return wb.burdenTaskPageFor(w, r, formStatus(err), func(p *burdenTaskPage) { p.Accept = f })
		}
		return err
	}
	redirect(w, r, burdenTaskURL(id), "burden_accepted")
	return nil
}

func (wb *Web) decideBurdenTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("decision", r.PostForm, "reason")
	in := model.BurdenDecisionInput{Approve: f.Values.Get("approve") == "1", Reason: f.Values.Get("reason")}
	if _, err := wb.st.DecideBurdenTask(r.Context(), scope(r), id, in); err != nil {
		if f.fail(err) {
			return wb.burdenTaskPageFor(w, r, formStatus(err), func(p *burdenTaskPage) { p.Decision = f })
		}
		return err
	}
	done := "burden_refused"
	if in.Approve {
		done = "burden_approved"
	}
	redirect(w, r, burdenTaskURL(id), done)
	return nil
}

func (wb *Web) finishBurdenTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("done", r.PostForm, "hours")
	m, err := model.BurdenMinutes("hours", f.Values.Get("hours"))
	if err == nil {
		_, err = wb.st.FinishBurdenTask(r.Context(), scope(r), id, m)
	}
	if err != nil {
		if f.fail(err) {
			return wb.burdenTaskPageFor(w, r, formStatus(err), func(p *burdenTaskPage) { p.Done = f })
		}
		return err
	}
	redirect(w, r, burdenTaskURL(id), "burden_done")
	return nil
}

type burdenViewPage struct {
	Page
	V            *model.BurdenView
	Territory    int64
	Nodes        []*model.Territory // the streets and communities the view can be narrowed to
	Years        []int
	MonthChart   string
	SenderChart  string
	ShareChart   string
	ECharts      string
	ChartJS      string
	TaskHours    string
	ServeHours   string
	ScopeName    string
	Communities  bool // more than one community: the table by community
	MonthsHidden bool
}

func (wb *Web) burdenViewPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ctx, sc := r.Context(), scope(r)
	year, err := strconv.Atoi(q.Get("year"))
	now := wb.st.Now().In(model.Shanghai).Year()
	if err != nil || year < now-10 || year > now {
		year = now
	}
	territory, _ := strconv.ParseInt(q.Get("territory"), 10, 64)
	v, err := wb.st.BurdenView(ctx, sc, territory, year)
	if err != nil {
		return err
	}
	p := &burdenViewPage{Page: wb.base(r, wb.t("burden.view.title"), "burden-view"), V: v, Territory: territory,
		ECharts: wb.assets.URL(analyticsEChartsFile), ChartJS: wb.assets.URL("analytics.js"),
		TaskHours: model.FormatHours(v.TaskMinutes), ServeHours: model.FormatHours(v.ServeMinutes), Communities: len(v.Communities) > 1}
	p.Crumbs = []Crumb{{Name: wb.t("burden.title"), URL: "/burden"}, {Name: p.Title}}
	for y := now; y >= now-3; y-- {
		p.Years = append(p.Years, y)
	}
	streets, err := wb.st.BurdenOwners(ctx, sc)
	if err != nil {
		return err
	}
	comms, err := wb.st.BurdenCommunities(ctx, sc)
	if err != nil {
		return err
	}
	for _, s := range streets {
		if s.Kind == model.KindStreet {
			p.Nodes = append(p.Nodes, s)
		}
	}
	p.Nodes = append(p.Nodes, comms...)
	p.ScopeName = wb.t("burden.view.scope.all")
	if territory != 0 {
		if t, err := wb.st.Territory(ctx, sc, territory); err == nil {
			p.ScopeName = t.Name
		}
	} else if len(comms) == 1 {
		p.ScopeName = comms[0].Name
	}
	hours := func(m int) float64 { return float64(m/6) / 10 } // one decimal, for the chart only
	var months []string
	var task, serve []float64
	for _, m := range v.Months {
		months = append(months, m.Month[5:]+"月")
		task, serve = append(task, hours(m.TaskMinutes)), append(serve, hours(m.ServeMinutes))
	}
	var senders []string
	var senderHours, senderTasks []float64
	for _, d := range v.Departments {
		senders = append(senders, d.Name)
		senderHours, senderTasks = append(senderHours, hours(d.Minutes)), append(senderTasks, float64(d.Tasks))
	}
	charts := []struct {
		dst  *string
		spec any
	}{
		{&p.MonthChart, map[string]any{"type": "series", "unit": wb.t("burden.hours.unit"), "categories": months, "series": []map[string]any{
			{"name": wb.t("burden.view.task"), "data": task, "color": "#c8161d"},
			{"name": wb.t("burden.view.serve"), "data": serve, "color": "#2e7d32"}}}},
		{&p.SenderChart, map[string]any{"type": "series", "unit": wb.t("burden.hours.unit"), "categories": senders, "series": []map[string]any{
			{"name": wb.t("burden.view.task"), "data": senderHours, "color": "#c8161d"},
			{"name": wb.t("burden.view.sender.tasks"), "data": senderTasks, "color": "#d4a017", "line": true}}}},
		{&p.ShareChart, map[string]any{"type": "pie", "data": []map[string]any{
			{"name": wb.t("burden.view.task"), "value": hours(v.TaskMinutes), "itemStyle": map[string]string{"color": "#c8161d"}},
			{"name": wb.t("burden.view.serve"), "value": hours(v.ServeMinutes), "itemStyle": map[string]string{"color": "#2e7d32"}}}}},
	}
	for _, c := range charts {
		b, err := json.Marshal(c.spec)
		if err != nil {
			return err
		}
		*c.dst = string(b)
	}
	return wb.render(w, r, http.StatusOK, "burden/view", p)
}

type burdenCatalogPage struct {
	Page
	Departments []*model.BurdenDepartment
	Duties      []*model.BurdenDuty
	Owners      []*model.Territory // the caller keeps catalogues for these (admins of streets and districts)
	Lines       []string
	Dept        *Form // the new department's form
	Duty        *Form
	Edit        *Form // an entry's form that failed ("entry" names it)
	All         bool  // unscoped: may keep the whole deployment's catalogue
	allLabel    string
}

// Keeps reports whether the caller keeps the catalogue entry kept at ownerPath.
func (p *burdenCatalogPage) Keeps(ownerPath string) bool {
	if p.All {
		return true
	}
	for _, o := range p.Owners {
		if len(ownerPath) >= len(o.Path) && ownerPath[:len(o.Path)] == o.Path {
			return true
		}
	}
	return false
}

// EditFor is the edit form of entry kind-id: the one that failed, or one with its values.
func (p *burdenCatalogPage) EditFor(kind string, id int64, v url.Values) *Form {
	key := kind + "-" + strconv.FormatInt(id, 10)
	if p.Edit != nil && p.Edit.Values.Get("entry") == key {
		return p.Edit
	}
	v.Set("entry", key)
	return newForm("edit-"+key, v, "code", "name", "basis", "line", "active")
}

// DeptValues are a department's values for its edit form.
func (p *burdenCatalogPage) DeptValues(d *model.BurdenDepartment) url.Values {
	return url.Values{"name": {d.Name}, "line": {d.Line}, "active": {boolValue(d.Active)}}
}

// DutyValues are a duty's values for its edit form.
func (p *burdenCatalogPage) DutyValues(d *model.BurdenDuty) url.Values {
	return url.Values{"code": {d.Code}, "name": {d.Name}, "basis": {d.Basis}, "active": {boolValue(d.Active)}}
}

// burdenSelect is a select field of the catalogue's forms.
type burdenSelect struct {
	Field
	Options []Option
}

// OwnerSelect is the owner field of form f: the streets and districts the caller keeps
// catalogues for (and the whole deployment, unscoped).
func (p *burdenCatalogPage) OwnerSelect(f *Form) burdenSelect {
	s := burdenSelect{Field: f.Field("owner_id")}
	if p.All {
		s.Options = append(s.Options, Option{Value: "", Label: p.allLabel})
	}
	for _, o := range p.Owners {
		s.Options = append(s.Options, Option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name})
	}
	return s
}

// LineSelect is the line field of form f.
func (p *burdenCatalogPage) LineSelect(f *Form) burdenSelect {
	s := burdenSelect{Field: f.Field("line")}
	for _, l := range p.Lines {
		s.Options = append(s.Options, Option{Value: l, Label: l})
	}
	return s
}

func boolValue(b bool) string {
	if b {
		return "1"
	}
	return ""
}

func (wb *Web) burdenCatalog(w http.ResponseWriter, r *http.Request) error {
	return wb.burdenCatalogFor(w, r, http.StatusOK, nil)
}

func (wb *Web) burdenCatalogFor(w http.ResponseWriter, r *http.Request, status int, fill func(p *burdenCatalogPage)) error {
	ctx, sc := r.Context(), scope(r)
	p := &burdenCatalogPage{Page: wb.base(r, wb.t("burden.catalog.title"), "burden-catalog"), Lines: model.BurdenLines, All: sc.All,
		allLabel: wb.t("burden.catalog.owner.all")}
	p.Crumbs = []Crumb{{Name: wb.t("burden.title"), URL: "/burden"}, {Name: p.Title}}
	var err error
	if p.Departments, err = wb.st.BurdenDepartments(ctx, sc, store.BurdenCatalogFilter{}); err != nil {
		return err
	}
	if p.Duties, err = wb.st.BurdenDuties(ctx, sc, store.BurdenCatalogFilter{}); err != nil {
		return err
	}
	if p.Owners, err = wb.st.BurdenOwners(ctx, sc); err != nil {
		return err
	}
	owner := ""
	if len(p.Owners) > 0 {
		owner = strconv.FormatInt(p.Owners[0].ID, 10)
	}
	p.Dept = newForm("dept", url.Values{"owner_id": {owner}}, "owner_id", "name", "line")
	p.Duty = newForm("duty", url.Values{"owner_id": {owner}}, "owner_id", "code", "name", "basis")
	if fill != nil {
		fill(p)
	}
	for _, f := range []*Form{p.Dept, p.Duty, p.Edit} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	return wb.render(w, r, status, "burden/catalog", p)
}

// saveBurdenDepartment creates (POST /burden/departments) or changes (…/{id}) a department.
func (wb *Web) saveBurdenDepartment(w http.ResponseWriter, r *http.Request) error {
	id, f, err := entryForm(w, r, "dept", "edit-department-", "owner_id", "code", "name", "basis", "line", "active")
	if err != nil {
		return err
	}
	in := model.BurdenDepartmentInput{Name: f.Values.Get("name"), Line: f.Values.Get("line"), Active: id == 0 || f.Values.Get("active") != ""}
	in.OwnerID, _ = strconv.ParseInt(f.Values.Get("owner_id"), 10, 64)
	if _, err := wb.st.SaveBurdenDepartment(r.Context(), scope(r), id, in); err != nil {
		if f.fail(err) {
			return wb.burdenCatalogFor(w, r, formStatus(err), func(p *burdenCatalogPage) {
				if id == 0 {
					p.Dept = f
				} else {
					p.Edit = f
				}
			})
		}
		return err
	}
	redirect(w, r, "/burden/catalog#departments", "burden_catalog_saved")
	return nil
}

// saveBurdenDuty creates (POST /burden/duties) or changes (…/{id}) a duty.
func (wb *Web) saveBurdenDuty(w http.ResponseWriter, r *http.Request) error {
	id, f, err := entryForm(w, r, "duty", "edit-duty-", "owner_id", "code", "name", "basis", "line", "active")
	if err != nil {
		return err
	}
	in := model.BurdenDutyInput{Code: f.Values.Get("code"), Name: f.Values.Get("name"), Basis: f.Values.Get("basis"), Active: id == 0 || f.Values.Get("active") != ""}
	in.OwnerID, _ = strconv.ParseInt(f.Values.Get("owner_id"), 10, 64)
	if _, err := wb.st.SaveBurdenDuty(r.Context(), scope(r), id, in); err != nil {
		if f.fail(err) {
			return wb.burdenCatalogFor(w, r, formStatus(err), func(p *burdenCatalogPage) {
				if id == 0 {
					p.Duty = f
				} else {
					p.Edit = f
				}
			})
		}
		return err
	}
	redirect(w, r, "/burden/catalog#duties", "burden_catalog_saved")
	return nil
}
