package web

import (
	"net/http"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Purchased-service contracts (政府购买服务, issue 12 item 7): the contracts of the caller's
// territory (or its community, for residents) and a contract's page with everything about it —
// the organization, the scope, the amount and what was paid, each milestone with its KPI, its
// acceptance and the residents' satisfaction. Staff accept a milestone there (one button each,
// behind a confirmation naming the amount) and households of the community rate an accepted one
// 1–5, once; both through the same store calls as the API.

type contractsPage struct {
	Page
	List
	Rows []*model.Contract
}

func (wb *Web) listContracts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pg, err := wb.st.Contracts(r.Context(), scope(r), 30, q.Get("cursor"))
	if err != nil {
		return err
	}
	p := &contractsPage{Page: wb.base(r, wb.t("contracts.title"), "contracts"), Rows: pg.Items}
	p.Head = Head{Title: p.Title, Lead: wb.t("contracts.lead")}
	p.Empty = Empty{Icon: "file", Title: wb.t("contracts.empty"), Text: wb.t("contracts.empty.next")}
	p.Crumbs = []Crumb{{Name: p.Title}}
	p.Pager = newPager(wb.t("contracts.total", strconv.FormatInt(pg.Total, 10)), "/contracts", q, q.Get("cursor"), pg.Next)
	return wb.renderList(w, r, "contracts/list", p)
}

type contractPage struct {
	Page
	Contract  *model.Contract
	CanAccept bool            // the caller may accept milestones (contract.write)
	CanRate   bool            // the caller may rate accepted milestones (contract.rate)
	Accept    map[int64]*Form // the failed acceptance, by milestone
	Rate      map[int64]*Form // the failed rating, by milestone
	Scores    []int           // the rating's choices
}

func (wb *Web) showContract(w http.ResponseWriter, r *http.Request) error {
	return wb.contractPageFor(w, r, http.StatusOK, nil)
}

// contractPageFor renders the contract's page with status; edit fills in a failed form.
func (wb *Web) contractPageFor(w http.ResponseWriter, r *http.Request, status int, edit func(*contractPage)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	k, err := wb.st.Contract(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	role := scope(r).Role
	p := &contractPage{Page: wb.base(r, k.Title, "contracts"), Contract: k,
		CanAccept: authz.Allowed(role, authz.ContractWrite), CanRate: authz.Allowed(role, authz.ContractRate), Scores: []int{1, 2, 3, 4, 5}}
	p.Crumbs = []Crumb{{Name: wb.t("contracts.title"), URL: "/contracts"}, {Name: wb.t("contracts.crumb")}}
	if edit != nil {
		edit(p)
	}
	return wb.render(w, r, status, "contracts/show", p)
}

func contractURL(id int64) string { return "/contracts/" + strconv.FormatInt(id, 10) }

// milestoneForm reads the posted form of milestone_id (and the given fields).
func milestoneForm(w http.ResponseWriter, r *http.Request, kind string, fields ...string) (*Form, int64, error) {
	if err := parseForm(w, r); err != nil {
		return nil, 0, err
	}
	mid, err := strconv.ParseInt(r.PostForm.Get("milestone_id"), 10, 64)
	if err != nil || mid <= 0 {
		return nil, 0, model.ErrNotFound
	}
	return newForm(kind+"-"+strconv.FormatInt(mid, 10), r.PostForm, fields...), mid, nil
}

// acceptContract accepts a milestone: its payment is posted in the funds ledger. A budget line
// that cannot pay it, or a milestone someone accepted meanwhile, is shown in its row.
func (wb *Web) acceptContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, mid, err := milestoneForm(w, r, "accept")
	if err != nil {
		return err
	}
	_, err = wb.st.AcceptContractMilestone(r.Context(), scope(r), id, mid)
	switch {
	case err != nil && f.fail(err):
		return wb.contractPageFor(w, r, formStatus(err), func(p *contractPage) {
			p.Accept, p.Failed = map[int64]*Form{mid: f}, f
		})
	case err != nil:
		return err
	}
	redirect(w, r, contractURL(id), "contract_accepted")
	return nil
}

// rateContract records the caller's 1–5 rating of a milestone, once; a second one is shown in
// its row.
func (wb *Web) rateContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, mid, err := milestoneForm(w, r, "rate", "score")
	if err != nil {
		return err
	}
	score, _ := strconv.Atoi(f.Values.Get("score"))
	_, err = wb.st.RateContractMilestone(r.Context(), scope(r), id, mid, score)
	switch {
	case err != nil && f.fail(err):
		return wb.contractPageFor(w, r, formStatus(err), func(p *contractPage) {
			p.Rate, p.Failed = map[int64]*Form{mid: f}, f
		})
	case err != nil:
		return err
	}
	redirect(w, r, contractURL(id), "contract_rated")
	return nil
}
