package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The time bank (时间银行): 我的时间银行 for a volunteer or resident on a phone (balances, the
// ledger, spending on one's household's orders, giving to a household found by address), the
// printable certificate of service hours, and staff's view of a taker with its correction form.

type timebankPage struct {
	Page
	Holders  []*model.TimebankHolder
	Holder   *model.TimebankHolder // the one whose ledger is shown
	Entries  []*model.TimebankEntry
	Record   *model.ServiceRecord
	Orders   []*model.Order          // the household's orders one may spend on
	Q        string                  // the address searched for a gift
	Found    []*model.TimebankHolder // the households found
	Spend    *Form
	Give     *Form
	Taker    bool // the caller has a taker's balance (may give)
	HasHouse bool // the caller's account is linked to a household (may spend)
}

// Hours writes minutes as hours for the templates.
func (*timebankPage) Hours(minutes int) string { return model.FormatHours(minutes) }

func (wb *Web) myTimebank(w http.ResponseWriter, r *http.Request) error {
	return wb.myTimebankPage(w, r, http.StatusOK, nil, nil)
}

func (wb *Web) myTimebankPage(w http.ResponseWriter, r *http.Request, status int, spend, give *Form) error {
	ctx, sc := r.Context(), scope(r)
	p := &timebankPage{Page: wb.base(r, wb.t("timebank.title"), "timebank"), Spend: spend, Give: give}
	p.Crumbs = []Crumb{{Name: wb.t("services.title"), URL: "/services"}, {Name: wb.t("timebank.title")}}
	var err error
	if p.Holders, err = wb.st.TimebankHolders(ctx, sc); err != nil {
		return err
	}
	want := model.TimebankHolderKind(r.URL.Query().Get("holder"))
	for _, h := range p.Holders {
		switch h.Kind {
		case model.HolderTaker:
			p.Taker = true
		case model.HolderHousehold:
			p.HasHouse = true
		}
		if p.Holder == nil || h.Kind == want {
			p.Holder = h
		}
	}
	if p.Holder != nil {
		page, err := wb.st.TimebankEntries(ctx, sc, p.Holder.Kind, p.Holder.ID, 30, "")
		if err != nil {
			return err
		}
		p.Entries = page.Items
	}
	if p.Taker {
		if p.Record, err = wb.st.ServiceRecord(ctx, sc, 0); err != nil {
			return err
		}
	}
	if p.HasHouse {
		orders, err := wb.st.Orders(ctx, sc, store.OrderFilter{View: store.OrdersMine, Limit: 20})
		if err != nil {
			return err
		}
		for _, o := range orders.Items {
			if o.Status != model.OrderCancelled {
				p.Orders = append(p.Orders, o)
			}
		}
	}
	if p.Q = strings.TrimSpace(r.URL.Query().Get("q")); p.Q != "" && p.Taker {
		if p.Found, err = wb.st.TimebankHouseholds(ctx, sc, p.Q); err != nil {
			return err
		}
	}
	if p.Spend == nil {
		p.Spend = newForm("spend", nil, "from", "order_id", "hours")
	}
	if p.Give == nil {
		p.Give = newForm("give", nil, "household_id", "hours", "note")
		if len(p.Found) == 1 {
			p.Give.Values.Set("household_id", strconv.FormatInt(p.Found[0].ID, 10))
		}
	}
	for _, f := range []*Form{p.Spend, p.Give} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	return wb.render(w, r, status, "timebank/mine", p)
}

// timebankTransfer reads the spend and gift forms: hours as the person writes them.
func timebankTransfer(f *Form) model.TimebankTransfer {
	in := model.TimebankTransfer{From: model.TimebankHolderKind(f.Values.Get("from")), Hours: strings.TrimSpace(f.Values.Get("hours")), Note: f.Values.Get("note")}
	if in.Hours == "" {
		in.Hours = " " // no amount: the hours field says so
	}
	in.OrderID, _ = strconv.ParseInt(f.Values.Get("order_id"), 10, 64)
	in.HouseholdID, _ = strconv.ParseInt(f.Values.Get("household_id"), 10, 64)
	return in
}

func (wb *Web) spendTimebank(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("spend", r.PostForm, "from", "order_id", "hours")
	_, err := wb.st.SpendTimebank(r.Context(), scope(r), timebankTransfer(f))
	if err == nil {
		redirect(w, r, "/timebank", "timebank_spent")
		return nil
	}
	if !f.fail(err) {
		return err
	}
	return wb.myTimebankPage(w, r, http.StatusUnprocessableEntity, f, nil)
}

func (wb *Web) giveTimebank(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("give", r.PostForm, "household_id", "hours", "note")
	_, err := wb.st.GiveTimebank(r.Context(), scope(r), timebankTransfer(f))
	if err == nil {
		redirect(w, r, "/timebank", "timebank_given")
		return nil
	}
	if !f.fail(err) {
		return err
	}
	return wb.myTimebankPage(w, r, http.StatusUnprocessableEntity, nil, f)
}

type certificatePage struct {
	Page
	Cert     *model.ServiceCertificate
	From, To string // the period asked, YYYY-MM-DD
	Action   string // where the period form goes
	Error    string
}

// certificate is the printable certificate of takerID (0: the caller's own).
func (wb *Web) certificate(w http.ResponseWriter, r *http.Request, takerID int64, action string) error {
	p := &certificatePage{Page: wb.base(r, wb.t("timebank.cert.title"), "timebank"), Action: action}
	p.Crumbs = []Crumb{{Name: wb.t("timebank.title"), URL: "/timebank"}, {Name: wb.t("timebank.cert.title")}}
	if takerID != 0 {
		p.Crumbs[0] = Crumb{Name: wb.t("timebank.taker.title"), URL: "/timebank/takers/" + strconv.FormatInt(takerID, 10)}
	}
	q := r.URL.Query()
	p.From, p.To = q.Get("from"), q.Get("to")
	var from, to time.Time
	for _, x := range []struct {
		v   string
		dst *time.Time
	}{{p.From, &from}, {p.To, &to}} {
		if x.v == "" {
			continue
		}
		t, err := time.ParseInLocation(time.DateOnly, x.v, model.Shanghai)
		if err != nil {
			p.Error = wb.t("timebank.cert.baddate")
			return wb.render(w, r, http.StatusUnprocessableEntity, "timebank/certificate", p)
		}
		*x.dst = t
	}
	cert, err := wb.st.ServiceCertificate(r.Context(), scope(r), takerID, from, to)
	var ve *model.ValidationError
	var ce *model.ConflictError
	switch {
	case errors.As(err, &ve):
		p.Error = ve.Fields[0].Message
		return wb.render(w, r, http.StatusUnprocessableEntity, "timebank/certificate", p)
	case errors.As(err, &ce):
		p.Error = ce.Message
		return wb.render(w, r, http.StatusOK, "timebank/certificate", p)
	case err != nil:
		return err
	}
	p.Cert = cert
	return wb.render(w, r, http.StatusOK, "timebank/certificate", p)
}

func (wb *Web) myCertificate(w http.ResponseWriter, r *http.Request) error {
	return wb.certificate(w, r, 0, "/timebank/certificate")
}

func (wb *Web) takerCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return wb.certificate(w, r, id, "/timebank/takers/"+strconv.FormatInt(id, 10)+"/certificate")
}

type takerTimebankPage struct {
	Page
	Record  *model.ServiceRecord
	Entries []*model.TimebankEntry
	Form    *Form
	Correct bool // the caller may correct the balance
}

// Hours writes minutes as hours for the templates.
func (*takerTimebankPage) Hours(minutes int) string { return model.FormatHours(minutes) }

func (wb *Web) takerTimebank(w http.ResponseWriter, r *http.Request) error {
	return wb.takerTimebankPage(w, r, http.StatusOK, nil)
}

func (wb *Web) takerTimebankPage(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	p := &takerTimebankPage{Page: wb.base(r, wb.t("timebank.taker.title"), "orders-settings"), Form: f}
	rec, err := wb.st.ServiceRecord(ctx, sc, id)
	if err != nil {
		return err
	}
	p.Record = rec
	p.Title = rec.Taker.Name + " · " + wb.t("timebank.taker.title")
	p.Crumbs = []Crumb{{Name: wb.t("services.title"), URL: "/services"}, {Name: rec.Taker.Name}}
	page, err := wb.st.TimebankEntries(ctx, sc, model.HolderTaker, id, 100, "")
	if err != nil {
		return err
	}
	p.Entries = page.Items
	p.Correct = p.Can("timebank.correct")
	if p.Form == nil {
		p.Form = newForm("correct", nil, "minutes", "reason")
	}
	if p.Form.Invalid() {
		p.Failed = p.Form
	}
	return wb.render(w, r, status, "timebank/taker", p)
}

func (wb *Web) correctTimebank(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("correct", r.PostForm, "minutes", "reason")
	minutes, perr := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("minutes")))
	if perr != nil {
		f.add("minutes", wb.t("timebank.correct.minutes.bad"))
		return wb.takerTimebankPage(w, r, http.StatusUnprocessableEntity, f)
	}
	_, err = wb.st.CorrectTimebank(r.Context(), scope(r), model.TimebankCorrectionInput{HolderKind: model.HolderTaker, HolderID: id, Minutes: minutes, Reason: r.PostForm.Get("reason")})
	if err == nil {
		redirect(w, r, "/timebank/takers/"+strconv.FormatInt(id, 10), "timebank_corrected")
		return nil
	}
	if !f.fail(err) {
		return err
	}
	return wb.takerTimebankPage(w, r, http.StatusUnprocessableEntity, f)
}
