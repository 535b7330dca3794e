package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// budgetWorld is a voter world (three households with accounts and a neighbour, all in one
// stairwell of the community) with a round of this year, 10 000 yuan, one household one vote.
type budgetWorld struct {
	voterWorld
	round *model.BudgetRound
}

func mustBudgetWorld(t *testing.T, st *store.Store) budgetWorld {
	t.Helper()
	w := budgetWorld{voterWorld: mustVoterWorld(t, st, 3)}
	r, err := st.CreateBudgetRound(context.Background(), w.staff, model.BudgetRoundInput{CommunityID: w.community.ID, Title: "今年民生微实事",
		Year: time.Now().In(model.Shanghai).Year(), Budget: "10000", Rule: model.RuleHousehold})
	if err != nil {
		t.Fatal(err)
	}
	w.round = r
	return w
}

func (w budgetWorld) propose(t *testing.T, st *store.Store, sc authz.Scope, title string) *model.SmallProject {
	t.Helper()
	p, err := st.ProposeSmallProject(context.Background(), sc, model.SmallProjectInput{RoundID: w.round.ID, TerritoryID: w.grid.ID, Title: title, Description: title + "，方便大家。"})
	if err != nil {
		t.Fatalf("propose %s: %v", title, err)
	}
	return p
}

func (w budgetWorld) review(t *testing.T, st *store.Store, p *model.SmallProject, cost string) {
	t.Helper()
	in := model.ReviewInput{Feasible: cost != "", Cost: cost, Note: "经核实"}
	if _, err := st.ReviewSmallProject(context.Background(), w.staff, p.ID, in); err != nil {
		t.Fatalf("review %s: %v", p.Title, err)
	}
}

// TestBudgetRound: a round from creation to its winners carried out — who may create, propose
// and review it, the cap and the budget checked, proposers' names for staff only, voting through
// a vote whose cancellation is refused, the decision in the transaction that closes the vote,
// milestones, photos and transitions of the winners.
func TestBudgetRound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustBudgetWorld(t, st)
		year := time.Now().In(model.Shanghai).Year()

		// Creating: bad input, callers who may not, another community, a second round of the year.
		if got := firstFields(st.CreateBudgetRound(ctx, w.staff, model.BudgetRoundInput{CommunityID: w.community.ID, Year: year + 5, Budget: "abc"})); !slices.Equal(got, []string{"title", "year", "budget", "rule"}) {
			t.Errorf("bad round: %v", got)
		}
		good := model.BudgetRoundInput{CommunityID: w.community.ID, Title: "又一轮", Year: year, Budget: "5000", Rule: model.RuleHousehold}
		if _, err := st.CreateBudgetRound(ctx, w.voters[0], good); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident creating a round: %v", err)
		}
		if _, err := st.CreateBudgetRound(ctx, w.staff, good); !conflictOf(err) {
			t.Errorf("a second round of the year: %v", err)
		}
		other := good
		other.CommunityID = w.community2.ID
		if got := errField(firstFields(st.CreateBudgetRound(ctx, w.staff, other))); got != "community_id" {
			t.Errorf("a round in another community: %v", got)
		}
		gridRound := good
		gridRound.CommunityID, gridRound.Year = w.grid.ID, year+1
		if got := errField(firstFields(st.CreateBudgetRound(ctx, w.staff, gridRound))); got != "community_id" {
			t.Errorf("a round of a grid: %v", got)
		}

		// Proposing: residents of the community, three each, titles unique in the round.
		a := w.propose(t, st, w.voters[0], "3栋门口加装休息座椅")
		b := w.propose(t, st, w.voters[0], "小区路灯更换为节能灯")
		c := w.propose(t, st, w.voters[1], "增设快递柜雨棚")
		d := w.propose(t, st, w.voters[1], "修缮儿童游乐场地面")
		e := w.propose(t, st, w.staff, "楼道墙面翻新")
		w.propose(t, st, w.voters[0], "垃圾分类亭加装洗手池")
		if _, err := st.ProposeSmallProject(ctx, w.voters[0], model.SmallProjectInput{RoundID: w.round.ID, Title: "第四个", Description: "说明"}); !conflictOf(err) || !strings.Contains(err.Error(), "最多提出 3 个") {
			t.Errorf("a fourth proposal: %v", err)
		}
		if _, err := st.ProposeSmallProject(ctx, w.voters[2], model.SmallProjectInput{RoundID: w.round.ID, Title: "增设快递柜雨棚", Description: "说明"}); !conflictOf(err) {
			t.Errorf("a title the round has: %v", err)
		}
		if got := errField(firstFields(st.ProposeSmallProject(ctx, w.voters[2], model.SmallProjectInput{RoundID: w.round.ID, TerritoryID: w.stairwell2.ID, Title: "外面", Description: "说明"}))); got != "territory_id" {
			t.Errorf("a place outside the community: %v", got)
		}
		far := mustHousehold(t, st, w.stairwell2, "8栋2单元101室", model.ResidentInput{Name: "外社区", IDNumber: validID("510781", "19800101", 777), Relation: model.RelationHead})
		farRes, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: far.ID})
		if err != nil {
			t.Fatal(err)
		}
		farVoter := linkedAccount(t, st, "far", farRes.Items[0].ID, w.community2)
		if got := errField(firstFields(st.ProposeSmallProject(ctx, farVoter, model.SmallProjectInput{RoundID: w.round.ID, Title: "外社区的想法", Description: "说明"}))); got != "round_id" {
			t.Errorf("a resident of another community: %v", got)
		}
		if _, err := st.BudgetRound(ctx, farVoter, w.round.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a resident of another community reads the round: %v", err)
		}

		// Names: staff read the proposer's, residents its role; a resident's own is marked.
		for _, sc := range []authz.Scope{w.voters[0], w.voters[2]} {
			got, err := st.SmallProject(ctx, sc, a.ID)
			if err != nil || got.ProposerName != "" || got.ReviewedBy != "" || got.ProposerLabel() != "居民提出" || got.Mine != (sc.UserID == w.voters[0].UserID) {
				t.Errorf("a resident reads %+v, %v", got, err)
			}
		}
		if got, err := st.SmallProject(ctx, w.staff, a.ID); err != nil || got.ProposerName == "" {
			t.Errorf("staff reads the proposer: %+v, %v", got, err)
		}

		// Reviewing: the budget bounds the cost, an infeasible needs a reason, once.
		if _, err := st.ReviewSmallProject(ctx, w.staff, a.ID, model.ReviewInput{Feasible: true, Cost: "10000.01"}); err == nil || !strings.Contains(err.Error(), "费用超过本轮预算 10000.00 元") {
			t.Errorf("a cost over the budget: %v", err)
		}
		if got := errField(firstFields(st.ReviewSmallProject(ctx, w.staff, a.ID, model.ReviewInput{Feasible: false}))); got != "note" {
			t.Errorf("infeasible without a reason: %v", got)
		}
		if _, err := st.ReviewSmallProject(ctx, w.voters[0], a.ID, model.ReviewInput{Feasible: true, Cost: "1"}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident reviewing: %v", err)
		}
		// Voting cannot open with proposals unreviewed.
		closes := time.Now().Add(48 * time.Hour)
		if _, err := st.OpenBudgetVoting(ctx, w.staff, w.round.ID, store.BudgetVotingInput{ClosesAt: closes}); !conflictOf(err) || !strings.Contains(err.Error(), "没有审核") {
			t.Errorf("voting with proposals unreviewed: %v", err)
		}
		if r, _ := st.BudgetRound(ctx, w.staff, w.round.ID); r.Status != model.RoundProposing || r.VoteID != 0 {
			t.Errorf("a refused opening changed the round: %+v", r)
		}
		w.review(t, st, a, "6000")
		w.review(t, st, b, "5000")
		w.review(t, st, c, "3000")
		w.review(t, st, d, "10000")
		w.review(t, st, e, "")
		if _, err := st.ReviewSmallProject(ctx, w.staff, a.ID, model.ReviewInput{Feasible: true, Cost: "1"}); !conflictOf(err) {
			t.Errorf("a second review: %v", err)
		}
		all, err := st.SmallProjects(ctx, w.staff, store.SmallProjectFilter{Round: w.round.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range all.Items {
			if p.Status == model.SmallProposed {
				w.review(t, st, p, "")
			}
		}
		if _, err := st.CloseBudgetProposals(ctx, w.staff, w.round.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ProposeSmallProject(ctx, w.voters[2], model.SmallProjectInput{RoundID: w.round.ID, Title: "迟到的想法", Description: "说明"}); !conflictOf(err) {
			t.Errorf("a proposal after the collecting ended: %v", err)
		}

		// Voting: a vote of the votes machinery over the community, approval voting.
		r, err := st.OpenBudgetVoting(ctx, w.staff, w.round.ID, store.BudgetVotingInput{ClosesAt: closes})
		if err != nil {
			t.Fatal(err)
		}
		v, err := st.Vote(ctx, w.voters[0], r.VoteID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != model.RoundVoting || v.RoundID != r.ID || v.Kind != model.VoteMultiple || v.MaxChoices != 4 || len(v.Options) != 4 || v.TerritoryID != w.community.ID || v.Eligible != 4 {
			t.Fatalf("voting: round %+v, vote %+v", r, v)
		}
		if _, err := st.CancelVote(ctx, w.staff, v.ID, "不办了"); !errors.Is(err, store.ErrRoundVoteCancel) {
			t.Errorf("cancelling the round's vote directly: %v", err)
		}
		if _, err := st.ReviewSmallProject(ctx, w.staff, e.ID, model.ReviewInput{Feasible: true, Cost: "1"}); !conflictOf(err) {
			t.Errorf("a review while voting: %v", err)
		}
		opt := map[int64]int64{}
		for _, id := range []int64{a.ID, b.ID, c.ID, d.ID} {
			p, err := st.SmallProject(ctx, w.voters[0], id)
			if err != nil || p.OptionID == 0 {
				t.Fatalf("option of %d: %+v %v", id, p, err)
			}
			opt[id] = p.OptionID
		}
		// a: 4 votes (6000), d: 3 (10000, over what is left), b: 2 (5000, over what is left), c: 2 (3000 fits).
		ballots := [][]int64{{opt[a.ID], opt[d.ID], opt[b.ID]}, {opt[a.ID], opt[d.ID], opt[c.ID]}, {opt[a.ID], opt[d.ID], opt[b.ID], opt[c.ID]}, {opt[a.ID]}}
		for i, sc := range append(slices.Clone(w.voters), w.outsider) {
			if _, err := st.CastBallot(ctx, sc, v.ID, ballots[i]); err != nil {
				t.Fatalf("ballot %d: %v", i, err)
			}
		}
		if _, err := st.CloseVote(ctx, w.staff, v.ID); err != nil {
			t.Fatal(err)
		}
		r, err = st.BudgetRound(ctx, w.voters[0], w.round.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != model.RoundDecided || r.UsedFen != 9000_00 || r.LeftFen() != 1000_00 || r.DecidedAt == nil {
			t.Errorf("decided: %+v", r)
		}
		want := map[int64]model.SmallProjectStatus{a.ID: model.SmallWon, b.ID: model.SmallLost, c.ID: model.SmallWon, d.ID: model.SmallLost, e.ID: model.SmallInfeasible}
		for id, status := range want {
			p, err := st.SmallProject(ctx, w.voters[2], id)
			if err != nil || p.Status != status {
				t.Errorf("project %d: %+v, %v, want %s", id, p, err, status)
				continue
			}
			if status == model.SmallLost && !strings.HasPrefix(p.LossReason, model.LostNoBudget) || status.Winner() && (p.Approvals == nil || p.LossReason != "") {
				t.Errorf("project %d: %s, approvals %v, reason %q", id, p.Status, p.Approvals, p.LossReason)
			}
		}

		// Carrying the winners out.
		if _, err := st.AddSmallProjectMilestone(ctx, w.staff, b.ID, model.MilestoneInput{Title: "采购", DueOn: fmt.Sprintf("%d-06-30", year+1)}); !conflictOf(err) {
			t.Errorf("a milestone of a loser: %v", err)
		}
		p, err := st.AddSmallProjectMilestone(ctx, w.staff, a.ID, model.MilestoneInput{Title: "采购座椅", DueOn: fmt.Sprintf("%d-06-30", year+1)})
		if err != nil || len(p.Milestones) != 1 {
			t.Fatalf("milestone: %+v, %v", p, err)
		}
		if got := errField(firstFields(st.AddSmallProjectMilestone(ctx, w.staff, a.ID, model.MilestoneInput{Title: "早了", DueOn: fmt.Sprintf("%d-12-31", year-1)}))); got != "due_on" {
			t.Errorf("a milestone before the round's year: %v", got)
		}
		if _, err := st.TickSmallProjectMilestone(ctx, w.voters[0], a.ID, p.Milestones[0].ID); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident ticking: %v", err)
		}
		if _, err := st.TickSmallProjectMilestone(ctx, w.staff, a.ID, p.Milestones[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.TickSmallProjectMilestone(ctx, w.staff, a.ID, p.Milestones[0].ID); !conflictOf(err) {
			t.Errorf("a second tick: %v", err)
		}
		if got := errField(firstFields(st.AddSmallProjectPhotos(ctx, w.staff, a.ID, [][]byte{[]byte("<html>")}))); got != "photos[0]" {
			t.Errorf("a page for a photo: %v", got)
		}
		p, err = st.AddSmallProjectPhotos(ctx, w.staff, a.ID, [][]byte{modeltest.JPEG(t, 40, 30), modeltest.JPEG(t, 30, 40)})
		if err != nil || len(p.Photos) != 2 || p.Photos[1].N != 2 {
			t.Fatalf("photos: %+v, %v", p, err)
		}
		five := make([][]byte, 5)
		for i := range five {
			five[i] = modeltest.JPEG(t, 20+i, 20)
		}
		if got := errField(firstFields(st.AddSmallProjectPhotos(ctx, w.staff, a.ID, five))); got != "photos" {
			t.Errorf("photos over the limit: %v", got)
		}
		if ph, b, err := st.SmallProjectPhoto(ctx, w.voters[1], a.ID, 2); err != nil || ph.ContentType != model.PhotoType || len(b.Data) == 0 {
			t.Errorf("a resident reads a photo: %v", err)
		}
		if _, _, err := st.PublicSmallProjectPhoto(ctx, w.community.Code, a.ID, 1); err != nil {
			t.Errorf("the public photo: %v", err)
		}
		if _, _, err := st.PublicSmallProjectPhoto(ctx, w.community2.Code, a.ID, 1); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("the photo under another community's code: %v", err)
		}
		if _, err := st.TransitionSmallProject(ctx, w.staff, a.ID, model.SmallComplete); !conflictOf(err) {
			t.Errorf("completing a project not started: %v", err)
		}
		if _, err := st.TransitionSmallProject(ctx, w.staff, a.ID, model.SmallStart); err != nil {
			t.Fatal(err)
		}
		if p, err := st.TransitionSmallProject(ctx, w.staff, a.ID, model.SmallComplete); err != nil || p.Status != model.SmallDone || p.DoneAt == nil {
			t.Errorf("completed: %+v, %v", p, err)
		}
		if _, err := st.CancelBudgetRound(ctx, w.staff, w.round.ID, "不办了"); !conflictOf(err) {
			t.Errorf("cancelling a decided round: %v", err)
		}

		// Lists.
		rounds, err := st.BudgetRounds(ctx, w.voters[0], store.BudgetRoundFilter{})
		if err != nil || len(rounds.Items) != 1 || rounds.Total != 1 {
			t.Errorf("a resident's rounds: %+v, %v", rounds, err)
		}
		if rounds, err := st.BudgetRounds(ctx, farVoter, store.BudgetRoundFilter{}); err != nil || len(rounds.Items) != 0 {
			t.Errorf("another community's resident lists %+v, %v", rounds, err)
		}
		won, err := st.SmallProjects(ctx, w.voters[0], store.SmallProjectFilter{Status: model.SmallWon})
		if err != nil || len(won.Items) != 1 || won.Items[0].ID != c.ID {
			t.Errorf("won projects: %+v, %v", won, err)
		}
	})
}

// TestBudgetVotingDueAndCancel: a round whose vote's time is up is decided when it is next
// read (the clock closes the vote, the same hook decides), nobody voting makes no winner; and
// cancelling a round in voting cancels its vote; a cancelled round frees its year.
func TestBudgetVotingDueAndCancel(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustBudgetWorld(t, st)
		a := w.propose(t, st, w.voters[0], "修补小区道路")
		b := w.propose(t, st, w.voters[1], "增设晾衣架")
		w.review(t, st, a, "2000")
		w.review(t, st, b, "1000")
		if _, err := st.OpenBudgetVoting(ctx, w.staff, w.round.ID, store.BudgetVotingInput{ClosesAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		later := st.AsOf(func() time.Time { return time.Now().Add(2 * time.Hour) })
		r, err := later.BudgetRound(ctx, w.voters[0], w.round.ID)
		if err != nil || r.Status != model.RoundDecided || r.UsedFen != 0 || r.VoteStatus != model.VoteClosed {
			t.Fatalf("after the vote's time: %+v, %v", r, err)
		}
		if p, err := st.SmallProject(ctx, w.voters[0], a.ID); err != nil || p.Status != model.SmallLost || p.LossReason != model.LostNoVotes {
			t.Errorf("nobody voted: %+v, %v", p, err)
		}

		// A round of next year, cancelled while voting.
		year := time.Now().In(model.Shanghai).Year() + 1
		next, err := st.CreateBudgetRound(ctx, w.staff, model.BudgetRoundInput{CommunityID: w.community.ID, Title: "明年", Year: year, Budget: "3000", Rule: model.RuleResident})
		if err != nil {
			t.Fatal(err)
		}
		w.round = next
		c, d := w.propose(t, st, w.voters[0], "甲"), w.propose(t, st, w.voters[1], "乙")
		w.review(t, st, c, "100")
		w.review(t, st, d, "100")
		if _, err := st.OpenBudgetVoting(ctx, w.staff, next.ID, store.BudgetVotingInput{ClosesAt: time.Now().Add(-time.Hour)}); firstField(err) != "closes_at" {
			t.Errorf("voting closing in the past: %v", err)
		}
		next, err = st.OpenBudgetVoting(ctx, w.staff, next.ID, store.BudgetVotingInput{ClosesAt: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if got := errField(firstFields(st.CancelBudgetRound(ctx, w.staff, next.ID, " "))); got != "reason" {
			t.Errorf("cancelling without a reason: %v", got)
		}
		r, err = st.CancelBudgetRound(ctx, w.staff, next.ID, "预算调整")
		if err != nil || r.Status != model.RoundCancelled || r.VoteStatus != model.VoteCancelled || r.CancelReason != "预算调整" {
			t.Fatalf("cancelled: %+v, %v", r, err)
		}
		if _, err := st.CreateBudgetRound(ctx, w.staff, model.BudgetRoundInput{CommunityID: w.community.ID, Title: "明年重来", Year: year, Budget: "3000", Rule: model.RuleHousehold}); err != nil {
			t.Errorf("a cancelled round frees its year: %v", err)
		}
	})
}

// TestBudgetRaces: what users race on is decided by the database on both engines — of ten
// reviews of one proposal, ten openings of one round's voting and ten completions of one
// project, exactly one has its effect and the others are conflicts.
func TestBudgetRaces(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustBudgetWorld(t, st)
		a := w.propose(t, st, w.voters[0], "安装充电桩")
		b := w.propose(t, st, w.voters[1], "粉刷围墙")
		race := func(name string, f func() error) {
			t.Helper()
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok, conflicts := 0, 0
			for range 10 {
				wg.Go(func() {
					err := f()
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						ok++
					case conflictOf(err):
						conflicts++
					default:
						t.Errorf("%s: %v", name, err)
					}
				})
			}
			wg.Wait()
			if ok != 1 || conflicts != 9 {
				t.Errorf("%s: %d succeeded, %d conflicts; want 1 and 9", name, ok, conflicts)
			}
		}
		race("review", func() error {
			_, err := st.ReviewSmallProject(ctx, w.staff, a.ID, model.ReviewInput{Feasible: true, Cost: "1000"})
			return err
		})
		w.review(t, st, b, "500")
		race("open voting", func() error {
			_, err := st.OpenBudgetVoting(ctx, w.staff, w.round.ID, store.BudgetVotingInput{ClosesAt: time.Now().Add(time.Hour)})
			return err
		})
		all, err := st.Votes(ctx, authz.System(), store.VoteFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if votes := len(all.Items); votes != 1 {
			t.Errorf("%d votes opened", votes)
		}
		r, err := st.BudgetRound(ctx, w.staff, w.round.ID)
		if err != nil {
			t.Fatal(err)
		}
		v, err := st.Vote(ctx, w.staff, r.VoteID)
		if err != nil {
			t.Fatal(err)
		}
		for i, sc := range append(slices.Clone(w.voters), w.outsider) {
			if _, err := st.CastBallot(ctx, sc, v.ID, []int64{v.Options[i%2].ID}); err != nil {
				t.Fatal(err)
			}
		}
		race("close", func() error {
			_, err := st.CloseVote(ctx, w.staff, v.ID)
			return err
		})
		if _, err := st.TransitionSmallProject(ctx, w.staff, a.ID, model.SmallStart); err != nil {
			t.Fatal(err)
		}
		race("complete", func() error {
			_, err := st.TransitionSmallProject(ctx, w.staff, a.ID, model.SmallComplete)
			return err
		})
	})
}

// errField is the first field firstFields names ("" for none).
func errField(fields []string) string {
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}
