package demo

import (
	"context"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's notices (公告, issue 11 item 4): a community gets a handful at the community, a
// grid and the demo resident's compound, published over the last weeks (store.AsOf), one pinned,
// two public (they appear on the community's disclosure page at /p/{code}), with read
// receipts from part of each audience — never from the households of the demo accounts, so
// that the resident who logs in finds unread ones.

type noticePlan struct {
	in    model.NoticeInput // without territory
	where string            // community, grid or compound
	ago   int               // days before today, at 10:00
	read  float64           // share of the audience that has read it
}

var demoNotices = []noticePlan{
	{in: model.NoticeInput{Title: "关于开展垃圾分类宣传周活动的通知", Body: "本周六上午九点在社区广场开展垃圾分类宣传，现场教大家分清厨余垃圾、可回收物、有害垃圾和其他垃圾，" +
		"参加的居民可领取分类垃圾袋。欢迎各位居民参加。", Pinned: true, Public: true}, where: "community", ago: 3, read: 0.42},
	{in: model.NoticeInput{Title: "社区第二季度党务、居务公开", Body: "第二季度社区共开展志愿服务活动 36 次，完成居民点单 215 件；党建专项经费支出 1.2 万元，" +
		"主要用于党员活动室设备更新和困难党员慰问，明细在社区公开栏张贴。对公开内容有疑问的，请在工作日到社区服务大厅咨询。", Public: true}, where: "community", ago: 20, read: 0.61},
	{in: model.NoticeInput{Title: "停水通知", Body: "因供水管网维修，下周二上午 9:00 至下午 3:00 本网格停水，请各户提前储水。给您带来不便，敬请谅解。"},
		where: "grid", ago: 1, read: 0.18},
	{in: model.NoticeInput{Title: "电动自行车请勿在楼道充电", Body: "近期发现有住户在楼道内为电动自行车充电，存在严重火灾隐患。小区已增设集中充电棚，请大家到充电棚充电。"},
		where: "compound", ago: 6, read: 0.55},
	{in: model.NoticeInput{Title: "重阳节敬老活动报名", Body: "社区将于重阳节组织敬老茶话会，80 岁以上老人可由家属代为报名，报名请联系网格员。"},
		where: "community", ago: 12, read: 0.38},
}

// NoticeCount is how many notices Notices publishes in a community with a grid and a compound.
func NoticeCount() int { return len(demoNotices) }

// Notices publishes the demo's notices in community (by staff: by), the compound ones over
// compound (the demo resident's; 0: the first compound of the community), with read receipts;
// the households of keep stay unread. A community that has notices already gets none.
func Notices(ctx context.Context, st *store.Store, by authz.Scope, community, compound int64, keep []int64, today time.Time) (int, error) {
	if p, err := st.Notices(ctx, authz.System(), store.NoticeFilter{Limit: 1}); err != nil {
		return 0, err
	} else if p.Total > 0 {
		return 0, nil
	}
	sys := authz.System()
	places := map[string]int64{"community": community}
	for _, kind := range []model.TerritoryKind{model.KindGrid, model.KindCompound} {
		p, err := st.Territories(ctx, sys, store.TerritoryFilter{Under: community, Kind: kind, Limit: 1})
		if err != nil {
			return 0, err
		}
		if len(p.Items) > 0 {
			places[string(kind)] = p.Items[0].ID
		}
	}
	if compound != 0 {
		places["compound"] = compound
	}
	n := 0
	for _, plan := range demoNotices {
		at := places[plan.where]
		if at == 0 {
			continue
		}
		y, m, d := today.AddDate(0, 0, -plan.ago).Date()
		when := time.Date(y, m, d, 10, 0, 0, 0, model.Shanghai)
		in := plan.in
		in.TerritoryID = at
		notice, err := st.AsOf(func() time.Time { return when }).PublishNotice(ctx, by, in)
		if err != nil {
			return n, err
		}
		if _, err := st.AsOf(func() time.Time { return when.Add(20 * time.Hour) }).DemoNoticeReads(ctx, notice.ID, plan.read, keep); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
