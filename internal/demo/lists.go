package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo community's three lists (三张清单, issue 10 item 5): needs adopted from the
// suggestions its recurring orders give (so Orders runs first) and a few entered by staff;
// resources from what its co-building units offer in the register (venues, skills, funds) and
// from two party members' skills; and projects in every status — proposed, approved, in
// progress, done, rejected, cancelled — each pairing a need with the resource ranked first for
// it, with milestones, some ticked. Everything goes through the store as staff (by), so the
// history names them. A community that has needs already gets nothing more.

// ListsResult counts what Lists did.
type ListsResult struct {
	Needs, Resources, Projects int
}

var staffNeeds = []model.NeedInput{
	{Title: "独居老人定期探访", Category: "陪伴老人", Wants: model.ResourceSkill, Households: 18,
		Description: "辖区有18户独居老人，子女不在身边，希望有人每周上门看看、聊聊天，遇到急事能及时发现。"},
	{Title: "“四点半课堂”活动场地", Category: "课业辅导", Wants: model.ResourceVenue, Households: 40,
		Description: "双职工家庭的孩子放学后无人看管，需要一处安全的场地和志愿者辅导作业。"},
	{Title: "老旧楼栋楼道照明改造", Category: "家电维修", Wants: model.ResourceFunds, Households: 64,
		Description: "3栋、5栋楼道灯损坏多年，老人晚上上下楼不安全，需要资金更换声控灯。"},
	{Title: "居民法律咨询常态化", Category: "法律咨询", Wants: model.ResourceSkill, Households: 30,
		Description: "租赁、赡养、邻里纠纷咨询较多，希望每月有固定时间请专业人员坐班。"},
}

// resourceTags names the needs' categories a register's offer text speaks to.
var resourceTags = []struct{ word, tags string }{
	{"维修", "家电维修 维修"}, {"辅导", "课业辅导"}, {"义诊", "健康咨询"}, {"健康", "健康咨询"}, {"慢病", "健康咨询 陪伴老人"},
	{"法律", "法律咨询"}, {"老人", "陪伴老人"}, {"困难", "助困"}, {"学生", "课业辅导 助困"}, {"活动", "活动场地"}, {"开放", "活动场地"},
	{"讲座", "健康咨询"}, {"政策", "法律咨询"},
}

func tagsFor(text string) string {
	seen := map[string]bool{}
	var out []string
	for _, t := range resourceTags {
		if strings.Contains(text, t.word) {
			for _, w := range strings.Fields(t.tags) {
				if !seen[w] {
					seen[w] = true
					out = append(out, w)
				}
			}
		}
	}
	return strings.Join(out, " ")
}

// Lists builds the three lists of community as staff by (see the file comment).
func Lists(ctx context.Context, st *store.Store, community int64, by authz.Scope, today time.Time) (ListsResult, error) {
	var res ListsResult
	if p, err := st.Needs(ctx, by, store.NeedFilter{Under: community, Limit: 1}); err != nil || p.Total > 0 {
		return res, err
	}
	var needs []*model.Need
	// From recurring orders: the three that recur most.
	ss, err := st.NeedSuggestions(ctx, by, community)
	if err != nil {
		return res, err
	}
	for i, s := range ss {
		if i == 3 {
			break
		}
		n, err := st.CreateNeed(ctx, by, s.Input())
		if err != nil {
			return res, fmt.Errorf("need from orders: %w", err)
		}
		needs = append(needs, n)
	}
	for _, in := range staffNeeds {
		in.TerritoryID = community
		n, err := st.CreateNeed(ctx, by, in)
		if err != nil {
			return res, fmt.Errorf("need %s: %w", in.Title, err)
		}
		needs = append(needs, n)
	}
	res.Needs = len(needs)

	// Resources: what the co-building units offer, and two members' skills.
	units, err := st.Organizations(ctx, by, store.OrganizationFilter{Under: community, Type: model.OrgCoBuilding, Limit: 20})
	if err != nil {
		return res, err
	}
	add := func(in model.ResourceInput) error {
		in.TerritoryID = community
		if _, err := st.CreateResource(ctx, by, in); err != nil {
			return fmt.Errorf("resource %s: %w", in.Title, err)
		}
		res.Resources++
		return nil
	}
	for i, o := range units.Items {
		for _, x := range []struct {
			kind model.ResourceKind
			text string
		}{{model.ResourceVenue, o.Offers.Venues}, {model.ResourceSkill, o.Offers.Skills}, {model.ResourceFunds, o.Offers.Funds}} {
			if x.text == "" {
				continue
			}
			in := model.ResourceInput{Kind: x.kind, Title: clipRunes(x.text, 30), Description: o.Name + "：" + x.text, Tags: tagsFor(x.text), OrganizationID: o.ID}
			switch x.kind {
			case model.ResourceVenue:
				in.Capacity, in.Availability = 60+20*(i%3), "周末全天（提前三天预约）"
			case model.ResourceSkill:
				in.Capacity, in.Availability = 10+5*(i%4), "每月第一个周六上午"
			case model.ResourceFunds:
				in.AmountFen, in.Availability = int64(20000+10000*(i%3))*100, "每年一次，年初申报"
			}
			if err := add(in); err != nil {
				return res, err
			}
		}
	}
	members, err := st.Members(ctx, by, store.MemberFilter{Under: community, Limit: 2})
	if err != nil {
		return res, err
	}
	for i, m := range members.Items {
		in := []model.ResourceInput{
			{Kind: model.ResourceSkill, Title: "退休教师辅导作业", Tags: "课业辅导", Capacity: 8, Availability: "工作日下午四点半以后", MemberID: m.ID,
				Description: "退休前是中学数学老师，可以辅导初中数学。"},
			{Kind: model.ResourceSkill, Title: "陪老人聊天、读报", Tags: "陪伴老人", Capacity: 5, Availability: "每周二、四上午", MemberID: m.ID,
				Description: "在家时间多，愿意陪独居老人说说话。"},
		}[i%2]
		if err := add(in); err != nil {
			return res, err
		}
	}

	// Projects in every status, each need with the resource ranked first for it.
	statuses := []model.ProjectStatus{model.ProjectDone, model.ProjectInProgress, model.ProjectApproved, model.ProjectProposed, model.ProjectRejected, model.ProjectCancelled}
	for i, n := range needs {
		if i == len(statuses) {
			break
		}
		_, ms, err := st.ResourceMatches(ctx, by, n.ID)
		if err != nil {
			return res, err
		}
		if len(ms) == 0 {
			continue
		}
		want := statuses[i]
		start := today.AddDate(0, 0, -40+10*i)
		r := ms[0].Resource
		p, err := st.ProposeProject(ctx, by, model.ProjectInput{NeedID: n.ID, ResourceID: r.ID, Title: model.SuggestProjectTitle(n, r), Owner: []string{"王红梅", "李建国", "张秀英"}[i%3],
			StartsOn: start.Format(time.DateOnly), Reason: "需求对接会议商定"})
		if err != nil {
			return res, fmt.Errorf("project for %s: %w", n.Title, err)
		}
		for j, m := range []string{"入户摸排、确定服务名单", "与共建单位签订协议", "开展第一次服务", "回访群众、总结评估"} {
			if _, err := st.AddMilestone(ctx, by, p.ID, model.MilestoneInput{Title: m, DueOn: start.AddDate(0, 0, 7+14*j).Format(time.DateOnly)}); err != nil {
				return res, err
			}
		}
		var steps []model.ProjectTransitionInput
		ticks := 0
		switch want {
		case model.ProjectApproved:
			steps, ticks = []model.ProjectTransitionInput{{Action: model.ProjectApprove}}, 1
		case model.ProjectInProgress:
			steps, ticks = []model.ProjectTransitionInput{{Action: model.ProjectApprove}, {Action: model.ProjectStart}}, 2
		case model.ProjectDone:
			steps, ticks = []model.ProjectTransitionInput{{Action: model.ProjectApprove}, {Action: model.ProjectStart}}, 4
		case model.ProjectRejected:
			steps = []model.ProjectTransitionInput{{Action: model.ProjectReject, Reason: "资源与需求不匹配，建议另选共建单位"}}
		case model.ProjectCancelled:
			steps = []model.ProjectTransitionInput{{Action: model.ProjectApprove}, {Action: model.ProjectCancel, Reason: "共建单位人员调整，暂停合作"}}
		}
		for _, s := range steps {
			if p, err = st.TransitionProject(ctx, by, p.ID, s); err != nil {
				return res, fmt.Errorf("project %s: %w", s.Action, err)
			}
		}
		for j := 0; j < ticks && j < len(p.Milestones); j++ {
			if p, err = st.TickMilestone(ctx, by, p.ID, p.Milestones[j].ID); err != nil {
				return res, err
			}
		}
		if want == model.ProjectDone {
			if _, err = st.TransitionProject(ctx, by, p.ID, model.ProjectTransitionInput{Action: model.ProjectComplete, Reason: "四项里程碑全部完成"}); err != nil {
				return res, err
			}
		}
		res.Projects++
	}
	return res, nil
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
