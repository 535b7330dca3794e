package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/importer"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Dues (党费): a branch's dues for a year (members × months, arrears in red, totals in yuan), the
// arrears per org of the caller's area, and the payment form (also on a member's behalf, 代缴),
// usable on a phone. Dues are sensitive: staff by territory and secretaries by post; grid
// leaders never reach these pages (the policy refuses them).

type duesPage struct {
	Page
	Year       int
	Years      []int
	OrgID      int64
	OrgName    string
	Orgs       []store.OrgDues
	Accounts   []duesRow
	Months     []string // "1月" … "12月"
	DueFen     int64
	PaidFen    int64
	ArrearsFen int64
	Write      bool
}

// duesRow is one member's line of the year: the twelve months and the sums.
type duesRow struct {
	A      *store.DuesAccount
	Months []store.DuesMonth
}

// duesYear reads ?year= (this year when absent or not a plausible year).
func duesYear(r *http.Request) int {
	year := time.Now().In(model.Shanghai).Year()
	if n, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil && n >= 2000 && n <= year {
		year = n
	}
	return year
}

func (wb *Web) dues(w http.ResponseWriter, r *http.Request) error {
	sc := scope(r)
	year := duesYear(r)
	org, _ := strconv.ParseInt(r.URL.Query().Get("org"), 10, 64)
	orgs, err := wb.st.DuesByOrg(r.Context(), sc, store.DuesFilter{Year: year})
	if err != nil {
		return err
	}
	p := &duesPage{Page: wb.base(r, wb.t("dues.title"), "party-dues"), Year: year, Orgs: orgs}
	p.Write = p.Can("party.dues.write")
	now := time.Now().In(model.Shanghai).Year()
	for y := now; y >= now-2; y-- {
		p.Years = append(p.Years, y)
	}
	for i := 1; i <= 12; i++ {
		p.Months = append(p.Months, wb.t("dues.month", i))
	}
	for _, o := range orgs {
		p.DueFen += o.DueFen
		p.PaidFen += o.PaidFen
		p.ArrearsFen += o.ArrearsFen
	}
	// One org alone (a secretary's own branch) opens on its members.
	if org == 0 && len(orgs) == 1 {
		org = orgs[0].OrgID
	}
	p.Crumbs = []Crumb{{Name: p.Title}}
	if org != 0 {
		accounts, err := wb.st.DuesAccounts(r.Context(), sc, store.DuesFilter{OrgID: org, Year: year})
		if err != nil {
			return err
		}
		p.OrgID = org
		for _, o := range orgs {
			if o.OrgID == org {
				p.OrgName = o.OrgName
			}
		}
		if p.OrgName == "" && len(accounts) > 0 {
			p.OrgName = accounts[0].Member.OrgName
		}
		if p.OrgName == "" {
			return model.ErrNotFound // no org of that id with members whose dues the caller reads
		}
		p.DueFen, p.PaidFen, p.ArrearsFen = 0, 0, 0
		for _, a := range accounts {
			p.Accounts = append(p.Accounts, duesRow{A: a, Months: a.Months(year)})
			p.DueFen += a.DueFen()
			p.PaidFen += a.PaidFen
			p.ArrearsFen += a.ArrearsFen
		}
		p.Crumbs = []Crumb{{Name: p.Title, URL: "/party/dues?year=" + strconv.Itoa(year)}, {Name: p.OrgName}}
	}
	return wb.render(w, r, http.StatusOK, "party/dues_list", p)
}

type duesPayPage struct {
	Page
	A     *store.DuesAccount
	Year  int
	Form  *Form
	Back  string
	Owing []string
}

func duesPayForm() *Form {
	return newForm("dues", nil, "month", "amount", "paid_on", "paid_by", "note")
}

func (wb *Web) duesPayPage(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	year := time.Now().In(model.Shanghai).Year()
	if m, err := time.Parse("2006-01", f.Values.Get("month")); err == nil {
		year = m.Year()
	}
	a, err := wb.st.MemberDues(r.Context(), scope(r), id, year)
	if err != nil {
		return err
	}
	if f.Values.Get("month") == "" {
		// The first month owed, or this month; the amount the member's monthly dues.
		month := time.Now().In(model.Shanghai).Format("2006-01")
		if len(a.Arrears) > 0 {
			month = a.Arrears[0]
		}
		f.Values.Set("month", month)
		if a.MonthlyFen > 0 {
			f.Values.Set("amount", model.FormatYuan(a.MonthlyFen))
		}
	}
	if f.Values.Get("paid_on") == "" {
		f.Values.Set("paid_on", time.Now().In(model.Shanghai).Format(time.DateOnly))
	}
	p := &duesPayPage{Page: wb.base(r, wb.t("dues.pay.title"), "party-dues"), A: a, Year: year, Form: f, Owing: a.Arrears,
		Back: "/party/dues?" + url.Values{"org": {strconv.FormatInt(a.Member.OrgID, 10)}, "year": {strconv.Itoa(year)}}.Encode()}
	p.Crumbs = []Crumb{{Name: wb.t("dues.title"), URL: "/party/dues"}, {Name: a.Member.OrgName, URL: p.Back}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "party/dues_pay", p)
}

func (wb *Web) duesPayFormPage(w http.ResponseWriter, r *http.Request) error {
	return wb.duesPayPage(w, r, http.StatusOK, duesPayForm())
}

func (wb *Web) recordDues(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := duesPayForm()
	f.Values = r.PostForm
	v := r.PostForm
	p, err := wb.st.RecordPayment(r.Context(), scope(r), id, store.PaymentInput{Month: v.Get("month"), Amount: v.Get("amount"),
		PaidOn: v.Get("paid_on"), PaidBy: v.Get("paid_by"), Note: v.Get("note")})
	if err != nil {
		if f.fail(err) {
			return wb.duesPayPage(w, r, http.StatusUnprocessableEntity, f)
		}
		return err
	}
	a, err := wb.st.MemberDues(r.Context(), scope(r), id, time.Now().In(model.Shanghai).Year())
	if err != nil {
		return err
	}
	year := p.Month[:4]
	redirect(w, r, "/party/dues?"+url.Values{"org": {strconv.FormatInt(a.Member.OrgID, 10)}, "year": {year}}.Encode(), "dues_recorded")
	return nil
}

// duesStatement downloads the yearly statement (xlsx) of ?org= for ?year=.
func (wb *Web) duesStatement(w http.ResponseWriter, r *http.Request) error {
	org, err := strconv.ParseInt(r.URL.Query().Get("org"), 10, 64)
	if err != nil || org <= 0 {
		return model.ErrNotFound
	}
	year := duesYear(r)
	name, data, err := importer.DuesStatement(r.Context(), wb.st, scope(r), org, year)
	if err != nil {
		return err
	}
	attachment(w, xlsxType, name, "dues-"+strconv.Itoa(year)+".xlsx")
	_, err = w.Write(data) // #nosec G705 -- an xlsx download (Content-Disposition: attachment) the importer wrote, not HTML
	return err
}

// The income declaration (申报收入): staff and the secretary of the member's org enter the
// member's monthly income; the page shows, as it is typed (htmx), the monthly dues the published
// rates give for it, and the store seals the income and sets the dues. The income is never
// shown back: the form starts empty.

type duesIncomePage struct {
	Page
	A       *store.DuesAccount
	Form    *Form
	Back    string
	Preview duesPreview
}

// duesPreview is the computed monthly amount for what the form holds, or why there is none.
type duesPreview struct {
	Shown      bool
	MonthlyFen int64
	Rate       string // the rate applied, "1.5%"; "" for the fixed minimum
	Error      string
}

func duesIncomeForm() *Form { return newForm("income", nil, "income", "subsistence") }

// previewDues computes the monthly dues of a member of category for the form's values (the
// validator is the API's and the store's: model.ParseYuan, integer fen).
func previewDues(category model.MemberCategory, v url.Values) duesPreview {
	if strings.TrimSpace(v.Get("income")) == "" {
		return duesPreview{}
	}
	fen, msg := model.ParseYuan(v.Get("income"))
	if msg != "" {
		return duesPreview{Shown: true, Error: msg}
	}
	sub := v.Get("subsistence") != ""
	p := duesPreview{Shown: true, MonthlyFen: model.MonthlyDues(category, fen, sub)}
	if rate := model.DuesRate(category, fen, sub); rate != 0 {
		p.Rate = strconv.FormatFloat(float64(rate)/10, 'f', -1, 64) + "%"
	}
	return p
}

func (wb *Web) duesIncomePage(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := wb.st.MemberDues(r.Context(), scope(r), id, time.Now().In(model.Shanghai).Year())
	if err != nil {
		return err
	}
	if f.Values.Get("subsistence") == "" && r.Method == http.MethodGet && a.Subsistence {
		f.Values.Set("subsistence", "1")
	}
	p := &duesIncomePage{Page: wb.base(r, wb.t("dues.income.title"), "party-dues"), A: a, Form: f, Preview: previewDues(a.Member.Category, f.Values),
		Back: "/party/dues/members/" + strconv.FormatInt(id, 10) + "/pay"}
	p.Crumbs = []Crumb{{Name: wb.t("dues.title"), URL: "/party/dues"},
		{Name: a.Member.OrgName, URL: "/party/dues?" + url.Values{"org": {strconv.FormatInt(a.Member.OrgID, 10)}}.Encode()}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "party/dues_income", p)
}

func (wb *Web) duesIncomeFormPage(w http.ResponseWriter, r *http.Request) error {
	return wb.duesIncomePage(w, r, http.StatusOK, duesIncomeForm())
}

// duesIncomePreview answers the htmx preview of the form (POST, so that the income stays out of
// URLs and logs): the page as the form holds it, of which htmx takes the amount block
// (#dues-preview); nothing is saved.
func (wb *Web) duesIncomePreview(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := duesIncomeForm()
	f.Values = r.PostForm
	return wb.duesIncomePage(w, r, http.StatusOK, f)
}

func (wb *Web) declareIncome(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := duesIncomeForm()
	f.Values = r.PostForm
	fen, msg := model.ParseYuan(f.Values.Get("income"))
	if msg != "" {
		f.add("income", msg)
		return wb.duesIncomePage(w, r, http.StatusUnprocessableEntity, f)
	}
	if _, err := wb.st.DeclareIncome(r.Context(), scope(r), id, fen, f.Values.Get("subsistence") != ""); err != nil {
		if f.fail(err) {
			return wb.duesIncomePage(w, r, http.StatusUnprocessableEntity, f)
		}
		return err
	}
	redirect(w, r, "/party/dues/members/"+strconv.FormatInt(id, 10)+"/pay", "income_declared")
	return nil
}
