package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's special funds (专项经费, issue 12 item 1). A community given to Funds gets this
// year's budget in each category of the catalogue, allocated by the street in January, and a
// year of spending: two or three requests a month from January to this month, made by staff
// with a generated receipt photo, approved by the community's admin and then the street (a few
// rejected with a reason, one paid over its budget with the street's override), so the monthly
// and yearly statements have something to show; the last two requests are left pending, one at
// each step, for the demo's community and street accounts to decide. Every step runs on a view
// of the store whose clock reads the time it took place (store.AsOf). A community that has a
// budget this year gets nothing more.

// FundsResult counts what Funds did.
type FundsResult struct {
	Allocations, Requests, Paid, Rejected, Pending int
}

// demoSpending is a request of the demo: its purpose, payee and amount in yuan, by category
// (0, 1, 2: the catalogue's first three).
type demoSpending struct {
	category               int
	purpose, payee, amount string
}

var demoSpendings = []demoSpending{
	{0, "“三会一课”学习资料印制", "江油市新华印务有限公司", "860.00"},
	{1, "春节走访慰问困难群众（米、油）", "天宝社区惠民超市", "3240.00"},
	{2, "社区办公用打印纸、墨盒", "江油市办公用品商行", "512.50"},
	{0, "七一主题党日活动场地布置", "江油市红旗广告制作部", "1980.00"},
	{1, "重阳节老年人茶话会", "天宝社区惠民超市", "1365.80"},
	{0, "党员志愿服务队马甲 40 件", "绵阳市服装加工厂", "1600.00"},
	{1, "暑期“四点半课堂”志愿者交通补贴", "社区志愿者服务队", "900.00"},
	{2, "社区服务中心空调维修", "江油市家电维修服务部", "780.00"},
	{0, "“两学一做”专题讲座讲课费", "江油市委党校", "1200.00"},
	{1, "防汛物资（沙袋、雨衣、手电）", "江油市五金交电公司", "2650.00"},
	{1, "小区楼道应急照明灯", "江油市五金交电公司", "1420.00"},
	{2, "宣传栏更新制作", "江油市红旗广告制作部", "980.00"},
}

// Funds gives community its year of funds (see the file comment): street allocates, staff
// requests, secretary approves step 1 and street step 2. Deterministic for the seed and today.
func Funds(ctx context.Context, st *store.Store, street, secretary, staff authz.Scope, community int64, seed uint64, today time.Time) (FundsResult, error) {
	var res FundsResult
	year := today.In(model.Shanghai).Year()
	have, err := st.FundBudgets(ctx, authz.System(), store.FundBudgetFilter{Territory: community, Year: year})
	if err != nil || len(have) > 0 {
		return res, err
	}
	cats, err := st.FundCategories(ctx, false)
	if err != nil {
		return res, err
	}
	if len(cats) < 3 {
		return res, fmt.Errorf("the fund catalogue has %d categories, the demo needs 3", len(cats))
	}
	rng := rand.New(rand.NewPCG(seed, 12)) // #nosec G404 -- demo data, not security
	at := func(t time.Time) *store.Store { return st.AsOf(func() time.Time { return t.UTC() }) }
	jan := time.Date(year, 1, 6, 10, 0, 0, 0, model.Shanghai)
	for i, amount := range []string{"20000", "30000", "8000"} {
		if _, err := at(jan).AllocateFund(ctx, street, model.FundAllocationInput{CommunityID: community, CategoryID: cats[i].ID, Year: year, Amount: amount,
			Memo: fmt.Sprintf("%d年度%s（街道拨付）", year, cats[i].Name)}); err != nil {
			return res, err
		}
		res.Allocations++
	}
	// Two or three requests a month, from January to this month; each decided a few days after.
	type planned struct {
		when time.Time
		s    demoSpending
	}
	var plan []planned
	for m := time.January; m <= today.In(model.Shanghai).Month(); m++ {
		for k := range 2 + rng.IntN(2) {
			day := 3 + k*9 + rng.IntN(5)
			when := time.Date(year, m, day, 9+rng.IntN(7), rng.IntN(60), 0, 0, model.Shanghai)
			if !when.Before(today.Add(-72 * time.Hour)) {
				continue
			}
			plan = append(plan, planned{when, demoSpendings[rng.IntN(len(demoSpendings))]})
		}
	}
	for i, p := range plan {
		last := i >= len(plan)-2
		receipt := []model.ReceiptFile{{Name: "发票.jpg", Data: demoPhoto(rng)}}
		q, err := at(p.when).CreateFundRequest(ctx, staff, model.FundRequestInput{CommunityID: community, CategoryID: cats[p.s.category].ID, Year: year,
			Purpose: p.s.purpose, Amount: p.s.amount, Payee: p.s.payee}, receipt)
		if err != nil {
			return res, fmt.Errorf("request %q: %w", p.s.purpose, err)
		}
		res.Requests++
		if last && i == len(plan)-1 {
			res.Pending++ // waits for the community's secretary
			continue
		}
		step1 := p.when.Add(time.Duration(20+rng.IntN(30)) * time.Hour)
		if i%9 == 4 {
			if _, err := at(step1).DecideFundRequest(ctx, secretary, q.ID, model.FundDecision{Step: 1, Reason: "票据不全，请补充发票原件后重新申请"}); err != nil {
				return res, err
			}
			res.Rejected++
			continue
		}
		if _, err := at(step1).DecideFundRequest(ctx, secretary, q.ID, model.FundDecision{Step: 1, Approve: true, Reason: "同意"}); err != nil {
			return res, err
		}
		if last {
			res.Pending++ // waits for the street
			continue
		}
		step2 := step1.Add(time.Duration(20+rng.IntN(40)) * time.Hour)
		d := model.FundDecision{Step: 2, Approve: true}
		if _, err := at(step2).DecideFundRequest(ctx, street, q.ID, d); overBudget(err) {
			d.Override, d.OverrideReason = true, "年底前必须完成的专项工作，已报街道党工委同意，下年度预算中调整"
			if _, err := at(step2).DecideFundRequest(ctx, street, q.ID, d); err != nil {
				return res, err
			}
		} else if err != nil {
			return res, err
		}
		res.Paid++
	}
	return res, nil
}

// overBudget reports whether err is the refusal of a payment over its budget.
func overBudget(err error) bool {
	var ve *model.ValidationError
	return errors.As(err, &ve) && len(ve.Fields) > 0 && ve.Fields[0].Field == "override_reason"
}
