package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestContract: a purchased-service contract with a social organization, paid from a budget
// line — a volunteer team refused as the provider, milestones within the amount, acceptance
// posting the payment in the ledger in the same transaction (once: fifty staff accepting at
// once, one pays), a milestone the budget cannot pay refused with nothing changed, residents of
// the community rating each accepted milestone once (a pending one not at all), a neighbour community's resident not at all; the
// payment in the statement with the organization as payee.
func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustFundWorld(t, st)
		w.allocate(t, st, "10000")
		team := storetest.MustOrganization(t, st, w.community.ID, "天宝志愿服务队")
		social, err := st.CreateOrganization(ctx, authz.System(), model.OrganizationInput{Type: model.OrgSocial, Name: "江油市乐龄社会工作服务中心", TerritoryID: w.tree.street.ID})
		if err != nil {
			t.Fatal(err)
		}
		in := model.ContractInput{CommunityID: w.community.ID, OrganizationID: team, CategoryID: w.category, Title: "居家养老上门服务", Scope: "为 80 岁以上独居老人每月上门两次", Amount: "12000"}
		if _, err := st.CreateContract(ctx, w.staff, in); firstField(err) != "organization_id" {
			t.Errorf("a volunteer team as provider: %v", err)
		}
		in.OrganizationID = social.ID
		if _, err := st.CreateContract(ctx, w.other, in); firstField(err) != "community_id" {
			t.Errorf("a contract in another community: %v", err)
		}
		k, err := st.CreateContract(ctx, w.staff, in)
		if err != nil || k.AmountFen != 1200000 || k.OrganizationName != social.Name {
			t.Fatalf("contract: %+v, %v", k, err)
		}
		for _, m := range []model.ContractMilestoneInput{
			{Title: "第一季度", KPI: "上门服务不少于 120 人次", DueOn: "2026-03-31", Amount: "4000"},
			{Title: "第二季度", KPI: "上门服务不少于 120 人次，满意度 4 分以上", DueOn: "2026-06-30", Amount: "7000"},
		} {
			if k, err = st.AddContractMilestone(ctx, w.staff, k.ID, m); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.AddContractMilestone(ctx, w.staff, k.ID, model.ContractMilestoneInput{Title: "第三季度", KPI: "x", DueOn: "2026-09-30", Amount: "1000.01"}); firstField(err) != "amount" {
			t.Errorf("milestones past the contract's amount: %v", err)
		}
		m1, m2 := k.Milestones[0].ID, k.Milestones[1].ID

		var wg sync.WaitGroup
		var mu sync.Mutex
		paid, conflicts := 0, 0
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := st.AcceptContractMilestone(ctx, w.secretary, k.ID, m1)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					paid++
				case conflictOf(err):
					conflicts++
				default:
					t.Errorf("accept: %v", err)
				}
			}()
		}
		wg.Wait()
		if paid != 1 || conflicts != 49 {
			t.Errorf("50 acceptances: %d paid, %d conflicts", paid, conflicts)
		}
		// 10000 allocated, 4000 paid: the second milestone's 7000 cannot be paid.
		if _, err := st.AcceptContractMilestone(ctx, w.secretary, k.ID, m2); firstField(err) != "amount" {
			t.Errorf("a milestone the budget cannot pay: %v", err)
		}
		k, _ = st.Contract(ctx, w.staff, k.ID)
		if k.PaidFen != 400000 || !k.Milestones[0].Accepted || k.Milestones[1].Accepted {
			t.Errorf("after the refused payment: %+v", k)
		}
		if bal, _ := st.FundBalanceOf(ctx, w.streetAdmin, 0, w.year); bal.SpentFen != 400000 {
			t.Errorf("spent: %+v", bal)
		}
		if err := st.CheckFundLedger(ctx); err != nil {
			t.Error(err)
		}
		stm, err := st.FundStatementOf(ctx, w.staff, 0, w.year, 0)
		if err != nil || len(stm.Payments) != 1 || stm.Payments[0].Payee != social.Name || stm.Payments[0].RequestID != 0 {
			t.Errorf("statement: %+v, %v", stm, err)
		}

		// Residents rate once; a neighbour community's resident does not reach it.
		vw := struct{ voters []authz.Scope }{}
		for i, node := range []*model.Territory{w.stairwell, w.stairwell, w.stairwell2} {
			h := mustHousehold(t, st, node, fmt.Sprintf("9栋1单元%d室", 101+i),
				model.ResidentInput{Name: fmt.Sprintf("评价人%d", i), IDNumber: validID("510781", "19620101", 70+i), Relation: model.RelationHead})
			rs, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: h.ID})
			if err != nil || len(rs.Items) == 0 {
				t.Fatalf("head: %v", err)
			}
			u := storetest.RawUser(t, st, fmt.Sprintf("rater%d", i), model.RoleResident, node)
			storetest.Exec(t, st, `UPDATE users SET resident_id = ? WHERE id = ? RETURNING id`, rs.Items[0].ID, u.ID)
			vw.voters = append(vw.voters, authz.ForUser(u))
		}
		if _, err := st.RateContractMilestone(ctx, vw.voters[2], k.ID, m1, 5); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a neighbour community's resident: %v", err)
		}
		var ce *model.ConflictError
		if _, err := st.RateContractMilestone(ctx, vw.voters[0], k.ID, m2, 3); !errors.As(err, &ce) || !strings.Contains(ce.Message, "尚未验收") {
			t.Errorf("rating a milestone not accepted: %v", err)
		}
		if k, _ := st.Contract(ctx, vw.voters[0], k.ID); k.Milestones[1].Ratings != 0 || k.Milestones[1].MyScore != 0 {
			t.Errorf("the pending milestone was rated: %+v", k.Milestones[1])
		}
		if _, err := st.RateContractMilestone(ctx, vw.voters[0], k.ID, m1, 6); firstField(err) != "score" {
			t.Errorf("a score of 6: %v", err)
		}
		if k, err = st.RateContractMilestone(ctx, vw.voters[0], k.ID, m1, 5); err != nil || k.Milestones[0].Satisfaction() != "5.0" || k.Milestones[0].MyScore != 5 {
			t.Fatalf("rated: %+v, %v", k, err)
		}
		if _, err := st.RateContractMilestone(ctx, vw.voters[0], k.ID, m1, 4); !conflictOf(err) {
			t.Errorf("rating twice: %v", err)
		}
		if k, err = st.RateContractMilestone(ctx, vw.voters[1], k.ID, m1, 4); err != nil || k.Milestones[0].Satisfaction() != "4.5" || k.Milestones[0].Ratings != 2 || k.Milestones[0].MyScore != 4 {
			t.Errorf("two ratings: %+v, %v", k.Milestones[0], err)
		}
		if _, err := st.RateContractMilestone(ctx, w.staff, k.ID, m1, 5); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("staff rating: %v", err)
		}
		if _, err := st.Contract(ctx, w.other, k.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another community's staff: %v", err)
		}
	})
}
