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

// The points pages: staff set a community's rules (a bad value refused with a clear error and
// nothing saved), the board narrowed to a branch, a member's public profile (亮身份) seen by a
// member of the same branch but not of another, and a correction appended as a new entry.
func TestPointsPages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	ctx := context.Background()
	var memberUser int64
	if err := st.DB().QueryRow(`SELECT id FROM users WHERE username = 'member'`).Scan(&memberUser); err != nil {
		t.Fatal(err)
	}
	branch := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.grid, 0)
	other := storetest.PartyOrg(t, st, "grid_branch", "", "东胜网格党支部", f.stairwell2, 0)
	mine := storetest.PartyMember(t, st, "王建国", branch, memberUser)
	peer := storetest.PartyMember(t, st, "李秀英", branch, 0)
	stranger := storetest.PartyMember(t, st, "张志强", other, 0)
	staff := f.as(t, "staff")
	c := strconv.FormatInt(f.community.ID, 10)

	page := staff.get("/party/points/rules?community="+c).want(t, http.StatusOK)
	if v := attr(one(t, page.Doc, "#f-rules-points_meeting"), "value"); v != "2" {
		t.Errorf("meeting rule shown as %q, want the default 2", v)
	}
	form := url.Values{"community_id": {c}, "points_meeting": {"6"}, "points_activity": {"3"}, "points_course": {"5"}, "points_order": {"5"}, "points_duty": {"abc"}}
	bad := staff.post("/party/points/rules", form).want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(bad.Body, "联建轮值的分值应为 0 到 1000 之间的整数") {
		t.Errorf("a bad value: no clear error\n%s", excerpt(bad.Body))
	}
	if rules, _ := st.PointsRules(ctx, authz.System(), f.community.ID); rules[0].Points != 2 {
		t.Errorf("a refused form saved the meeting rule: %+v", rules[0])
	}
	form.Set("points_duty", "1")
	staff.post("/party/points/rules", form).want(t, http.StatusSeeOther)
	if err := st.Tx(ctx, func(tx *store.Tx) error {
		n, err := tx.AwardPoints(ctx, peer, model.PointsMeeting, 41, "组织生活：党小组会", 0)
		if n != 6 {
			t.Errorf("awarded %d, want the new rule's 6", n)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}

	board := staff.get("/party/points?org="+strconv.FormatInt(branch, 10)).want(t, http.StatusOK)
	if names := texts(board.Doc, "tbody th a"); len(names) != 2 || names[0] != "李秀英" {
		t.Errorf("branch board = %v", names)
	}

	m := f.as(t, "member")
	prof := m.get("/party/points/members/"+strconv.FormatInt(peer, 10)).want(t, http.StatusOK)
	if got := text(one(t, prof.Doc, "#profile-points")); got != "6" {
		t.Errorf("peer's points = %q", got)
	}
	if len(all(prof.Doc, "#ledger")) != 0 {
		t.Error("a member sees another member's ledger")
	}
	m.get("/party/points/members/"+strconv.FormatInt(stranger, 10)).want(t, http.StatusNotFound)
	if me := m.get("/party/me").want(t, http.StatusOK); !strings.Contains(me.Body, "/party/points/members/"+strconv.FormatInt(mine, 10)) {
		t.Error("my branch's board does not link the profiles")
	}

	var entry int64
	if err := st.DB().QueryRow(`SELECT id FROM party_points_entries WHERE member_id = ?`, peer).Scan(&entry); err != nil {
		t.Fatal(err)
	}
	path := "/party/points/members/" + strconv.FormatInt(peer, 10)
	staff.post(path+"/correct", url.Values{"entry_id": {strconv.FormatInt(entry, 10)}, "points": {"0"}, "reason": {"x"}}).want(t, http.StatusUnprocessableEntity)
	staff.post(path+"/correct", url.Values{"entry_id": {strconv.FormatInt(entry, 10)}, "points": {"-1"}, "reason": {"迟到"}}).want(t, http.StatusSeeOther)
	after := staff.get(path).want(t, http.StatusOK)
	if got := text(one(t, after.Doc, "#profile-points")); got != "5" {
		t.Errorf("after a -1 correction: %q, want 5", got)
	}
	if n := len(all(after.Doc, "#ledger li")); n != 2 {
		t.Errorf("%d ledger lines, want the entry and its correction", n)
	}
	f.as(t, "gridleader").get("/party/points/rules").want(t, http.StatusForbidden)
}
