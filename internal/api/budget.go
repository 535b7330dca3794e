package api

import (
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Budget rounds of small-project budgeting (民生微实事, issue 11 item 5) at
// /api/v1/projects/rounds: list and read (anyone of the community, staff above it), create
// (staff), end the collecting of proposals, open the voting (a vote of /api/v1/votes, whose
// id the round names), cancel. Money is integer fen on the wire (budget_fen …) with the yuan
// text beside it; amounts sent in are yuan strings. The proposals are small_project.go's.

type roundJSON struct {
	ID             ID     `json:"id"`
	CommunityID    ID     `json:"community_id"`
	CommunityName  string `json:"community_name"`
	Title          string `json:"title"`
	Year           int    `json:"year"`
	BudgetFen      int64  `json:"budget_fen"`
	Budget         string `json:"budget"`
	Rule           string `json:"rule"`
	Status         string `json:"status"`
	StatusLabel    string `json:"status_label"`
	SelectionRule  string `json:"selection_rule"`
	Proposals      int    `json:"proposals"`
	VoteID         *ID    `json:"vote_id,omitempty"`
	VoteStatus     string `json:"vote_status,omitempty"`
	VotingOpensAt  string `json:"voting_opens_at,omitempty"`
	VotingClosesAt string `json:"voting_closes_at,omitempty"`
	UsedFen        *int64 `json:"used_fen,omitempty"`
	Used           string `json:"used,omitempty"`
	LeftFen        *int64 `json:"left_fen,omitempty"`
	Left           string `json:"left,omitempty"`
	DecidedAt      string `json:"decided_at,omitempty"`
	CancelReason   string `json:"cancel_reason,omitempty"`
	CreatedAt      string `json:"created_at"`
	CanManage      bool   `json:"can_manage"`
	CanPropose     bool   `json:"can_propose"`
	MyProposals    int    `json:"my_proposals"`
}

func toRoundJSON(r *model.BudgetRound) roundJSON {
	out := roundJSON{ID: ID(r.ID), CommunityID: ID(r.CommunityID), CommunityName: r.CommunityName, Title: r.Title, Year: r.Year,
		BudgetFen: r.BudgetFen, Budget: r.Budget(), Rule: string(r.Rule), Status: string(r.Status), StatusLabel: r.Status.Label(),
		SelectionRule: model.BudgetRuleText + model.BudgetZeroText, Proposals: r.Proposals, VoteID: optID(r.VoteID), VoteStatus: string(r.VoteStatus),
		CancelReason: r.CancelReason, CreatedAt: rfc3339(r.CreatedAt), CanManage: r.Caller.Manage, CanPropose: r.Caller.Propose, MyProposals: r.Caller.Proposals}
	if r.VoteOpensAt != nil {
		out.VotingOpensAt = rfc3339(*r.VoteOpensAt)
	}
	if r.VoteClosesAt != nil {
		out.VotingClosesAt = rfc3339(*r.VoteClosesAt)
	}
	if r.Status == model.RoundDecided {
		used, left := r.UsedFen, r.LeftFen()
		out.UsedFen, out.Used, out.LeftFen, out.Left = &used, r.Used(), &left, r.Left()
	}
	if r.DecidedAt != nil {
		out.DecidedAt = rfc3339(*r.DecidedAt)
	}
	return out
}

func (a *API) listRounds(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "status")
	if err != nil {
		return err
	}
	p, err := a.st.BudgetRounds(r.Context(), authz.ScopeFrom(r.Context()), store.BudgetRoundFilter{Status: model.BudgetRoundStatus(r.URL.Query().Get("status")),
		Territory: lq.Territory, Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toRoundJSON))
}

type roundCreate struct {
	CommunityID ID     `json:"community_id"`
	Title       string `json:"title"`
	Year        int    `json:"year"`
	Budget      string `json:"budget"`
	Rule        string `json:"rule"`
}

func (a *API) createRound(w http.ResponseWriter, r *http.Request) error {
	var req roundCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	rd, err := a.st.CreateBudgetRound(r.Context(), authz.ScopeFrom(r.Context()), model.BudgetRoundInput{CommunityID: int64(req.CommunityID), Title: req.Title,
		Year: req.Year, Budget: req.Budget, Rule: model.VoteRule(req.Rule)})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toRoundJSON(rd))
}

func (a *API) getRound(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rd, err := a.st.BudgetRound(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toRoundJSON(rd))
}

// closeProposals ends the collecting of proposals: the round is reviewing.
func (a *API) closeProposals(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rd, err := a.st.CloseBudgetProposals(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toRoundJSON(rd))
}

type votingOpen struct {
	OpensAt  *time.Time `json:"opens_at"`
	ClosesAt *time.Time `json:"closes_at"`
}

// openVoting opens the round's voting: the answer is the round with its vote_id.
func (a *API) openVoting(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req votingOpen
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	var in store.BudgetVotingInput
	if req.OpensAt != nil {
		in.OpensAt = *req.OpensAt
	}
	if req.ClosesAt != nil {
		in.ClosesAt = *req.ClosesAt
	}
	rd, err := a.st.OpenBudgetVoting(r.Context(), authz.ScopeFrom(r.Context()), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toRoundJSON(rd))
}

type roundCancel struct {
	Reason string `json:"reason"`
}

func (a *API) cancelRound(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req roundCancel
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	rd, err := a.st.CancelBudgetRound(r.Context(), authz.ScopeFrom(r.Context()), id, req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toRoundJSON(rd))
}
