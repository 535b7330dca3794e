package api

import (
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The time bank (时间银行): /api/v1/timebank. The caller's own balances, ledger, service record
// and certificate; spends on its household's orders and gifts to households of its community;
// staff read a taker of their territory, its certificate, and correct its balance.

type timebankHolderJSON struct {
	*model.TimebankHolder
	KindLabel    string `json:"kind_label"`
	BalanceHours string `json:"balance_hours"`
}

func toHolderJSON(h *model.TimebankHolder) timebankHolderJSON {
	return timebankHolderJSON{TimebankHolder: h, KindLabel: h.Kind.Label(), BalanceHours: model.FormatHours(h.Balance)}
}

type timebankEntryJSON struct {
	*model.TimebankEntry
	KindLabel string `json:"kind_label"`
}

func toEntriesJSON(p *store.Page[*model.TimebankEntry]) list[timebankEntryJSON] {
	out := list[timebankEntryJSON]{Items: make([]timebankEntryJSON, len(p.Items)), NextCursor: p.Next, Total: &p.Total}
	for i, e := range p.Items {
		e.At = e.At.In(model.Shanghai)
		out.Items[i] = timebankEntryJSON{TimebankEntry: e, KindLabel: e.Kind.Label()}
	}
	return out
}

func shanghaiRecord(rec *model.ServiceRecord) *model.ServiceRecord {
	for _, t := range []**time.Time{&rec.First, &rec.Last} {
		if *t != nil {
			x := (*t).In(model.Shanghai)
			*t = &x
		}
	}
	return rec
}

// myTimebank answers the caller's holders, the ledger of one of them (?holder=taker|household,
// default the first) and, when it is a taker, its service record.
func (a *API) myTimebank(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "holder")
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), authz.ScopeFrom(r.Context())
	holders, err := a.st.TimebankHolders(ctx, sc)
	if err != nil {
		return err
	}
	want := model.TimebankHolderKind(r.URL.Query().Get("holder"))
	if want != "" && !want.Valid() {
		return malformed("查询参数有误", model.FieldError{Field: "holder", Message: "holder 应为 taker 或 household"})
	}
	out := struct {
		Holders []timebankHolderJSON     `json:"holders"`
		Entries *list[timebankEntryJSON] `json:"entries"`
		Record  *model.ServiceRecord     `json:"record"`
	}{Holders: []timebankHolderJSON{}}
	var pick *model.TimebankHolder
	for _, h := range holders {
		out.Holders = append(out.Holders, toHolderJSON(h))
		if pick == nil && (want == "" || h.Kind == want) {
			pick = h
		}
	}
	if want != "" && pick == nil {
		return model.ErrNotFound
	}
	if pick != nil {
		page, err := a.st.TimebankEntries(ctx, sc, pick.Kind, pick.ID, lq.Limit, lq.Cursor)
		if err != nil {
			return err
		}
		l := toEntriesJSON(page)
		out.Entries = &l
	}
	if len(holders) > 0 && holders[0].Kind == model.HolderTaker {
		rec, err := a.st.ServiceRecord(ctx, sc, 0)
		if err != nil {
			return err
		}
		out.Record = shanghaiRecord(rec)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) spendTimebank(w http.ResponseWriter, r *http.Request) error {
	var in model.TimebankTransfer
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	e, err := a.st.SpendTimebank(r.Context(), authz.ScopeFrom(r.Context()), in)
	if err != nil {
		return err
	}
	e.At = e.At.In(model.Shanghai)
	return writeJSON(w, http.StatusCreated, timebankEntryJSON{TimebankEntry: e, KindLabel: e.Kind.Label()})
}

func (a *API) giveTimebank(w http.ResponseWriter, r *http.Request) error {
	var in model.TimebankTransfer
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	e, err := a.st.GiveTimebank(r.Context(), authz.ScopeFrom(r.Context()), in)
	if err != nil {
		return err
	}
	e.At = e.At.In(model.Shanghai)
	return writeJSON(w, http.StatusCreated, timebankEntryJSON{TimebankEntry: e, KindLabel: e.Kind.Label()})
}

// timebankHouseholds finds the households of the caller's community a gift may go to, by address.
func (a *API) timebankHouseholds(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	if len([]rune(q)) < 2 {
		return malformed("查询参数有误", model.FieldError{Field: "q", Message: "请至少输入地址中的两个字"})
	}
	hs, err := a.st.TimebankHouseholds(r.Context(), authz.ScopeFrom(r.Context()), q)
	if err != nil {
		return err
	}
	type hJSON struct {
		ID      ID     `json:"id"`
		Address string `json:"address"`
	}
	out := list[hJSON]{Items: make([]hJSON, len(hs))}
	for i, h := range hs {
		out.Items[i] = hJSON{ID: ID(h.ID), Address: h.Name}
	}
	return writeJSON(w, http.StatusOK, out)
}

// period reads ?from= and ?to= (YYYY-MM-DD, Shanghai dates; either may be absent).
func period(r *http.Request) (from, to time.Time, err error) {
	var fields []model.FieldError
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		v := r.URL.Query().Get(p.name)
		if v == "" {
			continue
		}
		t, perr := time.ParseInLocation(time.DateOnly, v, model.Shanghai)
		if perr != nil {
			fields = append(fields, model.FieldError{Field: p.name, Message: p.name + " 应为日期，如 2026-06-01"})
		}
		*p.dst = t
	}
	if len(fields) > 0 {
		return from, to, malformed("查询参数有误", fields...)
	}
	return from, to, nil
}

func writeCertificate(w http.ResponseWriter, c *model.ServiceCertificate) error {
	c.From, c.To, c.IssuedAt = c.From.In(model.Shanghai), c.To.In(model.Shanghai), c.IssuedAt.In(model.Shanghai)
	return writeJSON(w, http.StatusOK, struct {
		*model.ServiceCertificate
		Hours string `json:"hours"`
	}{c, c.Hours()})
}

func (a *API) myCertificate(w http.ResponseWriter, r *http.Request) error {
	from, to, err := period(r)
	if err != nil {
		return err
	}
	c, err := a.st.ServiceCertificate(r.Context(), authz.ScopeFrom(r.Context()), 0, from, to)
	if err != nil {
		return err
	}
	return writeCertificate(w, c)
}

// takerTimebank is staff's view of a taker of their territory: its record and its ledger.
func (a *API) takerTimebank(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	lq, err := parseList(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), authz.ScopeFrom(r.Context())
	rec, err := a.st.ServiceRecord(ctx, sc, id)
	if err != nil {
		return err
	}
	page, err := a.st.TimebankEntries(ctx, sc, model.HolderTaker, id, lq.Limit, lq.Cursor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"record": shanghaiRecord(rec), "entries": toEntriesJSON(page)})
}

func (a *API) takerCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	from, to, err := period(r)
	if err != nil {
		return err
	}
	c, err := a.st.ServiceCertificate(r.Context(), authz.ScopeFrom(r.Context()), id, from, to)
	if err != nil {
		return err
	}
	return writeCertificate(w, c)
}

func (a *API) correctTimebank(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Minutes int    `json:"minutes"`
		Reason  string `json:"reason"`
	}
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	e, err := a.st.CorrectTimebank(r.Context(), authz.ScopeFrom(r.Context()),
		model.TimebankCorrectionInput{HolderKind: model.HolderTaker, HolderID: id, Minutes: in.Minutes, Reason: in.Reason})
	if err != nil {
		return err
	}
	e.At = e.At.In(model.Shanghai)
	return writeJSON(w, http.StatusCreated, timebankEntryJSON{TimebankEntry: e, KindLabel: e.Kind.Label()})
}
