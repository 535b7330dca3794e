package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// voterWorld is a unit of n households in the first stairwell, each with a head and an
// account linked to it (voters[i] votes for households[i]), and one more household with its
// account in the same stairwell but outside the unit.
type voterWorld struct {
	tree
	unit       *model.Unit
	households []*model.Household
	voters     []authz.Scope
	outsider   authz.Scope
	outsideH   *model.Household
	staff      authz.Scope
}

func mustVoterWorld(t *testing.T, st *store.Store, n int) voterWorld {
	t.Helper()
	ctx := context.Background()
	w := voterWorld{tree: mustTree(t, st)}
	account := func(h *model.Household, i int) authz.Scope {
		rs, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: h.ID})
		if err != nil || len(rs.Items) == 0 {
			t.Fatalf("head of %s: %v", h.Address, err)
		}
		u := storetest.RawUser(t, st, fmt.Sprintf("voter%d", i), model.RoleResident, w.community)
		storetest.Exec(t, st, `UPDATE users SET resident_id = ? WHERE id = ? RETURNING id`, rs.Items[0].ID, u.ID)
		return authz.ForUser(u)
	}
	var ids []int64
	for i := range n {
		h := mustHousehold(t, st, w.stairwell, fmt.Sprintf("1栋1单元%d室", 101+i),
			model.ResidentInput{Name: fmt.Sprintf("户主%d", i), IDNumber: validID("510781", "19600101", i+1), Relation: model.RelationHead})
		w.households = append(w.households, h)
		ids = append(ids, h.ID)
		w.voters = append(w.voters, account(h, i))
	}
	w.unit = storetest.MustUnit(t, st, "一号联建单元", ids...)
	w.outsideH = mustHousehold(t, st, w.stairwell, "1栋1单元999室",
		model.ResidentInput{Name: "邻居", IDNumber: validID("510781", "19700101", 999), Relation: model.RelationHead})
	w.outsider = account(w.outsideH, 999)
	w.staff = authz.ForUser(mustUser(t, st, "staff", model.RoleCommunityStaff, w.community))
	return w
}

func (w voterWorld) candidateOf(t *testing.T, e *model.UnitElection, household int64) int64 {
	t.Helper()
	for _, c := range e.Candidates {
		if c.HouseholdID == household {
			return c.ID
		}
	}
	t.Fatalf("no candidate of household %d", household)
	return 0
}

func conflictOf(err error) bool {
	var c *model.ConflictError
	return errors.As(err, &c)
}

func TestUnitElection(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustVoterWorld(t, st, 3)
		a, b, c := w.households[0], w.households[1], w.households[2]
		closes := time.Now().Add(72 * time.Hour)

		// Opening: candidates are household heads of the unit.
		if _, err := st.OpenUnitElection(ctx, w.staff, w.unit.ID, model.ElectionInput{ClosesAt: closes, TermMonths: 36, Candidates: []int64{w.outsiderHead(t, st)}}); firstField(err) != "candidates" {
			t.Errorf("a candidate outside the unit: %v", err)
		}
		if _, err := st.OpenUnitElection(ctx, w.staff, w.unit.ID, model.ElectionInput{ClosesAt: time.Now().Add(-time.Hour), TermMonths: 36}); firstField(err) != "closes_at" {
			t.Errorf("closing in the past: %v", err)
		}
		if _, err := st.OpenUnitElection(ctx, w.voters[0], w.unit.ID, model.ElectionInput{ClosesAt: closes, TermMonths: 36}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident opening an election: %v", err)
		}
		e, err := st.OpenUnitElection(ctx, w.staff, w.unit.ID, model.ElectionInput{ClosesAt: closes, TermMonths: 36})
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Candidates) != 3 || e.Households != 3 || e.Status != model.ElectionOpen {
			t.Fatalf("election: %d candidates, %d households, %s", len(e.Candidates), e.Households, e.Status)
		}
		if _, err := st.OpenUnitElection(ctx, w.staff, w.unit.ID, model.ElectionInput{ClosesAt: closes, TermMonths: 36}); !conflictOf(err) {
			t.Errorf("a second open election: %v, want a conflict", err)
		}

		// Who sees it: the unit's households, not the neighbour outside it.
		mine, err := st.UnitElection(ctx, w.voters[0], e.ID)
		if err != nil || mine.HouseholdVoted || len(mine.Candidates) != 3 {
			t.Fatalf("voter's view: %+v, %v", mine, err)
		}
		if _, err := st.UnitElection(ctx, w.outsider, e.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("the neighbour reads the election: %v", err)
		}
		if err := st.UnitVote(ctx, w.outsider, e.ID, e.Candidates[0].ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a vote from outside the unit: %v", err)
		}
		nobody := authz.ForUser(storetest.RawUser(t, st, "nohousehold", model.RoleResident, w.community))
		if err := st.UnitVote(ctx, nobody, e.ID, e.Candidates[0].ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a vote from an account without a household: %v", err)
		}

		// One household, one vote.
		cb := w.candidateOf(t, e, b.ID)
		if err := st.UnitVote(ctx, w.voters[0], e.ID, 999999); firstField(err) != "candidate_id" {
			t.Errorf("a vote for nobody standing: %v", err)
		}
		if err := st.UnitVote(ctx, w.voters[0], e.ID, cb); err != nil {
			t.Fatal(err)
		}
		if err := st.UnitVote(ctx, w.voters[0], e.ID, w.candidateOf(t, e, a.ID)); !conflictOf(err) {
			t.Errorf("a second vote of household a: %v, want a conflict", err)
		}
		if err := st.ProxyVote(ctx, w.staff, e.ID, a.ID, cb); !conflictOf(err) {
			t.Errorf("a proxy vote for a household that voted: %v", err)
		}
		if err := st.ProxyVote(ctx, w.staff, e.ID, w.outsideH.ID, cb); firstField(err) != "household_id" {
			t.Errorf("a proxy vote for a household outside the unit: %v", err)
		}
		if err := st.ProxyVote(ctx, w.voters[1], e.ID, b.ID, cb); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident casting a proxy vote: %v", err)
		}
		if err := st.ProxyVote(ctx, w.staff, e.ID, c.ID, cb); err != nil {
			t.Fatal(err)
		}
		got, err := st.UnitElection(ctx, w.voters[0], e.ID)
		if err != nil || !got.HouseholdVoted || got.Voted != 2 {
			t.Fatalf("after two votes: voted %d, own voted %v, %v", got.Voted, got.HouseholdVoted, err)
		}
		staffView, err := st.UnitElection(ctx, w.staff, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, cand := range append(got.Candidates, staffView.Candidates...) {
			if cand.Votes != nil {
				t.Errorf("tally of %s shown while the election is open", cand.Name)
			}
		}
		hs, err := st.ElectionHouseholds(ctx, w.staff, e.ID)
		if err != nil || len(hs) != 3 || !hs[0].Voted || hs[0].Proxy || hs[1].Voted || !hs[2].Proxy {
			t.Errorf("turnout by household: %+v, %v", hs, err)
		}

		// The audit says a household of the unit voted: not which, not for whom. (The detail is
		// compared whole: an ID of the unit may be written with the same digits as a voter's.)
		for action, detail := range map[string]string{
			"unit.vote":       fmt.Sprintf("a household of unit %d voted", w.unit.ID),
			"unit.vote.proxy": fmt.Sprintf("a household of unit %d voted by proxy", w.unit.ID),
		} {
			recs := mustAudit(t, st, authz.System(), store.AuditFilter{Action: action})
			if len(recs) != 1 {
				t.Fatalf("%s: %d records", action, len(recs))
			}
			r := recs[0]
			if len(r.ObjectIDs) != 1 || r.ObjectIDs[0] != e.ID || r.ObjectType != "unit_election" || r.Detail != detail {
				t.Errorf("%s record links the vote: %+v", action, r)
			}
		}

		// Closing: the tallies decide, the unit records its elected leader and term.
		if _, err := st.CloseUnitElection(ctx, w.voters[0], e.ID); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident closing: %v", err)
		}
		// Not before its closing time while a household is still to vote: staff follow who
		// voted, and an early close would show the last voter's choice in the tallies.
		if _, err := st.CloseUnitElection(ctx, w.staff, e.ID); !errors.Is(err, model.ErrEarlyClose) {
			t.Errorf("closing early with a household still to vote: %v, want ErrEarlyClose", err)
		}
		if err := st.UnitVote(ctx, w.voters[1], e.ID, w.candidateOf(t, e, a.ID)); err != nil {
			t.Fatal(err)
		}
		closed, err := st.CloseUnitElection(ctx, w.staff, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if closed.Status != model.ElectionClosed || closed.Result != model.ResultElected || closed.Winner() == nil || closed.Winner().HouseholdID != b.ID || *closed.Winner().Votes != 2 {
			t.Fatalf("closed: %s %s winner %+v", closed.Status, closed.Result, closed.Winner())
		}
		u, err := st.Unit(ctx, w.staff, w.unit.ID)
		if err != nil {
			t.Fatal(err)
		}
		today := time.Now().In(model.Shanghai)
		if l := u.Leader; l == nil || l.HouseholdID != b.ID || l.Method != model.LeaderElected || l.Since != today.Format(time.DateOnly) ||
			l.Until != today.AddDate(3, 0, -1).Format(time.DateOnly) || l.ElectionID != e.ID || l.Name != "户主1" {
			t.Errorf("unit leader after the election: %+v", u.Leader)
		}
		if err := st.UnitVote(ctx, w.voters[2], e.ID, cb); !conflictOf(err) {
			t.Errorf("a vote after closing: %v", err)
		}
		if _, err := st.CloseUnitElection(ctx, w.staff, e.ID); !conflictOf(err) {
			t.Errorf("closing twice: %v", err)
		}

		// A tie elects nobody: the unit keeps its leader until staff appoint one.
		tie, err := st.OpenUnitElection(ctx, w.staff, w.unit.ID, model.ElectionInput{ClosesAt: closes, TermMonths: 24})
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range []*model.Household{a, b, c} {
			if err := st.UnitVote(ctx, w.voters[i], tie.ID, w.candidateOf(t, tie, h.ID)); err != nil {
				t.Fatal(err)
			}
		}
		if tie, err = st.CloseUnitElection(ctx, w.staff, tie.ID); err != nil || tie.Result != model.ResultTie || tie.Winner() != nil {
			t.Fatalf("tie: %s, %v", tie.Result, err)
		}
		if u, _ := st.Unit(ctx, w.staff, w.unit.ID); u.Leader == nil || u.Leader.HouseholdID != b.ID {
			t.Errorf("a tie changed the leader: %+v", u.Leader)
		}

		// Appointment: a household head of the unit, with the reason.
		heads := map[int64]int64{}
		for _, cand := range tie.Candidates {
			heads[cand.HouseholdID] = cand.ResidentID
		}
		if _, err := st.AppointUnitLeader(ctx, w.staff, w.unit.ID, model.Appointment{ResidentID: w.outsiderHead(t, st), TermMonths: 36, Reason: "票数相同"}); firstField(err) != "resident_id" {
			t.Errorf("appointing a head outside the unit: %v", err)
		}
		if _, err := st.AppointUnitLeader(ctx, w.staff, w.unit.ID, model.Appointment{ResidentID: heads[a.ID], TermMonths: 36}); firstField(err) != "reason" {
			t.Errorf("appointing without a reason: %v", err)
		}
		u, err = st.AppointUnitLeader(ctx, w.staff, w.unit.ID, model.Appointment{ResidentID: heads[a.ID], TermMonths: 36, Reason: "选举票数相同，经社区协商指定"})
		if err != nil {
			t.Fatal(err)
		}
		if l := u.Leader; l.HouseholdID != a.ID || l.Method != model.LeaderAppointed || l.Reason != "选举票数相同，经社区协商指定" || l.ElectionID != 0 {
			t.Errorf("appointed leader: %+v", l)
		}
		events, err := st.UnitEvents(ctx, w.staff, w.unit.ID)
		if err != nil {
			t.Fatal(err)
		}
		var leaderEvents int
		for _, ev := range events {
			if ev.Action == "leader" {
				leaderEvents++
			}
		}
		if leaderEvents != 2 {
			t.Errorf("%d leader events, want the election's and the appointment's", leaderEvents)
		}

		// Closing by the clock: the first read after the closing time closes it.
		due, err := st.OpenUnitElection(ctx, w.staff, w.unit.ID, model.ElectionInput{ClosesAt: time.Now().Add(time.Hour), TermMonths: 12})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.UnitVote(ctx, w.voters[1], due.ID, w.candidateOf(t, due, c.ID)); err != nil {
			t.Fatal(err)
		}
		st.SetNow(func() time.Time { return time.Now().Add(2 * time.Hour) })
		defer st.SetNow(nil)
		if err := st.UnitVote(ctx, w.voters[0], due.ID, w.candidateOf(t, due, c.ID)); !conflictOf(err) {
			t.Errorf("a vote after the closing time: %v", err)
		}
		got, err = st.UnitElection(ctx, w.voters[0], due.ID)
		if err != nil || got.Status != model.ElectionClosed || got.Result != model.ResultElected || got.Winner().HouseholdID != c.ID {
			t.Fatalf("closed by the clock: %+v, %v", got, err)
		}
		if u, _ := st.Unit(ctx, w.staff, w.unit.ID); u.Leader.HouseholdID != c.ID || u.Leader.Method != model.LeaderElected {
			t.Errorf("leader after closing by the clock: %+v", u.Leader)
		}
	})
}

// outsiderHead is the head of the household outside the unit.
func (w voterWorld) outsiderHead(t *testing.T, st *store.Store) int64 {
	t.Helper()
	rs, err := st.Residents(context.Background(), authz.System(), store.ResidentFilter{HouseholdID: w.outsideH.ID})
	if err != nil || len(rs.Items) != 1 {
		t.Fatalf("outsider's head: %v", err)
	}
	return rs.Items[0].ID
}

// TestUnitElectionConcurrentVotes: 50 households voting at once are all counted once; 20
// votes of one household at once are counted exactly once (the database decides).
func TestUnitElectionConcurrentVotes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const n = 50
		w := mustVoterWorld(t, st, n)
		closes := time.Now().Add(24 * time.Hour)
		e, err := st.OpenUnitElection(ctx, w.staff, w.unit.ID, model.ElectionInput{ClosesAt: closes, TermMonths: 36})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = st.UnitVote(ctx, w.voters[i], e.ID, e.Candidates[i%3].ID)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("vote %d: %v", i, err)
			}
		}
		closed, err := st.CloseUnitElection(ctx, w.staff, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0
		for _, c := range closed.Candidates {
			sum += *c.Votes
		}
		if closed.Voted != n || sum != n {
			t.Errorf("50 concurrent votes: turnout %d, tallies %d", closed.Voted, sum)
		}

		second, err := st.OpenUnitElection(ctx, w.staff, w.unit.ID, model.ElectionInput{ClosesAt: closes, TermMonths: 36})
		if err != nil {
			t.Fatal(err)
		}
		const m = 20
		errs = make([]error, m)
		for i := range m {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = st.UnitVote(ctx, w.voters[7], second.ID, second.Candidates[i%len(second.Candidates)].ID)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !conflictOf(err):
				t.Errorf("a racing second vote: %v, want a conflict", err)
			}
		}
		// One household of 50 voted: it closes by the clock, not early.
		if _, err := st.CloseUnitElection(ctx, w.staff, second.ID); !errors.Is(err, model.ErrEarlyClose) {
			t.Errorf("closing early at turnout 1/%d: %v", n, err)
		}
		st.SetNow(func() time.Time { return closes.Add(time.Minute) })
		closed, err = st.UnitElection(ctx, w.staff, second.ID)
		if err != nil || closed.Status != model.ElectionClosed {
			t.Fatalf("after the closing time: %+v, %v", closed, err)
		}
		sum = 0
		for _, c := range closed.Candidates {
			sum += *c.Votes
		}
		if ok != 1 || closed.Voted != 1 || sum != 1 {
			t.Errorf("20 racing votes of one household: %d accepted, turnout %d, tallies %d; want exactly one", ok, closed.Voted, sum)
		}
	})
}

// TestElectDemoLeaders: every active unit without a leader gets its highest household's head as
// an elected leader, set-based; a unit with a leader keeps it, a unit without a head gets none.
func TestElectDemoLeaders(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustVoterWorld(t, st, 3)
		headless := storetest.MustUnit(t, st, "无户主单元", mustHousehold(t, st, w.stairwell2, "8栋2单元101").ID)
		since := time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC)
		n, err := st.ElectDemoLeaders(ctx, since)
		if err != nil || n != 1 {
			t.Fatalf("elected %d, %v; want 1", n, err)
		}
		u, err := st.Unit(ctx, w.staff, w.unit.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l := u.Leader; l == nil || l.HouseholdID != w.households[2].ID || l.Method != model.LeaderElected || l.Since != "2026-04-02" || l.Until != "2029-04-01" || l.Name != "户主2" {
			t.Errorf("demo leader: %+v", u.Leader)
		}
		if u, _ := st.Unit(ctx, authz.System(), headless.ID); u.Leader != nil {
			t.Errorf("a unit without a head got a leader: %+v", u.Leader)
		}
		cov, _, err := st.UnitCoverage(ctx, authz.System(), 0)
		if err != nil || cov.WithLeader != 1 {
			t.Errorf("coverage after the demo's leaders: %+v, %v; want 1 unit with a leader", cov, err)
		}
		if n, err := st.ElectDemoLeaders(ctx, since); err != nil || n != 0 {
			t.Errorf("second run elected %d, %v", n, err)
		}
	})
}
