package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/jobs"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Joint-building units (联建单元, issue 9), the staff pages: the units of a subtree (a desk
// table, a card per unit on a phone), one unit with its households and history, and the
// proposal page where staff choose a node, generate a partition, adjust it (move a household,
// merge, split, rename) and confirm it. Proposals live at /unit-proposals so that their paths
// never compete with the /units/{id}/… pages of the other unit features.

func unitsURL(id int64) string {
	if id == 0 {
		return "/units"
	}
	return "/units?territory=" + strconv.FormatInt(id, 10)
}

func unitURL(id int64) string { return "/units/" + strconv.FormatInt(id, 10) }

func proposalURL(id int64) string { return "/unit-proposals/" + strconv.FormatInt(id, 10) }

type unitsPage struct {
	Page
	List
	Rows []*model.Unit
}

func (wb *Web) units(w http.ResponseWriter, r *http.Request) error {
	under, crumbs, err := wb.listFilter(r, unitsURL)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.UnitFilter{NoLeader: q.Get("leader") == "none", Ended: q.Get("status") == "ended", Cursor: q.Get("cursor")}
	if under != nil {
		f.Under = under.ID
	}
	p := &unitsPage{Page: wb.base(r, wb.t("units.title"), "units")}
	p.Head = Head{Title: p.Title, Lead: wb.t("units.lead")}
	if p.Can(authz.UnitWrite) {
		to := "/unit-proposals"
		if under != nil {
			to += "?node=" + strconv.FormatInt(under.ID, 10)
		}
		p.Head.Actions = []Link{{Label: wb.t("units.form"), URL: to, Icon: "plus", Primary: true}}
	}
	p.Filters = FilterBar{Action: "/units", Live: true, Hidden: underHidden(under), Fields: []Filter{
		selectFilter("leader", wb.t("units.filter.leader"), q.Get("leader"), Option{Label: wb.t("list.all")}, Option{Value: "none", Label: wb.t("units.filter.leader.none")}),
		selectFilter("status", wb.t("units.filter.status"), q.Get("status"), Option{Label: wb.t("units.status.active")}, Option{Value: "ended", Label: wb.t("units.status.ended")}),
	}}
	if q.Get("leader") != "" || q.Get("status") != "" {
		p.Filters.ClearURL = unitsURL(f.Under)
		p.Empty = wb.emptyFiltered("people", wb.t("units.empty.filtered"), p.Filters.ClearURL)
	} else {
		p.Empty = Empty{Icon: "people", Title: wb.t("units.empty"), Text: wb.t("units.empty.next")}
		if p.Can(authz.UnitWrite) {
			p.Empty.Actions = []Link{{Label: wb.t("units.form"), URL: "/unit-proposals", Icon: "plus", Primary: true}}
		}
	}
	p.Crumbs = append(crumbs, Crumb{Name: p.Title})
	pg, err := wb.st.Units(r.Context(), scope(r), f)
	if err != nil {
		if !p.fail(err) {
			return err
		}
		pg = &store.Page[*model.Unit]{}
	}
	p.Rows = pg.Items
	p.Pager = newPager(wb.t("units.total", strconv.FormatInt(pg.Total, 10)), "/units", q, q.Get("cursor"), pg.Next)
	return wb.renderList(w, r, "units/list", p)
}

type unitPage struct {
	Page
	U          *model.Unit
	Households []*model.Household
	Events     []model.UnitEvent
	Dissolve   *Form
	// Elections are the unit's leader elections, newest first (unit_election.go); Open is
	// the one taking votes, nil when none.
	Elections []*model.UnitElection
	Open      *model.UnitElection
}

func (wb *Web) unitPage(w http.ResponseWriter, r *http.Request, status int, dissolve *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	u, err := wb.st.Unit(ctx, sc, id)
	if err != nil {
		return err
	}
	p := &unitPage{Page: wb.base(r, u.Name, "units"), U: u, Dissolve: dissolve}
	if p.Households, err = wb.st.UnitHouseholds(ctx, sc, id); err != nil {
		return err
	}
	if p.Events, err = wb.st.UnitEvents(ctx, sc, id); err != nil {
		return err
	}
	if err := wb.unitElections(r, p); err != nil {
		return err
	}
	p.Crumbs = append(wb.scopeCrumbs(r, unitsURL), Crumb{Name: wb.t("units.title"), URL: "/units"}, Crumb{Name: u.Name})
	if dissolve.Invalid() {
		p.Failed = dissolve
	}
	return wb.render(w, r, status, "units/show", p)
}

func (wb *Web) unit(w http.ResponseWriter, r *http.Request) error {
	return wb.unitPage(w, r, http.StatusOK, newForm("dissolve", nil, "reason"))
}

func (wb *Web) dissolveUnit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("dissolve", r.PostForm, "reason")
	if err := wb.st.DissolveUnit(r.Context(), scope(r), id, r.PostForm.Get("reason")); err != nil {
		if f.fail(err) {
			return wb.unitPage(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, unitURL(id), "unit_dissolved")
	return nil
}

type proposalsPage struct {
	Page
	Form      *Form
	Nodes     []territoryOption
	Proposals []*model.UnitProposal
}

// proposalNodeKinds are the nodes the choice offers: a street or a district runs as a job.
var proposalChoiceKinds = []model.TerritoryKind{model.KindStreet, model.KindCommunity, model.KindResidentGroup, model.KindGrid}

func (wb *Web) proposalsPage(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	ctx, sc := r.Context(), scope(r)
	p := &proposalsPage{Page: wb.base(r, wb.t("proposals.title"), "unit-proposals"), Form: f}
	names := map[int64]string{}
	for _, k := range proposalChoiceKinds {
		page, err := wb.st.Territories(ctx, sc, store.TerritoryFilter{Kind: k, Limit: store.MaxLimit})
		if err != nil {
			return err
		}
		for _, t := range page.Items {
			names[t.ID] = t.Name
			label := t.Name
			if k != model.KindStreet {
				ids := model.PathIDs(t.Path)
				var parts []string
				for _, id := range ids[:len(ids)-1] {
					if n, ok := names[id]; ok {
						parts = append(parts, n)
					}
				}
				if len(parts) > 0 {
					label = parts[len(parts)-1] + " › " + t.Name
				}
			}
			p.Nodes = append(p.Nodes, territoryOption{ID: t.ID, Label: k.Label() + "：" + label})
		}
	}
	// A node named in the query (from a territory or the units page) is offered even when it
	// is of a kind the select leaves out (a compound).
	if id, err := strconv.ParseInt(f.Values.Get("node_id"), 10, 64); err == nil && id > 0 && names[id] == "" {
		if t, err := wb.st.Territory(ctx, sc, id); err == nil {
			p.Nodes = append([]territoryOption{{ID: t.ID, Label: t.Kind.Label() + "：" + t.Name}}, p.Nodes...)
		}
	}
	var err error
	if p.Proposals, err = wb.st.UnitProposals(ctx, sc, 0); err != nil {
		return err
	}
	p.Crumbs = append(wb.scopeCrumbs(r, unitsURL), Crumb{Name: wb.t("units.title"), URL: "/units"}, Crumb{Name: p.Title})
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "units/proposals", p)
}

func (wb *Web) proposals(w http.ResponseWriter, r *http.Request) error {
	f := newForm("propose", nil, "node_id", "split_large")
	f.Values.Set("node_id", r.URL.Query().Get("node"))
	return wb.proposalsPage(w, r, http.StatusOK, f)
}

// propose makes a proposal for a community or a node below it, or starts the formation job
// for a street or a district (then the job's page follows its progress).
func (wb *Web) propose(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("propose", r.PostForm, "node_id", "split_large")
	ctx, sc := r.Context(), scope(r)
	id, err := strconv.ParseInt(r.PostForm.Get("node_id"), 10, 64)
	if err != nil || id <= 0 {
		f.add("node_id", wb.t("proposals.node.missing"))
		return wb.proposalsPage(w, r, http.StatusUnprocessableEntity, f)
	}
	t, err := wb.st.Territory(ctx, sc, id)
	if err != nil {
		return err
	}
	split := r.PostForm.Get("split_large") != ""
	if t.Kind == model.KindStreet || t.Kind == model.KindDistrict {
		q, err := wb.queue()
		if err != nil {
			return err
		}
		j, err := q.SubmitUnitFormation(ctx, sc, jobs.UnitFormationParams{NodeID: t.ID, SplitLarge: split})
		if err != nil {
			if f.fail(err) {
				return wb.proposalsPage(w, r, formStatus(err), f)
			}
			return err
		}
		redirect(w, r, jobURL(j.ID), "")
		return nil
	}
	pr, err := wb.st.ProposeUnits(ctx, sc, t.ID, model.PartitionOptions{SplitLarge: split})
	if err != nil {
		if f.fail(err) {
			return wb.proposalsPage(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, proposalURL(pr.ID), "")
	return nil
}

// proposalCard is one draft unit of a proposal as the page shows it.
type proposalCard struct {
	Index       int // 0-based, as the forms send it
	Number      int // 1-based, as staff read it
	Unit        model.ProposedUnit
	Households  []*model.Household
	OutOfBounds bool
}

// proposalOut is an out-of-bounds draft anywhere in the proposal: the confirm form asks its
// override reason whichever page is shown.
type proposalOut struct {
	Index, Number int
	Name          string
	Households    int
}

// proposalPageSize is how many drafts one page of a proposal shows: a street's community can
// hold thousands.
const proposalPageSize = 50

type proposalPage struct {
	Page
	P       *model.UnitProposal
	Cards   []proposalCard // the drafts of this page
	Out     []proposalOut  // every out-of-bounds draft
	Cursor  int            // index of the page's first draft, sent back by the adjustment forms
	Pager   Pager
	Adjust  *Form // the adjustment that failed, if any
	Confirm *Form
	Action  string // the failed adjustment's kind, to show its error by its card
	Card    int    // the failed adjustment's card index (-1: none)
}

// proposalCursor is the index of the first draft of the page that holds draft i of n.
func proposalCursor(i, n int) int {
	if i >= n {
		i = n - 1
	}
	if i < 0 {
		return 0
	}
	return i / proposalPageSize * proposalPageSize
}

// proposalPageURL is the page of proposal id that starts at draft cursor.
func proposalPageURL(id int64, cursor int) string {
	if cursor <= 0 {
		return proposalURL(id)
	}
	return proposalURL(id) + "?cursor=" + strconv.Itoa(cursor)
}

// proposalPage renders the page of the proposal that holds draft card when card ≥ 0 (the
// failed adjustment's), else the page at the request's cursor (a draft index; anything else
// is the first page). The quality summary and the confirm form are the whole proposal's.
func (wb *Web) proposalPage(w http.ResponseWriter, r *http.Request, status int, adjust *Form, action string, card int, confirm *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	pr, err := wb.st.UnitProposal(ctx, sc, id)
	if err != nil {
		return err
	}
	n := len(pr.Units)
	at := card
	if at < 0 {
		at, _ = strconv.Atoi(r.URL.Query().Get("cursor"))
		if r.Method == http.MethodPost {
			at, _ = strconv.Atoi(r.PostForm.Get("cursor"))
		}
	}
	cursor := proposalCursor(at, n)
	end := min(n, cursor+proposalPageSize)
	var ids []int64
	for _, u := range pr.Units[cursor:end] {
		ids = append(ids, u.Households...)
	}
	hs, err := wb.st.ProposalHouseholds(ctx, sc, pr, ids)
	if err != nil {
		return err
	}
	p := &proposalPage{Page: wb.base(r, wb.t("proposal.title", pr.TerritoryName), "unit-proposals"), P: pr, Cursor: cursor,
		Adjust: adjust, Confirm: confirm, Action: action, Card: card}
	for i := cursor; i < end; i++ {
		u := pr.Units[i]
		c := proposalCard{Index: i, Number: i + 1, Unit: u, OutOfBounds: u.OutOfBounds}
		for _, h := range u.Households {
			if x := hs[h]; x != nil {
				c.Households = append(c.Households, x)
			} else {
				c.Households = append(c.Households, &model.Household{ID: h, Address: wb.t("proposal.household.gone", h)})
			}
		}
		p.Cards = append(p.Cards, c)
	}
	for i, u := range pr.Units {
		if u.OutOfBounds {
			p.Out = append(p.Out, proposalOut{Index: i, Number: i + 1, Name: u.Name, Households: len(u.Households)})
		}
	}
	if n > 0 {
		p.Pager.Summary = wb.t("proposal.page", cursor+1, end, n)
	}
	if cursor > 0 {
		p.Pager.FirstURL = proposalURL(id)
	}
	if end < n {
		p.Pager.NextURL = proposalPageURL(id, end)
	}
	p.Crumbs = append(wb.scopeCrumbs(r, unitsURL), Crumb{Name: wb.t("units.title"), URL: "/units"},
		Crumb{Name: wb.t("proposals.title"), URL: "/unit-proposals"}, Crumb{Name: pr.TerritoryName})
	switch {
	case adjust.Invalid():
		p.Failed = adjust
	case confirm.Invalid():
		p.Failed = confirm
	}
	return wb.render(w, r, status, "units/proposal", p)
}

func (wb *Web) proposal(w http.ResponseWriter, r *http.Request) error {
	return wb.proposalPage(w, r, http.StatusOK, newForm("adjust", nil), "", -1, newForm("confirm", nil))
}

// adjustProposal answers the adjustment forms of the proposal page (kind move, merge, split or
// rename), then shows the page of the draft adjusted, at its card. Staff read draft numbers
// from 1; the store counts from 0.
func (wb *Web) adjustProposal(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		v := r.PostForm
		f := newForm("adjust", v, "to", "b", "name")
		num := func(name string) int {
			n, err := strconv.Atoi(strings.TrimSpace(v.Get(name)))
			if err != nil {
				return -1
			}
			return n
		}
		card := num("unit")
		adj := store.ProposalAdjustment{Version: num("version"), Kind: kind, Unit: card, Name: v.Get("name")}
		switch kind {
		case "move":
			adj.Household, _ = strconv.ParseInt(v.Get("household_id"), 10, 64)
			adj.To = num("to") - 1
		case "merge":
			adj.A, adj.B = card, num("b")-1
		}
		if (kind == "move" && adj.To < 0) || (kind == "merge" && adj.B < 0) {
			field := map[string]string{"move": "to", "merge": "b"}[kind]
			f.add(field, wb.t("proposal.number.missing"))
			return wb.proposalPage(w, r, http.StatusUnprocessableEntity, f, kind, card, newForm("confirm", nil))
		}
		pr, err := wb.st.AdjustProposal(r.Context(), scope(r), id, adj)
		if err != nil {
			if f.fail(err) {
				return wb.proposalPage(w, r, formStatus(err), f, kind, card, newForm("confirm", nil))
			}
			return err
		}
		// The adjusted draft's place now: a merge of a draft before it moved it up by one (a
		// move that empties the draft drops it, and the next one takes its place).
		at := card
		if kind == "merge" && adj.B < card {
			at--
		}
		at = min(max(at, 0), len(pr.Units)-1)
		to := proposalPageURL(id, proposalCursor(at, len(pr.Units)))
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		redirect(w, r, to+sep+"done=proposal_"+kind+"#unit-"+strconv.Itoa(at+1), "")
		return nil
	}
}

// confirmProposal forms the proposal's units; each out-of-bounds draft's reason comes in
// the field units[i].override_reason, as the store names its error.
func (wb *Web) confirmProposal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("confirm", r.PostForm)
	reasons := map[int]string{}
	for k, vs := range r.PostForm {
		var i int
		if n, err := fmt.Sscanf(k, "units[%d].override_reason", &i); err == nil && n == 1 && len(vs) > 0 {
			reasons[i] = vs[0]
			f.fields = append(f.fields, k)
		}
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	us, err := wb.st.ConfirmProposal(r.Context(), scope(r), id, version, reasons)
	if err != nil {
		if f.fail(err) {
			// Link the summary to every reason field the page shows.
			for _, e := range f.Errors {
				f.fields = append(f.fields, e.Field)
			}
			return wb.proposalPage(w, r, formStatus(err), newForm("adjust", nil), "", -1, f)
		}
		return err
	}
	to := "/units"
	if len(us) > 0 {
		to = unitsURL(us[0].CommunityID)
	}
	redirect(w, r, to, "units_formed")
	return nil
}

func (wb *Web) discardProposal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	if err := wb.st.DiscardProposal(r.Context(), scope(r), id, version); err != nil {
		f := newForm("confirm", r.PostForm)
		if f.fail(err) {
			return wb.proposalPage(w, r, formStatus(err), newForm("adjust", nil), "", -1, f)
		}
		return err
	}
	redirect(w, r, "/unit-proposals", "proposal_discarded")
	return nil
}
