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
	Actor, Subject, Action, Result, From, To string
	Results                                  []model.AuditResult
	Rows                                     []*model.AuditRecord
	Pager                                    Pager
	Filtered                                 bool
	Errors                                   []model.FieldError
}

// audit searches the audit log within the caller's scope, newest first. Bad filters are shown
// above the table with an empty result, not as an error page.
func (wb *Web) audit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d := &auditData{Page: wb.base(r, wb.t("audit.title"), "audit"), Actor: q.Get("actor"), Subject: q.Get("subject"),
		Action: q.Get("action"), Result: q.Get("result"), From: q.Get("from"), To: q.Get("to"),
		Results: []model.AuditResult{model.AuditOK, model.AuditDenied, model.AuditFailed}}
	d.Filtered = d.Actor != "" || d.Subject != "" || d.Action != "" || d.Result != "" || d.From != "" || d.To != ""
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
