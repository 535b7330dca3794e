package web

import (
	"net/http"
	"strconv"
	"strings"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The resources list of the three lists (三张清单): 资源清单 with its filters, a resource's page
// with the projects using it, and the form staff record what a co-building unit or a party
// member offers with. The offerer's phone shows masked (model.Sensitive).

type resourcesPage struct {
	Page
	Items    []*model.Resource
	Total    int64
	Next     string
	Kind     string
	Status   string
	Q        string
	Kinds    []model.ResourceKind
	Statuses []model.ResourceStatus
}

func (wb *Web) listResources(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &resourcesPage{Page: wb.base(r, wb.t("lists.resources.title"), "lists-resources"), Kind: q.Get("kind"), Status: q.Get("status"), Q: strings.TrimSpace(q.Get("q")),
		Kinds: model.ResourceKinds, Statuses: []model.ResourceStatus{model.ResourceAvailable, model.ResourceWithdrawn}}
	p.Crumbs = []Crumb{{Name: wb.t("lists.crumb")}, {Name: p.Title}}
	page, err := wb.st.Resources(r.Context(), scope(r), store.ResourceFilter{Kind: model.ResourceKind(p.Kind), Status: model.ResourceStatus(p.Status), Q: p.Q, Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	p.Items, p.Total, p.Next = page.Items, page.Total, page.Next
	return wb.render(w, r, http.StatusOK, "lists/resources", p)
}

type resourcePage struct {
	Page
	Resource *model.Resource
	Projects []*model.Project
}

func (wb *Web) showResource(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	x, err := wb.st.Resource(ctx, sc, id)
	if err != nil {
		return err
	}
	p := &resourcePage{Page: wb.base(r, x.Title, "lists-resources"), Resource: x}
	p.Crumbs = []Crumb{{Name: wb.t("lists.crumb")}, {Name: wb.t("lists.resources.title"), URL: "/lists/resources"}, {Name: x.Title}}
	projects, err := wb.st.Projects(ctx, sc, store.ProjectFilter{Resource: id})
	if err != nil {
		return err
	}
	p.Projects = projects.Items
	return wb.render(w, r, http.StatusOK, "lists/resource", p)
}

func (wb *Web) setResourceStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	to := model.ResourceStatus(r.PostForm.Get("status"))
	if _, err := wb.st.SetResourceStatus(r.Context(), scope(r), id, to); err != nil {
		return err
	}
	redirect(w, r, "/lists/resources/"+strconv.FormatInt(id, 10), "resource_"+string(to))
	return nil
}

var resourceFields = []string{"kind", "title", "description", "tags", "capacity", "amount", "availability", "territory_id", "organization_id", "member_id"}

type resourceFormPage struct {
	Page
	Form          *Form
	Kinds         []model.ResourceKind
	Nodes         []territoryOption
	Organizations []*model.Organization
	Members       []*model.Member
}

func (wb *Web) newResource(w http.ResponseWriter, r *http.Request) error {
	return wb.resourceForm(w, r, http.StatusOK, newForm("resource", nil, resourceFields...))
}

func (wb *Web) resourceForm(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	ctx, sc := r.Context(), scope(r)
	p := &resourceFormPage{Page: wb.base(r, wb.t("lists.resource.new"), "lists-resources"), Form: f, Kinds: model.ResourceKinds}
	p.Crumbs = []Crumb{{Name: wb.t("lists.crumb")}, {Name: wb.t("lists.resources.title"), URL: "/lists/resources"}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	var err error
	if p.Nodes, err = wb.listNodes(r, model.KindCommunity, model.KindResidentGroup, model.KindGrid, model.KindCompound, model.KindBuilding); err != nil {
		return err
	}
	orgs, err := wb.st.Organizations(ctx, sc, store.OrganizationFilter{Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	p.Organizations = orgs.Items
	members, err := wb.st.Members(ctx, sc, store.MemberFilter{Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	p.Members = members.Items
	return wb.render(w, r, status, "lists/resource_new", p)
}

func (wb *Web) createResource(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("resource", r.PostForm, resourceFields...)
	in := model.ResourceInput{Kind: model.ResourceKind(f.Values.Get("kind")), Title: f.Values.Get("title"), Description: f.Values.Get("description"),
		Tags: f.Values.Get("tags"), Availability: f.Values.Get("availability")}
	in.TerritoryID, _ = strconv.ParseInt(f.Values.Get("territory_id"), 10, 64)
	in.OrganizationID, _ = strconv.ParseInt(f.Values.Get("organization_id"), 10, 64)
	in.MemberID, _ = strconv.ParseInt(f.Values.Get("member_id"), 10, 64)
	if s := strings.TrimSpace(f.Values.Get("capacity")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			f.add("capacity", wb.t("lists.capacity.bad"))
		}
		in.Capacity = n
	}
	if s := strings.TrimSpace(f.Values.Get("amount")); s != "" {
		fen, why := model.ParseYuan(s)
		if why != "" {
			f.add("amount", why)
		}
		in.AmountFen = fen
	}
	if f.Invalid() {
		return wb.resourceForm(w, r, http.StatusUnprocessableEntity, f)
	}
	x, err := wb.st.CreateResource(r.Context(), scope(r), in)
	if err != nil {
		if !f.fail(err) {
			return err
		}
		for i, e := range f.Errors {
			if e.Field == "amount_fen" { // the form asks in yuan
				f.Errors[i].Field = "amount"
			}
		}
		return wb.resourceForm(w, r, http.StatusUnprocessableEntity, f)
	}
	redirect(w, r, "/lists/resources/"+strconv.FormatInt(x.ID, 10), "resource_created")
	return nil
}
