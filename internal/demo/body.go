package demo

import (
	"context"
	"fmt"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Bodies gives every community under node with a Party committee its residents' (villagers')
// committee's current term (issue 12 item 4), deterministic by seed: elected on the last
// general election's day, a director, two deputies and four members; the director and one
// deputy are registered Party members of the community who also sit on its Party committee as
// part-time members (兼职委员: the demo gives them that post, so that the cross appointment is
// found from the link), the term's first meetings and decisions, and the committee's own
// monthly meetings of the last quarter (owned by the committee, not the Party organization). A community with a term
// already gets nothing. It returns how many terms it recorded.
func Bodies(ctx context.Context, st *store.Store, node int64, seed int64, today time.Time) (int, error) {
	sys := authz.System()
	orgs, err := st.Orgs(ctx, sys, store.OrgFilter{Under: node, Kind: model.OrgCommunityCommittee, Limit: store.MaxLimit})
	if err != nil {
		return 0, err
	}
	n := 0
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) // the 2024 general election of residents' committees (换届)
	for _, o := range orgs.Items {
		if o.TerritoryID == 0 {
			continue
		}
		terms, err := st.BodyTerms(ctx, sys, o.TerritoryID)
		if err != nil {
			return n, err
		}
		if len(terms) > 0 {
			continue
		}
		r := seedFor(seed, fmt.Sprintf("bodies/%d", o.TerritoryID))
		ms, err := st.Members(ctx, sys, store.MemberFilter{Under: o.TerritoryID, Status: model.MemberFull, Limit: 20})
		if err != nil {
			return n, err
		}
		in := model.BodyTermInput{CommunityID: o.TerritoryID, StartsOn: start.Format(time.DateOnly), EndsOn: start.AddDate(5, 0, -1).Format(time.DateOnly),
			ElectedOn: start.AddDate(0, 0, -12).Format(time.DateOnly)}
		posts := []model.BodyPost{model.BodyDirector, model.BodyDeputy, model.BodyDeputy, model.BodyCommittee, model.BodyCommittee, model.BodyCommittee, model.BodyCommittee}
		for i, p := range posts {
			m := model.BodyMemberInput{Post: p, Name: personName(r)}
			if i < 2 && i < len(ms.Items) {
				pm := ms.Items[i]
				m.Name, m.PartyMemberID, m.ResidentID = pm.Name, pm.ID, pm.ResidentID
				ends := start.AddDate(5, 0, -1)
				if _, err := st.AddPost(ctx, sys, o.ID, model.PostInput{Post: model.PostPartTime, MemberID: pm.ID, StartsOn: start, EndsOn: &ends}); err != nil {
					return n, fmt.Errorf("%s: cross appointment: %w", o.Name, err)
				}
			}
			in.Members = append(in.Members, m)
		}
		voters := 1500 + r.IntN(2500)
		in.ElectionResult = fmt.Sprintf("登记选民 %d 人，参加投票 %d 人，%d 人当选", voters, voters*(80+r.IntN(15))/100, len(posts))
		b, err := st.CreateBodyTerm(ctx, sys, in)
		if err != nil {
			return n, fmt.Errorf("%s: body term: %w", o.Name, err)
		}
		n++
		for _, d := range []model.BodyDecisionInput{
			{Kind: model.DecisionMeeting, On: start.AddDate(0, 0, 20).Format(time.DateOnly), Title: "居民委员会第一次全体会议", Content: "明确分工，制定年度工作计划"},
			{Kind: model.DecisionDecision, On: start.AddDate(0, 2, 0).Format(time.DateOnly), Title: "修订居民公约", Content: "经居民代表会议讨论通过，张榜公布"},
			{Kind: model.DecisionMeeting, On: today.AddDate(0, -1, 0).Format(time.DateOnly), Title: "居民代表会议：小区停车管理", Content: "听取居民意见，提出停车收费调整方案"},
			{Kind: model.DecisionTask, On: today.AddDate(0, 0, -7).Format(time.DateOnly), Title: "组织冬季消防安全排查", Content: "各楼栋长配合，月底前完成"},
		} {
			if _, err := st.AddBodyDecision(ctx, sys, b.ID, d); err != nil {
				return n, err
			}
		}
		// The committee's own monthly meetings of the last quarter, held in its own right (in
		// the community's Party service centre, recorded beside the Party organization's).
		first := time.Date(today.Year(), today.Month(), 10, 1, 0, 0, 0, time.UTC).AddDate(0, -3, 0) // 9:00 in Shanghai
		if _, err := st.ScheduleMeetings(ctx, sys, model.MeetingInput{OrgID: o.ID, Type: model.ResidentsCommittee, Body: model.OwnerCommittee,
			Title: b.Kind.Label() + "月度例会", StartsAt: first, EndsAt: first.Add(90 * time.Minute), Place: "社区党群服务中心",
			Repeat: model.RepeatMonthly, Count: 3}); err != nil {
			return n, fmt.Errorf("%s: committee meetings: %w", o.Name, err)
		}
		// and the representatives' meeting on parking the decisions above record.
		reps := time.Date(today.Year(), today.Month(), 15, 11, 0, 0, 0, time.UTC).AddDate(0, -1, 0) // 19:00 in Shanghai
		if _, err := st.ScheduleMeetings(ctx, sys, model.MeetingInput{OrgID: o.ID, Type: model.ResidentsRepresentatives, Body: model.OwnerCommittee,
			Title: model.ResidentsRepresentatives.LabelIn(b.Kind) + "：小区停车管理", StartsAt: reps, EndsAt: reps.Add(2 * time.Hour), Place: "社区议事厅"}); err != nil {
			return n, fmt.Errorf("%s: representatives' meeting: %w", o.Name, err)
		}
	}
	return n, nil
}
