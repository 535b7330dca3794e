package web

import (
	"errors"
	"net/http"
	"strings"

	"gongzhi/internal/api"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// auditData is the audit log search: the same filters as GET /api/v1/audit, and below it the
// form that verifies the chain (POST /audit/verify) for the roles that may.
type auditData struct {
	Page
	List
	Rows   []*model.AuditRecord
	Verify *Form
}

// audit searches the audit log within the caller's scope, newest first. Bad filters are shown
// above the table with an empty result, not as an error page.
func (wb *Web) audit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d := &auditData{Page: wb.base(r, wb.t("audit.title"), "audit"), Verify: newForm("verify", nil, "expect_head")}
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

// auditVerifyData is the outcome of a verification with the form to run another.
type auditVerifyData struct {
	Page
	Form   *Form
	Result *store.AuditVerification // nil when the expected head was malformed and nothing ran
}

// verifyAudit walks the keyed audit chain, against the head the auditor recorded earlier when
// one is given (expect_head "ID:HASH"), and shows the result and the current head to record.
// A malformed head, or one the log does not hold (truncated, replaced or forged), is 422 with
// the error on the field; every verification that ran is an audit record (store.CheckAudit).
func (wb *Web) verifyAudit(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := newForm("verify", r.PostForm, "expect_head")
	d := &auditVerifyData{Page: wb.base(r, wb.t("audit.verify.title"), "audit"), Form: f}
	var expect *store.AuditHead
	if raw := strings.TrimSpace(r.PostForm.Get("expect_head")); raw != "" {
		h, err := store.ParseAuditHead(raw)
		if f.fail(err) {
			d.Failed = f
			return wb.render(w, r, http.StatusUnprocessableEntity, "audit/verify", d)
		} else if err != nil {
			return err
		}
		expect = &h
	}
	v, err := wb.st.CheckAudit(r.Context(), scope(r), expect)
	if err != nil {
		return err
	}
	d.Result = v
	status := http.StatusOK
	if v.ExpectedReason != "" {
		f.add("expect_head", v.ExpectedReason)
		d.Failed, status = f, http.StatusUnprocessableEntity
	}
	return wb.render(w, r, status, "audit/verify", d)
}
