package api_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

func receiptForm(tb testing.TB, fields map[string]string, files map[string][]byte) (string, []byte) {
	tb.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for name, data := range files {
		fw, _ := mw.CreateFormFile("receipts", name)
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// TestFundAPI: a budget allocated, a request with a photo and a PDF receipt through the chain
// over HTTP — fen exact, bad receipts named, one's own request refused, two approvers at once
// (one 200, the other 409), the payment over the budget refused without the override, the
// statement as JSON and xlsx.
func TestFundAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		secretary := f.mustToken(t, model.RoleCommunityAdmin, tr.community)
		street := f.mustToken(t, model.RoleStreetAdmin, tr.street)
		year := time.Now().In(model.Shanghai).Year()
		cats := mustJSON[map[string][]map[string]any](t, f.mustDo(t, staff, "GET", "/api/v1/funds/categories", nil), http.StatusOK)["items"]
		cat := cats[0]["id"].(string)

		mustProblem(t, f.mustDo(t, secretary, "POST", "/api/v1/funds/allocations", map[string]any{"community_id": id(tr.community.ID), "category_id": cat, "year": year, "amount": "5000"}), http.StatusForbidden)
		p := mustProblem(t, f.mustDo(t, street, "POST", "/api/v1/funds/allocations", map[string]any{"community_id": id(tr.community.ID), "category_id": cat, "year": year, "amount": "5000.123"}), http.StatusUnprocessableEntity)
		if message(p, "amount") == "" {
			t.Errorf("a fraction of a fen: %+v", p)
		}
		b := mustJSON[map[string]any](t, f.mustDo(t, street, "POST", "/api/v1/funds/allocations", map[string]any{"community_id": id(tr.community.ID), "category_id": cat, "year": year, "amount": "5000"}), http.StatusCreated)
		if b["available_fen"].(float64) != 500000 {
			t.Fatalf("allocated: %v", b)
		}

		fields := map[string]string{"community_id": id(tr.community.ID), "category_id": cat, "purpose": "重阳节慰问老人", "amount": "1234.56", "payee": "天宝超市"}
		ct, body := receiptForm(t, fields, map[string][]byte{"a.html": []byte("<html><script>alert(1)</script></html>")})
		p = mustProblem(t, f.mustDoAs(t, staff, "POST", "/api/v1/funds/requests", ct, body), http.StatusUnprocessableEntity)
		if !strings.Contains(message(p, "receipts[0]"), "PDF") {
			t.Errorf("an HTML receipt: %+v", p)
		}
		ct, body = receiptForm(t, fields, map[string][]byte{"票.jpg": modeltest.JPEG(t, 40, 30), "发票.pdf": []byte("%PDF-1.4\n1 0 obj\n")})
		q := mustJSON[map[string]any](t, f.mustDoAs(t, staff, "POST", "/api/v1/funds/requests", ct, body), http.StatusCreated)
		rid := q["id"].(string)
		if q["amount_fen"].(float64) != 123456 || len(q["receipts"].([]any)) != 2 || len(q["steps"].([]any)) != 2 {
			t.Fatalf("request: %v", q)
		}
		rc := f.mustDo(t, secretary, "GET", "/api/v1/funds/requests/"+rid+"/receipts/1", nil)
		rc2 := f.mustDo(t, secretary, "GET", "/api/v1/funds/requests/"+rid+"/receipts/2", nil)
		if rc.status != 200 || rc2.status != 200 || !strings.HasPrefix(rc2.header.Get("Content-Disposition"), "attachment") && !strings.HasPrefix(rc.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("receipts: %d %v, %d %v", rc.status, rc.header, rc2.status, rc2.header)
		}

		own := mustJSON[map[string]any](t, f.mustDo(t, secretary, "POST", "/api/v1/funds/requests", map[string]any{"community_id": id(tr.community.ID), "category_id": cat, "purpose": "办公用品", "amount": "10", "payee": "文具店"}), http.StatusCreated)
		mustProblem(t, f.mustDo(t, secretary, "POST", "/api/v1/funds/requests/"+own["id"].(string)+"/decision", map[string]any{"decision": "approve", "step": 1}), http.StatusForbidden)

		// Two approvers of step 1 at once: one decides, the other is told it was taken.
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		if _, err := st.CreateUser(context.Background(), authz.System(), store.UserInput{Username: "secretary2", Password: password, Role: model.RoleCommunityAdmin, ScopeID: tr.community.ID, TOTPSecret: totpSecret}); err != nil {
			t.Fatal(err)
		}
		login := mustJSON[map[string]any](t, f.mustDo(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "secretary2", "password": password, "otp": mustOTP(t, totpSecret)}), http.StatusOK)
		for i, tok := range []string{secretary, login["token"].(string)} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = f.mustDo(t, tok, "POST", "/api/v1/funds/requests/"+rid+"/decision", map[string]any{"decision": "approve", "step": 1}).status
			}()
		}
		wg.Wait()
		if !(statuses[0] == 200 && statuses[1] == 409 || statuses[0] == 409 && statuses[1] == 200) {
			t.Errorf("two approvers: %v", statuses)
		}
		q = mustJSON[map[string]any](t, f.mustDo(t, street, "POST", "/api/v1/funds/requests/"+rid+"/decision", map[string]any{"decision": "approve", "step": 2}), http.StatusOK)
		if q["status"] != "paid" {
			t.Fatalf("paid: %v", q)
		}

		big := mustJSON[map[string]any](t, f.mustDo(t, staff, "POST", "/api/v1/funds/requests", map[string]any{"community_id": id(tr.community.ID), "category_id": cat, "purpose": "应急", "amount": "9000", "payee": "某公司"}), http.StatusCreated)
		bid := big["id"].(string)
		mustJSON[map[string]any](t, f.mustDo(t, secretary, "POST", "/api/v1/funds/requests/"+bid+"/decision", map[string]any{"decision": "approve"}), http.StatusOK)
		p = mustProblem(t, f.mustDo(t, street, "POST", "/api/v1/funds/requests/"+bid+"/decision", map[string]any{"decision": "approve"}), http.StatusUnprocessableEntity)
		if !strings.Contains(message(p, "override_reason"), "超出预算") {
			t.Errorf("over budget: %+v", p)
		}
		mustJSON[map[string]any](t, f.mustDo(t, street, "POST", "/api/v1/funds/requests/"+bid+"/decision", map[string]any{"decision": "approve", "override": true, "override_reason": "防汛应急"}), http.StatusOK)

		bal := mustJSON[map[string]any](t, f.mustDo(t, street, "GET", "/api/v1/funds/balance?territory="+id(tr.street.ID)+"&year="+id(int64(year)), nil), http.StatusOK)
		if bal["available_fen"].(float64) != 500000-123456-900000 {
			t.Errorf("balance: %v", bal)
		}
		stm := mustJSON[map[string]any](t, f.mustDo(t, staff, "GET", "/api/v1/funds/statement", nil), http.StatusOK)
		if len(stm["payments"].([]any)) != 2 {
			t.Errorf("statement: %v", stm)
		}
		x := f.mustDo(t, staff, "GET", "/api/v1/funds/statement?format=xlsx&month=0", nil)
		if x.status != 200 || !bytes.HasPrefix(x.body, []byte("PK")) {
			t.Errorf("xlsx: %d", x.status)
		}
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/funds/statement?month=13", nil), http.StatusBadRequest)
	})
}
