package web_test

import (
	"context"
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

// TestMeetingCheckinPages: staff open a meeting's QR screen; the member opens the code's link,
// confirms and is checked in once, with points on "my branch"; a forged code and a code after
// the meeting closed are refused with a message, recording nothing.
func TestMeetingCheckinPages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	ctx := context.Background()
	branch := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.grid, 0)
	var memberUser int64
	if err := st.DB().QueryRowContext(ctx, `SELECT id FROM users WHERE username = 'member'`).Scan(&memberUser); err != nil {
		t.Fatal(err)
	}
	storetest.PartyMember(t, st, "张党员", branch, memberUser)
	start := f.clock.Now().Truncate(time.Minute)
	ms, err := st.ScheduleMeetings(ctx, authz.System(), model.MeetingInput{OrgID: branch, Type: model.BranchAssembly, Title: "十二月支部党员大会",
		StartsAt: start, EndsAt: start.Add(2 * time.Hour), Place: "党群服务中心"})
	if err != nil {
		t.Fatal(err)
	}
	id := ms[0].ID

	staff := f.as(t, "staff")
	list := staff.get("/party/meetings").want(t, http.StatusOK)
	if !strings.Contains(text(one(t, list.Doc, "main")), "十二月支部党员大会") {
		t.Error("the meetings page does not list the meeting")
	}
	qr := staff.get("/party/meetings/"+strconv.FormatInt(id, 10)+"/qr").want(t, http.StatusOK)
	if src := attr(one(t, qr.Doc, "#checkin-qr"), "src"); !strings.HasPrefix(src, "data:image/png;base64,") {
		t.Errorf("QR image src = %.40q", src)
	}
	link, err := url.Parse(attr(one(t, qr.Doc, "#checkin-link"), "href"))
	if err != nil || link.Path != "/party/checkin" || link.Query().Get("c") == "" {
		t.Fatalf("check-in link = %v (%v)", link, err)
	}
	code := link.Query().Get("c")

	member := f.as(t, "member")
	confirm := member.get("/party/checkin?c="+url.QueryEscape(code)).want(t, http.StatusOK)
	if attr(one(t, confirm.Doc, "form input[name=c]"), "value") != code {
		t.Error("the confirmation page does not carry the code")
	}
	if n := lifeAttendance(t, st, id); n != 0 {
		t.Fatalf("opening the link recorded %d check-ins, want 0 (a GET records nothing)", n)
	}
	done := member.post("/party/checkin", url.Values{"c": {code}}).want(t, http.StatusOK)
	if got := text(one(t, done.Doc, ".checkin-done")); !strings.Contains(got, "签到成功") || !strings.Contains(got, "2 积分") {
		t.Errorf("check-in result = %q", got)
	}
	again := member.post("/party/checkin", url.Values{"c": {code}}).want(t, http.StatusOK)
	if got := text(one(t, again.Doc, ".checkin-done")); !strings.Contains(got, "已签到") {
		t.Errorf("second check-in = %q", got)
	}
	forged := member.post("/party/checkin", url.Values{"c": {code[:len(code)-2] + "xx"}}).want(t, http.StatusUnprocessableEntity)
	if got := text(one(t, forged.Doc, "#checkin-error")); !strings.Contains(got, "签到码无效") {
		t.Errorf("forged code: %q", got)
	}
	me := member.get("/party/me").want(t, http.StatusOK)
	if got := strings.TrimSpace(text(one(t, me.Doc, "#my-points"))); got != "2" {
		t.Errorf("my points = %q, want 2", got)
	}
	// Closed: the same code records nothing.
	staff.post("/party/meetings/"+strconv.FormatInt(id, 10)+"/close", url.Values{}).want(t, http.StatusSeeOther)
	closed := member.post("/party/checkin", url.Values{"c": {code}}).want(t, http.StatusConflict)
	if got := text(one(t, closed.Doc, "#checkin-error")); !strings.Contains(got, "签到已结束") {
		t.Errorf("after close: %q", got)
	}
	if n := lifeAttendance(t, st, id); n != 1 {
		t.Errorf("attendance rows = %d, want 1", n)
	}
	page := staff.get("/party/meetings/"+strconv.FormatInt(id, 10)).want(t, http.StatusOK)
	if got := text(one(t, page.Doc, "main")); !strings.Contains(got, "张党员") || !strings.Contains(got, "扫码签到") {
		t.Errorf("meeting page roster: %q", excerpt(got))
	}
	// A meeting on an org of another community: not found for this staff.
	other := storetest.PartyOrg(t, st, "grid_branch", "", "东胜党支部", f.community2, 0)
	res := staff.post("/party/meetings/new", url.Values{"org_id": {strconv.FormatInt(other, 10)}, "type": {"branch_assembly"}, "title": {"越权"},
		"starts_at": {"2027-01-05T19:30"}, "ends_at": {"2027-01-05T21:00"}}).want(t, http.StatusUnprocessableEntity)
	if len(all(res.Doc, ".error-summary")) == 0 {
		t.Error("no error summary for an org outside the scope")
	}
}

func lifeAttendance(t *testing.T, st *store.Store, id int64) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM party_meeting_attendance WHERE meeting_id = ?`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSecretaryMeetingPages: a member account holding its grid branch's secretary post (its own
// scope is its stairwell, below the branch's grid) schedules a meeting of its branch from the
// page, whose form offers the branch; the list shows it; another org's meeting is not found.
func TestSecretaryMeetingPages(t *testing.T) {
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
	storetest.PartyMember(t, st, "张书记", branch, memberUser)
	storetest.MustPost(t, st, branch, "secretary", memberUser)
	start := f.clock.Now().Add(48 * time.Hour).Truncate(time.Minute)
	otherMeeting, err := st.ScheduleMeetings(ctx, authz.System(), model.MeetingInput{OrgID: other, Type: model.BranchAssembly, Title: "东胜支部大会",
		StartsAt: start, EndsAt: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}

	secretary := f.as(t, "member")
	form := secretary.get("/party/meetings/new").want(t, http.StatusOK)
	var offered []string
	for _, o := range all(form.Doc, "select[name=org_id] option") {
		if v := attr(o, "value"); v != "" {
			offered = append(offered, v)
		}
	}
	if len(offered) != 1 || offered[0] != strconv.FormatInt(branch, 10) {
		t.Errorf("the form offers orgs %v, want only the branch %d", offered, branch)
	}
	local := start.In(model.Shanghai)
	secretary.post("/party/meetings/new", url.Values{"org_id": {strconv.FormatInt(branch, 10)}, "type": {"branch_assembly"}, "title": {"书记安排的支部党员大会"},
		"starts_at": {local.Format("2006-01-02T15:04")}, "ends_at": {local.Add(time.Hour).Format("2006-01-02T15:04")}}).want(t, http.StatusSeeOther)
	list := secretary.get("/party/meetings").want(t, http.StatusOK)
	if got := text(one(t, list.Doc, "main")); !strings.Contains(got, "书记安排的支部党员大会") || strings.Contains(got, "东胜支部大会") {
		t.Errorf("the secretary's meetings page: %q", excerpt(got))
	}
	secretary.get("/party/meetings/"+strconv.FormatInt(otherMeeting[0].ID, 10)).want(t, http.StatusNotFound)
}
