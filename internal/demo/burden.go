package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's administrative-burden register (准入清单、减负, issue 12 item 2). Burden gives a
// street its department register and its communities' duty list (kept by the street), and each
// community given a year of tasks handed down: most on the list (accepted and done with their
// hours, the latest still in hand or just received), the rest off it (most approved by the
// street, some refused, the latest waiting for its decision). Community staff record (recorder),
// the street administrator decides (approver). Every step runs on a view of the store whose clock
// reads the day it took place (store.AsOf), so the burden view spreads over the months. A street
// whose register has departments gets nothing more.

// BurdenResult counts what Burden did.
type BurdenResult struct {
	Departments, Duties, Tasks, OffList, Refused, Pending int
}

var demoBurdenDepartments = []struct{ line, name string }{
	{"民政", "江油市民政局"},
	{"人社", "江油市人力资源和社会保障局"},
	{"卫健", "江油市卫生健康局"},
	{"公安", "江油市公安局中坝派出所"},
	{"应急管理", "江油市应急管理局"},
	{"统计", "江油市统计局"},
	{"住建", "江油市住房和城乡建设局"},
	{"城管", "江油市综合行政执法局"},
	{"市场监管", "江油市市场监督管理局"},
	{"医保", "江油市医疗保障局"},
	{"残联", "江油市残疾人联合会"},
	{"退役军人", "江油市退役军人事务局"},
}

// demoBurdenDuties is the duty list: code, name, basis, and the line whose department hands
// its tasks down.
var demoBurdenDuties = []struct{ code, name, basis, line string }{
	{"MZ-01", "最低生活保障申请受理与入户调查", "《社会救助暂行办法》第十一条", "民政"},
	{"MZ-02", "特困人员、留守老人儿童关爱走访", "《四川省农村留守儿童关爱保护实施办法》", "民政"},
	{"MZ-03", "高龄津贴申请受理", "《四川省老年人权益保障条例》", "民政"},
	{"RS-01", "城乡居民养老保险参保登记、待遇资格认证", "《社会保险法》第二十二条", "人社"},
	{"RS-02", "就业困难人员登记与就业援助", "《就业促进法》第五十二条", "人社"},
	{"WJ-01", "基本公共卫生服务宣传、家庭医生签约协助", "《基本医疗卫生与健康促进法》", "卫健"},
	{"WJ-02", "计划生育特殊家庭联系人制度落实", "《人口与计划生育法》", "卫健"},
	{"GA-01", "流动人口居住登记信息采集", "《居住证暂行条例》第六条", "公安"},
	{"YJ-01", "防汛、地质灾害隐患点群测群防", "《突发事件应对法》第五十五条", "应急管理"},
	{"TJ-01", "人口普查、经济普查入户登记（普查年度）", "《统计法》第十一条", "统计"},
	{"YB-01", "城乡居民基本医疗保险参保动员", "《社会保险法》第二十五条", "医保"},
	{"CL-01", "残疾人证办理初审与需求调查", "《残疾人保障法》", "残联"},
	{"TY-01", "退役军人信息采集与走访慰问", "《退役军人保障法》", "退役军人"},
}

// demoBurdenOffList are tasks off the list: what, the line that sends them, and how the
// street decides (approve, or refuse with the reason).
var demoBurdenOffList = []struct {
	title, line string
	approve     bool
	reason      string
}{
	{"创建全国文明城市入户问卷调查及台账整理", "城管", true, "创文是全市中心工作，同意社区配合入户，台账由城管局派员整理。"},
	{"辖区门店食品安全检查及检查记录填报", "市场监管", false, "食品安全检查属市场监管部门执法职责，社区无执法权，退回交办部门。"},
	{"老旧小区加装电梯意愿征集及协议签订", "住建", true, "涉及居民切身利益，同意社区组织征集意愿；协议签订由住建局负责。"},
	{"辖区企业安全生产隐患排查表填报", "应急管理", false, "企业安全生产检查属行业监管部门职责，不应由社区承担，退回。"},
	{"“平安建设”满意度电话调查名单整理", "公安", true, "同意一次性承接，后续请派出所自行组织。"},
	{"市场主体年报催报", "市场监管", false, "年报催报属市场监管部门职责，且清单未列，退回。"},
	{"医保电子凭证激活率指标任务", "医保", false, "以激活率考核社区不符合减负要求，可配合宣传，不承接指标。"},
	{"城市管理“门前三包”责任书签订", "城管", true, "同意社区协助发放责任书，签订与执法由执法局负责。"},
	{"统计局临时数据核查（非普查年度）", "统计", false, "非普查年度临时核查未列入准入清单，请统计部门自行核查。"},
	{"残疾人就业岗位推荐专项填报", "残联", true, "与清单内需求调查相近，同意承接。"},
}

// demoBurdenWork are the titles of tasks on the list, by duty code.
var demoBurdenWork = map[string][]string{
	"MZ-01": {"低保对象年度复核入户调查", "新申请低保家庭经济状况核对材料收集"},
	"MZ-02": {"春节前特困人员走访慰问", "暑期留守儿童安全关爱走访"},
	"MZ-03": {"80 周岁以上老人高龄津贴申报"},
	"RS-01": {"城乡居民养老保险待遇领取资格认证", "灵活就业人员参保登记"},
	"RS-02": {"就业困难人员信息更新"},
	"WJ-01": {"家庭医生签约服务入户宣传", "65 岁以上老人免费体检通知"},
	"WJ-02": {"计生特殊家庭节日走访"},
	"GA-01": {"流动人口居住登记信息核查"},
	"YJ-01": {"汛期地质灾害隐患点巡查", "防汛应急演练组织"},
	"TJ-01": {"全国人口普查入户登记摸底"},
	"YB-01": {"城乡居民医保集中参保动员"},
	"CL-01": {"残疾人基本服务需求调查"},
	"TY-01": {"退役军人信息采集核对", "八一建军节走访慰问"},
}

// Burden gives street its catalogues and each of communities a year of tasks up to today (see
// the file comment); the first community gets the most. Deterministic for the seed.
func Burden(ctx context.Context, st *store.Store, recorder, approver authz.Scope, street *model.Territory, communities []*model.Territory, seed uint64, today time.Time) (BurdenResult, error) {
	var res BurdenResult
	have, err := st.BurdenDepartments(ctx, authz.System(), store.BurdenCatalogFilter{Community: firstID(communities)})
	if err != nil {
		return res, err
	}
	for _, d := range have {
		if d.OwnerID == street.ID {
			return res, nil
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0xb0d3)) // #nosec G404 -- demo data, not secrets
	keeper := approver
	if !keeper.All && !keeper.Contains(street.Path) {
		keeper = authz.System()
	}
	dept := map[string]int64{}
	for _, d := range demoBurdenDepartments {
		x, err := st.SaveBurdenDepartment(ctx, keeper, 0, model.BurdenDepartmentInput{OwnerID: street.ID, Name: d.name, Line: d.line})
		if err != nil {
			return res, fmt.Errorf("department %s: %w", d.name, err)
		}
		dept[d.line] = x.ID
		res.Departments++
	}
	type duty struct {
		id   int64
		code string
		line string
	}
	var duties []duty
	for _, d := range demoBurdenDuties {
		x, err := st.SaveBurdenDuty(ctx, keeper, 0, model.BurdenDutyInput{OwnerID: street.ID, Code: d.code, Name: d.name, Basis: d.basis})
		if err != nil {
			return res, fmt.Errorf("duty %s: %w", d.code, err)
		}
		duties = append(duties, duty{x.ID, d.code, d.line})
		res.Duties++
	}
	day := func(t time.Time) string { return t.In(model.Shanghai).Format(time.DateOnly) }
	at := func(t time.Time) *store.Store { return st.AsOf(func() time.Time { return t }) }
	start := today.AddDate(0, -11, 0)
	for ci, c := range communities {
		rec := recorder
		if !rec.All && !rec.Contains(c.Path) {
			rec = authz.System()
		}
		dec := approver
		if !dec.All && !dec.Contains(c.Path) || dec.UserID != 0 && dec.UserID == rec.UserID {
			dec = authz.System()
		}
		n, offEvery := 36, 3 // the first community: three tasks a month, every third off the list
		if ci > 0 {
			n, offEvery = 14, 4
		}
		off := rng.IntN(len(demoBurdenOffList))
		for i := range n {
			// Received spread over the year, oldest first; the last few are recent.
			received := start.Add(time.Duration(i) * today.Sub(start) / time.Duration(n-1)).Add(time.Duration(rng.IntN(48)) * time.Hour)
			if received.After(today) {
				received = today
			}
			due := received.AddDate(0, 0, 5+rng.IntN(20))
			in := model.BurdenTaskInput{CommunityID: c.ID, ReceivedOn: day(received), DueOn: day(due)}
			if i%5 == 2 {
				in.Body = model.OwnerParty // a fifth the community's Party organization takes on itself
			}
			isOff := i%offEvery == offEvery-1
			var o = demoBurdenOffList[off%len(demoBurdenOffList)]
			if isOff {
				off++
				in.DepartmentID, in.Title = dept[o.line], o.title
				in.Detail = "交办部门以电话和工作群方式布置，要求按时限报送。"
			} else {
				d := duties[rng.IntN(len(duties))]
				titles := demoBurdenWork[d.code]
				in.DepartmentID, in.DutyID, in.Title = dept[d.line], d.id, titles[rng.IntN(len(titles))]
			}
			t, err := at(received).CreateBurdenTask(ctx, rec, in)
			if err != nil {
				return res, fmt.Errorf("task %s: %w", in.Title, err)
			}
			res.Tasks++
			age := today.Sub(received)
			if isOff {
				res.OffList++
				if age < 6*24*time.Hour {
					res.Pending++ // the street has not decided yet
					continue
				}
				decided := received.Add(time.Duration(20+rng.IntN(50)) * time.Hour)
				if _, err := at(decided).DecideBurdenTask(ctx, dec, t.ID, model.BurdenDecisionInput{Approve: o.approve, Reason: o.reason}); err != nil {
					return res, fmt.Errorf("decide %s: %w", in.Title, err)
				}
				if !o.approve {
					res.Refused++
					continue
				}
			} else {
				if age < 2*24*time.Hour {
					continue // just received
				}
				if _, err := at(received.Add(3*time.Hour)).AcceptBurdenTask(ctx, rec, t.ID); err != nil {
					return res, fmt.Errorf("accept %s: %w", in.Title, err)
				}
			}
			done := received.Add(time.Duration(2+rng.IntN(10)) * 24 * time.Hour)
			if done.After(today) {
				continue // still in hand
			}
			minutes := (2 + rng.IntN(30)) * 30 // 1 to 15.5 hours
			if isOff {
				minutes += 6 * 60 // the tasks off the list are the heavy ones
			}
			if _, err := at(done).FinishBurdenTask(ctx, rec, t.ID, minutes); err != nil {
				return res, fmt.Errorf("finish %s: %w", in.Title, err)
			}
		}
	}
	return res, nil
}

func firstID(ts []*model.Territory) int64 {
	if len(ts) == 0 {
		return 0
	}
	return ts[0].ID
}
