package web

import (
	"net/http"
	"strconv"
	"strings"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The needs list of the three lists (三张清单): 需求清单 with its filters and the suggestions
// derived from recurring orders (adopted with one button), a need's page with its projects and
// the way to the matching page, and the form staff record a need with.

type needsPage struct {
	Page
	Items       []*model.Need
	Total       int64
	Next        string
	Status      string
	Source      string
	Q           string
	Statuses    []model.NeedStatus
	Sources     []model.NeedSource
	Suggestions []*model.NeedSuggestion
}

func (wb *Web) listNeeds(w http.ResponseWriter, r *http.Request) error {
	ctx, sc, q := r.Context(), scope(r), r.URL.Query()
	p := &needsPage{Page: wb.base(r, wb.t("lists.needs.title"), "lists-needs"), Status: q.Get("status"), Source: q.Get("source"), Q: strings.TrimSpace(q.Get("q")),
		Statuses: model.NeedStatuses, Sources: model.NeedSources}
	p.Crumbs = []Crumb{{Name: wb.t("lists.crumb")}, {Name: p.Title}}
	page, err := wb.st.Needs(ctx, sc, store.NeedFilter{Status: model.NeedStatus(p.Status), Source: model.NeedSource(p.Source), Q: p.Q, Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	p.Items, p.Total, p.Next = page.Items, page.Total, page.Next
	if p.Suggestions, err = wb.st.NeedSuggestions(ctx, sc, 0); err != nil {
		return err
	}
	return wb.render(w, r, http.StatusOK, "lists/needs", p)
}

// adoptNeed records the need a suggestion from recurring orders describes (the form carries
// the order category and the node; the store recomputes nothing else from the request).
func (wb *Web) adoptNeed(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	cat, _ := strconv.ParseInt(r.PostForm.Get("order_category_id"), 10, 64)
	node, _ := strconv.ParseInt(r.PostForm.Get("territory_id"), 10, 64)
	ss, err := wb.st.NeedSuggestions(ctx, sc, 0)
	if err != nil {
		return err
	}
	for _, s := range ss {
		if s.OrderCategoryID == cat && s.TerritoryID == node {
			n, err := wb.st.CreateNeed(ctx, sc, s.Input())
			if err != nil {
				return err
			}
			redirect(w, r, "/lists/needs/"+strconv.FormatInt(n.ID, 10), "need_adopted")
			return nil
		}
	}
	redirect(w, r, "/lists/needs", "need_adopt_gone")
	return nil
}

type needPage struct {
	Page
	Need     *model.Need
	Projects []*model.Project
}

func (wb *Web) showNeed(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	n, err := wb.st.Need(ctx, sc, id)
	if err != nil {
		return err
	}
	p := &needPage{Page: wb.base(r, n.Title, "lists-needs"), Need: n}
	p.Crumbs = []Crumb{{Name: wb.t("lists.crumb")}, {Name: wb.t("lists.needs.title"), URL: "/lists/needs"}, {Name: n.Title}}
	projects, err := wb.st.Projects(ctx, sc, store.ProjectFilter{Need: id})
	if err != nil {
		return err
	}
	p.Projects = projects.Items
	return wb.render(w, r, http.StatusOK, "lists/need", p)
}

func (wb *Web) setNeedStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	to := model.NeedStatus(r.PostForm.Get("status"))
	if _, err := wb.st.SetNeedStatus(r.Context(), scope(r), id, to); err != nil {
		return err
	}
	redirect(w, r, "/lists/needs/"+strconv.FormatInt(id, 10), "need_"+string(to))
	return nil
}

var needFields = []string{"title", "description", "category", "wants", "territory_id", "households"}

type needFormPage struct {
	Page
	Form  *Form
	Nodes []territoryOption
	Kinds []model.ResourceKind
}

func (wb *Web) newNeed(w http.ResponseWriter, r *http.Request) error {
	return wb.needForm(w, r, http.StatusOK, newForm("need", nil, needFields...))
}

func (wb *Web) needForm(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	p := &needFormPage{Page: wb.base(r, wb.t("lists.need.new"), "lists-needs"), Form: f, Kinds: model.ResourceKinds}
	p.Crumbs = []Crumb{{Name: wb.t("lists.crumb")}, {Name: wb.t("lists.needs.title"), URL: "/lists/needs"}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	var err error
	if p.Nodes, err = wb.listNodes(r, model.KindCommunity, model.KindResidentGroup, model.KindGrid, model.KindCompound); err != nil {
		return err
	}
	return wb.render(w, r, status, "lists/need_new", p)
}

func (wb *Web) createNeed(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("need", r.PostForm, needFields...)
	in := model.NeedInput{Title: f.Values.Get("title"), Description: f.Values.Get("description"), Category: f.Values.Get("category"),
		Wants: model.ResourceKind(f.Values.Get("wants")), Source: model.NeedFromStaff}
	in.TerritoryID, _ = strconv.ParseInt(f.Values.Get("territory_id"), 10, 64)
	if s := strings.TrimSpace(f.Values.Get("households")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			f.add("households", wb.t("lists.households.bad"))
			return wb.needForm(w, r, http.StatusUnprocessableEntity, f)
		}
		in.Households = n
	}
	n, err := wb.st.CreateNeed(r.Context(), scope(r), in)
	if err != nil {
		if !f.fail(err) {
			return err
		}
		return wb.needForm(w, r, http.StatusUnprocessableEntity, f)
	}
	redirect(w, r, "/lists/needs/"+strconv.FormatInt(n.ID, 10), "need_created")
	return nil
}

// listNodes lists the nodes of the scope of the given kinds, labelled with their parent, for
// the forms' selects.
func (wb *Web) listNodes(r *http.Request, kinds ...model.TerritoryKind) ([]territoryOption, error) {
	page, err := wb.st.Territories(r.Context(), scope(r), store.TerritoryFilter{Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	var out []territoryOption
	for _, t := range page.Items {
		names[t.ID] = t.Name
		ok := false
		for _, k := range kinds {
			ok = ok || t.Kind == k
		}
		if !ok || t.ArchivedAt != nil {
			continue
		}
		label := t.Name
		if t.ParentID != 0 && names[t.ParentID] != "" && t.Kind != model.KindCommunity {
			label = names[t.ParentID] + " › " + t.Name
		}
		out = append(out, territoryOption{ID: t.ID, Label: label})
	}
	return out, nil
}
