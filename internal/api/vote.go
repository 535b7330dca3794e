package api

import (
	"errors"
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Votes of compound affairs (issue 11 item 2) at /api/v1/votes: open (staff), read (turnout
// while open, tallies once closed), cast a ballot (the caller's own, or staff's proxy for a
// voter on the roll), the result with turnout by building once closed, close and cancel, the
// roll for proxies, and a receipt's check. No answer links a choice to a voter.

type voteOptionJSON struct {
	ID      ID     `json:"id"`
	Label   string `json:"label"`
	Abstain bool   `json:"abstain,omitempty"`
	Votes   *int   `json:"votes,omitempty"`
	Passed  *bool  `json:"passed,omitempty"`
}

type voteJSON struct {
	ID            ID               `json:"id"`
	Title         string           `json:"title"`
	Description   string           `json:"description"`
	TerritoryID   ID               `json:"territory_id"`
	TerritoryName string           `json:"territory_name"`
	Rule          string           `json:"rule"`
	Kind          string           `json:"kind"`
	MaxChoices    int              `json:"max_choices"`
	Quorum        string           `json:"quorum"`
	Threshold     string           `json:"threshold"`
	OpensAt       string           `json:"opens_at"`
	ClosesAt      string           `json:"closes_at"`
	Status        string           `json:"status"`
	StatusLabel   string           `json:"status_label"`
	Eligible      int              `json:"eligible"`
	Voted         int              `json:"voted"`
	Options       []voteOptionJSON `json:"options"`
	OnRoll        bool             `json:"on_roll"`
	CallerVoted   bool             `json:"caller_voted"`
	CancelReason  string           `json:"cancel_reason,omitempty"`
	ClosedAt      string           `json:"closed_at,omitempty"`
	CreatedAt     string           `json:"created_at"`
	// RoundID names the budget round (/api/v1/projects/rounds/{id}) whose voting this is: its
	// decision, not "passed", tells which options won.
	RoundID *ID `json:"round_id,omitempty"`
}

func toVoteJSON(v *model.Vote) voteJSON {
	out := voteJSON{ID: ID(v.ID), Title: v.Title, Description: v.Description, TerritoryID: ID(v.TerritoryID), TerritoryName: v.TerritoryName,
		Rule: string(v.Rule), Kind: string(v.Kind), MaxChoices: v.MaxChoices, Quorum: v.Quorum.String(), Threshold: string(v.Threshold),
		OpensAt: rfc3339(v.OpensAt), ClosesAt: rfc3339(v.ClosesAt), Status: string(v.Status), StatusLabel: v.PhaseLabel(time.Now()),
		Eligible: v.Eligible, Voted: v.Voted, OnRoll: v.Caller.OnRoll, CallerVoted: v.Caller.Voted, CancelReason: v.CancelReason,
		CreatedAt: rfc3339(v.CreatedAt), Options: make([]voteOptionJSON, 0, len(v.Options)), RoundID: optID(v.RoundID)}
	if v.ClosedAt != nil {
		out.ClosedAt = rfc3339(*v.ClosedAt)
	}
	for _, o := range v.Options {
		out.Options = append(out.Options, voteOptionJSON{ID: ID(o.ID), Label: o.Label, Abstain: o.Abstain, Votes: o.Votes})
	}
	return out
}

func (a *API) listVotes(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "status")
	if err != nil {
		return err
	}
	p, err := a.st.Votes(r.Context(), authz.ScopeFrom(r.Context()), store.VoteFilter{Status: model.VoteStatus(r.URL.Query().Get("status")),
		Territory: lq.Territory, Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toVoteJSON))
}

type voteOpen struct {
	Title       string     `json:"title"`
	Description string     `json:"description"`
	TerritoryID ID         `json:"territory_id"`
	Rule        string     `json:"rule"`
	Kind        string     `json:"kind"`
	Options     []string   `json:"options"`
	MaxChoices  int        `json:"max_choices"`
	Quorum      string     `json:"quorum"`
	Threshold   string     `json:"threshold"`
	OpensAt     *time.Time `json:"opens_at"`
	ClosesAt    *time.Time `json:"closes_at"`
}

func (a *API) openVote(w http.ResponseWriter, r *http.Request) error {
	var req voteOpen
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	q, qerr := model.ParseQuorum(req.Quorum)
	in := model.VoteInput{Title: req.Title, Description: req.Description, TerritoryID: int64(req.TerritoryID), Rule: model.VoteRule(req.Rule),
		Kind: model.VoteKind(req.Kind), Options: req.Options, MaxChoices: req.MaxChoices, Quorum: q, Threshold: model.Threshold(req.Threshold)}
	if req.OpensAt != nil {
		in.OpensAt = *req.OpensAt
	}
	if req.ClosesAt != nil {
		in.ClosesAt = *req.ClosesAt
	}
	if qerr != nil {
		// The problem names every bad field (API.md), not only the quorum.
		bad := &model.ValidationError{Fields: []model.FieldError{{Field: "quorum", Message: "参与率应写成分数，例如 2/3 或 1/2；不设要求写 0"}}}
		var ve *model.ValidationError
		if errors.As(in.Validate(time.Now()), &ve) {
			bad.Fields = append(bad.Fields, ve.Fields...)
		}
		return bad
	}
	v, err := a.st.OpenVote(r.Context(), authz.ScopeFrom(r.Context()), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toVoteJSON(v))
}

func (a *API) getVote(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := a.st.Vote(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toVoteJSON(v))
}

type ballotCreate struct {
	Choices []ID `json:"choices"`
	// VoterID names the voter on the roll staff cast a proxy ballot for (a household by rule
	// household, a resident by rule resident).
	VoterID ID `json:"voter_id"`
}

type ballotJSON struct {
	Receipt string `json:"receipt"`
	Proxy   bool   `json:"proxy"`
}

// castBallot casts the caller's own ballot (proxy false) or staff's proxy ballot for voter_id
// (proxy true). The answer is the receipt code, never the choice.
func (a *API) castBallot(proxy bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		var req ballotCreate
		if err := decode(w, r, a.maxBody, &req); err != nil {
			return err
		}
		choices := make([]int64, len(req.Choices))
		for i, c := range req.Choices {
			choices[i] = int64(c)
		}
		sc := authz.ScopeFrom(r.Context())
		var b *store.Ballot
		if proxy {
			b, err = a.st.ProxyBallot(r.Context(), sc, id, int64(req.VoterID), choices)
		} else {
			b, err = a.st.CastBallot(r.Context(), sc, id, choices)
		}
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, ballotJSON{Receipt: b.Receipt, Proxy: b.Proxy})
	}
}

type buildingTurnoutJSON struct {
	TerritoryID ID     `json:"territory_id"`
	Name        string `json:"name"`
	Eligible    int    `json:"eligible"`
	Voted       int    `json:"voted"`
}

type voteResultJSON struct {
	Vote       voteJSON              `json:"vote"`
	Ballots    int                   `json:"ballots"`
	Eligible   int                   `json:"eligible"`
	QuorumMet  bool                  `json:"quorum_met"`
	Passed     bool                  `json:"passed"`
	WinnerID   *ID                   `json:"winner_id,omitempty"`
	Outcome    string                `json:"outcome"`
	Options    []voteOptionJSON      `json:"options"`
	Buildings  []buildingTurnoutJSON `json:"turnout_by_building"`
	Reproduced bool                  `json:"reproduced"`
}

func (a *API) voteResult(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, res, err := a.st.VoteResult(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	out := voteResultJSON{Vote: toVoteJSON(v), Ballots: res.Ballots, Eligible: res.Eligible, QuorumMet: res.QuorumMet, Passed: res.Passed,
		Outcome: res.Outcome(v), Reproduced: res.Reproduced, Options: []voteOptionJSON{}, Buildings: []buildingTurnoutJSON{}}
	if res.WinnerID != 0 {
		id := ID(res.WinnerID)
		out.WinnerID = &id
	}
	for _, o := range res.Options {
		oj := voteOptionJSON{ID: ID(o.ID), Label: o.Label, Abstain: o.Abstain, Votes: o.Votes}
		if v.RoundID == 0 {
			passed := o.Passed
			oj.Passed = &passed
		}
		out.Options = append(out.Options, oj)
	}
	if v.RoundID != 0 {
		// A budget round's voting: the round's decision (SelectWinners within the budget)
		// says which projects won, not a threshold per option.
		out.Passed, out.Outcome = false, model.BudgetOutcome
	}
	for _, b := range res.Buildings {
		out.Buildings = append(out.Buildings, buildingTurnoutJSON{TerritoryID: ID(b.TerritoryID), Name: b.Name, Eligible: b.Eligible, Voted: b.Voted})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) closeVote(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := a.st.CloseVote(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toVoteJSON(v))
}

type voteCancel struct {
	Reason string `json:"reason"`
}

func (a *API) cancelVote(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req voteCancel
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	v, err := a.st.CancelVote(r.Context(), authz.ScopeFrom(r.Context()), id, req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toVoteJSON(v))
}

type rollEntryJSON struct {
	VoterID     ID     `json:"voter_id"`
	HouseholdID ID     `json:"household_id"`
	Address     string `json:"address"`
	Name        string `json:"name"`
	Voted       bool   `json:"voted"`
	Proxy       bool   `json:"proxy"`
}

// voteRoll lists the roll in the caller's territory for proxy ballots: who voted, never what,
// a page at a time.
func (a *API) voteRoll(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	lq, err := parseList(r, "q")
	fields := queryFields(err)
	if lq.Territory != 0 {
		fields = append(fields, model.FieldError{Field: "territory", Message: "选民名册不按节点筛选，请用 q 查找住址或姓名"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.VoteRoll(r.Context(), authz.ScopeFrom(r.Context()), id, store.VoteRollFilter{Q: r.URL.Query().Get("q"), Cursor: lq.Cursor, Limit: lq.Limit})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, func(e store.VoteRollEntry) rollEntryJSON {
		return rollEntryJSON{VoterID: ID(e.VoterID), HouseholdID: ID(e.HouseholdID), Address: e.Address, Name: e.Name, Voted: e.Voted, Proxy: e.Proxy}
	}))
}

type receiptJSON struct {
	Receipt string `json:"receipt"`
	Found   bool   `json:"found"`
	Counted bool   `json:"counted"`
	Status  string `json:"status"`
}

// checkReceipt says whether a ballot with the code is stored (and counted, once the vote has
// closed); never what it chose.
func (a *API) checkReceipt(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := a.st.CheckReceipt(r.Context(), authz.ScopeFrom(r.Context()), id, r.PathValue("code"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, receiptJSON{Receipt: c.Receipt, Found: c.Found, Counted: c.Found && c.Status == model.VoteClosed, Status: string(c.Status)})
}
