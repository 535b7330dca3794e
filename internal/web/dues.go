package web

import (
	"net/http"
	"net/url"
	"strconv"
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
