package securitytest_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"mime/multipart"
	"net/url"
	"strconv"
	"sync"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
)

// Special funds' part of the matrix (专项经费, issue 12 item 1). A request belongs to a
// community: the relations own … same community share c1's, same street has c2's, other street
// c3's. Staff reach the funds of their territory's communities (the default territory reach);
// street and district admins allocate; district admins keep the catalogue and the chain. Each
// community has a budget line of the first category this year, allocated as the system, so the
// request routes' bodies pass. A decision's fresh request has its first step's role set to the
// caller's, so that the role the route names is the one that decides (the chain is data, not a
// role's right); it is made as the system, so it is nobody's own.

const (
	fundRequestObj  objKind = 2300 + iota // the standing request of the relation's community, with a receipt
	fundFreshObj                          // a fresh pending request (receipts)
	fundDecideObj                         // a fresh pending request whose first step is the caller's role
	fundCategoryObj                       // the standing category the PATCH renames
)

const (
	fundRead     routeKind = 3200 + iota // budgets, requests, receipts, balances, statements: staff by territory
	fundRequest                          // make requests, add receipts: staff by territory
	fundApprove                          // decide a pending step: staff by territory (the step's role, checked by the store)
	fundAllocate                         // allocate budget: street and district admins by territory
	fundConfig                           // the catalogue and the chain: district admins
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case fundRead, fundRequest, fundApprove:
			return staffRole(r), true
		case fundAllocate:
			return r == model.RoleSystemAdmin || r == model.RoleDistrictAdmin || r == model.RoleStreetAdmin, true
		case fundConfig:
			return r == model.RoleSystemAdmin || r == model.RoleDistrictAdmin, true
		}
		return false, false
	})
	extraKindNames[fundRead] = "fund read"
	extraKindNames[fundRequest] = "fund request"
	extraKindNames[fundApprove] = "fund approve"
	extraKindNames[fundAllocate] = "fund allocate"
	extraKindNames[fundConfig] = "fund config"
}

type fundWorld struct {
	category int64
	standing map[int64]int64 // request by community
	named    int64           // the category PATCH renames
}

var (
	fundMu     sync.Mutex
	fundWorlds = map[*fixture]*fundWorld{}
)

func (w *world) fundWorld() *fundWorld {
	w.tb.Helper()
	fundMu.Lock()
	defer fundMu.Unlock()
	if f, ok := fundWorlds[w.fixture]; ok {
		return f
	}
	ctx := context.Background()
	cats, err := w.st.FundCategories(ctx, false)
	if err != nil || len(cats) == 0 {
		w.tb.Fatalf("fund categories: %v", err)
	}
	f := &fundWorld{category: cats[0].ID, standing: map[int64]int64{}}
	c, err := w.st.CreateFundCategory(ctx, authz.System(), model.FundCategoryInput{Name: fmt.Sprintf("矩阵类别%d", w.nextSeq())})
	if err != nil {
		w.tb.Fatal(err)
	}
	f.named = c.ID
	year := time.Now().In(model.Shanghai).Year()
	for _, rel := range []relation{relOwn, relStreet, relOther} {
		cm := w.communityOfRel(rel)
		if _, err := w.st.AllocateFund(ctx, authz.System(), model.FundAllocationInput{CommunityID: cm.ID, CategoryID: f.category, Year: year, Amount: "100000000"}); err != nil {
			w.tb.Fatalf("allocate to %s: %v", cm.Name, err)
		}
		f.standing[cm.ID] = w.fundRequestIn(f, rel, modeltest.JPEG(w.tb, 24, 18))
	}
	fundWorlds[w.fixture] = f
	return f
}

// fundRequestIn makes a request in the relation's community as the system, with a receipt
// when one is given.
func (w *world) fundRequestIn(f *fundWorld, rel relation, receipt []byte) int64 {
	w.tb.Helper()
	var files []model.ReceiptFile
	if receipt != nil {
		files = []model.ReceiptFile{{Name: "r.jpg", Data: receipt}}
	}
	r, err := w.st.CreateFundRequest(context.Background(), authz.System(), model.FundRequestInput{CommunityID: w.communityOfRel(rel).ID, CategoryID: f.category,
		Purpose: fmt.Sprintf("矩阵申请%d", w.nextSeq()), Amount: "10", Payee: "矩阵收款方"}, files)
	if err != nil {
		w.tb.Fatalf("fund request at %s: %v", rel, err)
	}
	return r.ID
}

// fundObject is the standing object of kind at the relation.
func (w *world) fundObject(kind objKind, rel relation) int64 {
	f := w.fundWorld()
	if kind == fundCategoryObj {
		return f.named
	}
	return f.standing[w.communityOfRel(rel).ID]
}

// fundFresh is a fresh request of the relation's community; for a decision, its first step
// is the caller's role.
func (w *world) fundFresh(kind objKind, rel relation, role model.Role) int64 {
	w.tb.Helper()
	id := w.fundRequestIn(w.fundWorld(), rel, nil)
	if kind == fundDecideObj {
		if _, err := w.st.DB().ExecContext(context.Background(), `UPDATE fund_request_steps SET role = $1 WHERE request_id = $2 AND step = 1`, string(role), id); err != nil {
			w.tb.Fatal(err)
		}
	}
	return id
}

func fundReceiptBody(w *world, _ relation, _ int64) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("receipts", "r.jpg")
	_, _ = fw.Write(modeltest.JPEG(w.tb, 24, 18))
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func fundRequestBody(api bool) func(w *world, rel relation, _ int64) (string, []byte) {
	return func(w *world, rel relation, _ int64) (string, []byte) {
		f := w.fundWorld()
		c := w.communityOfRel(rel).ID
		if api {
			return "application/json", fmt.Appendf(nil, `{"community_id":"%d","category_id":"%d","purpose":"矩阵用途","amount":"12.34","payee":"矩阵收款方"}`, c, f.category)
		}
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range map[string]string{"community_id": strconv.FormatInt(c, 10), "category_id": strconv.FormatInt(f.category, 10), "purpose": "矩阵页面用途", "amount": "1.50", "payee": "矩阵收款方"} {
			_ = mw.WriteField(k, v)
		}
		_ = mw.Close()
		return mw.FormDataContentType(), b.Bytes()
	}
}

func fundAllocationBody(api bool) func(w *world, rel relation, _ int64) (string, []byte) {
	return func(w *world, rel relation, _ int64) (string, []byte) {
		f := w.fundWorld()
		c := w.communityOfRel(rel).ID
		year := time.Now().In(model.Shanghai).Year()
		if api {
			return "application/json", fmt.Appendf(nil, `{"community_id":"%d","category_id":"%d","year":%d,"amount":"100"}`, c, f.category, year)
		}
		return formBody(func(*world, relation, int64) url.Values {
			return url.Values{"community_id": {strconv.FormatInt(c, 10)}, "category_id": {strconv.FormatInt(f.category, 10)}, "year": {strconv.Itoa(year)}, "amount": {"100"}}
		})(w, rel, 0)
	}
}

var fundPatternKinds = map[string]objKind{
	"/api/v1/funds/requests/{id}/receipts":   fundFreshObj,
	"/api/v1/funds/requests/{id}/decision":   fundDecideObj,
	"/api/v1/funds/requests/{id}/receipts/1": fundRequestObj,
	"/api/v1/funds/categories/{id}":          fundCategoryObj,
	"/funds/{id}/decide":                     fundDecideObj,
	"/funds/{id}/receipts":                   fundFreshObj,
	"/funds/config/categories/{id}":          fundCategoryObj,
}

var fundObjKinds = map[string]objKind{
	"/api/v1/funds/requests/{id}": fundRequestObj,
	"/funds/{id}":                 fundRequestObj,
}

var fundSpecs = map[string]spec{
	"GET /api/v1/funds/categories": {kind: fundRead},
	"POST /api/v1/funds/categories": {kind: fundConfig, body: func(w *world, _ relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"name":"矩阵新类别%d"}`, w.nextSeq())
	}},
	"PATCH /api/v1/funds/categories/{id}": {kind: fundConfig, body: func(w *world, _ relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"name":"矩阵改名%d","active":true}`, w.nextSeq())
	}},
	"GET /api/v1/funds/chain":                      {kind: fundRead},
	"PUT /api/v1/funds/chain":                      {kind: fundConfig, body: jsonBody(`{"steps":[{"role":"community_admin","label":"社区书记审批"},{"role":"street_admin","label":"街道审批"}]}`)},
	"GET /api/v1/funds/budgets":                    {kind: fundRead},
	"POST /api/v1/funds/allocations":               {kind: fundAllocate, scoped: true, ref: true, body: fundAllocationBody(true)},
	"GET /api/v1/funds/balance":                    {kind: fundRead},
	"GET /api/v1/funds/statement":                  {kind: fundRead},
	"GET /api/v1/funds/requests":                   {kind: fundRead},
	"POST /api/v1/funds/requests":                  {kind: fundRequest, scoped: true, ref: true, body: fundRequestBody(true)},
	"GET /api/v1/funds/requests/{id}":              {kind: fundRead, scoped: true},
	"POST /api/v1/funds/requests/{id}/receipts":    {kind: fundRequest, scoped: true, fresh: true, body: fundReceiptBody},
	"GET /api/v1/funds/requests/{id}/receipts/{n}": {kind: fundRead, scoped: true},
	"POST /api/v1/funds/requests/{id}/decision":    {kind: fundApprove, scoped: true, fresh: true, body: jsonBody(`{"decision":"reject","reason":"矩阵驳回","step":1}`)},

	// The pages: the requests, the form, the budgets with the street's allocation form, the
	// statement and its xlsx, a request with its decision and receipts forms.
	"GET /funds":                {kind: fundRead},
	"GET /funds/new":            {kind: fundRequest},
	"POST /funds/new":           {kind: fundRequest, scoped: true, ref: true, body: fundRequestBody(false)},
	"GET /funds/budgets":        {kind: fundRead},
	"POST /funds/budgets":       {kind: fundAllocate, scoped: true, ref: true, body: fundAllocationBody(false)},
	"GET /funds/statement":      {kind: fundRead},
	"GET /funds/statement.xlsx": {kind: fundRead},
	"GET /funds/{id}":           {kind: fundRead, scoped: true},
	"POST /funds/{id}/decide": {kind: fundApprove, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"decision": {"reject"}, "reason": {"矩阵页面驳回"}, "step": {"1"}}
	})},
	"POST /funds/{id}/receipts": {kind: fundRequest, scoped: true, fresh: true, body: fundReceiptBody},

	// The settings: the catalogue with its forms, the chain's form.
	"GET /funds/config": {kind: fundConfig},
	"POST /funds/config/categories": {kind: fundConfig, body: formBody(func(w *world, _ relation, _ int64) url.Values {
		return url.Values{"name": {fmt.Sprintf("矩阵页面类别%d", w.nextSeq())}, "sort": {"5"}}
	})},
	"POST /funds/config/categories/{id}": {kind: fundConfig, body: formBody(func(w *world, _ relation, _ int64) url.Values {
		return url.Values{"name": {fmt.Sprintf("矩阵页面改名%d", w.nextSeq())}, "active": {"1"}}
	})},
	"POST /funds/config/chain": {kind: fundConfig, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"role_1": {"community_admin"}, "label_1": {"社区书记审批"}, "role_2": {"street_admin"}, "label_2": {"街道审批"}}
	})},
}

func init() {
	maps.Copy(specs, fundSpecs)
	maps.Copy(patternKinds, fundPatternKinds)
	maps.Copy(objKinds, fundObjKinds)
}
