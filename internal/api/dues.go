package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/importer"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Dues (党费): /api/v1/party/dues. Money is integer fen on the wire (amount_fen …) with the yuan
// text beside it; amounts sent in are yuan strings with at most two decimals. Dues are sensitive:
// staff by territory and secretaries (by post) of the member's org; never grid leaders. The
// declared income itself never leaves the store.

type duesPaymentJSON struct {
	ID         ID        `json:"id"`
	Month      string    `json:"month"`
	AmountFen  int64     `json:"amount_fen"`
	Amount     string    `json:"amount"`
	PaidOn     string    `json:"paid_on"`
	PaidBy     string    `json:"paid_by"`
	RecordedBy *ID       `json:"recorded_by"`
	Note       string    `json:"note"`
	CreatedAt  time.Time `json:"created_at"`
}

func toDuesPaymentJSON(p *store.DuesPayment) duesPaymentJSON {
	return duesPaymentJSON{ID: ID(p.ID), Month: p.Month, AmountFen: p.AmountFen, Amount: model.FormatYuan(p.AmountFen),
		PaidOn: dateOnly(p.PaidOn), PaidBy: p.PaidBy, RecordedBy: optID(p.RecordedBy), Note: p.Note, CreatedAt: p.CreatedAt.In(model.Shanghai)}
}

type duesMonthJSON struct {
	Month     string `json:"month"`
	Due       bool   `json:"due"`
	Paid      bool   `json:"paid"`
	AmountFen int64  `json:"amount_fen"`
	PaidOn    string `json:"paid_on,omitempty"`
	PaidBy    string `json:"paid_by,omitempty"`
}

type duesAccountJSON struct {
	MemberID      ID                   `json:"member_id"`
	Name          string               `json:"name"`
	OrgID         ID                   `json:"org_id"`
	OrgName       string               `json:"org_name"`
	Category      model.MemberCategory `json:"category"`
	CategoryLabel string               `json:"category_label"`
	Year          int                  `json:"year"`
	Declared      bool                 `json:"income_declared"`
	Subsistence   bool                 `json:"subsistence"`
	MonthlyFen    int64                `json:"monthly_fen"`
	Monthly       string               `json:"monthly"`
	DueFen        int64                `json:"due_fen"`
	PaidFen       int64                `json:"paid_fen"`
	ArrearsFen    int64                `json:"arrears_fen"`
	Arrears       []string             `json:"arrears"`
	Months        []duesMonthJSON      `json:"months"`
	Payments      []duesPaymentJSON    `json:"payments"`
}

func toDuesAccountJSON(a *store.DuesAccount, year int) duesAccountJSON {
	j := duesAccountJSON{MemberID: ID(a.Member.ID), Name: a.Member.Name, OrgID: ID(a.Member.OrgID), OrgName: a.Member.OrgName,
		Category: a.Member.Category, CategoryLabel: a.Member.Category.Label(), Year: year, Declared: a.Declared, Subsistence: a.Subsistence,
		MonthlyFen: a.MonthlyFen, Monthly: model.FormatYuan(a.MonthlyFen), DueFen: a.DueFen(), PaidFen: a.PaidFen, ArrearsFen: a.ArrearsFen,
		Arrears: a.Arrears, Months: []duesMonthJSON{}, Payments: make([]duesPaymentJSON, len(a.Payments))}
	if j.Arrears == nil {
		j.Arrears = []string{}
	}
	for _, m := range a.Months(year) {
		mj := duesMonthJSON{Month: m.Month, Due: m.Due, Paid: m.Payment != nil}
		if m.Payment != nil {
			mj.AmountFen, mj.PaidOn, mj.PaidBy = m.Payment.AmountFen, dateOnly(m.Payment.PaidOn), m.Payment.PaidBy
		}
		j.Months = append(j.Months, mj)
	}
	for i := range a.Payments {
		j.Payments[i] = toDuesPaymentJSON(&a.Payments[i])
	}
	return j
}

type orgDuesJSON struct {
	OrgID            ID     `json:"org_id"`
	OrgName          string `json:"org_name"`
	Members          int    `json:"members"`
	MembersInArrears int    `json:"members_in_arrears"`
	DueFen           int64  `json:"due_fen"`
	PaidFen          int64  `json:"paid_fen"`
	ArrearsFen       int64  `json:"arrears_fen"`
}

// duesYearQuery reads ?year= (default: this year in Shanghai) and ?org= from r.
func duesYearQuery(r *http.Request, fields *[]model.FieldError) (year int, org int64) {
	year = time.Now().In(model.Shanghai).Year()
	if v := r.URL.Query().Get("year"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2000 || n > 2100 {
			*fields = append(*fields, model.FieldError{Field: "year", Message: "year 应为四位年份，例如 2026"})
		}
		year = n
	}
	return year, optionalID(r, "org", fields)
}

// duesQuery parses the query of the dues reports (only year and org are known).
func duesQuery(r *http.Request) (store.DuesFilter, error) {
	var fields []model.FieldError
	for k := range r.URL.Query() {
		if k != "year" && k != "org" {
			fields = append(fields, model.FieldError{Field: k, Message: "未知的查询参数"})
		}
	}
	year, org := duesYearQuery(r, &fields)
	if len(fields) > 0 {
		return store.DuesFilter{}, malformed("查询参数有误", fields...)
	}
	return store.DuesFilter{OrgID: org, Year: year}, nil
}

// duesSummary: arrears per org (GET /party/dues).
func (a *API) duesSummary(w http.ResponseWriter, r *http.Request) error {
	f, err := duesQuery(r)
	if err != nil {
		return err
	}
	rows, err := a.st.DuesByOrg(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := struct {
		Year       int           `json:"year"`
		DueFen     int64         `json:"due_fen"`
		PaidFen    int64         `json:"paid_fen"`
		ArrearsFen int64         `json:"arrears_fen"`
		Items      []orgDuesJSON `json:"items"`
	}{Year: f.Year, Items: make([]orgDuesJSON, len(rows))}
	for i, o := range rows {
		out.Items[i] = orgDuesJSON{OrgID: ID(o.OrgID), OrgName: o.OrgName, Members: o.Members, MembersInArrears: o.MembersInArrears,
			DueFen: o.DueFen, PaidFen: o.PaidFen, ArrearsFen: o.ArrearsFen}
		out.DueFen += o.DueFen
		out.PaidFen += o.PaidFen
		out.ArrearsFen += o.ArrearsFen
	}
	return writeJSON(w, http.StatusOK, out)
}

// duesMembers: the accounts of the members of an org (and the orgs under it) for a year.
func (a *API) duesMembers(w http.ResponseWriter, r *http.Request) error {
	f, err := duesQuery(r)
	if err != nil {
		return err
	}
	accounts, err := a.st.DuesAccounts(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := list[duesAccountJSON]{Items: make([]duesAccountJSON, len(accounts))}
	for i, acc := range accounts {
		out.Items[i] = toDuesAccountJSON(acc, f.Year)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) memberDues(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var fields []model.FieldError
	year, _ := duesYearQuery(r, &fields)
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	acc, err := a.st.MemberDues(r.Context(), authz.ScopeFrom(r.Context()), id, year)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toDuesAccountJSON(acc, year))
}

func (a *API) myDues(w http.ResponseWriter, r *http.Request) error {
	var fields []model.FieldError
	year, _ := duesYearQuery(r, &fields)
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	acc, err := a.st.MyDues(r.Context(), authz.ScopeFrom(r.Context()), year)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toDuesAccountJSON(acc, year))
}

// recordDuesPayment: POST /party/dues/members/{id}/payments.
func (a *API) recordDuesPayment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Month  string `json:"month"`
		Amount string `json:"amount"`
		PaidOn string `json:"paid_on"`
		PaidBy string `json:"paid_by"`
		Note   string `json:"note"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	if req.PaidOn == "" {
		req.PaidOn = time.Now().In(model.Shanghai).Format(time.DateOnly)
	}
	p, err := a.st.RecordPayment(r.Context(), authz.ScopeFrom(r.Context()), id, store.PaymentInput(req))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toDuesPaymentJSON(p))
}

// declareIncome: PUT /party/dues/members/{id}/income. The income is yuan text; the answer is
// the account with the monthly dues it gives (never the income).
func (a *API) declareIncome(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Income      string `json:"income"`
		Subsistence bool   `json:"subsistence"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	fen, msg := model.ParseYuan(req.Income)
	if msg != "" {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "income", Message: msg}}}
	}
	acc, err := a.st.DeclareIncome(r.Context(), authz.ScopeFrom(r.Context()), id, fen, req.Subsistence)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toDuesAccountJSON(acc, time.Now().In(model.Shanghai).Year()))
}

// duesStatement: the yearly statement of ?org= as xlsx.
func (a *API) duesStatement(w http.ResponseWriter, r *http.Request) error {
	f, err := duesQuery(r)
	if err != nil {
		return err
	}
	if f.OrgID == 0 {
		return malformed("查询参数有误", model.FieldError{Field: "org", Message: "请指定党组织（org）"})
	}
	name, data, err := importer.DuesStatement(r.Context(), a.st, authz.ScopeFrom(r.Context()), f.OrgID, f.Year)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="dues-%d.xlsx"; filename*=UTF-8''%s`, f.Year, url.PathEscape(name)))
	h.Set("Cache-Control", "no-store")
	_, err = w.Write(data)
	return err
}
