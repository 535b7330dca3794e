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

// TestVotePages: staff open a vote from the form (bad input answered in the form with the input
// kept); the resident of a household on the roll sees it in its list, casts its ballot and gets
// a receipt code, the household's second member is refused; staff cast a proxy ballot, follow
// the roll (who voted, never what), close it once everyone voted, and the result, turnout by
// building and the receipt check show. A resident of another community gets 404.
func TestVotePages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		var heads []int64
		var hs []int64
		for i, name := range []string{"王建华", "李秀英"} {
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
		spouse, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: hs[0], Name: "王妻", IDNumber: validID("510781", "19670101", 50), Relation: model.RelationSpouse})
		if err != nil {
			t.Fatal(err)
		}
		for name, rid := range map[string]int64{"resident": heads[0], "member": spouse.ID} {
			u, err := st.UserByUsername(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.LinkResident(ctx, sys, u.ID, rid); err != nil {
				t.Fatal(err)
			}
		}
		staff := f.as(t, "staff")
		staff.get("/votes/new").want(t, http.StatusOK)
		closes := time.Now().Add(72 * time.Hour).In(model.Shanghai).Format("2006-01-02T15:04")
		form := url.Values{"title": {""}, "territory_id": {fmt.Sprint(f.building.ID)}, "rule": {"household"}, "kind": {"yes_no"},
			"quorum": {"2/3"}, "threshold": {"majority"}, "closes_at": {closes}}
		res := staff.post("/votes/new", form).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "请填写表决事项") {
			t.Errorf("blank title: %q", got)
		}
		if got := attr(one(t, res.Doc, "#f-vote-closes_at"), "value"); got != closes {
			t.Errorf("the input is not kept: %q", got)
		}
		form.Set("title", "1栋是否加装电梯")
		res = staff.post("/votes/new", form).want(t, http.StatusSeeOther)
		loc := res.Header.Get("Location")
		id := strings.TrimPrefix(strings.Split(loc, "?")[0], "/votes/")
		v, err := st.Vote(ctx, sys, mustInt(t, id))
		if err != nil || v.Eligible != 2 {
			t.Fatalf("opened: %+v %v", v, err)
		}

		resident := f.as(t, "resident")
		res = resident.get("/votes").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#vote-"+id)); !strings.Contains(got, "待投票") {
			t.Errorf("the resident's list: %q", got)
		}
		res = resident.get("/votes/"+id).want(t, http.StatusOK)
		if n := len(all(res.Doc, "#ballot input[name=choices]")); n != 3 {
			t.Fatalf("%d choices on the ballot", n)
		}
		resident.post("/votes/"+id+"/ballot", url.Values{}).want(t, http.StatusUnprocessableEntity)
		res = resident.post("/votes/"+id+"/ballot", url.Values{"choices": {fmt.Sprint(v.Options[0].ID)}}).want(t, http.StatusOK)
		receipt := text(one(t, res.Doc, "#receipt-code"))
		if _, ok := model.NormalizeReceipt(receipt); !ok {
			t.Fatalf("receipt %q", receipt)
		}
		if got := text(one(t, res.Doc, "#voted")); got != "本户已投票" {
			t.Errorf("after voting: %q", got)
		}
		if strings.Contains(text(one(t, res.Doc, "#receipt")), "同意") {
			t.Error("the receipt shows the choice")
		}
		// The second member of the household: refused, nothing changed.
		res = f.as(t, "member").post("/votes/"+id+"/ballot", url.Values{"choices": {fmt.Sprint(v.Options[1].ID)}}).want(t, http.StatusConflict)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "这一户已经投过票了") {
			t.Errorf("second member: %q", got)
		}

		// Staff: the roll says who voted, never what; a proxy for the other household.
		res = staff.get("/votes/"+id).want(t, http.StatusOK)
		// The turnout follows the ballots while the vote is open (its fragment every 15 s).
		if box := one(t, res.Doc, "#turnout-box"); attr(box, "hx-trigger") != "every 15s" || attr(box, "hx-select") != "#turnout-box" {
			t.Errorf("the open vote's turnout is not live: hx-trigger %q", attr(box, "hx-trigger"))
		}
		if got := text(one(t, res.Doc, "#turnout")); !strings.Contains(got, "1") {
			t.Errorf("turnout %q", got)
		}
		roll := text(one(t, res.Doc, "#vote-roll"))
		if !strings.Contains(roll, "已投票") || !strings.Contains(roll, "未投票") || strings.Contains(roll, "同意") {
			t.Errorf("roll: %q", roll)
		}
		if got := text(one(t, res.Doc, "#vote-staff .pager-total")); got != "名册共 2 户" {
			t.Errorf("the roll's total: %q", got)
		}
		if got := text(one(t, res.Doc, "#f-proxy-voter_id")); !strings.Contains(got, "1栋1单元102室") || strings.Contains(got, "101室") {
			t.Errorf("the proxy's voters are those still to vote: %q", got)
		}
		// Found by address; nothing found says so and keeps the search.
		res = staff.get("/votes/"+id+"?q="+url.QueryEscape("101室")).want(t, http.StatusOK)
		if rows := all(res.Doc, "#vote-roll tbody tr"); len(rows) != 1 || !strings.Contains(text(rows[0]), "王建华") {
			t.Errorf("the roll found by address: %d rows", len(rows))
		}
		if got := attr(one(t, res.Doc, "#roll-q"), "value"); got != "101室" {
			t.Errorf("the search is not kept: %q", got)
		}
		res = staff.get("/votes/"+id+"?q="+url.QueryEscape("<b>9栋</b>")).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#roll-none")); !strings.Contains(got, "<b>9栋</b>") {
			t.Errorf("nothing found: %q", got)
		}
		if n := len(all(res.Doc, "#vote-roll, #proxy, #roll-none b")); n != 0 {
			t.Errorf("nothing found shows %d rolls, proxy forms or markup", n)
		}
		staff.get("/votes/"+id+"?cursor=x").want(t, http.StatusBadRequest)
		res = staff.get("/votes/"+id).want(t, http.StatusOK)
		if attr(one(t, res.Doc, "#close button"), "disabled") == "" && !hasAttr(one(t, res.Doc, "#close button"), "disabled") {
			t.Error("close is offered with a household still to vote")
		}
		staff.post("/votes/"+id+"/close", url.Values{}).want(t, http.StatusConflict)
		res = staff.post("/votes/"+id+"/proxy", url.Values{"voter_id": {fmt.Sprint(hs[1])}, "choices": {fmt.Sprint(v.Options[0].ID)}}).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#receipt h2")); got != "已代投" {
			t.Errorf("proxy: %q", got)
		}
		staff.post("/votes/"+id+"/close", url.Values{}).want(t, http.StatusSeeOther)
		res = resident.get("/votes/"+id+"?receipt="+url.QueryEscape(strings.ToLower(receipt))).want(t, http.StatusOK)
		if box := one(t, res.Doc, "#turnout-box"); hasAttr(box, "hx-trigger") {
			t.Error("a closed vote's turnout still polls")
		}
		if got := text(one(t, res.Doc, "#outcome")); got != "表决通过" {
			t.Errorf("outcome %q", got)
		}
		if got := text(one(t, res.Doc, "#turnout-buildings")); !strings.Contains(got, "1栋") {
			t.Errorf("turnout by building: %q", got)
		}
		if got := text(one(t, res.Doc, "#receipt-answer")); !strings.Contains(got, "已计入结果") {
			t.Errorf("receipt check: %q", got)
		}
		res = resident.get("/votes/"+id+"?receipt=ZZZZ-ZZZZ-ZZZZ").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#receipt-answer")); !strings.Contains(got, "没有找到") {
			t.Errorf("unknown receipt: %q", got)
		}
		// Another community's resident.
		other, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: f.household2.ID, Name: "东胜居民", IDNumber: validID("510781", "19800101", 60), Relation: model.RelationSpouse})
		if err != nil {
			t.Fatal(err)
		}
		u, err := st.CreateUser(ctx, sys, store.UserInput{Username: "far", DisplayName: "far", Password: password, Role: model.RoleResident, ScopeID: f.community2.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.LinkResident(ctx, sys, u.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		f.as(t, "far").get("/votes/"+id).want(t, http.StatusNotFound)
	})
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}
