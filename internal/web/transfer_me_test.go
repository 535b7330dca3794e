package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestMyBranchTransfers: "my branch" shows a member its own transfers and their state; a
// secretary by post also sees the requested transfers of its org, linked to the page where it
// accepts or returns them; a member without a post sees no one else's.
func TestMyBranchTransfers(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	ctx := context.Background()
	sys := authz.System()
	branch := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.grid, 0)
	other := storetest.PartyOrg(t, st, "grid_branch", "", "东胜党支部", f.community2, 0)
	var memberUser int64
	if err := st.DB().QueryRowContext(ctx, `SELECT id FROM users WHERE username = 'member'`).Scan(&memberUser); err != nil {
		t.Fatal(err)
	}
	mine := storetest.PartyMember(t, st, "张书记", branch, memberUser)
	me := f.as(t, "member")
	if page := me.get("/party/me").want(t, http.StatusOK); !strings.Contains(text(one(t, page.Doc, "#transfers")), "没有组织关系转接记录") || len(all(page.Doc, "#transfers-pending")) != 0 {
		t.Errorf("no transfers yet:\n%s", excerpt(page.Body))
	}

	out, err := st.RequestTransfer(ctx, sys, model.TransferInput{MemberID: mine, Destination: "绵阳市涪城区城郊街道党工委", Reason: "工作调动"})
	if err != nil {
		t.Fatal(err)
	}
	neighbour := storetest.PartyMember(t, st, "李党员", other, 0)
	in, err := st.RequestTransfer(ctx, sys, model.TransferInput{MemberID: neighbour, ToOrgID: branch, Reason: "搬家"})
	if err != nil {
		t.Fatal(err)
	}
	page := me.get("/party/me").want(t, http.StatusOK)
	own := text(one(t, page.Doc, "#transfers"))
	if !strings.Contains(own, "绵阳市涪城区城郊街道党工委") || !strings.Contains(own, "待接收") && !strings.Contains(own, model.TransferRequested.Label()) {
		t.Errorf("own transfer: %q", own)
	}
	if strings.Contains(own, "李党员") {
		t.Errorf("another member's transfer among the own: %q", own)
	}
	// Without a post: nothing to handle.
	if len(all(page.Doc, "#transfers-pending")) != 0 {
		t.Errorf("a member without a post sees pending transfers:\n%s", excerpt(page.Body))
	}

	// As secretary of the branch: the neighbour's request to the branch, with its link.
	storetest.MustPost(t, st, branch, "secretary", memberUser)
	page = me.get("/party/me").want(t, http.StatusOK)
	pending := one(t, page.Doc, "#transfers-pending")
	var links []string
	for _, a := range all(pending, "a") {
		links = append(links, attr(a, "href"))
	}
	if !strings.Contains(text(pending), "李党员") || !strings.Contains(strings.Join(links, " "), "/party/transfers/"+strconv.FormatInt(in.ID, 10)) {
		t.Errorf("pending for the secretary: %q %v", text(pending), links)
	}
	// Handled: the state shows on the member's own list.
	if _, err := st.RejectTransfer(ctx, sys, out.ID, "材料不全"); err != nil {
		t.Fatal(err)
	}
	if own := text(one(t, me.get("/party/me").want(t, http.StatusOK).Doc, "#transfers")); !strings.Contains(own, model.TransferRejected.Label()) || !strings.Contains(own, "材料不全") {
		t.Errorf("after the return: %q", own)
	}
}
