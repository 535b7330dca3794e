package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestSpacePages: a member finds the branch's space on "my branch", opens a thread and replies;
// bad input is the page again with the Chinese reason and nothing written; staff publish a
// notice and hide a post with a reason, after which the thread takes no reply; a file of a
// forbidden kind is refused, a PDF shared and withdrawn; a member of another branch finds
// nothing.
func TestSpacePages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	ctx := context.Background()
	branch := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.grid, 0)
	other := storetest.PartyOrg(t, st, "grid_branch", "", "东胜党支部", f.community2, 0)
	var memberUser int64
	if err := st.DB().QueryRowContext(ctx, `SELECT id FROM users WHERE username = 'member'`).Scan(&memberUser); err != nil {
		t.Fatal(err)
	}
	storetest.PartyMember(t, st, "张党员", branch, memberUser)
	space := "/party/orgs/" + strconv.FormatInt(branch, 10) + "/space"

	member := f.as(t, "member")
	me := member.get("/party/me").want(t, http.StatusOK)
	if href := attr(one(t, me.Doc, "#my-spaces a"), "href"); href != space {
		t.Fatalf("my branch links the space at %q, want %q", href, space)
	}
	member.get("/party/orgs/"+strconv.FormatInt(other, 10)+"/space").want(t, http.StatusNotFound)
	tabs := member.get(space).want(t, http.StatusOK)
	if got := texts(tabs.Doc, ".tabs .tab"); strings.Join(got, "/") != "公告/讨论/文件" {
		t.Errorf("tabs = %q", got)
	}
	if len(all(tabs.Doc, "#form-notice")) != 0 {
		t.Error("a member who does not manage the branch is offered the notice form")
	}

	bad := member.post(space+"/threads", url.Values{"title": {""}, "body": {strings.Repeat("长", 5001)}}).want(t, http.StatusUnprocessableEntity)
	if s := text(one(t, bad.Doc, ".error-summary")); !strings.Contains(s, "请填写话题标题") || !strings.Contains(s, "最多 5000 字") {
		t.Errorf("error summary = %q", s)
	}
	if count(t, st, `SELECT COUNT(*) FROM org_posts`) != 0 {
		t.Fatal("a refused thread was written")
	}
	loc := member.post(space+"/threads", url.Values{"title": {"楼道堆物怎么劝"}, "body": {"大家有什么好办法？"}}).want(t, http.StatusSeeOther).Header.Get("Location")
	if loc != space+"?tab=threads&done=space_thread" {
		t.Errorf("after opening a thread: %q", loc)
	}
	list := member.get(space+"?tab=threads").want(t, http.StatusOK)
	threadURL := attr(one(t, list.Doc, ".space-list .space-link"), "href")
	member.post(threadURL+"/replies", url.Values{"body": {"  "}}).want(t, http.StatusUnprocessableEntity)
	member.post(threadURL+"/replies", url.Values{"body": {"我先去三楼问问。"}}).want(t, http.StatusSeeOther)
	th := member.get(threadURL).want(t, http.StatusOK)
	if got := texts(th.Doc, ".space-replies .prewrap"); len(got) != 1 || got[0] != "我先去三楼问问。" {
		t.Errorf("replies = %q", got)
	}
	if len(all(th.Doc, ".space-moderate")) != 0 {
		t.Error("a member is offered the hide form")
	}

	staff := f.as(t, "staff")
	staff.post(space+"/notices", url.Values{"title": {"本月主题党日"}, "body": {"周六上午九点，社区活动室。"}}).want(t, http.StatusSeeOther)
	member.post(space+"/notices", url.Values{"title": {"越权公告"}, "body": {"内容"}}).want(t, http.StatusForbidden)
	if got := texts(member.get(space).want(t, http.StatusOK).Doc, ".space-title"); len(got) != 1 || got[0] != "本月主题党日" {
		t.Errorf("notices = %q", got)
	}
	threadID := strings.TrimPrefix(threadURL, "/party/space/threads/")
	noReason := staff.post("/party/space/posts/"+threadID+"/hide", url.Values{"reason": {""}, "thread": {threadID}}).want(t, http.StatusUnprocessableEntity)
	if s := text(one(t, noReason.Doc, ".error-summary")); !strings.Contains(s, "请填写隐藏的理由") {
		t.Errorf("hide without reason: %q", s)
	}
	staff.post("/party/space/posts/"+threadID+"/hide", url.Values{"reason": {"话题重复，请到置顶话题讨论"}, "thread": {threadID}}).want(t, http.StatusSeeOther)
	hidden := member.get(threadURL).want(t, http.StatusOK)
	if s := text(one(t, hidden.Doc, ".space-hidden")); !strings.Contains(s, "话题重复") {
		t.Errorf("hidden thread shows %q", s)
	}
	if len(all(hidden.Doc, "#form-reply")) != 0 {
		t.Error("a hidden thread offers the reply form")
	}
	refused := member.post(threadURL+"/replies", url.Values{"body": {"还能回复吗"}}).want(t, http.StatusUnprocessableEntity)
	if s := text(one(t, refused.Doc, ".error-summary")); !strings.Contains(s, "已被隐藏") {
		t.Errorf("reply to hidden: %q", s)
	}
	if n := count(t, st, `SELECT replies FROM org_posts WHERE id = `+threadID); n != 1 {
		t.Errorf("replies = %d after a refused reply, want 1", n)
	}

	exe := member.uploadTo(space+"/files", "通知.exe", []byte("MZ\x90\x00"), nil).want(t, http.StatusUnprocessableEntity)
	if s := text(one(t, exe.Doc, ".error-summary")); !strings.Contains(s, "只能上传") {
		t.Errorf("exe refused with %q", s)
	}
	big := member.uploadTo(space+"/files", "大文件.txt", []byte(strings.Repeat("党", 2<<20)), nil).want(t, http.StatusUnprocessableEntity)
	if s := text(one(t, big.Doc, ".error-summary")); !strings.Contains(s, "不能超过 5 MB") {
		t.Errorf("a file over 5 MB refused with %q", s)
	}
	if n := count(t, st, `SELECT COUNT(*) FROM org_files`); n != 0 {
		t.Fatalf("%d files after two refused uploads", n)
	}
	member.uploadTo(space+"/files", "学习材料.pdf", []byte("%PDF-1.4\n%%EOF\n"), nil).want(t, http.StatusSeeOther)
	files := member.get(space+"?tab=files").want(t, http.StatusOK)
	dl := attr(one(t, files.Doc, ".space-file .space-link"), "href")
	got := member.get(dl).want(t, http.StatusOK)
	if got.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(got.Header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("download headers = %v", got.Header)
	}
	staff.post(dl+"/withdraw", url.Values{}).want(t, http.StatusSeeOther)
	member.get(dl).want(t, http.StatusConflict)
}

// count runs a query of one number.
func count(t *testing.T, st *store.Store, q string) int64 {
	t.Helper()
	var n int64
	if err := st.DB().QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
