package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

func TestTerritoryBrowser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		c := f.as(t, "streetadmin")
		page := fmt.Sprintf("/territories/%d", f.community.ID)
		res := c.get(page).want(t, http.StatusOK)
		// The breadcrumb starts at the caller's scope, not above it.
		if got := texts(res.Doc, "nav.crumbs li"); strings.Join(got, "›") != "中坝街道›天宝社区" {
			t.Errorf("breadcrumb = %q", got)
		}
		if got := texts(res.Doc, "table tbody th.cell-title a"); len(got) != 1 || got[0] != "第一网格" {
			t.Errorf("children = %q", got)
		}
		if got := texts(res.Doc, ".timeline li strong"); len(got) == 0 || got[0] != "新建" {
			t.Errorf("history = %q", got)
		}
		one(t, res.Doc, "details#form-child[open] select[name=kind] option[selected][value=grid]")

		// Add a child: a bad code is shown at the field, the name kept.
		res = c.post(page+"/children", url.Values{"kind": {"grid"}, "name": {"第二网格"}, "code": {"12345"}}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#f-child-code-error")); !strings.Contains(got, "12位") {
			t.Errorf("code error = %q", got)
		}
		if got := attr(one(t, res.Doc, "#f-child-name"), "value"); got != "第二网格" {
			t.Errorf("name kept = %q", got)
		}
		one(t, res.Doc, "details#form-child[open]")
		one(t, res.Doc, ".error-summary a[href=#f-child-code]")
		// A kind that cannot sit under a community.
		res = c.post(page+"/children", url.Values{"kind": {"street"}, "name": {"错层"}}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#f-child-kind-error")); !strings.Contains(got, "不能添加") {
			t.Errorf("kind error = %q", got)
		}
		res = c.post(page+"/children", url.Values{"kind": {"grid"}, "name": {"第二网格"}}).want(t, http.StatusSeeOther)
		res = c.get(res.Header.Get("Location")).want(t, http.StatusOK)
		if got := texts(res.Doc, "table tbody th.cell-title a"); strings.Join(got, ",") != "第一网格,第二网格" {
			t.Errorf("children after add = %q, want them in the order they were added", got)
		}
		if text(one(t, res.Doc, ".notice")) == "" {
			t.Errorf("no confirmation")
		}

		// Rename, then move the building under the new grid by its id.
		var grid2 string
		for _, a := range all(res.Doc, "table tbody th.cell-title a") {
			if text(a) == "第二网格" {
				grid2 = attr(a, "href")
			}
		}
		res = c.post(grid2+"/rename", url.Values{"name": {""}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, "details#form-rename[open] #f-rename-name-error")
		c.post(grid2+"/rename", url.Values{"name": {"第二网格（新）"}, "code": {""}}).want(t, http.StatusSeeOther)
		building := fmt.Sprintf("/territories/%d", f.building.ID)
		res = c.get(building).want(t, http.StatusOK)
		one(t, res.Doc, "details#form-move select[name=parent_id] option")
		res = c.post(building+"/move", url.Values{"parent_ref": {"999999"}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, "details#form-move[open] #f-move-parent_ref-error")
		res = c.post(building+"/move", url.Values{"parent_ref": {fmt.Sprint(f.stairwell.ID)}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, "#f-move-parent_ref-error")
		c.post(building+"/move", url.Values{"parent_ref": {strings.TrimPrefix(grid2, "/territories/")}}).want(t, http.StatusSeeOther)
		res = c.get(building).want(t, http.StatusOK)
		if got := texts(res.Doc, "nav.crumbs li"); strings.Join(got, "›") != "中坝街道›天宝社区›第二网格（新）›1栋" {
			t.Errorf("breadcrumb after move = %q", got)
		}

		// Archive: the check page first; a node with households cannot go.
		res = c.get(fmt.Sprintf("/territories/%d/archive", f.community2.ID)).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, ".callout-warn")); !strings.Contains(got, "还有1户") {
			t.Errorf("archive blocked reason = %q", got)
		}
		if len(all(res.Doc, "form[action$=/archive]")) != 0 {
			t.Errorf("the check page offers to archive a node with households")
		}
		res = c.post(fmt.Sprintf("/territories/%d/archive", f.community2.ID), nil).want(t, http.StatusConflict)
		one(t, res.Doc, ".error-summary li")
		// The old grid is empty now: archive it and land on its parent.
		grid1 := fmt.Sprintf("/territories/%d", f.grid.ID)
		res = c.get(grid1+"/archive").want(t, http.StatusOK)
		one(t, res.Doc, "form[action="+grid1+"/archive] button[type=submit]")
		res = c.post(grid1+"/archive", nil).want(t, http.StatusSeeOther)
		if got := res.Header.Get("Location"); !strings.HasPrefix(got, page) {
			t.Errorf("after archive, redirect to %q, want the parent", got)
		}
		res = c.get(grid1).want(t, http.StatusOK)
		if len(all(res.Doc, "details#form-child")) != 0 {
			t.Errorf("an archived node still offers to add children")
		}
	})
}

func TestTerritoryRootsForSystemAdmin(t *testing.T) {
	t.Parallel()
	f := mustFixture(t, storetest.Open(t, "sqlite"), web.Options{})
	c := f.as(t, "sysadmin")
	res := c.get("/territories").want(t, http.StatusOK)
	if got := texts(res.Doc, "table tbody th.cell-title a"); len(got) != 1 || got[0] != "江油市" {
		t.Errorf("roots = %q", got)
	}
	res = c.post("/territories", url.Values{"name": {"广安区"}, "code": {"51160"}}).want(t, http.StatusUnprocessableEntity)
	one(t, res.Doc, "#f-root-code-error")
	res = c.post("/territories", url.Values{"name": {"广安区"}, "code": {"511602000000"}}).want(t, http.StatusSeeOther)
	res = c.get(res.Header.Get("Location")).want(t, http.StatusOK)
	if got := text(one(t, res.Doc, "h1")); !strings.HasPrefix(got, "广安区") {
		t.Errorf("new root page h1 = %q", got)
	}
	// A scoped administrator cannot add a root.
	f.as(t, "streetadmin").post("/territories", url.Values{"name": {"越权区"}}).want(t, http.StatusForbidden)
}
