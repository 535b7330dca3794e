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

// TestNoticePages: staff publish a notice (bad input answered in the form), the resident's
// feed shows it unread, the resident taps 知道了 and the feed and staff's receipts follow;
// script in a title is shown as text; staff withdraw it with a reason and it leaves the feed.
func TestNoticePages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		var heads []int64
		for i, name := range []string{"王建华", "李秀英"} {
			h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: fmt.Sprintf("1栋1单元%d室", 101+i)})
			if err != nil {
				t.Fatal(err)
			}
			r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: name, IDNumber: validID("510781", "19650308", 60+i), Relation: model.RelationHead})
			if err != nil {
				t.Fatal(err)
			}
			heads = append(heads, r.ID)
		}
		u, err := st.UserByUsername(ctx, "resident")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.LinkResident(ctx, sys, u.ID, heads[0]); err != nil {
			t.Fatal(err)
		}
		staff := f.as(t, "staff")
		form := url.Values{"title": {"<script>alert(1)</script>停水通知"}, "territory_id": {fmt.Sprint(f.grid.ID)}, "body": {""}}
		res := staff.post("/notices/new", form).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "请填写公告内容") {
			t.Errorf("blank body: %q", got)
		}
		form.Set("body", "明天上午 9 点到 12 点停水，请提前储水。")
		res = staff.post("/notices/new", form).want(t, http.StatusSeeOther)
		loc := strings.Split(res.Header.Get("Location"), "?")[0]

		resident := f.as(t, "resident")
		res = resident.get("/notices").want(t, http.StatusOK)
		item := one(t, res.Doc, ".notice-item")
		if got := text(item); !strings.Contains(got, "未读") || !strings.Contains(got, "<script>alert(1)</script>停水通知") {
			t.Errorf("feed item: %q", got)
		}
		if len(all(res.Doc, "script:not([src])")) != 0 {
			t.Error("a script element from the title")
		}
		res = resident.get(loc).want(t, http.StatusOK)
		one(t, res.Doc, "#acknowledge")
		if got := text(one(t, res.Doc, ".crumbs")); !strings.Contains(got, "公告详情") {
			t.Errorf("the crumbs name the section twice: %q", got)
		}
		resident.post(loc+"/read", url.Values{}).want(t, http.StatusSeeOther)
		res = resident.get(loc).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#acknowledged")); got != "本户已读" {
			t.Errorf("after 知道了: %q", got)
		}
		res = staff.get(loc).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#reads")); got != "已读 1 / 2 户" {
			t.Errorf("receipts: %q", got)
		}
		if got := text(one(t, res.Doc, "#notice-unread")); !strings.Contains(got, "1栋1单元102室") || strings.Contains(got, "101室") {
			t.Errorf("unread households: %q", got)
		}
		if n := len(all(res.Doc, "#unread-more")); n != 0 {
			t.Errorf("all unread households listed, yet %d notes of more", n)
		}
		resident.post(loc+"/withdraw", url.Values{"reason": {"x"}}).want(t, http.StatusForbidden)
		staff.post(loc+"/withdraw", url.Values{"reason": {""}}).want(t, http.StatusUnprocessableEntity)
		staff.post(loc+"/withdraw", url.Values{"reason": {"时间改了"}}).want(t, http.StatusSeeOther)
		res = resident.get("/notices").want(t, http.StatusOK)
		if n := len(all(res.Doc, ".notice-item")); n != 0 {
			t.Errorf("%d notices after withdrawing", n)
		}
		resident.get(loc).want(t, http.StatusNotFound)

		// More households than the page lists: it says how many more.
		for i := range unreadShownForTest + 1 {
			if _, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: fmt.Sprintf("2栋%d室", 101+i)}); err != nil {
				t.Fatal(err)
			}
		}
		form.Set("title", "冬季用电安全提示")
		res = staff.post("/notices/new", form).want(t, http.StatusSeeOther)
		res = staff.get(strings.Split(res.Header.Get("Location"), "?")[0]).want(t, http.StatusOK)
		if n := len(all(res.Doc, "#notice-unread tbody tr")); n != unreadShownForTest {
			t.Errorf("%d unread households listed, want %d", n, unreadShownForTest)
		}
		if got := text(one(t, res.Doc, "#unread-more")); got != "只列出前 100 户，另有 3 户未读" {
			t.Errorf("the households beyond the list: %q", got)
		}
	})
}

// unreadShownForTest is how many unread households a notice's page lists.
const unreadShownForTest = 100
