package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestTopicPages: a resident finds the topics near it (levels above its household), raises a
// topic whose title holds a script (bad input answered in the form first), and the script is
// shown as text; a reply; staff hide the reply with a reason (a missing reason answered under
// the post), the resident then reads 此内容已被隐藏：<reason> and not the text, staff read both;
// staff turn the topic into a vote, which the topic links to and which links back. An account
// linked to no household reaches nothing (404).
func TestTopicPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "1栋1单元101室"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "王建华", IDNumber: validID("510781", "19650308", 40), Relation: model.RelationHead})
		if err != nil {
			t.Fatal(err)
		}
		u, err := st.UserByUsername(ctx, "resident")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.LinkResident(ctx, sys, u.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		resident, staff := f.as(t, "resident"), f.as(t, "staff")

		res := resident.get("/topics").want(t, http.StatusOK)
		one(t, res.Doc, "#topics .empty")
		if got := texts(res.Doc, "#topic-levels a"); len(got) != 7 || !strings.Contains(got[1], "1单元") || !strings.Contains(got[5], "中坝街道") {
			t.Errorf("the levels near the resident: %q", got)
		}
		resident.get("/topics/new").want(t, http.StatusOK)
		form := url.Values{"territory_id": {strconv.FormatInt(f.community.ID, 10)}, "title": {""}, "body": {"晚上回来没有车位"}}
		res = resident.post("/topics/new", form).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "请填写议题标题") {
			t.Errorf("blank title: %q", got)
		}
		if got := text(one(t, res.Doc, "#f-topic-body")); got != "晚上回来没有车位" {
			t.Errorf("the input is not kept: %q", got)
		}
		script := `<script>alert("x")</script>小区停车难`
		form.Set("title", script)
		res = resident.post("/topics/new", form).want(t, http.StatusSeeOther)
		loc := strings.Split(res.Header.Get("Location"), "?")[0]
		res = resident.get(loc).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#topic-title")); got != script {
			t.Errorf("the title as text: %q, want %q", got, script)
		}
		for _, s := range all(res.Doc, "main script") {
			t.Errorf("a script element in the page's content: %q", text(s))
		}
		one(t, res.Doc, "#unfollow") // the author follows its topic
		res = resident.get("/topics").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#topic-list .topic-title")); got != script {
			t.Errorf("the list's title: %q", got)
		}

		resident.post(loc+"/replies", url.Values{"body": {"我家电话 13800000000，可以联系"}}).want(t, http.StatusSeeOther)
		tid := mustInt(t, strings.TrimPrefix(loc, "/topics/"))
		_, replies, err := st.Topic(ctx, sys, tid)
		if err != nil || len(replies) != 1 {
			t.Fatalf("replies: %v %v", replies, err)
		}
		rid := strconv.FormatInt(replies[0].ID, 10)
		res = staff.post("/topic-replies/"+rid+"/hide", url.Values{"reason": {""}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, "#reply-"+rid+" details[open] .field-invalid")
		staff.post("/topic-replies/"+rid+"/hide", url.Values{"reason": {"含有个人电话"}}).want(t, http.StatusSeeOther)
		res = resident.get(loc).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#reply-"+rid)); !strings.Contains(got, "此内容已被隐藏：含有个人电话") || strings.Contains(got, "13800000000") {
			t.Errorf("the resident's hidden reply: %q", got)
		}
		res = staff.get(loc).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#reply-"+rid)); !strings.Contains(got, "此内容已被隐藏：含有个人电话") || !strings.Contains(got, "13800000000") {
			t.Errorf("staff's hidden reply: %q", got)
		}

		// An account linked to no household reaches no topic.
		f.as(t, "member").get(loc).want(t, http.StatusNotFound)
		resident.get("/topics?territory="+strconv.FormatInt(f.community2.ID, 10)).want(t, http.StatusNotFound)

		// Staff turn it into a vote.
		resident.get(loc+"/propose").want(t, http.StatusForbidden)
		res = staff.get(loc+"/propose").want(t, http.StatusOK)
		if got := attr(one(t, res.Doc, "#f-vote-title"), "value"); got != script {
			t.Errorf("the vote's title starts as the topic's: %q", got)
		}
		closes := time.Now().Add(72 * time.Hour).In(model.Shanghai).Format("2006-01-02T15:04")
		vote := url.Values{"title": {"是否在东侧划定停车位"}, "rule": {"household"}, "kind": {"yes_no"}, "quorum": {"1/2"}, "threshold": {"majority"}, "closes_at": {closes}}
		res = staff.post(loc+"/propose", vote).want(t, http.StatusSeeOther)
		vloc := strings.Split(res.Header.Get("Location"), "?")[0]
		if !strings.HasPrefix(vloc, "/votes/") {
			t.Fatalf("proposed: went to %q", vloc)
		}
		staff.post(loc+"/propose", vote).want(t, http.StatusConflict)
		res = resident.get(loc).want(t, http.StatusOK)
		if got := attr(one(t, res.Doc, "#topic-vote a"), "href"); got != vloc {
			t.Errorf("the topic links to %q, want %q", got, vloc)
		}
		res = resident.get(vloc).want(t, http.StatusOK)
		if got := attr(one(t, res.Doc, "#vote-topic a"), "href"); got != loc {
			t.Errorf("the vote links to %q, want %q", got, loc)
		}
	})
}
