package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/importer"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Special funds (专项经费, issue 12 item 1). Staff at a desk: the requests (list, filter,
// pager), a request's page with its chain and receipts and the decision form of the step the
// caller decides, the budgets with the street's allocation form, the monthly or yearly
// statement as a printable page and as xlsx. On a phone: the request form (one column, the
// receipts taken with the camera or chosen as PDF, the button at the bottom).

func fundURL(id int64) string { return "/funds/" + strconv.FormatInt(id, 10) }

var fundRequestFields = []string{"community_id", "category_id", "purpose", "amount", "payee", "receipts"}

type fundsPage struct {
	Page
	List
	Rows []*model.FundRequest
}

func (wb *Web) listFunds(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ctx, sc := r.Context(), scope(r)
	f := store.FundRequestFilter{Status: model.FundRequestStatus(q.Get("status")), Cursor: q.Get("cursor"), Limit: 30, Mine: q.Get("mine") == "1"}
	if f.Status != "" && !f.Status.Valid() {
		return model.ErrNotFound
	}
	f.CategoryID, _ = strconv.ParseInt(q.Get("category"), 10, 64)
	f.Year, _ = strconv.Atoi(q.Get("year"))
	pg, err := wb.st.FundRequests(ctx, sc, f)
	if err != nil {
		return err
	}
	cats, err := wb.st.FundCategories(ctx, true)
	if err != nil {
		return err
	}
	p := &fundsPage{Page: wb.base(r, wb.t("funds.title"), "funds"), Rows: pg.Items}
	p.Head = Head{Title: p.Title, Lead: wb.t("funds.lead")}
	if p.Can(authz.FundRequest) {
		p.Head.Actions = append(p.Head.Actions, Link{Label: wb.t("funds.new"), URL: "/funds/new", Icon: "plus", Primary: true})
	}
	p.Head.Actions = append(p.Head.Actions, Link{Label: wb.t("funds.budgets"), URL: "/funds/budgets", Icon: "file"},
		Link{Label: wb.t("funds.statement"), URL: "/funds/statement", Icon: "download"})
	if p.Can(authz.FundConfig) {
		p.Head.Actions = append(p.Head.Actions, Link{Label: wb.t("funds.config"), URL: "/funds/config", Icon: "edit"})
	}
	statuses := []Option{{Label: wb.t("list.all")}}
	for _, s := range model.FundRequestStatuses {
		statuses = append(statuses, Option{Value: string(s), Label: s.Label()})
	}
	catOpts := []Option{{Label: wb.t("list.all")}}
	for _, c := range cats {
		catOpts = append(catOpts, Option{Value: strconv.FormatInt(c.ID, 10), Label: c.Name})
	}
	y := wb.st.Now().In(model.Shanghai).Year()
	years := []Option{{Label: wb.t("list.all")}}
	for i := range 3 {
		years = append(years, Option{Value: strconv.Itoa(y - i), Label: wb.t("funds.year", y-i)})
	}
	p.Filters = FilterBar{Action: "/funds", Fields: []Filter{
		selectFilter("mine", wb.t("funds.filter.mine"), q.Get("mine"), Option{Label: wb.t("list.all")}, Option{Value: "1", Label: wb.t("funds.filter.mine.yes")}),
		selectFilter("status", wb.t("funds.filter.status"), q.Get("status"), statuses...),
		selectFilter("category", wb.t("funds.filter.category"), q.Get("category"), catOpts...),
		selectFilter("year", wb.t("funds.filter.year"), q.Get("year"), years...),
	}}
	if len(cloneValues(q)) > 0 {
		p.Filters.ClearURL = "/funds"
	}
	p.Empty = Empty{Icon: "star", Title: wb.t("funds.empty"), Text: wb.t("funds.empty.next")}
	if p.Can(authz.FundRequest) {
		p.Empty.Actions = []Link{{Label: wb.t("funds.new"), URL: "/funds/new", Primary: true}}
	}
	p.Crumbs = []Crumb{{Name: p.Title}}
	p.Pager = newPager(wb.t("funds.total", strconv.FormatInt(pg.Total, 10)), "/funds", q, q.Get("cursor"), pg.Next)
	return wb.renderList(w, r, "funds/list", p)
}

type fundFormPage struct {
	Page
	Form        *Form
	Communities []*model.Territory
	Categories  []*model.FundCategory
	Budgets     []*model.FundBudget
	Chain       []model.FundChainStep
	Max         int
}

func (wb *Web) newFund(w http.ResponseWriter, r *http.Request) error {
	return wb.fundFormFor(w, r, http.StatusOK, nil)
}

func (wb *Web) fundFormFor(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	ctx, sc := r.Context(), scope(r)
	p := &fundFormPage{Page: wb.base(r, wb.t("funds.new"), "funds"), Form: f, Max: model.ReceiptsPerRequest}
	p.Crumbs = []Crumb{{Name: wb.t("funds.title"), URL: "/funds"}, {Name: p.Title}}
	var err error
	if p.Communities, err = wb.st.BudgetCommunities(ctx, sc); err != nil {
		return err
	}
	if p.Categories, err = wb.st.FundCategories(ctx, false); err != nil {
		return err
	}
	if p.Budgets, err = wb.st.FundBudgets(ctx, sc, store.FundBudgetFilter{Year: wb.st.Now().In(model.Shanghai).Year()}); err != nil {
		return err
	}
	if p.Chain, err = wb.st.FundChain(ctx); err != nil {
		return err
	}
	if p.Form == nil {
		v := url.Values{}
		if len(p.Communities) == 1 {
			v.Set("community_id", strconv.FormatInt(p.Communities[0].ID, 10))
		}
		p.Form = newForm("fund", v, fundRequestFields...)
	}
	if p.Form.Invalid() {
		p.Failed = p.Form
	}
	return wb.render(w, r, status, "funds/new", p)
}

// receiptErrors names the receipt of each error ("第 2 个文件：…") under the one file input.
func (wb *Web) receiptErrors(f *Form) {
	for i, e := range f.Errors {
		if n, ok := strings.CutPrefix(e.Field, "receipts["); ok {
			k, _ := strconv.Atoi(strings.TrimSuffix(n, "]"))
			f.Errors[i] = model.FieldError{Field: "receipts", Message: wb.t("funds.receipt.nth", k+1) + e.Message}
		}
	}
}

// readReceipts reads the multipart form of a page with receipts; a body too large or not
// multipart is an error on the form's receipts field (ok false).
func (wb *Web) readReceipts(w http.ResponseWriter, r *http.Request, f *Form) ([]model.ReceiptFile, bool, error) {
	files, err := api.ReadReceipts(w, r)
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return files, true, nil
	case errors.As(err, &mbe):
		f.add("receipts", wb.t("funds.receipts.too_large", model.ReceiptsPerRequest))
	case r.MultipartForm == nil:
		f.add("receipts", wb.t("unitact.form.malformed"))
	default:
		return nil, false, err
	}
	return nil, false, nil
}

func (wb *Web) createFund(w http.ResponseWriter, r *http.Request) error {
	f := newForm("fund", url.Values{}, fundRequestFields...)
	files, ok, err := wb.readReceipts(w, r, f)
	if err != nil {
		return err
	}
	if !ok {
		return wb.fundFormFor(w, r, http.StatusUnprocessableEntity, f)
	}
	defer r.MultipartForm.RemoveAll()
	for _, k := range fundRequestFields[:5] {
		f.Values.Set(k, r.FormValue(k))
	}
	in := model.FundRequestInput{Purpose: f.Values.Get("purpose"), Amount: f.Values.Get("amount"), Payee: f.Values.Get("payee")}
	in.CommunityID, _ = strconv.ParseInt(f.Values.Get("community_id"), 10, 64)
	in.CategoryID, _ = strconv.ParseInt(f.Values.Get("category_id"), 10, 64)
	q, err := wb.st.CreateFundRequest(r.Context(), scope(r), in, files)
	if err != nil {
		if f.fail(err) {
			wb.receiptErrors(f)
			return wb.fundFormFor(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, fundURL(q.ID), "fund_created")
	return nil
}

type fundPage struct {
	Page
	Request  *model.FundRequest
	Decision *Form
	Receipts *Form
	Budget   *model.FundBudget
}

func (wb *Web) showFund(w http.ResponseWriter, r *http.Request) error {
	return wb.fundPageFor(w, r, http.StatusOK, nil)
}

func (wb *Web) fundPageFor(w http.ResponseWriter, r *http.Request, status int, fill func(p *fundPage)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	q, err := wb.st.FundRequest(ctx, sc, id)
	if err != nil {
		return err
	}
	p := &fundPage{Page: wb.base(r, q.Purpose, "funds"), Request: q,
		Decision: newForm("decision", url.Values{"step": {strconv.Itoa(q.Step)}}, "decision", "reason", "override", "override_reason"),
		Receipts: newForm("receipts", nil, "receipts")}
	p.Crumbs = []Crumb{{Name: wb.t("funds.title"), URL: "/funds"}, {Name: wb.t("funds.request.crumb")}}
	bs, err := wb.st.FundBudgets(ctx, sc, store.FundBudgetFilter{Territory: q.CommunityID, Year: q.Year})
	if err != nil {
		return err
	}
	for _, b := range bs {
		if b.CategoryID == q.CategoryID {
			p.Budget = b
		}
	}
	if fill != nil {
		fill(p)
	}
	for _, f := range []*Form{p.Decision, p.Receipts} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	return wb.render(w, r, status, "funds/show", p)
}

func (wb *Web) decideFund(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("decision", r.PostForm, "decision", "reason", "override", "override_reason")
	d := model.FundDecision{Approve: f.Values.Get("decision") == "approve", Reason: f.Values.Get("reason"),
		Override: f.Checked("override"), OverrideReason: f.Values.Get("override_reason")}
	d.Step, _ = strconv.Atoi(f.Values.Get("step"))
	_, err = wb.st.DecideFundRequest(r.Context(), scope(r), id, d)
	var fe *model.ForbiddenError
	switch {
	case errors.As(err, &fe):
		f.Message = fe.Message
		return wb.fundPageFor(w, r, http.StatusForbidden, func(p *fundPage) { p.Decision = f })
	case err != nil && f.fail(err):
		return wb.fundPageFor(w, r, formStatus(err), func(p *fundPage) { p.Decision = f })
	case err != nil:
		return err
	}
	done := "fund_approved"
	if !d.Approve {
		done = "fund_rejected"
	}
	redirect(w, r, fundURL(id), done)
	return nil
}

func (wb *Web) addFundReceipts(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := newForm("receipts", url.Values{}, "receipts")
	files, ok, err := wb.readReceipts(w, r, f)
	if err != nil {
		return err
	}
	if ok {
		defer r.MultipartForm.RemoveAll()
		if _, err := wb.st.AddFundReceipts(r.Context(), scope(r), id, files); err != nil {
			if !f.fail(err) {
				return err
			}
			wb.receiptErrors(f)
		} else {
			redirect(w, r, fundURL(id), "fund_receipts")
			return nil
		}
	}
	return wb.fundPageFor(w, r, http.StatusUnprocessableEntity, func(p *fundPage) { p.Receipts = f })
}

var fundAllocationFields = []string{"community_id", "category_id", "year", "amount", "memo"}

type fundBudgetsPage struct {
	Page
	Year        int
	Years       []int
	Budgets     []*model.FundBudget
	Total       model.FundBudget
	Form        *Form
	Communities []*model.Territory
	Categories  []*model.FundCategory
	Chain       []model.FundChainStep
}

func (wb *Web) fundBudgets(w http.ResponseWriter, r *http.Request) error {
	return wb.fundBudgetsFor(w, r, http.StatusOK, nil)
}

func (wb *Web) fundBudgetsFor(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	ctx, sc := r.Context(), scope(r)
	y := wb.st.Now().In(model.Shanghai).Year()
	year, err := strconv.Atoi(r.URL.Query().Get("year"))
	if err != nil || year < y-5 || year > y+1 {
		year = y
	}
	p := &fundBudgetsPage{Page: wb.base(r, wb.t("funds.budgets"), "funds"), Year: year, Years: []int{y + 1, y, y - 1, y - 2}, Form: f}
	p.Crumbs = []Crumb{{Name: wb.t("funds.title"), URL: "/funds"}, {Name: p.Title}}
	if p.Budgets, err = wb.st.FundBudgets(ctx, sc, store.FundBudgetFilter{Year: year}); err != nil {
		return err
	}
	for _, b := range p.Budgets {
		p.Total.AllocatedFen += b.AllocatedFen
		p.Total.SpentFen += b.SpentFen
		p.Total.AvailableFen += b.AvailableFen
	}
	if p.Chain, err = wb.st.FundChain(ctx); err != nil {
		return err
	}
	if p.Can(authz.FundAllocate) {
		if p.Communities, err = wb.st.BudgetCommunities(ctx, sc); err != nil {
			return err
		}
		if p.Categories, err = wb.st.FundCategories(ctx, false); err != nil {
			return err
		}
		if p.Form == nil {
			p.Form = newForm("allocation", url.Values{"year": {strconv.Itoa(year)}}, fundAllocationFields...)
		}
	}
	if p.Form.Invalid() {
		p.Failed = p.Form
	}
	return wb.render(w, r, status, "funds/budgets", p)
}

func (wb *Web) allocateFund(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("allocation", r.PostForm, fundAllocationFields...)
	in := model.FundAllocationInput{Amount: f.Values.Get("amount"), Memo: f.Values.Get("memo")}
	in.CommunityID, _ = strconv.ParseInt(f.Values.Get("community_id"), 10, 64)
	in.CategoryID, _ = strconv.ParseInt(f.Values.Get("category_id"), 10, 64)
	in.Year, _ = strconv.Atoi(f.Values.Get("year"))
	if _, err := wb.st.AllocateFund(r.Context(), scope(r), in); err != nil {
		if f.fail(err) {
			return wb.fundBudgetsFor(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, link("/funds/budgets", "year", in.Year), "fund_allocated")
	return nil
}

type fundStatementPage struct {
	Page
	Statement *model.FundStatement
	Years     []int
	Months    []int
	XLSX      string
}

// statementQuery reads ?territory=, ?year= and ?month= of a statement (bad values: this year,
// the whole year).
func (wb *Web) statementQuery(r *http.Request) (territory int64, year, month int) {
	q := r.URL.Query()
	territory, _ = strconv.ParseInt(q.Get("territory"), 10, 64)
	y := wb.st.Now().In(model.Shanghai).Year()
	year, err := strconv.Atoi(q.Get("year"))
	if err != nil || year < 2000 || year > 2100 {
		year = y
	}
	month, err = strconv.Atoi(q.Get("month"))
	if err != nil || month < 0 || month > 12 {
		month = 0
	}
	return territory, year, month
}

func (wb *Web) fundStatement(w http.ResponseWriter, r *http.Request) error {
	territory, year, month := wb.statementQuery(r)
	s, err := wb.st.FundStatementOf(r.Context(), scope(r), territory, year, month)
	if err != nil {
		return err
	}
	y := wb.st.Now().In(model.Shanghai).Year()
	p := &fundStatementPage{Page: wb.base(r, wb.t("funds.statement.title", s.TerritoryName, s.Period()), "funds"), Statement: s,
		Years: []int{y, y - 1, y - 2}, Months: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
		XLSX: link("/funds/statement.xlsx", "territory", territory, "year", year, "month", month)}
	p.Crumbs = []Crumb{{Name: wb.t("funds.title"), URL: "/funds"}, {Name: wb.t("funds.statement")}}
	return wb.render(w, r, http.StatusOK, "funds/statement", p)
}

func (wb *Web) fundStatementXLSX(w http.ResponseWriter, r *http.Request) error {
	territory, year, month := wb.statementQuery(r)
	name, data, err := importer.FundStatement(r.Context(), wb.st, scope(r), territory, year, month)
	if err != nil {
		return err
	}
	attachment(w, xlsxType, name, "funds-"+strconv.Itoa(year)+".xlsx")
	_, err = w.Write(data) // #nosec G705 -- an xlsx download (Content-Disposition: attachment) the importer wrote, not HTML
	return err
}

// The funds' settings (fund.config, district administrators): the category catalogue with a
// form to add a category and one to change each, and the approval chain as FundChainMax rows
// of a role and a step name (blank rows left out). Every form goes through the store's
// validators; a refused one is shown again with its errors and nothing saved.

type fundConfigPage struct {
	Page
	Categories []*model.FundCategory
	Category   *Form // the new category's form
	Edit       *Form // a category's form that failed ("entry" names it)
	Chain      *Form
	Rows       []int // the chain form's rows, 1…FundChainMax
	Roles      []model.Role
}

// EditFor is the form of category c: the one that failed, or one with its values.
func (p *fundConfigPage) EditFor(c *model.FundCategory) *Form {
	key := strconv.FormatInt(c.ID, 10)
	if p.Edit != nil && p.Edit.Values.Get("entry") == key {
		return p.Edit
	}
	return newForm("category-"+key, url.Values{"entry": {key}, "name": {c.Name}, "sort": {strconv.Itoa(c.Sort)}, "active": {boolValue(c.Active)}},
		"name", "sort", "active")
}

// fundChainFields are the chain form's fields: role_1, label_1 … role_N, label_N.
func fundChainFields() []string {
	var out []string
	for n := 1; n <= model.FundChainMax; n++ {
		out = append(out, "role_"+strconv.Itoa(n), "label_"+strconv.Itoa(n))
	}
	return out
}

func (wb *Web) fundConfig(w http.ResponseWriter, r *http.Request) error {
	return wb.fundConfigFor(w, r, http.StatusOK, nil)
}

func (wb *Web) fundConfigFor(w http.ResponseWriter, r *http.Request, status int, fill func(p *fundConfigPage)) error {
	ctx := r.Context()
	p := &fundConfigPage{Page: wb.base(r, wb.t("funds.config"), "funds"), Roles: model.FundChainRoles,
		Category: newForm("category", nil, "name", "sort")}
	p.Crumbs = []Crumb{{Name: wb.t("funds.title"), URL: "/funds"}, {Name: p.Title}}
	for n := 1; n <= model.FundChainMax; n++ {
		p.Rows = append(p.Rows, n)
	}
	var err error
	if p.Categories, err = wb.st.FundCategories(ctx, true); err != nil {
		return err
	}
	chain, err := wb.st.FundChain(ctx)
	if err != nil {
		return err
	}
	v := url.Values{}
	for _, s := range chain {
		v.Set("role_"+strconv.Itoa(s.Step), string(s.Role))
		v.Set("label_"+strconv.Itoa(s.Step), s.Label)
	}
	p.Chain = newForm("chain", v, fundChainFields()...)
	if fill != nil {
		fill(p)
	}
	for _, f := range []*Form{p.Category, p.Edit, p.Chain} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	return wb.render(w, r, status, "funds/config", p)
}

// saveFundCategory creates (POST /funds/config/categories) or changes (…/{id}) a category.
func (wb *Web) saveFundCategory(w http.ResponseWriter, r *http.Request) error {
	id, f, err := entryForm(w, r, "category", "category-", "name", "sort", "active")
	if err != nil {
		return err
	}
	in := model.FundCategoryInput{Name: f.Values.Get("name"), Active: id == 0 || f.Checked("active")}
	sort, err := strconv.Atoi(strings.TrimSpace(f.Values.Get("sort")))
	if s := strings.TrimSpace(f.Values.Get("sort")); s != "" && err != nil {
		f.add("sort", wb.t("funds.config.sort.bad"))
	}
	in.Sort = sort
	status := http.StatusUnprocessableEntity
	if !f.Invalid() {
		if id == 0 {
			_, err = wb.st.CreateFundCategory(r.Context(), scope(r), in)
		} else {
			_, err = wb.st.UpdateFundCategory(r.Context(), scope(r), id, in)
		}
		if err != nil && !f.fail(err) {
			return err
		}
		if err != nil {
			status = formStatus(err)
		}
	}
	if f.Invalid() {
		return wb.fundConfigFor(w, r, status, func(p *fundConfigPage) {
			if id == 0 {
				p.Category = f
			} else {
				p.Edit = f
			}
		})
	}
	redirect(w, r, "/funds/config#categories", "fund_config_saved")
	return nil
}

// setFundChain replaces the approval chain with the form's filled rows, in their order.
func (wb *Web) setFundChain(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("chain", r.PostForm, fundChainFields()...)
	var steps []model.FundChainStep
	var rows []int // the form's row of each step
	for n := 1; n <= model.FundChainMax; n++ {
		role, label := f.Values.Get("role_"+strconv.Itoa(n)), f.Values.Get("label_"+strconv.Itoa(n))
		if role == "" && strings.TrimSpace(label) == "" {
			continue
		}
		steps = append(steps, model.FundChainStep{Role: model.Role(role), Label: label})
		rows = append(rows, n)
	}
	_, err := wb.st.SetFundChain(r.Context(), scope(r), steps)
	if err != nil {
		if !f.fail(err) {
			return err
		}
		// The store names steps by their index; the page by the row they came from.
		for i, e := range f.Errors {
			var k int
			var field string
			if _, serr := fmt.Sscanf(e.Field, "steps[%d].%s", &k, &field); serr == nil && k < len(rows) {
				f.Errors[i].Field = field + "_" + strconv.Itoa(rows[k])
			}
		}
		return wb.fundConfigFor(w, r, formStatus(err), func(p *fundConfigPage) { p.Chain = f })
	}
	redirect(w, r, "/funds/config#chain", "fund_chain_saved")
	return nil
}
