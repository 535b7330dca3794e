package web

import (
	"net/http"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

func residentsURL(id int64) string { return link("/residents", "territory", id) }

// residentsData is the resident list; ID numbers and phones are always masked here.
type residentsData struct {
	Page
	List
	Rows []residentRow
}

type residentRow struct {
	*model.Resident
	Location string
}

// residents lists the residents of a subtree, filtered by name and political status.
func (wb *Web) residents(w http.ResponseWriter, r *http.Request) error {
	ctx, sc := r.Context(), scope(r)
	under, crumbs, err := wb.listFilter(r, residentsURL)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := &residentsData{Page: wb.base(r, wb.t("residents.title"), "residents")}
	d.Crumbs = crumbs
	f := store.ResidentFilter{Q: strings.TrimSpace(q.Get("q")), Limit: listLimit, Cursor: q.Get("cursor")}
	if s := model.PoliticalStatus(q.Get("political_status")); s.Label() != "" {
		f.PoliticalStatus = s
	}
	if under != nil {
		f.Under = under.ID
	}
	d.Head = Head{Title: d.Title, Lead: wb.listLead(under)}
	search := searchFilter("q", wb.t("residents.filter.q"), f.Q, wb.t("residents.filter.q.placeholder"))
	search.Grow = true
	d.Filters = FilterBar{Action: "/residents", Live: true, Hidden: underHidden(under), Fields: []Filter{search}}
	if sc.CanSee(authz.FieldPoliticalStatus) {
		statuses := []Option{{Label: wb.t("list.all")}}
		for _, s := range model.PoliticalStatuses {
			statuses = append(statuses, Option{Value: string(s), Label: wb.t("political." + string(s))})
		}
		d.Filters.Fields = append(d.Filters.Fields, selectFilter("political_status", wb.t("residents.filter.status"), string(f.PoliticalStatus), statuses...))
	}
	d.Note = wb.t("residents.masked")
	if f.Q != "" || f.PoliticalStatus != "" {
		d.Filters.ClearURL = underURL("/residents", under)
		d.Empty = wb.emptyFiltered("people", wb.t("residents.empty.filtered"), d.Filters.ClearURL)
	} else {
		d.Empty = wb.emptyRegister(d.Page, "people", wb.t("residents.empty"), wb.t("residents.empty.next"), underURL("/households/new", under))
	}
	page, err := wb.st.Residents(ctx, sc, f)
	if err != nil {
		return err
	}
	// Residents carry their node, not its path: read the nodes, then label them by path.
	var ids []int64
	seen := map[int64]bool{}
	for _, res := range page.Items {
		if !seen[res.TerritoryID] {
			seen[res.TerritoryID] = true
			ids = append(ids, res.TerritoryID)
		}
	}
	nodes, err := wb.st.TerritoriesByID(ctx, sc, ids)
	if err != nil {
		return err
	}
	paths := make([]string, 0, len(nodes))
	for _, n := range nodes {
		paths = append(paths, n.Path)
	}
	loc, err := wb.newLocator(ctx, sc, contextPath(r, under), paths)
	if err != nil {
		return err
	}
	for _, res := range page.Items {
		row := residentRow{Resident: res}
		if n, ok := nodes[res.TerritoryID]; ok {
			row.Location = loc.label(n.Path)
		}
		d.Rows = append(d.Rows, row)
	}
	d.Pager = newPager(wb.t("residents.total", formatNum(page.Total)), "/residents", q, f.Cursor, page.Next)
	return wb.renderList(w, r, "residents/list", d)
}

// residentEditData is the form that changes one resident. The ID number and phone are shown
// masked; a role that may see them in full may type a new value (left empty, the stored one
// stays), so the form never reveals them. Fields the role may not see are not offered.
type residentEditData struct {
	Page
	Resident  *model.Resident
	Household *model.Household
	Form      *Form
	Relations []model.Relation
	Statuses  []model.PoliticalStatus // none when the role may not see the political status
	EditID    bool                    // the role may set a new ID number
	EditPhone bool                    // the role may set a new phone
}

var residentEditFields = []string{"name", "relation", "id_number", "phone", "political_status", "occupation"}

// residentEditPage renders the edit form of resident {id} with f.
func (wb *Web) residentEditPage(w http.ResponseWriter, r *http.Request, status int, res *model.Resident, f *Form) error {
	ctx, sc := r.Context(), scope(r)
	h, err := wb.st.Household(ctx, sc, res.HouseholdID)
	if err != nil {
		return err
	}
	d := &residentEditData{Page: wb.base(r, wb.t("resident.edit.title"), "households"), Resident: res, Household: h, Form: f,
		EditID: sc.CanSee(authz.FieldIDNumber), EditPhone: sc.CanSee(authz.FieldPhone)}
	if sc.CanSee(authz.FieldPoliticalStatus) {
		d.Statuses = model.PoliticalStatuses
	}
	for _, rel := range model.Relations {
		// One head per household: 户主 is offered when there is none, or to the head.
		if rel != model.RelationHead || h.HeadName == "" || res.Relation == model.RelationHead {
			d.Relations = append(d.Relations, rel)
		}
	}
	crumbs, err := wb.householdCrumbs(ctx, sc, h, d.Title)
	if err != nil {
		return err
	}
	d.Crumbs = crumbs
	if f.Invalid() {
		d.Failed = f
	}
	return wb.render(w, r, status, "residents/edit", d)
}

// editResidentForm shows resident {id}'s fields to change.
func (wb *Web) editResidentForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	res, err := wb.st.Resident(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	f := newForm("resident", nil, residentEditFields...)
	f.Values.Set("name", res.Name)
	f.Values.Set("relation", string(res.Relation))
	f.Values.Set("political_status", string(res.PoliticalStatus))
	f.Values.Set("occupation", res.Occupation)
	return wb.residentEditPage(w, r, http.StatusOK, res, f)
}

// editResident changes resident {id} through the same store call as the API's PATCH
// (store.PatchResident: one transaction, the model's validators, history and audit). Only
// the fields the form offers to the role are read from the post.
func (wb *Web) editResident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	v := r.PostForm
	name, occupation := v.Get("name"), v.Get("occupation")
	relation := model.Relation(v.Get("relation"))
	p := model.ResidentPatch{Name: &name, Relation: &relation, Occupation: &occupation}
	if sc.CanSee(authz.FieldPoliticalStatus) {
		ps := model.PoliticalStatus(v.Get("political_status"))
		p.PoliticalStatus = &ps
	}
	if n := strings.TrimSpace(v.Get("id_number")); n != "" && sc.CanSee(authz.FieldIDNumber) {
		p.IDNumber = &n
	}
	if sc.CanSee(authz.FieldPhone) {
		phone := strings.TrimSpace(v.Get("phone"))
		switch {
		case phone != "":
			p.Phone = &phone
		case v.Get("phone_clear") != "":
			p.Phone = &phone // "" clears it
		}
	}
	res, err := wb.st.PatchResident(ctx, sc, id, p)
	if err != nil {
		f := newForm("resident", v, residentEditFields...)
		if !f.fail(err) {
			return err
		}
		old, rerr := wb.st.Resident(ctx, sc, id)
		if rerr != nil {
			return rerr
		}
		return wb.residentEditPage(w, r, http.StatusUnprocessableEntity, old, f)
	}
	redirect(w, r, householdURL(res.HouseholdID), "resident_updated")
	return nil
}
