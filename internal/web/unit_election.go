package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"gongzhi/internal/model"
)

// A resident's unit leader election on a phone (issue 9 item 2): the open election of its own
// household's unit with one big button per candidate (one tap votes), and afterwards 已投票 with
// the turnout — never whom the household chose; a closed election shows its result. Staff run
// elections through the API (/api/v1/units/{id}/elections).

type electionVotePage struct {
	Page
	Election  *model.UnitElection // nil: the household's unit has had no election
	Leader    *model.UnitLeader   // the unit's leader, when it has one
	Accepting bool
}

// myUnitElection shows the caller's household's unit's election.
func (wb *Web) myUnitElection(w http.ResponseWriter, r *http.Request) error {
	sc := scope(r)
	d := &electionVotePage{Page: wb.base(r, wb.t("election.title"), "home")}
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
	return wb.render(w, r, http.StatusOK, "units/election_vote", d)
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
	if err1 != nil || err2 != nil || election <= 0 || candidate <= 0 {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "candidate_id", Message: wb.t("election.pick")}}}
	}
	if err := wb.st.Vote(r.Context(), scope(r), election, candidate); err != nil {
		return err
	}
	http.Redirect(w, r, "/me/unit-election?done=voted", http.StatusSeeOther)
	return nil
}
