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
