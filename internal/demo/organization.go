package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's register of organizations (issue 8, item 2): in every filled community, co-building
// units of each kind (a school, a hospital or health station, companies, an agency), some
// reported to the community, some with their own Party organization or a joint branch; social
// organizations; volunteer teams residents joined (one on the community, one on its first
// grid, so the grid leader sees it); a mass and an economic organization. Names are built from
// the community's name, so they are plausible and unique per node; everything follows the seed.

type demoOrg struct {
	typ      model.OrgType
	subtype  model.OrgSubtype
	names    []string // "%s" is the community's short name
	venues   []string
	skills   []string
	funds    []string
	joinable bool
}

var demoOrgs = []demoOrg{
	{model.OrgCoBuilding, model.SubtypeSchool, []string{"%s小学", "%s中学", "%s幼儿园"}, []string{"操场寒暑假对居民开放", "礼堂可借用开展活动"}, []string{"教师志愿者课后辅导"}, nil, false},
	{model.OrgCoBuilding, model.SubtypeHospital, []string{"%s社区卫生服务中心", "%s中医诊所", "江油市第二人民医院%s分院"}, nil, []string{"每月义诊、健康讲座", "慢病随访、家庭医生签约"}, nil, false},
	{model.OrgCoBuilding, model.SubtypeCompany, []string{"%s物业服务有限公司", "农商银行%s支行", "%s供电营业所", "%s超市有限公司"}, []string{"会议室周末可借用"}, []string{"家电维修、水电维修", "金融知识讲座"}, []string{"每年资助困难家庭学生", "节日慰问困难老人"}, false},
	{model.OrgCoBuilding, model.SubtypeAgency, []string{"%s派出所", "%s税务所", "%s司法所"}, nil, []string{"法律咨询、反诈宣传", "政策宣讲"}, nil, false},
	{model.OrgSocial, "", []string{"%s老年协会", "%s邻里互助协会", "%s社工服务站", "%s书画协会"}, []string{"活动室"}, []string{"陪伴空巢老人", "书法培训"}, nil, false},
	{model.OrgVolunteerTeam, "", []string{"%s夕阳红志愿服务队", "%s红袖标巡逻队", "%s邻里守望互助组", "%s环境卫生志愿队"}, nil, []string{"夜间巡逻、邻里守望", "清扫楼道、垃圾分类劝导", "代购代办、探望独居老人"}, nil, true},
	{model.OrgMass, "", []string{"%s妇联", "%s团支部", "%s工会联合会", "%s残协"}, []string{"妇女儿童之家"}, []string{"家庭教育讲座"}, nil, false},
	{model.OrgEconomic, "", []string{"%s股份经济合作社", "%s农贸市场", "%s个体工商户协会"}, []string{"市场空地可办便民集市"}, nil, []string{"集体经济收益支持社区公益"}, false},
}

var contactSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "何", "罗", "蒲", "邓"}

// organizations fills the register of each filled community.
func organizations(ctx context.Context, st *store.Store, opts Options, communities []*model.Territory, res *Result) error {
	sys := authz.System()
	for _, c := range communities {
		grids, err := st.Territories(ctx, sys, store.TerritoryFilter{ParentID: c.ID, Kind: model.KindGrid, Limit: 1})
		if err != nil {
			return err
		}
		if len(grids.Items) == 0 {
			continue // a community without people (a tiny demo)
		}
		r := seedFor(opts.Seed, "organizations "+c.Code)
		short := strings.TrimSuffix(strings.TrimSuffix(c.Name, "社区居民委员会"), "社区")
		for i, d := range demoOrgs {
			n := 1
			if d.typ == model.OrgCoBuilding && d.subtype == model.SubtypeCompany || d.typ == model.OrgVolunteerTeam || d.typ == model.OrgSocial {
				n = 2
			}
			names := r.Perm(len(d.names))
			for k := range min(n, len(names)) {
				in := model.OrganizationInput{Type: d.typ, Subtype: d.subtype, Name: fmt.Sprintf(d.names[names[k]], short), TerritoryID: c.ID,
					ContactName:  pick(r, contactSurnames) + pick(r, []string{"主任", "经理", "老师", "书记", "会长", "队长"}),
					ContactPhone: fmt.Sprintf("1%d%09d", 3+r.IntN(7), r.IntN(1_000_000_000)), Joinable: d.joinable, Coverage: model.CoverageNone}
				if d.joinable && k == 1 {
					in.TerritoryID = grids.Items[0].ID // a grid's own team
					in.Name = grids.Items[0].Name + strings.TrimPrefix(in.Name, short)
				}
				if len(d.venues) > 0 && r.IntN(2) == 0 {
					in.Offers.Venues = pick(r, d.venues)
				}
				if len(d.skills) > 0 {
					in.Offers.Skills = pick(r, d.skills)
				}
				if len(d.funds) > 0 && r.IntN(2) == 0 {
					in.Offers.Funds = pick(r, d.funds)
				}
				if d.typ == model.OrgCoBuilding || d.typ == model.OrgEconomic || d.typ == model.OrgSocial {
					switch x := r.IntN(10); {
					case x < 4:
						in.Coverage = model.CoverageOwn
					case x < 7:
						in.Coverage = model.CoverageJoint
					}
				}
				o, err := st.CreateOrganization(ctx, sys, in)
				if err != nil {
					return fmt.Errorf("%s %s: %w", c.Name, in.Name, err)
				}
				res.Organizations++
				if d.typ == model.OrgCoBuilding && (i == 0 || r.IntN(3) > 0) { // the school always, two in three of the rest
					on := opts.AsOf.AddDate(0, 0, -30-r.IntN(600)).Format(time.DateOnly)
					if _, err := st.ReportOrganization(ctx, sys, o.ID, on); err != nil {
						return fmt.Errorf("%s %s: report: %w", c.Name, in.Name, err)
					}
				}
				if d.joinable {
					if err := demoTeamMembers(ctx, st, r, o, 4+r.IntN(8)); err != nil {
						return fmt.Errorf("%s %s: members: %w", c.Name, in.Name, err)
					}
				}
			}
		}
	}
	return nil
}

// demoTeamMembers has n residents of the team's node join it, spread over its first residents.
func demoTeamMembers(ctx context.Context, st *store.Store, r *rand.Rand, o *model.Organization, n int) error {
	sys := authz.System()
	p, err := st.Residents(ctx, sys, store.ResidentFilter{Under: o.TerritoryID, Limit: 200})
	if err != nil {
		return err
	}
	for _, i := range r.Perm(len(p.Items))[:min(n, len(p.Items))] {
		if err := st.AddTeamMember(ctx, sys, o.ID, p.Items[i].ID); err != nil {
			return err
		}
	}
	return nil
}
