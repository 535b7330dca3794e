package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestUnitElectionPage: a resident sees its unit's open election with one button per
// candidate, votes with one tap, then sees 已投票 and no button; whom it chose is on no page.
func TestUnitElectionPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		var hs []int64
		var residentOfFirst int64
		for i, name := range []string{"王建华", "李秀英"} {
			h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: fmt.Sprintf("1栋1单元%d室", 101+i)})
			if err != nil {
				t.Fatal(err)
			}
			r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: name, IDNumber: validID("510781", "19650308", 30+i), Relation: model.RelationHead})
			if err != nil {
				t.Fatal(err)
			}
			hs = append(hs, h.ID)
			if i == 0 {
				residentOfFirst = r.ID
			}
		}
		unit := storetest.MustUnit(t, st, "一号联建单元", hs...)
		u, err := st.UserByUsername(ctx, "resident")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.LinkResident(ctx, sys, u.ID, residentOfFirst); err != nil {
			t.Fatal(err)
		}
		c := f.as(t, "resident")
		res := c.get("/me/unit-election").want(t, http.StatusOK)
		if len(all(res.Doc, ".empty")) != 1 {
			t.Errorf("no election: no empty state")
		}
		e, err := st.OpenUnitElection(ctx, sys, unit.ID, model.ElectionInput{ClosesAt: time.Now().Add(48 * time.Hour), TermMonths: 36})
		if err != nil {
			t.Fatal(err)
		}
		res = c.get("/me/unit-election").want(t, http.StatusOK)
		buttons := all(res.Doc, "form.election-vote button")
		if len(buttons) != 2 {
			t.Fatalf("%d candidate buttons, want 2", len(buttons))
		}
		cand := e.Candidates[1]
		c.post("/me/unit-election", url.Values{"election_id": {fmt.Sprint(e.ID)}, "candidate_id": {fmt.Sprint(cand.ID)}}).want(t, http.StatusSeeOther)
		res = c.get("/me/unit-election").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#voted")); got != "已投票" {
			t.Errorf("after voting: %q", got)
		}
		if n := len(all(res.Doc, "form.election-vote")); n != 0 {
			t.Errorf("after voting %d vote buttons remain", n)
		}
		if strings.Contains(text(one(t, res.Doc, "#election")), "1 票") {
			t.Errorf("the page shows a tally")
		}
		res = c.post("/me/unit-election", url.Values{"election_id": {fmt.Sprint(e.ID)}, "candidate_id": {fmt.Sprint(cand.ID)}}).want(t, http.StatusConflict)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "这一户已经投过票了，每户只能投一票") {
			t.Errorf("second vote: %q", got)
		}
		one(t, res.Doc, "#voted")
		f.as(t, "staff").get("/me/unit-election").want(t, http.StatusForbidden)
	})
}

// TestUnitElectionStaffPages: staff open an election from the unit page (bad input answered in
// the form with the input kept), follow which households voted (never the choice), cast a proxy
// vote (a second one for the same household refused), close it, and the unit page shows the
// elected leader, method, term and tallies; then an appointment with its reason.
func TestUnitElectionStaffPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		var hs, heads []int64
		for i, name := range []string{"王建华", "李秀英", "张国强"} {
			h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: fmt.Sprintf("1栋1单元%d室", 101+i)})
			if err != nil {
				t.Fatal(err)
			}
			r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: name, IDNumber: validID("510781", "19650308", 40+i), Relation: model.RelationHead})
			if err != nil {
				t.Fatal(err)
			}
			hs, heads = append(hs, h.ID), append(heads, r.ID)
		}
		unit := storetest.MustUnit(t, st, "二号联建单元", hs...)
		c := f.as(t, "staff")
		unitPath := fmt.Sprintf("/units/%d", unit.ID)
		res := c.get(unitPath).want(t, http.StatusOK)
		one(t, res.Doc, "#open-election")
		newPath := unitPath + "/elections/new"
		res = c.get(newPath).want(t, http.StatusOK)
		if n := len(all(res.Doc, "input[name=candidates]")); n != 3 {
			t.Fatalf("%d candidate boxes, want 3", n)
		}

		// Bad input: a closing time in words, no candidate; the term is kept.
		res = c.post(newPath, url.Values{"closes_at": {"下周五"}, "term_months": {"24"}}).want(t, http.StatusUnprocessableEntity)
		summary := text(one(t, res.Doc, ".error-summary"))
		for _, want := range []string{"截止时间格式不对", "请至少勾选一位候选人"} {
			if !strings.Contains(summary, want) {
				t.Errorf("summary %q lacks %q", summary, want)
			}
		}
		if v := attr(one(t, res.Doc, "#f-election-term_months"), "value"); v != "24" {
			t.Errorf("term after an error: %q", v)
		}
		// A closing time in the past is the model's error, under the field.
		res = c.post(newPath, url.Values{"closes_at": {"2020-01-01T20:00"}, "term_months": {"24"}, "candidates": {fmt.Sprint(heads[0])}}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#f-election-closes_at-error")); !strings.Contains(got, "截止时间应晚于") {
			t.Errorf("past closing time: %q", got)
		}
		closes := time.Now().Add(72 * time.Hour).In(model.Shanghai).Format("2006-01-02T15:04")
		res = c.post(newPath, url.Values{"closes_at": {closes}, "term_months": {"24"}, "candidates": {fmt.Sprint(heads[0]), fmt.Sprint(heads[1])}}).want(t, http.StatusSeeOther)
		loc := res.Header.Get("Location")
		if !strings.HasPrefix(loc, "/unit-elections/") {
			t.Fatalf("after opening: %q", loc)
		}
		electionPath, _, _ := strings.Cut(loc, "?")
		// A second open election of the unit is refused in the form.
		res = c.post(newPath, url.Values{"closes_at": {closes}, "term_months": {"24"}, "candidates": {fmt.Sprint(heads[0])}}).want(t, http.StatusConflict)
		if !strings.Contains(text(one(t, res.Doc, ".error-summary")), "已有进行中的选举") {
			t.Errorf("second election: %s", excerpt(res.Body))
		}

		res = c.get(electionPath).want(t, http.StatusOK)
		if n := len(all(res.Doc, "#election-households tbody tr")); n != 3 {
			t.Fatalf("%d households listed, want 3", n)
		}
		cands := all(res.Doc, "#form-proxy input[name=candidate_id]")
		if len(cands) != 2 {
			t.Fatalf("%d candidates in the proxy form", len(cands))
		}
		cand := attr(cands[1], "value")
		proxyPath := electionPath + "/proxy-votes"
		res = c.post(proxyPath, url.Values{"household_id": {fmt.Sprint(hs[2])}}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#f-proxy-candidate_id-error")); !strings.Contains(got, "请选择一位候选人") {
			t.Errorf("proxy without a candidate: %q", got)
		}
		if !hasAttr(one(t, res.Doc, fmt.Sprintf("#f-proxy-household_id option[value=%d]", hs[2])), "selected") {
			t.Errorf("the household choice is lost")
		}
		c.post(proxyPath, url.Values{"household_id": {fmt.Sprint(hs[2])}, "candidate_id": {cand}}).want(t, http.StatusSeeOther)
		res = c.post(proxyPath, url.Values{"household_id": {fmt.Sprint(hs[2])}, "candidate_id": {cand}}).want(t, http.StatusConflict)
		if !strings.Contains(text(one(t, res.Doc, ".error-summary")), "这一户已经投过票了") {
			t.Errorf("second proxy vote: %s", excerpt(res.Body))
		}
		res = c.get(electionPath).want(t, http.StatusOK)
		row := text(one(t, res.Doc, fmt.Sprintf("#election-households tr[data-household=%d]", hs[2])))
		if !strings.Contains(row, "已投票（代投）") {
			t.Errorf("proxy household row: %q", row)
		}
		if got := text(one(t, res.Doc, "#turnout")); got != "已有 1 / 3 户投票" {
			t.Errorf("turnout %q", got)
		}
		for _, v := range texts(one(t, res.Doc, "#election"), "td.num") {
			if v != "截止后公布" {
				t.Errorf("an open election shows a tally: %q", v)
			}
		}

		// Before the closing time, with households still to vote, no early close: the page says
		// why instead of the button, and a forged request is refused.
		if len(all(res.Doc, "#election-close")) != 0 || !strings.Contains(text(one(t, res.Doc, "#election-close-wait")), "全部住户都投票后") {
			t.Errorf("close offered at turnout 1/3: %s", excerpt(res.Body))
		}
		res = c.post(electionPath+"/close", url.Values{}).want(t, http.StatusConflict)
		if !strings.Contains(text(one(t, res.Doc, ".error-summary")), "全部住户都已投票") {
			t.Errorf("early close: %s", excerpt(res.Body))
		}
		for _, h := range hs[:2] {
			c.post(proxyPath, url.Values{"household_id": {fmt.Sprint(h)}, "candidate_id": {cand}}).want(t, http.StatusSeeOther)
		}
		one(t, c.get(electionPath).want(t, http.StatusOK).Doc, "#election-close")

		res = c.post(electionPath+"/close", url.Values{}).want(t, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, unitPath) {
			t.Errorf("after closing: %q", loc)
		}
		res = c.post(electionPath+"/close", url.Values{}).want(t, http.StatusConflict)
		if !strings.Contains(text(one(t, res.Doc, ".error-summary")), "该选举已经结束") {
			t.Errorf("second close: %s", excerpt(res.Body))
		}
		res = c.get(unitPath).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#leader-name")); got != "李秀英" {
			t.Errorf("leader %q", got)
		}
		if got := text(one(t, res.Doc, "#leader-method")); got != "选举产生" {
			t.Errorf("method %q", got)
		}
		since := time.Now().In(model.Shanghai).Format(time.DateOnly)
		if got := text(one(t, res.Doc, "#leader-term")); !strings.HasPrefix(got, "任期 "+since+" 至 ") {
			t.Errorf("term %q", got)
		}
		tally := texts(one(t, res.Doc, "#unit-elections"), ".election-tally td.num")
		if strings.Join(tally, ",") != "0,3" {
			t.Errorf("tallies %v", tally)
		}

		// Appointment: the reason is required, then recorded and shown.
		appoint := unitPath + "/leader/appoint"
		c.get(appoint).want(t, http.StatusOK)
		res = c.post(appoint, url.Values{"resident_id": {fmt.Sprint(heads[2])}, "term_months": {"十二"}}).want(t, http.StatusUnprocessableEntity)
		summary = text(one(t, res.Doc, ".error-summary"))
		for _, want := range []string{"任期请填写 6 到 60 之间的整数", "请写明指定理由"} {
			if !strings.Contains(summary, want) {
				t.Errorf("appointment summary %q lacks %q", summary, want)
			}
		}
		if !hasAttr(one(t, res.Doc, fmt.Sprintf("input[name=resident_id][value=%d]", heads[2])), "checked") {
			t.Errorf("the appointee choice is lost")
		}
		c.post(appoint, url.Values{"resident_id": {fmt.Sprint(heads[2])}, "term_months": {"12"}, "reason": {"原小组长外出务工，经居民代表协商指定"}}).want(t, http.StatusSeeOther)
		res = c.get(unitPath).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#leader-method")); got != "指定" {
			t.Errorf("method after appointment %q", got)
		}
		if got := text(one(t, res.Doc, "#leader-reason")); got != "原小组长外出务工，经居民代表协商指定" {
			t.Errorf("reason %q", got)
		}
		// A resident may not reach the staff forms.
		f.as(t, "resident").get(newPath).want(t, http.StatusForbidden)
	})
}
