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

// Votes of compound affairs (小区议事, issue 11 item 2). A resident on a phone: the votes over
// its household, open ones first; a vote's page with its question and one big choice per
// option, then 已投票 and the receipt code to check later — never the choice; the result once
// the vote has closed, with turnout by building. Staff: open a vote over a compound, grid,
// building or stairwell of their territory, follow the turnout, cast proxy ballots for voters
// without a smartphone (the roll says who voted, never what), close it once everyone voted or
// when the time is up, or cancel it with a reason.

func voteURL(id int64) string { return "/votes/" + strconv.FormatInt(id, 10) }

type votesPage struct {
	Page
	Items  []*model.Vote
	Total  int64
	Next   string
	Status string
	Now    time.Time
}

func (wb *Web) listVotes(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &votesPage{Page: wb.base(r, wb.t("votes.title"), "votes"), Status: q.Get("status"), Now: wb.st.Now()}
	p.Crumbs = []Crumb{{Name: p.Title}}
	page, err := wb.st.Votes(r.Context(), scope(r), store.VoteFilter{Status: model.VoteStatus(p.Status), Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	p.Items, p.Total, p.Next = page.Items, page.Total, page.Next
	return wb.render(w, r, http.StatusOK, "votes/list", p)
}

var voteFields = []string{"title", "territory_id", "rule", "kind", "options", "max_choices", "quorum", "threshold", "closes_at", "description"}

type voteFormPage struct {
	Page
	voteRuleChoices
	Form  *Form
	Nodes []territoryOption
}

// voteRuleChoices are the choices of the "voteRules" partial (partials/vote.html).
type voteRuleChoices struct {
	Rules      []model.VoteRule
	Kinds      []model.VoteKind
	Thresholds []model.Threshold
	Quorums    []model.Quorum
}

func newVoteRuleChoices() voteRuleChoices {
	return voteRuleChoices{Rules: []model.VoteRule{model.RuleHousehold, model.RuleResident}, Kinds: []model.VoteKind{model.VoteYesNo, model.VoteSingle, model.VoteMultiple},
		Thresholds: []model.Threshold{model.ThresholdMajority, model.ThresholdTwoThirds},
		Quorums:    []model.Quorum{{Num: 2, Den: 3}, {Num: 1, Den: 2}, {Num: 0, Den: 1}}}
}

// voteRuleDefaults are the rules a new vote's form starts from: one household one vote, yes or
// no, two thirds taking part, a majority, closing a week from now at 20:00 in Shanghai (after
// work, when households are home).
func (wb *Web) voteRuleDefaults() url.Values {
	y, m, d := wb.st.Now().In(model.Shanghai).AddDate(0, 0, 7).Date()
	return url.Values{"rule": {string(model.RuleHousehold)}, "kind": {string(model.VoteYesNo)}, "quorum": {"2/3"}, "threshold": {string(model.ThresholdMajority)},
		"closes_at": {time.Date(y, m, d, 20, 0, 0, 0, model.Shanghai).Format(datetimeLocal)}, "max_choices": {"2"}}
}

func (wb *Web) newVote(w http.ResponseWriter, r *http.Request) error {
	v := wb.voteRuleDefaults()
	if t := r.URL.Query().Get("territory"); t != "" {
		v.Set("territory_id", t)
	}
	return wb.voteForm(w, r, http.StatusOK, newForm("vote", v, voteFields...))
}

func (wb *Web) voteForm(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	p := &voteFormPage{Page: wb.base(r, wb.t("votes.new.title"), "votes"), Form: f, voteRuleChoices: newVoteRuleChoices()}
	p.Crumbs = []Crumb{{Name: wb.t("votes.title"), URL: "/votes"}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	var err error
	if p.Nodes, err = wb.listNodes(r, model.KindStreet, model.KindCommunity, model.KindResidentGroup, model.KindGrid, model.KindCompound, model.KindBuilding, model.KindStairwell); err != nil {
		return err
	}
	return wb.render(w, r, status, "votes/new", p)
}

func (wb *Web) openVote(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("vote", r.PostForm, voteFields...)
	in := wb.readVoteRules(f)
	in.TerritoryID, _ = strconv.ParseInt(f.Values.Get("territory_id"), 10, 64)
	if f.Invalid() {
		return wb.voteForm(w, r, http.StatusUnprocessableEntity, f)
	}
	v, err := wb.st.OpenVote(r.Context(), scope(r), in)
	if err != nil {
		if f.fail(err) {
			return wb.voteForm(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, voteURL(v.ID), "vote_opened")
	return nil
}

// votePage is one vote as the caller sees it.
type votePage struct {
	Page
	Vote      *model.Vote
	Accepting bool // the caller may cast its ballot now
	Closable  bool
	Now       time.Time
	Result    *model.VoteResult
	Outcome   string
	Roll      *store.Page[store.VoteRollEntry] // staff: a page of the roll in their territory, those to vote first
	RollQ     string                           // the address or name the roll was searched for
	RollPager Pager
	Receipt   *store.ReceiptCheck // the answer to ?receipt=
	ReceiptIn string
	Ballot    *Form
	Proxy     *Form
	Cancel    *Form
	Close     *Form
	Cast      *store.Ballot // the ballot just cast: its receipt
	Topic     *model.Topic  // the topic the vote was proposed from, when the caller sees it
}

// rollPageSize is how much of the roll a vote's page shows at once.
const rollPageSize = 50

func (wb *Web) votePageFor(w http.ResponseWriter, r *http.Request, status int, fill func(p *votePage)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	v, err := wb.st.Vote(ctx, sc, id)
	if err != nil {
		return err
	}
	now := wb.st.Now()
	p := &votePage{Page: wb.base(r, v.Title, "votes"), Vote: v, Now: now, Closable: v.Closable(now),
		Accepting: v.Accepting(now) && v.Caller.OnRoll && !v.Caller.Voted && authz.Allowed(sc.Role, authz.VoteCast),
		Ballot:    newForm("ballot", nil, "choices"), Proxy: newForm("proxy", nil, "voter_id", "choices"), Cancel: newForm("cancel", nil, "reason"), Close: newForm("close", nil)}
	p.Crumbs = []Crumb{{Name: wb.t("votes.title"), URL: "/votes"}, {Name: wb.t("votes.crumb")}}
	if fill != nil {
		fill(p)
	}
	if p.Topic, err = wb.st.TopicOfVote(ctx, sc, id); errors.Is(err, model.ErrNotFound) {
		p.Topic = nil
	} else if err != nil {
		return err
	}
	for _, f := range []*Form{p.Ballot, p.Proxy, p.Cancel, p.Close} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	if v.Status == model.VoteClosed {
		if _, p.Result, err = wb.st.VoteResult(ctx, sc, id); err != nil {
			return err
		}
		p.Outcome = p.Result.Outcome(v)
		if v.RoundID != 0 {
			p.Outcome = model.BudgetOutcome // the round decides which projects won, not a threshold per option
		}
	}
	if code := strings.TrimSpace(r.URL.Query().Get("receipt")); code != "" && r.Method == http.MethodGet {
		p.ReceiptIn = code
		rc, err := wb.st.CheckReceipt(ctx, sc, id, code)
		var ve *model.ValidationError
		switch {
		case errors.As(err, &ve):
			p.Receipt = &store.ReceiptCheck{Receipt: code}
		case err != nil:
			return err
		default:
			p.Receipt = rc
		}
	}
	if p.Can(authz.VoteWrite) && v.Status == model.VoteOpen && sc.Contains(v.Path) {
		q := r.URL.Query()
		p.RollQ = strings.TrimSpace(q.Get("q"))
		if p.Roll, err = wb.st.VoteRoll(ctx, sc, id, store.VoteRollFilter{Q: p.RollQ, Cursor: q.Get("cursor"), Limit: rollPageSize}); err != nil {
			return err
		}
		roll := url.Values{"q": {p.RollQ}}
		p.RollPager = newPager(wb.t("votes.roll.total."+string(v.Rule), p.Roll.Total), voteURL(id), roll, q.Get("cursor"), p.Roll.Next)
	}
	return wb.render(w, r, status, "votes/show", p)
}

func (wb *Web) showVote(w http.ResponseWriter, r *http.Request) error {
	return wb.votePageFor(w, r, http.StatusOK, nil)
}

// choices reads the option ids a ballot form ticked.
func choices(f *Form) []int64 {
	var out []int64
	for _, s := range f.Values["choices"] {
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// castVote casts the caller's ballot and shows the vote again with its receipt code: the one
// moment the code is shown (it is stored with the ballot, never with the voter).
func (wb *Web) castVote(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("ballot", r.PostForm, "choices")
	cs := choices(f)
	if len(cs) == 0 {
		f.add("choices", wb.t("votes.pick"))
		return wb.votePageFor(w, r, http.StatusUnprocessableEntity, func(p *votePage) { p.Ballot = f })
	}
	b, err := wb.st.CastBallot(r.Context(), scope(r), id, cs)
	if err != nil {
		if f.fail(err) {
			return wb.votePageFor(w, r, formStatus(err), func(p *votePage) { p.Ballot = f })
		}
		return err
	}
	return wb.votePageFor(w, r, http.StatusOK, func(p *votePage) { p.Cast = b })
}

// proxyBallot casts the ballot of a voter without a smartphone as it told staff; the page shows
// the receipt code for staff to hand on.
func (wb *Web) proxyBallot(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("proxy", r.PostForm, "voter_id", "choices")
	voter, err := strconv.ParseInt(strings.TrimSpace(f.Values.Get("voter_id")), 10, 64)
	if err != nil || voter <= 0 {
		f.add("voter_id", wb.t("votes.proxy.voter.missing"))
	}
	cs := choices(f)
	if len(cs) == 0 {
		f.add("choices", wb.t("votes.pick"))
	}
	if f.Invalid() {
		return wb.votePageFor(w, r, http.StatusUnprocessableEntity, func(p *votePage) { p.Proxy = f })
	}
	b, err := wb.st.ProxyBallot(r.Context(), scope(r), id, voter, cs)
	if err != nil {
		if f.fail(err) {
			return wb.votePageFor(w, r, formStatus(err), func(p *votePage) { p.Proxy = f })
		}
		return err
	}
	return wb.votePageFor(w, r, http.StatusOK, func(p *votePage) { p.Cast = b })
}

func (wb *Web) closeVote(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := wb.st.CloseVote(r.Context(), scope(r), id); err != nil {
		f := newForm("close", r.PostForm)
		if f.fail(err) {
			return wb.votePageFor(w, r, formStatus(err), func(p *votePage) { p.Close = f })
		}
		return err
	}
	redirect(w, r, voteURL(id), "vote_closed")
	return nil
}

func (wb *Web) cancelVote(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("cancel", r.PostForm, "reason")
	if _, err := wb.st.CancelVote(r.Context(), scope(r), id, f.Values.Get("reason")); err != nil {
		if f.fail(err) {
			return wb.votePageFor(w, r, formStatus(err), func(p *votePage) { p.Cancel = f })
		}
		return err
	}
	redirect(w, r, voteURL(id), "vote_cancelled")
	return nil
}

// readVoteRules reads the fields of the "voteRules" partial and the title and description
// from f into a vote's input, recording on f what cannot be read.
func (wb *Web) readVoteRules(f *Form) model.VoteInput {
	in := model.VoteInput{Title: f.Values.Get("title"), Description: f.Values.Get("description"), Rule: model.VoteRule(f.Values.Get("rule")),
		Kind: model.VoteKind(f.Values.Get("kind")), Threshold: model.Threshold(f.Values.Get("threshold"))}
	// One option per line.
	for o := range strings.SplitSeq(strings.ReplaceAll(f.Values.Get("options"), "\r", ""), "\n") {
		in.Options = append(in.Options, o)
	}
	if in.Kind == model.VoteMultiple {
		n, err := strconv.Atoi(strings.TrimSpace(f.Values.Get("max_choices")))
		if err != nil {
			f.add("max_choices", wb.t("votes.max_choices.bad"))
		}
		in.MaxChoices = n
	}
	q, err := model.ParseQuorum(f.Values.Get("quorum"))
	if err != nil {
		f.add("quorum", wb.t("votes.quorum.bad"))
	}
	in.Quorum = q
	if v := strings.TrimSpace(f.Values.Get("closes_at")); v == "" {
		f.add("closes_at", wb.t("votes.closes_at.missing"))
	} else if t, err := parseLocalTime(v); err != nil {
		f.add("closes_at", wb.t("votes.closes_at.bad"))
	} else {
		in.ClosesAt = t
	}
	return in
}
