package web

import (
	"errors"
	"net/http"

	"gongzhi/internal/api"
	"gongzhi/internal/model"
)

// auditData is the audit log search: the same filters as GET /api/v1/audit.
type auditData struct {
	Page
	List
	Rows []*model.AuditRecord
}

// audit searches the audit log within the caller's scope, newest first. Bad filters are shown
// above the table with an empty result, not as an error page.
func (wb *Web) audit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d := &auditData{Page: wb.base(r, wb.t("audit.title"), "audit")}
	d.Head = Head{Title: d.Title, Lead: wb.t("audit.lead")}
	text := func(name, label, placeholder string, max int) Filter {
		f := searchFilter(name, label, q.Get(name), placeholder)
		f.MaxLength = max
		return f
	}
	results := []Option{{Label: wb.t("list.all")}}
	for _, res := range []model.AuditResult{model.AuditOK, model.AuditDenied, model.AuditFailed} {
		results = append(results, Option{Value: string(res), Label: wb.t("audit.result." + string(res))})
	}
	d.Filters = FilterBar{Action: "/audit", Fields: []Filter{
		text("actor", wb.t("audit.filter.actor"), wb.t("audit.filter.actor.placeholder"), 64),
		text("subject", wb.t("audit.filter.subject"), wb.t("audit.filter.subject.placeholder"), 80),
		text("action", wb.t("audit.filter.action"), wb.t("audit.filter.action.placeholder"), 80),
		selectFilter("result", wb.t("audit.filter.result"), q.Get("result"), results...),
		{Name: "from", Label: wb.t("audit.filter.from"), Value: q.Get("from"), Type: "date"},
		{Name: "to", Label: wb.t("audit.filter.to"), Value: q.Get("to"), Type: "date"},
	}}
	d.Note = wb.t("audit.note")
	d.Empty = Empty{Icon: "file", Title: wb.t("audit.empty")}
	for _, name := range []string{"actor", "subject", "action", "result", "from", "to"} {
		if q.Get(name) != "" {
			d.Filters.ClearURL = "/audit"
			d.Empty.Title = wb.t("audit.empty.filtered")
		}
	}
	f, errs := api.ParseAuditFilter(q.Get)
	f.Limit, f.Cursor = listLimit, q.Get("cursor")
	if len(errs) > 0 {
		d.Errors = errs
		d.Pager = Pager{Summary: wb.t("audit.shown", "0")}
		return wb.renderList(w, r, "audit/list", d)
	}
	page, err := wb.st.AuditLog(r.Context(), scope(r), f)
	var v *model.ValidationError
	if errors.As(err, &v) {
		d.Errors = v.Fields
		d.Pager = Pager{Summary: wb.t("audit.shown", "0")}
		return wb.renderList(w, r, "audit/list", d)
	} else if err != nil {
		return err
	}
	d.Rows = page.Items
	summary := wb.t("audit.shown", formatNum(len(page.Items)))
	d.Pager = newPager(summary, "/audit", q, f.Cursor, page.Next)
	return wb.renderList(w, r, "audit/list", d)
}
