package store_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestDues: the monthly amount from the declared income by the rates, payments (also on the
// member's behalf), a fraction of a fen and a second payment for a month refused with nothing
// changed, arrears per branch, and no dues for a grid leader.
func TestDues(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		f := mustMemberFixture(t, st)
		staff := authz.ForUser(mustAccount(t, st, "staff1", model.RoleCommunityStaff, f.tr.community.ID, ""))
		worker, err := st.CreateMember(ctx, sys, model.MemberInput{ResidentID: f.son.ID, OrgID: f.group, Status: model.MemberFull, Category: model.CategoryInWork})
		if err != nil {
			t.Fatal(err)
		}
		retired, err := st.CreateMember(ctx, sys, model.MemberInput{ResidentID: f.head.ID, OrgID: f.branch, Status: model.MemberFull, Category: model.CategoryRetired})
		if err != nil {
			t.Fatal(err)
		}
		a, err := st.DeclareIncome(ctx, staff, worker.ID, 4500_00, false)
		if err != nil {
			t.Fatal(err)
		}
		if a.MonthlyFen != 4500 || !a.Declared {
			t.Errorf("in work at 4500 yuan: %d fen a month, declared %v; want 4500", a.MonthlyFen, a.Declared)
		}
		if _, err := st.DeclareIncome(ctx, staff, retired.ID, 2600_00, false); err != nil {
			t.Fatal(err)
		}
		// The category changes: the dues follow from the same declared income.
		cat := model.CategoryRetired
		if _, err := st.UpdateMember(ctx, staff, worker.ID, model.MemberPatch{Category: &cat}); err != nil {
			t.Fatal(err)
		}
		if a, _ := st.MemberDues(ctx, staff, worker.ID, 2026); a.MonthlyFen != 2250 {
			t.Errorf("retired at 4500 yuan: %d fen, want 2250", a.MonthlyFen)
		}
		var sealed string
		if err := st.DB().QueryRowContext(ctx, `SELECT income FROM party_members WHERE id = `+strconv.FormatInt(worker.ID, 10)).Scan(&sealed); err != nil || sealed == "" || sealed == "450000" {
			t.Errorf("income at rest = %q, %v; want sealed", sealed, err)
		}

		month := time.Now().In(model.Shanghai).Format("2006-01")
		today := time.Now().In(model.Shanghai).Format(time.DateOnly)
		p, err := st.RecordPayment(ctx, staff, retired.ID, store.PaymentInput{Month: month, Amount: "13", PaidOn: today, PaidBy: "李秀英"})
		if err != nil || p.AmountFen != 1300 || p.PaidBy != "李秀英" {
			t.Fatalf("payment on behalf: %+v %v", p, err)
		}
		if _, err := st.RecordPayment(ctx, staff, retired.ID, store.PaymentInput{Month: month, Amount: "13", PaidOn: today}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("second payment for the month: %v, want conflict", err)
		}
		if _, err := st.RecordPayment(ctx, staff, worker.ID, store.PaymentInput{Month: month, Amount: "22.505", PaidOn: today}); fieldsOf(err) != "amount" {
			t.Errorf("a fraction of a fen: %v, want refused on amount", err)
		}
		if _, err := st.RecordPayment(ctx, staff, worker.ID, store.PaymentInput{Month: "2099-01", Amount: "1", PaidOn: today}); fieldsOf(err) != "month" {
			t.Errorf("a future month: %v", err)
		}
		w, err := st.MemberDues(ctx, staff, worker.ID, time.Now().In(model.Shanghai).Year())
		if err != nil || len(w.Payments) != 0 || len(w.Arrears) != 1 || w.ArrearsFen != 2250 {
			t.Errorf("after refused payments: %+v %v", w, err)
		}
		rows, err := st.DuesByOrg(ctx, staff, store.DuesFilter{Year: time.Now().In(model.Shanghai).Year()})
		if err != nil || len(rows) != 2 {
			t.Fatalf("by org: %+v %v", rows, err)
		}
		if rows[0].OrgID != f.group || rows[0].ArrearsFen != 2250 || rows[0].MembersInArrears != 1 || rows[1].ArrearsFen != 0 || rows[1].PaidFen != 1300 {
			t.Errorf("arrears per branch: %+v", rows)
		}
		grid := authz.ForUser(mustAccount(t, st, "grid1", model.RoleGridLeader, f.tr.grid.ID, ""))
		if _, err := st.MemberDues(ctx, grid, worker.ID, 2026); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("grid leader reads dues: %v", err)
		}
		if _, err := st.DuesByOrg(ctx, grid, store.DuesFilter{Year: 2026}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("grid leader reads arrears: %v", err)
		}
		if _, err := st.RecordPayment(ctx, grid, worker.ID, store.PaymentInput{Month: month, Amount: "1", PaidOn: today}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("grid leader records a payment: %v", err)
		}
	})
}

// TestDuesPaymentRace: 50 payments of the same member's same month at the same moment; the
// database decides (the unique index on member and month): exactly one is recorded, the other
// 49 are conflicts, and one row is there afterwards.
func TestDuesPaymentRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		f := mustMemberFixture(t, st)
		staff := authz.ForUser(mustAccount(t, st, "staff1", model.RoleCommunityStaff, f.tr.community.ID, ""))
		m, err := st.CreateMember(ctx, sys, model.MemberInput{ResidentID: f.head.ID, OrgID: f.branch, Status: model.MemberFull, Category: model.CategoryRetired})
		if err != nil {
			t.Fatal(err)
		}
		month := time.Now().In(model.Shanghai).Format("2006-01")
		today := time.Now().In(model.Shanghai).Format(time.DateOnly)
		const n = 50
		start := make(chan struct{})
		errs := make(chan error, n)
		for i := range n {
			go func() {
				<-start
				_, err := st.RecordPayment(ctx, staff, m.ID, store.PaymentInput{Month: month, Amount: "13", PaidOn: today, Note: "并发" + strconv.Itoa(i)})
				errs <- err
			}()
		}
		close(start)
		var ok, conflicts int
		for range n {
			switch err := <-errs; {
			case err == nil:
				ok++
			case errors.Is(err, model.ErrConflict):
				conflicts++
			default:
				t.Errorf("payment: %v, want success or conflict", err)
			}
		}
		if ok != 1 || conflicts != n-1 {
			t.Errorf("%d recorded, %d conflicts; want 1 and %d", ok, conflicts, n-1)
		}
		var rows int
		if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM party_dues_payments WHERE member_id = `+strconv.FormatInt(m.ID, 10)).Scan(&rows); err != nil || rows != 1 {
			t.Errorf("payment rows = %d, %v; want 1", rows, err)
		}
	})
}
