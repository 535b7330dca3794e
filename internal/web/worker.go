package web

import (
	"net/http"
	"net/url"
	"strconv"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Community workers' pages (社区工作者, issue 12 item 3): the roster of the caller's
// communities with its filter bar, coverage and pager; the form to add a worker; a worker's
// page with its grids, trainings, recruitment steps, the edit form and the audited reveal of
// its phone and ID number. Visits are visit.go's.

func workerURL(id int64) string { return "/workers/" + strconv.FormatInt(id, 10) }

type workersPage struct {
	Page
	List
	Rows []*model.Worker
}

func (wb *Web) listWorkers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.WorkerFilter{Q: q.Get("q"), Position: q.Get("position"), Qualification: model.Qualification(q.Get("qualification")),
		Status: q.Get("status"), Phone: q.Get("phone"), Cursor: q.Get("cursor")}
	f.Territory, _ = strconv.ParseInt(q.Get("territory"), 10, 64)
	p := &workersPage{Page: wb.base(r, wb.t("workers.title"), "workers")}
	p.Head = Head{Title: p.Title, Lead: wb.t("workers.lead"), Actions: []Link{
		{Label: wb.t("visits.unvisited.title"), URL: "/visits/unvisited", Icon: "map"},
		{Label: wb.t("workers.new"), URL: "/workers/new", Icon: "plus", Primary: true}}}
	quals := []Option{{Label: wb.t("list.all")}}
	for _, x := range model.Qualifications {
		quals = append(quals, Option{Value: string(x), Label: x.Label()})
	}
	positions := []Option{{Label: wb.t("list.all")}}
	for _, x := range model.WorkerPositions {
		positions = append(positions, Option{Value: x, Label: x})
	}
	statuses := []Option{{Label: wb.t("workers.status.active")}, {Value: "left", Label: wb.t("workers.status.left")}, {Value: "all", Label: wb.t("list.all")}}
	p.Filters = FilterBar{Action: "/workers", Live: true, Fields: []Filter{
		searchFilter("q", wb.t("workers.filter.q"), f.Q, wb.t("workers.filter.q.placeholder")),
		selectFilter("position", wb.t("workers.col.position"), f.Position, positions...),
		selectFilter("qualification", wb.t("workers.col.qualification"), string(f.Qualification), quals...),
		selectFilter("status", wb.t("workers.filter.status"), f.Status, statuses...),
		searchFilter("phone", wb.t("workers.filter.phone"), f.Phone, wb.t("workers.filter.phone.placeholder")),
	}}
	p.Filters.Fields[0].Grow = true
	if f.Territory != 0 {
		p.Filters.Hidden = []Filter{{Name: "territory", Value: strconv.FormatInt(f.Territory, 10)}}
	}
	if len(q) > 0 {
		p.Filters.ClearURL = "/workers"
	}
	p.Note = wb.t("workers.note.masked")
	p.Empty = Empty{Icon: "people", Title: wb.t("workers.empty"), Text: wb.t("workers.empty.next"),
		Actions: []Link{{Label: wb.t("workers.new"), URL: "/workers/new", Primary: true}}}
	p.Crumbs = append(wb.scopeCrumbs(r, territoryURL), Crumb{Name: p.Title})
	pg, err := wb.st.Workers(r.Context(), scope(r), f)
	if err != nil {
		if !p.fail(err) {
			return err
		}
		pg = &store.Page[*model.Worker]{}
	}
	p.Rows = pg.Items
	p.Pager = newPager(wb.t("workers.total", strconv.FormatInt(pg.Total, 10)), "/workers", q, q.Get("cursor"), pg.Next)
	return wb.renderList(w, r, "workers/list", p)
}

var workerFields = []string{"community_id", "name", "position", "qualification", "phone", "id_number", "hired_on", "left_on"}

type workerFormPage struct {
	Page
	Form           *Form
	Communities    []territoryOption
	Qualifications []model.Qualification
	Positions      []string
}

func (wb *Web) newWorker(w http.ResponseWriter, r *http.Request) error {
	return wb.workerForm(w, r, http.StatusOK, newForm("worker", url.Values{"qualification": {string(model.QualNone)}}, workerFields...))
}

func (wb *Web) workerForm(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	p := &workerFormPage{Page: wb.base(r, wb.t("workers.new"), "workers"), Form: f, Qualifications: model.Qualifications, Positions: model.WorkerPositions}
	p.Crumbs = []Crumb{{Name: wb.t("workers.title"), URL: "/workers"}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	var err error
	if p.Communities, err = wb.listNodes(r, model.KindCommunity); err != nil {
		return err
	}
	if len(p.Communities) == 1 && f.Values.Get("community_id") == "" {
		f.Values.Set("community_id", strconv.FormatInt(p.Communities[0].ID, 10))
	}
	return wb.render(w, r, status, "workers/new", p)
}

func workerInput(f *Form) model.WorkerInput {
	in := model.WorkerInput{Name: f.Values.Get("name"), Position: f.Values.Get("position"), Qualification: model.Qualification(f.Values.Get("qualification")),
		Phone: f.Values.Get("phone"), IDNumber: f.Values.Get("id_number"), HiredOn: f.Values.Get("hired_on"), LeftOn: f.Values.Get("left_on")}
	in.CommunityID, _ = strconv.ParseInt(f.Values.Get("community_id"), 10, 64)
	return in
}

func (wb *Web) createWorker(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("worker", r.PostForm, workerFields...)
	wk, err := wb.st.CreateWorker(r.Context(), scope(r), workerInput(f))
	if err != nil {
		if f.fail(err) {
			return wb.workerForm(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, workerURL(wk.ID), "worker_created")
	return nil
}

type workerPage struct {
	Page
	W              *model.Worker
	Grids          []territoryOption
	Assigned       map[int64]bool
	Form           *Form // the edit form
	Training       *Form
	Recruitment    *Form
	Revealed       *store.Revealed
	Qualifications []model.Qualification
	Positions      []string
	Stages         []model.RecruitStage
	Visits         []*model.Visit
}

func (wb *Web) showWorker(w http.ResponseWriter, r *http.Request) error {
	return wb.workerPageFor(w, r, http.StatusOK, nil, nil, nil, nil)
}

// workerPageFor renders a worker's page; a form that failed is shown with its errors.
func (wb *Web) workerPageFor(w http.ResponseWriter, r *http.Request, status int, edit, training, recruitment *Form, revealed *store.Revealed) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return model.ErrNotFound
	}
	wk, err := wb.st.Worker(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	p := &workerPage{Page: wb.base(r, wk.Name, "workers"), W: wk, Revealed: revealed, Qualifications: model.Qualifications,
		Positions: model.WorkerPositions, Stages: model.RecruitStages, Assigned: map[int64]bool{}}
	p.Crumbs = []Crumb{{Name: wb.t("workers.title"), URL: "/workers"}, {Name: wk.Name}}
	for _, g := range wk.Grids {
		p.Assigned[g.ID] = true
	}
	if p.Grids, err = wb.gridsOf(r, wk.CommunityID); err != nil {
		return err
	}
	if edit == nil {
		edit = newForm("edit", url.Values{"name": {wk.Name}, "position": {wk.Position}, "qualification": {string(wk.Qualification)},
			"hired_on": {wk.HiredOn}, "left_on": {wk.LeftOn}}, workerFields...)
	}
	if training == nil {
		training = newForm("training", url.Values{"date": {wb.st.Now().In(model.Shanghai).Format("2006-01-02")}}, "date", "title", "hours")
	}
	if recruitment == nil {
		recruitment = newForm("recruitment", url.Values{"result": {string(model.ResultPassed)}}, "stage", "date", "result", "score", "note")
	}
	p.Form, p.Training, p.Recruitment = edit, training, recruitment
	for _, f := range []*Form{edit, training, recruitment} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	vs, err := wb.st.Visits(r.Context(), scope(r), store.VisitFilter{WorkerID: wk.ID, Limit: 10})
	if err == nil {
		p.Visits = vs.Items
	}
	return wb.render(w, r, status, "workers/show", p)
}

// gridsOf lists the grids of community id in the caller's scope.
func (wb *Web) gridsOf(r *http.Request, community int64) ([]territoryOption, error) {
	page, err := wb.st.Territories(r.Context(), scope(r), store.TerritoryFilter{Under: community, Kind: model.KindGrid, Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	var out []territoryOption
	for _, t := range page.Items {
		if t.ArchivedAt == nil {
			out = append(out, territoryOption{ID: t.ID, Label: t.Name})
		}
	}
	return out, nil
}

func (wb *Web) updateWorker(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return model.ErrNotFound
	}
	f := newForm("edit", r.PostForm, workerFields...)
	if _, err := wb.st.UpdateWorker(r.Context(), scope(r), id, workerInput(f)); err != nil {
		if f.fail(err) {
			return wb.workerPageFor(w, r, formStatus(err), f, nil, nil, nil)
		}
		return err
	}
	redirect(w, r, workerURL(id), "worker_updated")
	return nil
}

func (wb *Web) setWorkerGrids(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return model.ErrNotFound
	}
	var grids []int64
	for _, s := range r.PostForm["grid_id"] {
		g, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return &model.ValidationError{Fields: []model.FieldError{{Field: "grid_ids", Message: "网格编号无效"}}}
		}
		grids = append(grids, g)
	}
	if _, err := wb.st.SetWorkerGrids(r.Context(), scope(r), id, grids); err != nil {
		return err
	}
	redirect(w, r, workerURL(id), "worker_grids")
	return nil
}

func (wb *Web) addWorkerTraining(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return model.ErrNotFound
	}
	f := newForm("training", r.PostForm, "date", "title", "hours")
	in := model.TrainingInput{On: f.Values.Get("date"), Title: f.Values.Get("title"), Hours: f.Values.Get("hours")}
	if _, err := wb.st.AddWorkerTraining(r.Context(), scope(r), id, in); err != nil {
		if f.fail(err) {
			return wb.workerPageFor(w, r, formStatus(err), nil, f, nil, nil)
		}
		return err
	}
	redirect(w, r, workerURL(id)+"#trainings", "worker_training")
	return nil
}

func (wb *Web) addWorkerRecruitment(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return model.ErrNotFound
	}
	f := newForm("recruitment", r.PostForm, "stage", "date", "result", "score", "note")
	in := model.RecruitmentInput{Stage: model.RecruitStage(f.Values.Get("stage")), On: f.Values.Get("date"), Result: model.RecruitResult(f.Values.Get("result")),
		Score: f.Values.Get("score"), Note: f.Values.Get("note")}
	if _, err := wb.st.AddWorkerRecruitment(r.Context(), scope(r), id, in); err != nil {
		if f.fail(err) {
			return wb.workerPageFor(w, r, formStatus(err), nil, nil, f, nil)
		}
		return err
	}
	redirect(w, r, workerURL(id)+"#recruitment", "worker_recruitment")
	return nil
}

// revealWorker shows the worker's page with its phone and ID number in full, once, after the
// store recorded the reveal (no redirect: the values are not kept anywhere).
func (wb *Web) revealWorker(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return model.ErrNotFound
	}
	v, err := wb.st.RevealWorker(r.Context(), scope(r), id, r.PostForm.Get("reason"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return wb.workerPageFor(w, r, http.StatusOK, nil, nil, nil, &v)
}
