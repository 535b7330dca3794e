package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestStandardPages: the street administrator adds a manual item on the overview; staff enter
// the community's value on its page (bad input answered with the input kept), and the item is
// met; the overview counts it.
func TestStandardPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		street, staff := f.as(t, "streetadmin"), f.as(t, "staff")
		res := street.get("/standards").want(t, http.StatusOK)
		one(t, res.Doc, "#form-item")
		street.post("/standards/items", url.Values{"owner_id": {fmt.Sprint(f.street.ID)}, "code": {"BZ-01"}, "name": {"服务中心每周开放不少于 40 小时"},
			"method": {"manual"}, "op": {">="}, "threshold": {"四十"}, "unit": {"小时"}}).want(t, http.StatusUnprocessableEntity)
		street.post("/standards/items", url.Values{"owner_id": {fmt.Sprint(f.street.ID)}, "code": {"BZ-01"}, "name": {"服务中心每周开放不少于 40 小时"},
			"method": {"manual"}, "op": {">="}, "threshold": {"40"}, "unit": {"小时"}}).want(t, http.StatusSeeOther)
		items, err := st.StandardItems(t.Context(), staffScopeOf(t, st, f), store.BurdenCatalogFilter{})
		if err != nil || len(items) != 1 {
			t.Fatalf("items: %v %v", items, err)
		}
		page := fmt.Sprintf("/standards/communities/%d", f.community.ID)
		res = staff.get(page).want(t, http.StatusOK)
		one(t, res.Doc, fmt.Sprintf("#entry-%d", items[0].ID))
		res = staff.post("/standards/values", url.Values{"item_id": {fmt.Sprint(items[0].ID)}, "community_id": {fmt.Sprint(f.community.ID)}, "value": {"42"}, "evidence": {""}}).want(t, http.StatusUnprocessableEntity)
		if got := attr(one(t, res.Doc, fmt.Sprintf("#f-entry-%d-value", items[0].ID)), "value"); got != "42" {
			t.Errorf("the input is not kept: %q", got)
		}
		staff.post("/standards/values", url.Values{"item_id": {fmt.Sprint(items[0].ID)}, "community_id": {fmt.Sprint(f.community.ID)}, "value": {"42"}, "evidence": {"开放时间公示牌"}}).want(t, http.StatusSeeOther)
		res = staff.get(page).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, fmt.Sprintf("#status-%d", items[0].ID))); got != "达标" {
			t.Errorf("status: %q", got)
		}
		res = street.get("/standards").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, fmt.Sprintf("#community-%d", f.community.ID))); !strings.Contains(got, "1") {
			t.Errorf("overview row: %q", got)
		}
		f.as(t, "gridleader").get("/standards").want(t, http.StatusForbidden)
	})
}

func staffScopeOf(t *testing.T, st *store.Store, f *fixture) authz.Scope {
	t.Helper()
	return authz.Scope{UserID: mustUserID(t, st, "staff"), Role: model.RoleCommunityStaff, Path: f.community.Path}
}
