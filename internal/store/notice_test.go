package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestNotice: staff publish a notice to a grid (bad input refused, another community's
// territory refused); the households under it see it in their feed, pinned first, and their
// first reading counts once however many members open it, even at the same moment; staff see
// who has not read it; a withdrawn notice leaves the feeds; a resident elsewhere never sees it.
func TestNotice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustVoterWorld(t, st, 3)
		if _, err := st.PublishNotice(ctx, w.staff, model.NoticeInput{Title: " ", TerritoryID: w.grid.ID}); firstField(err) != "title" {
			t.Errorf("a blank title: %v", err)
		}
		if _, err := st.PublishNotice(ctx, w.voters[0], model.NoticeInput{Title: "通知", Body: "内容", TerritoryID: w.grid.ID}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident publishing: %v", err)
		}
		if _, err := st.PublishNotice(ctx, w.staff, model.NoticeInput{Title: "通知", Body: "内容", TerritoryID: w.community2.ID}); firstField(err) != "territory_id" {
			t.Errorf("another community: %v", err)
		}
		old, err := st.PublishNotice(ctx, w.staff, model.NoticeInput{Title: "停水通知", Body: "明天上午 9 点到 12 点停水。", TerritoryID: w.grid.ID})
		if err != nil {
			t.Fatal(err)
		}
		pinned, err := st.PublishNotice(ctx, w.staff, model.NoticeInput{Title: "<script>alert(1)</script>垃圾分类", Body: "每周六上午集中宣传。", TerritoryID: w.grid.ID, Pinned: true, Public: true})
		if err != nil {
			t.Fatal(err)
		}
		if pinned.Audience != 4 || pinned.Reads != 0 || !pinned.Public {
			t.Fatalf("published: %+v", pinned)
		}
		latest, err := st.PublishNotice(ctx, w.staff, model.NoticeInput{Title: "议事会", Body: "周五晚议事。", TerritoryID: w.grid.ID})
		if err != nil {
			t.Fatal(err)
		}
		p, err := st.Notices(ctx, w.voters[0], store.NoticeFilter{})
		if err != nil || len(p.Items) != 3 || p.Items[0].ID != pinned.ID || p.Items[1].ID != latest.ID || p.Items[2].ID != old.ID || p.Total != 3 {
			t.Fatalf("feed: %+v %v", p, err)
		}
		// Two members of one household read at the same moment, and again: one receipt.
		spouse, err := st.CreateResident(ctx, authz.System(), model.ResidentInput{HouseholdID: w.households[0].ID, Name: "配偶", IDNumber: validID("510781", "19620101", 70), Relation: model.RelationSpouse})
		if err != nil {
			t.Fatal(err)
		}
		readers := []authz.Scope{w.voters[0], linkedAccount(t, st, "spouse-reader", spouse.ID, w.community)}
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				if _, err := st.MarkNoticeRead(ctx, readers[i%2], old.ID); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if _, err := st.MarkNoticeRead(ctx, w.voters[1], old.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.MarkNoticeRead(ctx, w.staff, old.ID); err != nil { // staff: no household, nothing recorded
			t.Fatal(err)
		}
		n, err := st.Notice(ctx, w.staff, old.ID)
		if err != nil || n.Reads != 2 {
			t.Fatalf("reads %d, %v", n.Reads, err)
		}
		if n, err := st.Notice(ctx, w.voters[0], old.ID); err != nil || !n.Read {
			t.Errorf("the reader's household: %+v %v", n, err)
		}
		unread, err := st.NoticeUnreadHouseholds(ctx, w.staff, old.ID, 0)
		if err != nil || len(unread) != 2 {
			t.Fatalf("unread %+v %v", unread, err)
		}
		if _, err := st.NoticeUnreadHouseholds(ctx, w.voters[0], old.ID, 0); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident asks who has not read: %v", err)
		}
		// Elsewhere: not seen.
		far := mustHousehold(t, st, w.stairwell2, "8栋2单元101室", model.ResidentInput{Name: "外社区", IDNumber: validID("510781", "19800101", 71), Relation: model.RelationHead})
		farRes, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: far.ID})
		if err != nil {
			t.Fatal(err)
		}
		farReader := linkedAccount(t, st, "far-reader", farRes.Items[0].ID, w.community2)
		if _, err := st.Notice(ctx, farReader, old.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a resident elsewhere: %v", err)
		}
		if p, err := st.Notices(ctx, farReader, store.NoticeFilter{}); err != nil || len(p.Items) != 0 {
			t.Errorf("a resident elsewhere's feed: %+v %v", p, err)
		}
		// A community's notice: its grid leader reads it and sees its own grid's households not
		// reached yet, but may not change it.
		gridLeader := authz.ForUser(mustUser(t, st, "gridleader", model.RoleGridLeader, w.grid))
		whole, err := st.PublishNotice(ctx, w.staff, model.NoticeInput{Title: "社区通知", Body: "全社区", TerritoryID: w.community.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Notice(ctx, gridLeader, whole.ID); err != nil {
			t.Errorf("the grid leader reads the community's notice: %v", err)
		}
		if p, err := st.Notices(ctx, gridLeader, store.NoticeFilter{}); err != nil || p.Total != 4 {
			t.Errorf("the grid leader's feed: %+v %v", p, err)
		}
		if unread, err := st.NoticeUnreadHouseholds(ctx, gridLeader, whole.ID, 0); err != nil || len(unread) != 4 {
			t.Errorf("the grid's unread households: %d %v", len(unread), err)
		}
		if _, err := st.WithdrawNotice(ctx, gridLeader, whole.ID, "不归我管"); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a grid leader withdrawing: %v", err)
		}
		if _, err := st.WithdrawNotice(ctx, w.staff, whole.ID, "测试完毕"); err != nil {
			t.Fatal(err)
		}

		// Pin, withdraw.
		if _, err := st.PinNotice(ctx, w.voters[0], latest.ID, true); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident pinning: %v", err)
		}
		if _, err := st.WithdrawNotice(ctx, w.staff, latest.ID, ""); firstField(err) != "reason" {
			t.Errorf("withdraw without a reason: %v", err)
		}
		if _, err := st.WithdrawNotice(ctx, w.staff, latest.ID, "时间改了，另行通知"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.WithdrawNotice(ctx, w.staff, latest.ID, "再撤一次"); !conflictOf(err) {
			t.Errorf("withdraw twice: %v", err)
		}
		if _, err := st.Notice(ctx, w.voters[0], latest.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a withdrawn notice for a resident: %v", err)
		}
		if p, err := st.Notices(ctx, w.voters[0], store.NoticeFilter{}); err != nil || len(p.Items) != 2 {
			t.Errorf("feed after withdrawing: %+v %v", p, err)
		}
		if p, err := st.Notices(ctx, w.staff, store.NoticeFilter{Status: model.NoticeWithdrawn}); err != nil || len(p.Items) != 2 || p.Items[1].WithdrawReason != "时间改了，另行通知" {
			t.Errorf("staff's withdrawn notices: %+v %v", p, err)
		}
	})
}
