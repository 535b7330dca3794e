package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The projects list of the three lists (三张清单) and the matching page (需求对接): staff pick a
// need and see the resources ranked for it, one line each saying why; 对接 proposes a project,
// which the community's staff approve on its page, where milestones are added and ticked.

type projectsPage struct {
	Page
	Items    []*model.Project
	Total    int64
	Next     string
	Status   string
	Statuses []model.ProjectStatus
}

func (wb *Web) listProjects(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &projectsPage{Page: wb.base(r, wb.t("lists.projects.title"), "lists-projects"), Status: q.Get("status"), Statuses: model.ProjectStatuses}
	p.Crumbs = []Crumb{{Name: wb.t("lists.crumb")}, {Name: p.Title}}
	page, err := wb.st.Projects(r.Context(), scope(r), store.ProjectFilter{Status: model.ProjectStatus(p.Status), Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	p.Items, p.Total, p.Next = page.Items, page.Total, page.Next
	return wb.render(w, r, http.StatusOK, "lists/projects", p)
}

type projectPage struct {
	Page
	Project   *model.Project
	Actions   []model.ProjectAction
	Approve   bool // it waits for the community's approval (the form shows to list.approve)
	Tickable  bool // milestones may be ticked
	Open      bool // milestones may be added
	Milestone *Form
	Act       *Form
}

func (wb *Web) showProject(w http.ResponseWriter, r *http.Request) error {
	return wb.projectPage(w, r, http.StatusOK, nil, nil)
}

func (wb *Web) projectPage(w http.ResponseWriter, r *http.Request, status int, milestone, act *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pr, err := wb.st.Project(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	p := &projectPage{Page: wb.base(r, pr.Title, "lists-projects"), Project: pr, Milestone: milestone, Act: act}
	p.Crumbs = []Crumb{{Name: wb.t("lists.crumb")}, {Name: wb.t("lists.projects.title"), URL: "/lists/projects"}, {Name: pr.Title}}
	if p.Can("list.write") {
		p.Approve = pr.Status == model.ProjectProposed
		p.Actions = model.ProjectActions(pr.Status, false)
		p.Tickable = pr.Status == model.ProjectApproved || pr.Status == model.ProjectInProgress
		p.Open = pr.Status.Live()
	}
	if p.Milestone == nil {
		p.Milestone = newForm("milestone", nil, "title", "due_on")
	}
	if p.Act == nil {
		p.Act = newForm("act", nil, "reason")
	}
	for _, f := range []*Form{p.Milestone, p.Act} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	return wb.render(w, r, status, "lists/project", p)
}

// actProject takes one transition from the project's page: approve or reject (list.approve,
// its own route) or start, complete, cancel.
func (wb *Web) actProject(w http.ResponseWriter, r *http.Request) error {
	return wb.transitionProject(w, r, false)
}

func (wb *Web) approveProject(w http.ResponseWriter, r *http.Request) error {
	return wb.transitionProject(w, r, true)
}

func (wb *Web) transitionProject(w http.ResponseWriter, r *http.Request, approval bool) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("act", r.PostForm, "reason")
	in := model.ProjectTransitionInput{Action: model.ProjectAction(f.Values.Get("action")), Reason: f.Values.Get("reason")}
	if isApproval := in.Action == model.ProjectApprove || in.Action == model.ProjectReject; isApproval != approval {
		f.add("action", wb.t("lists.action.bad"))
		return wb.projectPage(w, r, http.StatusUnprocessableEntity, nil, f)
	}
	if _, err := wb.st.TransitionProject(r.Context(), scope(r), id, in); err != nil {
		if !f.fail(err) {
			return err
		}
		return wb.projectPage(w, r, http.StatusUnprocessableEntity, nil, f)
	}
	redirect(w, r, "/lists/projects/"+strconv.FormatInt(id, 10), "project_"+string(in.Action))
	return nil
}

func (wb *Web) addMilestone(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("milestone", r.PostForm, "title", "due_on")
	if _, err := wb.st.AddMilestone(r.Context(), scope(r), id, model.MilestoneInput{Title: f.Values.Get("title"), DueOn: f.Values.Get("due_on")}); err != nil {
		if !f.fail(err) {
			return err
		}
		return wb.projectPage(w, r, http.StatusUnprocessableEntity, f, nil)
	}
	redirect(w, r, "/lists/projects/"+strconv.FormatInt(id, 10), "milestone_added")
	return nil
}

func (wb *Web) tickMilestone(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	mid, _ := strconv.ParseInt(r.PostForm.Get("milestone_id"), 10, 64)
	if _, err := wb.st.TickMilestone(r.Context(), scope(r), id, mid); err != nil {
		f := newForm("act", nil, "reason")
		if !f.fail(err) {
			return err
		}
		return wb.projectPage(w, r, http.StatusConflict, nil, f)
	}
	redirect(w, r, "/lists/projects/"+strconv.FormatInt(id, 10), "milestone_done")
	return nil
}

// matchPage is the matching page: the open needs to pick from, and for the picked one the
// ranked resources, each with the form that proposes the project.
type matchPage struct {
	Page
	Needs   []*model.Need
	Need    *model.Need
	Matches []model.ResourceMatch
	Form    *Form // the proposal that failed (its resource_id says which row)
	Today   string
}

// Rank is the 1-based rank of the i-th match.
func (*matchPage) Rank(i int) int { return i + 1 }

// Suggest is the project title the form proposes for a resource.
func (p *matchPage) Suggest(r *model.Resource) string { return model.SuggestProjectTitle(p.Need, r) }

// FormFor is the proposal form of a resource's row: the failed one for its row, else fresh.
func (p *matchPage) FormFor(r *model.Resource) *Form {
	if p.Form != nil && p.Form.Values.Get("resource_id") == strconv.FormatInt(r.ID, 10) {
		return p.Form
	}
	f := newForm("match-"+strconv.FormatInt(r.ID, 10), nil, "title", "owner", "starts_on")
	f.Values.Set("title", p.Suggest(r))
	f.Values.Set("starts_on", p.Today)
	return f
}

func (wb *Web) matchNeeds(w http.ResponseWriter, r *http.Request) error {
	return wb.matchPage(w, r, http.StatusOK, nil)
}

func (wb *Web) matchPage(w http.ResponseWriter, r *http.Request, status int, failed *Form) error {
	ctx, sc := r.Context(), scope(r)
	p := &matchPage{Page: wb.base(r, wb.t("lists.match.title"), "lists-match"), Form: failed, Today: time.Now().In(model.Shanghai).Format(time.DateOnly)}
	p.Crumbs = []Crumb{{Name: wb.t("lists.crumb")}, {Name: p.Title}}
	needs, err := wb.st.Needs(ctx, sc, store.NeedFilter{Status: model.NeedOpen, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	p.Needs = needs.Items
	needID, _ := strconv.ParseInt(r.URL.Query().Get("need"), 10, 64)
	if failed != nil {
		needID, _ = strconv.ParseInt(failed.Values.Get("need_id"), 10, 64)
		p.Failed = failed
	}
	if needID != 0 {
		p.Need, p.Matches, err = wb.st.ResourceMatches(ctx, sc, needID)
		if errors.Is(err, model.ErrNotFound) && failed != nil {
			p.Need, err = nil, nil // the failed proposal named a need out of reach: its error says so
		}
		if err != nil {
			return err
		}
	}
	return wb.render(w, r, status, "lists/match", p)
}

// proposeProject is 对接 on the matching page: a proposed project for the need and the row's
// resource, then its page, where the community approves it.
func (wb *Web) proposeProject(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("match-"+r.PostForm.Get("resource_id"), r.PostForm, "title", "owner", "starts_on")
	in := model.ProjectInput{Title: f.Values.Get("title"), Owner: f.Values.Get("owner"), StartsOn: f.Values.Get("starts_on"), Reason: f.Values.Get("reason")}
	in.NeedID, _ = strconv.ParseInt(f.Values.Get("need_id"), 10, 64)
	in.ResourceID, _ = strconv.ParseInt(f.Values.Get("resource_id"), 10, 64)
	p, err := wb.st.ProposeProject(r.Context(), scope(r), in)
	if err != nil {
		if !f.fail(err) {
			return err
		}
		return wb.matchPage(w, r, http.StatusUnprocessableEntity, f)
	}
	redirect(w, r, "/lists/projects/"+strconv.FormatInt(p.ID, 10), "project_proposed")
	return nil
}
