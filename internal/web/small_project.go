package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"gongzhi/internal/api"
	"gongzhi/internal/model"
)

// The proposals of budget rounds (民生微实事). A resident proposes on a phone: one screen, the
// place, one line of what, a few of why, the button at the bottom. A proposal's page shows its
// review, its approvals once decided, and a winner's milestones and photos; staff review it,
// start and complete a winner, add and tick milestones, upload photos (the API's photo route
// serves them, with the same session cookie). Residents read the proposer's role, never a name.

func projectURL(id int64) string { return "/projects/" + strconv.FormatInt(id, 10) }

var proposalFields = []string{"round_id", "territory_id", "title", "description"}

type proposalFormPage struct {
	Page
	Form   *Form
	Round  *model.BudgetRound
	Places []*model.Territory
}

func (wb *Web) newSmallProject(w http.ResponseWriter, r *http.Request) error {
	f := newForm("proposal", url.Values{"round_id": {r.URL.Query().Get("round")}}, proposalFields...)
	return wb.proposalForm(w, r, http.StatusOK, f)
}

func (wb *Web) proposalForm(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	ctx, sc := r.Context(), scope(r)
	round, err := strconv.ParseInt(strings.TrimSpace(f.Values.Get("round_id")), 10, 64)
	if err != nil || round <= 0 {
		return model.ErrNotFound
	}
	rd, err := wb.st.BudgetRound(ctx, sc, round)
	if err != nil {
		return err
	}
	p := &proposalFormPage{Page: wb.base(r, wb.t("budget.propose.title"), "projects"), Form: f, Round: rd}
	p.Crumbs = []Crumb{{Name: wb.t("budget.title"), URL: "/projects"}, {Name: rd.Title, URL: roundURL(rd.ID)}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	if p.Places, err = wb.st.BudgetPlaces(ctx, sc, round); err != nil {
		return err
	}
	return wb.render(w, r, status, "budget/new", p)
}

func (wb *Web) proposeProjectPage(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("proposal", r.PostForm, proposalFields...)
	in := model.SmallProjectInput{Title: f.Values.Get("title"), Description: f.Values.Get("description")}
	in.RoundID, _ = strconv.ParseInt(strings.TrimSpace(f.Values.Get("round_id")), 10, 64)
	in.TerritoryID, _ = strconv.ParseInt(strings.TrimSpace(f.Values.Get("territory_id")), 10, 64)
	p, err := wb.st.ProposeSmallProject(r.Context(), scope(r), in)
	if err != nil {
		var ve *model.ValidationError
		if errors.As(err, &ve) && len(ve.Fields) > 0 && ve.Fields[0].Field == "round_id" {
			return model.ErrNotFound // a round the caller does not read: no form to show it on
		}
		if f.fail(err) {
			return wb.proposalForm(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, projectURL(p.ID), "small_project_proposed")
	return nil
}

type smallProjectPage struct {
	Page
	Project   *model.SmallProject
	Round     *model.BudgetRound
	Manage    bool
	Review    *Form
	Milestone *Form
	Photos    *Form
	Act       *Form
}

func (wb *Web) projectPageFor(w http.ResponseWriter, r *http.Request, status int, fill func(p *smallProjectPage)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	x, err := wb.st.SmallProject(ctx, sc, id)
	if err != nil {
		return err
	}
	rd, err := wb.st.BudgetRound(ctx, sc, x.RoundID)
	if err != nil {
		return err
	}
	p := &smallProjectPage{Page: wb.base(r, x.Title, "projects"), Project: x, Round: rd, Manage: rd.Caller.Manage,
		Review: newForm("review", url.Values{"feasible": {"1"}}, "feasible", "cost", "note"), Milestone: newForm("milestone", nil, "title", "due_on"),
		Photos: newForm("photos", nil, "photos"), Act: newForm("act", nil)}
	p.Crumbs = []Crumb{{Name: wb.t("budget.title"), URL: "/projects"}, {Name: rd.Title, URL: roundURL(rd.ID)}, {Name: wb.t("budget.project.crumb")}}
	if fill != nil {
		fill(p)
	}
	for _, f := range []*Form{p.Review, p.Milestone, p.Photos, p.Act} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	return wb.render(w, r, status, "budget/project", p)
}

func (wb *Web) showSmallProject(w http.ResponseWriter, r *http.Request) error {
	return wb.projectPageFor(w, r, http.StatusOK, nil)
}

// reviewProject records a review, from the round's page (back=round: errors shown there, by
// the proposal) or from the proposal's.
func (wb *Web) reviewProject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	back := r.PostForm.Get("back") == "round"
	name := "review"
	if back {
		name = "review-" + strconv.FormatInt(id, 10)
	}
	f := newForm(name, r.PostForm, "feasible", "cost", "note")
	in := model.ReviewInput{Feasible: f.Values.Get("feasible") == "1", Cost: f.Values.Get("cost"), Note: f.Values.Get("note")}
	if v := f.Values.Get("feasible"); v != "1" && v != "0" {
		f.add("feasible", wb.t("budget.review.choose"))
	}
	var x *model.SmallProject
	var rerr error
	if !f.Invalid() {
		if x, rerr = wb.st.ReviewSmallProject(r.Context(), scope(r), id, in); rerr != nil && !f.fail(rerr) {
			return rerr
		}
	}
	if f.Invalid() {
		if back {
			p, err := wb.st.SmallProject(r.Context(), scope(r), id)
			if err != nil {
				return err
			}
			f.Values.Set("project", strconv.FormatInt(id, 10))
			r.SetPathValue("id", strconv.FormatInt(p.RoundID, 10))
			return wb.roundPageFor(w, r, formStatus(rerr), func(rp *roundPage) { rp.Review = f })
		}
		return wb.projectPageFor(w, r, formStatus(rerr), func(p *smallProjectPage) { p.Review = f })
	}
	if back {
		redirect(w, r, roundURL(x.RoundID)+"#project-"+strconv.FormatInt(id, 10), "small_project_reviewed")
		return nil
	}
	redirect(w, r, projectURL(id), "small_project_reviewed")
	return nil
}

// actProject starts or completes a winner.
func (wb *Web) actSmallProject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("act", r.PostForm)
	if _, err := wb.st.TransitionSmallProject(r.Context(), scope(r), id, model.SmallProjectAction(f.Values.Get("action"))); err != nil {
		if f.fail(err) {
			return wb.projectPageFor(w, r, formStatus(err), func(p *smallProjectPage) { p.Act = f })
		}
		return err
	}
	redirect(w, r, projectURL(id), "small_project_moved")
	return nil
}

func (wb *Web) addProjectMilestone(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("milestone", r.PostForm, "title", "due_on")
	if _, err := wb.st.AddSmallProjectMilestone(r.Context(), scope(r), id, model.MilestoneInput{Title: f.Values.Get("title"), DueOn: f.Values.Get("due_on")}); err != nil {
		if f.fail(err) {
			return wb.projectPageFor(w, r, formStatus(err), func(p *smallProjectPage) { p.Milestone = f })
		}
		return err
	}
	redirect(w, r, projectURL(id)+"#milestones", "sp_milestone_added")
	return nil
}

func (wb *Web) tickProjectMilestone(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("act", r.PostForm)
	m, err := strconv.ParseInt(strings.TrimSpace(f.Values.Get("milestone_id")), 10, 64)
	if err != nil || m <= 0 {
		return model.ErrNotFound
	}
	if _, err := wb.st.TickSmallProjectMilestone(r.Context(), scope(r), id, m); err != nil {
		if f.fail(err) {
			return wb.projectPageFor(w, r, formStatus(err), func(p *smallProjectPage) { p.Act = f })
		}
		return err
	}
	redirect(w, r, projectURL(id)+"#milestones", "sp_milestone_ticked")
	return nil
}

// addProjectPhotos takes the photo upload form: back to the project, or the page again with
// every error and nothing stored.
func (wb *Web) addProjectPhotos(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := newForm("photos", url.Values{}, "photos")
	r.Body = http.MaxBytesReader(w, r.Body, api.ActivityUploadLimit)
	// #nosec G120 -- the body is bounded by the MaxBytesReader just above
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			f.add("photos", wb.t("unitact.photos.too_large", model.PhotosPerEntry, model.PhotoMax>>20))
		case errors.Is(err, http.ErrNotMultipart), errors.Is(err, http.ErrMissingBoundary):
			f.add("photos", wb.t("unitact.form.malformed"))
		default:
			return err
		}
		return wb.projectPageFor(w, r, http.StatusUnprocessableEntity, func(p *smallProjectPage) { p.Photos = f })
	}
	defer r.MultipartForm.RemoveAll()
	photos, err := api.FormPhotos(r)
	if err == nil {
		_, err = wb.st.AddSmallProjectPhotos(r.Context(), scope(r), id, photos)
	}
	if err != nil {
		if f.fail(err) {
			for i, e := range f.Errors {
				if n, ok := strings.CutPrefix(e.Field, "photos["); ok {
					k, _ := strconv.Atoi(strings.TrimSuffix(n, "]"))
					f.Errors[i] = model.FieldError{Field: "photos", Message: wb.t("unitact.photo.nth", k+1) + e.Message}
				}
			}
			return wb.projectPageFor(w, r, formStatus(err), func(p *smallProjectPage) { p.Photos = f })
		}
		return err
	}
	redirect(w, r, fmt.Sprintf("%s#photos", projectURL(id)), "photos_added")
	return nil
}
