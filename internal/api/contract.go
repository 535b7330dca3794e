package api

import (
	"net/http"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Purchased-service contracts (政府购买服务, issue 12 item 7) at /api/v1/contracts: list, make,
// read (milestones with their residents' satisfaction), add milestones, accept one (its
// payment posted in the funds ledger), rate one (residents of the community, once). Amounts are
// fen on the wire with the yuan text beside; sent in as yuan strings.

type contractMilestoneJSON struct {
	ID           ID     `json:"id"`
	Title        string `json:"title"`
	KPI          string `json:"kpi"`
	DueOn        string `json:"due_on"`
	AmountFen    int64  `json:"amount_fen"`
	Amount       string `json:"amount"`
	Accepted     bool   `json:"accepted"`
	AcceptedBy   string `json:"accepted_by,omitempty"`
	AcceptedAt   string `json:"accepted_at,omitempty"`
	Ratings      int    `json:"ratings"`
	Satisfaction string `json:"satisfaction,omitempty"`
}

type contractJSON struct {
	ID               ID                      `json:"id"`
	CommunityID      ID                      `json:"community_id"`
	CommunityName    string                  `json:"community_name"`
	OrganizationID   ID                      `json:"organization_id"`
	OrganizationName string                  `json:"organization_name"`
	Title            string                  `json:"title"`
	Scope            string                  `json:"scope"`
	AmountFen        int64                   `json:"amount_fen"`
	Amount           string                  `json:"amount"`
	PaidFen          int64                   `json:"paid_fen"`
	Paid             string                  `json:"paid"`
	Year             int                     `json:"year"`
	CategoryID       ID                      `json:"category_id"`
	CategoryName     string                  `json:"category_name"`
	CreatedAt        string                  `json:"created_at"`
	Milestones       []contractMilestoneJSON `json:"milestones"`
}

func toContractJSON(k *model.Contract) contractJSON {
	out := contractJSON{ID: ID(k.ID), CommunityID: ID(k.CommunityID), CommunityName: k.CommunityName, OrganizationID: ID(k.OrganizationID), OrganizationName: k.OrganizationName,
		Title: k.Title, Scope: k.Scope, AmountFen: k.AmountFen, Amount: k.Amount(), PaidFen: k.PaidFen, Paid: k.Paid(), Year: k.Year, CategoryID: ID(k.CategoryID),
		CategoryName: k.CategoryName, CreatedAt: rfc3339(k.CreatedAt), Milestones: []contractMilestoneJSON{}}
	for _, m := range k.Milestones {
		j := contractMilestoneJSON{ID: ID(m.ID), Title: m.Title, KPI: m.KPI, DueOn: m.DueOn.Format("2006-01-02"), AmountFen: m.AmountFen, Amount: m.Amount(), Accepted: m.Accepted,
			AcceptedBy: m.AcceptedByName, Ratings: m.Ratings, Satisfaction: m.Satisfaction()}
		if m.AcceptedAt != nil {
			j.AcceptedAt = rfc3339(*m.AcceptedAt)
		}
		out.Milestones = append(out.Milestones, j)
	}
	return out
}

func (a *API) listContracts(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r)
	if err != nil {
		return err
	}
	p, err := a.st.Contracts(r.Context(), authz.ScopeFrom(r.Context()), lq.Limit, lq.Cursor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toContractJSON))
}

func (a *API) createContract(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		CommunityID    ID     `json:"community_id"`
		OrganizationID ID     `json:"organization_id"`
		CategoryID     ID     `json:"category_id"`
		Year           int    `json:"year"`
		Title          string `json:"title"`
		Scope          string `json:"scope"`
		Amount         string `json:"amount"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	k, err := a.st.CreateContract(r.Context(), authz.ScopeFrom(r.Context()), model.ContractInput{CommunityID: int64(req.CommunityID), OrganizationID: int64(req.OrganizationID),
		CategoryID: int64(req.CategoryID), Year: req.Year, Title: req.Title, Scope: req.Scope, Amount: req.Amount})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toContractJSON(k))
}

func (a *API) getContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	k, err := a.st.Contract(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toContractJSON(k))
}

func (a *API) addContractMilestone(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Title  string `json:"title"`
		KPI    string `json:"kpi"`
		DueOn  string `json:"due_on"`
		Amount string `json:"amount"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	k, err := a.st.AddContractMilestone(r.Context(), authz.ScopeFrom(r.Context()), id, model.ContractMilestoneInput{Title: req.Title, KPI: req.KPI, DueOn: req.DueOn, Amount: req.Amount})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toContractJSON(k))
}

// milestoneOf reads the milestone a body names ("milestone_id"), 0 when it names none.
func milestoneOf(id ID) (int64, error) {
	if id <= 0 {
		return 0, &model.ValidationError{Fields: []model.FieldError{{Field: "milestone_id", Message: "请指明节点（milestone_id）"}}}
	}
	return int64(id), nil
}

func (a *API) acceptContractMilestone(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		MilestoneID ID `json:"milestone_id"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	mid, err := milestoneOf(req.MilestoneID)
	if err != nil {
		return err
	}
	k, err := a.st.AcceptContractMilestone(r.Context(), authz.ScopeFrom(r.Context()), id, mid)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toContractJSON(k))
}

func (a *API) rateContractMilestone(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		MilestoneID ID  `json:"milestone_id"`
		Score       int `json:"score"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	mid, err := milestoneOf(req.MilestoneID)
	if err != nil {
		return err
	}
	k, err := a.st.RateContractMilestone(r.Context(), authz.ScopeFrom(r.Context()), id, mid, req.Score)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toContractJSON(k))
}
