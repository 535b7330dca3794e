package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestSubjectPages: 我的 › 我的信息 shows a resident everything stored about them and nothing of
// others; a correction goes one question per page, through the check page, to staff in scope,
// who accept it; staff elsewhere get 404.
func TestSubjectPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustFixture(t, st, web.Options{})
		sys := authz.System()

		// Not linked yet: a clear empty state, and the correction form sends them back.
		res := f.as(t, "resident")
		r := res.get("/me/data").want(t, http.StatusOK)
		if got := text(one(t, r.Doc, ".empty-title")); !strings.Contains(got, "尚未关联") {
			t.Errorf("unlinked empty state = %q", got)
		}
		if loc := res.get("/me/corrections/new").want(t, http.StatusSeeOther).Header.Get("Location"); loc != "/me/data" {
			t.Errorf("unlinked correction form redirects to %q", loc)
		}

		ownID, spouseID := validID("510781", "19580312", 11), validID("510781", "19600101", 22)
		h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "1栋1单元101室", Flags: model.HouseholdFlags{ElderlyAlone: true}})
		if err != nil {
			t.Fatal(err)
		}
		own, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "张建国", IDNumber: ownID, Phone: "13812345678", Relation: model.RelationHead})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "刘秀英", IDNumber: spouseID, Relation: "配偶"}); err != nil {
			t.Fatal(err)
		}
		u, err := st.UserByUsername(ctx, "resident")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.LinkResident(ctx, sys, u.ID, own.ID); err != nil {
			t.Fatal(err)
		}

		r = res.get("/me/data").want(t, http.StatusOK)
		shown := strings.Join(texts(r.Doc, "dd"), "|")
		for _, want := range []string{ownID, "13812345678", "张建国", "1栋1单元101室", "独居老人", "刘秀英", model.MaskIDNumber(spouseID), "resident"} {
			if !strings.Contains(shown, want) {
				t.Errorf("我的信息 lacks %q", want)
			}
		}
		for _, leak := range []string{spouseID, "东胜户主", "8栋2单元302室"} {
			if strings.Contains(r.Body, leak) {
				t.Errorf("我的信息 shows %q of someone else", leak)
			}
		}
		one(t, r.Doc, `a[href="/me/corrections/new?field=id_number"]`)
		one(t, r.Doc, `a[href="/me/data/export"]`)
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q", r.Header.Get("Cache-Control"))
		}
		exp := res.get("/me/data/export").want(t, http.StatusOK)
		if cd := exp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(exp.Body, ownID) {
			t.Errorf("export: Content-Disposition %q, %d bytes", cd, len(exp.Body))
		}

		// One question per page.
		r = res.get("/me/corrections/new").want(t, http.StatusOK)
		if n := len(all(r.Doc, `input[type=radio][name=field]`)); n != len(model.CorrectionFields) {
			t.Errorf("field question has %d choices", n)
		}
		r = res.post("/me/corrections/new", url.Values{"step": {"field"}}).want(t, http.StatusUnprocessableEntity)
		one(t, r.Doc, ".error-summary a[href=\"#f-correction-field\"]")
		r = res.post("/me/corrections/new", url.Values{"step": {"field"}, "field": {"id_number"}}).want(t, http.StatusOK)
		one(t, r.Doc, `input[name=value]`)
		bad := ownID[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", ownID[17])+1)%11])
		r = res.post("/me/corrections/new", url.Values{"step": {"value"}, "field": {"id_number"}, "value": {bad}}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, r.Doc, ".field-error")); !strings.Contains(got, "校验码") {
			t.Errorf("bad ID number error = %q", got)
		}
		if got := attr(one(t, r.Doc, `input[name=value]`), "value"); got != bad {
			t.Errorf("input lost on error: %q", got)
		}
		newID := validID("510781", "19580313", 11)
		answers := url.Values{"field": {"id_number"}, "value": {newID}}
		r = res.post("/me/corrections/new", with(answers, "step", "value")).want(t, http.StatusOK)
		one(t, r.Doc, `input[name=reason]`)
		answers.Set("reason", "出生日期登记错了一天")
		r = res.post("/me/corrections/new", with(answers, "step", "reason")).want(t, http.StatusOK)
		if n := len(all(r.Doc, `form input[name=goto]`)); n != 3 {
			t.Errorf("check page has %d 更改 buttons, want 3", n)
		}
		if !strings.Contains(strings.Join(texts(r.Doc, "dd"), "|"), newID) {
			t.Errorf("check page does not show the answer")
		}
		r = res.post("/me/corrections/new", with(answers, "goto", "value")).want(t, http.StatusOK)
		if got := attr(one(t, r.Doc, `input[name=value]`), "value"); got != newID {
			t.Errorf("更改 lost the answer: %q", got)
		}
		// Going back to the field question and choosing another drops the answer that no longer fits.
		r = res.post("/me/corrections/new", with(answers, "goto", "field")).want(t, http.StatusOK)
		if !hasAttr(one(t, r.Doc, `input[type=radio][value=id_number]`), "checked") {
			t.Errorf("field question lost the choice")
		}
		r = res.post("/me/corrections/new", with(with(with(answers, "step", "field"), "was", "id_number"), "field", "occupation")).want(t, http.StatusOK)
		if got := attr(one(t, r.Doc, `input[name=value]`), "value"); got != "" {
			t.Errorf("another field kept the old answer %q", got)
		}
		r = res.post("/me/corrections/new", with(with(answers, "step", "field"), "was", "id_number")).want(t, http.StatusOK)
		if got := attr(one(t, r.Doc, `input[name=value]`), "value"); got != newID {
			t.Errorf("the same field lost its answer: %q", got)
		}
		r = res.post("/me/corrections/new", with(with(answers, "step", "check"), "confirm", "1")).want(t, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/me/data") || !strings.Contains(loc, "done=correction_sent") {
			t.Errorf("after submit Location = %q", loc)
		}
		r = res.get("/me/data?done=correction_sent").want(t, http.StatusOK)
		one(t, r.Doc, "#corrections .tag-gold")

		// Staff in scope see it and handle it; staff elsewhere get 404; roles without the action 403.
		if _, err := st.CreateUser(ctx, sys, store.UserInput{Username: "other", Password: password, Role: model.RoleCommunityAdmin, ScopeID: f.community2.ID}); err != nil {
			t.Fatal(err)
		}
		other := f.as(t, "other")
		r = other.get("/corrections").want(t, http.StatusOK)
		one(t, r.Doc, "#results .empty")
		mine, err := st.MyCorrections(ctx, u.ID)
		if err != nil || len(mine) != 1 {
			t.Fatalf("my corrections = %d, %v", len(mine), err)
		}
		path := "/corrections/" + strconv.FormatInt(mine[0].ID, 10)
		other.get(path).want(t, http.StatusNotFound)
		other.post(path+"/accept", url.Values{}).want(t, http.StatusNotFound)
		res.get("/corrections").want(t, http.StatusForbidden)
		f.as(t, "staff").get("/me/data").want(t, http.StatusForbidden)

		grid := f.as(t, "gridleader")
		r = grid.get("/corrections").want(t, http.StatusOK)
		row := strings.Join(texts(r.Doc, "#results tbody td"), "|")
		if !strings.Contains(row, model.MaskIDNumber(newID)) || strings.Contains(r.Body, newID) {
			t.Errorf("staff list row = %q, want the requested number masked", row)
		}
		r = grid.get(path).want(t, http.StatusOK)
		one(t, r.Doc, "form#form-accept")
		r = grid.post(path+"/reject", url.Values{"note": {""}}).want(t, http.StatusUnprocessableEntity)
		one(t, r.Doc, ".error-summary a[href=\"#f-reject-note\"]")
		r = grid.post(path+"/accept", url.Values{"note": {"已核对户口簿"}}).want(t, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); !strings.Contains(loc, "done=correction_accepted") {
			t.Errorf("after accept Location = %q", loc)
		}
		if got, err := st.Resident(ctx, sys, own.ID); err != nil || got.IDNumber.Plain() != newID {
			t.Errorf("after acceptance ID number = %v, %v", got, err)
		}
		r = res.get("/me/data").want(t, http.StatusOK)
		one(t, r.Doc, "#corrections .tag-green")
	})
}

func with(v url.Values, k, val string) url.Values {
	c := url.Values{}
	for key, vs := range v {
		c[key] = append([]string(nil), vs...)
	}
	c.Set(k, val)
	return c
}
