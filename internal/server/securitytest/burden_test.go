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

// The burden register's part of the matrix (准入清单, issue 12 item 2). A task belongs to a
// community (communityOfRel: c1 for the relations up to same community, c2 at same street, c3
// at other street); the department register and the duty list are kept by a street (s1 for the
// relations up to same street, s2 at other street). Staff read and record tasks of their
// territory's communities; street, district and system administrators decide tasks off the list
// and keep the catalogues of their territory. Everything is reached by territory alone.

const (
	burdenDeptObj         objKind = 2400 + iota // a department of the relation's street register
	burdenDutyObj                               // a duty of the relation's street list
	burdenTaskObj                               // the standing task of the relation's community
	burdenTaskReceivedObj                       // a fresh task on the list, received
	burdenTaskPendingObj                        // a fresh task off the list, pending the street
	burdenTaskAcceptedObj                       // a fresh task on the list, accepted
)

const (
	burdenRead    routeKind = 3300 + iota // see the catalogues, tasks and the burden view: staff by territory
	burdenWrite                           // record tasks, accept, record done: staff by territory
	burdenApprove                         // decide a task off the list: street, district and system administrators
	burdenCatalog                         // keep the department register and duty list: street, district and system administrators
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case burdenRead, burdenWrite:
			return staffRole(r), true
		case burdenApprove, burdenCatalog:
			return r == model.RoleSystemAdmin || r == model.RoleDistrictAdmin || r == model.RoleStreetAdmin, true
		}
		return false, false
	})
	extraKindNames[burdenRead] = "burden read"
	extraKindNames[burdenWrite] = "burden write"
	extraKindNames[burdenApprove] = "burden approve"
	extraKindNames[burdenCatalog] = "burden catalog"
}

type burdenWorld struct {
	dept, duty, task map[int64]int64 // dept and duty by street, task by community
}

var (
	burdenMu     sync.Mutex
	burdenWorlds = map[*fixture]*burdenWorld{}
)

// streetOfRel is the street the relation's node lies in.
func (w *world) streetOfRel(rel relation) *model.Territory {
	if rel == relOther {
		return w.s2
	}
	return w.s1
}

func (w *world) burdenWorld() *burdenWorld {
	w.tb.Helper()
	burdenMu.Lock()
	defer burdenMu.Unlock()
	if b, ok := burdenWorlds[w.fixture]; ok {
		return b
	}
	ctx := context.Background()
	b := &burdenWorld{dept: map[int64]int64{}, duty: map[int64]int64{}, task: map[int64]int64{}}
	for _, s := range []*model.Territory{w.s1, w.s2} {
		d, err := w.st.SaveBurdenDepartment(ctx, authz.System(), 0, model.BurdenDepartmentInput{OwnerID: s.ID, Name: s.Name + "民政局", Line: "民政"})
		if err != nil {
			w.tb.Fatalf("department: %v", err)
		}
		u, err := w.st.SaveBurdenDuty(ctx, authz.System(), 0, model.BurdenDutyInput{OwnerID: s.ID, Code: "MZ-01", Name: "低保受理", Basis: "《社会救助暂行办法》"})
		if err != nil {
			w.tb.Fatalf("duty: %v", err)
		}
		b.dept[s.ID], b.duty[s.ID] = d.ID, u.ID
	}
	burdenWorlds[w.fixture] = b
	for _, rel := range []relation{relOwn, relStreet, relOther} {
		b.task[w.communityOfRel(rel).ID] = w.burdenTask(rel, true)
	}
	return b
}

// burdenTask records a task of the relation's community (as the system), on the list or off.
func (w *world) burdenTask(rel relation, onList bool) int64 {
	w.tb.Helper()
	b := burdenWorlds[w.fixture]
	s := w.streetOfRel(rel).ID
	in := model.BurdenTaskInput{CommunityID: w.communityOfRel(rel).ID, DepartmentID: b.dept[s], Title: fmt.Sprintf("矩阵交办%d", w.nextSeq()),
		ReceivedOn: "2026-01-05", DueOn: "2026-01-31"}
	if onList {
		in.DutyID = b.duty[s]
	}
	t, err := w.st.CreateBurdenTask(context.Background(), authz.System(), in)
	if err != nil {
		w.tb.Fatalf("task at %s: %v", rel, err)
	}
	return t.ID
}

// burdenObject is the object of kind at the relation: the standing ones, or fresh ones.
func (w *world) burdenObject(kind objKind, rel relation) int64 {
	w.tb.Helper()
	b := w.burdenWorld()
	switch kind {
	case burdenDeptObj:
		return b.dept[w.streetOfRel(rel).ID]
	case burdenDutyObj:
		return b.duty[w.streetOfRel(rel).ID]
	case burdenTaskObj:
		return b.task[w.communityOfRel(rel).ID]
	case burdenTaskReceivedObj:
		return w.burdenTask(rel, true)
	case burdenTaskPendingObj:
		return w.burdenTask(rel, false)
	case burdenTaskAcceptedObj:
		id := w.burdenTask(rel, true)
		if _, err := w.st.AcceptBurdenTask(context.Background(), authz.System(), id); err != nil {
			w.tb.Fatalf("accept %d: %v", id, err)
		}
		return id
	}
	return 0
}

var burdenPatternKinds = map[string]objKind{
	"/api/v1/burden/tasks/{id}/accept":   burdenTaskReceivedObj,
	"/api/v1/burden/tasks/{id}/decision": burdenTaskPendingObj,
	"/api/v1/burden/tasks/{id}/done":     burdenTaskAcceptedObj,
	"/burden/tasks/{id}/accept":          burdenTaskReceivedObj,
	"/burden/tasks/{id}/decision":        burdenTaskPendingObj,
	"/burden/tasks/{id}/done":            burdenTaskAcceptedObj,
}

var burdenObjKinds = map[string]objKind{
	"/api/v1/burden/departments/{id}": burdenDeptObj,
	"/api/v1/burden/duties/{id}":      burdenDutyObj,
	"/api/v1/burden/tasks/{id}":       burdenTaskObj,
	"/burden/departments/{id}":        burdenDeptObj,
	"/burden/duties/{id}":             burdenDutyObj,
	"/burden/tasks/{id}":              burdenTaskObj,
}

// burdenTaskValues is a valid new task of the relation's community.
func (w *world) burdenTaskValues(rel relation) url.Values {
	b := w.burdenWorld()
	s := w.streetOfRel(rel).ID
	today := time.Now().In(model.Shanghai).Format(time.DateOnly)
	return url.Values{"community_id": {strconv.FormatInt(w.communityOfRel(rel).ID, 10)}, "department_id": {strconv.FormatInt(b.dept[s], 10)},
		"duty_id": {strconv.FormatInt(b.duty[s], 10)}, "title": {fmt.Sprintf("矩阵新交办%d", w.nextSeq())}, "received_on": {today}, "due_on": {today}}
}

func burdenTaskJSONBody(w *world, rel relation, _ int64) (string, []byte) {
	v := w.burdenTaskValues(rel)
	return "application/json", fmt.Appendf(nil, `{"community_id":%q,"department_id":%q,"duty_id":%q,"title":%q,"received_on":%q,"due_on":%q}`,
		v.Get("community_id"), v.Get("department_id"), v.Get("duty_id"), v.Get("title"), v.Get("received_on"), v.Get("due_on"))
}

func burdenView(w *world, rel relation) string {
	w.burdenWorld()
	return "territory=" + strconv.FormatInt(w.communityOfRel(rel).ID, 10)
}

func burdenOwnerBody(api bool, what string) func(w *world, rel relation, _ int64) (string, []byte) {
	return func(w *world, rel relation, _ int64) (string, []byte) {
		w.burdenWorld()
		owner := strconv.FormatInt(w.streetOfRel(rel).ID, 10)
		n := w.nextSeq()
		v := url.Values{"owner_id": {owner}, "name": {fmt.Sprintf("矩阵部门%d", n)}, "line": {"统计"}}
		if what == "duty" {
			v = url.Values{"owner_id": {owner}, "code": {fmt.Sprintf("JZ-%d", n)}, "name": {"矩阵事项"}, "basis": {"矩阵依据"}}
		}
		if !api {
			return "application/x-www-form-urlencoded", []byte(v.Encode())
		}
		if what == "duty" {
			return "application/json", fmt.Appendf(nil, `{"owner_id":%q,"code":%q,"name":"矩阵事项","basis":"矩阵依据"}`, owner, v.Get("code"))
		}
		return "application/json", fmt.Appendf(nil, `{"owner_id":%q,"name":%q,"line":"统计"}`, owner, v.Get("name"))
	}
}

var burdenSpecs = map[string]spec{
	"GET /api/v1/burden/departments":          {kind: burdenRead},
	"POST /api/v1/burden/departments":         {kind: burdenCatalog, scoped: true, ref: true, body: burdenOwnerBody(true, "dept")},
	"PUT /api/v1/burden/departments/{id}":     {kind: burdenCatalog, scoped: true, body: jsonBody(`{"name":"矩阵改名部门","line":"民政"}`)},
	"GET /api/v1/burden/duties":               {kind: burdenRead},
	"POST /api/v1/burden/duties":              {kind: burdenCatalog, scoped: true, ref: true, body: burdenOwnerBody(true, "duty")},
	"PUT /api/v1/burden/duties/{id}":          {kind: burdenCatalog, scoped: true, body: jsonBody(`{"code":"MZ-01","name":"低保受理（改）","basis":"《社会救助暂行办法》"}`)},
	"GET /api/v1/burden/tasks":                {kind: burdenRead},
	"POST /api/v1/burden/tasks":               {kind: burdenWrite, scoped: true, ref: true, body: burdenTaskJSONBody},
	"GET /api/v1/burden/tasks/{id}":           {kind: burdenRead, scoped: true},
	"POST /api/v1/burden/tasks/{id}/accept":   {kind: burdenWrite, scoped: true, fresh: true},
	"POST /api/v1/burden/tasks/{id}/decision": {kind: burdenApprove, scoped: true, fresh: true, body: jsonBody(`{"approve":true,"reason":"矩阵同意"}`)},
	"POST /api/v1/burden/tasks/{id}/done":     {kind: burdenWrite, scoped: true, fresh: true, body: jsonBody(`{"hours":"1.5"}`)},
	"GET /api/v1/burden/view":                 {kind: burdenRead, scoped: true, query: burdenView},

	// The pages: the list and its export, the task form, a task with its forms, the view, the
	// catalogue with the administrators' forms.
	"GET /burden":                    {kind: burdenRead},
	"GET /burden/tasks.xlsx":         {kind: burdenRead},
	"GET /burden/tasks/new":          {kind: burdenWrite},
	"POST /burden/tasks/new":         {kind: burdenWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values { return w.burdenTaskValues(rel) })},
	"GET /burden/tasks/{id}":         {kind: burdenRead, scoped: true},
	"POST /burden/tasks/{id}/accept": {kind: burdenWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{} })},
	"POST /burden/tasks/{id}/decision": {kind: burdenApprove, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"approve": {"0"}, "reason": {"矩阵页面退回"}}
	})},
	"POST /burden/tasks/{id}/done": {kind: burdenWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"hours": {"2"}} })},
	"GET /burden/view":             {kind: burdenRead, scoped: true, query: burdenView},
	"GET /burden/catalog":          {kind: burdenRead},
	"POST /burden/departments":     {kind: burdenCatalog, scoped: true, ref: true, body: burdenOwnerBody(false, "dept")},
	"POST /burden/departments/{id}": {kind: burdenCatalog, scoped: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"name": {"矩阵页面改名部门"}, "line": {"民政"}, "active": {"1"}}
	})},
	"POST /burden/duties": {kind: burdenCatalog, scoped: true, ref: true, body: burdenOwnerBody(false, "duty")},
	"POST /burden/duties/{id}": {kind: burdenCatalog, scoped: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"code": {"MZ-01"}, "name": {"低保受理"}, "basis": {"《社会救助暂行办法》"}, "active": {"1"}}
	})},
}

func init() {
	maps.Copy(specs, burdenSpecs)
	maps.Copy(patternKinds, burdenPatternKinds)
	maps.Copy(objKinds, burdenObjKinds)
}
