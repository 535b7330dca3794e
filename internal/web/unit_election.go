package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Unit leader elections and appointments (issue 9 item 2). A resident's election on a phone:
// the open election of its own household's unit with one big button per candidate (one tap
// votes), and afterwards 已投票 with the turnout — never whom the household chose; a closed
// election shows its result. Staff: open an election (candidates among the unit's household
// heads, the closing time, the term), follow its turnout household by household (voted or not,
// by proxy or not — never the choice), cast a proxy vote for a household without a smartphone,
// close it now, and appoint a leader with a recorded reason. The unit page (unit.go) shows the
// leader and the elections with their tallies once closed.

func electionURL(id int64) string { return "/unit-elections/" + strconv.FormatInt(id, 10) }

type electionVotePage struct {
	Page
	Election  *model.UnitElection // nil: the household's unit has had no election
	Leader    *model.UnitLeader   // the unit's leader, when it has one
	Accepting bool
}

// myUnitElection shows the caller's household's unit's election.
func (wb *Web) myUnitElection(w http.ResponseWriter, r *http.Request) error {
	return wb.myElectionPage(w, r, http.StatusOK, nil)
}

// myElectionPage renders the vote page; failed is a refused vote, whose message the summary
// at the top shows (a second vote of the household, a vote after the closing time).
func (wb *Web) myElectionPage(w http.ResponseWriter, r *http.Request, status int, failed *Form) error {
	sc := scope(r)
	d := &electionVotePage{Page: wb.base(r, wb.t("election.title"), "home")}
	if failed.Invalid() {
		d.Failed = failed
	}
	e, err := wb.st.OwnUnitElection(r.Context(), sc)
	switch {
	case errors.Is(err, model.ErrNotFound):
	case err != nil:
		return err
	default:
		d.Election, d.Accepting = e, e.Accepting(wb.st.Now()) && !e.HouseholdVoted
		if u, err := wb.st.Unit(r.Context(), sc, e.UnitID); err == nil {
			d.Leader = u.Leader
		}
	}
	return wb.render(w, r, status, "units/election_vote", d)
}

// voteInUnitElection casts the household's vote from the page's form (election_id,
// candidate_id) and goes back to the election, which now says 已投票.
func (wb *Web) voteInUnitElection(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return err
	}
	election, err1 := strconv.ParseInt(strings.TrimSpace(r.PostForm.Get("election_id")), 10, 64)
	candidate, err2 := strconv.ParseInt(strings.TrimSpace(r.PostForm.Get("candidate_id")), 10, 64)
	f := newForm("vote", r.PostForm)
	if err1 != nil || err2 != nil || election <= 0 || candidate <= 0 {
		f.add("candidate_id", wb.t("election.pick"))
		return wb.myElectionPage(w, r, http.StatusUnprocessableEntity, f)
	}
	if err := wb.st.UnitVote(r.Context(), scope(r), election, candidate); err != nil {
		if f.fail(err) {
			return wb.myElectionPage(w, r, formStatus(err), f)
		}
		return err
	}
	http.Redirect(w, r, "/me/unit-election?done=voted", http.StatusSeeOther)
	return nil
}

// unitHead is one household head of a unit: a possible candidate or appointee.
type unitHead struct {
	ResidentID  int64
	HouseholdID int64
	Name        string
	Address     string
}

// unitHeads lists the household heads of the unit's current households, in the households'
// order.
func (wb *Web) unitHeads(r *http.Request, unitID int64) ([]unitHead, error) {
	ctx, sc := r.Context(), scope(r)
	hs, err := wb.st.UnitHouseholds(ctx, sc, unitID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(hs))
	for i, h := range hs {
		ids[i] = h.ID
	}
	rs, err := wb.st.ResidentsOfHouseholds(ctx, sc, ids)
	if err != nil {
		return nil, err
	}
	var heads []unitHead
	for _, h := range hs {
		for _, p := range rs[h.ID] {
			if p.Relation == model.RelationHead {
				heads = append(heads, unitHead{ResidentID: p.ID, HouseholdID: h.ID, Name: p.Name, Address: h.Address})
			}
		}
	}
	return heads, nil
}

// electionFormPage is the form that opens an election or the one that appoints a leader.
type electionFormPage struct {
	Page
	Unit   *model.Unit
	Heads  []unitHead
	Form   *Form
	Ticked map[int64]bool
}

var (
	openElectionFields = []string{"candidates", "closes_at", "term_months"}
	appointFields      = []string{"resident_id", "term_months", "reason"}
)

// electionForm renders the open (or appoint) form of unit id with f (nil: the defaults).
func (wb *Web) electionForm(w http.ResponseWriter, r *http.Request, status int, appoint bool, f *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u, err := wb.st.Unit(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	heads, err := wb.unitHeads(r, id)
	if err != nil {
		return err
	}
	title, tmpl := wb.t("election.new.title"), "units/election_new"
	if appoint {
		title, tmpl = wb.t("election.appoint.title"), "units/election_appoint"
	}
	if f == nil {
		v := url.Values{"term_months": {strconv.Itoa(model.DefaultTermMonths)}}
		if appoint {
			f = newForm("appoint", v, appointFields...)
		} else {
			for _, h := range heads {
				v.Add("candidates", strconv.FormatInt(h.ResidentID, 10))
			}
			// A week from now, at 20:00 in Shanghai: after work, when households are home.
			y, m, d := wb.st.Now().In(model.Shanghai).AddDate(0, 0, 7).Date()
			v.Set("closes_at", time.Date(y, m, d, 20, 0, 0, 0, model.Shanghai).Format(datetimeLocal))
			f = newForm("election", v, openElectionFields...)
		}
	}
	p := &electionFormPage{Page: wb.base(r, title, "units"), Unit: u, Heads: heads, Form: f, Ticked: map[int64]bool{}}
	for _, v := range f.Values["candidates"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			p.Ticked[n] = true
		}
	}
	p.Crumbs = append(wb.scopeCrumbs(r, unitsURL), Crumb{Name: wb.t("units.title"), URL: "/units"}, Crumb{Name: u.Name, URL: unitURL(u.ID)}, Crumb{Name: title})
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, tmpl, p)
}

func (wb *Web) newElectionForm(w http.ResponseWriter, r *http.Request) error {
	return wb.electionForm(w, r, http.StatusOK, false, nil)
}

// datetimeLocal is the value format of an <input type="datetime-local">.
const datetimeLocal = "2006-01-02T15:04"

// parseTerm reads the term in months of a form into dst, or records its error on f.
func (wb *Web) parseTerm(f *Form, dst *int) {
	n, err := strconv.Atoi(strings.TrimSpace(f.Values.Get("term_months")))
	if err != nil {
		f.add("term_months", wb.t("election.term.invalid"))
		return
	}
	*dst = n
}

// openElection opens the election the form describes and shows it.
func (wb *Web) openElection(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("election", r.PostForm, openElectionFields...)
	in := model.ElectionInput{}
	wb.parseTerm(f, &in.TermMonths)
	if v := strings.TrimSpace(f.Values.Get("closes_at")); v == "" {
		f.add("closes_at", wb.t("election.closes_at.missing"))
	} else if t, err := parseLocalTime(v); err != nil {
		f.add("closes_at", wb.t("election.closes_at.invalid"))
	} else {
		in.ClosesAt = t
	}
	for _, v := range f.Values["candidates"] {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n <= 0 {
			f.add("candidates", wb.t("election.candidates.invalid"))
			break
		}
		in.Candidates = append(in.Candidates, n)
	}
	if len(f.Values["candidates"]) == 0 {
		f.add("candidates", wb.t("election.candidates.none"))
	}
	if f.Invalid() {
		return wb.electionForm(w, r, http.StatusUnprocessableEntity, false, f)
	}
	e, err := wb.st.OpenUnitElection(r.Context(), scope(r), id, in)
	if err != nil {
		if f.fail(err) {
			return wb.electionForm(w, r, formStatus(err), false, f)
		}
		return err
	}
	redirect(w, r, electionURL(e.ID), "election_opened")
	return nil
}

// parseLocalTime reads a time in Asia/Shanghai as a datetime-local input sends it (or with a
// space for the T, as a person types it).
func parseLocalTime(v string) (time.Time, error) {
	v = strings.Replace(v, " ", "T", 1)
	t, err := time.ParseInLocation(datetimeLocal, v, model.Shanghai)
	if err != nil {
		t, err = time.ParseInLocation(datetimeLocal+":05", v, model.Shanghai)
	}
	return t, err
}

func (wb *Web) appointForm(w http.ResponseWriter, r *http.Request) error {
	return wb.electionForm(w, r, http.StatusOK, true, nil)
}

// appointLeader records the appointment the form describes and goes back to the unit.
func (wb *Web) appointLeader(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("appoint", r.PostForm, appointFields...)
	a := model.Appointment{Reason: f.Values.Get("reason")}
	if v := strings.TrimSpace(f.Values.Get("resident_id")); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			a.ResidentID = n
		}
	}
	wb.parseTerm(f, &a.TermMonths)
	if f.Invalid() {
		// Also the errors Validate finds in the other fields, so the page lists them all at once.
		if err := a.Validate(); err != nil {
			var ve *model.ValidationError
			if errors.As(err, &ve) {
				for _, fe := range ve.Fields {
					if fe.Field != "term_months" {
						f.Errors = append(f.Errors, fe)
					}
				}
			}
		}
		return wb.electionForm(w, r, http.StatusUnprocessableEntity, true, f)
	}
	if _, err := wb.st.AppointUnitLeader(r.Context(), scope(r), id, a); err != nil {
		if f.fail(err) {
			return wb.electionForm(w, r, formStatus(err), true, f)
		}
		return err
	}
	redirect(w, r, unitURL(id), "leader_appointed")
	return nil
}

// electionPage is one election as staff follow it.
type electionPage struct {
	Page
	Election   *model.UnitElection
	Accepting  bool
	Closable   bool                      // staff may close it now (model.UnitElection.Closable)
	Households []store.ElectionHousehold // staff only: who voted, never the choice
	Waiting    []store.ElectionHousehold // those that have not voted yet (the proxy form's choice)
	Proxy      *Form
	Close      *Form
}

func (wb *Web) electionPageFor(w http.ResponseWriter, r *http.Request, status int, proxy, closing *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	e, err := wb.st.UnitElection(ctx, sc, id)
	if err != nil {
		return err
	}
	if proxy == nil {
		proxy = newForm("proxy", nil, "household_id", "candidate_id")
	}
	if closing == nil {
		closing = newForm("close", nil)
	}
	p := &electionPage{Page: wb.base(r, wb.t("election.show.title", e.UnitName), "units"), Election: e, Accepting: e.Accepting(wb.st.Now()),
		Closable: e.Closable(wb.st.Now()), Proxy: proxy, Close: closing}
	if p.Can(authz.UnitElectionWrite) {
		if p.Households, err = wb.st.ElectionHouseholds(ctx, sc, id); err != nil {
			return err
		}
		for _, h := range p.Households {
			if !h.Voted {
				p.Waiting = append(p.Waiting, h)
			}
		}
	}
	p.Crumbs = append(wb.scopeCrumbs(r, unitsURL), Crumb{Name: wb.t("units.title"), URL: "/units"}, Crumb{Name: e.UnitName, URL: unitURL(e.UnitID)},
		Crumb{Name: wb.t("election.show.crumb")})
	switch {
	case proxy.Invalid():
		p.Failed = proxy
	case closing.Invalid():
		p.Failed = closing
	}
	return wb.render(w, r, status, "units/election", p)
}

func (wb *Web) unitElection(w http.ResponseWriter, r *http.Request) error {
	return wb.electionPageFor(w, r, http.StatusOK, nil, nil)
}

// proxyVote casts the vote of a household without a smartphone, as its member told staff.
func (wb *Web) proxyVote(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("proxy", r.PostForm, "household_id", "candidate_id")
	household, err := strconv.ParseInt(strings.TrimSpace(f.Values.Get("household_id")), 10, 64)
	if err != nil || household <= 0 {
		f.add("household_id", wb.t("election.proxy.household.missing"))
	}
	candidate, err := strconv.ParseInt(strings.TrimSpace(f.Values.Get("candidate_id")), 10, 64)
	if err != nil || candidate <= 0 {
		f.add("candidate_id", wb.t("election.pick"))
	}
	if f.Invalid() {
		return wb.electionPageFor(w, r, http.StatusUnprocessableEntity, f, nil)
	}
	if err := wb.st.ProxyVote(r.Context(), scope(r), id, household, candidate); err != nil {
		if f.fail(err) {
			return wb.electionPageFor(w, r, formStatus(err), f, nil)
		}
		return err
	}
	redirect(w, r, electionURL(id), "proxy_voted")
	return nil
}

// closeElection closes the election now; the unit page shows the result.
func (wb *Web) closeElection(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	e, err := wb.st.CloseUnitElection(r.Context(), scope(r), id)
	if err != nil {
		f := newForm("close", r.PostForm)
		if f.fail(err) {
			return wb.electionPageFor(w, r, formStatus(err), nil, f)
		}
		return err
	}
	redirect(w, r, unitURL(e.UnitID), "election_closed")
	return nil
}

// unitElections fills the unit page's elections, for those who may see them.
func (wb *Web) unitElections(r *http.Request, p *unitPage) error {
	if !p.Can(authz.UnitElectionRead) {
		return nil
	}
	es, err := wb.st.UnitElections(r.Context(), scope(r), p.U.ID)
	if errors.Is(err, model.ErrNotFound) || errors.Is(err, model.ErrForbidden) {
		return nil
	} else if err != nil {
		return err
	}
	p.Elections = es
	for _, e := range es {
		if e.Status == model.ElectionOpen {
			p.Open = e
		}
	}
	return nil
}
