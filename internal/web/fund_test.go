package web_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

func (c *client) postReceipts(path string, fields map[string]string, files map[string][]byte) *response {
	c.t.Helper()
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
	req, err := http.NewRequest(http.MethodPost, c.base+path, &b)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// TestFundPages: the street allocates from the budgets page; staff request from the phone form
// (a receipt that is no photo nor PDF refused with its reason and the input kept; a fraction of
// a fen refused); the community admin and the street approve on the request's page; the
// statement page and its xlsx show the payment; the public disclosure page shows the category's
// spending without the payee.
func TestFundPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		cats, err := st.FundCategories(t.Context(), false)
		if err != nil {
			t.Fatal(err)
		}
		cat := fmt.Sprint(cats[0].ID)
		year := fmt.Sprint(time.Now().In(model.Shanghai).Year())
		street, comadmin, staff := f.as(t, "streetadmin"), f.as(t, "comadmin"), f.as(t, "staff")
		res := street.get("/funds/budgets").want(t, http.StatusOK)
		one(t, res.Doc, "#form-allocation")
		alloc := url.Values{"community_id": {fmt.Sprint(f.community.ID)}, "category_id": {cat}, "year": {year}, "amount": {"3000.005"}}
		res = street.post("/funds/budgets", alloc).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "分") {
			t.Errorf("a fraction of a fen: %q", got)
		}
		alloc.Set("amount", "3000")
		street.post("/funds/budgets", alloc).want(t, http.StatusSeeOther)

		res = staff.get("/funds/new").want(t, http.StatusOK)
		one(t, res.Doc, "#f-fund-receipts")
		fields := map[string]string{"community_id": fmt.Sprint(f.community.ID), "category_id": cat, "purpose": "七一主题党日活动", "amount": "1280.50", "payee": "江油市印务公司"}
		res = staff.postReceipts("/funds/new", fields, map[string][]byte{"发票.pdf": []byte("<html>假发票</html>")}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "第 1 个文件") || !strings.Contains(got, "PDF") {
			t.Errorf("a fake receipt: %q", got)
		}
		if v := one(t, res.Doc, "#f-fund-purpose").Attr; !strings.Contains(fmt.Sprint(v), "七一主题党日活动") {
			t.Errorf("the input kept: %v", v)
		}
		res = staff.postReceipts("/funds/new", fields, map[string][]byte{"发票.jpg": modeltest.JPEG(t, 60, 40)}).want(t, http.StatusSeeOther)
		path := strings.Split(res.Header.Get("Location"), "?")[0]

		res = staff.get(path).want(t, http.StatusOK)
		if len(all(res.Doc, "#fund-receipts img")) != 1 || len(all(res.Doc, "#form-decision")) != 0 {
			t.Errorf("the requester's page: receipts %d, decision form %d", len(all(res.Doc, "#fund-receipts img")), len(all(res.Doc, "#form-decision")))
		}
		res = comadmin.get(path).want(t, http.StatusOK)
		one(t, res.Doc, "#form-decision")
		comadmin.post(path+"/decide", url.Values{"step": {"1"}, "decision": {"reject"}}).want(t, http.StatusUnprocessableEntity)
		comadmin.post(path+"/decide", url.Values{"step": {"1"}, "decision": {"approve"}, "reason": {"同意"}}).want(t, http.StatusSeeOther)
		comadmin.post(path+"/decide", url.Values{"step": {"1"}, "decision": {"approve"}}).want(t, http.StatusConflict)
		street.post(path+"/decide", url.Values{"step": {"2"}, "decision": {"approve"}}).want(t, http.StatusSeeOther)
		res = staff.get(path).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#fund-status")); !strings.Contains(got, "已批准支付") {
			t.Errorf("status: %q", got)
		}

		res = staff.get("/funds?status=paid").want(t, http.StatusOK)
		if len(all(res.Doc, "tbody tr")) != 1 {
			t.Errorf("paid requests listed: %d", len(all(res.Doc, "tbody tr")))
		}
		res = street.get("/funds/statement?year="+year).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#statement-total")); !strings.Contains(got, "1280.50") || !strings.Contains(got, "1719.50") {
			t.Errorf("statement total: %q", got)
		}
		x := street.get("/funds/statement.xlsx?year="+year).want(t, http.StatusOK)
		if !strings.HasPrefix(x.Body, "PK") {
			t.Errorf("xlsx: %.20q", x.Body)
		}
		f.as(t, "resident").get("/funds").want(t, http.StatusForbidden)
		anon := f.anon(t)
		res = anon.get("/p/"+f.community.Code).want(t, http.StatusOK)
		got := text(one(t, res.Doc, "#disclosure-funds"))
		if !strings.Contains(got, "1280.50") || strings.Contains(got, "印务公司") {
			t.Errorf("disclosure: %q", got)
		}
	})
}

// TestFundConfigPage: the system administrator reaches the settings from the funds page, adds
// and renames a category and retires it, and sets a two-step chain; a bad sort, a name in use
// and a chain step with a role that may not approve are refused on the page with the input
// kept and nothing saved. A street administrator is refused the page.
func TestFundConfigPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		admin := f.as(t, "sysadmin")
		res := admin.get("/funds").want(t, http.StatusOK)
		one(t, res.Doc, `a[href="/funds/config"]`)
		res = admin.get("/funds/config").want(t, http.StatusOK)
		one(t, res.Doc, "#form-category")
		one(t, res.Doc, "#form-chain")
		before, err := st.FundCategories(t.Context(), true)
		if err != nil {
			t.Fatal(err)
		}

		res = admin.post("/funds/config/categories", url.Values{"name": {"社区微更新经费"}, "sort": {"十"}}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "整数") {
			t.Errorf("a bad sort: %q", got)
		}
		if got := attr(one(t, res.Doc, "#f-category-name"), "value"); got != "社区微更新经费" {
			t.Errorf("the name is not kept: %q", got)
		}
		res = admin.post("/funds/config/categories", url.Values{"name": {before[0].Name}}).want(t, http.StatusConflict)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "已有名为") {
			t.Errorf("a name in use: %q", got)
		}
		if cs, _ := st.FundCategories(t.Context(), true); len(cs) != len(before) {
			t.Fatalf("a refused form saved a category: %d, want %d", len(cs), len(before))
		}
		res = admin.post("/funds/config/categories", url.Values{"name": {"社区微更新经费"}, "sort": {"90"}}).want(t, http.StatusSeeOther)
		// The notice's query goes before the fragment (after it, it was part of the fragment
		// and the page showed no notice).
		if loc := res.Header.Get("Location"); loc != "/funds/config?done=fund_config_saved#categories" {
			t.Errorf("Location = %q", loc)
		}
		res = admin.get(res.Header.Get("Location")).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, ".notice")); !strings.Contains(got, "经费类别已保存") {
			t.Errorf("the notice: %q", got)
		}
		cs, err := st.FundCategories(t.Context(), true)
		if err != nil || len(cs) != len(before)+1 {
			t.Fatalf("categories: %d %v", len(cs), err)
		}
		added := cs[len(cs)-1]
		path := fmt.Sprintf("/funds/config/categories/%d", added.ID)
		res = admin.post(path, url.Values{"entry": {fmt.Sprint(added.ID)}, "name": {""}, "sort": {"90"}, "active": {"1"}}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, fmt.Sprintf("#form-category-%d", added.ID))); !strings.Contains(got, "请填写经费类别名称") {
			t.Errorf("an empty name: %q", got)
		}
		admin.post(path, url.Values{"entry": {fmt.Sprint(added.ID)}, "name": {"小区微更新经费"}, "sort": {"95"}}).want(t, http.StatusSeeOther)
		res = admin.get("/funds/config").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, fmt.Sprintf("#category-%d", added.ID))); !strings.Contains(got, "小区微更新经费") || !strings.Contains(got, "已停用") {
			t.Errorf("the changed category: %q", got)
		}

		chain, err := st.FundChain(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		res = admin.post("/funds/config/chain", url.Values{"role_1": {"community_admin"}, "label_1": {"社区书记审批"}, "role_3": {"resident"}, "label_3": {"居民审批"}}).
			want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#chain-step-3")); !strings.Contains(got, "审批角色应为") {
			t.Errorf("a role that may not approve: %q", got)
		}
		if got := attr(one(t, res.Doc, "#f-chain-label_1"), "value"); got != "社区书记审批" {
			t.Errorf("the chain's input is not kept: %q", got)
		}
		if now, _ := st.FundChain(t.Context()); fmt.Sprint(now) != fmt.Sprint(chain) {
			t.Fatalf("a refused chain was saved: %v", now)
		}
		admin.post("/funds/config/chain", url.Values{"role_1": {"community_admin"}, "label_1": {"社区书记审批"}, "role_3": {"district_admin"}}).want(t, http.StatusSeeOther)
		got, err := st.FundChain(t.Context())
		if err != nil || len(got) != 2 || got[0].Role != model.RoleCommunityAdmin || got[1].Role != model.RoleDistrictAdmin || got[1].Step != 2 {
			t.Fatalf("chain: %v %v", got, err)
		}
		res = admin.get("/funds/config").want(t, http.StatusOK)
		if got := attr(one(t, res.Doc, "#f-chain-label_2"), "value"); got != "区县管理员审批" {
			t.Errorf("the second step's label: %q", got)
		}
		f.as(t, "streetadmin").get("/funds/config").want(t, http.StatusForbidden)
		f.as(t, "streetadmin").post("/funds/config/chain", url.Values{"role_1": {"street_admin"}}).want(t, http.StatusForbidden)
	})
}
