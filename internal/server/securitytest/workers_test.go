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

// Community workers' and visits' part of the matrix (issue 12 item 3). A worker belongs to a
// community: the relations own, same household, same unit, same grid and same community have
// c1's, same street c2's, other street c3's; staff reach those of their territory (the
// territory reach), nobody else reads the roster. A visit lies at the relation's stairwell
// (its household for the create routes): staff and grid leaders reach those of their
// territory, as for households.

const (
	workerObj      objKind = 2500 + iota // the standing worker of the relation's community
	workerFreshObj                       // a fresh worker of the relation's community, to change
	visitObj                             // the standing visit at the relation's stairwell
	visitOpenObj                         // a fresh visit there with an open follow-up
)

const (
	workerRead  routeKind = 3400 + iota // the roster: staff by territory
	workerWrite                         // add and change workers, reveal their phone: staff by territory
	visitRead                           // visits and unvisited places: staff and grid leaders by territory
	visitWrite                          // log a visit, close a follow-up: staff and grid leaders by territory
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case workerRead, workerWrite:
			return staffRole(r), true
		case visitRead, visitWrite:
			return fieldWorker(r), true
		}
		return false, false
	})
	extraKindNames[workerRead] = "worker read"
	extraKindNames[workerWrite] = "worker write"
	extraKindNames[visitRead] = "visit read"
	extraKindNames[visitWrite] = "visit write"
}

type workersWorld struct {
	worker map[int64]int64 // by community
	visit  map[relation]int64
}

var (
	workersMu     sync.Mutex
	workersWorlds = map[*fixture]*workersWorld{}
)

// newWorker adds a worker to the relation's community (as the system).
func (w *world) newWorker(rel relation) int64 {
	w.tb.Helper()
	wk, err := w.st.CreateWorker(context.Background(), authz.System(), model.WorkerInput{CommunityID: w.communityOfRel(rel).ID,
		Name: fmt.Sprintf("矩阵工作者%d", w.nextSeq()), Position: "专职网格员", Phone: "13800138000"})
	if err != nil {
		w.tb.Fatalf("worker at %s: %v", rel, err)
	}
	return wk.ID
}

// newVisit logs a visit to the relation's stairwell (as the system), with a follow-up when open.
func (w *world) newVisit(rel relation, open bool) int64 {
	w.tb.Helper()
	in := model.VisitInput{TerritoryID: w.targets[rel].node.ID, Findings: "矩阵走访"}
	if open {
		in.FollowUp = "矩阵跟进"
	}
	v, err := w.st.LogVisit(context.Background(), authz.System(), in)
	if err != nil {
		w.tb.Fatalf("visit at %s: %v", rel, err)
	}
	return v.ID
}

func (w *world) workersWorld() *workersWorld {
	w.tb.Helper()
	workersMu.Lock()
	defer workersMu.Unlock()
	if ww, ok := workersWorlds[w.fixture]; ok {
		return ww
	}
	ww := &workersWorld{worker: map[int64]int64{}, visit: map[relation]int64{}}
	for _, rel := range []relation{relOwn, relStreet, relOther} {
		ww.worker[w.communityOfRel(rel).ID] = w.newWorker(rel)
	}
	for _, rel := range placed {
		ww.visit[rel] = w.newVisit(rel, false)
	}
	workersWorlds[w.fixture] = ww
	return ww
}

// workersObject is the object of kind at the relation: the standing ones, or fresh ones.
func (w *world) workersObject(kind objKind, rel relation) int64 {
	w.tb.Helper()
	ww := w.workersWorld()
	switch kind {
	case workerObj:
		return ww.worker[w.communityOfRel(rel).ID]
	case visitObj:
		return ww.visit[rel]
	case workerFreshObj:
		return w.newWorker(rel)
	case visitOpenObj:
		return w.newVisit(rel, true)
	}
	return 0
}

// workerGridOf is a grid of the relation's community ("" when it has none).
func (w *world) workerGridOf(rel relation) string {
	w.tb.Helper()
	var id int64
	c := w.communityOfRel(rel)
	err := w.st.DB().QueryRowContext(context.Background(), `SELECT COALESCE(MIN(id), 0) FROM territories WHERE kind = 'grid' AND path LIKE $1`, c.Path+"%").Scan(&id)
	if err != nil {
		w.tb.Fatal(err)
	}
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

var workersPatternKinds = map[string]objKind{
	"/api/v1/workers/{id}/grids":         workerFreshObj,
	"/api/v1/workers/{id}/trainings":     workerFreshObj,
	"/api/v1/workers/{id}/recruitments":  workerFreshObj,
	"/api/v1/workers/{id}/reveal":        workerFreshObj,
	"/api/v1/visits/{id}/follow-up-done": visitOpenObj,
	"/workers/{id}/grids":                workerFreshObj,
	"/workers/{id}/trainings":            workerFreshObj,
	"/workers/{id}/recruitments":         workerFreshObj,
	"/workers/{id}/reveal":               workerFreshObj,
	"/visits/{id}/done":                  visitOpenObj,
}

var workersObjKinds = map[string]objKind{
	"/api/v1/workers/{id}": workerObj,
	"/api/v1/visits/{id}":  visitObj,
	"/workers/{id}":        workerObj,
}

var workersSpecs = map[string]spec{
	"GET /api/v1/workers": {kind: workerRead, scoped: true, query: underNode},
	"POST /api/v1/workers": {kind: workerWrite, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"community_id":"%d","name":"矩阵新工作者%d","position":"社区专职工作者","qualification":"assistant"}`,
			w.communityOfRel(rel).ID, w.nextSeq())
	}},
	"GET /api/v1/workers/{id}": {kind: workerRead, scoped: true},
	"PUT /api/v1/workers/{id}": {kind: workerWrite, scoped: true, fresh: true, body: jsonBody(`{"name":"矩阵改名","position":"社工","qualification":"worker"}`)},
	"PUT /api/v1/workers/{id}/grids": {kind: workerWrite, scoped: true, fresh: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		if g := w.workerGridOf(rel); g != "" {
			return "application/json", fmt.Appendf(nil, `{"grid_ids":[%q]}`, g)
		}
		return "application/json", []byte(`{"grid_ids":[]}`)
	}},
	"POST /api/v1/workers/{id}/trainings":    {kind: workerWrite, scoped: true, fresh: true, body: jsonBody(`{"date":"2026-01-05","title":"矩阵培训","hours":"1.5"}`)},
	"POST /api/v1/workers/{id}/recruitments": {kind: workerWrite, scoped: true, fresh: true, body: jsonBody(`{"stage":"exam","date":"2025-01-05","result":"passed"}`)},
	"POST /api/v1/workers/{id}/reveal":       {kind: workerWrite, scoped: true, fresh: true, body: jsonBody(`{"reason":"矩阵"}`)},
	"GET /api/v1/visits":                     {kind: visitRead, scoped: true, query: underNode},
	"POST /api/v1/visits": {kind: visitWrite, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"household_id":"%d","findings":"矩阵走访%d"}`, w.targets[rel].household.ID, w.nextSeq())
	}},
	"GET /api/v1/visits/unvisited":            {kind: visitRead, scoped: true, query: func(w *world, rel relation) string { return underNode(w, rel) + "&days=30" }},
	"GET /api/v1/visits/months":               {kind: workerRead, scoped: true, query: communityQuery},
	"GET /api/v1/visits/{id}":                 {kind: visitRead, scoped: true},
	"POST /api/v1/visits/{id}/follow-up-done": {kind: visitWrite, scoped: true, fresh: true},

	// The pages: the roster with its filters, the new-worker form, a worker's page and its
	// forms (the reveal renders the page), the visits, the phone form, the places nobody
	// visited, closing a follow-up.
	"GET /workers":     {kind: workerRead, scoped: true, query: underNode},
	"GET /workers/new": {kind: workerWrite},
	"POST /workers": {kind: workerWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"community_id": {strconv.FormatInt(w.communityOf(rel).ID, 10)}, "name": {fmt.Sprintf("矩阵页面工作者%d", w.nextSeq())}, "position": {"社工"}}
	})},
	"GET /workers/{id}": {kind: workerRead, scoped: true},
	"POST /workers/{id}": {kind: workerWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"name": {"矩阵页面改名"}, "position": {"社工"}, "qualification": {"none"}}
	})},
	"POST /workers/{id}/grids": {kind: workerWrite, scoped: true, fresh: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		if g := w.workerGridOf(rel); g != "" {
			return url.Values{"grid_id": {g}}
		}
		return url.Values{}
	})},
	"POST /workers/{id}/trainings": {kind: workerWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"date": {"2026-01-05"}, "title": {"矩阵培训"}, "hours": {"2"}}
	})},
	"POST /workers/{id}/recruitments": {kind: workerWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"stage": {"interview"}, "date": {"2025-01-05"}, "result": {"passed"}}
	})},
	"POST /workers/{id}/reveal": {kind: workerWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"reason": {"矩阵"}} })},
	"GET /visits":               {kind: visitRead, scoped: true, query: underNode},
	"GET /visits/new":           {kind: visitWrite},
	"POST /visits": {kind: visitWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"household_id": {strconv.FormatInt(w.targets[rel].household.ID, 10)}, "minutes": {"30"}, "findings": {fmt.Sprintf("矩阵页面走访%d", w.nextSeq())}}
	})},
	"GET /visits/unvisited":  {kind: visitRead, scoped: true, query: func(w *world, rel relation) string { return underNode(w, rel) + "&days=30" }},
	"POST /visits/{id}/done": {kind: visitWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{} })},
}

func init() {
	maps.Copy(specs, workersSpecs)
	maps.Copy(patternKinds, workersPatternKinds)
	maps.Copy(objKinds, workersObjKinds)
}
