package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type topicPostOut struct {
	ID           string `json:"id"`
	Body         string `json:"body"`
	Author       string `json:"author"`
	AuthorRole   string `json:"author_role"`
	CreatedAt    string `json:"created_at"`
	Hidden       bool   `json:"hidden"`
	HiddenReason string `json:"hidden_reason"`
	HiddenAt     string `json:"hidden_at"`
	Withheld     bool   `json:"withheld"`
	Mine         bool   `json:"mine"`
}

type topicOut struct {
	topicPostOut
	Title         string         `json:"title"`
	TerritoryID   string         `json:"territory_id"`
	TerritoryName string         `json:"territory_name"`
	TerritoryKind string         `json:"territory_kind"`
	Status        string         `json:"status"`
	Replies       int            `json:"replies"`
	Followers     int            `json:"followers"`
	LastReplyAt   string         `json:"last_reply_at"`
	VoteID        string         `json:"vote_id"`
	Following     bool           `json:"following"`
	CanModerate   bool           `json:"can_moderate"`
	CanReply      bool           `json:"can_reply"`
	ReplyList     []topicPostOut `json:"reply_list"`
}

// TestTopicAPI: a resident raises a topic over its community (a script in the title comes
// back as the same text), a neighbour replies and follows (twice, counted once), staff hide the
// reply with a reason (the resident sees the reason, staff the text too), a resident may not
// hide (403), a resident of the other grid cannot reach a topic over its neighbour's grid
// (404), and staff propose the topic to a vote once (the second proposal 409).
func TestTopicAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		ctx := context.Background()
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		link := func(node *model.Territory, addr string, seq int) string {
			h := f.mustHousehold(t, staff, node, addr, person{Name: "户主", IDNumber: validID("510781", "19650101", seq), Relation: "head"})
			tok := f.mustToken(t, model.RoleResident, node)
			storetest.Exec(t, st, `UPDATE users SET resident_id = (SELECT id FROM residents WHERE household_id = ?) WHERE username = ? RETURNING id`,
				h.ID, "resident-"+id(node.ID))
			return tok
		}
		alice := link(f.tree.stairA, "1栋1单元101室", 11)
		bob := link(f.tree.stairB, "2栋1单元201室", 13)

		script := `<script>alert(1)</script>加装电梯`
		r := f.mustDo(t, alice, "POST", "/api/v1/topics", map[string]string{"territory_id": id(f.tree.community.ID), "title": script, "body": "一楼住户也请发表意见"})
		tp := mustJSON[topicOut](t, r, http.StatusCreated)
		if tp.Title != script || !tp.Following || tp.Followers != 1 || tp.Status != "open" {
			t.Fatalf("raised: %+v", tp)
		}
		grid := mustJSON[topicOut](t, f.mustDo(t, alice, "POST", "/api/v1/topics", map[string]string{"territory_id": id(f.tree.gridA.ID), "title": "一网格停车", "body": "内容"}), http.StatusCreated)
		if p := mustProblem(t, f.mustDo(t, alice, "POST", "/api/v1/topics", map[string]string{"territory_id": id(f.tree.gridB.ID), "title": "别的网格", "body": "内容"}), 422); fields(p)[0] != "territory_id" {
			t.Errorf("a grid the resident does not live in: %v", fields(p))
		}
		mustProblem(t, f.mustDo(t, bob, "GET", "/api/v1/topics/"+grid.ID, nil), 404)
		list := mustJSON[listOut[topicOut]](t, f.mustDo(t, bob, "GET", "/api/v1/topics", nil), http.StatusOK)
		if len(list.Items) != 1 || list.Items[0].ID != tp.ID {
			t.Errorf("bob's topics near it: %+v", list.Items)
		}

		base := "/api/v1/topics/" + tp.ID
		rp := mustJSON[topicPostOut](t, f.mustDo(t, bob, "POST", base+"/replies", map[string]string{"body": "<b>支持</b>"}), http.StatusCreated)
		mustJSON[topicOut](t, f.mustDo(t, bob, "POST", base+"/follow", nil), http.StatusOK)
		if got := mustJSON[topicOut](t, f.mustDo(t, bob, "POST", base+"/follow", nil), http.StatusOK); got.Followers != 2 || !got.Following {
			t.Errorf("following twice: %+v", got)
		}
		mustProblem(t, f.mustDo(t, alice, "POST", "/api/v1/topic-replies/"+rp.ID+"/hide", map[string]string{"reason": "我不喜欢"}), 403)
		if p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/topic-replies/"+rp.ID+"/hide", map[string]string{}), 422); fields(p)[0] != "reason" {
			t.Errorf("hiding without a reason: %v", fields(p))
		}
		mustJSON[topicOut](t, f.mustDo(t, staff, "POST", "/api/v1/topic-replies/"+rp.ID+"/hide", map[string]string{"reason": "含广告"}), http.StatusOK)
		got := mustJSON[topicOut](t, f.mustDo(t, alice, "GET", base, nil), http.StatusOK)
		if len(got.ReplyList) != 1 || !got.ReplyList[0].Hidden || got.ReplyList[0].Body != "" || got.ReplyList[0].HiddenReason != "含广告" {
			t.Errorf("the resident's hidden reply: %+v", got.ReplyList)
		}
		got = mustJSON[topicOut](t, f.mustDo(t, staff, "GET", base, nil), http.StatusOK)
		if len(got.ReplyList) != 1 || got.ReplyList[0].Body != "<b>支持</b>" {
			t.Errorf("staff's hidden reply: %+v", got.ReplyList)
		}

		propose := map[string]string{"rule": "household", "kind": "yes_no", "threshold": "majority", "quorum": "1/2",
			"closes_at": time.Now().Add(72 * time.Hour).Format(time.RFC3339)}
		mustProblem(t, f.mustDo(t, alice, "POST", base+"/propose", propose), 403)
		v := mustJSON[map[string]any](t, f.mustDo(t, staff, "POST", base+"/propose", propose), http.StatusCreated)
		if v["title"] != script {
			t.Errorf("the vote's title %q, want the topic's", v["title"])
		}
		mustProblem(t, f.mustDo(t, staff, "POST", base+"/propose", propose), 409)
		if got := mustJSON[topicOut](t, f.mustDo(t, bob, "GET", base, nil), http.StatusOK); got.VoteID != v["id"] || got.Status != "proposed" {
			t.Errorf("the proposed topic: %+v", got)
		}
		var votes int
		if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM votes`).Scan(&votes); err != nil || votes != 1 {
			t.Errorf("%d votes (%v), want 1", votes, err)
		}
	})
}
