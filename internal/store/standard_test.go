package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestStandards: the street keeps a catalogue of an automatic item (grids with a Party branch),
// a staffing item per 100 households and a manual item; staff enter the manual value with
// evidence; each community's compliance is met, not met or no data with the measured value.
func TestStandards(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustBurdenWorld(t, st)
		year := time.Now().In(model.Shanghai).Year()
		if _, err := st.SaveStandardItem(ctx, w.staff, 0, model.StandardItemInput{OwnerID: w.tree.street.ID, Code: "X", Name: "x", Method: model.StandardManual, Op: ">=", Threshold: "1"}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("staff keeping the catalogue: %v", err)
		}
		grid, err := st.SaveStandardItem(ctx, w.street, 0, model.StandardItemInput{OwnerID: w.tree.street.ID, Code: "BZ-01", Name: "每个网格有党支部或党小组",
			Method: model.StandardAuto, Metric: model.MetricGridBranch, Op: ">=", Threshold: "100", Unit: "%"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveStandardItem(ctx, w.street, 0, model.StandardItemInput{OwnerID: w.tree.street.ID, Code: "BZ-02", Name: "每百户社区工作者不少于 1 名",
			Method: model.StandardAuto, Metric: model.MetricStaffPer100, Op: ">=", Threshold: "1", Unit: "人"}); err != nil {
			t.Fatal(err)
		}
		open, err := st.SaveStandardItem(ctx, w.street, 0, model.StandardItemInput{OwnerID: w.tree.street.ID, Code: "BZ-03", Name: "服务中心每周开放不少于 40 小时",
			Method: model.StandardManual, Op: ">=", Threshold: "40", Unit: "小时"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveStandardItem(ctx, w.street, 0, model.StandardItemInput{OwnerID: w.tree.street.ID, Code: "BZ-01", Name: "重复", Method: model.StandardManual, Op: ">=", Threshold: "1"}); !conflictOf(err) {
			t.Errorf("a duplicate code: %v", err)
		}

		if got := firstFields(0, st.RecordStandardValue(ctx, w.staff, model.StandardEntryInput{ItemID: grid.ID, CommunityID: w.community.ID, Value: "x"})); !slices.Equal(got, []string{"value", "evidence", "item_id"}) {
			t.Errorf("bad entry: %v", got)
		}
		if got := firstFields(0, st.RecordStandardValue(ctx, w.other, model.StandardEntryInput{ItemID: open.ID, CommunityID: w.community.ID, Value: "42", Evidence: "开放时间公示牌"})); !slices.Equal(got, []string{"community_id"}) {
			t.Errorf("another community's staff: %v", got)
		}
		if err := st.RecordStandardValue(ctx, w.staff, model.StandardEntryInput{ItemID: open.ID, CommunityID: w.community.ID, Value: "42.5", Evidence: "服务中心开放时间公示牌及值班表"}); err != nil {
			t.Fatal(err)
		}
		mustHousehold(t, st, w.stairwell, "1栋1单元101室")

		rows, err := st.StandardCompliance(ctx, w.street, w.tree.street.ID, year)
		if err != nil {
			t.Fatal(err)
		}
		var mine *model.StandardRow
		for _, r := range rows {
			if r.CommunityID == w.community.ID {
				mine = r
			}
		}
		if len(rows) != 2 || mine == nil || len(mine.Results) != 3 {
			t.Fatalf("rows: %+v", rows)
		}
		got := map[string]string{}
		for _, r := range mine.Results {
			got[r.Item.Code] = string(r.Status) + " " + r.ValueText()
		}
		// One grid without a Party org: 0 %; one staff account for one household: 100 per 100.
		want := map[string]string{"BZ-01": "unmet 0 %", "BZ-02": "met 100 人", "BZ-03": "met 42.5 小时"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %q, want %q", k, got[k], v)
			}
		}
		if mine.Met != 2 || mine.Unmet != 1 {
			t.Errorf("counts: %+v", mine)
		}
		if rows, err := st.StandardCompliance(ctx, w.other, w.community.ID, year); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another community's compliance: %v %v", rows, err)
		}
	})
}
