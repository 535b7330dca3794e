package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Small-project budgeting (民生微实事, issue 11 item 5): the rounds. A resident on a phone: the
// rounds of its community, a round's page with the rule, the budget, every proposal (its cost
// and status; after the decision the winners within the budget and why each other lost), a
// big button to propose while the round collects, and a link to the vote while it runs (the
// voting itself is the vote's page). Staff at a desk: create a round, review proposals inline,
// end the collecting, open the voting, cancel with a reason. The proposals are
// small_project.go's.

func roundURL(id int64) string { return "/projects/rounds/" + strconv.FormatInt(id, 10) }

var roundFields = []string{"community_id", "title", "year", "budget", "rule"}

type roundsPage struct {
	Page
	Items       []*model.BudgetRound
	Total       int64
	Next        string
	Status      string
	Statuses    []model.BudgetRoundStatus
	Form        *Form // staff: a new round
	Communities []*model.Territory
	Years       []int
	Rules       []model.VoteRule
}

func (wb *Web) listRounds(w http.ResponseWriter, r *http.Request) error {
	return wb.roundsPageFor(w, r, http.StatusOK, nil)
}

func (wb *Web) roundsPageFor(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	q := r.URL.Query()
	ctx, sc := r.Context(), scope(r)
	p := &roundsPage{Page: wb.base(r, wb.t("budget.title"), "projects"), Status: q.Get("status"), Form: f,
		Statuses: []model.BudgetRoundStatus{model.RoundProposing, model.RoundReviewing, model.RoundVoting, model.RoundDecided, model.RoundCancelled},
		Rules:    []model.VoteRule{model.RuleHousehold, model.RuleResident}}
	p.Crumbs = []Crumb{{Name: p.Title}}
	page, err := wb.st.BudgetRounds(ctx, sc, store.BudgetRoundFilter{Status: model.BudgetRoundStatus(p.Status), Cursor: q.Get("cursor"), Limit: 30})
	if err != nil {
		return err
	}
	p.Items, p.Total, p.Next = page.Items, page.Total, page.Next
	if p.Communities, err = wb.st.BudgetCommunities(ctx, sc); err != nil {
		return err
	}
	if len(p.Communities) > 0 {
		y := wb.st.Now().In(model.Shanghai).Year()
		p.Years = []int{y - 1, y, y + 1}
		if p.Form == nil {
			v := url.Values{"year": {strconv.Itoa(y)}, "rule": {string(model.RuleHousehold)}, "title": {wb.t("budget.round.title.default", y)}}
			if len(p.Communities) == 1 {
				v.Set("community_id", strconv.FormatInt(p.Communities[0].ID, 10))
			}
			p.Form = newForm("round", v, roundFields...)
		}
	}
	if p.Form.Invalid() {
		p.Failed = p.Form
	}
	return wb.render(w, r, status, "budget/list", p)
}

func (wb *Web) createRound(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("round", r.PostForm, roundFields...)
	in := model.BudgetRoundInput{Title: f.Values.Get("title"), Budget: f.Values.Get("budget"), Rule: model.VoteRule(f.Values.Get("rule"))}
	in.CommunityID, _ = strconv.ParseInt(f.Values.Get("community_id"), 10, 64)
	in.Year, _ = strconv.Atoi(strings.TrimSpace(f.Values.Get("year")))
	rd, err := wb.st.CreateBudgetRound(r.Context(), scope(r), in)
	if err != nil {
		if f.fail(err) {
			return wb.roundsPageFor(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, roundURL(rd.ID), "round_created")
	return nil
}

// roundPage is one round as the caller sees it.
type roundPage struct {
	Page
	Round    *model.BudgetRound
	Projects []*model.SmallProject
	Winners  []*model.SmallProject
	Losers   []*model.SmallProject
	Pending  int // proposals not reviewed
	Feasible int
	Now      time.Time
	Review   *Form // the review form that failed (its "project" names the proposal)
	Voting   *Form
	Cancel   *Form
	Phase    *Form // ending the collecting
}

// ReviewFor is the review form of proposal id: the one that failed, or a fresh one.
func (p *roundPage) ReviewFor(id int64) *Form {
	if p.Review != nil && p.Review.Values.Get("project") == strconv.FormatInt(id, 10) {
		return p.Review
	}
	return newForm("review-"+strconv.FormatInt(id, 10), url.Values{"feasible": {"1"}}, "feasible", "cost", "note")
}

func (wb *Web) roundPageFor(w http.ResponseWriter, r *http.Request, status int, fill func(p *roundPage)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	rd, err := wb.st.BudgetRound(ctx, sc, id)
	if err != nil {
		return err
	}
	ps, err := wb.st.SmallProjects(ctx, sc, store.SmallProjectFilter{Round: id, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	y, m, d := wb.st.Now().In(model.Shanghai).AddDate(0, 0, 7).Date()
	p := &roundPage{Page: wb.base(r, rd.Title, "projects"), Round: rd, Projects: ps.Items, Now: wb.st.Now(),
		Voting: newForm("voting", url.Values{"closes_at": {time.Date(y, m, d, 20, 0, 0, 0, model.Shanghai).Format(datetimeLocal)}}, "closes_at"),
		Cancel: newForm("cancel", nil, "reason"), Phase: newForm("phase", nil)}
	p.Crumbs = []Crumb{{Name: wb.t("budget.title"), URL: "/projects"}, {Name: wb.t("budget.round.crumb")}}
	for _, x := range ps.Items {
		switch {
		case x.Status == model.SmallProposed:
			p.Pending++
		case x.Status == model.SmallFeasible:
			p.Feasible++
		case x.Status.Winner():
			p.Winners = append(p.Winners, x)
		case x.Status == model.SmallLost:
			p.Losers = append(p.Losers, x)
		}
	}
	if rd.Status == model.RoundDecided {
		// The winners in the rule's order: most approvals first, then the cheaper, then the first proposed.
		order := func(list []*model.SmallProject) {
			cs := make([]model.BudgetCandidate, len(list))
			byID := map[int64]*model.SmallProject{}
			for i, x := range list {
				n := 0
				if x.Approvals != nil {
					n = *x.Approvals
				}
				cs[i] = model.BudgetCandidate{ID: x.ID, CostFen: x.CostFen, Approvals: n}
				byID[x.ID] = x
			}
			for i, c := range model.SelectWinners(cs, 0).Ranked {
				list[i] = byID[c.ID]
			}
		}
		order(p.Winners)
		order(p.Losers)
	}
	if fill != nil {
		fill(p)
	}
	for _, f := range []*Form{p.Review, p.Voting, p.Cancel, p.Phase} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	return wb.render(w, r, status, "budget/round", p)
}

func (wb *Web) showRound(w http.ResponseWriter, r *http.Request) error {
	return wb.roundPageFor(w, r, http.StatusOK, nil)
}

// closeProposals ends the collecting of proposals.
func (wb *Web) closeProposals(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := wb.st.CloseBudgetProposals(r.Context(), scope(r), id); err != nil {
		f := newForm("phase", r.PostForm)
		if f.fail(err) {
			return wb.roundPageFor(w, r, formStatus(err), func(p *roundPage) { p.Phase = f })
		}
		return err
	}
	redirect(w, r, roundURL(id), "round_reviewing")
	return nil
}

// openVoting opens the round's vote and goes to the round again, which links to it.
func (wb *Web) openVoting(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("voting", r.PostForm, "closes_at")
	var in store.BudgetVotingInput
	if v := strings.TrimSpace(f.Values.Get("closes_at")); v == "" {
		f.add("closes_at", wb.t("votes.closes_at.missing"))
	} else if t, err := parseLocalTime(v); err != nil {
		f.add("closes_at", wb.t("votes.closes_at.bad"))
	} else {
		in.ClosesAt = t
	}
	var verr error
	if !f.Invalid() {
		if _, verr = wb.st.OpenBudgetVoting(r.Context(), scope(r), id, in); verr != nil && !f.fail(verr) {
			return verr
		}
	}
	if f.Invalid() {
		return wb.roundPageFor(w, r, formStatus(verr), func(p *roundPage) { p.Voting = f })
	}
	redirect(w, r, roundURL(id), "round_voting")
	return nil
}

func (wb *Web) cancelRound(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("cancel", r.PostForm, "reason")
	if _, err := wb.st.CancelBudgetRound(r.Context(), scope(r), id, f.Values.Get("reason")); err != nil {
		if f.fail(err) {
			return wb.roundPageFor(w, r, formStatus(err), func(p *roundPage) { p.Cancel = f })
		}
		return err
	}
	redirect(w, r, roundURL(id), "round_cancelled")
	return nil
}
