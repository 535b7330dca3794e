package api_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// voteOptionOut is an option of a vote as the API renders it.
type voteOptionOut struct {
	ID      string `json:"id"`
	Label   string `json:"label"`
	Abstain bool   `json:"abstain"`
	Votes   *int   `json:"votes"`
	Passed  *bool  `json:"passed"`
}

// voteOut is a vote as the API renders it.
type voteOut struct {
	ID            string          `json:"id"`
	Title         string          `json:"title"`
	Description   string          `json:"description"`
	TerritoryID   string          `json:"territory_id"`
	TerritoryName string          `json:"territory_name"`
	Rule          string          `json:"rule"`
	Kind          string          `json:"kind"`
	MaxChoices    int             `json:"max_choices"`
	Quorum        string          `json:"quorum"`
	Threshold     string          `json:"threshold"`
	OpensAt       string          `json:"opens_at"`
	ClosesAt      string          `json:"closes_at"`
	Status        string          `json:"status"`
	StatusLabel   string          `json:"status_label"`
	Eligible      int             `json:"eligible"`
	Voted         int             `json:"voted"`
	Options       []voteOptionOut `json:"options"`
	OnRoll        bool            `json:"on_roll"`
	CallerVoted   bool            `json:"caller_voted"`
	CancelReason  string          `json:"cancel_reason"`
	ClosedAt      string          `json:"closed_at"`
	CreatedAt     string          `json:"created_at"`
	RoundID       string          `json:"round_id"`
}

// ballotOut is the answer to a ballot: a receipt, nothing about the choice.
type ballotOut struct {
	Receipt string `json:"receipt"`
	Proxy   bool   `json:"proxy"`
}

// voteResultOut is the result of a closed vote.
type voteResultOut struct {
	Vote      voteOut         `json:"vote"`
	Ballots   int             `json:"ballots"`
	Eligible  int             `json:"eligible"`
	QuorumMet bool            `json:"quorum_met"`
	Passed    bool            `json:"passed"`
	WinnerID  string          `json:"winner_id"`
	Outcome   string          `json:"outcome"`
	Options   []voteOptionOut `json:"options"`
	Buildings []struct {
		TerritoryID string `json:"territory_id"`
		Name        string `json:"name"`
		Eligible    int    `json:"eligible"`
		Voted       int    `json:"voted"`
	} `json:"turnout_by_building"`
	Reproduced bool `json:"reproduced"`
}

// receiptOut is a receipt's check.
type receiptOut struct {
	Receipt string `json:"receipt"`
	Found   bool   `json:"found"`
	Counted bool   `json:"counted"`
	Status  string `json:"status"`
}

// rollEntryOut is one voter of a vote's roll.
type rollEntryOut struct {
	VoterID     string `json:"voter_id"`
	HouseholdID string `json:"household_id"`
	Address     string `json:"address"`
	Name        string `json:"name"`
	Voted       bool   `json:"voted"`
	Proxy       bool   `json:"proxy"`
}

// newVote is a valid body of POST /api/v1/votes over node: a yes/no vote, one household one
// vote, open for two days.
func newVote(node *model.Territory) map[string]any {
	return map[string]any{"title": "是否加装电梯", "description": "1栋、2栋加装电梯，费用按楼层分摊", "territory_id": id(node.ID),
		"rule": "household", "kind": "yes_no", "quorum": "1/2", "threshold": "majority", "closes_at": time.Now().Add(48 * time.Hour)}
}

// with is body with the fields of change replaced.
func with(body map[string]any, change map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		out[k] = v
	}
	for k, v := range change {
		out[k] = v
	}
	return out
}

// TestVoteAPI: staff open a vote (bad input 422 naming the field); a resident on the roll casts
// its household's ballot and gets a receipt and nothing else; a second ballot of the household
// is 409; no result and no early close while a voter is still to vote; staff cast the last one
// by proxy from the roll, close the vote, and the result has the tallies, reproduced from the
// ballots, with the turnout by building; a receipt is found and counted, another code not; a
// resident of another community gets 404 everywhere.
func TestVoteAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		a := f.mustHousehold(t, staff, tr.stairA, "1栋1单元101室",
			person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"},
			person{Name: "刘秀英", IDNumber: validID("510781", "19600101", 22), Relation: "配偶"})
		b := f.mustHousehold(t, staff, tr.stairB, "2栋1单元201室", person{Name: "李秀英", IDNumber: validID("510781", "19600505", 12), Relation: "户主"})
		voter := f.mustLinkedResident(t, tr.stairA, a.Residents[0].ID)
		spouse := f.mustLinkedResident(t, tr.buildingA, a.Residents[1].ID) // same household, another account

		// Another community of the street, with a resident of its own.
		other := mustTerritory(t, st, tr.street, model.KindCommunity, "太白社区")
		otherStair := mustTerritory(t, st, mustTerritory(t, st, mustTerritory(t, st, other, model.KindGrid, "第一网格"), model.KindBuilding, "5栋"), model.KindStairwell, "1单元")
		admin := f.mustToken(t, model.RoleStreetAdmin, tr.street)
		far := f.mustHousehold(t, admin, otherStair, "5栋1单元101室", person{Name: "赵外人", IDNumber: validID("510781", "19700707", 13), Relation: "户主"})
		outsider := f.mustLinkedResident(t, otherStair, far.Residents[0].ID)

		// Opening: bad input names the field; the resident may not open one.
		body := newVote(tr.community)
		for _, c := range []struct {
			name   string
			change map[string]any
			want   []string
		}{
			{"blank title", map[string]any{"title": "  "}, []string{"title"}},
			{"closing in the past", map[string]any{"closes_at": time.Now().Add(-time.Hour)}, []string{"closes_at"}},
			{"quorum above one", map[string]any{"quorum": "3/2"}, []string{"quorum"}},
			{"every bad field named", map[string]any{"title": "", "quorum": "3/2"}, []string{"quorum", "title"}},
		} {
			p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/votes", with(body, c.change)), http.StatusUnprocessableEntity)
			if got := fields(p); !slices.Equal(got, c.want) {
				t.Errorf("%s: fields %v, want %v (%+v)", c.name, got, c.want, p)
			}
		}
		mustProblem(t, f.mustDo(t, voter, "POST", "/api/v1/votes", body), http.StatusForbidden)
		v := mustJSON[voteOut](t, f.mustDo(t, staff, "POST", "/api/v1/votes", body), http.StatusCreated)
		if v.Rule != "household" || v.Quorum != "1/2" || v.Threshold != "majority" || v.Status != "open" || v.Kind != "yes_no" ||
			v.Eligible != 2 || v.Voted != 0 || len(v.Options) != 3 || !v.Options[2].Abstain {
			t.Fatalf("opened: %+v", v)
		}
		yes, no := v.Options[0], v.Options[1]
		one := "/api/v1/votes/" + v.ID

		// The resident of another community learns nothing of the vote.
		mustProblem(t, f.mustDo(t, outsider, "GET", one, nil), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, outsider, "POST", one+"/ballots", map[string]any{"choices": []string{yes.ID}}), http.StatusNotFound)
		if l := mustJSON[listOut[voteOut]](t, f.mustDo(t, outsider, "GET", "/api/v1/votes", nil), http.StatusOK); len(l.Items) != 0 {
			t.Errorf("the outsider lists %+v", l.Items)
		}

		// territory=ID narrows the list to that node and under it (it was ignored): a vote over
		// the second stairwell is not under the first.
		b2 := mustJSON[voteOut](t, f.mustDo(t, staff, "POST", "/api/v1/votes", with(body, map[string]any{"territory_id": id(tr.stairB.ID), "title": "2栋是否更换门禁"})), http.StatusCreated)
		if l := mustJSON[listOut[voteOut]](t, f.mustDo(t, staff, "GET", "/api/v1/votes?territory="+id(tr.stairB.ID), nil), http.StatusOK); len(l.Items) != 1 || l.Items[0].ID != b2.ID {
			t.Errorf("votes under the second stairwell: %+v", l.Items)
		}
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/votes?territory="+id(otherStair.ID), nil), http.StatusNotFound)
		mustJSON[voteOut](t, f.mustDo(t, staff, "POST", "/api/v1/votes/"+b2.ID+"/cancel", map[string]any{"reason": "重复发起"}), http.StatusOK)

		// A ballot answers a receipt, never the choice.
		r := f.mustDo(t, voter, "POST", one+"/ballots", map[string]any{"choices": []string{yes.ID}})
		receipt := mustJSON[ballotOut](t, r, http.StatusCreated)
		if _, ok := model.NormalizeReceipt(receipt.Receipt); !ok || receipt.Proxy {
			t.Errorf("ballot: %s", r.body)
		}
		if s := string(r.body); strings.Contains(s, `"`+yes.ID+`"`) || strings.Contains(s, yes.Label) || strings.Contains(s, "choice") {
			t.Errorf("the ballot's answer shows the choice: %s", s)
		}
		p := mustProblem(t, f.mustDo(t, spouse, "POST", one+"/ballots", map[string]any{"choices": []string{no.ID}}), http.StatusConflict)
		if !strings.Contains(p.Detail, "这一户已经投过票") {
			t.Errorf("second ballot of the household: %+v", p)
		}
		got := mustJSON[voteOut](t, f.mustDo(t, spouse, "GET", one, nil), http.StatusOK)
		if !got.OnRoll || !got.CallerVoted || got.Voted != 1 {
			t.Errorf("the household after voting: %+v", got)
		}
		for _, o := range got.Options {
			if o.Votes != nil {
				t.Errorf("a tally shown while open: %+v", o)
			}
		}
		check := mustJSON[receiptOut](t, f.mustDo(t, voter, "GET", one+"/receipts/"+receipt.Receipt, nil), http.StatusOK)
		if !check.Found || check.Counted || check.Status != "open" {
			t.Errorf("receipt while open: %+v", check)
		}

		// No result, and no early close, while a voter is still to vote.
		mustProblem(t, f.mustDo(t, staff, "GET", one+"/result", nil), http.StatusConflict)
		mustProblem(t, f.mustDo(t, voter, "GET", one+"/result", nil), http.StatusConflict)
		mustProblem(t, f.mustDo(t, staff, "POST", one+"/close", nil), http.StatusConflict)

		// Staff cast the last ballot by proxy, from the roll.
		mustProblem(t, f.mustDo(t, voter, "GET", one+"/roll", nil), http.StatusForbidden)
		roll := mustJSON[listOut[rollEntryOut]](t, f.mustDo(t, staff, "GET", one+"/roll", nil), http.StatusOK)
		if len(roll.Items) != 2 || roll.Items[0].VoterID != b.ID || roll.Items[0].Voted || roll.Items[1].VoterID != a.ID || !roll.Items[1].Voted || roll.Items[1].Proxy {
			t.Fatalf("roll: %+v", roll.Items)
		}
		// A page at a time: the second page is the voter who voted, and the end.
		page := mustJSON[listOut[rollEntryOut]](t, f.mustDo(t, staff, "GET", one+"/roll?limit=1", nil), http.StatusOK)
		if len(page.Items) != 1 || page.Items[0].VoterID != b.ID || page.NextCursor == "" || page.Total == nil || *page.Total != 2 {
			t.Fatalf("roll's first page: %+v", page)
		}
		page = mustJSON[listOut[rollEntryOut]](t, f.mustDo(t, staff, "GET", one+"/roll?limit=1&cursor="+page.NextCursor, nil), http.StatusOK)
		if len(page.Items) != 1 || page.Items[0].VoterID != a.ID || page.NextCursor != "" {
			t.Fatalf("roll's second page: %+v", page)
		}
		for _, q := range []string{"?limit=0", "?territory=1", "?sort=name"} {
			mustProblem(t, f.mustDo(t, staff, "GET", one+"/roll"+q, nil), http.StatusBadRequest)
		}
		mustProblem(t, f.mustDo(t, staff, "GET", one+"/roll?cursor=x", nil), http.StatusUnprocessableEntity)
		mustProblem(t, f.mustDo(t, staff, "POST", one+"/proxy-ballots", map[string]any{"choices": []string{no.ID}, "voter_id": far.ID}), http.StatusUnprocessableEntity)
		r = f.mustDo(t, staff, "POST", one+"/proxy-ballots", map[string]any{"choices": []string{no.ID}, "voter_id": b.ID})
		if proxy := mustJSON[ballotOut](t, r, http.StatusCreated); !proxy.Proxy || proxy.Receipt == receipt.Receipt || strings.Contains(string(r.body), no.Label) {
			t.Errorf("proxy ballot: %s", r.body)
		}

		closed := mustJSON[voteOut](t, f.mustDo(t, staff, "POST", one+"/close", nil), http.StatusOK)
		if closed.Status != "closed" || closed.Voted != 2 || closed.ClosedAt == "" {
			t.Fatalf("closed: %+v", closed)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", one+"/close", nil), http.StatusConflict)
		mustProblem(t, f.mustDo(t, outsider, "GET", one+"/result", nil), http.StatusNotFound)
		res := mustJSON[voteResultOut](t, f.mustDo(t, voter, "GET", one+"/result", nil), http.StatusOK)
		if res.Ballots != 2 || res.Eligible != 2 || !res.QuorumMet || res.Passed || !res.Reproduced || res.Outcome != "表决未通过" {
			t.Errorf("result: %+v", res)
		}
		var tallies []int
		for _, o := range res.Options {
			if o.Votes == nil || o.Passed == nil || *o.Passed {
				t.Errorf("result option: %+v", o)
				continue
			}
			tallies = append(tallies, *o.Votes)
		}
		if len(tallies) != 3 || tallies[0] != 1 || tallies[1] != 1 || tallies[2] != 0 {
			t.Errorf("tallies = %v, want [1 1 0]", tallies)
		}
		type turnout struct {
			id, name        string
			eligible, voted int
		}
		var buildings []turnout
		for _, bt := range res.Buildings {
			buildings = append(buildings, turnout{bt.TerritoryID, bt.Name, bt.Eligible, bt.Voted})
		}
		if want := []turnout{{id(tr.buildingA.ID), "1栋", 1, 1}, {id(tr.buildingB.ID), "2栋", 1, 1}}; len(buildings) != 2 || buildings[0] != want[0] || buildings[1] != want[1] {
			t.Errorf("turnout_by_building = %+v, want %+v", buildings, want)
		}

		// The receipt, as a voter may type it, is found and counted; another code is not found.
		typed := strings.ToLower(strings.ReplaceAll(receipt.Receipt, "-", ""))
		check = mustJSON[receiptOut](t, f.mustDo(t, voter, "GET", one+"/receipts/"+typed, nil), http.StatusOK)
		if !check.Found || !check.Counted || check.Receipt != receipt.Receipt || check.Status != "closed" {
			t.Errorf("own receipt after closing: %+v", check)
		}
		check = mustJSON[receiptOut](t, f.mustDo(t, voter, "GET", one+"/receipts/0000-0000-0000", nil), http.StatusOK)
		if check.Found || check.Counted {
			t.Errorf("another code: %+v", check)
		}
		mustProblem(t, f.mustDo(t, voter, "GET", one+"/receipts/not-a-code", nil), http.StatusUnprocessableEntity)
		mustProblem(t, f.mustDo(t, outsider, "GET", one+"/receipts/"+receipt.Receipt, nil), http.StatusNotFound)
	})
}

// TestVoteBallotRaceAPI: 50 identical ballots of one household sent at the same moment through
// the server: one 201, 49 problems with 409, one ballot stored and a turnout of one.
func TestVoteBallotRaceAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		a := f.mustHousehold(t, staff, tr.stairA, "1栋1单元101室", person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"})
		f.mustHousehold(t, staff, tr.stairB, "2栋1单元201室", person{Name: "李秀英", IDNumber: validID("510781", "19600505", 12), Relation: "户主"})
		voter := f.mustLinkedResident(t, tr.stairA, a.Residents[0].ID)
		v := mustJSON[voteOut](t, f.mustDo(t, staff, "POST", "/api/v1/votes", newVote(tr.community)), http.StatusCreated)
		path := "/api/v1/votes/" + v.ID + "/ballots"
		ballot := `{"choices":["` + v.Options[0].ID + `"]}`
		const n = 50
		start := make(chan struct{})
		replies := make(chan reply, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				req, err := http.NewRequest("POST", f.url+path, strings.NewReader(ballot))
				if err != nil {
					replies <- reply{status: -1, body: []byte(err.Error())}
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+voter)
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
		var created int
		for r := range replies {
			if r.status == http.StatusCreated {
				mustJSON[ballotOut](t, r, http.StatusCreated)
				created++
				continue
			}
			mustProblem(t, r, http.StatusConflict)
		}
		if created != 1 {
			t.Errorf("%d ballots accepted, want 1", created)
		}
		if got := mustJSON[voteOut](t, f.mustDo(t, staff, "GET", "/api/v1/votes/"+v.ID, nil), http.StatusOK); got.Voted != 1 {
			t.Errorf("turnout = %d, want 1", got.Voted)
		}
		var rows int
		if err := st.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM vote_ballots WHERE vote_id = `+v.ID).Scan(&rows); err != nil || rows != 1 {
			t.Errorf("ballots stored = %d, %v; want 1", rows, err)
		}
	})
}

// TestVoteListCallerStanding: the list shows the caller's own standing in each vote, even when
// the id of the caller's resident record is also the id of another household on the roll (ids
// of households and residents are counted apart), which has voted.
func TestVoteListCallerStanding(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		a := f.mustHousehold(t, staff, tr.stairA, "1栋1单元101室",
			person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"},
			person{Name: "刘秀英", IDNumber: validID("510781", "19600101", 22), Relation: "配偶"})
		b := f.mustHousehold(t, staff, tr.stairB, "2栋1单元201室", person{Name: "李秀英", IDNumber: validID("510781", "19600505", 12), Relation: "户主"})
		var caller string
		for _, r := range a.Residents {
			if r.ID == b.ID {
				caller = r.ID
			}
		}
		if caller == "" {
			t.Fatalf("no resident of household %s has the id of household %s (%+v): the fixture relies on ids counted from 1", a.ID, b.ID, a.Residents)
		}
		voter := f.mustLinkedResident(t, tr.stairA, caller)
		v := mustJSON[voteOut](t, f.mustDo(t, staff, "POST", "/api/v1/votes", newVote(tr.community)), http.StatusCreated)
		mustJSON[ballotOut](t, f.mustDo(t, staff, "POST", "/api/v1/votes/"+v.ID+"/proxy-ballots",
			map[string]any{"choices": []string{v.Options[0].ID}, "voter_id": b.ID}), http.StatusCreated)
		one := mustJSON[voteOut](t, f.mustDo(t, voter, "GET", "/api/v1/votes/"+v.ID, nil), http.StatusOK)
		l := mustJSON[listOut[voteOut]](t, f.mustDo(t, voter, "GET", "/api/v1/votes", nil), http.StatusOK)
		if len(l.Items) != 1 {
			t.Fatalf("listed %d votes, want 1", len(l.Items))
		}
		if got := l.Items[0]; !got.OnRoll || got.CallerVoted || !one.OnRoll || one.CallerVoted {
			t.Errorf("the caller's household has not voted: list on_roll %v caller_voted %v, single read on_roll %v caller_voted %v",
				got.OnRoll, got.CallerVoted, one.OnRoll, one.CallerVoted)
		}
	})
}
