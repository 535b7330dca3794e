package api_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"strings"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type spacePostOut struct {
	ID           string  `json:"id"`
	OrgID        string  `json:"org_id"`
	ThreadID     *string `json:"thread_id"`
	Title        string  `json:"title"`
	Body         string  `json:"body"`
	AuthorName   string  `json:"author_name"`
	Replies      int     `json:"replies"`
	CreatedAt    string  `json:"created_at"`
	Hidden       bool    `json:"hidden"`
	HiddenAt     string  `json:"hidden_at"`
	HiddenReason string  `json:"hidden_reason"`
}

type spaceFileOut struct {
	ID          string `json:"id"`
	OrgID       string `json:"org_id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	AuthorName  string `json:"author_name"`
	CreatedAt   string `json:"created_at"`
	Withdrawn   bool   `json:"withdrawn"`
	URL         string `json:"url"`
}

func multipartFile(tb testing.TB, name string, content []byte) (string, []byte) {
	tb.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// TestSpaceAPI: a member of the branch opens a thread, staff reply, hide a reply with a
// reason; a reply to a hidden thread is 409; a member may not publish a notice (403); a member
// of another branch sees nothing (404); files are checked (422, 413), downloaded as
// attachments and withdrawn; bad input is 422 naming the field and changes nothing.
func TestSpaceAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		ctx := context.Background()
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		me := f.mustToken(t, model.RoleMember, f.tree.stairA)
		other := f.mustToken(t, model.RoleMember, f.tree.stairB)
		grid := f.mustToken(t, model.RoleGridLeader, f.tree.gridA)
		userID := func(name string) int64 {
			var id int64
			if err := st.DB().QueryRowContext(ctx, `SELECT id FROM users WHERE username = '`+name+`'`).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		branchA := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.tree.gridA, 0)
		branchB := storetest.PartyOrg(t, st, "grid_branch", "", "第二网格党支部", f.tree.gridB, 0)
		storetest.PartyMember(t, st, "王建国", branchA, userID("member-"+id(f.tree.stairA.ID)))
		storetest.PartyMember(t, st, "张志强", branchB, userID("member-"+id(f.tree.stairB.ID)))
		base := "/api/v1/party/orgs/" + id(branchA)

		if p := mustProblem(t, f.mustDo(t, me, "POST", base+"/notices", map[string]string{"title": "通知", "body": "内容"}), 403); p.Detail == "" {
			t.Errorf("member publishes: %+v", p)
		}
		mustProblem(t, f.mustDo(t, grid, "GET", base+"/threads", nil), 403)
		mustProblem(t, f.mustDo(t, other, "GET", base+"/threads", nil), 404)
		mustProblem(t, f.mustDo(t, other, "POST", base+"/threads", map[string]string{"title": "外来", "body": "外来"}), 404)
		n := mustJSON[noticeOut](t, f.mustDo(t, staff, "POST", base+"/notices", map[string]string{"title": "本月主题党日", "body": "周六上午九点，社区活动室。"}), 201)
		if got := mustJSON[noticeOut](t, f.mustDo(t, me, "GET", "/api/v1/party/space/notices/"+n.ID, nil), 200); got.Title != "本月主题党日" || got.AuthorName == "" {
			t.Errorf("notice = %+v", got)
		}

		if p := mustProblem(t, f.mustDo(t, me, "POST", base+"/threads", map[string]string{"title": "", "body": strings.Repeat("长", model.SpaceBodyMax+1)}), 422); message(p, "title") == "" || message(p, "body") == "" {
			t.Errorf("bad thread: %+v", p)
		}
		th := mustJSON[spacePostOut](t, f.mustDo(t, me, "POST", base+"/threads", map[string]string{"title": "楼道堆物怎么劝", "body": "大家有什么好办法？"}), 201)
		if th.ThreadID != nil || th.AuthorName == "" {
			t.Errorf("thread = %+v", th)
		}
		r1 := mustJSON[spacePostOut](t, f.mustDo(t, staff, "POST", "/api/v1/party/space/threads/"+th.ID+"/replies", map[string]string{"body": "先上门聊聊。"}), 201)
		if r1.ThreadID == nil || *r1.ThreadID != th.ID {
			t.Errorf("reply = %+v", r1)
		}
		mustProblem(t, f.mustDo(t, me, "POST", "/api/v1/party/space/threads/"+r1.ID+"/replies", map[string]string{"body": "回复回复"}), 404)
		if p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/space/posts/"+r1.ID+"/hide", map[string]string{"reason": " "}), 422); message(p, "reason") == "" {
			t.Errorf("hide without reason: %+v", p)
		}
		mustProblem(t, f.mustDo(t, me, "POST", "/api/v1/party/space/posts/"+r1.ID+"/hide", map[string]string{"reason": "不当"}), 403)
		if h := mustJSON[spacePostOut](t, f.mustDo(t, staff, "POST", "/api/v1/party/space/posts/"+th.ID+"/hide", map[string]string{"reason": "话题重复"}), 200); !h.Hidden || h.Body != "" || h.HiddenReason != "话题重复" {
			t.Errorf("hidden = %+v", h)
		}
		if p := mustProblem(t, f.mustDo(t, me, "POST", "/api/v1/party/space/threads/"+th.ID+"/replies", map[string]string{"body": "还能回复吗"}), 409); p.Detail == "" {
			t.Errorf("reply to hidden: %+v", p)
		}
		got := mustJSON[struct {
			spacePostOut
			ReplyList []spacePostOut `json:"reply_list"`
		}](t, f.mustDo(t, me, "GET", "/api/v1/party/space/threads/"+th.ID, nil), 200)
		if got.Replies != 1 || len(got.ReplyList) != 1 || !got.Hidden {
			t.Errorf("thread after = %+v", got)
		}
		list := mustJSON[struct {
			Items []spacePostOut `json:"items"`
			Total int            `json:"total"`
		}](t, f.mustDo(t, me, "GET", base+"/threads", nil), 200)
		if list.Total != 1 || list.Items[0].ID != th.ID {
			t.Errorf("threads = %+v", list)
		}

		ct, body := multipartFile(t, "学习材料.exe", []byte("MZ\x90\x00"))
		if p := mustProblem(t, f.mustDoAs(t, me, "POST", base+"/files", ct, body), 422); message(p, "file") == "" {
			t.Errorf("exe: %+v", p)
		}
		ct, body = multipartFile(t, "大文件.txt", bytes.Repeat([]byte("a"), 2*model.SpaceFileMax))
		mustProblem(t, f.mustDoAs(t, me, "POST", base+"/files", ct, body), 413)
		pdf := []byte("%PDF-1.4\n%%EOF\n")
		ct, body = multipartFile(t, "学习材料.pdf", pdf)
		file := mustJSON[spaceFileOut](t, f.mustDoAs(t, me, "POST", base+"/files", ct, body), 201)
		dl := f.mustDo(t, me, "GET", file.URL, nil)
		if dl.status != 200 || !bytes.Equal(dl.body, pdf) || !strings.HasPrefix(dl.header.Get("Content-Disposition"), "attachment;") || dl.header.Get("Content-Type") != "application/pdf" {
			t.Errorf("download = %d %q %v", dl.status, dl.body, dl.header)
		}
		mustProblem(t, f.mustDo(t, me, "POST", file.URL+"/withdraw", nil), 403)
		if w := mustJSON[spaceFileOut](t, f.mustDo(t, staff, "POST", file.URL+"/withdraw", nil), 200); !w.Withdrawn {
			t.Errorf("withdrawn = %+v", w)
		}
		mustProblem(t, f.mustDo(t, me, "GET", file.URL, nil), 409)
		files := mustJSON[struct {
			Items []spaceFileOut `json:"items"`
			Total int            `json:"total"`
		}](t, f.mustDo(t, me, "GET", base+"/files", nil), 200)
		if files.Total != 0 {
			t.Errorf("member's files after withdrawal = %+v", files)
		}
	})
}

type noticeOut struct {
	ID         string `json:"id"`
	OrgID      string `json:"org_id"`
	Title      string `json:"title"`
	Body       string `json:"body"`
	AuthorName string `json:"author_name"`
	CreatedAt  string `json:"created_at"`
}
