package web

import (
	"errors"
	"net/http"
	"strconv"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// ID numbers registered twice (登记冲突): the records an administrator whose scope holds both
// sides resolves, by moving the existing resident into the requesting household or rejecting
// the attempt. The requester saw only model.DuplicateIDMessage.

type conflictsPage struct {
	Page
	List
	Rows []*model.IDConflict
}

func (wb *Web) conflicts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	status := q.Get("status")
	if _, ok := q["status"]; !ok {
		status = string(model.ConflictOpen)
	}
	if status != "" && !model.ConflictStatus(status).Valid() {
		return model.ErrNotFound
	}
	pg, err := wb.st.IDConflicts(r.Context(), scope(r), store.ConflictFilter{Status: model.ConflictStatus(status), Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	p := &conflictsPage{Page: wb.base(r, wb.t("conflicts.title"), "conflicts"), Rows: pg.Items}
	p.Head = Head{Title: p.Title, Lead: wb.t("conflicts.lead")}
	statuses := []Option{{Label: wb.t("list.all")}}
	for _, s := range []model.ConflictStatus{model.ConflictOpen, model.ConflictTransferred, model.ConflictRejected} {
		statuses = append(statuses, Option{Value: string(s), Label: wb.t("conflict.status." + string(s))})
	}
	p.Filters = FilterBar{Action: "/conflicts", Fields: []Filter{selectFilter("status", wb.t("conflicts.filter.status"), status, statuses...)}}
	p.Note = wb.t("conflicts.masked")
	p.Empty = Empty{Icon: "check", Title: wb.t("conflicts.empty"), Text: wb.t("conflicts.empty.next")}
	p.Crumbs = append(wb.scopeCrumbs(r, territoryURL), Crumb{Name: p.Title})
	p.Pager = newPager(wb.t("conflicts.total", strconv.FormatInt(pg.Total, 10)), "/conflicts", q, q.Get("cursor"), pg.Next)
	return wb.renderList(w, r, "conflicts/list", p)
}

type conflictPage struct {
	Page
	C        *model.IDConflict
	Transfer *Form
	Reject   *Form
}

func (wb *Web) conflictPage(w http.ResponseWriter, r *http.Request, status int, transfer, reject *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := wb.st.IDConflict(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	p := &conflictPage{Page: wb.base(r, wb.t("conflict.title"), "conflicts"), C: c, Transfer: transfer, Reject: reject}
	p.Crumbs = append(wb.scopeCrumbs(r, territoryURL), Crumb{Name: wb.t("conflicts.title"), URL: "/conflicts"}, Crumb{Name: c.Attempt.Name})
	if transfer.Invalid() {
		p.Failed = transfer
	} else if reject.Invalid() {
		p.Failed = reject
	}
	return wb.render(w, r, status, "conflicts/show", p)
}

func conflictForms() (transfer, reject *Form) {
	return newForm("transfer", nil, "note", "household_id"), newForm("reject", nil, "note")
}

func (wb *Web) conflict(w http.ResponseWriter, r *http.Request) error {
	t, rj := conflictForms()
	return wb.conflictPage(w, r, http.StatusOK, t, rj)
}

func (wb *Web) transferConflict(w http.ResponseWriter, r *http.Request) error {
	return wb.decideConflict(w, r, true)
}

func (wb *Web) rejectConflict(w http.ResponseWriter, r *http.Request) error {
	return wb.decideConflict(w, r, false)
}

func (wb *Web) decideConflict(w http.ResponseWriter, r *http.Request, transfer bool) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	tf, rf := conflictForms()
	f, done := rf, "conflict_rejected"
	if transfer {
		f, done = tf, "conflict_transferred"
	}
	f.Values = r.PostForm
	note := r.PostForm.Get("note")
	if transfer {
		var household int64
		if v := r.PostForm.Get("household_id"); v != "" {
			if household, err = strconv.ParseInt(v, 10, 64); err != nil || household <= 0 {
				f.add("household_id", wb.t("conflict.household.bad"))
				return wb.conflictPage(w, r, http.StatusUnprocessableEntity, tf, rf)
			}
		}
		_, err = wb.st.TransferIDConflict(r.Context(), scope(r), id, household, note)
	} else {
		_, err = wb.st.RejectIDConflict(r.Context(), scope(r), id, note)
	}
	if err != nil {
		var ve *model.ValidationError
		if f.fail(err) {
			status := http.StatusConflict
			if errors.As(err, &ve) {
				status = http.StatusUnprocessableEntity
			}
			return wb.conflictPage(w, r, status, tf, rf)
		}
		return err
	}
	redirect(w, r, "/conflicts", done)
	return nil
}
