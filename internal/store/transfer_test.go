package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

func transferScope(t *testing.T, st *store.Store, name string, node *model.Territory) authz.Scope {
	t.Helper()
	u := storetest.RawUser(t, st, name, model.RoleCommunityAdmin, node)
	return authz.Scope{UserID: u.ID, Role: u.Role, Path: node.Path}
}

// TestTransfers: a transfer is a request the receiving side accepts or returns, with history,
// never an overwrite. Bad targets (the same org, none of the tree, a street committee, a
// functional group) are refused naming to_org_id; a second open transfer is a conflict; only the
// receiving side accepts; two acceptances at once accept once; the member moves with its
// counts. A transfer out takes the member off the roster and yields a signed file another
// deployment imports once, after trusting the sender's key; a tampered file is refused.
func TestTransfers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustMemberFixture(t, st)
		here := transferScope(t, st, "tianbao", f.tr.community)
		there := transferScope(t, st, "dongsheng", f.tr.community2)
		m, err := st.CreateMember(ctx, authz.System(), model.MemberInput{Name: "周转接", OrgID: f.branch, Status: model.MemberFull,
			JoinedOn: "2001-07-01", FullOn: "2002-07-01", Category: model.CategoryInWork, Education: model.EduBachelor})
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []struct {
			name string
			org  int64
		}{{"same org", f.branch}, {"street committee", f.street}, {"functional", f.functional}, {"no such org", 987654}} {
			_, err := st.RequestTransfer(ctx, here, model.TransferInput{MemberID: m.ID, ToOrgID: bad.org})
			if got := fieldsOf(err); got != "to_org_id" {
				t.Errorf("%s: err = %v, want to_org_id", bad.name, err)
			}
		}
		if _, err := st.RequestTransfer(ctx, there, model.TransferInput{MemberID: m.ID, ToOrgID: f.otherCommittee}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a request by a side that does not manage the member: %v, want not found", err)
		}
		tr, err := st.RequestTransfer(ctx, here, model.TransferInput{MemberID: m.ID, ToOrgID: f.otherCommittee, Reason: "搬家"})
		if err != nil {
			t.Fatal(err)
		}
		var ce *model.ConflictError
		if _, err := st.RequestTransfer(ctx, here, model.TransferInput{MemberID: m.ID, ToOrgID: f.group}); !errors.As(err, &ce) {
			t.Errorf("a second open transfer: %v, want a conflict", err)
		}
		var fe *model.ForbiddenError
		if _, err := st.AcceptTransfer(ctx, here, tr.ID, "", ""); !errors.As(err, &fe) {
			t.Errorf("accepted by the sending side: %v, want forbidden", err)
		}
		if got, _ := st.Member(ctx, authz.System(), m.ID); got.OrgID != f.branch {
			t.Fatalf("the member moved before acceptance")
		}
		// Two acceptances at once: one wins.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = st.AcceptTransfer(ctx, there, tr.ID, "欢迎", "") }()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("two acceptances: %v / %v, want exactly one to succeed", errs[0], errs[1])
		}
		got, err := st.Member(ctx, authz.System(), m.ID)
		if err != nil || got.OrgID != f.otherCommittee {
			t.Fatalf("after acceptance: %+v %v", got, err)
		}
		if a, b := storetest.OrgMembers(t, st, f.branch), storetest.OrgMembers(t, st, f.otherCommittee); a != 0 || b != 1 {
			t.Errorf("counts: branch %d, other committee %d, want 0 and 1", a, b)
		}
		if _, err := st.Member(ctx, here, m.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("the old community still reads the member: %v", err)
		}
		hist, err := st.MemberHistory(ctx, there, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range hist {
			actions = append(actions, e.Action)
		}
		if want := []string{"created", "transfer_requested", "transfer_accepted"}; !equalStrings(actions, want) {
			t.Errorf("history = %v, want %v", actions, want)
		}
		page, err := st.Transfers(ctx, here, store.TransferFilter{MemberID: m.ID})
		if err != nil || page.Total != 1 || page.Items[0].Status != model.TransferAccepted {
			t.Errorf("transfers as the sending side: %+v %v", page, err)
		}

		// Out of the deployment: the member leaves the roster; the file is signed.
		if _, err := st.RequestTransfer(ctx, there, model.TransferInput{MemberID: m.ID, ToOrgID: f.otherCommittee, Destination: "x"}); fieldsOf(err) != "destination" {
			t.Errorf("both a target and a destination: %v", err)
		}
		out, err := st.RequestTransfer(ctx, there, model.TransferInput{MemberID: m.ID, Destination: "绵阳市涪城区城厢街道某社区党委", Reason: "工作调动"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.TransferFile(ctx, there, out.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a file before acceptance: %v", err)
		}
		out, err = st.AcceptTransfer(ctx, there, out.ID, "", "江油市社区治理平台")
		if err != nil || !out.HasFile {
			t.Fatalf("accept out: %+v %v", out, err)
		}
		if got, _ := st.Member(ctx, authz.System(), m.ID); got.Current() {
			t.Error("a member transferred out is still on the roster")
		}
		if n := storetest.OrgMembers(t, st, f.otherCommittee); n != 0 {
			t.Errorf("count after transfer out = %d", n)
		}
		_, file, err := st.TransferFile(ctx, there, out.ID)
		if err != nil {
			t.Fatal(err)
		}
		own, err := st.OwnTransferKey(ctx, "")
		if err != nil || own.Name != "江油市社区治理平台" {
			t.Fatalf("own key: %+v %v", own, err)
		}

		// A member who lives here stays on a roster: the reporting list, registered elsewhere.
		res, err := st.CreateMember(ctx, authz.System(), model.MemberInput{ResidentID: f.head.ID, OrgID: f.branch, Status: model.MemberFull,
			Category: model.CategoryInWork})
		if err != nil {
			t.Fatal(err)
		}
		ro, err := st.RequestTransfer(ctx, here, model.TransferInput{MemberID: res.ID, Destination: "市税务局机关党委"})
		if err == nil {
			_, err = st.AcceptTransfer(ctx, here, ro.ID, "", "")
		}
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := st.Member(ctx, authz.System(), res.ID); !got.Current() || got.List != model.ListReporting || got.HomeOrg != "市税务局机关党委" ||
			got.ReportingKind != model.ReportingInWork {
			t.Errorf("a resident transferred out: %+v, want current on the reporting list", got)
		}
		if n := storetest.OrgMembers(t, st, f.branch); n != 0 {
			t.Errorf("branch count after the resident's transfer out = %d, want 0", n)
		}

		// The receiving deployment: a store of its own.
		rx := storetest.Open(t, "sqlite")
		rtr := mustTree(t, rx)
		rorg := storetest.MustOrg(t, rx, "community_committee", "城厢社区党委", rtr.community.ID, 0)
		rsc := transferScope(t, rx, "chengxiang", rtr.community)
		var ve *model.ValidationError
		if _, err := rx.ImportTransfer(ctx, rsc, file, rorg); !errors.As(err, &ve) || fieldsOf(err) != "file" {
			t.Errorf("a file from an untrusted key: %v", err)
		}
		if _, err := rx.TrustTransferKey(ctx, rsc, "江油市", own.PublicKey); err != nil {
			t.Fatal(err)
		}
		tampered := bytes.Replace(file, []byte("周转接"), []byte("吴冒名"), 1)
		if _, err := rx.ImportTransfer(ctx, rsc, tampered, rorg); fieldsOf(err) != "file" {
			t.Errorf("a tampered file: %v, want refused on file", err)
		}
		in, err := rx.ImportTransfer(ctx, rsc, file, rorg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rx.ImportTransfer(ctx, rsc, file, rorg); !errors.As(err, &ce) {
			t.Errorf("the same file again: %v, want a conflict", err)
		}
		in, err = rx.AcceptTransfer(ctx, rsc, in.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		nm, err := rx.Member(ctx, rsc, in.MemberID)
		if err != nil || nm.Name != "周转接" || nm.OrgID != rorg || nm.Status != model.MemberFull || nm.JoinedOn.Format("2006-01-02") != "2001-07-01" {
			t.Errorf("the member received: %+v %v", nm, err)
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTransfersOfSecretaryByPost: a secretary by post whose own scope is the stairwell it lives
// in, below its branch, sees the transfers from and to the branch, as it sees the branch's
// members and meetings; the same account without the post sees none.
func TestTransfersOfSecretaryByPost(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustMemberFixture(t, st)
		u := storetest.RawUser(t, st, "shuji", model.RoleMember, f.tr.stairwell)
		sec := authz.Scope{UserID: u.ID, Role: model.RoleMember, Path: f.tr.stairwell.Path}
		m, err := st.CreateMember(ctx, authz.System(), model.MemberInput{Name: "周转出", OrgID: f.branch, Status: model.MemberFull,
			JoinedOn: "2001-07-01", FullOn: "2002-07-01", Category: model.CategoryRetired, Education: model.EduSenior})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := st.RequestTransfer(ctx, authz.System(), model.TransferInput{MemberID: m.ID, ToOrgID: f.otherCommittee, Reason: "搬家"})
		if err != nil {
			t.Fatal(err)
		}
		if p, err := st.Transfers(ctx, sec, store.TransferFilter{}); err != nil || p.Total != 0 {
			t.Fatalf("without the post: %+v, %v; want none", p, err)
		}
		storetest.MustPost(t, st, f.branch, "secretary", u.ID)
		p, err := st.Transfers(ctx, sec, store.TransferFilter{})
		if err != nil || p.Total != 1 || len(p.Items) != 1 || p.Items[0].ID != tr.ID {
			t.Fatalf("the branch's secretary: %+v, %v; want the branch's transfer %d", p, err, tr.ID)
		}
		if _, err := st.Transfer(ctx, sec, tr.ID); err != nil {
			t.Errorf("the secretary reads the transfer: %v", err)
		}
	})
}

// TestMembersCreatedDuringTransfers: members created in an org while transfers into and out of
// it are accepted, all at once, all succeed with the counts right: on PostgreSQL every member
// write takes the composition counts before the org's row (a creation once took them the
// other way round and deadlocked against a transfer, 40P01).
func TestMembersCreatedDuringTransfers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustMemberFixture(t, st)
		there := transferScope(t, st, "dongsheng", f.tr.community2)
		const n = 12
		member := func(name string, org int64) (*model.Member, error) {
			return st.CreateMember(ctx, authz.System(), model.MemberInput{Name: name, OrgID: org, Status: model.MemberFull,
				JoinedOn: "2001-07-01", FullOn: "2002-07-01", Category: model.CategoryInWork, Education: model.EduBachelor})
		}
		var transfers []int64
		for i := range n {
			m, err := member(fmt.Sprintf("转出%d", i), f.branch)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := st.RequestTransfer(ctx, authz.System(), model.TransferInput{MemberID: m.ID, ToOrgID: f.otherCommittee, Reason: "搬家"})
			if err != nil {
				t.Fatal(err)
			}
			transfers = append(transfers, tr.ID)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 3*n)
		for i := range n {
			wg.Add(3)
			go func() {
				defer wg.Done()
				_, err := st.AcceptTransfer(ctx, there, transfers[i], "欢迎", "")
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := member(fmt.Sprintf("新增%d", i), f.branch)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := member(fmt.Sprintf("接收%d", i), f.otherCommittee)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if a, b := storetest.OrgMembers(t, st, f.branch), storetest.OrgMembers(t, st, f.otherCommittee); a != n || b != 2*n {
			t.Errorf("counts: branch %d, other committee %d, want %d and %d", a, b, n, 2*n)
		}
	})
}
