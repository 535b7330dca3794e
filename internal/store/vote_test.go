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
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// linkedAccount makes a resident account linked to resident id.
func linkedAccount(t *testing.T, st *store.Store, name string, resident int64, scope *model.Territory) authz.Scope {
	t.Helper()
	u := storetest.RawUser(t, st, name, model.RoleResident, scope)
	storetest.Exec(t, st, `UPDATE users SET resident_id = ? WHERE id = ? RETURNING id`, resident, u.ID)
	return authz.ForUser(u)
}

func optionID(t *testing.T, v *model.Vote, label string) int64 {
	t.Helper()
	for _, o := range v.Options {
		if o.Label == label {
			return o.ID
		}
	}
	t.Fatalf("vote %d has no option %q", v.ID, label)
	return 0
}

// TestVote: a household vote over a grid from opening to result — the roll fixed at opening,
// one ballot per household whoever of it casts, proxies recorded, no tallies before closing,
// no early close while voters are missing, the result reproduced from the ballots, receipts
// that check — and what a caller outside the territory cannot do.
func TestVote(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustVoterWorld(t, st, 3)
		closes := time.Now().Add(72 * time.Hour)
		in := model.VoteInput{Title: "是否在小区加装电动车充电桩", TerritoryID: w.grid.ID, Rule: model.RuleHousehold, Kind: model.VoteYesNo,
			Quorum: model.Quorum{Num: 2, Den: 3}, Threshold: model.ThresholdMajority, ClosesAt: closes}

		// Bad input and callers who may not open a vote.
		bad := in
		bad.Title, bad.ClosesAt = "  ", time.Now().Add(-time.Hour)
		if err := firstFields(st.OpenVote(ctx, w.staff, bad)); !slices.Contains(err, "title") || !slices.Contains(err, "closes_at") {
			t.Errorf("blank title, closing in the past: %v", err)
		}
		multi := in
		multi.Kind, multi.Options, multi.MaxChoices = model.VoteMultiple, []string{"甲", "乙", "甲"}, 5
		if err := firstFields(st.OpenVote(ctx, w.staff, multi)); !slices.Contains(err, "options") {
			t.Errorf("a repeated option: %v", err)
		}
		if _, err := st.OpenVote(ctx, w.voters[0], in); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident opening a vote: %v", err)
		}
		outside := in
		outside.TerritoryID = w.community2.ID
		if _, err := st.OpenVote(ctx, w.staff, outside); firstField(err) != "territory_id" {
			t.Errorf("a vote outside the staff's community: %v", err)
		}

		v, err := st.OpenVote(ctx, w.staff, in)
		if err != nil {
			t.Fatal(err)
		}
		if v.Eligible != 4 || v.Status != model.VoteOpen || len(v.Options) != 3 || !v.Options[2].Abstain || v.Options[0].Votes != nil {
			t.Fatalf("opened: %d on the roll, %s, options %+v", v.Eligible, v.Status, v.Options)
		}
		yes, no, abstain := optionID(t, v, "同意"), optionID(t, v, "反对"), optionID(t, v, "弃权")

		// A household that moves in after the opening is not on the roll.
		late := mustHousehold(t, st, w.stairwell, "1栋1单元888室", model.ResidentInput{Name: "新住户", IDNumber: validID("510781", "19800101", 888), Relation: model.RelationHead})
		lateRes, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: late.ID})
		if err != nil {
			t.Fatal(err)
		}
		lateVoter := linkedAccount(t, st, "late", lateRes.Items[0].ID, w.community)
		var fe *model.ForbiddenError
		if _, err := st.CastBallot(ctx, lateVoter, v.ID, []int64{yes}); !errors.As(err, &fe) {
			t.Errorf("a household not on the roll: %v", err)
		}
		// A resident of another community does not see the vote.
		far := mustHousehold(t, st, w.stairwell2, "8栋2单元101室", model.ResidentInput{Name: "外社区", IDNumber: validID("510781", "19800101", 777), Relation: model.RelationHead})
		farRes, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: far.ID})
		if err != nil {
			t.Fatal(err)
		}
		farVoter := linkedAccount(t, st, "far", farRes.Items[0].ID, w.community2)
		if _, err := st.CastBallot(ctx, farVoter, v.ID, []int64{yes}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a resident outside the territory: %v", err)
		}
		if _, err := st.Vote(ctx, farVoter, v.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a resident outside the territory reads the vote: %v", err)
		}

		// Bad choices change nothing.
		for _, choices := range [][]int64{nil, {yes, abstain}, {yes, yes}, {999999}} {
			if _, err := st.CastBallot(ctx, w.voters[0], v.ID, choices); firstField(err) != "choices" {
				t.Errorf("choices %v: %v", choices, err)
			}
		}
		b0, err := st.CastBallot(ctx, w.voters[0], v.ID, []int64{yes})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := model.NormalizeReceipt(b0.Receipt); !ok || b0.Proxy {
			t.Errorf("ballot %+v", b0)
		}
		if _, err := st.CastBallot(ctx, w.voters[0], v.ID, []int64{no}); !conflictOf(err) {
			t.Errorf("a second ballot: %v", err)
		}
		// Another member of the same household: the household has voted.
		spouse, err := st.CreateResident(ctx, authz.System(), model.ResidentInput{HouseholdID: w.households[0].ID, Name: "配偶", IDNumber: validID("510781", "19620101", 50), Relation: model.RelationSpouse})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CastBallot(ctx, linkedAccount(t, st, "spouse", spouse.ID, w.community), v.ID, []int64{no}); !conflictOf(err) {
			t.Errorf("a second member of a household that voted: %v", err)
		}
		if _, err := st.CastBallot(ctx, w.voters[1], v.ID, []int64{no}); err != nil {
			t.Fatal(err)
		}
		// Staff cast a proxy ballot for a household on the roll; a resident may not.
		if _, err := st.ProxyBallot(ctx, w.voters[1], v.ID, w.households[2].ID, []int64{yes}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident casting a proxy: %v", err)
		}
		if _, err := st.ProxyBallot(ctx, w.staff, v.ID, late.ID, []int64{yes}); firstField(err) != "voter_id" {
			t.Errorf("a proxy for a household not on the roll: %v", err)
		}
		bp, err := st.ProxyBallot(ctx, w.staff, v.ID, w.households[2].ID, []int64{yes})
		if err != nil || !bp.Proxy {
			t.Fatalf("proxy: %+v %v", bp, err)
		}
		if _, err := st.ProxyBallot(ctx, w.staff, v.ID, w.households[0].ID, []int64{no}); !conflictOf(err) {
			t.Errorf("a proxy for a household that voted: %v", err)
		}
		rp, err := st.VoteRoll(ctx, w.staff, v.ID, store.VoteRollFilter{})
		if err != nil || len(rp.Items) != 4 || rp.Total != 4 || rp.Items[0].Voted || !rp.Items[3].Voted {
			t.Fatalf("roll %+v %v", rp, err)
		}
		// A page at a time: the pages joined are the whole roll in its order.
		var paged []store.VoteRollEntry
		for cur, n := "", 0; n == 0 || cur != ""; n++ {
			pg, err := st.VoteRoll(ctx, w.staff, v.ID, store.VoteRollFilter{Cursor: cur, Limit: 1})
			if err != nil || pg.Total != 4 || n > 4 {
				t.Fatalf("page %d: %+v %v", n, pg, err)
			}
			paged, cur = append(paged, pg.Items...), pg.Next
		}
		if !slices.Equal(paged, rp.Items) {
			t.Errorf("the roll a page at a time %+v, whole %+v", paged, rp.Items)
		}
		if _, err := st.VoteRoll(ctx, w.staff, v.ID, store.VoteRollFilter{Cursor: "bm9wZXw1"}); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("a forged cursor: %v", err)
		}
		if pg, err := st.VoteRoll(ctx, w.staff, v.ID, store.VoteRollFilter{Q: w.households[2].Address}); err != nil || pg.Total != 1 || len(pg.Items) != 1 || !pg.Items[0].Proxy {
			t.Errorf("the roll found by address: %+v %v", pg, err)
		}
		roll := rp.Items
		proxies := 0
		for _, e := range roll {
			if e.Proxy {
				proxies++
			}
		}
		if proxies != 1 {
			t.Errorf("%d proxies on the roll", proxies)
		}

		// While open: turnout, no tallies, no result, no early close.
		v, err = st.Vote(ctx, w.voters[0], v.ID)
		if err != nil || v.Voted != 3 || !v.Caller.Voted || v.Options[0].Votes != nil {
			t.Fatalf("while open: %d voted, caller %+v, %v", v.Voted, v.Caller, err)
		}
		if _, _, err := st.VoteResult(ctx, w.staff, v.ID); !conflictOf(err) {
			t.Errorf("a result while open: %v", err)
		}
		if _, err := st.CloseVote(ctx, w.staff, v.ID); !errors.Is(err, model.ErrVoteEarlyClose) {
			t.Errorf("closing early with a household to vote: %v", err)
		}
		if _, err := st.CastBallot(ctx, w.outsider, v.ID, []int64{abstain}); err != nil {
			t.Fatal(err)
		}
		v, err = st.CloseVote(ctx, w.staff, v.ID)
		if err != nil || v.Status != model.VoteClosed {
			t.Fatalf("close: %v", err)
		}
		if _, err := st.CastBallot(ctx, w.voters[1], v.ID, []int64{yes}); !conflictOf(err) {
			t.Errorf("a ballot after closing: %v", err)
		}
		got, r, err := st.VoteResult(ctx, w.voters[1], v.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Two of four ballots agree: an abstention takes part, so 同意 is not more than half.
		if r.Ballots != 4 || !r.QuorumMet || r.Passed || !r.Reproduced || *r.Options[0].Votes != 2 || *r.Options[1].Votes != 1 || *r.Options[2].Votes != 1 {
			t.Errorf("result %+v, options %+v %+v %+v", r, *r.Options[0].Votes, *r.Options[1].Votes, *r.Options[2].Votes)
		}
		if r.Outcome(got) != "表决未通过" {
			t.Errorf("outcome %q", r.Outcome(got))
		}
		if len(r.Buildings) != 1 || r.Buildings[0].Name != "1栋" || r.Buildings[0].Eligible != 4 || r.Buildings[0].Voted != 4 {
			t.Errorf("turnout by building %+v", r.Buildings)
		}
		// Receipts: the voter's is stored and counted; another is not; a malformed one is refused.
		if rc, err := st.CheckReceipt(ctx, w.voters[0], v.ID, b0.Receipt); err != nil || !rc.Found || rc.Status != model.VoteClosed {
			t.Errorf("receipt %s: %+v %v", b0.Receipt, rc, err)
		}
		if rc, err := st.CheckReceipt(ctx, w.voters[0], v.ID, "0000-0000-0000"); err != nil || rc.Found {
			t.Errorf("an unknown receipt: %+v %v", rc, err)
		}
		if _, err := st.CheckReceipt(ctx, w.voters[0], v.ID, "<script>"); firstField(err) != "receipt" {
			t.Errorf("a malformed receipt: %v", err)
		}
		// The list: the voter sees the vote with its standing; the far resident does not.
		if p, err := st.Votes(ctx, w.voters[0], store.VoteFilter{}); err != nil || len(p.Items) != 1 || !p.Items[0].Caller.Voted || p.Total != 1 {
			t.Errorf("a voter's list: %+v %v", p, err)
		}
		if p, err := st.Votes(ctx, farVoter, store.VoteFilter{}); err != nil || len(p.Items) != 0 {
			t.Errorf("a far resident's list: %+v %v", p, err)
		}
		// The ballots hold nothing that names a voter: their vote, receipt and choices only.
		columns := `SELECT COUNT(*) FROM pragma_table_info('vote_ballots') WHERE name NOT IN ('vote_id', 'receipt', 'choices')`
		if st.Engine() == "postgres" {
			columns = `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'vote_ballots'
				AND column_name NOT IN ('vote_id', 'receipt', 'choices')`
		}
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			n, err := tx.TestQueryInt(ctx, `SELECT COUNT(*) FROM vote_ballots WHERE vote_id = ?`, v.ID)
			if n != 4 {
				t.Errorf("%d ballots stored", n)
			}
			if extra, err := tx.TestQueryInt(ctx, columns); err != nil || extra != 0 {
				t.Errorf("vote_ballots has %d more columns (%v)", extra, err)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestVoteRules: one adult one vote (children are not on the roll, two adults of a household
// each vote), a multiple-choice vote within its bound, a vote that misses its quorum, cancel
// with a reason, and closing by the clock.
func TestVoteRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustVoterWorld(t, st, 2)
		clock := time.Now()
		var mu sync.Mutex
		st.SetNow(func() time.Time { mu.Lock(); defer mu.Unlock(); return clock })
		child, err := st.CreateResident(ctx, authz.System(), model.ResidentInput{HouseholdID: w.households[0].ID, Name: "孩子", IDNumber: validID("510781", "20150101", 60), Relation: model.RelationChild})
		if err != nil {
			t.Fatal(err)
		}
		spouse, err := st.CreateResident(ctx, authz.System(), model.ResidentInput{HouseholdID: w.households[0].ID, Name: "配偶", IDNumber: validID("510781", "19620101", 61), Relation: model.RelationSpouse})
		if err != nil {
			t.Fatal(err)
		}
		v, err := st.OpenVote(ctx, w.staff, model.VoteInput{Title: "小区活动室开放时间", TerritoryID: w.grid.ID, Rule: model.RuleResident, Kind: model.VoteMultiple,
			Options: []string{"早上", "下午", "晚上"}, MaxChoices: 2, Threshold: model.ThresholdMajority, ClosesAt: clock.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if v.Eligible != 4 { // two heads, the spouse, the outsider's head; not the child
			t.Fatalf("%d adults on the roll", v.Eligible)
		}
		if _, err := st.CastBallot(ctx, linkedAccount(t, st, "child", child.ID, w.community), v.ID, []int64{v.Options[0].ID}); err == nil {
			t.Error("a child voted")
		}
		if _, err := st.CastBallot(ctx, w.voters[0], v.ID, []int64{v.Options[0].ID, v.Options[1].ID, v.Options[2].ID}); firstField(err) != "choices" {
			t.Errorf("three choices of two: %v", err)
		}
		if _, err := st.CastBallot(ctx, w.voters[0], v.ID, []int64{v.Options[0].ID, v.Options[2].ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CastBallot(ctx, linkedAccount(t, st, "spouse", spouse.ID, w.community), v.ID, []int64{v.Options[2].ID}); err != nil {
			t.Errorf("the second adult of a household: %v", err)
		}
		// Closing by the clock: the read after the closing time closes it.
		mu.Lock()
		clock = clock.Add(2 * time.Hour)
		mu.Unlock()
		got, r, err := st.VoteResult(ctx, w.staff, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != model.VoteClosed || r.Ballots != 2 || *r.Options[2].Votes != 2 || !r.Options[2].Passed || r.Options[1].Passed || !r.Reproduced {
			t.Errorf("closed by the clock: %s, %+v", got.Status, r)
		}

		// A quorum of two thirds that two of four households miss.
		q, err := st.OpenVote(ctx, w.staff, model.VoteInput{Title: "更换物业公司", TerritoryID: w.grid.ID, Rule: model.RuleHousehold, Kind: model.VoteSingle,
			Options: []string{"甲物业", "乙物业"}, Quorum: model.Quorum{Num: 2, Den: 3}, Threshold: model.ThresholdTwoThirds, ClosesAt: clock.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CastBallot(ctx, w.voters[0], q.ID, []int64{q.Options[0].ID}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		clock = clock.Add(2 * time.Hour)
		mu.Unlock()
		qv, qr, err := st.VoteResult(ctx, w.staff, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		if qr.QuorumMet || qr.Passed || qr.WinnerID != 0 {
			t.Errorf("one of three households: %+v", qr)
		}
		if want := "参与 1/3，未达到三分之二以上参与，表决无效"; qr.Outcome(qv) != want {
			t.Errorf("outcome %q, want %q", qr.Outcome(qv), want)
		}

		// Cancel: a reason, staff of the territory, no result.
		c, err := st.OpenVote(ctx, w.staff, model.VoteInput{Title: "取消测试", TerritoryID: w.grid.ID, Rule: model.RuleHousehold, Kind: model.VoteYesNo,
			Threshold: model.ThresholdMajority, ClosesAt: clock.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CancelVote(ctx, w.staff, c.ID, " "); firstField(err) != "reason" {
			t.Errorf("cancel without a reason: %v", err)
		}
		if _, err := st.CancelVote(ctx, w.voters[0], c.ID, "不需要了"); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident cancelling: %v", err)
		}
		if c, err = st.CancelVote(ctx, w.staff, c.ID, "议题已协商解决"); err != nil || c.Status != model.VoteCancelled {
			t.Fatalf("cancel: %v", err)
		}
		if _, _, err := st.VoteResult(ctx, w.staff, c.ID); !conflictOf(err) {
			t.Errorf("the result of a cancelled vote: %v", err)
		}
		if _, err := st.CancelVote(ctx, w.staff, c.ID, "再取消一次"); !conflictOf(err) {
			t.Errorf("cancelling twice: %v", err)
		}
	})
}

// TestBallotRace: fifty identical ballots of one household at the same moment count once, the
// other forty-nine are refused as a second ballot; fifty households at once all count.
func TestBallotRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustVoterWorld(t, st, 3)
		v, err := st.OpenVote(ctx, w.staff, model.VoteInput{Title: "并发投票", TerritoryID: w.grid.ID, Rule: model.RuleHousehold, Kind: model.VoteYesNo,
			Threshold: model.ThresholdMajority, ClosesAt: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		const n = 50
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = st.CastBallot(ctx, w.voters[0], v.ID, []int64{v.Options[0].ID})
			})
		}
		close(start)
		wg.Wait()
		ok, conflicts := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case conflictOf(err):
				conflicts++
			default:
				t.Errorf("ballot: %v", err)
			}
		}
		if ok != 1 || conflicts != n-1 {
			t.Fatalf("%d ballots counted, %d refused", ok, conflicts)
		}
		got, err := st.Vote(ctx, w.staff, v.ID)
		if err != nil || got.Voted != 1 {
			t.Fatalf("turnout %d, %v", got.Voted, err)
		}
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			n, err := tx.TestQueryInt(ctx, `SELECT COUNT(*) FROM vote_ballots WHERE vote_id = ?`, v.ID)
			if n != 1 {
				t.Errorf("%d ballots stored", n)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// firstFields is the fields of a validation error (the value is ignored).
func firstFields[T any](_ T, err error) []string {
	var v *model.ValidationError
	if !errors.As(err, &v) {
		return []string{fmt.Sprint(err)}
	}
	var out []string
	for _, f := range v.Fields {
		out = append(out, f.Field)
	}
	return out
}

// TestBallotUnlinkedOnPostgres: PostgreSQL stamps every row a transaction writes with its id
// (xmin), which anyone who may read the tables can read. A ballot's transaction also rewrites
// other ballots and roll rows of the vote, so the last voter's transaction id is shared by
// several ballots and several voters: joining the roll with the ballots on it names nobody.
func TestBallotUnlinkedOnPostgres(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "postgres")
	ctx := context.Background()
	w := mustVoterWorld(t, st, 12)
	v, err := st.OpenVote(ctx, w.staff, model.VoteInput{Title: "不可关联", TerritoryID: w.grid.ID, Rule: model.RuleHousehold, Kind: model.VoteYesNo,
		Threshold: model.ThresholdMajority, ClosesAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for i, voter := range w.voters {
		if _, err := st.CastBallot(ctx, voter, v.ID, []int64{v.Options[i%2].ID}); err != nil {
			t.Fatal(err)
		}
	}
	last := w.households[len(w.households)-1].ID
	var ballots, voters int64
	err = st.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if ballots, err = tx.TestQueryInt(ctx, `SELECT COUNT(*) FROM vote_ballots b WHERE b.vote_id = ? AND b.xmin::text =
			(SELECT l.xmin::text FROM vote_roll l WHERE l.vote_id = ? AND l.voter_id = ?)`, v.ID, v.ID, last); err != nil {
			return err
		}
		voters, err = tx.TestQueryInt(ctx, `SELECT COUNT(*) FROM vote_roll l WHERE l.vote_id = ? AND l.xmin::text =
			(SELECT m.xmin::text FROM vote_roll m WHERE m.vote_id = ? AND m.voter_id = ?)`, v.ID, v.ID, last)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if ballots < 2 || voters < 2 {
		t.Errorf("the last voter's transaction wrote %d ballots and %d roll rows: they name each other", ballots, voters)
	}
}

// TestListsUnderTerritory: territory=ID narrows the lists of votes, notices and budget rounds
// to that node and everything under it (API.md), and a node the caller does not read is not
// found. The lists ignored the filter and answered everything the caller reads.
func TestListsUnderTerritory(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustVoterWorld(t, st, 1)
		sys := authz.System()
		vote := func(node *model.Territory) int64 {
			v, err := st.OpenVote(ctx, sys, model.VoteInput{Title: "表决" + node.Name, TerritoryID: node.ID, Rule: model.RuleHousehold, Kind: model.VoteYesNo,
				Threshold: model.ThresholdMajority, ClosesAt: time.Now().Add(48 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			return v.ID
		}
		notice := func(node *model.Territory) int64 {
			n, err := st.PublishNotice(ctx, sys, model.NoticeInput{Title: "公告" + node.Name, Body: "通知内容", TerritoryID: node.ID})
			if err != nil {
				t.Fatal(err)
			}
			return n.ID
		}
		inGrid, inCommunity := vote(w.grid), vote(w.community)
		gridNotice, communityNotice := notice(w.grid), notice(w.community)
		round, err := st.CreateBudgetRound(ctx, sys, model.BudgetRoundInput{CommunityID: w.community.ID, Title: "民生微实事", Year: time.Now().Year(), Budget: "50000", Rule: model.RuleHousehold})
		if err != nil {
			t.Fatal(err)
		}
		votes, err := st.Votes(ctx, w.staff, store.VoteFilter{Territory: w.grid.ID})
		if err != nil || len(votes.Items) != 1 || votes.Items[0].ID != inGrid {
			t.Errorf("votes under the grid: %v, want only %d (not the community's %d)", err, inGrid, inCommunity)
		}
		notices, err := st.Notices(ctx, w.staff, store.NoticeFilter{Territory: w.grid.ID})
		if err != nil || len(notices.Items) != 1 || notices.Items[0].ID != gridNotice {
			t.Errorf("notices under the grid: %v, want only %d (not the community's %d)", err, gridNotice, communityNotice)
		}
		rounds, err := st.BudgetRounds(ctx, w.staff, store.BudgetRoundFilter{Territory: w.street.ID})
		if err != nil || len(rounds.Items) != 1 || rounds.Items[0].ID != round.ID {
			t.Errorf("rounds under the street: %v", err)
		}
		if rounds, err := st.BudgetRounds(ctx, w.staff, store.BudgetRoundFilter{Territory: w.grid.ID}); err != nil || len(rounds.Items) != 0 {
			t.Errorf("rounds under the grid (a round is the community's): %v", err)
		}
		// The other community: not the staff's, not found.
		if _, err := st.Votes(ctx, w.staff, store.VoteFilter{Territory: w.community2.ID}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("votes under another community: %v", err)
		}
		if _, err := st.Notices(ctx, w.voters[0], store.NoticeFilter{Territory: w.community2.ID}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a resident's notices under another community: %v", err)
		}
	})
}

// TestBallotDecoysUseVotedIndex: the decoy roll rows each ballot rewrites are found through the
// index of the voters who voted (migration 0056), not by scanning the roll from a random voter
// on: at low turnout on a large roll that scan read thousands of unvoted rows per ballot.
func TestBallotDecoysUseVotedIndex(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	rows, err := st.ReadDB().Query(`EXPLAIN QUERY PLAN `+st.VotedDecoysQuery(), 1, 5, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if got := strings.Join(plan, "; "); !strings.Contains(got, "vote_roll_voted") {
		t.Errorf("the decoys' query plan is %q, want the index vote_roll_voted", got)
	}
}

// TestConcurrentBallotsOfManyHouseholds: households casting at the same moment all get their
// ballot counted, on both engines. Each ballot's transaction rewrites decoy ballots and roll
// rows picked from random points; on PostgreSQL two such transactions locked overlapping
// decoys in opposite orders and one died of a deadlock (40P01: a 500 in the 1M benchmark).
func TestConcurrentBallotsOfManyHouseholds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const n = 24
		w := mustVoterWorld(t, st, n)
		for round := range 3 {
			v, err := st.OpenVote(ctx, authz.System(), model.VoteInput{Title: fmt.Sprintf("并发表决%d", round), TerritoryID: w.community.ID, Rule: model.RuleHousehold,
				Kind: model.VoteYesNo, Threshold: model.ThresholdMajority, ClosesAt: time.Now().Add(48 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			// A few ballots first, so that the others have decoys to rewrite.
			for _, sc := range w.voters[:4] {
				if _, err := st.CastBallot(ctx, sc, v.ID, []int64{v.Options[0].ID}); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			errs := make([]error, n)
			start := make(chan struct{})
			for i := 4; i < n; i++ {
				wg.Go(func() {
					<-start
					_, errs[i] = st.CastBallot(ctx, w.voters[i], v.ID, []int64{v.Options[i%2].ID})
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("round %d, household %d: %v", round, i, err)
				}
			}
			got, err := st.Vote(ctx, authz.System(), v.ID)
			if err != nil || got.Voted != n {
				t.Errorf("round %d: %d voted of %d (%v)", round, got.Voted, n, err)
			}
		}
	})
}

// TestVoteTurnoutBuildings: the turnout by building names a building by its compound when
// another building of the vote has the same name (the demo's 1栋 of several compounds read
// as one name repeated).
func TestVoteTurnoutBuildings(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, sys := context.Background(), authz.System()
		w := mustVoterWorld(t, st, 1)
		compound, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: w.grid.ID, Kind: model.KindCompound, Name: "锦江苑"})
		if err != nil {
			t.Fatal(err)
		}
		building, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: compound.ID, Kind: model.KindBuilding, Name: "1栋"})
		if err != nil {
			t.Fatal(err)
		}
		stair, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: building.ID, Kind: model.KindStairwell, Name: "1单元"})
		if err != nil {
			t.Fatal(err)
		}
		mustHousehold(t, st, stair, "锦江苑1栋1单元101室", model.ResidentInput{Name: "锦江住户", IDNumber: validID("510781", "19610101", 7), Relation: model.RelationHead})
		v, err := st.OpenVote(ctx, w.staff, model.VoteInput{Title: "两个小区共用的停车场收费", TerritoryID: w.grid.ID, Rule: model.RuleHousehold, Kind: model.VoteYesNo,
			Quorum: model.Quorum{Num: 1, Den: 2}, Threshold: model.ThresholdMajority, ClosesAt: time.Now().Add(72 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		roll, err := st.VoteRoll(ctx, w.staff, v.ID, store.VoteRollFilter{})
		if err != nil || roll.Total != 3 {
			t.Fatalf("roll %+v %v", roll, err)
		}
		for _, e := range roll.Items {
			if _, err := st.ProxyBallot(ctx, w.staff, v.ID, e.VoterID, []int64{optionID(t, v, "同意")}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.CloseVote(ctx, w.staff, v.ID); err != nil {
			t.Fatal(err)
		}
		_, r, err := st.VoteResult(ctx, w.staff, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range r.Buildings {
			got = append(got, fmt.Sprintf("%s %d/%d", b.Name, b.Voted, b.Eligible))
		}
		if want := []string{"第一网格 1栋 2/2", "锦江苑 1栋 1/1"}; !slices.Equal(got, want) {
			t.Errorf("turnout by building %q, want %q", got, want)
		}
	})
}
