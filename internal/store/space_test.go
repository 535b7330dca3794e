package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestSpaceWho: members of the group read and post in the group's and the branch's space, the
// secretary (by post) and staff in scope moderate, a member of another branch, staff of another
// community and a resident find nothing, and a member who reads may not publish a notice.
func TestSpaceWho(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustLifeWorld(t, st, 3)
		secretary, member := w.memberScopes[0], w.memberScopes[1]
		for _, c := range []struct {
			name     string
			sc       authz.Scope
			org      int64
			moderate bool
			found    bool
		}{
			{"member in group", member, w.group, false, true},
			{"member in branch above", member, w.branch, false, true},
			{"secretary of branch", secretary, w.branch, true, true},
			{"secretary of branch, group below", secretary, w.group, true, true},
			{"staff in scope", w.staff, w.branch, true, true},
			{"staff of another community", w.staff2, w.branch, false, false},
			{"member of another branch", w.outsider, w.branch, false, false},
			{"member, other community's branch", member, w.otherBranch, false, false},
			{"resident", w.resident, w.branch, false, false},
		} {
			sp, err := st.Space(ctx, c.sc, c.org)
			if !c.found {
				if !errors.Is(err, model.ErrNotFound) {
					t.Errorf("%s: got %+v, %v; want not found", c.name, sp, err)
				}
				continue
			}
			if err != nil || sp.Moderate != c.moderate {
				t.Errorf("%s: got %+v, %v; want moderate=%v", c.name, sp, err, c.moderate)
			}
		}
		if _, err := st.PublishOrgNotice(ctx, member, w.branch, model.OrgNoticeInput{Title: "通知", Body: "内容"}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("member publishes a notice: %v, want forbidden", err)
		}
		if _, err := st.OpenThread(ctx, w.outsider, w.branch, model.MessageInput{Title: "外来话题", Body: "内容"}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("outsider opens a thread: %v, want not found", err)
		}
		n, err := st.PublishOrgNotice(ctx, secretary, w.branch, model.OrgNoticeInput{Title: " 本月主题党日 ", Body: "周六上午九点，社区活动室。"})
		if err != nil || n.Title != "本月主题党日" || n.AuthorName == "" {
			t.Fatalf("secretary publishes: %+v, %v", n, err)
		}
		p, err := st.OrgNotices(ctx, member, w.branch, 0, "")
		if err != nil || p.Total != 1 || p.Items[0].ID != n.ID {
			t.Errorf("member lists notices: %+v, %v", p, err)
		}
		if _, _, err := st.OrgNotice(ctx, w.outsider, n.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("outsider reads the notice: %v, want not found", err)
		}
		if ms, err := st.MySpaces(ctx, member); err != nil || len(ms) != 3 || ms[0].ID != w.group || ms[1].ID != w.branch {
			t.Errorf("my spaces: %+v, %v; want group, branch, committee", ms, err)
		}
	})
}

// TestSpaceDiscussion: a thread with replies, the counter kept; hiding needs a reason and a
// moderator; no reply to a hidden thread; bad input changes nothing.
func TestSpaceDiscussion(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustLifeWorld(t, st, 3)
		secretary, member := w.memberScopes[0], w.memberScopes[1]
		bad := []model.MessageInput{{Title: "", Body: "内容"}, {Title: "标题", Body: "  "}, {Title: "标题", Body: strings.Repeat("长", model.SpaceBodyMax+1)}}
		for _, in := range bad {
			var ve *model.ValidationError
			if _, err := st.OpenThread(ctx, member, w.branch, in); !errors.As(err, &ve) {
				t.Errorf("thread %q/%d runes: %v, want a validation error", in.Title, len([]rune(in.Body)), err)
			}
		}
		th, err := st.OpenThread(ctx, member, w.branch, model.MessageInput{Title: "楼道堆物怎么劝", Body: "大家有什么好办法？"})
		if err != nil {
			t.Fatal(err)
		}
		r1, err := st.Reply(ctx, secretary, th.ID, model.MessageInput{Body: "先上门聊聊。"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Reply(ctx, member, r1.ID, model.MessageInput{Body: "回复一条回复"}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("reply to a reply: %v, want not found", err)
		}
		if _, err := st.Reply(ctx, w.outsider, th.ID, model.MessageInput{Body: "外来回复"}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("outsider replies: %v, want not found", err)
		}
		if _, err := st.HidePost(ctx, member, r1.ID, "不当言论"); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("member hides: %v, want forbidden", err)
		}
		var ve *model.ValidationError
		if _, err := st.HidePost(ctx, secretary, r1.ID, "  "); !errors.As(err, &ve) {
			t.Errorf("hide without a reason: %v, want a validation error", err)
		}
		h, err := st.HidePost(ctx, secretary, r1.ID, "含有住户门牌号，已隐藏")
		if err != nil || !h.Hidden() || h.Body != "" || h.HiddenReason == "" {
			t.Fatalf("hide reply: %+v, %v", h, err)
		}
		if _, err := st.HidePost(ctx, w.staff, r1.ID, "再次"); !errors.Is(err, model.ErrConflict) {
			t.Errorf("hide twice: %v, want conflict", err)
		}
		got, replies, _, err := st.Thread(ctx, member, th.ID)
		if err != nil || got.Replies != 1 || len(replies) != 1 || !replies[0].Hidden() {
			t.Fatalf("thread: %+v %+v, %v", got, replies, err)
		}
		if _, err := st.HidePost(ctx, w.staff, th.ID, "话题重复，请到置顶话题讨论"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Reply(ctx, member, th.ID, model.MessageInput{Body: "还能回复吗"}); !errors.Is(err, store.ErrThreadHidden) {
			t.Errorf("reply to a hidden thread: %v, want ErrThreadHidden", err)
		}
		got, replies, _, err = st.Thread(ctx, member, th.ID)
		if err != nil || got.Replies != 1 || len(replies) != 1 || got.Body != "" || got.Title != "" {
			t.Errorf("after refused reply: %+v %d replies, %v", got, len(replies), err)
		}
	})
}

// TestSpaceConcurrentReplies: 50 replies to one thread at once leave replies = 50.
func TestSpaceConcurrentReplies(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustLifeWorld(t, st, 2)
		th, err := st.OpenThread(ctx, w.memberScopes[0], w.group, model.MessageInput{Title: "接龙报名", Body: "周末清扫楼道，回复报名。"})
		if err != nil {
			t.Fatal(err)
		}
		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := st.Reply(ctx, w.memberScopes[i%2], th.ID, model.MessageInput{Body: fmt.Sprintf("报名 %d", i)})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, replies, _, err := st.Thread(ctx, w.staff, th.ID)
		if err != nil || got.Replies != n || len(replies) != n {
			t.Errorf("replies = %d, rows %d, %v; want %d", got.Replies, len(replies), err, n)
		}
	})
}

// TestSpaceFiles: a file checked by name, size and content; listed, downloaded, withdrawn by a
// moderator only, never deleted.
func TestSpaceFiles(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustLifeWorld(t, st, 2)
		secretary, member := w.memberScopes[0], w.memberScopes[1]
		pdf := []byte("%PDF-1.4\n% 学习材料\n%%EOF\n")
		for _, c := range []struct {
			name    string
			content []byte
		}{
			{"病毒.exe", []byte("MZ\x90\x00")},
			{"假的.pdf", []byte("<html>not a pdf</html>")},
			{"空.txt", nil},
			{"太大.txt", []byte(strings.Repeat("a", model.SpaceFileMax+1))},
			{"", pdf},
		} {
			var ve *model.ValidationError
			if _, err := st.ShareFile(ctx, member, w.branch, c.name, c.content); !errors.As(err, &ve) || ve.Fields[0].Field != "file" {
				t.Errorf("%q: %v, want a validation error on file", c.name, err)
			}
		}
		f, err := st.ShareFile(ctx, member, w.branch, `C:\材料\学习材料.pdf`, pdf)
		if err != nil || f.Name != "学习材料.pdf" || f.ContentType != "application/pdf" || f.Size != int64(len(pdf)) {
			t.Fatalf("share: %+v, %v", f, err)
		}
		if _, err := st.ShareFile(ctx, w.outsider, w.branch, "a.txt", []byte("你好")); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("outsider shares: %v", err)
		}
		_, b, err := st.FileContent(ctx, member, f.ID)
		if err != nil || string(b) != string(pdf) {
			t.Errorf("download: %q, %v", b, err)
		}
		if _, _, err := st.FileContent(ctx, w.outsider, f.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("outsider downloads: %v", err)
		}
		if _, err := st.WithdrawFile(ctx, member, f.ID); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("member withdraws: %v", err)
		}
		if _, err := st.WithdrawFile(ctx, secretary, f.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.FileContent(ctx, member, f.ID); !errors.Is(err, store.ErrFileWithdrawn) {
			t.Errorf("download withdrawn: %v", err)
		}
		if p, err := st.Files(ctx, member, w.branch, 0, ""); err != nil || p.Total != 0 {
			t.Errorf("member's list after withdrawal: %+v, %v", p, err)
		}
		if p, err := st.Files(ctx, w.staff, w.branch, 0, ""); err != nil || p.Total != 1 || !p.Items[0].Withdrawn {
			t.Errorf("staff's list keeps the withdrawn file: %+v, %v", p, err)
		}
	})
}
