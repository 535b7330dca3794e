package securitytest_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"sync"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Community bodies' part of the matrix (issue 12 item 4). A term of the residents' committee
// belongs to a community: own … same community have c1's, same street c2's, other street c3's.
// Staff reach those of their territory; a grid leader reads its own community's (c1: the
// community reach), as the store's readsBody says, and enters none.

const (
	bodyTermObj objKind = 2510 + iota // the standing term of the relation's community
)

const (
	bodyRead  routeKind = 3410 + iota // terms, members, decisions: staff by territory, grid leaders of the community
	bodyWrite                         // record terms and decisions: staff by territory
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case bodyRead:
			return fieldWorker(r), true
		case bodyWrite:
			return staffRole(r), true
		}
		return false, false
	})
	extraReach = append(extraReach, func(_ *world, r model.Role, k routeKind) (relation, bool) {
		if k == bodyRead && r == model.RoleGridLeader {
			return relCommunity, true
		}
		return 0, false
	})
	extraKindNames[bodyRead] = "body read"
	extraKindNames[bodyWrite] = "body write"
}

var (
	bodiesMu     sync.Mutex
	bodiesWorlds = map[*fixture]map[int64]int64{} // the standing term by community
)

// bodyTermBody is a valid term of the relation's community starting on a day of its own.
func bodyTermBody(w *world, rel relation, _ int64) (string, []byte) {
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, w.nextSeq())
	return "application/json", fmt.Appendf(nil, `{"community_id":"%d","starts_on":%q,"ends_on":%q,"elected_on":%q,"members":[{"post":"director","name":"矩阵主任"}]}`,
		w.communityOf(rel).ID, start.Format(time.DateOnly), start.AddDate(3, 0, 0).Format(time.DateOnly), start.Format(time.DateOnly))
}

func (w *world) bodyTerm(rel relation) int64 {
	w.tb.Helper()
	bodiesMu.Lock()
	defer bodiesMu.Unlock()
	terms, ok := bodiesWorlds[w.fixture]
	if !ok {
		terms = map[int64]int64{}
		bodiesWorlds[w.fixture] = terms
	}
	c := w.communityOf(rel).ID
	if id, ok := terms[c]; ok {
		return id
	}
	b, err := w.st.CreateBodyTerm(context.Background(), authz.System(), model.BodyTermInput{CommunityID: c, StartsOn: "2026-01-01", EndsOn: "2030-12-31",
		ElectedOn: "2025-12-20", Members: []model.BodyMemberInput{{Post: model.BodyDirector, Name: "矩阵主任"}}})
	if err != nil {
		w.tb.Fatalf("term at %s: %v", rel, err)
	}
	terms[c] = b.ID
	return b.ID
}

var bodiesObjKinds = map[string]objKind{
	"/api/v1/bodies/{id}": bodyTermObj,
	"/bodies/{id}":        bodyTermObj,
}

var bodiesSpecs = map[string]spec{
	"GET /api/v1/bodies":                 {kind: bodyRead, scoped: true, query: communityQuery},
	"POST /api/v1/bodies":                {kind: bodyWrite, scoped: true, ref: true, body: bodyTermBody},
	"GET /api/v1/bodies/{id}":            {kind: bodyRead, scoped: true},
	"GET /api/v1/bodies/{id}/decisions":  {kind: bodyRead, scoped: true},
	"POST /api/v1/bodies/{id}/decisions": {kind: bodyWrite, scoped: true, body: jsonBody(`{"kind":"meeting","date":"2026-03-01","title":"矩阵居民会议"}`)},
	// The page of a community's committee and its decision form.
	"GET /bodies": {kind: bodyRead, scoped: true, query: communityQuery},
	// The page's term form: a term of the relation's community (its id in the form, as the API's body has it).
	"POST /bodies": {kind: bodyWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, w.nextSeq())
		return url.Values{"community_id": {fmt.Sprint(w.communityOf(rel).ID)}, "starts_on": {start.Format(time.DateOnly)}, "ends_on": {start.AddDate(3, 0, 0).Format(time.DateOnly)},
			"elected_on": {start.Format(time.DateOnly)}, "post_0": {"director"}, "name_0": {"矩阵主任"}}
	})},
	"POST /bodies/{id}/decisions": {kind: bodyWrite, scoped: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"kind": {"task"}, "date": {"2026-03-01"}, "title": {"矩阵页面任务"}}
	})},
}

func init() {
	maps.Copy(specs, bodiesSpecs)
	maps.Copy(objKinds, bodiesObjKinds)
}
