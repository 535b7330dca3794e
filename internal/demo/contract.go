package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's purchased service (政府购买服务, issue 12 item 7). A community given to Contract
// gets a social organization registered with it, a year's contract for home care paid from
// 服务群众专项经费 (the street adds the contract's amount to that line in January), four quarterly
// milestones with their KPIs, the ones already due accepted a few days after (their payments in
// the ledger), and ratings of the accepted ones by the given household accounts. A community
// with a contract gets nothing more.
func Contract(ctx context.Context, st *store.Store, street, staff authz.Scope, raters []authz.Scope, community int64, today time.Time) error {
	have, err := st.Contracts(ctx, authz.System(), store.MaxLimit, "")
	if err != nil {
		return err
	}
	for _, k := range have.Items {
		if k.CommunityID == community {
			return nil
		}
	}
	cats, err := st.FundCategories(ctx, false)
	if err != nil || len(cats) < 2 {
		return fmt.Errorf("fund categories: %d, %w", len(cats), err)
	}
	year := today.In(model.Shanghai).Year()
	at := func(t time.Time) *store.Store { return st.AsOf(func() time.Time { return t.UTC() }) }
	jan := time.Date(year, 1, 8, 10, 0, 0, 0, model.Shanghai)
	if _, err := at(jan).AllocateFund(ctx, street, model.FundAllocationInput{CommunityID: community, CategoryID: cats[1].ID, Year: year, Amount: "24000",
		Memo: "政府购买居家养老服务专项"}); err != nil {
		return err
	}
	org, err := st.CreateOrganization(ctx, authz.System(), model.OrganizationInput{Type: model.OrgSocial, Name: "江油市乐龄社会工作服务中心", TerritoryID: community})
	if err != nil {
		return err
	}
	k, err := at(jan.Add(48*time.Hour)).CreateContract(ctx, staff, model.ContractInput{CommunityID: community, OrganizationID: org.ID, CategoryID: cats[1].ID, Year: year,
		Title: fmt.Sprintf("%d年居家养老上门服务", year), Scope: "为辖区 80 岁以上独居、空巢老人每月上门服务两次（助洁、助浴、健康监测、精神慰藉），建立服务台账，每季度报告。", Amount: "24000"})
	if err != nil {
		return err
	}
	for q := 1; q <= 4; q++ {
		due := time.Date(year, time.Month(q*3), []int{31, 30, 30, 31}[q-1], 0, 0, 0, 0, model.Shanghai)
		if _, err := st.AddContractMilestone(ctx, staff, k.ID, model.ContractMilestoneInput{Title: fmt.Sprintf("第%s季度服务", []string{"一", "二", "三", "四"}[q-1]),
			KPI: "上门服务不少于 240 人次，服务台账完整，回访满意度 4 分以上", DueOn: due.Format(time.DateOnly), Amount: "6000"}); err != nil {
			return err
		}
	}
	k, err = st.Contract(ctx, authz.System(), k.ID)
	if err != nil {
		return err
	}
	for i, m := range k.Milestones {
		when := m.DueOn.Add(5 * 24 * time.Hour)
		if when.After(today) {
			break
		}
		if _, err := at(when).AcceptContractMilestone(ctx, staff, k.ID, m.ID); err != nil {
			return fmt.Errorf("accept %s: %w", m.Title, err)
		}
		for j, r := range raters {
			if _, err := at(when.Add(72*time.Hour)).RateContractMilestone(ctx, r, k.ID, m.ID, 3+(i+j)%3); err != nil && !errors.Is(err, model.ErrNotFound) {
				return err
			}
		}
	}
	return nil
}
