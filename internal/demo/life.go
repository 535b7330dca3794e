package demo

import (
	"context"
	"fmt"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's organizational life (issue 8, items 4, 6 and 9): the branches' posts held by their
// members (store.Tx.FillBranchPosts: the demo draws posts as names before members exist); the past twelve months of
// meetings of every org (groups and community committees monthly, each branch an assembly and a
// lecture a quarter), closed, with about four in five members present and the points they earned
// (store.RecordMeetingHistory, set-based, so that a million-household city gets its year in
// seconds); and in every community three Party–resident activities coming up, one with a
// sign-up limit, two of them volunteer service (their hours go to the time bank of who checks in). Dated from today, as the study courses are, so that the compliance view and
// "my branch" show a current year.

// lifeAttendance is the share of a meeting's roster recorded present, in percent.
const lifeAttendance = 80

var demoActivities = []struct {
	title, place, description string
	days, hour, limit         int
	service                   bool // volunteer service: banks its hours for who checked in
}{
	{"党员志愿服务日：清扫楼道 美化家园", "各小区楼院", "党员亮身份、带头干，居民群众共同参与，清理楼道杂物和小广告。", 3, 9, 0, true},
	{"“红色课堂”进小区：防范电信诈骗讲座", "社区党群服务中心", "邀请派出所民警讲解常见骗局，现场答疑。", 6, 15, 60, false},
	{"关爱独居老人：上门送温暖", "社区党群服务中心集合", "党员结对独居老人，上门打扫卫生、检查水电燃气安全。", 10, 9, 20, true},
}

// partyLife writes the year of meetings and the coming activities.
func partyLife(ctx context.Context, st *store.Store, opts Options, communities []*model.Territory) (store.MeetingHistory, error) {
	sc := authz.System()
	var h store.MeetingHistory
	err := st.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.FillBranchPosts(ctx, sc); err != nil {
			return err
		}
		var err error
		h, err = tx.RecordMeetingHistory(ctx, sc, time.Now(), lifeAttendance, opts.Seed)
		return err
	})
	if err != nil {
		return h, fmt.Errorf("meetings: %w", err)
	}
	today := time.Now().In(model.Shanghai)
	for _, c := range communities {
		for _, a := range demoActivities {
			day := today.AddDate(0, 0, a.days)
			start := time.Date(day.Year(), day.Month(), day.Day(), a.hour, 0, 0, 0, model.Shanghai)
			if _, err := st.PublishActivity(ctx, sc, model.ActivityInput{TerritoryID: c.ID, Title: a.title, Description: a.description,
				Place: a.place, StartsAt: start, EndsAt: start.Add(2 * time.Hour), Limit: a.limit, Service: a.service}); err != nil {
				return h, fmt.Errorf("%s: activity %s: %w", c.Name, a.title, err)
			}
		}
	}
	return h, nil
}
