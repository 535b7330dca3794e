package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Transfers of organizational relations (组织关系转接) at a desk: the list of the transfers in
// scope with the import of a signed file from another deployment and the deployment's keys; one
// transfer with its accept and return forms (and, once a transfer out is accepted, its signed
// file); the request form lives on the member's page.

func transferURL(id int64) string { return "/party/transfers/" + strconv.FormatInt(id, 10) }

type transfersPage struct {
	Page
	List
	Rows     []*model.Transfer
	Import   *Form
	Keys     *Form
	Orgs     []*model.Org
	OwnKey   *model.TransferKey
	Trusted  []*model.TransferKey
	CanWrite bool
	CanKeys  bool
}

func (wb *Web) transfersPage(w http.ResponseWriter, r *http.Request, status int, imp, keys *Form) error {
	q := r.URL.Query()
	ctx, sc := r.Context(), scope(r)
	f := store.TransferFilter{Status: model.TransferStatus(q.Get("status")), Cursor: q.Get("cursor")}
	p := &transfersPage{Page: wb.base(r, wb.t("transfers.title"), "party-transfers"), Import: imp, Keys: keys}
	p.CanWrite, p.CanKeys = p.Can(authz.PartyMemberWrite), p.Can(authz.PartyOrgWrite)
	p.Head = Head{Title: p.Title, Lead: wb.t("transfers.lead")}
	statuses := []Option{{Label: wb.t("list.all")}}
	for _, s := range model.TransferStatuses {
		statuses = append(statuses, Option{Value: string(s), Label: s.Label()})
	}
	p.Filters = FilterBar{Action: "/party/transfers", Fields: []Filter{selectFilter("status", wb.t("transfers.filter.status"), string(f.Status), statuses...)}}
	if len(cloneValues(q)) > 0 {
		p.Filters.ClearURL = "/party/transfers"
	}
	p.Empty = Empty{Icon: "move", Title: wb.t("transfers.empty"), Text: wb.t("transfers.empty.next")}
	p.Crumbs = append(wb.scopeCrumbs(r, territoryURL), Crumb{Name: p.Title})
	pg, err := wb.st.Transfers(ctx, sc, f)
	if err != nil {
		if !p.fail(err) {
			return err
		}
		pg = &store.Page[*model.Transfer]{}
	}
	p.Rows = pg.Items
	p.Pager = newPager(wb.t("transfers.total", strconv.FormatInt(pg.Total, 10)), "/party/transfers", q, q.Get("cursor"), pg.Next)
	if p.CanWrite {
		if p.Orgs, err = wb.memberOrgChoices(r); err != nil {
			return err
		}
	}
	if p.CanKeys {
		if p.OwnKey, err = wb.st.OwnTransferKey(ctx, wb.opts.SiteName); err != nil {
			return err
		}
		if p.Trusted, err = wb.st.TrustedTransferKeys(ctx); err != nil {
			return err
		}
	}
	switch {
	case imp.Invalid():
		p.Failed = imp
	case keys.Invalid():
		p.Failed = keys
	}
	if isHTMX(r) && htmxTarget(r) == "results" {
		return wb.renderList(w, r, "party/transfer_list", p)
	}
	return wb.render(w, r, status, "party/transfer_list", p)
}

func transferForms() (imp, keys *Form) {
	return newForm("transfer-import", nil, "file", "to_org_id"), newForm("transfer-key", nil, "name", "public_key")
}

func (wb *Web) transfers(w http.ResponseWriter, r *http.Request) error {
	imp, keys := transferForms()
	return wb.transfersPage(w, r, http.StatusOK, imp, keys)
}

// importTransferPage records an uploaded signed transfer file as a transfer in.
func (wb *Web) importTransferPage(w http.ResponseWriter, r *http.Request) error {
	imp, keys := transferForms()
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	// #nosec G120 -- the body is bounded by the MaxBytesReader just above
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		imp.add("file", wb.t("transfers.import.file.missing"))
		return wb.transfersPage(w, r, http.StatusUnprocessableEntity, imp, keys)
	}
	defer r.MultipartForm.RemoveAll()
	imp.Values.Set("to_org_id", r.PostForm.Get("to_org_id"))
	org, _ := strconv.ParseInt(r.PostForm.Get("to_org_id"), 10, 64)
	file, _, err := r.FormFile("file")
	if err != nil {
		imp.add("file", wb.t("transfers.import.file.missing"))
		return wb.transfersPage(w, r, http.StatusUnprocessableEntity, imp, keys)
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, 1<<20))
	if err != nil {
		return err
	}
	t, err := wb.st.ImportTransfer(r.Context(), scope(r), b, org)
	if err != nil {
		if imp.fail(err) {
			return wb.transfersPage(w, r, http.StatusUnprocessableEntity, imp, keys)
		}
		return err
	}
	redirect(w, r, transferURL(t.ID), "transfer_imported")
	return nil
}

func (wb *Web) trustTransferKeyPage(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	imp, _ := transferForms()
	keys := newForm("transfer-key", r.PostForm, "name", "public_key")
	if _, err := wb.st.TrustTransferKey(r.Context(), scope(r), r.PostForm.Get("name"), r.PostForm.Get("public_key")); err != nil {
		if keys.fail(err) {
			return wb.transfersPage(w, r, http.StatusUnprocessableEntity, imp, keys)
		}
		return err
	}
	redirect(w, r, "/party/transfers", "transfer_key_trusted")
	return nil
}

// retireTransferKeyPage retires a trusted key (it stays listed, retired; never overwritten).
func (wb *Web) retireTransferKeyPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := wb.st.RetireTransferKey(r.Context(), scope(r), id); err != nil {
		imp, _ := transferForms()
		keys := newForm("transfer-key", nil, "name", "public_key")
		if keys.fail(err) {
			return wb.transfersPage(w, r, http.StatusConflict, imp, keys)
		}
		return err
	}
	redirect(w, r, "/party/transfers", "transfer_key_retired")
	return nil
}

type transferPage struct {
	Page
	T      *model.Transfer
	Record *model.TransferMemberRecord // a transfer in: the member the file describes
	Decide *Form
}

func (wb *Web) transferPage(w http.ResponseWriter, r *http.Request, status int, decide *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := wb.st.Transfer(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	p := &transferPage{Page: wb.base(r, wb.t("transfer.title", t.MemberName), "party-transfers"), T: t, Decide: decide}
	if t.Direction == model.TransferIn {
		if p.Record, err = wb.st.TransferMemberRecord(r.Context(), scope(r), id); err != nil {
			return err
		}
		if t.MemberName == "" {
			p.Title = wb.t("transfer.title", p.Record.Name)
		}
	}
	p.Crumbs = []Crumb{{Name: wb.t("transfers.title"), URL: "/party/transfers"}, {Name: p.Title}}
	if decide.Invalid() {
		p.Failed = decide
	}
	return wb.render(w, r, status, "party/transfer_show", p)
}

func (wb *Web) transfer(w http.ResponseWriter, r *http.Request) error {
	return wb.transferPage(w, r, http.StatusOK, newForm("decide", nil, "note"))
}

// decideTransferPage accepts or returns a transfer.
func (wb *Web) decideTransferPage(accept bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		f := newForm("decide", r.PostForm, "note")
		done := "transfer_rejected"
		if accept {
			done = "transfer_accepted"
			_, err = wb.st.AcceptTransfer(r.Context(), scope(r), id, r.PostForm.Get("note"), wb.opts.SiteName)
		} else {
			_, err = wb.st.RejectTransfer(r.Context(), scope(r), id, r.PostForm.Get("note"))
		}
		if err != nil {
			if f.fail(err) {
				return wb.transferPage(w, r, http.StatusUnprocessableEntity, f)
			}
			return err
		}
		redirect(w, r, transferURL(id), done)
		return nil
	}
}

// transferFileDownload downloads the signed file of an accepted transfer out.
func (wb *Web) transferFileDownload(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	name, b, err := wb.st.TransferFile(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	attachment(w, "application/json", name, "transfer-"+strconv.FormatInt(id, 10)+".json")
	_, err = w.Write(b) // #nosec G705 -- a download (Content-Disposition: attachment) of the JSON file the store signed, not HTML
	return err
}

// requestTransferPage asks to transfer the member {id} (the form on the member's page).
func (wb *Web) requestTransferPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := r.PostForm
	f := newForm("transfer", v, "to_org_id", "destination", "reason")
	in := model.TransferInput{MemberID: id, Destination: v.Get("destination"), Reason: v.Get("reason")}
	if s := v.Get("to_org_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			n = -1
		}
		in.ToOrgID = n
	}
	t, err := wb.st.RequestTransfer(r.Context(), scope(r), in)
	if err != nil {
		if f.fail(err) {
			return wb.memberPageWith(w, r, http.StatusUnprocessableEntity, newForm("convert", nil, "full_on"), f)
		}
		return err
	}
	redirect(w, r, transferURL(t.ID), "transfer_requested")
	return nil
}

// memberTransfers are the member's transfers for its page, and whether one is open.
func (wb *Web) memberTransfers(r *http.Request, id int64) ([]*model.Transfer, bool, error) {
	pg, err := wb.st.Transfers(r.Context(), scope(r), store.TransferFilter{MemberID: id, Limit: 20})
	if err != nil {
		var ve *model.ValidationError
		if errors.As(err, &ve) {
			return nil, false, nil
		}
		return nil, false, err
	}
	open := false
	for _, t := range pg.Items {
		open = open || t.Status == model.TransferRequested
	}
	return pg.Items, open, nil
}

// transferOrgSelect is the field naming an org of the tree (a select of the scope's orgs, or the
// org's number when there are too many) for the "transferOrgField" partial.
type transferOrgSelect struct {
	Field
	Label    string
	Required bool
	Orgs     []*model.Org
}

// OrgField is the import form's receiving org.
func (p *transfersPage) OrgField(label string) transferOrgSelect {
	return transferOrgSelect{Field: p.Import.Field("to_org_id"), Label: label, Required: true, Orgs: p.Orgs}
}

// OrgField is the transfer request's receiving org (optional: a transfer out names a destination).
func (p *memberPage) OrgField(label string) transferOrgSelect {
	return transferOrgSelect{Field: p.Transfer.Field("to_org_id"), Label: label, Orgs: p.Orgs}
}
