package securitytest_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"sync"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Notices' part of the matrix (公告, issue 11 item 4). Each relation has a standing notice over
// its node (the stairwell its household lies in: own, same household and same unit share
// theirs). Staff and grid leaders reach the notices of their territory; residents, members and
// unit leaders (linked to a head of the same-unit household, as for unit elections) the notices
// over their own household. Withdrawing consumes a notice: each case gets a fresh one.

const (
	noticeObj      objKind = 2100 + iota // the relation's standing notice
	noticeFreshObj                       // a fresh notice at the relation (withdrawn by the route)
	disclosureObj                        // the statistical code of community c1, whose public disclosure page anyone reads
)

const (
	noticeRead     routeKind = 3000 + iota // the feed, a notice, marking it read: staff and grid leaders by territory; residents, members, unit leaders over their household
	noticeReceipts                         // who has not read a notice: staff and grid leaders by territory
	noticeWrite                            // publish, pin, withdraw: staff by territory
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case noticeRead:
			return fieldWorker(r) || r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident, true
		case noticeReceipts:
			return fieldWorker(r), true
		case noticeWrite:
			return staffRole(r), true
		}
		return false, false
	})
	extraReach = append(extraReach, func(w *world, r model.Role, k routeKind) (relation, bool) {
		if k == noticeRead && (r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident) {
			w.electionWorld() // links the unit leader's account to its household
			// (noticeObject links the unit leader to its household first: electionWorld)
			return relUnit, true // the notices over the own stairwell
		}
		return 0, false
	})
	extraKindNames[noticeRead] = "notice read"
	extraKindNames[noticeReceipts] = "notice receipts"
	extraKindNames[noticeWrite] = "notice write"
}

var (
	noticeMu     sync.Mutex
	noticeWorlds = map[*fixture]map[relation]int64{}
)

// publishNotice publishes a notice over the relation's node (as the system).
func (w *world) publishNotice(rel relation) int64 {
	w.tb.Helper()
	n, err := w.st.PublishNotice(context.Background(), authz.System(), model.NoticeInput{Title: fmt.Sprintf("矩阵公告%d", w.nextSeq()), Body: "矩阵公告内容",
		TerritoryID: w.targets[rel].node.ID})
	if err != nil {
		w.tb.Fatalf("notice at %s: %v", rel, err)
	}
	return n.ID
}

var disclosureOnce sync.Map // *fixture → *sync.Once giving community c1 its code

func (w *world) noticeObject(kind objKind, rel relation) int64 {
	w.tb.Helper()
	if kind == disclosureObj {
		const code = "510781006001"
		// Every caller waits for the code to be given: a parallel subtest (the page, the feed)
		// that went on while the first was still giving it asked for a code nobody had yet and
		// got 404 (CI, 2026-12-04: the feed, every role, on PostgreSQL).
		once, _ := disclosureOnce.LoadOrStore(w.fixture, new(sync.Once))
		var err error
		once.(*sync.Once).Do(func() {
			c := code
			_, err = w.st.RenameTerritory(context.Background(), authz.System(), w.c1.ID, w.c1.Name, &c)
		})
		if err != nil {
			w.tb.Fatalf("code of %s: %v", w.c1.Name, err)
		}
		n, _ := strconv.ParseInt(code, 10, 64)
		return n
	}
	w.electionWorld() // the unit leader's account is linked to the same-unit household's head
	if kind == noticeFreshObj {
		return w.publishNotice(rel)
	}
	noticeMu.Lock()
	defer noticeMu.Unlock()
	m, ok := noticeWorlds[w.fixture]
	if !ok {
		m = map[relation]int64{}
		byNode := map[int64]int64{}
		for _, r := range placed {
			node := w.targets[r].node.ID
			if byNode[node] == 0 {
				byNode[node] = w.publishNotice(r)
			}
			m[r] = byNode[node]
		}
		noticeWorlds[w.fixture] = m
	}
	return m[rel]
}

var noticePatternKinds = map[string]objKind{
	"/api/v1/notices/{id}/withdraw": noticeFreshObj,
	"/notices/{id}/withdraw":        noticeFreshObj,
}

var noticeObjKinds = map[string]objKind{
	"/p/{code}":            disclosureObj,
	"/api/v1/notices/{id}": noticeObj,
	"/notices/{id}":        noticeObj,
}

var noticeSpecs = map[string]spec{
	"GET /api/v1/notices": {kind: noticeRead},
	"POST /api/v1/notices": {kind: noticeWrite, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"title":"矩阵新公告%d","body":"内容","territory_id":"%d"}`, w.nextSeq(), w.targets[rel].node.ID)
	}},
	"GET /api/v1/notices/{id}":           {kind: noticeRead, scoped: true},
	"POST /api/v1/notices/{id}/read":     {kind: noticeRead, scoped: true, body: jsonBody(`{}`)},
	"POST /api/v1/notices/{id}/pin":      {kind: noticeWrite, scoped: true, body: jsonBody(`{"pinned":true}`)},
	"POST /api/v1/notices/{id}/withdraw": {kind: noticeWrite, scoped: true, fresh: true, body: jsonBody(`{"reason":"矩阵撤回"}`)},
	"GET /api/v1/notices/{id}/unread":    {kind: noticeReceipts, scoped: true},

	// The public disclosure page of a community and its feed: anyone, logged in or not.
	"GET /p/{code}":           {kind: public},
	"GET /p/{code}/feed.atom": {kind: public},

	"GET /notices":     {kind: noticeRead},
	"GET /notices/new": {kind: noticeWrite},
	"POST /notices/new": {kind: noticeWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"title": {fmt.Sprintf("矩阵页面公告%d", w.nextSeq())}, "body": {"内容"}, "territory_id": {strconv.FormatInt(w.targets[rel].node.ID, 10)}}
	})},
	"GET /notices/{id}":           {kind: noticeRead, scoped: true},
	"POST /notices/{id}/read":     {kind: noticeRead, scoped: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{} })},
	"POST /notices/{id}/pin":      {kind: noticeWrite, scoped: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"pinned": {"1"}} })},
	"POST /notices/{id}/withdraw": {kind: noticeWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"reason": {"矩阵页面撤回"}} })},
}

func init() {
	maps.Copy(specs, noticeSpecs)
	maps.Copy(patternKinds, noticePatternKinds)
	maps.Copy(objKinds, noticeObjKinds)
}
