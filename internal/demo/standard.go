package demo

import (
	"context"
	"fmt"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's basic public service standards (基本公共服务达标, issue 12 item 5). Standards gives
// a street its catalogue — items checked from the data (grids with a Party branch, staff per 100
// households, small projects done, orders done) and items the communities report with evidence
// (the service centre's opening hours, a culture room, a complaint hotline answered) — and each
// community given a value for every reported item, some meeting the target and some not. A
// street whose catalogue has items gets nothing more.

var demoStandardItems = []model.StandardItemInput{
	{Code: "BZ-01", Name: "每个网格建有党支部或党小组", Method: model.StandardAuto, Metric: model.MetricGridBranch, Op: ">=", Threshold: "100", Unit: "%"},
	{Code: "BZ-02", Name: "每百户有不少于 1 名社区工作者", Method: model.StandardAuto, Metric: model.MetricStaffPer100, Op: ">=", Threshold: "1", Unit: "人"},
	{Code: "BZ-03", Name: "民生微实事项目年内完工率不低于 80%", Method: model.StandardAuto, Metric: model.MetricProjectsDone, Op: ">=", Threshold: "80", Unit: "%"},
	{Code: "BZ-04", Name: "志愿服务订单年内办结率不低于 90%", Method: model.StandardAuto, Metric: model.MetricOrdersDone, Op: ">=", Threshold: "90", Unit: "%"},
	{Code: "BZ-05", Name: "党群服务中心每周开放不少于 40 小时", Method: model.StandardManual, Op: ">=", Threshold: "40", Unit: "小时"},
	{Code: "BZ-06", Name: "文化活动室面积不少于 60 平方米", Method: model.StandardManual, Op: ">=", Threshold: "60", Unit: "平方米"},
	{Code: "BZ-07", Name: "居民诉求平均办结时间不超过 5 个工作日", Method: model.StandardManual, Op: "<=", Threshold: "5", Unit: "工作日"},
}

// demoStandardValues are the reported values of BZ-05 … BZ-07 by community (cycled) with the
// evidence.
var demoStandardValues = [][3]struct{ value, evidence string }{
	{{"48", "党群服务中心开放时间公示牌及值班排班表"}, {"85", "房产证明及活动室平面图"}, {"3.5", "2026 年居民诉求台账统计"}},
	{{"36", "值班排班表（周日闭馆）"}, {"72", "活动室平面图"}, {"6", "居民诉求台账统计"}},
	{{"42", "开放时间公示牌"}, {"45", "活动室租赁协议"}, {"4", "居民诉求台账统计"}},
}

// Standards gives street its catalogue and communities their reported values (see the file
// comment): kept by keeper, reported by reporter (system when it does not reach a community).
func Standards(ctx context.Context, st *store.Store, keeper, reporter authz.Scope, street *model.Territory, communities []*model.Territory) error {
	have, err := st.StandardItems(ctx, authz.System(), store.BurdenCatalogFilter{})
	if err != nil {
		return err
	}
	for _, it := range have {
		if it.OwnerID == street.ID {
			return nil
		}
	}
	if !keeper.All && !keeper.Contains(street.Path) {
		keeper = authz.System()
	}
	var manual []int64
	for _, in := range demoStandardItems {
		in.OwnerID = street.ID
		it, err := st.SaveStandardItem(ctx, keeper, 0, in)
		if err != nil {
			return fmt.Errorf("standard %s: %w", in.Code, err)
		}
		if it.Method == model.StandardManual {
			manual = append(manual, it.ID)
		}
	}
	for ci, c := range communities {
		by := reporter
		if !by.All && !by.Contains(c.Path) {
			by = authz.System()
		}
		vals := demoStandardValues[ci%len(demoStandardValues)]
		for i, id := range manual {
			if err := st.RecordStandardValue(ctx, by, model.StandardEntryInput{ItemID: id, CommunityID: c.ID, Value: vals[i].value, Evidence: vals[i].evidence}); err != nil {
				return fmt.Errorf("standard value of %s: %w", c.Name, err)
			}
		}
	}
	return nil
}
