package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestTopic: a topic from raising to its vote — raised by a resident over its community (and
// refused over a community it does not live in), read by its neighbours and the community's
// staff but not by a household of another community, replies that notify the followers,
// following twice counted once, moderation that hides with a reason (the text stays, shown to
// staff only) and never deletes, no replies to a hidden topic, and a proposal that opens one
// vote however many staff propose at once.
func TestTopic(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustVoterWorld(t, st, 3)
		alice, bob := w.voters[0], w.voters[1]
		far := mustHousehold(t, st, w.stairwell2, "8栋2单元101室", model.ResidentInput{Name: "远方", IDNumber: validID("510781", "19750101", 777), Relation: model.RelationHead})
		rs, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: far.ID})
		if err != nil || len(rs.Items) == 0 {
			t.Fatal(err)
		}
		stranger := linkedAccount(t, st, "stranger", rs.Items[0].ID, w.community2)

		// Bad input: a blank title, a territory the resident does not live under.
		if got := firstFields(st.RaiseTopic(ctx, alice, model.TopicInput{TerritoryID: w.community.ID, Title: " ", Body: "内容"})); !slices.Contains(got, "title") {
			t.Errorf("blank title: %v", got)
		}
		if got := firstFields(st.RaiseTopic(ctx, alice, model.TopicInput{TerritoryID: w.community2.ID, Title: "别处的事", Body: "内容"})); !slices.Contains(got, "territory_id") {
			t.Errorf("a community the resident does not live in: %v", got)
		}
		if got := firstFields(st.RaiseTopic(ctx, w.staff, model.TopicInput{TerritoryID: w.community2.ID, Title: "越界", Body: "内容"})); !slices.Contains(got, "territory_id") {
			t.Errorf("staff outside their community: %v", got)
		}
		if n := mustCount(t, st, `SELECT COUNT(*) FROM topics`); n != 0 {
			t.Fatalf("%d topics after bad input, want 0", n)
		}

		script := `<script>alert("议题")</script>小区停车位规划`
		tp, err := st.RaiseTopic(ctx, alice, model.TopicInput{TerritoryID: w.community.ID, Title: script, Body: "晚上车位不够，能否划线？"})
		if err != nil {
			t.Fatal(err)
		}
		if tp.Title != script || tp.Followers != 1 || !tp.Caller.Following || !tp.Mine || tp.AuthorName == "" || tp.TerritoryName != w.community.Name {
			t.Fatalf("raised: %+v", tp)
		}
		staffTopic, err := st.RaiseTopic(ctx, w.staff, model.TopicInput{TerritoryID: w.grid.ID, Title: "第一网格垃圾分类点位", Body: "征求意见"})
		if err != nil {
			t.Fatal(err)
		}

		// Who reads it.
		if _, _, err := st.Topic(ctx, bob, tp.ID); err != nil {
			t.Errorf("a neighbour reads it: %v", err)
		}
		if _, _, err := st.Topic(ctx, stranger, tp.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a household of another community: %v, want not found", err)
		}
		if p, err := st.Topics(ctx, stranger, store.TopicFilter{}); err != nil || p.Total != 0 {
			t.Errorf("the stranger's list: %+v, %v", p, err)
		}
		if p, err := st.Topics(ctx, bob, store.TopicFilter{}); err != nil || p.Total != 2 {
			t.Errorf("the neighbour's topics near it: %+v, %v", p, err)
		}
		if p, err := st.Topics(ctx, bob, store.TopicFilter{Territory: w.grid.ID}); err != nil || p.Total != 1 || p.Items[0].ID != staffTopic.ID {
			t.Errorf("filtered to the grid: %+v, %v", p, err)
		}
		if _, err := st.Topics(ctx, bob, store.TopicFilter{Territory: w.community2.ID}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a filter on a node the resident does not read: %v", err)
		}

		// Replies notify the followers (not the one who replied).
		before := mustCount(t, st, fmt.Sprintf(`SELECT COUNT(*) FROM notifications WHERE user_id = %d`, alice.UserID))
		r1, err := st.ReplyTopic(ctx, bob, tp.ID, "同意，可以在东侧划线")
		if err != nil {
			t.Fatal(err)
		}
		if got := mustCount(t, st, fmt.Sprintf(`SELECT COUNT(*) FROM notifications WHERE user_id = %d`, alice.UserID)); got != before+1 {
			t.Errorf("the author has %d notifications, want %d", got, before+1)
		}
		if got := firstFields(st.ReplyTopic(ctx, bob, tp.ID, "  ")); !slices.Contains(got, "body") {
			t.Errorf("blank reply: %v", got)
		}
		if _, err := st.ReplyTopic(ctx, stranger, tp.ID, "路过"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a stranger replying: %v", err)
		}

		// Following: many at once, the same account, counts once.
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() { _, _ = st.FollowTopic(ctx, bob, tp.ID) })
		}
		wg.Wait()
		got, _, err := st.Topic(ctx, bob, tp.ID)
		if err != nil || got.Followers != 2 || !got.Caller.Following {
			t.Fatalf("after following: %+v, %v", got, err)
		}
		if p, err := st.Topics(ctx, bob, store.TopicFilter{Followed: true}); err != nil || p.Total != 1 {
			t.Errorf("bob's followed topics: %+v, %v", p, err)
		}
		if got, err := st.UnfollowTopic(ctx, bob, tp.ID); err != nil || got.Followers != 1 || got.Caller.Following {
			t.Errorf("after unfollowing: %+v, %v", got, err)
		}

		// Moderation: staff only, with a reason; the text stays for staff, readers get the reason.
		if _, err := st.HideTopicReply(ctx, bob, r1.ID, "广告"); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident hiding: %v", err)
		}
		if got := firstFields(st.HideTopicReply(ctx, w.staff, r1.ID, " ")); !slices.Contains(got, "reason") {
			t.Errorf("hiding without a reason: %v", got)
		}
		if _, err := st.HideTopicReply(ctx, w.staff, r1.ID, "含有他人门牌号"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.HideTopicReply(ctx, w.staff, r1.ID, "再次"); !conflictOf(err) {
			t.Errorf("hiding twice: %v", err)
		}
		_, replies, err := st.Topic(ctx, alice, tp.ID)
		if err != nil || len(replies) != 1 || !replies[0].Withheld || replies[0].Body != "" || replies[0].HiddenNotice() != "此内容已被隐藏：含有他人门牌号" {
			t.Errorf("a reader's hidden reply: %+v, %v", replies, err)
		}
		_, replies, err = st.Topic(ctx, w.staff, tp.ID)
		if err != nil || len(replies) != 1 || replies[0].Withheld || replies[0].Body != "同意，可以在东侧划线" {
			t.Errorf("staff's hidden reply: %+v, %v", replies, err)
		}
		if _, err := st.HideTopic(ctx, w.staff, tp.ID, "重复议题"); err != nil {
			t.Fatal(err)
		}
		if got, _, err := st.Topic(ctx, bob, tp.ID); err != nil || got.Title != "" || got.Body != "" || !got.Withheld || got.Caller.Reply {
			t.Errorf("a reader's hidden topic: %+v, %v", got, err)
		}
		if _, err := st.ReplyTopic(ctx, bob, tp.ID, "还能回复吗"); !errors.Is(err, store.ErrTopicHidden) {
			t.Errorf("a reply to a hidden topic: %v", err)
		}
		if _, err := st.ProposeTopic(ctx, w.staff, tp.ID, voteInput()); !conflictOf(err) {
			t.Errorf("proposing a hidden topic: %v", err)
		}
		if _, err := st.UnhideTopic(ctx, w.staff, tp.ID, "误判"); err != nil {
			t.Fatal(err)
		}
		if n := mustCount(t, st, fmt.Sprintf(`SELECT COUNT(*) FROM topic_replies WHERE topic_id = %d`, tp.ID)); n != 1 {
			t.Errorf("%d replies stored, want 1 (hidden, never deleted)", n)
		}

		// Proposing: residents may not; five staff requests at once open one vote.
		if _, err := st.ProposeTopic(ctx, alice, tp.ID, voteInput()); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident proposing: %v", err)
		}
		var ok, conflicts int
		var mu sync.Mutex
		for range 5 {
			wg.Go(func() {
				_, err := st.ProposeTopic(ctx, w.staff, tp.ID, voteInput())
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case conflictOf(err):
					conflicts++
				default:
					t.Errorf("propose: %v", err)
				}
			})
		}
		wg.Wait()
		if ok != 1 || conflicts != 4 {
			t.Errorf("%d proposals opened, %d refused; want 1 and 4", ok, conflicts)
		}
		if n := mustCount(t, st, `SELECT COUNT(*) FROM votes`); n != 1 {
			t.Errorf("%d votes, want 1", n)
		}
		got, _, err = st.Topic(ctx, alice, tp.ID)
		if err != nil || got.VoteID == 0 || got.Status() != "proposed" || got.VoteStatus != model.VoteOpen {
			t.Fatalf("proposed topic: %+v, %v", got, err)
		}
		v, err := st.Vote(ctx, alice, got.VoteID)
		if err != nil || v.Title != script || v.TerritoryID != w.community.ID || !v.Caller.OnRoll {
			t.Errorf("the topic's vote: %+v, %v", v, err)
		}
		if of, err := st.TopicOfVote(ctx, alice, got.VoteID); err != nil || of.ID != tp.ID {
			t.Errorf("topic of the vote: %+v, %v", of, err)
		}
		if got := mustCount(t, st, fmt.Sprintf(`SELECT COUNT(*) FROM notifications WHERE user_id = %d AND kind = 'topic.vote'`, alice.UserID)); got != 1 {
			t.Errorf("the follower got %d vote notifications, want 1", got)
		}
	})
}

func voteInput() model.VoteInput {
	return model.VoteInput{Rule: model.RuleHousehold, Kind: model.VoteYesNo, Quorum: model.Quorum{Num: 1, Den: 2},
		Threshold: model.ThresholdMajority, ClosesAt: time.Now().Add(72 * time.Hour)}
}
