package api_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type roundOut struct {
	ID             string `json:"id"`
	CommunityID    string `json:"community_id"`
	CommunityName  string `json:"community_name"`
	Title          string `json:"title"`
	Year           int    `json:"year"`
	BudgetFen      int64  `json:"budget_fen"`
	Budget         string `json:"budget"`
	Rule           string `json:"rule"`
	Status         string `json:"status"`
	StatusLabel    string `json:"status_label"`
	SelectionRule  string `json:"selection_rule"`
	Proposals      int    `json:"proposals"`
	VoteID         string `json:"vote_id"`
	VoteStatus     string `json:"vote_status"`
	VotingOpensAt  string `json:"voting_opens_at"`
	VotingClosesAt string `json:"voting_closes_at"`
	UsedFen        *int64 `json:"used_fen"`
	Used           string `json:"used"`
	LeftFen        *int64 `json:"left_fen"`
	Left           string `json:"left"`
	DecidedAt      string `json:"decided_at"`
	CancelReason   string `json:"cancel_reason"`
	CreatedAt      string `json:"created_at"`
	CanManage      bool   `json:"can_manage"`
	CanPropose     bool   `json:"can_propose"`
	MyProposals    int    `json:"my_proposals"`
}

type smallProjectOut struct {
	ID            string `json:"id"`
	RoundID       string `json:"round_id"`
	RoundTitle    string `json:"round_title"`
	Year          int    `json:"year"`
	TerritoryID   string `json:"territory_id"`
	TerritoryName string `json:"territory_name"`
	Title         string `json:"title"`
	Description   string `json:"description"`
	Proposer      string `json:"proposer"`
	ProposerLabel string `json:"proposer_label"`
	Mine          bool   `json:"mine"`
	Status        string `json:"status"`
	StatusLabel   string `json:"status_label"`
	CostFen       *int64 `json:"cost_fen"`
	Cost          string `json:"cost"`
	Note          string `json:"note"`
	ReviewedBy    string `json:"reviewed_by"`
	ReviewedAt    string `json:"reviewed_at"`
	OptionID      string `json:"option_id"`
	Approvals     *int   `json:"approvals"`
	LossReason    string `json:"loss_reason"`
	StartedAt     string `json:"started_at"`
	DoneAt        string `json:"done_at"`
	Milestones    []struct {
		ID     string `json:"id"`
		Title  string `json:"title"`
		DueOn  string `json:"due_on"`
		Done   bool   `json:"done"`
		DoneAt string `json:"done_at"`
		DoneBy string `json:"done_by"`
	} `json:"milestones"`
	Photos []struct {
		N      int    `json:"n"`
		URL    string `json:"url"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
	} `json:"photos"`
	CreatedAt string `json:"created_at"`
}

// photoForm is a multipart body with the photos in field photos.
func photoForm(tb testing.TB, photos ...[]byte) (string, []byte) {
	tb.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i, p := range photos {
		fw, err := mw.CreateFormFile("photos", fmt.Sprintf("p%d.jpg", i))
		if err != nil {
			tb.Fatal(err)
		}
		_, _ = fw.Write(p)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// TestBudgetAPI: a round through the API — created by staff (bad input 422 naming every field,
// a second round of the year 409), proposals by residents (their names hidden from each other),
// reviews (a cost over the budget 422 with the budget in the message), voting through the votes
// API (the vote names the round, its options carry no "passed"; cancelling it alone is 409),
// the decision when staff close it, the winners' milestones and photos; a resident of another
// community gets 404 everywhere.
func TestBudgetAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		a := f.mustHousehold(t, staff, tr.stairA, "1栋1单元101室", person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"})
		b := f.mustHousehold(t, staff, tr.stairB, "2栋1单元201室", person{Name: "李秀英", IDNumber: validID("510781", "19600505", 12), Relation: "户主"})
		voter := f.mustLinkedResident(t, tr.stairA, a.Residents[0].ID)
		neighbour := f.mustLinkedResident(t, tr.stairB, b.Residents[0].ID)
		other := mustTerritory(t, st, tr.street, model.KindCommunity, "太白社区")
		otherStair := mustTerritory(t, st, mustTerritory(t, st, other, model.KindGrid, "第一网格"), model.KindStairwell, "1单元")
		admin := f.mustToken(t, model.RoleStreetAdmin, tr.street)
		far := f.mustHousehold(t, admin, otherStair, "5栋1单元101室", person{Name: "赵外人", IDNumber: validID("510781", "19700707", 13), Relation: "户主"})
		outsider := f.mustLinkedResident(t, otherStair, far.Residents[0].ID)
		year := time.Now().In(model.Shanghai).Year()

		p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/projects/rounds", map[string]any{"community_id": id(tr.community.ID), "title": "", "year": year + 3, "budget": "1万", "rule": "x"}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"budget", "rule", "title", "year"}) {
			t.Errorf("bad round: %v", got)
		}
		body := map[string]any{"community_id": id(tr.community.ID), "title": "天宝社区民生微实事", "year": year, "budget": "20000", "rule": "household"}
		mustProblem(t, f.mustDo(t, voter, "POST", "/api/v1/projects/rounds", body), http.StatusForbidden)
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/projects/rounds", with(body, map[string]any{"community_id": id(other.ID)})), http.StatusUnprocessableEntity)
		r := mustJSON[roundOut](t, f.mustDo(t, staff, "POST", "/api/v1/projects/rounds", body), http.StatusCreated)
		if r.BudgetFen != 2000000 || r.Budget != "20000.00" || r.Status != "proposing" || !strings.Contains(r.SelectionRule, model.BudgetRuleText) || !r.CanManage {
			t.Fatalf("created: %+v", r)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/projects/rounds", body), http.StatusConflict)
		one := "/api/v1/projects/rounds/" + r.ID
		if got := mustJSON[roundOut](t, f.mustDo(t, voter, "GET", one, nil), http.StatusOK); !got.CanPropose || got.CanManage {
			t.Errorf("the resident's standing: %+v", got)
		}
		mustProblem(t, f.mustDo(t, outsider, "GET", one, nil), http.StatusNotFound)
		if l := mustJSON[listOut[roundOut]](t, f.mustDo(t, outsider, "GET", "/api/v1/projects/rounds", nil), http.StatusOK); len(l.Items) != 0 {
			t.Errorf("the outsider lists %+v", l.Items)
		}

		// Proposals.
		propose := func(tok, title string) smallProjectOut {
			t.Helper()
			return mustJSON[smallProjectOut](t, f.mustDo(t, tok, "POST", "/api/v1/projects", map[string]any{"round_id": r.ID, "territory_id": id(tr.gridA.ID),
				"title": title, "description": "大家都需要。"}), http.StatusCreated)
		}
		p1 := propose(voter, "1栋门口加装休息座椅")
		p2 := propose(neighbour, "2栋楼道灯改声控")
		p3 := propose(voter, "小区入口加装减速带")
		pb := mustProblem(t, f.mustDo(t, outsider, "POST", "/api/v1/projects", map[string]any{"round_id": r.ID, "title": "外面", "description": "x"}), http.StatusUnprocessableEntity)
		if got := fields(pb); !slices.Equal(got, []string{"round_id"}) {
			t.Errorf("the outsider proposing: %v", got)
		}
		seen := mustJSON[smallProjectOut](t, f.mustDo(t, neighbour, "GET", "/api/v1/projects/"+p1.ID, nil), http.StatusOK)
		if seen.Proposer != "" || seen.ProposerLabel != "居民提出" || seen.Mine {
			t.Errorf("a neighbour reads the proposal: %+v", seen)
		}
		if mine := mustJSON[smallProjectOut](t, f.mustDo(t, voter, "GET", "/api/v1/projects/"+p1.ID, nil), http.StatusOK); !mine.Mine || mine.Proposer != "" {
			t.Errorf("the proposer reads its own: %+v", mine)
		}
		if byStaff := mustJSON[smallProjectOut](t, f.mustDo(t, staff, "GET", "/api/v1/projects/"+p1.ID, nil), http.StatusOK); byStaff.Proposer == "" {
			t.Errorf("staff read no proposer: %+v", byStaff)
		}
		mustProblem(t, f.mustDo(t, outsider, "GET", "/api/v1/projects/"+p1.ID, nil), http.StatusNotFound)

		// Reviews.
		pb = mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/projects/"+p1.ID+"/review", map[string]any{"feasible": true, "cost": "20000.01"}), http.StatusUnprocessableEntity)
		if m := message(pb, "cost"); !strings.Contains(m, "费用超过本轮预算 20000.00 元") {
			t.Errorf("a cost over the budget: %q", m)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/projects/"+p1.ID+"/review", map[string]any{"cost": "1"}), http.StatusUnprocessableEntity)
		mustProblem(t, f.mustDo(t, voter, "POST", "/api/v1/projects/"+p1.ID+"/review", map[string]any{"feasible": true, "cost": "1"}), http.StatusForbidden)
		rv := mustJSON[smallProjectOut](t, f.mustDo(t, staff, "POST", "/api/v1/projects/"+p1.ID+"/review", map[string]any{"feasible": true, "cost": "12000", "note": "采购价"}), http.StatusOK)
		if rv.Status != "feasible" || rv.CostFen == nil || *rv.CostFen != 1200000 || rv.Cost != "12000.00" {
			t.Errorf("reviewed: %+v", rv)
		}
		mustJSON[smallProjectOut](t, f.mustDo(t, staff, "POST", "/api/v1/projects/"+p2.ID+"/review", map[string]any{"feasible": true, "cost": "9000"}), http.StatusOK)
		inf := mustJSON[smallProjectOut](t, f.mustDo(t, staff, "POST", "/api/v1/projects/"+p3.ID+"/review", map[string]any{"feasible": false, "note": "属市政道路，不在本小区"}), http.StatusOK)
		if got := mustJSON[smallProjectOut](t, f.mustDo(t, neighbour, "GET", "/api/v1/projects/"+inf.ID, nil), http.StatusOK); got.Status != "infeasible" || got.Note == "" {
			t.Errorf("an infeasible proposal as residents read it: %+v", got)
		}

		// Voting through the votes API.
		mustProblem(t, f.mustDo(t, staff, "POST", one+"/voting", map[string]any{"closes_at": time.Now().Add(-time.Hour)}), http.StatusUnprocessableEntity)
		r = mustJSON[roundOut](t, f.mustDo(t, staff, "POST", one+"/voting", map[string]any{"closes_at": time.Now().Add(48 * time.Hour)}), http.StatusOK)
		if r.Status != "voting" || r.VoteID == "" {
			t.Fatalf("voting: %+v", r)
		}
		vote := "/api/v1/votes/" + r.VoteID
		v := mustJSON[voteOut](t, f.mustDo(t, voter, "GET", vote, nil), http.StatusOK)
		if v.RoundID != r.ID || v.Kind != "multiple" || v.MaxChoices != 2 || len(v.Options) != 2 {
			t.Fatalf("the round's vote: %+v", v)
		}
		pb = mustProblem(t, f.mustDo(t, staff, "POST", vote+"/cancel", map[string]any{"reason": "不办了"}), http.StatusConflict)
		if !strings.Contains(pb.Detail, "取消该轮次") {
			t.Errorf("cancelling the round's vote: %+v", pb)
		}
		mustJSON[ballotOut](t, f.mustDo(t, voter, "POST", vote+"/ballots", map[string]any{"choices": []string{v.Options[0].ID, v.Options[1].ID}}), http.StatusCreated)
		mustJSON[ballotOut](t, f.mustDo(t, neighbour, "POST", vote+"/ballots", map[string]any{"choices": []string{v.Options[1].ID}}), http.StatusCreated)
		mustJSON[voteOut](t, f.mustDo(t, staff, "POST", vote+"/close", nil), http.StatusOK)
		res := mustJSON[voteResultOut](t, f.mustDo(t, voter, "GET", vote+"/result", nil), http.StatusOK)
		if res.Outcome != model.BudgetOutcome {
			t.Errorf("the round vote's outcome: %q", res.Outcome)
		}
		for _, o := range res.Options {
			if o.Passed != nil {
				t.Errorf("an option of a round's vote says passed: %+v", o)
			}
		}
		r = mustJSON[roundOut](t, f.mustDo(t, voter, "GET", one, nil), http.StatusOK)
		if r.Status != "decided" || r.UsedFen == nil || *r.UsedFen != 900000 || r.LeftFen == nil || *r.LeftFen != 1100000 {
			t.Fatalf("decided: %+v", r)
		}
		won := mustJSON[smallProjectOut](t, f.mustDo(t, neighbour, "GET", "/api/v1/projects/"+p2.ID, nil), http.StatusOK)
		lost := mustJSON[smallProjectOut](t, f.mustDo(t, neighbour, "GET", "/api/v1/projects/"+p1.ID, nil), http.StatusOK)
		if won.Status != "won" || won.Approvals == nil || *won.Approvals != 2 || lost.Status != "lost" || !strings.HasPrefix(lost.LossReason, model.LostNoBudget) {
			t.Errorf("won %+v, lost %+v", won, lost)
		}
		l := mustJSON[listOut[smallProjectOut]](t, f.mustDo(t, voter, "GET", "/api/v1/projects?round="+r.ID+"&status=won", nil), http.StatusOK)
		if len(l.Items) != 1 || l.Items[0].ID != p2.ID {
			t.Errorf("the winners: %+v", l.Items)
		}
		mustProblem(t, f.mustDo(t, voter, "GET", "/api/v1/projects?status=maybe", nil), http.StatusUnprocessableEntity)

		// Carrying the winner out.
		w := "/api/v1/projects/" + p2.ID
		m := mustJSON[smallProjectOut](t, f.mustDo(t, staff, "POST", w+"/milestones", map[string]any{"title": "施工", "due_on": fmt.Sprintf("%d-10-01", year+1)}), http.StatusCreated)
		mustJSON[smallProjectOut](t, f.mustDo(t, staff, "POST", w+"/milestone-ticks", map[string]any{"milestone_id": m.Milestones[0].ID}), http.StatusOK)
		mustProblem(t, f.mustDo(t, staff, "POST", w+"/milestone-ticks", map[string]any{"milestone_id": m.Milestones[0].ID}), http.StatusConflict)
		ct, pbody := photoForm(t, modeltest.JPEG(t, 64, 48))
		ph := mustJSON[smallProjectOut](t, f.mustDoAs(t, staff, "POST", w+"/photos", ct, pbody), http.StatusCreated)
		if len(ph.Photos) != 1 || ph.Photos[0].URL != w+"/photos/1" {
			t.Fatalf("photos: %+v", ph.Photos)
		}
		got := f.mustDo(t, neighbour, "GET", ph.Photos[0].URL, nil)
		if got.status != http.StatusOK || got.header.Get("Content-Type") != model.PhotoType || got.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("the photo: %d %v", got.status, got.header)
		}
		mustProblem(t, f.mustDo(t, outsider, "GET", ph.Photos[0].URL, nil), http.StatusNotFound)
		for _, n := range []string{"0", "2", "-1", "x", "99999999999999999999"} { // pathIDAndIndex: no such photo
			mustProblem(t, f.mustDo(t, neighbour, "GET", w+"/photos/"+n, nil), http.StatusNotFound)
		}
		ct, pbody = photoForm(t, []byte("<html><script>alert(1)</script></html>"))
		if pb := mustProblem(t, f.mustDoAs(t, staff, "POST", w+"/photos", ct, pbody), http.StatusUnprocessableEntity); !slices.Equal(fields(pb), []string{"photos[0]"}) {
			t.Errorf("a page as a photo: %+v", pb)
		}
		mustProblem(t, f.mustDoAs(t, staff, "POST", "/api/v1/projects/"+p1.ID+"/photos", "multipart/form-data; boundary=x", []byte("--x--")), http.StatusUnprocessableEntity)
		mustProblem(t, f.mustDo(t, staff, "POST", w+"/transitions", map[string]any{"action": "complete"}), http.StatusConflict)
		mustProblem(t, f.mustDo(t, staff, "POST", w+"/transitions", map[string]any{"action": "fly"}), http.StatusUnprocessableEntity)
		mustJSON[smallProjectOut](t, f.mustDo(t, staff, "POST", w+"/transitions", map[string]any{"action": "start"}), http.StatusOK)
		if done := mustJSON[smallProjectOut](t, f.mustDo(t, staff, "POST", w+"/transitions", map[string]any{"action": "complete"}), http.StatusOK); done.Status != "done" {
			t.Errorf("done: %+v", done)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", one+"/cancel", map[string]any{"reason": "晚了"}), http.StatusConflict)
	})
}

// TestBudgetVotingRaceAPI: 50 identical requests to open one round's voting sent at the same
// moment through the server: one 200, 49 problems with 409, one vote opened.
func TestBudgetVotingRaceAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		f.mustHousehold(t, staff, tr.stairA, "1栋1单元101室", person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"})
		r := mustJSON[roundOut](t, f.mustDo(t, staff, "POST", "/api/v1/projects/rounds", map[string]any{"community_id": id(tr.community.ID), "title": "赛跑",
			"year": time.Now().In(model.Shanghai).Year(), "budget": "5000", "rule": "resident"}), http.StatusCreated)
		for _, title := range []string{"甲项目", "乙项目"} {
			p := mustJSON[smallProjectOut](t, f.mustDo(t, staff, "POST", "/api/v1/projects", map[string]any{"round_id": r.ID, "title": title, "description": "说明"}), http.StatusCreated)
			mustJSON[smallProjectOut](t, f.mustDo(t, staff, "POST", "/api/v1/projects/"+p.ID+"/review", map[string]any{"feasible": true, "cost": "1000"}), http.StatusOK)
		}
		body := fmt.Sprintf(`{"closes_at":%q}`, time.Now().Add(24*time.Hour).Format(time.RFC3339))
		const n = 50
		start := make(chan struct{})
		replies := make(chan reply, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				<-start
				req, err := http.NewRequest("POST", f.url+"/api/v1/projects/rounds/"+r.ID+"/voting", strings.NewReader(body))
				if err != nil {
					replies <- reply{status: -1, body: []byte(err.Error())}
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+staff)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					replies <- reply{status: -1, body: []byte(err.Error())}
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				replies <- reply{status: resp.StatusCode, header: resp.Header, body: b}
			})
		}
		close(start)
		wg.Wait()
		close(replies)
		opened := 0
		for rp := range replies {
			if rp.status == http.StatusOK {
				mustJSON[roundOut](t, rp, http.StatusOK)
				opened++
				continue
			}
			mustProblem(t, rp, http.StatusConflict)
		}
		if opened != 1 {
			t.Errorf("%d openings accepted, want 1", opened)
		}
		var votes int
		if err := st.DB().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM votes`).Scan(&votes); err != nil || votes != 1 {
			t.Errorf("votes opened = %d, %v; want 1", votes, err)
		}
	})
}
