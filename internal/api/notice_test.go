package api_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// territoryNoticeOut is a notice as the API renders it.
type territoryNoticeOut struct {
	ID             string `json:"id"`
	Title          string `json:"title"`
	Body           string `json:"body"`
	TerritoryID    string `json:"territory_id"`
	TerritoryName  string `json:"territory_name"`
	Pinned         bool   `json:"pinned"`
	Public         bool   `json:"public"`
	Status         string `json:"status"`
	Audience       int    `json:"audience"`
	Reads          int    `json:"reads"`
	Read           bool   `json:"read"`
	PublishedAt    string `json:"published_at"`
	PublishedBy    string `json:"published_by"`
	WithdrawnAt    string `json:"withdrawn_at"`
	WithdrawReason string `json:"withdraw_reason"`
}

// noticeUnreadOut is a household that has not read a notice.
type noticeUnreadOut struct {
	HouseholdID string `json:"household_id"`
	Address     string `json:"address"`
	HeadName    string `json:"head_name"`
}

// newNotice is a valid body of POST /api/v1/notices to node.
func newNotice(node *model.Territory, title string) map[string]any {
	return map[string]any{"title": title, "body": "明天上午9点至12点停水，请提前储水。", "territory_id": id(node.ID)}
}

// noticeIDs are the ids of the notices of a list, in order.
func noticeIDs(l listOut[territoryNoticeOut]) []string {
	var s []string
	for _, n := range l.Items {
		s = append(s, n.ID)
	}
	return s
}

// TestNoticeAPI: staff publish (bad input 422 naming every bad field, a territory of another
// community 422 on territory_id, a resident 403); a resident whose household lies under a notice
// sees it in the feed, pinned first, unread, and not a notice of another grid; its reading, and a
// second, and another member's, count once for the household; staff list the households not
// reached, a resident may not; a withdrawal needs a reason, then the notice leaves the feed and
// the resident gets 404; a resident of another community gets 404 everywhere; a title with markup
// comes back as written.
func TestNoticeAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		a := f.mustHousehold(t, staff, tr.stairA, "1栋1单元101室",
			person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"},
			person{Name: "刘秀英", IDNumber: validID("510781", "19600101", 22), Relation: "配偶"})
		b := f.mustHousehold(t, staff, tr.stairB, "2栋1单元201室", person{Name: "李秀英", IDNumber: validID("510781", "19600505", 12), Relation: "户主"})
		c := f.mustHousehold(t, staff, tr.stairB, "2栋1单元202室", person{Name: "王德明", IDNumber: validID("510781", "19650909", 13), Relation: "户主"})
		reader := f.mustLinkedResident(t, tr.stairA, a.Residents[0].ID)
		spouse := f.mustLinkedResident(t, tr.buildingA, a.Residents[1].ID) // same household, another account

		// Another community of the street, with a resident of its own.
		other := mustTerritory(t, st, tr.street, model.KindCommunity, "太白社区")
		otherStair := mustTerritory(t, st, mustTerritory(t, st, mustTerritory(t, st, other, model.KindGrid, "第一网格"), model.KindBuilding, "5栋"), model.KindStairwell, "1单元")
		admin := f.mustToken(t, model.RoleStreetAdmin, tr.street)
		far := f.mustHousehold(t, admin, otherStair, "5栋1单元101室", person{Name: "赵外人", IDNumber: validID("510781", "19700707", 14), Relation: "户主"})
		outsider := f.mustLinkedResident(t, otherStair, far.Residents[0].ID)

		// Publishing: bad input names every bad field; the resident may not publish.
		body := newNotice(tr.community, "停水通知")
		for _, tc := range []struct {
			name   string
			change map[string]any
			want   []string
		}{
			{"blank title", map[string]any{"title": "  "}, []string{"title"}},
			{"blank body", map[string]any{"body": "\n"}, []string{"body"}},
			{"no territory", map[string]any{"territory_id": nil}, []string{"territory_id"}},
			{"title too long", map[string]any{"title": strings.Repeat("通", 101)}, []string{"title"}},
			{"every bad field named", map[string]any{"title": "", "body": "", "territory_id": "0"}, []string{"body", "territory_id", "title"}},
			{"another community", map[string]any{"territory_id": id(otherStair.ID)}, []string{"territory_id"}},
			{"a territory that does not exist", map[string]any{"territory_id": "999999"}, []string{"territory_id"}},
		} {
			p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/notices", with(body, tc.change)), http.StatusUnprocessableEntity)
			if got := fields(p); !slices.Equal(got, tc.want) {
				t.Errorf("%s: fields %v, want %v (%+v)", tc.name, got, tc.want, p)
			}
		}
		// Only a community's notice, or one under it, goes on the public disclosure page.
		p := mustProblem(t, f.mustDo(t, admin, "POST", "/api/v1/notices", with(newNotice(tr.street, "街道通知"), map[string]any{"public": true})), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"public"}) {
			t.Errorf("a public notice to the street: fields %v, want [public]", got)
		}
		mustProblem(t, f.mustDo(t, reader, "POST", "/api/v1/notices", body), http.StatusForbidden)
		if l := mustJSON[listOut[territoryNoticeOut]](t, f.mustDo(t, admin, "GET", "/api/v1/notices", nil), http.StatusOK); len(l.Items) != 0 {
			t.Fatalf("a rejected notice was stored: %+v", l.Items)
		}

		// A pinned notice, then a newer one whose title has markup, to the community; one to the
		// other grid only.
		pinned := mustJSON[territoryNoticeOut](t, f.mustDo(t, staff, "POST", "/api/v1/notices", with(body, map[string]any{"title": "物业费收缴公示", "pinned": true})), http.StatusCreated)
		const markup = `停水 <script>alert("x")</script> & 检修 '1' > 0`
		r := f.mustDo(t, staff, "POST", "/api/v1/notices", with(body, map[string]any{"title": markup, "body": "<b>不是</b>HTML"}))
		n := mustJSON[territoryNoticeOut](t, r, http.StatusCreated)
		if n.Title != markup || n.Body != "<b>不是</b>HTML" || strings.Contains(string(r.body), "&lt;") || strings.Contains(string(r.body), "&amp;") {
			t.Errorf("the title or body came back changed: %s", r.body)
		}
		if n.Status != "published" || n.Pinned || n.Audience != 3 || n.Reads != 0 || n.Read || n.TerritoryID != id(tr.community.ID) ||
			n.TerritoryName != "天宝社区" || n.PublishedAt == "" || n.WithdrawnAt != "" {
			t.Fatalf("published: %+v", n)
		}
		gridB := mustJSON[territoryNoticeOut](t, f.mustDo(t, staff, "POST", "/api/v1/notices", newNotice(tr.gridB, "第二网格楼道清理")), http.StatusCreated)
		if gridB.Audience != 2 {
			t.Errorf("the second grid's notice goes to %d households, want 2", gridB.Audience)
		}
		one := "/api/v1/notices/" + n.ID

		// The resident's feed: the notices over its household, pinned first, none read yet.
		feed := mustJSON[listOut[territoryNoticeOut]](t, f.mustDo(t, reader, "GET", "/api/v1/notices", nil), http.StatusOK)
		if got, want := noticeIDs(feed), []string{pinned.ID, n.ID}; !slices.Equal(got, want) {
			t.Fatalf("the resident's feed = %v, want %v (pinned first, not the other grid's)", got, want)
		}
		if feed.Items[1].Title != markup {
			t.Errorf("the title in the feed = %q, want %q", feed.Items[1].Title, markup)
		}
		for _, it := range feed.Items {
			if it.Read {
				t.Errorf("read before reading: %+v", it)
			}
		}
		mustProblem(t, f.mustDo(t, reader, "GET", "/api/v1/notices/"+gridB.ID, nil), http.StatusNotFound)
		if got := mustJSON[territoryNoticeOut](t, f.mustDo(t, reader, "GET", one, nil), http.StatusOK); got.Read || got.Reads != 0 {
			t.Errorf("a GET recorded a reading: %+v", got)
		}

		// 知道了: the household's first reading counts, nothing after it does.
		got := mustJSON[territoryNoticeOut](t, f.mustDo(t, reader, "POST", one+"/read", nil), http.StatusOK)
		if !got.Read || got.Reads != 1 {
			t.Errorf("after reading: read %v reads %d, want true 1", got.Read, got.Reads)
		}
		got = mustJSON[territoryNoticeOut](t, f.mustDo(t, reader, "POST", one+"/read", nil), http.StatusOK)
		if !got.Read || got.Reads != 1 {
			t.Errorf("after reading twice: read %v reads %d, want true 1", got.Read, got.Reads)
		}
		got = mustJSON[territoryNoticeOut](t, f.mustDo(t, spouse, "POST", one+"/read", nil), http.StatusOK)
		if !got.Read || got.Reads != 1 {
			t.Errorf("after another member's reading: read %v reads %d, want true 1", got.Read, got.Reads)
		}
		feed = mustJSON[listOut[territoryNoticeOut]](t, f.mustDo(t, spouse, "GET", "/api/v1/notices", nil), http.StatusOK)
		if len(feed.Items) != 2 || feed.Items[0].Read || !feed.Items[1].Read || feed.Items[1].Reads != 1 {
			t.Errorf("the household's feed after reading: %+v", feed.Items)
		}
		if got := mustJSON[territoryNoticeOut](t, f.mustDo(t, staff, "GET", one, nil), http.StatusOK); got.Reads != 1 || got.Read || got.Audience != 3 {
			t.Errorf("staff see reads %d of %d (read %v), want 1 of 3", got.Reads, got.Audience, got.Read)
		}

		// The households not reached: staff see them, a resident may not.
		unread := mustJSON[listOut[noticeUnreadOut]](t, f.mustDo(t, staff, "GET", one+"/unread", nil), http.StatusOK)
		var ids []string
		for _, u := range unread.Items {
			ids = append(ids, u.HouseholdID)
		}
		if want := []string{b.ID, c.ID}; !slices.Equal(ids, want) || unread.Items[0].Address != "2栋1单元201室" || unread.Items[0].HeadName != "李秀英" {
			t.Errorf("unread = %+v, want households %v", unread.Items, want)
		}
		mustProblem(t, f.mustDo(t, staff, "GET", one+"/unread?limit=0", nil), http.StatusUnprocessableEntity)
		mustProblem(t, f.mustDo(t, reader, "GET", one+"/unread", nil), http.StatusForbidden)

		// The resident of another community learns nothing of the notices.
		mustProblem(t, f.mustDo(t, outsider, "GET", one, nil), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, outsider, "POST", one+"/read", nil), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, outsider, "GET", "/api/v1/notices/"+pinned.ID, nil), http.StatusNotFound)
		if l := mustJSON[listOut[territoryNoticeOut]](t, f.mustDo(t, outsider, "GET", "/api/v1/notices", nil), http.StatusOK); len(l.Items) != 0 {
			t.Errorf("the outsider lists %+v", l.Items)
		}
		if got := mustJSON[territoryNoticeOut](t, f.mustDo(t, staff, "GET", one, nil), http.StatusOK); got.Reads != 1 {
			t.Errorf("the outsider's reading counted: reads %d, want 1", got.Reads)
		}

		// Withdrawing needs a reason; then the notice leaves the feed and the resident gets 404.
		for _, reason := range []map[string]any{{}, {"reason": "   "}} {
			p := mustProblem(t, f.mustDo(t, staff, "POST", one+"/withdraw", reason), http.StatusUnprocessableEntity)
			if got := fields(p); !slices.Equal(got, []string{"reason"}) {
				t.Errorf("withdraw with %v: fields %v, want [reason]", reason, got)
			}
		}
		mustProblem(t, f.mustDo(t, reader, "POST", one+"/withdraw", map[string]any{"reason": "发错了"}), http.StatusForbidden)
		w := mustJSON[territoryNoticeOut](t, f.mustDo(t, staff, "POST", one+"/withdraw", map[string]any{"reason": " 停水时间有变，另行通知 "}), http.StatusOK)
		if w.Status != "withdrawn" || w.WithdrawReason != "停水时间有变，另行通知" || w.WithdrawnAt == "" || w.Reads != 1 {
			t.Errorf("withdrawn: %+v", w)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", one+"/withdraw", map[string]any{"reason": "再撤一次"}), http.StatusConflict)
		mustProblem(t, f.mustDo(t, staff, "POST", one+"/pin", map[string]any{"pinned": true}), http.StatusConflict)
		mustProblem(t, f.mustDo(t, reader, "GET", one, nil), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, spouse, "POST", one+"/read", nil), http.StatusNotFound)
		feed = mustJSON[listOut[territoryNoticeOut]](t, f.mustDo(t, reader, "GET", "/api/v1/notices", nil), http.StatusOK)
		if got, want := noticeIDs(feed), []string{pinned.ID}; !slices.Equal(got, want) {
			t.Errorf("the resident's feed after the withdrawal = %v, want %v", got, want)
		}
		if got := noticeIDs(mustJSON[listOut[territoryNoticeOut]](t, f.mustDo(t, reader, "GET", "/api/v1/notices?status=withdrawn", nil), http.StatusOK)); !slices.Equal(got, []string{pinned.ID}) {
			t.Errorf("the resident asking for withdrawn notices gets %v, want the published ones", got)
		}
		if got := noticeIDs(mustJSON[listOut[territoryNoticeOut]](t, f.mustDo(t, staff, "GET", "/api/v1/notices?status=withdrawn", nil), http.StatusOK)); !slices.Equal(got, []string{n.ID}) {
			t.Errorf("staff's withdrawn notices = %v, want [%s]", got, n.ID)
		}
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/notices?status=deleted", nil), http.StatusUnprocessableEntity)

		// Pinning moves a notice to the top; the newest pinned one comes first.
		mustJSON[territoryNoticeOut](t, f.mustDo(t, staff, "POST", "/api/v1/notices/"+gridB.ID+"/pin", map[string]any{"pinned": true}), http.StatusOK)
		if got, want := noticeIDs(mustJSON[listOut[territoryNoticeOut]](t, f.mustDo(t, staff, "GET", "/api/v1/notices", nil), http.StatusOK)), []string{gridB.ID, pinned.ID}; !slices.Equal(got, want) {
			t.Errorf("staff's feed after pinning = %v, want %v", got, want)
		}

		// A notice of the street reaches the community's households; its staff read it and see
		// which of their own households have not read it, but may not change it.
		street := mustJSON[territoryNoticeOut](t, f.mustDo(t, admin, "POST", "/api/v1/notices", newNotice(tr.street, "街道防汛通知")), http.StatusCreated)
		if street.Audience != 4 {
			t.Errorf("the street's notice goes to %d households, want 4", street.Audience)
		}
		mustJSON[territoryNoticeOut](t, f.mustDo(t, reader, "GET", "/api/v1/notices/"+street.ID, nil), http.StatusOK)
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/notices/"+street.ID+"/pin", map[string]any{"pinned": true}), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/notices/"+street.ID+"/withdraw", map[string]any{"reason": "不归我管"}), http.StatusNotFound)
		mustJSON[territoryNoticeOut](t, f.mustDo(t, staff, "GET", "/api/v1/notices/"+street.ID, nil), http.StatusOK)
		if unread := mustJSON[listOut[map[string]any]](t, f.mustDo(t, staff, "GET", "/api/v1/notices/"+street.ID+"/unread", nil), http.StatusOK); len(unread.Items) != 3 {
			t.Errorf("the street notice's unread households in the staff's community: %v, want its 3", unread.Items)
		}
	})
}

// TestNoticeReadRaceAPI: 20 readings of one notice by one household's two accounts, sent at the
// same moment through the server: all answer 200 with read true, and the household is counted
// once.
func TestNoticeReadRaceAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		a := f.mustHousehold(t, staff, tr.stairA, "1栋1单元101室",
			person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"},
			person{Name: "刘秀英", IDNumber: validID("510781", "19600101", 22), Relation: "配偶"})
		f.mustHousehold(t, staff, tr.stairB, "2栋1单元201室", person{Name: "李秀英", IDNumber: validID("510781", "19600505", 12), Relation: "户主"})
		readers := []string{f.mustLinkedResident(t, tr.stairA, a.Residents[0].ID), f.mustLinkedResident(t, tr.buildingA, a.Residents[1].ID)}
		n := mustJSON[territoryNoticeOut](t, f.mustDo(t, staff, "POST", "/api/v1/notices", newNotice(tr.community, "停水通知")), http.StatusCreated)
		path := "/api/v1/notices/" + n.ID + "/read"
		const k = 20
		start := make(chan struct{})
		replies := make(chan reply, k)
		var wg sync.WaitGroup
		for i := range k {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				req, err := http.NewRequest("POST", f.url+path, nil)
				if err != nil {
					replies <- reply{status: -1, body: []byte(err.Error())}
					return
				}
				req.Header.Set("Authorization", "Bearer "+readers[i%len(readers)])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					replies <- reply{status: -1, body: []byte(err.Error())}
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err != nil {
					replies <- reply{status: -1, body: []byte(err.Error())}
					return
				}
				replies <- reply{status: resp.StatusCode, header: resp.Header, body: b}
			}()
		}
		close(start)
		wg.Wait()
		close(replies)
		for r := range replies {
			if got := mustJSON[territoryNoticeOut](t, r, http.StatusOK); !got.Read || got.Reads != 1 {
				t.Errorf("a reading answered read %v reads %d, want true 1", got.Read, got.Reads)
			}
		}
		if got := mustJSON[territoryNoticeOut](t, f.mustDo(t, staff, "GET", "/api/v1/notices/"+n.ID, nil), http.StatusOK); got.Reads != 1 || got.Audience != 2 {
			t.Errorf("reads %d of %d, want 1 of 2", got.Reads, got.Audience)
		}
		var rows int
		if err := st.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM notice_reads WHERE notice_id = `+n.ID).Scan(&rows); err != nil || rows != 1 {
			t.Errorf("receipts stored = %d, %v; want 1", rows, err)
		}
	})
}
