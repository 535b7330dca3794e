package web_test

import (
	"errors"
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

// TestEditPages changes a household and a resident on their edit pages and finds the change
// on the household page and in its history, and the audit record of each; the ID number and
// phone are never shown in full on the way.
func TestEditPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "1栋1单元101室", MovedInAt: "2020-05-01"})
		if err != nil {
			t.Fatal(err)
		}
		headID := validID("510781", "19650308", 11)
		head, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "王建华", IDNumber: headID,
			Phone: "13812345678", Relation: model.RelationHead})
		if err != nil {
			t.Fatal(err)
		}
		m, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "王小明", IDNumber: validID("510781", "19950611", 13),
			Relation: "子女", Occupation: "学生"})
		if err != nil {
			t.Fatal(err)
		}
		c := f.as(t, "staff")
		show := fmt.Sprintf("/households/%d", h.ID)
		res := c.get(show).want(t, http.StatusOK)
		one(t, res.Doc, fmt.Sprintf(".page-actions a[href=/households/%d/edit]", h.ID))
		one(t, res.Doc, fmt.Sprintf(".lead a[href=/residents/%d/edit]", head.ID))
		one(t, res.Doc, fmt.Sprintf("td.cell-actions a[href=/residents/%d/edit]", m.ID))

		// The household: address, a flag and the move-in date.
		res = c.get(show+"/edit").want(t, http.StatusOK)
		if got := attr(one(t, res.Doc, "#f-household-address"), "value"); got != "1栋1单元101室" {
			t.Errorf("address in the form = %q", got)
		}
		if len(all(res.Doc, "input[name=hardship]")) != 1 {
			t.Errorf("staff is not offered the hardship flag")
		}
		res = c.post(show+"/edit", url.Values{"address": {"1栋1单元102室"}, "moved_in_at": {"2021-06-01"}, "elderly_alone": {"1"}}).want(t, http.StatusSeeOther)
		res = c.get(res.Header.Get("Location")).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, ".notice")); !strings.Contains(got, "住户信息已保存") {
			t.Errorf("notice = %q", got)
		}
		if got := text(one(t, res.Doc, "h1")); !strings.Contains(got, "1栋1单元102室") {
			t.Errorf("heading after the edit = %q", got)
		}
		history := strings.Join(texts(res.Doc, ".timeline li"), "\n")
		if !strings.Contains(history, "地址：1栋1单元101室 → 1栋1单元102室") || !strings.Contains(history, "迁入日期：2020-05-01 → 2021-06-01") {
			t.Errorf("history does not show the change:\n%s", history)
		}

		// The member: a new phone, a new occupation; the form shows the ID number masked only.
		edit := fmt.Sprintf("/residents/%d/edit", m.ID)
		res = c.get(edit).want(t, http.StatusOK)
		if got := attr(one(t, res.Doc, "#f-resident-id_number"), "value"); got != "" {
			t.Errorf("the new ID number starts as %q, want empty", got)
		}
		if strings.Contains(res.Body, m.IDNumber.Plain()) {
			t.Errorf("the edit form shows the full ID number")
		}
		if got := attr(one(t, res.Doc, "#f-resident-occupation"), "value"); got != "学生" {
			t.Errorf("occupation in the form = %q", got)
		}
		if len(all(res.Doc, "#f-resident-relation option[value=户主]")) != 0 {
			t.Errorf("a second head is offered")
		}
		res = c.post(edit, url.Values{"name": {"王小明"}, "relation": {"子女"}, "political_status": {"masses"},
			"occupation": {"教师"}, "phone": {"13987654321"}}).want(t, http.StatusSeeOther)
		if got := res.Header.Get("Location"); !strings.HasPrefix(got, show+"?") {
			t.Errorf("redirect to %q, want the household", got)
		}
		res = c.get(res.Header.Get("Location")).want(t, http.StatusOK)
		history = strings.Join(texts(res.Doc, ".timeline li"), "\n")
		if !strings.Contains(history, "修改成员") || !strings.Contains(history, "王小明：联系电话、职业") {
			t.Errorf("history does not show the member's change:\n%s", history)
		}
		if strings.Contains(res.Body, "13987654321") || strings.Contains(res.Body, "7654321") {
			t.Errorf("the household page shows the new phone in full")
		}
		got, err := st.Resident(ctx, sys, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Phone.Plain() != "13987654321" || got.Occupation != "教师" || got.IDNumber.Plain() != m.IDNumber.Plain() {
			t.Errorf("stored = phone %q occupation %q, ID number changed: %v", got.Phone.Plain(), got.Occupation, got.IDNumber.Plain() != m.IDNumber.Plain())
		}
		audit, err := st.AuditLog(ctx, sys, store.AuditFilter{Action: "resident.update", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(audit.Items) != 1 || audit.Items[0].Detail != "fields=phone,occupation" {
			t.Errorf("audit of the edit = %+v", audit.Items)
		}

		// Clearing the phone is a box to tick, not an empty field.
		c.post(fmt.Sprintf("/residents/%d/edit", head.ID), url.Values{"name": {"王建华"}, "relation": {"户主"}, "political_status": {"masses"},
			"phone_clear": {"1"}}).want(t, http.StatusSeeOther)
		if got, _ := st.Resident(ctx, sys, head.ID); !got.Phone.IsZero() || got.IDNumber.Plain() != headID {
			t.Errorf("after clearing: phone %q, ID number kept %v", got.Phone.Plain(), got.IDNumber.Plain() == headID)
		}
	})
}

// TestEditPagesRefuse: roles that may not write get 403, objects outside the scope 404, and a
// field the role may not see cannot be changed through the store call the pages and the API use.
func TestEditPagesRefuse(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "1栋1单元101室"})
		if err != nil {
			t.Fatal(err)
		}
		m, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "王建华", IDNumber: validID("510781", "19650308", 11),
			Relation: model.RelationHead, PoliticalStatus: model.StatusPartyMember})
		if err != nil {
			t.Fatal(err)
		}
		f.leadUnit(t, h.ID)
		unit := f.as(t, "unitleader")
		unit.get(fmt.Sprintf("/households/%d/edit", h.ID)).want(t, http.StatusForbidden)
		unit.get(fmt.Sprintf("/residents/%d/edit", m.ID)).want(t, http.StatusForbidden)
		res := unit.get(fmt.Sprintf("/households/%d", h.ID)).want(t, http.StatusOK)
		if n := len(all(res.Doc, "a[href$=/edit]")); n != 0 {
			t.Errorf("unit leader is offered %d edit links", n)
		}
		others, err := st.Residents(ctx, sys, store.ResidentFilter{HouseholdID: f.household2.ID, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		com := f.as(t, "comadmin")
		com.get(fmt.Sprintf("/households/%d/edit", f.household2.ID)).want(t, http.StatusNotFound)
		com.get(fmt.Sprintf("/residents/%d/edit", others.Items[0].ID)).want(t, http.StatusNotFound)
		com.post(fmt.Sprintf("/residents/%d/edit", others.Items[0].ID), url.Values{"name": {"改名"}, "relation": {"户主"}}).want(t, http.StatusNotFound)

		// The store call both surfaces make refuses a field the scope does not see.
		leader := scopeOf(t, f, "unitleader")
		masses, on, phone := model.StatusMasses, true, "13900001111"
		for name, err := range map[string]error{
			"political status": func() error {
				_, err := st.PatchResident(ctx, leader, m.ID, model.ResidentPatch{PoliticalStatus: &masses})
				return err
			}(),
			"phone": func() error {
				_, err := st.PatchResident(ctx, leader, m.ID, model.ResidentPatch{Phone: &phone})
				return err
			}(),
			"hardship": func() error {
				_, err := st.PatchHousehold(ctx, leader, h.ID, model.HouseholdPatch{Flags: model.HouseholdFlagsPatch{Hardship: &on}})
				return err
			}(),
		} {
			if !errors.Is(err, model.ErrForbidden) {
				t.Errorf("%s patched by a unit leader: %v, want forbidden", name, err)
			}
		}
		if got, _ := st.Resident(ctx, sys, m.ID); got.PoliticalStatus != model.StatusPartyMember || !got.Phone.IsZero() {
			t.Errorf("resident changed: %+v", got)
		}
	})
}
