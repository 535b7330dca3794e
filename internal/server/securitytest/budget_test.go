package securitytest_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"mime/multipart"
	"net/url"
	"strconv"
	"sync"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store"
)

// Budgeting's part of the matrix (民生微实事, issue 11 item 5). A round belongs to a community:
// the relations own, same household, same unit, same grid and same community share community
// c1's, same street has c2's, other street c3's. Staff reach the rounds of their territory's
// communities (and manage them); grid leaders, and residents, members and unit leaders (linked
// to a household of c1, as for votes) read c1's rounds: the community reach. Every object is
// made as the system, and each round is moved to a year of its own (10000 + its id) right
// after it is made, so the one-round-per-community-and-year rule never refuses the fixture;
// the create routes use this year (API) and next year (pages), freed before each case.

const (
	roundObj        objKind = 2200 + iota // the standing round of the relation's community, collecting proposals
	roundFreshObj                         // a fresh round collecting, with two feasible proposals: ready for voting
	projectObj                            // a standing proposal of the standing round
	projectFreshObj                       // a fresh proposal, not reviewed
	projectWonObj                         // a fresh winner of a decided round
	projectPhotoObj                       // the relation's standing winner with a photo
)

const (
	budgetRead    routeKind = 3100 + iota // see rounds and proposals: staff by territory, grid leaders, residents, members, unit leaders of the community
	budgetPropose                         // propose: staff by territory; residents, members, unit leaders of the community
	budgetWrite                           // create, review, open voting, cancel, carry out: staff by territory
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		household := r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident
		switch k {
		case budgetRead:
			return fieldWorker(r) || household, true
		case budgetPropose:
			return staffRole(r) || household, true
		case budgetWrite:
			return staffRole(r), true
		}
		return false, false
	})
	extraReach = append(extraReach, func(_ *world, r model.Role, k routeKind) (relation, bool) {
		if (k == budgetRead || k == budgetPropose) && (r == model.RoleGridLeader || r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident) {
			return relCommunity, true // the rounds of their community (a grid leader's: the one above its grid)
		}
		return 0, false
	})
	extraKindNames[budgetRead] = "budget read"
	extraKindNames[budgetPropose] = "budget propose"
	extraKindNames[budgetWrite] = "budget write"
}

type budgetWorld struct {
	round, project, photo map[int64]int64 // by community
	won                   map[int64][]int64
}

var (
	budgetMu     sync.Mutex
	budgetWorlds = map[*fixture]*budgetWorld{}
)

// communityOfRel is the community the relation's node lies in.
func (w *world) communityOfRel(rel relation) *model.Territory {
	switch rel {
	case relStreet:
		return w.c2
	case relOther:
		return w.c3
	}
	return w.c1
}

// budgetRound makes a round of the relation's community (as the system) and moves it to a year
// of its own. The caller holds budgetMu.
func (w *world) budgetRound(rel relation) int64 {
	w.tb.Helper()
	ctx := context.Background()
	r, err := w.st.CreateBudgetRound(ctx, authz.System(), model.BudgetRoundInput{CommunityID: w.communityOfRel(rel).ID, Title: fmt.Sprintf("矩阵轮次%d", w.nextSeq()),
		Year: time.Now().In(model.Shanghai).Year() - 1, Budget: "100000", Rule: model.RuleHousehold})
	if err != nil {
		w.tb.Fatalf("round at %s: %v", rel, err)
	}
	if _, err := w.st.DB().ExecContext(ctx, `UPDATE budget_rounds SET year = 10000 + id WHERE id = $1`, r.ID); err != nil {
		w.tb.Fatal(err)
	}
	return r.ID
}

// freeBudgetYear moves the rounds of the relation's community in year out of the way (the
// create routes' bodies: each allowed case creates that year's round).
func (w *world) freeBudgetYear(rel relation, year int) {
	w.tb.Helper()
	if _, err := w.st.DB().ExecContext(context.Background(), `UPDATE budget_rounds SET year = 10000 + id WHERE community_id = $1 AND year = $2`,
		w.communityOfRel(rel).ID, year); err != nil {
		w.tb.Fatal(err)
	}
}

// proposeIn proposes n projects in round (as the system), reviewed feasible at cost yuan when
// cost is not "".
func (w *world) proposeIn(round int64, n int, cost string) []int64 {
	w.tb.Helper()
	ctx := context.Background()
	var ids []int64
	for range n {
		p, err := w.st.ProposeSmallProject(ctx, authz.System(), model.SmallProjectInput{RoundID: round, Title: fmt.Sprintf("矩阵项目%d", w.nextSeq()), Description: "矩阵"})
		if err != nil {
			w.tb.Fatalf("propose in %d: %v", round, err)
		}
		if cost != "" {
			if _, err := w.st.ReviewSmallProject(ctx, authz.System(), p.ID, model.ReviewInput{Feasible: true, Cost: cost}); err != nil {
				w.tb.Fatalf("review %d: %v", p.ID, err)
			}
		}
		ids = append(ids, p.ID)
	}
	return ids
}

// winners decides a fresh round of the relation's community with ten winners: every project
// ticked by one proxy ballot, the vote closed by a clock past its time.
func (w *world) winners(rel relation) []int64 {
	w.tb.Helper()
	ctx := context.Background()
	round := w.budgetRound(rel)
	ids := w.proposeIn(round, 10, "100")
	r, err := w.st.OpenBudgetVoting(ctx, authz.System(), round, store.BudgetVotingInput{ClosesAt: time.Now().Add(time.Hour)})
	if err != nil {
		w.tb.Fatalf("voting of %d: %v", round, err)
	}
	v, err := w.st.Vote(ctx, authz.System(), r.VoteID)
	if err != nil {
		w.tb.Fatal(err)
	}
	var voter int64
	if err := w.st.DB().QueryRowContext(ctx, `SELECT MIN(voter_id) FROM vote_roll WHERE vote_id = $1`, v.ID).Scan(&voter); err != nil {
		w.tb.Fatal(err)
	}
	var all []int64
	for _, o := range v.Options {
		all = append(all, o.ID)
	}
	if _, err := w.st.ProxyBallot(ctx, authz.System(), v.ID, voter, all); err != nil {
		w.tb.Fatalf("ballot in %d: %v", v.ID, err)
	}
	later := w.st.AsOf(func() time.Time { return time.Now().Add(2 * time.Hour) })
	if _, err := later.CloseVote(ctx, authz.System(), v.ID); err != nil {
		w.tb.Fatalf("close %d: %v", v.ID, err)
	}
	return ids
}

func (w *world) budgetWorld() *budgetWorld {
	w.tb.Helper()
	w.electionWorld() // the unit leader's account is linked to the same-unit household's head
	budgetMu.Lock()
	defer budgetMu.Unlock()
	if b, ok := budgetWorlds[w.fixture]; ok {
		return b
	}
	b := &budgetWorld{round: map[int64]int64{}, project: map[int64]int64{}, photo: map[int64]int64{}, won: map[int64][]int64{}}
	for _, rel := range []relation{relOwn, relStreet, relOther} {
		c := w.communityOfRel(rel).ID
		b.round[c] = w.budgetRound(rel)
		b.project[c] = w.proposeIn(b.round[c], 1, "")[0]
		b.photo[c] = w.winners(rel)[0]
		if _, err := w.st.AddSmallProjectPhotos(context.Background(), authz.System(), b.photo[c], [][]byte{modeltest.JPEG(w.tb, 32, 24)}); err != nil {
			w.tb.Fatalf("photo: %v", err)
		}
	}
	budgetWorlds[w.fixture] = b
	return b
}

// budgetObject is the object of kind at the relation: the standing ones, or fresh ones.
func (w *world) budgetObject(kind objKind, rel relation) int64 {
	w.tb.Helper()
	b := w.budgetWorld()
	c := w.communityOfRel(rel).ID
	budgetMu.Lock()
	defer budgetMu.Unlock()
	switch kind {
	case roundObj:
		return b.round[c]
	case projectObj:
		return b.project[c]
	case projectPhotoObj:
		return b.photo[c]
	case roundFreshObj:
		round := w.budgetRound(rel)
		w.proposeIn(round, 2, "100")
		return round
	case projectFreshObj:
		return w.proposeIn(b.round[c], 1, "")[0]
	case projectWonObj:
		if len(b.won[c]) == 0 {
			b.won[c] = w.winners(rel)
		}
		id := b.won[c][0]
		b.won[c] = b.won[c][1:]
		return id
	}
	return 0
}

// freshProposingRound is a fresh round of the relation's community collecting proposals (the
// propose routes' bodies name one each, so no account reaches its cap).
func (w *world) freshProposingRound(rel relation) int64 {
	w.tb.Helper()
	w.budgetWorld() // links the unit leader's account, as for every budget case
	budgetMu.Lock()
	defer budgetMu.Unlock()
	return w.budgetRound(rel)
}

// milestoneOf adds a milestone to winner id (as the system) for a tick.
func (w *world) milestoneOf(id int64) int64 {
	w.tb.Helper()
	p, err := w.st.AddSmallProjectMilestone(context.Background(), authz.System(), id, model.MilestoneInput{Title: fmt.Sprintf("矩阵里程碑%d", w.nextSeq()),
		DueOn: fmt.Sprintf("%d-12-31", time.Now().Year()+1)})
	if err != nil || len(p.Milestones) == 0 {
		w.tb.Fatalf("milestone of %d: %v", id, err)
	}
	return p.Milestones[len(p.Milestones)-1].ID
}

func budgetPhotoBody(w *world, _ relation, _ int64) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("photos", "p.jpg")
	_, _ = fw.Write(modeltest.JPEG(w.tb, 24, 18))
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// publicPhotoPath is the relation-independent public photo of c1's standing winner under c1's
// disclosure code.
func publicPhotoPath(w *world, _ relation) string {
	code := w.noticeObject(disclosureObj, relOwn)
	return fmt.Sprintf("/p/%d/projects/%d/photos/1", code, w.budgetObject(projectPhotoObj, relOwn))
}

var budgetPatternKinds = map[string]objKind{
	"/api/v1/projects/rounds/{id}/reviewing": roundFreshObj,
	"/api/v1/projects/rounds/{id}/voting":    roundFreshObj,
	"/api/v1/projects/rounds/{id}/cancel":    roundFreshObj,
	"/api/v1/projects/{id}/review":           projectFreshObj,
	"/api/v1/projects/{id}/transitions":      projectWonObj,
	"/api/v1/projects/{id}/milestones":       projectWonObj,
	"/api/v1/projects/{id}/milestone-ticks":  projectWonObj,
	"/api/v1/projects/{id}/photos":           projectWonObj,
	"/api/v1/projects/{id}/photos/1":         projectPhotoObj,
	"/p/{code}/projects/{id}/photos/1":       noObject,
	"/projects/rounds/{id}/reviewing":        roundFreshObj,
	"/projects/rounds/{id}/voting":           roundFreshObj,
	"/projects/rounds/{id}/cancel":           roundFreshObj,
	"/projects/{id}/review":                  projectFreshObj,
	"/projects/{id}/act":                     projectWonObj,
	"/projects/{id}/milestones":              projectWonObj,
	"/projects/{id}/tick":                    projectWonObj,
	"/projects/{id}/photos":                  projectWonObj,
}

var budgetObjKinds = map[string]objKind{
	"/api/v1/projects/rounds/{id}": roundObj,
	"/api/v1/projects/{id}":        projectObj,
	"/projects/rounds/{id}":        roundObj,
	"/projects/{id}":               projectObj,
}

func roundYearBody(offset int, api bool) func(w *world, rel relation, _ int64) (string, []byte) {
	return func(w *world, rel relation, _ int64) (string, []byte) {
		year := time.Now().In(model.Shanghai).Year() + offset
		w.freeBudgetYear(rel, year)
		c := w.communityOfRel(rel).ID
		if api {
			return "application/json", fmt.Appendf(nil, `{"community_id":"%d","title":"矩阵新轮次%d","year":%d,"budget":"50000","rule":"household"}`, c, w.nextSeq(), year)
		}
		return "application/x-www-form-urlencoded", []byte(url.Values{"community_id": {strconv.FormatInt(c, 10)}, "title": {fmt.Sprintf("矩阵页面轮次%d", w.nextSeq())},
			"year": {strconv.Itoa(year)}, "budget": {"50000"}, "rule": {"household"}}.Encode())
	}
}

var budgetSpecs = map[string]spec{
	"GET /api/v1/projects/rounds":                 {kind: budgetRead},
	"POST /api/v1/projects/rounds":                {kind: budgetWrite, scoped: true, ref: true, body: roundYearBody(0, true)},
	"GET /api/v1/projects/rounds/{id}":            {kind: budgetRead, scoped: true},
	"POST /api/v1/projects/rounds/{id}/reviewing": {kind: budgetWrite, scoped: true, fresh: true},
	"POST /api/v1/projects/rounds/{id}/voting": {kind: budgetWrite, scoped: true, fresh: true, body: func(*world, relation, int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"closes_at":%q}`, time.Now().Add(48*time.Hour).Format(time.RFC3339))
	}},
	"POST /api/v1/projects/rounds/{id}/cancel": {kind: budgetWrite, scoped: true, fresh: true, body: jsonBody(`{"reason":"矩阵取消"}`)},
	"GET /api/v1/projects":                     {kind: budgetRead},
	"POST /api/v1/projects": {kind: budgetPropose, scoped: true, ref: true, household: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"round_id":"%d","title":"矩阵提议%d","description":"说明"}`, w.freshProposingRound(rel), w.nextSeq())
	}},
	"GET /api/v1/projects/{id}":              {kind: budgetRead, scoped: true},
	"POST /api/v1/projects/{id}/review":      {kind: budgetWrite, scoped: true, fresh: true, body: jsonBody(`{"feasible":true,"cost":"200"}`)},
	"POST /api/v1/projects/{id}/transitions": {kind: budgetWrite, scoped: true, fresh: true, body: jsonBody(`{"action":"start"}`)},
	"POST /api/v1/projects/{id}/milestones":  {kind: budgetWrite, scoped: true, fresh: true, body: jsonBody(`{"title":"矩阵里程碑","due_on":"2099-01-01"}`)},
	"POST /api/v1/projects/{id}/milestone-ticks": {kind: budgetWrite, scoped: true, fresh: true, body: func(w *world, _ relation, id int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"milestone_id":"%d"}`, w.milestoneOf(id))
	}},
	"POST /api/v1/projects/{id}/photos":      {kind: budgetWrite, scoped: true, fresh: true, body: budgetPhotoBody},
	"GET /api/v1/projects/{id}/photos/{n}":   {kind: budgetRead, scoped: true},
	"GET /p/{code}/projects/{id}/photos/{n}": {kind: public, path: publicPhotoPath},

	// The pages: the rounds with the staff's form, a round, the proposal form (of the relation's
	// round: a round the caller does not read is 404, there is no form to answer on), a
	// proposal, and the staff's forms.
	"GET /projects":                        {kind: budgetRead},
	"POST /projects/rounds":                {kind: budgetWrite, scoped: true, ref: true, body: roundYearBody(1, false)},
	"GET /projects/rounds/{id}":            {kind: budgetRead, scoped: true},
	"POST /projects/rounds/{id}/reviewing": {kind: budgetWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{} })},
	"POST /projects/rounds/{id}/voting": {kind: budgetWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"closes_at": {time.Now().Add(48 * time.Hour).In(model.Shanghai).Format("2006-01-02T15:04")}}
	})},
	"POST /projects/rounds/{id}/cancel": {kind: budgetWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"reason": {"矩阵页面取消"}} })},
	"GET /projects/new": {kind: budgetPropose, scoped: true, query: func(w *world, rel relation) string {
		return "round=" + strconv.FormatInt(w.budgetObject(roundObj, rel), 10)
	}},
	"POST /projects/new": {kind: budgetPropose, scoped: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"round_id": {strconv.FormatInt(w.freshProposingRound(rel), 10)}, "title": {fmt.Sprintf("矩阵页面提议%d", w.nextSeq())}, "description": {"说明"}}
	})},
	"GET /projects/{id}": {kind: budgetRead, scoped: true},
	"POST /projects/{id}/review": {kind: budgetWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"feasible": {"1"}, "cost": {"200"}}
	})},
	"POST /projects/{id}/act": {kind: budgetWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"action": {"start"}} })},
	"POST /projects/{id}/milestones": {kind: budgetWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"title": {"矩阵页面里程碑"}, "due_on": {"2099-01-01"}}
	})},
	"POST /projects/{id}/tick": {kind: budgetWrite, scoped: true, fresh: true, body: formBody(func(w *world, _ relation, id int64) url.Values {
		return url.Values{"milestone_id": {strconv.FormatInt(w.milestoneOf(id), 10)}}
	})},
	"POST /projects/{id}/photos": {kind: budgetWrite, scoped: true, fresh: true, body: budgetPhotoBody},
}

func init() {
	maps.Copy(specs, budgetSpecs)
	maps.Copy(patternKinds, budgetPatternKinds)
	maps.Copy(objKinds, budgetObjKinds)
}
