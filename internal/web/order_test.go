package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// orderWorld is the fixture with a household for the resident account, a neighbour household
// with an account of its own, and the member account registered as a volunteer.
type orderWorld struct {
	*fixture
	own, neighbour *model.Household
	cats           []*model.OrderCategory
}

func mustOrderWorld(t *testing.T, st *store.Store) *orderWorld {
	t.Helper()
	ctx, sys := context.Background(), authz.System()
	f := mustFixture(t, st, web.Options{})
	w := &orderWorld{fixture: f}
	for i, addr := range []string{"1栋1单元101室", "1栋1单元102室"} {
		h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: addr})
		if err != nil {
			t.Fatal(err)
		}
		r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: fmt.Sprintf("住户%d", i), IDNumber: validID("510781", "19600101", 11+i), Relation: model.RelationHead})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			w.own = h
			u, err := st.UserByUsername(ctx, "resident")
			if err != nil {
				t.Fatal(err)
			}
			if err := st.LinkResident(ctx, sys, u.ID, r.ID); err != nil {
				t.Fatal(err)
			}
		} else {
			w.neighbour = h
			u, err := st.CreateUser(ctx, sys, store.UserInput{Username: "neighbour", DisplayName: "邻居", Password: password, Role: model.RoleResident, ScopeID: f.community.ID})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.LinkResident(ctx, sys, u.ID, r.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	m, err := st.UserByUsername(ctx, "member")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RegisterTaker(ctx, sys, store.TakerInput{UserID: m.ID, Kind: "volunteer", Name: "王志愿", TerritoryID: f.grid.ID, Skills: "水电维修"}); err != nil {
		t.Fatal(err)
	}
	if w.cats, err = st.OrderCategories(ctx, sys, f.community.ID); err != nil {
		t.Fatal(err)
	}
	return w
}

func orderID(t *testing.T, loc string) string {
	t.Helper()
	id, ok := strings.CutPrefix(loc, "/orders/")
	if !ok {
		t.Fatalf("redirect to %q, want an order's page", loc)
	}
	id, _, _ = strings.Cut(id, "?")
	return id
}

// TestOrderPages: a resident places an order from the phone form (a double submit with the
// form's key makes one order), a volunteer finds it near, claims it, marks it done, and the
// resident rates it; the page's poller gets 204 while nothing changed; a neighbour gets 404.
func TestOrderPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := mustOrderWorld(t, st)
		res := w.as(t, "resident")
		form := res.get("/orders/new").want(t, http.StatusOK)
		if n := len(all(form.Doc, "#form-order input[name=category_id]")); n != len(model.DefaultOrderCategories) {
			t.Errorf("%d category chips, want %d", n, len(model.DefaultOrderCategories))
		}
		key := attr(one(t, form.Doc, "#form-order input[name=idem_key]"), "value")
		if key == "" {
			t.Fatal("no idempotency key in the form")
		}
		if again := attr(one(t, res.get("/orders/new").Doc, "input[name=idem_key]"), "value"); again == key {
			t.Error("the key is the same on two renderings of the form")
		}
		fields := map[string][]string{"category_id": {fmt.Sprint(w.cats[1].ID)}, "description": {"水龙头漏水，想请人修一下"},
			"preferred_time": {"周六上午"}, "idem_key": {key}}
		first := res.postMultipart("/orders/new", fields, modeltest.JPEG(t, 32, 24)).want(t, http.StatusSeeOther)
		id := orderID(t, first.Header.Get("Location"))
		second := res.postMultipart("/orders/new", fields, modeltest.JPEG(t, 32, 24)).want(t, http.StatusSeeOther)
		if got := orderID(t, second.Header.Get("Location")); got != id {
			t.Errorf("the double submit went to order %s, want %s", got, id)
		}
		mine := res.get("/orders/mine").want(t, http.StatusOK)
		if n := len(all(mine.Doc, "article.order-item")); n != 1 {
			t.Fatalf("我的订单 lists %d orders, want 1", n)
		}
		page := res.get("/orders/"+id).want(t, http.StatusOK)
		if got := text(one(t, page.Doc, "#order-status")); got != "待接单" {
			t.Errorf("status %q, want 待接单", got)
		}
		if len(all(page.Doc, "#act-cancel")) != 1 || len(all(page.Doc, "#act-rate")) != 0 {
			t.Error("the resident should be offered cancel only")
		}
		// The photo placed with it is on the page (served by the API's route to the session, as
		// the activities' photos are).
		if imgs := all(page.Doc, "#order-photos img"); len(imgs) != 1 || attr(imgs[0], "src") != "/api/v1/orders/"+id+"/photos/1" {
			t.Errorf("the order's page shows %d photos, want its one", len(imgs))
		}
		live := one(t, page.Doc, "#order-live")
		poll := attr(live, "hx-get")
		if attr(live, "data-live-subject") != "order:"+id || attr(one(t, page.Doc, "body"), "data-live") == "" {
			t.Errorf("the page does not follow the order's live updates: subject %q", attr(live, "data-live-subject"))
		}
		if !strings.Contains(poll, "since=") || attr(live, "hx-trigger") != "live, every 10s" {
			t.Errorf("the page does not follow the order: hx-get=%q trigger=%q", poll, attr(live, "hx-trigger"))
		}
		res.get(poll, "HX-Request", "true").want(t, http.StatusNoContent)

		// A neighbour in the same stairwell cannot open it.
		w.as(t, "neighbour").get("/orders/"+id).want(t, http.StatusNotFound)

		vol := w.as(t, "member")
		near := vol.get("/orders/near").want(t, http.StatusOK)
		item := one(t, near.Doc, "#order-"+id)
		if strings.Contains(text(item), "101室") {
			t.Error("the near list shows the address before the order is claimed")
		}
		vol.post("/orders/"+id+"/act", url.Values{"action": {"claim"}}).want(t, http.StatusSeeOther)
		// The resident's poller now gets the changed page.
		changed := res.get(poll, "HX-Request", "true").want(t, http.StatusOK)
		if got := text(one(t, changed.Doc, "#order-status")); got != "服务中" {
			t.Errorf("after the claim the resident sees %q", got)
		}
		taking := vol.get("/orders/taking").want(t, http.StatusOK)
		if len(all(taking.Doc, "#order-"+id)) != 1 {
			t.Error("我接的单 does not list the claimed order")
		}
		vp := vol.get("/orders/"+id).want(t, http.StatusOK)
		if !strings.Contains(text(one(t, vp.Doc, "#order-address")), "101室") {
			t.Error("the taker does not see the address after claiming")
		}
		vol.post("/orders/"+id+"/act", url.Values{"action": {"done"}, "hours": {"1.5"}}).want(t, http.StatusSeeOther)

		// Six stars is refused with the reason next to the field; one to five is taken.
		bad := res.post("/orders/"+id+"/act", url.Values{"action": {"rate"}, "stars": {"6"}}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, bad.Doc, "#form-rate .field-error")); !strings.Contains(got, "1 到 5 颗星") {
			t.Errorf("rating 6 stars: %q", got)
		}
		res.post("/orders/"+id+"/act", url.Values{"action": {"rate"}, "stars": {"5"}, "comment": {"师傅很细心"}}).want(t, http.StatusSeeOther)
		done := res.get("/orders/"+id+"?done=order_rate").want(t, http.StatusOK)
		if got := text(one(t, done.Doc, "#order-rating")); !strings.Contains(got, "5 星") || !strings.Contains(got, "师傅很细心") {
			t.Errorf("rating shown as %q", got)
		}
		if hist := texts(done.Doc, "#order-history li strong"); strings.Join(hist, "/") != "下单/接单/完成服务/评价" {
			t.Errorf("history %q", hist)
		}
	})
}

// TestOrderNearWithoutPlace: 附近订单 names an order's place where the volunteer's account reaches
// it; where it does not (an account scoped to its own stairwell, an order of another building),
// the line says when the resident would like it, without a separator before it.
func TestOrderNearWithoutPlace(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	w := mustOrderWorld(t, st)
	ctx, sys := context.Background(), authz.System()
	stair, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: w.grid.ID, Kind: model.KindStairwell, Name: "2单元"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: "1栋2单元201室"})
	if err != nil {
		t.Fatal(err)
	}
	staff, err := st.UserByUsername(ctx, "staff")
	if err != nil {
		t.Fatal(err)
	}
	o, _, err := st.PlaceOrder(ctx, authz.ForUser(staff), model.OrderInput{CategoryID: w.cats[0].ID, HouseholdID: h.ID, Description: "帮忙换个灯泡", PreferredTime: "周六上午"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, sys, store.UserInput{Username: "xiaoli", DisplayName: "小李", Password: password, Role: model.RoleMember, ScopeID: w.stairwell.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RegisterTaker(ctx, sys, store.TakerInput{UserID: u.ID, Kind: "volunteer", Name: "小李", TerritoryID: w.community.ID}); err != nil {
		t.Fatal(err)
	}
	near := w.as(t, "xiaoli").get("/orders/near").want(t, http.StatusOK)
	if got := text(one(t, near.Doc, fmt.Sprintf("#order-%d p.hint", o.ID))); got != "希望：周六上午" {
		t.Errorf("the order's line reads %q, want 希望：周六上午", got)
	}
}

// TestOrderPageErrors: the place form keeps the input and says in Chinese what to fix: no
// description, a file that is not an image; a lost claim says 已被他人接单.
func TestOrderPageErrors(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	w := mustOrderWorld(t, st)
	res := w.as(t, "resident")
	key := attr(one(t, res.get("/orders/new").Doc, "input[name=idem_key]"), "value")
	page := res.postMultipart("/orders/new", map[string][]string{"category_id": {fmt.Sprint(w.cats[0].ID)}, "preferred_time": {"明天"}, "idem_key": {key}},
		[]byte("<html>not a photo</html>")).want(t, http.StatusUnprocessableEntity)
	summary := texts(page.Doc, ".error-summary li")
	if len(summary) != 2 || !strings.Contains(strings.Join(summary, "|"), "请说明需要什么帮助") {
		t.Errorf("summary %q", summary)
	}
	if got := text(one(t, page.Doc, "#form-order .field-invalid .field-error")); got == "" {
		t.Error("no error next to the field")
	}
	if len(all(page.Doc, ".field-invalid input[type=file]")) != 1 {
		t.Error("the photo input is not marked invalid")
	}
	if got := attr(one(t, page.Doc, "#f-order-preferred_time"), "value"); got != "明天" {
		t.Errorf("input lost: preferred time %q", got)
	}
	if got := attr(one(t, page.Doc, "input[name=idem_key]"), "value"); got != key {
		t.Errorf("the key changed on the error page: %q", got)
	}
	if n := len(all(res.get("/orders/mine").Doc, "article.order-item")); n != 0 {
		t.Errorf("%d orders stored from a refused form", n)
	}

	// Two takers race for one order: the second is told it was taken.
	o, _, err := st.PlaceOrder(t.Context(), authz.System(), model.OrderInput{CategoryID: w.cats[0].ID, HouseholdID: w.neighbour.ID, Description: "帮忙取快递"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.CreateUser(t.Context(), authz.System(), store.UserInput{Username: "volunteer2", DisplayName: "志愿者二", Password: password, Role: model.RoleResident, ScopeID: w.community.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RegisterTaker(t.Context(), authz.System(), store.TakerInput{UserID: other.ID, Kind: "volunteer", Name: "李志愿", TerritoryID: w.community.ID}); err != nil {
		t.Fatal(err)
	}
	w.as(t, "volunteer2").post(fmt.Sprintf("/orders/%d/act", o.ID), url.Values{"action": {"claim"}}).want(t, http.StatusSeeOther)
	lost := w.as(t, "member").post(fmt.Sprintf("/orders/%d/act", o.ID), url.Values{"action": {"claim"}}).want(t, http.StatusConflict)
	if got := strings.Join(texts(lost.Doc, ".error-summary li"), ""); got != "已被他人接单" {
		t.Errorf("the loser reads %q", got)
	}
}

// TestOrderDispatchPage: staff see the board, open an order and dispatch it to a taker chosen
// from the community's takers with their load; the taker accepts; staff place an order on
// behalf of a household found by address.
func TestOrderDispatchPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := mustOrderWorld(t, st)
		ctx := context.Background()
		staff := w.as(t, "staff")
		pick := staff.get("/orders/new?q="+url.QueryEscape("102")).want(t, http.StatusOK)
		// Staff place on behalf of a household: not told to ask staff to, for want of one of their own.
		if len(all(pick.Doc, "#no-household")) != 0 {
			t.Errorf("staff are told %q", text(one(t, pick.Doc, "#no-household")))
		}
		href := attr(one(t, pick.Doc, ".order-pick a"), "href")
		form := staff.get(href).want(t, http.StatusOK)
		if !strings.Contains(text(one(t, form.Doc, "#order-for")), "102室") {
			t.Errorf("on-behalf form for %q", text(one(t, form.Doc, "#order-for")))
		}
		loc := staff.postMultipart("/orders/new", map[string][]string{"category_id": {fmt.Sprint(w.cats[2].ID)}, "description": {"陪老人去医院复查"},
			"household_id": {fmt.Sprint(w.neighbour.ID)}, "idem_key": {attr(one(t, form.Doc, "input[name=idem_key]"), "value")}}).want(t, http.StatusSeeOther).Header.Get("Location")
		id := orderID(t, loc)
		board := staff.get("/orders?status=open").want(t, http.StatusOK)
		if len(all(board.Doc, "#board-all #row-"+id)) != 1 {
			t.Fatal("the board does not list the placed order")
		}
		// Its time limit passed.
		if _, err := st.DB().ExecContext(ctx, "UPDATE orders SET due_at = placed_at WHERE id = "+id); err != nil {
			t.Fatal(err)
		}
		w.clock.step(t, totpSecret)
		board = staff.get("/orders").want(t, http.StatusOK)
		if len(all(board.Doc, "#board-overdue #row-"+id)) != 1 {
			t.Error("the overdue order is not on top")
		}
		page := staff.get("/orders/"+id).want(t, http.StatusOK)
		opts := all(page.Doc, "#form-dispatch select[name=taker_id] option")
		if len(opts) != 1 || !strings.Contains(text(opts[0]), "王志愿") || !strings.Contains(text(opts[0]), "手头没有未完成的单") {
			t.Fatalf("takers offered: %q", texts(page.Doc, "#form-dispatch option"))
		}
		staff.post("/orders/"+id+"/act", url.Values{"action": {"dispatch"}, "taker_id": {attr(opts[0], "value")}}).want(t, http.StatusSeeOther)
		vol := w.as(t, "member")
		vp := vol.get("/orders/"+id).want(t, http.StatusOK)
		if len(all(vp.Doc, "#act-accept")) != 1 || len(all(vp.Doc, "#act-decline")) != 1 {
			t.Fatal("the taker is not offered accept and decline")
		}
		empty := vol.post("/orders/"+id+"/act", url.Values{"action": {"decline"}}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, empty.Doc, "#form-reason .field-error")); !strings.Contains(got, "请说明原因") {
			t.Errorf("decline without a reason: %q", got)
		}
		vol.post("/orders/"+id+"/act", url.Values{"action": {"accept"}}).want(t, http.StatusSeeOther)
		after := staff.get("/orders/"+id).want(t, http.StatusOK)
		if got := text(one(t, after.Doc, "#order-status")); got != "服务中" {
			t.Errorf("status after accept %q", got)
		}
	})
}

// TestOrderSettingsPage: staff add a category with its time limits (bad hours are refused in
// Chinese next to the field) and register a volunteer by username.
func TestOrderSettingsPage(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	w := mustOrderWorld(t, st)
	staff := w.as(t, "staff")
	page := staff.get("/orders/settings").want(t, http.StatusOK)
	if n := len(all(page.Doc, "#order-categories tbody tr")); n != len(model.DefaultOrderCategories) {
		t.Errorf("%d categories listed, want the %d defaults", n, len(model.DefaultOrderCategories))
	}
	for i, th := range all(page.Doc, "#order-categories thead th") {
		if text(th) == "" {
			t.Errorf("column %d of the categories has no heading", i+1)
		}
	}
	c := fmt.Sprint(w.community.ID)
	bad := staff.post("/orders/settings/categories", url.Values{"community": {c}, "name": {"理发"}, "take_within_hours": {"0"}, "finish_within_hours": {"两天"}}).
		want(t, http.StatusUnprocessableEntity)
	if got := texts(bad.Doc, "#form-cat .field-error"); len(got) != 1 || !strings.Contains(got[0], "整数") {
		t.Errorf("errors %q", got)
	}
	bad = staff.post("/orders/settings/categories", url.Values{"community": {c}, "name": {"理发"}, "take_within_hours": {"0"}, "finish_within_hours": {"48"}}).
		want(t, http.StatusUnprocessableEntity)
	if got := text(one(t, bad.Doc, "#form-cat .field-error")); !strings.Contains(got, "接单时限须为 1 到 720 小时") {
		t.Errorf("error %q", got)
	}
	staff.post("/orders/settings/categories", url.Values{"community": {c}, "name": {"理发"}, "take_within_hours": {"12"}, "finish_within_hours": {"48"}, "active": {"on"}}).
		want(t, http.StatusSeeOther)
	page = staff.get("/orders/settings?community="+c).want(t, http.StatusOK)
	if !strings.Contains(strings.Join(texts(page.Doc, "#order-categories tbody th"), "/"), "理发") {
		t.Error("the new category is not listed")
	}
	unknown := staff.post("/orders/settings/takers", url.Values{"community": {c}, "username": {"nobody"}, "kind": {"volunteer"}, "name": {"某人"}}).
		want(t, http.StatusUnprocessableEntity)
	if got := text(one(t, unknown.Doc, "#form-taker .field-error")); !strings.Contains(got, "没有这个账号") {
		t.Errorf("unknown account: %q", got)
	}
	staff.post("/orders/settings/takers", url.Values{"community": {c}, "username": {"neighbour"}, "kind": {"volunteer"}, "name": {"邻居志愿者"}, "skills": {"理发"}}).
		want(t, http.StatusSeeOther)
	page = staff.get("/orders/settings?community="+c).want(t, http.StatusOK)
	if got := strings.Join(texts(page.Doc, "#order-takers tbody th"), "/"); !strings.Contains(got, "邻居志愿者") || !strings.Contains(got, "王志愿") {
		t.Errorf("takers %q", got)
	}
	far := staff.post("/orders/settings/takers", url.Values{"community": {fmt.Sprint(w.community2.ID)}, "username": {"neighbour"}, "kind": {"volunteer"},
		"name": {"邻居志愿者"}, "territory_id": {fmt.Sprint(w.stairwell2.ID)}}).want(t, http.StatusUnprocessableEntity)
	if got := strings.Join(texts(far.Doc, ".error-summary li"), ""); !strings.Contains(got, "不在您的管辖范围内") {
		t.Errorf("a taker at another community's node: %q", got)
	}
	w.as(t, "gridleader").get("/orders/settings").want(t, http.StatusForbidden)
}

// TestOrderBoardForSecretary: a member's account (scoped to the stairwell it lives in) has no
// dispatch board until it holds the grid branch's secretary post; then 办事 offers the board, the
// board lists the grid's orders, and the order's page offers the ranked takers to dispatch to.
func TestOrderBoardForSecretary(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	w := mustOrderWorld(t, st)
	ctx, sys := context.Background(), authz.System()
	branch := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", w.grid, 0)
	u, err := st.CreateUser(ctx, sys, store.UserInput{Username: "secretary", DisplayName: "钱书记", Password: password, Role: model.RoleMember, ScopeID: w.stairwell.ID})
	if err != nil {
		t.Fatal(err)
	}
	mid := storetest.PartyMember(t, st, "钱书记", branch, u.ID)
	res := w.as(t, "resident")
	key := attr(one(t, res.get("/orders/new").Doc, "#form-order input[name=idem_key]"), "value")
	loc := res.postMultipart("/orders/new", map[string][]string{"category_id": {fmt.Sprint(w.cats[1].ID)}, "description": {"厨房水龙头漏水"},
		"idem_key": {key}}).want(t, http.StatusSeeOther).Header.Get("Location")
	id := orderID(t, loc)

	sec := w.as(t, "secretary")
	if n := len(all(sec.get("/services").want(t, http.StatusOK).Doc, "#tile-orders-board")); n != 0 {
		t.Error("办事 offers the board before the post")
	}
	sec.get("/orders").want(t, http.StatusSeeOther)

	if _, err := st.AddPost(ctx, sys, branch, model.PostInput{Post: model.PostSecretary, MemberID: mid, StartsOn: w.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if n := len(all(sec.get("/services").want(t, http.StatusOK).Doc, "#tile-orders-board")); n != 1 {
		t.Error("办事 does not offer the board to the branch secretary")
	}
	board := sec.get("/orders").want(t, http.StatusOK)
	if len(all(board.Doc, "#board-all #row-"+id)) != 1 {
		t.Fatal("the secretary's board does not list the grid's order")
	}
	page := sec.get("/orders/"+id).want(t, http.StatusOK)
	opts := all(page.Doc, "#form-dispatch select[name=taker_id] option")
	if len(opts) != 1 || !strings.Contains(text(opts[0]), "王志愿") {
		t.Fatalf("takers offered: %q", texts(page.Doc, "#form-dispatch option"))
	}
	sec.post("/orders/"+id+"/act", url.Values{"action": {"dispatch"}, "taker_id": {attr(opts[0], "value")}}).want(t, http.StatusSeeOther)
	if got := text(one(t, sec.get("/orders/"+id).want(t, http.StatusOK).Doc, "#order-status")); got != "已派单" {
		t.Errorf("status after the secretary dispatched: %q", got)
	}
}
