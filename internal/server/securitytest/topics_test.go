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

// Topics' part of the matrix (议题, issue 11 item 1). Each relation has a standing topic over
// its node (the stairwell its household lies in: own, same household and same unit share it).
// Staff and grid leaders reach the topics of their territory; residents, members and unit
// leaders (linked to a head of the same-unit household, as for votes) the topics over their own
// household: the own stairwell's. Hiding, unhiding and proposing consume a topic or a reply:
// each case gets a fresh one (hidden already for the unhide routes). Raising names the
// relation's node in the body (ref: outside the caller's reach it is 422 on territory_id).

const (
	topicObj            objKind = 1900 + iota // the relation's standing topic
	topicFreshObj                             // a fresh topic at the relation (hide, propose)
	topicHiddenObj                            // a fresh topic at the relation, hidden (unhide)
	topicReplyFreshObj                        // a fresh reply to a fresh topic at the relation (hide)
	topicReplyHiddenObj                       // a fresh reply, hidden (unhide)
)

const (
	topicRead     routeKind = 2800 + iota // read topics and replies: staff and grid leaders by territory; residents, members, unit leaders over their household
	topicWrite                            // raise, reply, follow: the same callers
	topicModerate                         // hide, unhide, propose to a vote: staff by territory
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case topicRead, topicWrite:
			return fieldWorker(r) || r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident, true
		case topicModerate:
			return staffRole(r), true
		}
		return false, false
	})
	extraReach = append(extraReach, func(w *world, r model.Role, k routeKind) (relation, bool) {
		if (k == topicRead || k == topicWrite) && (r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident) {
			return relUnit, true // the topics over the own stairwell
		}
		return 0, false
	})
	extraKindNames[topicRead] = "topic read"
	extraKindNames[topicWrite] = "topic write"
	extraKindNames[topicModerate] = "topic moderate"
}

var (
	topicMu     sync.Mutex
	topicWorlds = map[*fixture]map[relation]int64{}
)

// raiseTopic raises a topic over the relation's node (as the system).
func (w *world) raiseTopic(rel relation) int64 {
	w.tb.Helper()
	t, err := w.st.RaiseTopic(context.Background(), authz.System(), model.TopicInput{TerritoryID: w.targets[rel].node.ID,
		Title: fmt.Sprintf("矩阵议题%d", w.nextSeq()), Body: "矩阵议题内容"})
	if err != nil {
		w.tb.Fatalf("topic at %s: %v", rel, err)
	}
	return t.ID
}

// topicReply replies to a fresh topic at rel (as the system) and returns the reply.
func (w *world) topicReply(rel relation) int64 {
	w.tb.Helper()
	r, err := w.st.ReplyTopic(context.Background(), authz.System(), w.raiseTopic(rel), "矩阵回复")
	if err != nil {
		w.tb.Fatalf("reply at %s: %v", rel, err)
	}
	return r.ID
}

func (w *world) topicObject(kind objKind, rel relation) int64 {
	w.tb.Helper()
	w.electionWorld() // the unit leader's link to its household, made before any case checks the database
	ctx, sys := context.Background(), authz.System()
	switch kind {
	case topicObj:
		topicMu.Lock()
		defer topicMu.Unlock()
		byRel := topicWorlds[w.fixture]
		if byRel == nil {
			byRel = map[relation]int64{}
			byNode := map[int64]int64{}
			for _, r := range placed {
				node := w.targets[r].node.ID
				if _, ok := byNode[node]; !ok {
					byNode[node] = w.raiseTopic(r)
				}
				byRel[r] = byNode[node]
			}
			topicWorlds[w.fixture] = byRel
		}
		return byRel[rel]
	case topicFreshObj:
		return w.raiseTopic(rel)
	case topicHiddenObj:
		id := w.raiseTopic(rel)
		if _, err := w.st.HideTopic(ctx, sys, id, "矩阵隐藏"); err != nil {
			w.tb.Fatalf("hide topic %d: %v", id, err)
		}
		return id
	case topicReplyFreshObj:
		return w.topicReply(rel)
	case topicReplyHiddenObj:
		id := w.topicReply(rel)
		if _, err := w.st.HideTopicReply(ctx, sys, id, "矩阵隐藏"); err != nil {
			w.tb.Fatalf("hide reply %d: %v", id, err)
		}
		return id
	}
	return 0
}

func topicProposeJSON(*world, relation, int64) (string, []byte) {
	return "application/json", fmt.Appendf(nil, `{"rule":"household","kind":"yes_no","threshold":"majority","quorum":"1/2","closes_at":%q}`,
		time.Now().Add(48*time.Hour).Format(time.RFC3339))
}

var topicPatternKinds = map[string]objKind{
	"/api/v1/topics/{id}/hide":          topicFreshObj,
	"/api/v1/topics/{id}/unhide":        topicHiddenObj,
	"/api/v1/topics/{id}/propose":       topicFreshObj,
	"/api/v1/topic-replies/{id}/hide":   topicReplyFreshObj,
	"/api/v1/topic-replies/{id}/unhide": topicReplyHiddenObj,
	"/topics/{id}/hide":                 topicFreshObj,
	"/topics/{id}/unhide":               topicHiddenObj,
	"/topics/{id}/propose":              topicFreshObj,
	"/topic-replies/{id}/hide":          topicReplyFreshObj,
	"/topic-replies/{id}/unhide":        topicReplyHiddenObj,
}

var topicObjKinds = map[string]objKind{
	"/api/v1/topics/{id}":        topicObj,
	"/api/v1/topic-replies/{id}": topicReplyFreshObj,
	"/topics/{id}":               topicObj,
	"/topic-replies/{id}":        topicReplyFreshObj,
}

var topicSpecs = map[string]spec{
	"GET /api/v1/topics": {kind: topicRead, scoped: true, query: underNode},
	"POST /api/v1/topics": {kind: topicWrite, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"territory_id":"%d","title":"矩阵新议题%d","body":"内容"}`, w.targets[rel].node.ID, w.nextSeq())
	}},
	"GET /api/v1/topics/{id}":                {kind: topicRead, scoped: true},
	"POST /api/v1/topics/{id}/replies":       {kind: topicWrite, scoped: true, body: jsonBody(`{"body":"矩阵回复"}`)},
	"POST /api/v1/topics/{id}/follow":        {kind: topicWrite, scoped: true},
	"DELETE /api/v1/topics/{id}/follow":      {kind: topicWrite, scoped: true},
	"POST /api/v1/topics/{id}/hide":          {kind: topicModerate, scoped: true, fresh: true, body: jsonBody(`{"reason":"矩阵隐藏"}`)},
	"POST /api/v1/topics/{id}/unhide":        {kind: topicModerate, scoped: true, fresh: true, body: jsonBody(`{}`)},
	"POST /api/v1/topics/{id}/propose":       {kind: topicModerate, scoped: true, fresh: true, body: topicProposeJSON},
	"POST /api/v1/topic-replies/{id}/hide":   {kind: topicModerate, scoped: true, fresh: true, body: jsonBody(`{"reason":"矩阵隐藏"}`)},
	"POST /api/v1/topic-replies/{id}/unhide": {kind: topicModerate, scoped: true, fresh: true, body: jsonBody(`{}`)},
}

// topicPageSpecs are the pages' routes (web/topic.go).
var topicPageSpecs = map[string]spec{
	"GET /topics":     {kind: topicRead, scoped: true, query: underNode},
	"GET /topics/new": {kind: topicWrite},
	"POST /topics/new": {kind: topicWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"territory_id": {strconv.FormatInt(w.targets[rel].node.ID, 10)}, "title": {fmt.Sprintf("矩阵页面议题%d", w.nextSeq())}, "body": {"内容"}}
	})},
	"GET /topics/{id}": {kind: topicRead, scoped: true},
	"POST /topics/{id}/replies": {kind: topicWrite, scoped: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"body": {"矩阵页面回复"}}
	})},
	"POST /topics/{id}/follow":   {kind: topicWrite, scoped: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{} })},
	"POST /topics/{id}/unfollow": {kind: topicWrite, scoped: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{} })},
	"POST /topics/{id}/hide": {kind: topicModerate, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"reason": {"矩阵页面隐藏"}}
	})},
	"POST /topics/{id}/unhide": {kind: topicModerate, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{} })},
	"GET /topics/{id}/propose": {kind: topicModerate, scoped: true},
	"POST /topics/{id}/propose": {kind: topicModerate, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"rule": {"household"}, "kind": {"yes_no"}, "quorum": {"1/2"}, "threshold": {"majority"},
			"closes_at": {time.Now().Add(48 * time.Hour).In(model.Shanghai).Format("2006-01-02T15:04")}}
	})},
	"POST /topic-replies/{id}/hide": {kind: topicModerate, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"reason": {"矩阵页面隐藏"}}
	})},
	"POST /topic-replies/{id}/unhide": {kind: topicModerate, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{} })},
}

func init() {
	maps.Copy(specs, topicSpecs)
	maps.Copy(specs, topicPageSpecs)
	maps.Copy(patternKinds, topicPatternKinds)
	maps.Copy(objKinds, topicObjKinds)
}
