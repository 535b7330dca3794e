package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The units' five joint activities (issue 9 items 5–7) on the pages: a unit leader on a phone
// records an activity with a photo (category chips, today's date, every household ticked, a
// sentence, the camera) and sees the unit's records; staff see the records of their area and
// the coverage of the units with the list of those needing attention. Photos are shown from
// the API's photo route (the same session cookie), the one place that serves them.

type activityListPage struct {
	Page
	Unit     *model.Unit // nil: the records of the caller's area
	Path     string      // the list's own URL path, for the next page
	Items    []*model.UnitActivity
	Next     string
	Total    int64
	Category string
	Cats     []model.ActivityCategory
	CanWrite bool
}

// unitActivities lists a unit's records (newest first) with the button to record one.
func (wb *Web) unitActivities(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u, err := wb.st.Unit(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	return wb.activityList(w, r, u)
}

// myActivities is the area's records for staff; a unit leader goes to its own unit's.
func (wb *Web) myActivities(w http.ResponseWriter, r *http.Request) error {
	if sc := scope(r); sc.Role == model.RoleUnitLeader && sc.Unit != 0 {
		http.Redirect(w, r, fmt.Sprintf("/units/%d/activities", sc.Unit), http.StatusSeeOther)
		return nil
	}
	return wb.activityList(w, r, nil)
}

func (wb *Web) activityList(w http.ResponseWriter, r *http.Request, u *model.Unit) error {
	q := r.URL.Query()
	f := store.UnitActivityFilter{Category: model.ActivityCategory(q.Get("category")), Cursor: q.Get("cursor"), Limit: 20}
	if !f.Category.Valid() {
		f.Category = ""
	}
	title := wb.t("unitact.list.title")
	if u != nil {
		f.UnitID = u.ID
		title = wb.t("unitact.unit.title", u.Name)
	}
	p, err := wb.st.UnitActivities(r.Context(), scope(r), f)
	if errors.Is(err, store.ErrBadCursor) {
		redirect(w, r, r.URL.Path, "")
		return nil
	}
	if err != nil {
		return err
	}
	d := &activityListPage{Page: wb.base(r, title, "unit-activities"), Unit: u, Items: p.Items, Next: p.Next, Total: p.Total,
		Category: string(f.Category), Cats: model.ActivityCategories, Path: r.URL.Path}
	d.CanWrite = u != nil && u.Active() && d.Can(authz.UnitActivityWrite)
	d.Crumbs = []Crumb{{Name: title}}
	return wb.render(w, r, http.StatusOK, "units/activity_list", d)
}

type activityFormPage struct {
	Page
	Unit        *model.Unit
	Households  []*model.Household
	Cats        []model.ActivityCategory
	Form        *Form
	Ticked      map[int64]bool
	Today       string
	PhotoErrors []string
	MaxPhotos   int
	MaxMB       int
}

// newActivityForm is the record form: today's date and every household ticked.
func (wb *Web) newActivityForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return wb.activityFormFor(w, r, http.StatusOK, id, nil)
}

func (wb *Web) activityFormFor(w http.ResponseWriter, r *http.Request, status int, unitID int64, f *Form) error {
	ctx, sc := r.Context(), scope(r)
	u, err := wb.st.Unit(ctx, sc, unitID)
	if err != nil {
		return err
	}
	if sc.Role == model.RoleUnitLeader && !sc.All && sc.Unit != u.ID {
		return model.ErrNotFound
	}
	hs, err := wb.st.UnitHouseholds(ctx, sc, unitID)
	if err != nil {
		return err
	}
	today := time.Now().In(model.Shanghai).Format(time.DateOnly)
	if f == nil {
		v := url.Values{"date": {today}}
		for _, h := range hs {
			v.Add("households", strconv.FormatInt(h.ID, 10))
		}
		f = newForm("activity", v, "category", "date", "households", "description", "photos")
	}
	d := &activityFormPage{Page: wb.base(r, wb.t("unitact.new.title"), "unit-activities"), Unit: u, Households: hs, Cats: model.ActivityCategories,
		Form: f, Ticked: map[int64]bool{}, Today: today, MaxPhotos: model.PhotosPerEntry, MaxMB: model.PhotoMax >> 20}
	for _, s := range f.Values["households"] {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			d.Ticked[n] = true
		}
	}
	for _, e := range f.Errors {
		if e.Field == "photos" {
			d.PhotoErrors = append(d.PhotoErrors, e.Message)
		}
	}
	if f.Invalid() {
		d.Failed = f
	}
	d.Crumbs = []Crumb{{Name: wb.t("unitact.unit.title", u.Name), URL: fmt.Sprintf("/units/%d/activities", u.ID)}, {Name: d.Title}}
	return wb.render(w, r, status, "units/activity_new", d)
}

// recordActivity takes the record form with its photos: back to the unit's records, or the
// form again with every error (the input kept, the photos to choose again) and nothing stored.
func (wb *Web) recordActivity(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := newForm("activity", url.Values{}, "category", "date", "households", "description", "photos")
	r.Body = http.MaxBytesReader(w, r.Body, api.ActivityUploadLimit)
	// #nosec G120 -- the body is bounded by the MaxBytesReader just above
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			f.add("photos", wb.t("unitact.photos.too_large", model.PhotosPerEntry, model.PhotoMax>>20))
			return wb.activityFormFor(w, r, http.StatusUnprocessableEntity, id, f)
		case errors.Is(err, http.ErrNotMultipart), errors.Is(err, http.ErrMissingBoundary):
			f.add("photos", wb.t("unitact.form.malformed"))
			return wb.activityFormFor(w, r, http.StatusUnprocessableEntity, id, f)
		}
		return err
	}
	defer r.MultipartForm.RemoveAll()
	f.Values = url.Values(r.MultipartForm.Value)
	in, photos, err := api.ReadActivityForm(r)
	if err == nil {
		_, err = wb.st.RecordUnitActivity(r.Context(), scope(r), id, in, photos)
	}
	if err != nil {
		if f.fail(err) {
			// photos[2] → photos, with the photo's number in the message, so the summary links
			// to the one file input.
			for i, e := range f.Errors {
				if n, ok := strings.CutPrefix(e.Field, "photos["); ok {
					k, _ := strconv.Atoi(strings.TrimSuffix(n, "]"))
					f.Errors[i] = model.FieldError{Field: "photos", Message: wb.t("unitact.photo.nth", k+1) + e.Message}
				}
			}
			return wb.activityFormFor(w, r, http.StatusUnprocessableEntity, id, f)
		}
		return err
	}
	redirect(w, r, fmt.Sprintf("/units/%d/activities", id), "unitact_recorded")
	return nil
}

type coveragePage struct {
	Page
	Node      *model.UnitCoverage
	Children  []*model.UnitCoverage
	Attention *store.Page[*store.UnitAttention]
	Cats      []model.ActivityCategory
}

// unitCoverage is the staff's coverage page: the node's four measures, a row per child node,
// and the units needing attention.
func (wb *Web) unitCoverage(w http.ResponseWriter, r *http.Request) error {
	var territory int64
	if v := r.URL.Query().Get("territory"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return model.ErrNotFound
		}
		territory = n
	}
	ctx, sc := r.Context(), scope(r)
	top, children, err := wb.st.UnitCoverage(ctx, sc, territory)
	if err != nil {
		return err
	}
	att, err := wb.st.UnitsNeedingAttention(ctx, sc, top.TerritoryID, 50, r.URL.Query().Get("cursor"))
	if errors.Is(err, store.ErrBadCursor) {
		redirect(w, r, r.URL.Path, "")
		return nil
	}
	if err != nil {
		return err
	}
	d := &coveragePage{Page: wb.base(r, wb.t("unitact.coverage.title"), "unit-coverage"), Node: top, Children: children, Attention: att, Cats: model.ActivityCategories}
	d.Crumbs = []Crumb{{Name: d.Title, URL: "/units/coverage"}, {Name: top.TerritoryName}}
	return wb.render(w, r, http.StatusOK, "units/coverage", d)
}
