package web

import (
	"net/http"
	"strconv"

	"gongzhi/internal/model"
)

// Purchased-service contracts (政府购买服务, issue 12 item 7): the contracts of the caller's
// territory (or its community, for residents) and a contract's page with everything about it —
// the organization, the scope, the amount and what was paid, each milestone with its KPI, its
// acceptance and the residents' satisfaction. Accepting and rating go through the API for now.

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
	Contract *model.Contract
}

func (wb *Web) showContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	k, err := wb.st.Contract(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	p := &contractPage{Page: wb.base(r, k.Title, "contracts"), Contract: k}
	p.Crumbs = []Crumb{{Name: wb.t("contracts.title"), URL: "/contracts"}, {Name: wb.t("contracts.crumb")}}
	return wb.render(w, r, http.StatusOK, "contracts/show", p)
}
