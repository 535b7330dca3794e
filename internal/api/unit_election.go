package api

import (
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Unit leader elections and appointments (issue 9 item 2): a unit's elections at
// /api/v1/units/{id}/elections, one election at /api/v1/unit-elections/{id} (not under
// /units/elections/{id}, which the mux could not tell from /units/{id}/elections), the caller's
// household's vote, staff's proxy votes, closing, and appointing a leader at
// /api/v1/units/{id}/leader. Tallies appear once an election has closed; turnout always.

type electionCandidateJSON struct {
	ID          ID     `json:"id"`
	HouseholdID ID     `json:"household_id"`
	ResidentID  ID     `json:"resident_id"`
	Name        string `json:"name"`
	Address     string `json:"address"`
	Votes       *int   `json:"votes,omitempty"`
}

type electionJSON struct {
	ID             ID                      `json:"id"`
	UnitID         ID                      `json:"unit_id"`
	UnitName       string                  `json:"unit_name"`
	OpensAt        string                  `json:"opens_at"`
	ClosesAt       string                  `json:"closes_at"`
	TermMonths     int                     `json:"term_months"`
	Status         string                  `json:"status"`
	StatusLabel    string                  `json:"status_label"`
	Households     int                     `json:"households"`
	Voted          int                     `json:"voted"`
	Result         string                  `json:"result,omitempty"`
	ResultLabel    string                  `json:"result_label,omitempty"`
	WinnerID       *ID                     `json:"winner_id,omitempty"`
	Candidates     []electionCandidateJSON `json:"candidates"`
	HouseholdVoted bool                    `json:"household_voted"`
	ClosedAt       string                  `json:"closed_at,omitempty"`
}

func toElectionJSON(e *model.UnitElection) electionJSON {
	out := electionJSON{ID: ID(e.ID), UnitID: ID(e.UnitID), UnitName: e.UnitName, OpensAt: rfc3339(e.OpensAt), ClosesAt: rfc3339(e.ClosesAt),
		TermMonths: e.TermMonths, Status: string(e.Status), StatusLabel: e.Status.Label(), Households: e.Households, Voted: e.Voted,
		Result: string(e.Result), ResultLabel: e.Result.Label(), HouseholdVoted: e.HouseholdVoted, Candidates: []electionCandidateJSON{}}
	if e.WinnerID != 0 {
		w := ID(e.WinnerID)
		out.WinnerID = &w
	}
	if e.ClosedAt != nil {
		out.ClosedAt = rfc3339(*e.ClosedAt)
	}
	for _, c := range e.Candidates {
		out.Candidates = append(out.Candidates, electionCandidateJSON{ID: ID(c.ID), HouseholdID: ID(c.HouseholdID), ResidentID: ID(c.ResidentID),
			Name: c.Name, Address: c.Address, Votes: c.Votes})
	}
	return out
}

func (a *API) listUnitElections(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	es, err := a.st.UnitElections(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	out := list[electionJSON]{Items: make([]electionJSON, 0, len(es))}
	for _, e := range es {
		out.Items = append(out.Items, toElectionJSON(e))
	}
	return writeJSON(w, http.StatusOK, out)
}

type electionCreate struct {
	OpensAt    *time.Time `json:"opens_at"`
	ClosesAt   *time.Time `json:"closes_at"`
	TermMonths *int       `json:"term_months"`
	Candidates []ID       `json:"candidates"`
}

func (a *API) openUnitElection(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req electionCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	in := model.ElectionInput{TermMonths: model.DefaultTermMonths}
	if req.OpensAt != nil {
		in.OpensAt = *req.OpensAt
	}
	if req.ClosesAt != nil {
		in.ClosesAt = *req.ClosesAt
	}
	if req.TermMonths != nil {
		in.TermMonths = *req.TermMonths
	}
	for _, c := range req.Candidates {
		in.Candidates = append(in.Candidates, int64(c))
	}
	e, err := a.st.OpenUnitElection(r.Context(), authz.ScopeFrom(r.Context()), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toElectionJSON(e))
}

func (a *API) getUnitElection(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	e, err := a.st.UnitElection(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toElectionJSON(e))
}

type voteCreate struct {
	CandidateID ID `json:"candidate_id"`
	HouseholdID ID `json:"household_id"`
}

// vote casts the caller's household's vote (proxy false) or staff's proxy vote for household_id
// (proxy true). The answer is the election as the caller now sees it: turnout, never whom the
// household chose.
func (a *API) vote(proxy bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		var req voteCreate
		if err := decode(w, r, a.maxBody, &req); err != nil {
			return err
		}
		sc := authz.ScopeFrom(r.Context())
		if proxy {
			err = a.st.ProxyVote(r.Context(), sc, id, int64(req.HouseholdID), int64(req.CandidateID))
		} else {
			err = a.st.UnitVote(r.Context(), sc, id, int64(req.CandidateID))
		}
		if err != nil {
			return err
		}
		e, err := a.st.UnitElection(r.Context(), sc, id)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, toElectionJSON(e))
	}
}

func (a *API) closeUnitElection(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	e, err := a.st.CloseUnitElection(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toElectionJSON(e))
}

type appointment struct {
	ResidentID ID     `json:"resident_id"`
	TermMonths *int   `json:"term_months"`
	Reason     string `json:"reason"`
}

func (a *API) appointUnitLeader(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req appointment
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	in := model.Appointment{ResidentID: int64(req.ResidentID), TermMonths: model.DefaultTermMonths, Reason: req.Reason}
	if req.TermMonths != nil {
		in.TermMonths = *req.TermMonths
	}
	u, err := a.st.AppointUnitLeader(r.Context(), authz.ScopeFrom(r.Context()), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toUnitJSON(u))
}
