package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// fundWorld is a tree with the people of the default chain: a community staff member who
// requests, the community's admin (step 1), the street's admin (step 2), and a staff member of
// the other community.
type fundWorld struct {
	tree
	staff, secretary, streetAdmin, other authz.Scope
	category                             int64
	year                                 int
}

func mustFundWorld(t *testing.T, st *store.Store) fundWorld {
	t.Helper()
	w := fundWorld{tree: mustTree(t, st), year: time.Now().In(model.Shanghai).Year()}
	w.staff = authz.ForUser(mustUser(t, st, "fundstaff", model.RoleCommunityStaff, w.community))
	w.secretary = authz.ForUser(mustUser(t, st, "fundsecretary", model.RoleCommunityAdmin, w.community))
	w.streetAdmin = authz.ForUser(mustUser(t, st, "fundstreet", model.RoleStreetAdmin, w.tree.street))
	w.other = authz.ForUser(mustUser(t, st, "fundother", model.RoleCommunityStaff, w.community2))
	cats, err := st.FundCategories(context.Background(), false)
	if err != nil || len(cats) != 3 || cats[0].Name != "党建活动经费" {
		t.Fatalf("the default catalogue: %v, %v", cats, err)
	}
	w.category = cats[0].ID
	return w
}

func (w fundWorld) allocate(t *testing.T, st *store.Store, amount string) {
	t.Helper()
	if _, err := st.AllocateFund(context.Background(), w.streetAdmin, model.FundAllocationInput{CommunityID: w.community.ID, CategoryID: w.category, Year: w.year, Amount: amount}); err != nil {
		t.Fatalf("allocate %s: %v", amount, err)
	}
}

func (w fundWorld) request(t *testing.T, st *store.Store, amount string, receipts ...model.ReceiptFile) *model.FundRequest {
	t.Helper()
	r, err := st.CreateFundRequest(context.Background(), w.staff, model.FundRequestInput{CommunityID: w.community.ID, CategoryID: w.category,
		Purpose: "七一主题党日活动", Amount: amount, Payee: "江油市印务公司"}, receipts)
	if err != nil {
		t.Fatalf("request %s: %v", amount, err)
	}
	return r
}

func pdfReceipt(n int) model.ReceiptFile {
	return model.ReceiptFile{Name: "发票.pdf", Data: append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), n)...)}
}

func forbiddenOf(err error) bool {
	var f *model.ForbiddenError
	return errors.As(err, &f) || errors.Is(err, model.ErrForbidden)
}

// TestFundFlow: a budget allocated, a request with receipts along the chain to its payment —
// who may decide each step, the ledger balanced and its balances the sum of the entries, the
// budget never negative without an audited override, statements and the public summary.
func TestFundFlow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustFundWorld(t, st)

		// Allocation: street admins only, in their territory; amounts exactly in fen.
		if _, err := st.AllocateFund(ctx, w.secretary, model.FundAllocationInput{CommunityID: w.community.ID, CategoryID: w.category, Year: w.year, Amount: "100"}); !forbiddenOf(err) {
			t.Errorf("a community admin allocates: %v", err)
		}
		if _, err := st.AllocateFund(ctx, w.streetAdmin, model.FundAllocationInput{CommunityID: w.community.ID, CategoryID: w.category, Year: w.year, Amount: "100.001"}); firstField(err) != "amount" {
			t.Errorf("a fraction of a fen: %v", err)
		}
		w.allocate(t, st, "10000")
		w.allocate(t, st, "2000.50")

		// A request: receipts checked (a PDF by its magic, a photo re-encoded, a text file refused).
		_, err := st.CreateFundRequest(ctx, w.staff, model.FundRequestInput{CommunityID: w.community.ID, CategoryID: w.category, Purpose: "x", Amount: "1.234", Payee: "y"}, nil)
		if firstField(err) != "amount" {
			t.Errorf("request of a fraction of a fen: %v", err)
		}
		_, err = st.CreateFundRequest(ctx, w.staff, model.FundRequestInput{CommunityID: w.community.ID, CategoryID: w.category, Purpose: "x", Amount: "1", Payee: "y"},
			[]model.ReceiptFile{{Name: "a.jpg", Data: []byte("<html>not a photo</html>")}})
		if firstField(err) != "receipts[0]" {
			t.Errorf("a receipt that is no image nor PDF: %v", err)
		}
		_, err = st.CreateFundRequest(ctx, w.staff, model.FundRequestInput{CommunityID: w.community.ID, CategoryID: w.category, Purpose: "x", Amount: "1", Payee: "y"},
			[]model.ReceiptFile{pdfReceipt(model.ReceiptPDFMax)})
		if firstField(err) != "receipts[0]" {
			t.Errorf("a PDF over the limit: %v", err)
		}
		if _, err := st.CreateFundRequest(ctx, w.other, model.FundRequestInput{CommunityID: w.community.ID, CategoryID: w.category, Purpose: "x", Amount: "1", Payee: "y"}, nil); firstField(err) != "community_id" {
			t.Errorf("a request in another community: %v", err)
		}
		cats, _ := st.FundCategories(ctx, false)
		if _, err := st.CreateFundRequest(ctx, w.staff, model.FundRequestInput{CommunityID: w.community.ID, CategoryID: cats[2].ID, Purpose: "x", Amount: "1", Payee: "y"}, nil); firstField(err) != "category_id" {
			t.Errorf("a request without a budget: %v", err)
		}
		r := w.request(t, st, "1234.56", model.ReceiptFile{Name: "票.jpg", Data: modeltest.JPEG(t, 40, 30)}, pdfReceipt(100))
		if r.AmountFen != 123456 || len(r.Steps) != 2 || r.Status != model.FundPending || r.Step != 1 || len(r.Receipts) != 2 || !r.Receipts[1].IsPDF() || r.Receipts[0].ContentType != model.PhotoType {
			t.Fatalf("request: %+v", r)
		}
		if _, b, err := st.FundReceiptOf(ctx, w.secretary, r.ID, 2); err != nil || !bytes.HasPrefix(b.Data, []byte("%PDF-")) {
			t.Errorf("the PDF receipt: %v", err)
		}
		if _, _, err := st.FundReceiptOf(ctx, w.other, r.ID, 1); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a receipt of another community: %v", err)
		}
		if _, err := st.FundRequest(ctx, w.other, r.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a request of another community: %v", err)
		}

		// The chain: not the street first, not one's own request.
		if _, err := st.DecideFundRequest(ctx, w.streetAdmin, r.ID, model.FundDecision{Approve: true}); !forbiddenOf(err) {
			t.Errorf("the street before the community: %v", err)
		}
		own, err := st.CreateFundRequest(ctx, w.secretary, model.FundRequestInput{CommunityID: w.community.ID, CategoryID: w.category, Purpose: "书记自己的申请", Amount: "10", Payee: "y"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.DecideFundRequest(ctx, w.secretary, own.ID, model.FundDecision{Approve: true}); !forbiddenOf(err) {
			t.Errorf("approving one's own request: %v", err)
		}
		if _, err := st.DecideFundRequest(ctx, w.secretary, own.ID, model.FundDecision{Approve: false}); firstField(err) != "reason" {
			t.Errorf("a rejection without a reason: %v", err)
		}
		got, err := st.DecideFundRequest(ctx, w.secretary, r.ID, model.FundDecision{Approve: true, Reason: "同意"})
		if err != nil || got.Step != 2 || got.Status != model.FundPending || got.Steps[0].Decision != "approved" || got.Steps[0].DeciderName == "" {
			t.Fatalf("step 1: %+v, %v", got, err)
		}
		if _, err := st.DecideFundRequest(ctx, w.secretary, r.ID, model.FundDecision{Approve: true}); !forbiddenOf(err) {
			t.Errorf("the community deciding the street's step: %v", err)
		}
		got, err = st.DecideFundRequest(ctx, w.streetAdmin, r.ID, model.FundDecision{Approve: true})
		if err != nil || got.Status != model.FundPaid || got.TxnID == 0 || got.DecidedAt == nil {
			t.Fatalf("step 2: %+v, %v", got, err)
		}
		if _, err := st.DecideFundRequest(ctx, w.streetAdmin, r.ID, model.FundDecision{Approve: true}); !conflictOf(err) {
			t.Errorf("deciding a paid request: %v", err)
		}
		// Balances: allocated 12000.50, spent 1234.56.
		bal, err := st.FundBalanceOf(ctx, w.streetAdmin, 0, w.year)
		if err != nil || bal.AllocatedFen != 1200050 || bal.SpentFen != 123456 || bal.AvailableFen != 1200050-123456 {
			t.Fatalf("street balance: %+v, %v", bal, err)
		}
		if bal, err := st.FundBalanceOf(ctx, w.other, 0, w.year); err != nil || bal.AllocatedFen != 0 {
			t.Errorf("the other community's balance: %+v, %v", bal, err)
		}
		if _, err := st.FundBalanceOf(ctx, w.other, w.community.ID, w.year); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a balance outside the territory: %v", err)
		}

		// Over the budget: refused without the override, nothing changed; a community admin may
		// not override; the street may, with a reason, audited.
		big := w.request(t, st, "20000")
		if _, err := st.DecideFundRequest(ctx, w.secretary, big.ID, model.FundDecision{Approve: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DecideFundRequest(ctx, w.streetAdmin, big.ID, model.FundDecision{Approve: true}); firstField(err) != "override_reason" {
			t.Errorf("over the budget without the override: %v", err)
		}
		if r, _ := st.FundRequest(ctx, w.streetAdmin, big.ID); r.Status != model.FundPending || r.Step != 2 {
			t.Errorf("the refused payment changed the request: %+v", r)
		}
		if bal2, _ := st.FundBalanceOf(ctx, w.streetAdmin, 0, w.year); *bal2 != *bal {
			t.Errorf("the refused payment changed the balance: %+v", bal2)
		}
		if _, err := st.DecideFundRequest(ctx, w.secretary, own.ID, model.FundDecision{Approve: true, Override: true, OverrideReason: "急需"}); firstField(err) != "override" {
			t.Errorf("a community admin overriding: %v", err)
		}
		paid, err := st.DecideFundRequest(ctx, w.streetAdmin, big.ID, model.FundDecision{Approve: true, Override: true, OverrideReason: "防汛应急，已报区里备案"})
		if err != nil || paid.Status != model.FundPaid || paid.OverrideReason == "" || paid.OverrideByName == "" {
			t.Fatalf("override: %+v, %v", paid, err)
		}
		recs, err := st.AuditLog(ctx, authz.System(), store.AuditFilter{Action: "fund.override"})
		if err != nil || len(recs.Items) != 1 {
			t.Errorf("the override's audit: %v, %v", recs, err)
		}

		// Rejection ends the request.
		rej, err := st.DecideFundRequest(ctx, w.streetAdmin, own.ID, model.FundDecision{Approve: false, Reason: "请补充票据"})
		if !forbiddenOf(err) {
			t.Errorf("the street deciding step 1: %+v %v", rej, err)
		}
		staff2 := authz.ForUser(mustUser(t, st, "fundsecretary2", model.RoleCommunityAdmin, w.community))
		rej, err = st.DecideFundRequest(ctx, staff2, own.ID, model.FundDecision{Approve: false, Reason: "请补充票据"})
		if err != nil || rej.Status != model.FundRejected || rej.RejectReason != "请补充票据" {
			t.Errorf("rejected: %+v, %v", rej, err)
		}

		// The books hold; the statement adds up; the public summary has no payee.
		if err := st.CheckFundLedger(ctx); err != nil {
			t.Error(err)
		}
		stm, err := st.FundStatementOf(ctx, w.streetAdmin, w.community.ID, w.year, 0)
		if err != nil || len(stm.Lines) != 1 || stm.Total.AllocatedFen != 1200050 || stm.Total.SpentFen != 123456+2000000 || stm.Total.ClosingFen != 1200050-2123456 || len(stm.Payments) != 2 {
			t.Errorf("statement: %+v, %v", stm, err)
		}
		month := int(time.Now().In(model.Shanghai).Month())
		if stm, err := st.FundStatementOf(ctx, w.streetAdmin, 0, w.year, month); err != nil || stm.Total.SpentFen != 2123456 {
			t.Errorf("this month's statement: %+v, %v", stm, err)
		}
		d, err := st.Disclosure(ctx, w.community.Code)
		if err != nil || len(d.Funds) != 1 || d.Funds[0].SpentFen != 2123456 || d.Funds[0].Payments != 2 {
			t.Errorf("disclosure: %+v, %v", d.Funds, err)
		}
		page, err := st.FundRequests(ctx, w.secretary, store.FundRequestFilter{Status: model.FundPaid})
		if err != nil || page.Total != 2 || len(page.Items[0].Steps) != 2 {
			t.Errorf("paid requests: %+v, %v", page, err)
		}
		if page, err := st.FundRequests(ctx, w.other, store.FundRequestFilter{}); err != nil || page.Total != 0 {
			t.Errorf("another community's requests: %+v, %v", page, err)
		}
	})
}

// TestFundRaces: fifty approvers of one step at once — exactly one decides, the others get a
// conflict; twenty payments from one budget at once never take it below zero. Both engines.
func TestFundRaces(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustFundWorld(t, st)
		w.allocate(t, st, "1000")
		r := w.request(t, st, "10")
		var approvers []authz.Scope
		for i := range 50 {
			approvers = append(approvers, authz.ForUser(mustUser(t, st, fmt.Sprintf("approver%d", i), model.RoleCommunityAdmin, w.community)))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, lost := 0, 0
		for _, sc := range approvers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := st.DecideFundRequest(ctx, sc, r.ID, model.FundDecision{Step: 1, Approve: true})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case conflictOf(err):
					lost++
				default:
					t.Errorf("approve: %v", err)
				}
			}()
		}
		wg.Wait()
		if won != 1 || lost != 49 {
			t.Errorf("50 approvers: %d won, %d conflicts", won, lost)
		}
		got, _ := st.FundRequest(ctx, w.staff, r.ID)
		if got.Step != 2 || got.Steps[0].Decision != "approved" {
			t.Errorf("after the race: %+v", got)
		}

		// Twenty payments of 100 yuan, each at its last step, against 1000 yuan.
		var reqs []int64
		for range 20 {
			q := w.request(t, st, "100")
			if _, err := st.DecideFundRequest(ctx, w.secretary, q.ID, model.FundDecision{Approve: true}); err != nil {
				t.Fatal(err)
			}
			reqs = append(reqs, q.ID)
		}
		paid, refused := 0, 0
		for _, id := range reqs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := st.DecideFundRequest(ctx, w.streetAdmin, id, model.FundDecision{Approve: true})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					paid++
				case firstField(err) == "override_reason":
					refused++
				default:
					t.Errorf("pay: %v", err)
				}
			}()
		}
		wg.Wait()
		if paid != 10 || refused != 10 {
			t.Errorf("payments against 1000 yuan: %d paid, %d refused", paid, refused)
		}
		if bal, err := st.FundBalanceOf(ctx, w.streetAdmin, 0, w.year); err != nil || bal.AvailableFen != 0 {
			t.Errorf("left: %+v, %v", bal, err)
		}
		if err := st.CheckFundLedger(ctx); err != nil {
			t.Error(err)
		}
	})
}
