package web_test

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestDisclosurePage: a community's public disclosure page renders without login, shows the
// public notices (not the others), closed votes' results, the Party posts with their names,
// and carries none of the residents' personal data (names, addresses, ID numbers, phones: the
// canaries); it is the same bytes for a logged-in resident, cacheable with an ETag (304 on a
// repeat), and its Atom feed parses. An unknown code is 404.
func TestDisclosurePage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		type canary struct{ name, id, phone, address string }
		var canaries []canary
		var heads []int64
		for i := range 3 {
			c := canary{name: fmt.Sprintf("金丝雀居民%d", i), id: validID("510781", "19710505", 80+i), phone: fmt.Sprintf("1390813%04d", 4000+i), address: fmt.Sprintf("金丝雀1栋1单元%d室", 901+i)}
			h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: c.address})
			if err != nil {
				t.Fatal(err)
			}
			r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: c.name, IDNumber: c.id, Phone: c.phone, Relation: model.RelationHead})
			if err != nil {
				t.Fatal(err)
			}
			canaries, heads = append(canaries, c), append(heads, r.ID)
		}
		staff, err := st.UserByUsername(ctx, "staff")
		if err != nil {
			t.Fatal(err)
		}
		sc := authz.ForUser(staff)
		if _, err := st.PublishNotice(ctx, sc, model.NoticeInput{Title: "公开：垃圾分类宣传周", Body: "本周六上午在小区广场。", TerritoryID: f.grid.ID, Public: true, Pinned: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.PublishNotice(ctx, sc, model.NoticeInput{Title: "内部：网格员排班", Body: "不公开。", TerritoryID: f.grid.ID}); err != nil {
			t.Fatal(err)
		}
		v, err := st.OpenVote(ctx, sc, model.VoteInput{Title: "是否加装电梯", TerritoryID: f.stairwell.ID, Rule: model.RuleHousehold, Kind: model.VoteYesNo,
			Threshold: model.ThresholdMajority, ClosesAt: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range mustRoll(t, st, v.ID) {
			if _, err := st.ProxyBallot(ctx, sc, v.ID, e, []int64{v.Options[0].ID}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.CloseVote(ctx, sc, v.ID); err != nil {
			t.Fatal(err)
		}
		org := storetest.PartyOrg(t, st, "community_committee", "", "天宝社区党委", f.community, 0)
		storetest.MustPost(t, st, org, "secretary", staff.ID)

		anon := f.anon(t)
		res := anon.get("/p/"+f.community.Code).want(t, http.StatusOK)
		body := res.Body
		for _, want := range []string{"公开：垃圾分类宣传周", "是否加装电梯", "表决通过", "天宝社区党委", "书记"} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if strings.Contains(body, "内部：网格员排班") {
			t.Error("a notice that is not public is on the page")
		}
		for _, c := range canaries {
			for _, leak := range []string{c.name, c.id[:17], c.phone, c.address, model.MaskIDNumber(c.id), model.MaskPhone(c.phone)} {
				if strings.Contains(body, leak) {
					t.Errorf("personal data on the public page: %q", leak)
				}
			}
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "public") {
			t.Errorf("Cache-Control %q", cc)
		}
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		anon.get("/p/"+f.community.Code, "If-None-Match", etag).want(t, http.StatusNotModified)
		// A logged-in resident gets the very same page: nothing of its session in it.
		if err := st.LinkResident(ctx, sys, mustUserID(t, st, "resident"), heads[0]); err != nil {
			t.Fatal(err)
		}
		if got := f.as(t, "resident").get("/p/"+f.community.Code).want(t, http.StatusOK); got.Header.Get("ETag") != etag {
			t.Error("a logged-in resident gets another page")
		}
		feed := anon.get("/p/"+f.community.Code+"/feed.atom").want(t, http.StatusOK)
		var parsed struct {
			Entries []struct {
				Title string `xml:"title"`
			} `xml:"entry"`
		}
		if err := xml.NewDecoder(strings.NewReader(feed.Body)).Decode(&parsed); err != nil || len(parsed.Entries) != 2 {
			t.Errorf("feed: %d entries, %v", len(parsed.Entries), err)
		}
		anon.get("/p/000000000000").want(t, http.StatusNotFound)
	})
}

func mustRoll(t *testing.T, st *store.Store, vote int64) []int64 {
	t.Helper()
	roll, err := st.VoteRoll(t.Context(), authz.System(), vote, store.VoteRollFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range roll.Items {
		ids = append(ids, e.VoterID)
	}
	return ids
}

func mustUserID(t *testing.T, st *store.Store, name string) int64 {
	t.Helper()
	u, err := st.UserByUsername(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
