package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The duty rotation's pages (issue 9 items 3, 4 and 7): a unit's rotation table for staff and
// its leader (/units/{id}/duty: twelve months, exemptions, this month's checklist), and a
// household's "我家轮值" on the phone (/units/duty/mine: our next turns, this month's checklist
// with tick boxes when it is our month, swap requests, the private calendar link). The store
// decides who sees which unit; the pages only show what it answers.

// dutyPage is both pages' data.
type dutyPage struct {
	Page
	Duty      *store.UnitDuty
	Mine      bool                  // the household's own page
	Checklist *store.MonthChecklist // the current month's
	Swaps     []*model.DutySwap
	Feeds     []*store.DutyFeedToken
	FeedURL   string // a private link just made (shown once)
	Ticked    map[string]int
	Months    []dutyRow // the table: from the current month on
	OurTurns  []store.DutyMonth
	Incoming  []*model.DutySwap // swap requests waiting for our answer
	Others    []store.DutyMonth // months of other households we may ask for
	Exempt    map[int64]model.DutyExemption
	Members   []*model.Household // the unit's households (staff: the exemption form)
	Form      *Form              // the exemption or swap form
	Reasons   []model.DutyReason
}

// dutyRow is one month of the table.
type dutyRow struct {
	store.DutyMonth
	Label   string
	Current bool
	Ours    bool
	Ticked  int
}

func (p *dutyPage) fill(d *store.UnitDuty) {
	p.Duty = d
	p.Exempt = map[int64]model.DutyExemption{}
	for _, e := range d.Exemptions {
		p.Exempt[e.HouseholdID] = e
	}
	for _, m := range d.Months {
		if m.Month < d.Current {
			continue
		}
		mm, _ := model.ParseMonth(m.Month)
		row := dutyRow{DutyMonth: m, Label: mm.Label(), Current: m.Month == d.Current, Ours: d.Own != 0 && m.HouseholdID == d.Own, Ticked: p.Ticked[m.Month]}
		p.Months = append(p.Months, row)
		if row.Ours {
			p.OurTurns = append(p.OurTurns, m)
		} else if m.Month > d.Current {
			p.Others = append(p.Others, m)
		}
	}
}

// MonthLabel is "2026年3月" for "2026-03".
func (p *dutyPage) MonthLabel(s string) string {
	m, err := model.ParseMonth(s)
	if err != nil {
		return s
	}
	return m.Label()
}

func dutyURL(unit int64) string { return "/units/" + strconv.FormatInt(unit, 10) + "/duty" }

// unitDuty is the rotation of one unit for staff and its leader.
func (wb *Web) unitDuty(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return wb.unitDutyPage(w, r, http.StatusOK, id, nil, "")
}

func (wb *Web) unitDutyPage(w http.ResponseWriter, r *http.Request, status int, id int64, f *Form, feedURL string) error {
	ctx, sc := r.Context(), scope(r)
	d, err := wb.st.UnitDuty(ctx, sc, id)
	if err != nil {
		return err
	}
	p := &dutyPage{Page: wb.base(r, wb.t("duty.unit.title", d.Unit.Name), "units"), FeedURL: feedURL, Reasons: model.DutyReasons}
	if p.Ticked, err = wb.st.DutyTicked(ctx, sc, id, d.Current); err != nil {
		return err
	}
	p.fill(d)
	if p.Checklist, err = wb.st.DutyMonthChecklist(ctx, sc, id, d.Current); err != nil {
		return err
	}
	if p.Swaps, err = wb.st.DutySwaps(ctx, sc, id); err != nil {
		return err
	}
	if p.Feeds, err = wb.st.DutyFeedTokens(ctx, sc, id); err != nil {
		return err
	}
	if p.Can(authz.UnitDutyWrite) {
		if p.Members, err = wb.st.UnitHouseholds(ctx, sc, id); err != nil && !errors.Is(err, model.ErrNotFound) {
			return err
		}
	}
	if f == nil {
		f = newForm("exempt", nil, "household_id", "reason", "until", "note")
	}
	p.Form = f
	if f.Invalid() {
		p.Failed = f
	}
	p.Crumbs = []Crumb{{Name: d.Unit.Name}, {Name: wb.t("duty.name")}}
	return wb.render(w, r, status, "units/duty", p)
}

// myDuty is "我家轮值": the household of the caller's linked resident.
func (wb *Web) myDuty(w http.ResponseWriter, r *http.Request) error {
	return wb.myDutyPage(w, r, http.StatusOK, nil, "")
}

func (wb *Web) myDutyPage(w http.ResponseWriter, r *http.Request, status int, f *Form, feedURL string) error {
	ctx, sc := r.Context(), scope(r)
	p := &dutyPage{Page: wb.base(r, wb.t("duty.mine.title"), "services"), Mine: true, FeedURL: feedURL}
	p.Crumbs = []Crumb{{Name: wb.t("duty.mine.title")}}
	d, err := wb.st.OwnDuty(ctx, sc)
	switch {
	case errors.Is(err, store.ErrNotLinked), errors.Is(err, model.ErrNotFound):
		return wb.render(w, r, http.StatusOK, "units/duty_mine", p)
	case err != nil:
		return err
	}
	p.fill(d)
	if p.Checklist, err = wb.st.DutyMonthChecklist(ctx, sc, d.Unit.ID, d.Current); err != nil {
		return err
	}
	if p.Swaps, err = wb.st.DutySwaps(ctx, sc, d.Unit.ID); err != nil {
		return err
	}
	for _, s := range p.Swaps {
		if s.Status == model.SwapPending && s.ToHousehold == d.Own {
			p.Incoming = append(p.Incoming, s)
		}
	}
	if p.Feeds, err = wb.st.DutyFeedTokens(ctx, sc, d.Unit.ID); err != nil {
		return err
	}
	if f == nil {
		f = newForm("swap", nil, "from_month", "to_month", "note")
	}
	p.Form = f
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "units/duty_mine", p)
}

// back is where a duty form returns: the household's page when it came from there.
func dutyBack(r *http.Request, unit int64) string {
	if r.PostForm.Get("from") == "mine" {
		return "/units/duty/mine"
	}
	return dutyURL(unit)
}

// dutyFail renders the page the form came from with the error the user can fix (422).
func (wb *Web) dutyFail(w http.ResponseWriter, r *http.Request, unit int64, f *Form, err error) error {
	if !f.fail(err) {
		var fe *model.ForbiddenError
		if !errors.As(err, &fe) {
			return err
		}
		f.Message = fe.Message
	}
	if r.PostForm.Get("from") == "mine" {
		return wb.myDutyPage(w, r, http.StatusUnprocessableEntity, f, "")
	}
	return wb.unitDutyPage(w, r, http.StatusUnprocessableEntity, unit, f, "")
}

func (wb *Web) generateDuty(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := wb.st.GenerateRotation(r.Context(), scope(r), id); err != nil {
		return wb.dutyFail(w, r, id, newForm("generate", r.PostForm), err)
	}
	redirect(w, r, dutyURL(id), "duty_generated")
	return nil
}

func (wb *Web) addDutyExemption(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("exempt", r.PostForm, "household_id", "reason", "until", "note")
	h, _ := strconv.ParseInt(r.PostForm.Get("household_id"), 10, 64)
	in := model.DutyExemptionInput{HouseholdID: h, Reason: model.DutyReason(r.PostForm.Get("reason")), Note: r.PostForm.Get("note"), Until: r.PostForm.Get("until")}
	if _, err := wb.st.AddExemption(r.Context(), scope(r), id, in); err != nil {
		return wb.dutyFail(w, r, id, f, err)
	}
	redirect(w, r, dutyURL(id), "duty_exempted")
	return nil
}

func (wb *Web) liftDutyExemption(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	unit, _ := strconv.ParseInt(r.PostForm.Get("unit"), 10, 64)
	if err := wb.st.LiftExemption(r.Context(), scope(r), id); err != nil {
		return err
	}
	if unit == 0 {
		redirect(w, r, "/", "duty_lifted")
		return nil
	}
	redirect(w, r, dutyURL(unit), "duty_lifted")
	return nil
}

func (wb *Web) tickDuty(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("tick", r.PostForm)
	done := r.PostForm.Get("done") != "0"
	if _, err := wb.st.TickDuty(r.Context(), scope(r), id, r.PostForm.Get("month"), r.PostForm.Get("item"), done); err != nil {
		return wb.dutyFail(w, r, id, f, err)
	}
	redirect(w, r, dutyBack(r, id)+"#checklist", "duty_ticked")
	return nil
}

func (wb *Web) requestDutySwap(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("swap", r.PostForm, "from_month", "to_month", "note")
	in := model.DutySwapInput{FromMonth: r.PostForm.Get("from_month"), ToMonth: r.PostForm.Get("to_month"), Note: r.PostForm.Get("note")}
	if _, err := wb.st.RequestSwap(r.Context(), scope(r), id, in); err != nil {
		return wb.dutyFail(w, r, id, f, err)
	}
	redirect(w, r, "/units/duty/mine", "duty_swap_asked")
	return nil
}

func (wb *Web) decideDutySwap(accept bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		s, err := wb.st.DecideSwap(r.Context(), scope(r), id, accept)
		if err != nil {
			var ce *model.ConflictError
			if errors.As(err, &ce) {
				return wb.myDutyPage(w, r, http.StatusConflict, &Form{Name: "swap", Values: url.Values{}, Message: ce.Message}, "")
			}
			return err
		}
		done := "duty_swap_declined"
		if s.Status == model.SwapAccepted {
			done = "duty_swap_accepted"
		}
		redirect(w, r, "/units/duty/mine", done)
		return nil
	}
}

// createDutyFeed makes a private calendar link and shows it once on the page it came from.
func (wb *Web) createDutyFeed(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	h, _ := strconv.ParseInt(r.PostForm.Get("household_id"), 10, 64)
	if h != 0 {
		d, err := wb.st.HouseholdDuty(r.Context(), scope(r), h)
		if err != nil || d.Unit.ID != id {
			return model.ErrNotFound
		}
	}
	tok, _, err := wb.st.CreateDutyFeedToken(r.Context(), scope(r), id, h)
	if err != nil {
		return err
	}
	u := wb.absolute(r, "/feeds/duty/"+tok+".ics")
	if r.PostForm.Get("from") == "mine" {
		return wb.myDutyPage(w, r, http.StatusOK, nil, u)
	}
	return wb.unitDutyPage(w, r, http.StatusOK, id, nil, u)
}

// absolute is path on this site as the browser reached it, for a link to copy elsewhere.
func (wb *Web) absolute(r *http.Request, path string) string {
	scheme := "http"
	if wb.secure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

func (wb *Web) revokeDutyFeed(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := wb.st.RevokeDutyFeedToken(r.Context(), scope(r), id); err != nil {
		return err
	}
	unit, _ := strconv.ParseInt(r.PostForm.Get("unit"), 10, 64)
	if r.PostForm.Get("from") == "mine" || unit == 0 {
		redirect(w, r, "/units/duty/mine", "duty_feed_revoked")
		return nil
	}
	redirect(w, r, dutyURL(unit), "duty_feed_revoked")
	return nil
}

// HouseholdAddress is the address of a household of the unit ("—" when not known here).
func (p *dutyPage) HouseholdAddress(id int64) string {
	for _, h := range p.Members {
		if h.ID == id {
			return h.Address
		}
	}
	for _, m := range p.Duty.Months {
		if m.HouseholdID == id {
			return m.Address
		}
	}
	return "—"
}
