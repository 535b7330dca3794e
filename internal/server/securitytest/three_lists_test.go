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

// The three lists' part of the matrix (三张清单: needs, resources, projects). Staff and grid
// leaders read and work the lists of their territory; approving is the staff's; members,
// residents and unit leaders read the approved projects of their community. Each relation has
// a standing need, resource and (approved) project at its place: the grid (or community) its
// node lies in, since needs lie at a community, grid or compound.

const (
	lsNeedObj          objKind = 1700 + iota // the relation's standing need
	lsNeedFreshObj                           // a fresh need (closed by the route)
	lsResourceObj                            // the relation's standing resource
	lsResourceFreshObj                       // a fresh resource (withdrawn by the route)
	lsProjectObj                             // the relation's standing project, approved
	lsProposedObj                            // a fresh proposed project (approved by the route)
	lsApprovedObj                            // a fresh approved project with a milestone (started or ticked)
)

const (
	lsRead        routeKind = 2500 + iota // the needs and resources lists, the matching: staff and grid leaders by territory
	lsWrite                               // record, match, transitions, milestones: staff and grid leaders by territory
	lsApprove                             // approve or reject a project: staff by territory
	lsProjectRead                         // read projects: staff and grid leaders by territory; members, residents and unit leaders their community's approved ones
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case lsRead, lsWrite:
			return fieldWorker(r), true
		case lsApprove:
			return staffRole(r), true
		case lsProjectRead:
			return fieldWorker(r) || r == model.RoleMember || r == model.RoleResident || r == model.RoleUnitLeader, true
		}
		return false, false
	})
	extraReach = append(extraReach, func(w *world, r model.Role, k routeKind) (relation, bool) {
		if k == lsProjectRead && !fieldWorker(r) {
			return relCommunity, true // the approved projects of the community of its scope's node
		}
		return 0, false
	})
	extraKindNames[lsRead] = "lists read"
	extraKindNames[lsWrite] = "lists write"
	extraKindNames[lsApprove] = "lists approve"
	extraKindNames[lsProjectRead] = "lists project read"
}

type listsWorld struct {
	place            map[relation]*model.Territory
	needs, resources map[relation]int64
	projects         map[relation]int64
}

var (
	listsMu     sync.Mutex
	listsWorlds = map[*fixture]*listsWorld{}
)

// lists is the fixture's standing lists, made on first use.
func (w *world) lists() *listsWorld {
	w.tb.Helper()
	listsMu.Lock()
	defer listsMu.Unlock()
	if l, ok := listsWorlds[w.fixture]; ok {
		return l
	}
	l := &listsWorld{place: map[relation]*model.Territory{}, needs: map[relation]int64{}, resources: map[relation]int64{}, projects: map[relation]int64{}}
	for _, rel := range placed {
		l.place[rel] = w.listPlace(rel)
		l.needs[rel] = w.listNeed(l.place[rel])
		l.resources[rel] = w.listResource(rel, l.place[rel])
		l.projects[rel] = w.listProject(l.needs[rel], l.resources[rel], true, true)
	}
	listsWorlds[w.fixture] = l
	return l
}

// listPlace is the deepest community, grid or compound the relation's node lies in.
func (w *world) listPlace(rel relation) *model.Territory {
	node := w.targets[rel].node
	ids := model.PathIDs(node.Path)
	for i := len(ids) - 1; i >= 0; i-- {
		t, err := w.st.Territory(context.Background(), authz.System(), ids[i])
		if err != nil {
			w.tb.Fatalf("place of %s: %v", rel, err)
		}
		switch t.Kind {
		case model.KindCommunity, model.KindGrid, model.KindCompound:
			return t
		}
	}
	w.tb.Fatalf("no community above %s", rel)
	return nil
}

func (w *world) listNeed(at *model.Territory) int64 {
	n, err := w.st.CreateNeed(context.Background(), authz.System(), model.NeedInput{Title: fmt.Sprintf("矩阵需求%d", w.nextSeq()), Category: "维修", TerritoryID: at.ID, Households: 3})
	if err != nil {
		w.tb.Fatalf("need at %s: %v", at.Name, err)
	}
	return n.ID
}

func (w *world) listResource(rel relation, at *model.Territory) int64 {
	x, err := w.st.CreateResource(context.Background(), authz.System(), model.ResourceInput{Kind: model.ResourceSkill, Title: fmt.Sprintf("矩阵资源%d", w.nextSeq()),
		Tags: "维修", TerritoryID: at.ID, OrganizationID: w.targets[rel].organization.ID})
	if err != nil {
		w.tb.Fatalf("resource at %s: %v", at.Name, err)
	}
	return x.ID
}

// listProject proposes a project for need and resource; approved, it is approved and gets a
// milestone.
func (w *world) listProject(need, resource int64, approved, milestone bool) int64 {
	ctx := context.Background()
	p, err := w.st.ProposeProject(ctx, authz.System(), model.ProjectInput{NeedID: need, ResourceID: resource, Title: fmt.Sprintf("矩阵项目%d", w.nextSeq()), Owner: "矩阵", StartsOn: "2026-01-01"})
	if err != nil {
		w.tb.Fatalf("project: %v", err)
	}
	if milestone {
		if _, err := w.st.AddMilestone(ctx, authz.System(), p.ID, model.MilestoneInput{Title: "矩阵里程碑", DueOn: "2026-03-01"}); err != nil {
			w.tb.Fatalf("milestone: %v", err)
		}
	}
	if approved {
		if _, err := w.st.TransitionProject(ctx, authz.System(), p.ID, model.ProjectTransitionInput{Action: model.ProjectApprove}); err != nil {
			w.tb.Fatalf("approve: %v", err)
		}
	}
	return p.ID
}

// listsObject is the standing or a fresh object of the lists at rel.
func (w *world) listsObject(kind objKind, rel relation) int64 {
	l := w.lists()
	switch kind {
	case lsNeedObj:
		return l.needs[rel]
	case lsResourceObj:
		return l.resources[rel]
	case lsProjectObj:
		return l.projects[rel]
	case lsNeedFreshObj:
		return w.listNeed(l.place[rel])
	case lsResourceFreshObj:
		return w.listResource(rel, l.place[rel])
	case lsProposedObj, lsApprovedObj:
		return w.listProject(w.listNeed(l.place[rel]), l.resources[rel], kind == lsApprovedObj, true)
	}
	return 0
}

// listMilestone is the milestone of project id (made by listProject).
func (w *world) listMilestone(project int64) int64 {
	var id int64
	if err := w.st.DB().QueryRowContext(context.Background(), `SELECT id FROM list_project_milestones WHERE project_id = $1`, project).Scan(&id); err != nil {
		w.tb.Fatalf("milestone of %d: %v", project, err)
	}
	return id
}

func lsNeedJSON(w *world, rel relation, _ int64) (string, []byte) {
	return "application/json", fmt.Appendf(nil, `{"title":"矩阵新需求%d","category":"维修","territory_id":"%d","households":2}`, w.nextSeq(), w.lists().place[rel].ID)
}

func lsResourceJSON(w *world, rel relation, _ int64) (string, []byte) {
	return "application/json", fmt.Appendf(nil, `{"kind":"funds","title":"矩阵基金%d","amount_fen":100000,"territory_id":"%d","organization_id":"%d"}`,
		w.nextSeq(), w.lists().place[rel].ID, w.targets[rel].organization.ID)
}

func lsProjectJSON(w *world, rel relation, _ int64) (string, []byte) {
	l := w.lists()
	return "application/json", fmt.Appendf(nil, `{"need_id":"%d","resource_id":"%d","title":"矩阵对接%d","owner":"矩阵","starts_on":"2026-01-01"}`,
		w.listNeed(l.place[rel]), l.resources[rel], w.nextSeq())
}

func lsTickJSON(w *world, _ relation, id int64) (string, []byte) {
	return "application/json", fmt.Appendf(nil, `{"milestone_id":"%d"}`, w.listMilestone(id))
}

func lsMatchQuery(w *world, rel relation) string {
	return "need=" + strconv.FormatInt(w.lists().needs[rel], 10)
}

func lsForm(kv ...string) func(*world, relation, int64) url.Values {
	return func(*world, relation, int64) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
}

var threeListsPatternKinds = map[string]objKind{
	"/api/v1/lists/needs/{id}/status":             lsNeedFreshObj,
	"/api/v1/lists/resources/{id}/status":         lsResourceFreshObj,
	"/api/v1/lists/projects/{id}/approval":        lsProposedObj,
	"/api/v1/lists/projects/{id}/transitions":     lsApprovedObj,
	"/api/v1/lists/projects/{id}/milestone-ticks": lsApprovedObj,
	"/lists/needs/{id}/status":                    lsNeedFreshObj,
	"/lists/resources/{id}/status":                lsResourceFreshObj,
	"/lists/projects/{id}/approval":               lsProposedObj,
	"/lists/projects/{id}/act":                    lsApprovedObj,
	"/lists/projects/{id}/tick":                   lsApprovedObj,
}

var threeListsObjKinds = map[string]objKind{
	"/api/v1/lists/needs/{id}":     lsNeedObj,
	"/api/v1/lists/resources/{id}": lsResourceObj,
	"/api/v1/lists/projects/{id}":  lsProjectObj,
	"/lists/needs/{id}":            lsNeedObj,
	"/lists/resources/{id}":        lsResourceObj,
	"/lists/projects/{id}":         lsProjectObj,
}

var threeListsSpecs = map[string]spec{
	"GET /api/v1/lists/needs":                          {kind: lsRead},
	"POST /api/v1/lists/needs":                         {kind: lsWrite, scoped: true, ref: true, body: lsNeedJSON},
	"GET /api/v1/lists/needs/suggestions":              {kind: lsRead},
	"GET /api/v1/lists/needs/{id}":                     {kind: lsRead, scoped: true},
	"POST /api/v1/lists/needs/{id}/status":             {kind: lsWrite, scoped: true, fresh: true, body: jsonBody(`{"status":"closed"}`)},
	"GET /api/v1/lists/needs/{id}/matches":             {kind: lsRead, scoped: true},
	"GET /api/v1/lists/resources":                      {kind: lsRead},
	"POST /api/v1/lists/resources":                     {kind: lsWrite, scoped: true, ref: true, body: lsResourceJSON},
	"GET /api/v1/lists/resources/{id}":                 {kind: lsRead, scoped: true},
	"POST /api/v1/lists/resources/{id}/status":         {kind: lsWrite, scoped: true, fresh: true, body: jsonBody(`{"status":"withdrawn"}`)},
	"GET /api/v1/lists/projects":                       {kind: lsProjectRead},
	"POST /api/v1/lists/projects":                      {kind: lsWrite, scoped: true, ref: true, body: lsProjectJSON},
	"GET /api/v1/lists/projects/{id}":                  {kind: lsProjectRead, scoped: true},
	"POST /api/v1/lists/projects/{id}/approval":        {kind: lsApprove, scoped: true, fresh: true, body: jsonBody(`{"decision":"approve"}`)},
	"POST /api/v1/lists/projects/{id}/transitions":     {kind: lsWrite, scoped: true, fresh: true, body: jsonBody(`{"action":"start"}`)},
	"POST /api/v1/lists/projects/{id}/milestones":      {kind: lsWrite, scoped: true, body: jsonBody(`{"title":"矩阵新里程碑","due_on":"2026-05-01"}`)},
	"POST /api/v1/lists/projects/{id}/milestone-ticks": {kind: lsWrite, scoped: true, fresh: true, body: lsTickJSON},

	"GET /lists/needs":     {kind: lsRead},
	"GET /lists/needs/new": {kind: lsWrite},
	"POST /lists/needs": {kind: lsWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"title": {fmt.Sprintf("矩阵页面需求%d", w.nextSeq())}, "category": {"维修"}, "territory_id": {strconv.FormatInt(w.lists().place[rel].ID, 10)}}
	})},
	"POST /lists/needs/adopt":       {kind: lsWrite, body: formBody(lsForm("order_category_id", "1", "territory_id", "1"))},
	"GET /lists/needs/{id}":         {kind: lsRead, scoped: true},
	"POST /lists/needs/{id}/status": {kind: lsWrite, scoped: true, fresh: true, body: formBody(lsForm("status", "closed"))},
	"GET /lists/resources":          {kind: lsRead},
	"GET /lists/resources/new":      {kind: lsWrite},
	"POST /lists/resources": {kind: lsWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"kind": {"venue"}, "title": {fmt.Sprintf("矩阵场地%d", w.nextSeq())}, "territory_id": {strconv.FormatInt(w.lists().place[rel].ID, 10)},
			"organization_id": {strconv.FormatInt(w.targets[rel].organization.ID, 10)}}
	})},
	"GET /lists/resources/{id}":         {kind: lsRead, scoped: true},
	"POST /lists/resources/{id}/status": {kind: lsWrite, scoped: true, fresh: true, body: formBody(lsForm("status", "withdrawn"))},
	"GET /lists/match":                  {kind: lsRead, scoped: true, query: lsMatchQuery},
	"GET /lists/projects":               {kind: lsProjectRead},
	"POST /lists/projects": {kind: lsWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		l := w.lists()
		return url.Values{"need_id": {strconv.FormatInt(w.listNeed(l.place[rel]), 10)}, "resource_id": {strconv.FormatInt(l.resources[rel], 10)},
			"title": {fmt.Sprintf("矩阵页面对接%d", w.nextSeq())}, "owner": {"矩阵"}, "starts_on": {"2026-01-01"}}
	})},
	"GET /lists/projects/{id}":             {kind: lsProjectRead, scoped: true},
	"POST /lists/projects/{id}/approval":   {kind: lsApprove, scoped: true, fresh: true, body: formBody(lsForm("action", "approve"))},
	"POST /lists/projects/{id}/act":        {kind: lsWrite, scoped: true, fresh: true, body: formBody(lsForm("action", "start"))},
	"POST /lists/projects/{id}/milestones": {kind: lsWrite, scoped: true, body: formBody(lsForm("title", "矩阵页面里程碑", "due_on", "2026-05-01"))},
	"POST /lists/projects/{id}/tick": {kind: lsWrite, scoped: true, fresh: true, body: formBody(func(w *world, _ relation, id int64) url.Values {
		return url.Values{"milestone_id": {strconv.FormatInt(w.listMilestone(id), 10)}}
	})},
}

func init() {
	maps.Copy(specs, threeListsSpecs)
	maps.Copy(patternKinds, threeListsPatternKinds)
	maps.Copy(objKinds, threeListsObjKinds)
}
