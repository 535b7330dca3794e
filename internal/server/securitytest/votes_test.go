package securitytest_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"sync"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Votes' part of the matrix (小区议事, issue 11 item 2). Each relation has a standing open
// household vote and a standing closed one over its node (the stairwell its household lies in:
// own, same household and same unit share theirs). Staff and grid leaders reach the votes of
// their territory; residents, members and unit leaders (linked to a head of the same-unit
// household, as for unit elections) the votes over their own household: the own stairwell's.
// Ballots and proxy ballots are lenient (one ballot per household: every case after the first
// is a 409, the handler ran); so is a receipt check (the matrix names the receipt by a number,
// which is no receipt code: 422 once the vote is found). Closing and cancelling consume a vote:
// each case gets a fresh one. A close by a role that may close votes gets one closable at once,
// every household on its roll voted by proxy; the others' cases, and every cancel, get one
// nobody voted in: a ballot is a dozen statements (blurBallot's rewrites), and a case that
// refuses the caller or cancels needs none (casting them was 135 s of the matrix on the two
// engines, alone on a quiet machine).

const (
	voteOpenObj      objKind = 1800 + iota // the relation's standing open vote
	voteClosedObj                          // the relation's standing closed vote
	voteFreshObj                           // a fresh open vote at the relation to close (freshVote)
	voteFreshOpenObj                       // a fresh open vote at the relation, nobody voted
)

const (
	voteRead  routeKind = 2700 + iota // see votes, results, receipts: staff and grid leaders by territory; residents, members, unit leaders over their household
	voteWrite                         // open, close, cancel, roll, proxy ballots: staff by territory
	voteCast                          // one's own ballot: residents, members, unit leaders
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case voteRead:
			return fieldWorker(r) || r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident, true
		case voteWrite:
			return staffRole(r), true
		case voteCast:
			return r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident, true
		}
		return false, false
	})
	extraReach = append(extraReach, func(w *world, r model.Role, k routeKind) (relation, bool) {
		if (k == voteRead || k == voteCast) && (r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident) {
			// (voteWorld links the unit leader to its household first: electionWorld)
			return relUnit, true // the votes over the own stairwell
		}
		return 0, false
	})
	extraKindNames[voteRead] = "vote read"
	extraKindNames[voteWrite] = "vote write"
	extraKindNames[voteCast] = "vote cast"
}

type voteWorld struct {
	open, closed map[relation]int64
}

var (
	voteMu     sync.Mutex
	voteWorlds = map[*fixture]*voteWorld{}
)

// openVote opens a yes/no household vote over the relation's node (as the system).
func (w *world) openVote(rel relation) int64 {
	w.tb.Helper()
	v, err := w.st.OpenVote(context.Background(), authz.System(), model.VoteInput{Title: fmt.Sprintf("矩阵表决%d", w.nextSeq()), TerritoryID: w.targets[rel].node.ID,
		Rule: model.RuleHousehold, Kind: model.VoteYesNo, Threshold: model.ThresholdMajority, ClosesAt: time.Now().Add(60 * 24 * time.Hour)})
	if err != nil {
		w.tb.Fatalf("vote at %s: %v", rel, err)
	}
	return v.ID
}

// fullVote opens a vote at rel in which every household on the roll has voted by proxy:
// closable at once.
func (w *world) fullVote(rel relation) int64 {
	w.tb.Helper()
	ctx := context.Background()
	id := w.openVote(rel)
	// The roll as stored, not through the households' paths: a parallel case may move one of
	// them out of the stairwell meanwhile, and its roll row stays.
	rows, err := w.st.DB().QueryContext(ctx, `SELECT voter_id FROM vote_roll WHERE vote_id = $1 AND NOT voted`, id)
	if err != nil {
		w.tb.Fatalf("roll of vote %d: %v", id, err)
	}
	var voters []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			w.tb.Fatal(err)
		}
		voters = append(voters, v)
	}
	if err := rows.Close(); err != nil {
		w.tb.Fatal(err)
	}
	v, err := w.st.Vote(ctx, authz.System(), id)
	if err != nil {
		w.tb.Fatalf("vote %d: %v", id, err)
	}
	for _, voter := range voters {
		if _, err := w.st.ProxyBallot(ctx, authz.System(), id, voter, []int64{v.Options[0].ID}); err != nil {
			w.tb.Fatalf("proxy in vote %d: %v", id, err)
		}
	}
	return id
}

func (w *world) voteWorld() *voteWorld {
	w.tb.Helper()
	w.electionWorld() // the unit leader's account is linked to the same-unit household's head
	voteMu.Lock()
	defer voteMu.Unlock()
	if v, ok := voteWorlds[w.fixture]; ok {
		return v
	}
	v := &voteWorld{open: map[relation]int64{}, closed: map[relation]int64{}}
	byNode := map[int64][2]int64{}
	for _, rel := range placed {
		node := w.targets[rel].node.ID
		ids, ok := byNode[node]
		if !ok {
			ids = [2]int64{w.openVote(rel), w.fullVote(rel)}
			if _, err := w.st.CloseVote(context.Background(), authz.System(), ids[1]); err != nil {
				w.tb.Fatalf("close vote %d: %v", ids[1], err)
			}
			byNode[node] = ids
		}
		v.open[rel], v.closed[rel] = ids[0], ids[1]
	}
	voteWorlds[w.fixture] = v
	return v
}

func (w *world) voteObject(kind objKind, rel relation) int64 {
	w.tb.Helper()
	switch kind {
	case voteOpenObj:
		return w.voteWorld().open[rel]
	case voteClosedObj:
		return w.voteWorld().closed[rel]
	}
	return 0
}

// freshVote is a fresh open vote at rel for a case of role: for a close (voteFreshObj) by a role
// that may close votes, every household on its roll voted (closable at once); else nobody voted.
func (w *world) freshVote(kind objKind, rel relation, role model.Role) int64 {
	w.tb.Helper()
	if kind == voteFreshObj && may(role, voteWrite) {
		return w.fullVote(rel)
	}
	return w.openVote(rel)
}

// voteYes is the 同意 option of vote id.
func (w *world) voteYes(id int64) int64 {
	w.tb.Helper()
	v, err := w.st.Vote(context.Background(), authz.System(), id)
	if err != nil || len(v.Options) == 0 {
		w.tb.Fatalf("vote %d: %v", id, err)
	}
	return v.Options[0].ID
}

var votePatternKinds = map[string]objKind{
	"/api/v1/votes/{id}/result":          voteClosedObj,
	"/api/v1/votes/{id}/receipts/{code}": voteClosedObj,
	"/api/v1/votes/{id}/close":           voteFreshObj,
	"/api/v1/votes/{id}/cancel":          voteFreshOpenObj,
	"/votes/{id}/close":                  voteFreshObj,
	"/votes/{id}/cancel":                 voteFreshOpenObj,
}

var voteObjKinds = map[string]objKind{
	"/api/v1/votes/{id}": voteOpenObj,
	"/votes/{id}":        voteOpenObj,
}

var voteSpecs = map[string]spec{
	"GET /api/v1/votes": {kind: voteRead},
	"POST /api/v1/votes": {kind: voteWrite, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"title":"矩阵新表决%d","territory_id":"%d","rule":"household","kind":"yes_no","threshold":"majority","quorum":"1/2","closes_at":%q}`,
			w.nextSeq(), w.targets[rel].node.ID, time.Now().Add(48*time.Hour).Format(time.RFC3339))
	}},
	"GET /api/v1/votes/{id}": {kind: voteRead, scoped: true},
	"POST /api/v1/votes/{id}/ballots": {kind: voteCast, scoped: true, lenient: true, body: func(w *world, _ relation, id int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"choices":["%d"]}`, w.voteYes(id))
	}},
	"POST /api/v1/votes/{id}/proxy-ballots": {kind: voteWrite, scoped: true, lenient: true, body: func(w *world, rel relation, id int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"choices":["%d"],"voter_id":"%d"}`, w.voteYes(id), w.targets[rel].household.ID)
	}},
	"GET /api/v1/votes/{id}/result":          {kind: voteRead, scoped: true},
	"GET /api/v1/votes/{id}/roll":            {kind: voteWrite, scoped: true},
	"GET /api/v1/votes/{id}/receipts/{code}": {kind: voteRead, scoped: true, lenient: true},
	"POST /api/v1/votes/{id}/close":          {kind: voteWrite, scoped: true, fresh: true, body: jsonBody(`{}`)},
	"POST /api/v1/votes/{id}/cancel":         {kind: voteWrite, scoped: true, fresh: true, body: jsonBody(`{"reason":"矩阵取消"}`)},

	// The pages: the list, the form, a vote with its ballot (a resident's), proxy, close, cancel.
	"GET /votes":     {kind: voteRead},
	"GET /votes/new": {kind: voteWrite},
	"POST /votes/new": {kind: voteWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"title": {fmt.Sprintf("矩阵页面表决%d", w.nextSeq())}, "territory_id": {strconv.FormatInt(w.targets[rel].node.ID, 10)}, "rule": {"household"},
			"kind": {"yes_no"}, "quorum": {"1/2"}, "threshold": {"majority"}, "closes_at": {time.Now().Add(48 * time.Hour).In(model.Shanghai).Format("2006-01-02T15:04")}}
	})},
	"GET /votes/{id}": {kind: voteRead, scoped: true},
	"POST /votes/{id}/ballot": {kind: voteCast, scoped: true, lenient: true, body: formBody(func(w *world, _ relation, id int64) url.Values {
		return url.Values{"choices": {strconv.FormatInt(w.voteYes(id), 10)}}
	})},
	"POST /votes/{id}/proxy": {kind: voteWrite, scoped: true, lenient: true, body: formBody(func(w *world, rel relation, id int64) url.Values {
		return url.Values{"choices": {strconv.FormatInt(w.voteYes(id), 10)}, "voter_id": {strconv.FormatInt(w.targets[rel].household.ID, 10)}}
	})},
	"POST /votes/{id}/close":  {kind: voteWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{} })},
	"POST /votes/{id}/cancel": {kind: voteWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"reason": {"矩阵页面取消"}} })},
}

func init() {
	maps.Copy(specs, voteSpecs)
	maps.Copy(patternKinds, votePatternKinds)
	maps.Copy(objKinds, voteObjKinds)
}
