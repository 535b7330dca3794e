package demo

import (
	"context"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/store"
)

// The demo's online spaces (网缘, issue 8 item 1): every grid branch's space holds two notices
// from its secretary, two threads of its members with replies (one reply hidden with the
// reason the secretary gave) and a shared study file, in one of three variants by the branch's
// id, dated from today like the meetings. Written set-based (store.Tx.SeedSpaces).

// spaceFile is the shared study file: a plain UTF-8 text, the same bytes every run.
var spaceFile = []byte(`十二月主题党日学习材料

一、学习内容
1. 党的二十大报告关于“健全共建共治共享的社会治理制度”的论述。
2. 本社区“网格+支部”工作法：党员亮身份、认领服务岗位、参加联建单元轮值。

二、讨论题
1. 我们网格里，哪些事情居民最着急？党员可以先做哪一件？
2. 在职党员回社区报到后，怎样把服务岗位落到实处？

三、要求
请每位党员在主题党日前读完材料，可在支部网上空间“讨论”栏目留言交流。
`)

var spaceSeeds = []store.SpaceSeed{
	{
		Notices: []store.SeedNotice{
			{Title: "关于召开十二月主题党日活动的通知", Body: "各位党员：\n本月主题党日定于本周六上午九点在社区党群服务中心二楼举行，内容为集中学习和志愿服务。请准时参加，不能到会的请提前向支部书记请假。", DaysAgo: 2},
			{Title: "请及时交纳第四季度党费", Body: "第四季度党费请于本月底前交纳，可到社区党群服务中心现场交纳，行动不便的老党员可联系支部委员上门代收。", DaysAgo: 12},
		},
		Threads: []store.SeedThread{
			{Title: "楼道堆放杂物，大家有什么好办法？", Body: "3栋2单元楼道里堆了不少纸箱和旧家具，消防通道不畅。大家有没有劝说的好办法？", DaysAgo: 6, Replies: []store.SeedReply{
				{Body: "先别急着贴通知，上门聊一聊效果更好，很多老人是舍不得扔。", Hours: 2},
				{Body: "可以约上楼栋长，周末组织一次党员带头清理，大家一起动手。", Hours: 5},
				{Body: "302那家就是不讲理，电话139××××××××，谁去说说？", Hours: 7, HideReason: "含有居民的联系方式等个人信息，已隐藏。请勿在空间里公布他人信息。"},
				{Body: "周六主题党日后我们一起去，我带几个编织袋。", Hours: 20},
			}},
			{Title: "独居老人结对，还有哪几户没人联系？", Body: "上次摸排的独居老人名单里，还有几户没有党员结对。愿意结对的同志请留言。", DaysAgo: 9, Replies: []store.SeedReply{
				{Body: "我住得近，可以再联系一户。", Hours: 3},
				{Body: "我每周二、四下午有空，可以陪老人去医院复查。", Hours: 26},
			}},
		},
		Files: []store.SeedFile{{Name: "十二月主题党日学习材料.txt", ContentType: "text/plain; charset=utf-8", Content: spaceFile, DaysAgo: 3}},
	},
	{
		Notices: []store.SeedNotice{
			{Title: "支部党员大会通知", Body: "支部定于下周三晚七点召开党员大会，议题：讨论接收预备党员、通报第四季度工作。请全体党员参加。", DaysAgo: 1},
			{Title: "冬季防火安全提示", Body: "天气转冷，请党员带头检查家中电器、燃气，提醒邻居不在楼道给电动车充电。", DaysAgo: 15},
		},
		Threads: []store.SeedThread{
			{Title: "电动车充电桩选址，征求意见", Body: "小区准备新建一处电动车集中充电点，备选东门车棚和3栋北侧空地，大家倾向哪里？", DaysAgo: 5, Replies: []store.SeedReply{
				{Body: "东门车棚有顶棚，下雨天方便，离住户也远一些，更安全。", Hours: 1},
				{Body: "物业那个经理就是不作为，早该换人了！", Hours: 4, HideReason: "与话题无关的人身评价，已隐藏。有意见请通过支部反映。"},
				{Body: "赞成东门，建议加装监控和灭火器。", Hours: 9},
			}},
			{Title: "学习材料读后感交流", Body: "这次学习材料里“共建共治共享”一段，大家结合网格工作谈谈体会。", DaysAgo: 2, Replies: []store.SeedReply{
				{Body: "共治就是大家的事大家商量着办，议事会要多开。", Hours: 6},
			}},
		},
		Files: []store.SeedFile{{Name: "十二月主题党日学习材料.txt", ContentType: "text/plain; charset=utf-8", Content: spaceFile, DaysAgo: 3}},
	},
	{
		Notices: []store.SeedNotice{
			{Title: "在职党员回社区报到提醒", Body: "在职党员请于本月内到社区报到并认领服务岗位，已报到的同志请在“我的支部”查看岗位安排。", DaysAgo: 4},
			{Title: "党课安排", Body: "本季度党课由社区党委书记主讲，题目《网格里的群众工作》，时间另行通知。", DaysAgo: 20},
		},
		Threads: []store.SeedThread{
			{Title: "周末义诊需要志愿者", Body: "社区医院周六上午来小区义诊，需要四名党员志愿者帮忙维持秩序、登记。", DaysAgo: 3, Replies: []store.SeedReply{
				{Body: "我报名，八点半到。", Hours: 1},
				{Body: "我也报名，可以帮老人量血压。", Hours: 2},
				{Body: "加我一个，顺便给大家讲讲防诈骗。", Hours: 8},
			}},
			{Title: "小区停车难怎么破？", Body: "晚上车位越来越紧张，消防通道也被占，大家有什么建议？", DaysAgo: 8, Replies: []store.SeedReply{
				{Body: "可以和旁边单位商量，晚上错时共享他们的停车场。", Hours: 3},
				{Body: "某某家的车天天乱停，车牌川B·×××××，大家认准了！", Hours: 5, HideReason: "公开他人车牌，涉及个人信息，已隐藏。"},
			}},
		},
		Files: []store.SeedFile{{Name: "十二月主题党日学习材料.txt", ContentType: "text/plain; charset=utf-8", Content: spaceFile, DaysAgo: 3}},
	},
}

// partySpaces fills the branches' online spaces.
func partySpaces(ctx context.Context, st *store.Store) (int64, error) {
	var n int64
	err := st.Tx(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.SeedSpaces(ctx, authz.System(), time.Now(), spaceSeeds)
		return err
	})
	return n, err
}
