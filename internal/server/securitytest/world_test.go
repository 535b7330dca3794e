package securitytest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// relation is where an object lies relative to the caller's own household: the columns of the
// matrix. The caller's own household sits in stairwell su of building bu (the joint-building
// unit) of grid g1 of community c1 of street s1 of the district.
type relation int

const (
	relOwn       relation = iota // the caller's own resident record / household / stairwell
	relHousehold                 // another member of the caller's household
	relUnit                      // another household of the same unit (building bu)
	relGrid                      // a household in another building of the same grid
	relCommunity                 // a household in another grid of the same community
	relStreet                    // a household in another community of the same street
	relOther                     // a household in another street
	relAnon                      // not logged in (a pseudo-relation: the caller has no session)
)

var relationNames = [...]string{"own", "same_household", "same_unit", "same_grid", "same_community", "same_street", "other_street", "unauthenticated"}

func (r relation) String() string { return relationNames[r] }

// placed are the relations an object can have; relAnon is a caller, not a place.
var placed = []relation{relOwn, relHousehold, relUnit, relGrid, relCommunity, relStreet, relOther}

// target is the fixture of one relation: the stairwell, household and resident that lie there,
// the node under which fresh territory of this relation is created, and a resident account
// linked to the resident (for correction requests).
type target struct {
	node      *model.Territory
	container *model.Territory
	childKind model.TerritoryKind
	household *model.Household
	resident  *model.Resident
	subject   *model.User
	probe     *model.CorrectionRequest // an open correction request of the resident, for reads
	account   *model.User              // a grid leader's account scoped to the node, for account administration
	org       int64                    // a party group anchored at the node, of this relation alone
	member    int64                    // a registered member of org (at relOwn: the member account's own record)
	porg      *model.Org               // the Party org that lies here (party_org_test.go)
	// organization is a volunteer team of the register at the node, joinable; the one at
	// relOwn is the partner account's own organization.
	organization *model.Organization
}

// reach is the farthest relation a role's scope covers; scopeNode is where its account sits.
func (w *world) reach(role model.Role) relation {
	switch role {
	case model.RoleSystemAdmin, model.RoleDistrictAdmin:
		return relOther
	case model.RoleStreetAdmin:
		return relStreet
	case model.RoleGridLeader:
		return relGrid
	case model.RoleUnitLeader:
		// The unit's anchor is the grid (the unit reaches into building bg): the tree of the
		// grid, and of its people the unit's households only (peopleReach).
		return relGrid
	case model.RolePartner:
		return relUnit
	}
	return relCommunity // community admin and staff, and the roles scoped to the community
}

// peopleReach is the farthest relation whose households and residents a role reaches: a unit
// leader's scope is exactly its unit's households (own, same household, same unit), whatever
// its anchor's subtree holds; every other role's is its territory.
func (w *world) peopleReach(role model.Role) relation {
	if role == model.RoleUnitLeader {
		return relUnit
	}
	return w.reach(role)
}

func (w *world) scopeNode(role model.Role) *model.Territory {
	switch role {
	case model.RoleSystemAdmin:
		return nil
	case model.RoleDistrictAdmin:
		return w.district
	case model.RoleStreetAdmin:
		return w.s1
	case model.RoleGridLeader:
		return w.g1
	case model.RoleUnitLeader:
		return w.g1 // the anchor of its unit (unitMembers)
	case model.RolePartner:
		return w.targets[relOwn].node // its organization's node
	}
	return w.c1
}

// world is the fixture city of the matrix and the CSRF test: a district with two streets,
// communities, grids, buildings (units), stairwells, households and residents, one account per
// role, and the full server (API and pages) over a real store. One world per engine serves every
// test of the package (TestServerSecurity); each test or parallel case works on a view of it
// (with) that reports to its own testing.TB.
type world struct {
	tb testing.TB
	*fixture
}

// with is a view of the world whose helpers report failures to tb.
func (w *world) with(tb testing.TB) *world { return &world{tb: tb, fixture: w.fixture} }

// fixture is the shared state of a world. Parallel cases change it, so mu guards its maps and
// counters; gate is held shared by every case and exclusively by a case that checks that a
// denied write changed nothing (no other case may write meanwhile).
type fixture struct {
	mu      sync.Mutex
	gate    sync.RWMutex
	engine  string
	journal *journal
	nodes   []*model.Territory // every node the fixture made, in order
	// What the fixture put where, for the list proofs: household → node, resident → household,
	// account → scope node (nil: unscoped).
	householdAt map[int64]*model.Territory
	residentOf  map[int64]int64
	accountAt   map[int64]*model.Territory
	// unit is the unit the unit_leader account leads: the own household (also the other
	// member's), the same unit's, and one more in building bg, so that its anchor is grid g1
	// and the households of bg outside it are inside the anchor but not in the scope.
	unit           *model.Unit
	unitHouseholds ids
	// lastPhoneCorrection is the last phone correction the writes proof filed.
	lastPhoneCorrection                                  int64
	st                                                   *store.Store
	srv                                                  *httptest.Server
	district, s1, s2, c1, c2, c3, g1, g2, g3, g4, bu, bg *model.Territory
	targets                                              [relOther + 1]target
	users                                                map[model.Role]*model.User
	tokens                                               map[model.Role]string
	probe                                                *model.User // a resident account without a second factor, for the login routes
	seq                                                  int
	open                                                 map[relation]int64 // the last fresh correction request per relation
	passwords                                            map[model.Role]string
	jobs                                                 map[string]int64         // standing jobs by starter and relation
	conflicts                                            map[relation]int64       // standing ID conflicts (conflict_test.go)
	conflictMu                                           sync.Mutex               // held while the standing conflict of a relation is made
	life                                                 [relOther + 1]lifeTarget // partylife's objects per relation (party_life_test.go)
}

// token is role's current session.
func (w *world) token(role model.Role) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.tokens[role]
}

func (w *world) setToken(role model.Role, token string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tokens[role] = token
}

func (w *world) setPassword(role model.Role, p string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.passwords[role] = p
}

// password is the current password of role's account (the password route changes it).
func (w *world) password(role model.Role) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if p, ok := w.passwords[role]; ok {
		return p
	}
	return testPassword
}

const testPassword = "Matrix-Proof-Passphrase-2026"

func mustWorld(tb testing.TB, st *store.Store) *world {
	tb.Helper()
	ctx := context.Background()
	w := &world{tb: tb, fixture: &fixture{st: st, users: map[model.Role]*model.User{}, tokens: map[model.Role]string{}, open: map[relation]int64{}, passwords: map[model.Role]string{}, jobs: map[string]int64{},
		householdAt: map[int64]*model.Territory{}, residentOf: map[int64]int64{}, accountAt: map[int64]*model.Territory{}}}
	w.district = w.node(nil, model.KindDistrict, "江油市")
	w.s1 = w.node(w.district, model.KindStreet, "中坝街道")
	w.s2 = w.node(w.district, model.KindStreet, "太白街道")
	w.c1 = w.node(w.s1, model.KindCommunity, "天宝社区")
	w.c2 = w.node(w.s1, model.KindCommunity, "东胜社区")
	w.c3 = w.node(w.s2, model.KindCommunity, "太白社区")
	w.g1 = w.node(w.c1, model.KindGrid, "第一网格")
	w.g2 = w.node(w.c1, model.KindGrid, "第二网格")
	w.g3 = w.node(w.c2, model.KindGrid, "东胜一网格")
	w.g4 = w.node(w.c3, model.KindGrid, "太白一网格")
	w.bu = w.node(w.g1, model.KindBuilding, "1栋")
	w.bg = w.node(w.g1, model.KindBuilding, "2栋")
	su := w.node(w.bu, model.KindStairwell, "1单元")
	sg := w.node(w.bg, model.KindStairwell, "1单元")
	sc := w.node(w.node(w.g2, model.KindBuilding, "3栋"), model.KindStairwell, "1单元")
	ss := w.node(w.node(w.g3, model.KindBuilding, "8栋"), model.KindStairwell, "2单元")
	so := w.node(w.node(w.g4, model.KindBuilding, "9栋"), model.KindStairwell, "1单元")

	own := w.household(su)
	w.targets[relOwn] = target{node: su, container: w.bu, childKind: model.KindStairwell, household: own}
	w.targets[relHousehold] = target{node: su, container: w.bu, childKind: model.KindStairwell, household: own}
	w.targets[relUnit] = target{node: su, container: w.bu, childKind: model.KindStairwell, household: w.household(su)}
	w.targets[relGrid] = target{node: sg, container: w.g1, childKind: model.KindBuilding, household: w.household(sg)}
	w.targets[relCommunity] = target{node: sc, container: w.c1, childKind: model.KindGrid, household: w.household(sc)}
	w.targets[relStreet] = target{node: ss, container: w.s1, childKind: model.KindCommunity, household: w.household(ss)}
	w.targets[relOther] = target{node: so, container: w.s2, childKind: model.KindCommunity, household: w.household(so)}
	for _, rel := range placed {
		t := &w.targets[rel]
		t.resident = w.resident(t.household)
	}

	for _, rel := range placed {
		w.targets[rel].organization = w.organization(rel)
	}
	extra := w.household(sg)
	w.resident(extra)
	w.unitHouseholds = ids{own.ID: true, w.targets[relUnit].household.ID: true, extra.ID: true}
	w.unit = storetest.MustUnit(tb, st, "1栋联建单元", own.ID, w.targets[relUnit].household.ID, extra.ID)
	if w.unit.TerritoryID != w.g1.ID {
		tb.Fatalf("the matrix's unit is anchored at %d, want grid g1 %d", w.unit.TerritoryID, w.g1.ID)
	}
	for _, role := range model.Roles {
		u := w.user("u_"+string(role), role, w.scopeNode(role))
		w.users[role] = u
		w.tokens[role] = w.session(u)
	}
	// The resident account is the subject of the own resident; the member's, of the other
	// member of the household; the rest get a subject account of their own.
	w.link(w.users[model.RoleResident], w.targets[relOwn].resident)
	w.targets[relOwn].subject = w.users[model.RoleResident]
	w.link(w.users[model.RoleMember], w.targets[relHousehold].resident)
	w.targets[relHousehold].subject = w.users[model.RoleMember]
	for _, rel := range placed[2:] {
		t := &w.targets[rel]
		t.subject = w.user(fmt.Sprintf("subject_%d", rel), model.RoleResident, t.node)
		w.link(t.subject, t.resident)
	}
	for _, rel := range placed {
		t := &w.targets[rel]
		var err error
		t.probe, err = st.CreateCorrection(ctx, t.subject.ID, model.CorrectionInput{Field: model.CorrectName, Value: fmt.Sprintf("更名%d", w.nextSeq()), Reason: "矩阵测试"})
		if err != nil {
			tb.Fatalf("probe correction for %s: %v", rel, err)
		}
	}
	w.probe = w.user("login_probe", model.RoleResident, w.c1)
	w.partyLife()
	for _, rel := range placed {
		w.targets[rel].account = w.user(fmt.Sprintf("target_%d", rel), model.RoleGridLeader, w.targets[rel].node)
	}

	// Party members: a group of each relation's own, with a member; the member account is the
	// secretary of the own relation's group and its member there.
	for _, rel := range placed {
		t := &w.targets[rel]
		t.org = storetest.MustOrg(tb, st, "building_group", fmt.Sprintf("矩阵党小组%d", rel), t.node.ID, 0)
		t.member = w.member(rel, "full")
	}
	storetest.MustPost(tb, st, w.targets[relOwn].org, "secretary", w.users[model.RoleMember].ID)
	if _, err := st.DB().ExecContext(ctx, fmt.Sprintf(`UPDATE party_members SET user_id = %d WHERE id = %d`, w.users[model.RoleMember].ID, w.targets[relOwn].member)); err != nil {
		tb.Fatal(err)
	}
	w.partyOrgs()

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pages, err := web.New(st, log, web.Options{})
	if err != nil {
		tb.Fatalf("web.New: %v", err)
	}
	w.srv = httptest.NewServer(server.New(st, log, api.Token, api.New(st, log, 1<<20, false), pages).Handler())
	tb.Cleanup(w.srv.Close)
	w.journal = newJournal(tb, st)
	return w
}

func (w *world) node(parent *model.Territory, kind model.TerritoryKind, name string) *model.Territory {
	w.tb.Helper()
	var pid int64
	if parent != nil {
		pid = parent.ID
	}
	n, err := w.st.CreateTerritory(context.Background(), authz.System(), model.TerritoryInput{ParentID: pid, Kind: kind, Name: name})
	if err != nil {
		w.tb.Fatalf("create %s %s: %v", kind, name, err)
	}
	w.mu.Lock()
	w.nodes = append(w.nodes, n)
	w.mu.Unlock()
	return n
}

func (w *world) household(node *model.Territory) *model.Household {
	w.tb.Helper()
	n := w.nextSeq()
	h, err := w.st.CreateHousehold(context.Background(), authz.System(), model.HouseholdInput{TerritoryID: node.ID,
		Address: fmt.Sprintf("%d室", 100+n), Flags: model.HouseholdFlags{Hardship: n%2 == 0}})
	if err != nil {
		w.tb.Fatalf("create household: %v", err)
	}
	w.mu.Lock()
	w.householdAt[h.ID] = node
	w.mu.Unlock()
	return h
}

func (w *world) resident(h *model.Household) *model.Resident {
	w.tb.Helper()
	r, err := w.st.CreateResident(context.Background(), authz.System(), model.ResidentInput{HouseholdID: h.ID,
		Name: fmt.Sprintf("居民%d", w.nextSeq()), IDNumber: w.idNumber(), Phone: fmt.Sprintf("139%08d", w.nextSeq()),
		Relation: "其他", PoliticalStatus: model.StatusPartyMember})
	if err != nil {
		w.tb.Fatalf("create resident: %v", err)
	}
	w.mu.Lock()
	w.residentOf[r.ID] = h.ID
	w.mu.Unlock()
	return r
}

// member puts a new member of status (probationary: joined in 2019, so it may be converted) on
// the roster of the relation's group.
func (w *world) member(rel relation, status model.MemberStatus) int64 {
	w.tb.Helper()
	m, err := w.st.CreateMember(context.Background(), authz.System(), model.MemberInput{Name: fmt.Sprintf("党员%d", w.nextSeq()),
		OrgID: w.targets[rel].org, Status: status, JoinedOn: "2019-07-01", Category: model.CategoryRetired})
	if err != nil {
		w.tb.Fatalf("create member: %v", err)
	}
	return m.ID
}

func (w *world) nextSeq() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	return w.seq
}

// idNumber returns a fresh valid ID number (birth dates vary so sequence numbers never run out).
func (w *world) idNumber() string {
	n := w.nextSeq()
	s := fmt.Sprintf("510781%04d%02d%02d%03d", 1950+n/(28*1000)%50, 1+n/28%12, 1+n%28, n%1000)
	return s + string(model.IDCheckDigit(s))
}

func (w *world) user(name string, role model.Role, scope *model.Territory) *model.User {
	w.tb.Helper()
	in := store.UserInput{Username: name, DisplayName: name, Password: testPassword, Role: role}
	if scope != nil && role.Scoped() {
		in.ScopeID = scope.ID
	}
	if role == model.RolePartner {
		in.OrganizationID = w.targets[relOwn].organization.ID // a partner belongs to its organization, whose node is its scope
	}
	if role == model.RoleUnitLeader {
		in.UnitID = w.unit.ID // a unit leader leads a real unit, whose anchor is its scope
	}
	if role.NeedsSecondFactor() {
		in.TOTPSecret = authz.NewTOTPSecret()
	}
	u, err := w.st.CreateUser(context.Background(), authz.System(), in)
	if err != nil {
		w.tb.Fatalf("create user %s: %v", name, err)
	}
	w.mu.Lock()
	if role.Scoped() {
		w.accountAt[u.ID] = scope
	} else {
		w.accountAt[u.ID] = nil
	}
	w.mu.Unlock()
	return u
}

// organization registers a fresh joinable volunteer team at rel's node.
func (w *world) organization(rel relation) *model.Organization {
	w.tb.Helper()
	o, err := w.st.CreateOrganization(context.Background(), authz.System(), model.OrganizationInput{Type: model.OrgVolunteerTeam,
		Name: fmt.Sprintf("矩阵志愿队%d", w.nextSeq()), TerritoryID: w.targets[rel].node.ID, Joinable: true})
	if err != nil {
		w.tb.Fatalf("organization at %s: %v", rel, err)
	}
	return o
}

// session starts a session for u directly in the store (the login route is a case of its own).
func (w *world) session(u *model.User) string {
	w.tb.Helper()
	token, _, err := w.st.CreateSession(context.Background(), u)
	if err != nil {
		w.tb.Fatalf("session for %s: %v", u.Username, err)
	}
	return token
}

func (w *world) link(u *model.User, r *model.Resident) {
	w.tb.Helper()
	if err := w.st.LinkResident(context.Background(), authz.System(), u.ID, r.ID); err != nil {
		w.tb.Fatalf("link %s to resident %d: %v", u.Username, r.ID, err)
	}
}

// correction files a fresh correction request (of the occupation) by the subject of relation
// rel, first rejecting the previous fresh one if a denied case left it open.
func (w *world) correction(rel relation) *model.CorrectionRequest {
	w.tb.Helper()
	w.mu.Lock()
	prev := w.open[rel]
	w.mu.Unlock()
	if prev != 0 {
		_, _ = w.st.RejectCorrection(context.Background(), authz.System(), prev, "矩阵清理")
	}
	c, err := w.st.CreateCorrection(context.Background(), w.targets[rel].subject.ID, model.CorrectionInput{
		Field: model.CorrectOccupation, Value: fmt.Sprintf("职业%d", w.nextSeq()), Reason: "矩阵测试"})
	if err != nil {
		w.tb.Fatalf("correction for %s: %v", rel, err)
	}
	w.mu.Lock()
	w.open[rel] = c.ID
	w.mu.Unlock()
	return c
}

// do sends one request as role (relAnon: no session) to the API with a bearer token or to the
// pages with the session cookie, from the same origin as a browser would.
func (w *world) do(token, method, path, contentType string, body io.Reader) *http.Response {
	w.tb.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, body)
	if err != nil {
		w.tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", w.srv.URL)
	if token != "" {
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Authorization", "Bearer "+token)
		} else {
			req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: token})
		}
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		w.tb.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// job returns a job at relation rel as role sees it: at relOwn one role's account started, at
// the other relations one the relation's account (a grid leader scoped to its node) started.
// A standing job has ended with a downloadable file; a fresh one is queued (to be cancelled).
func (w *world) job(role model.Role, rel relation, fresh bool) int64 {
	w.tb.Helper()
	starter := w.targets[rel].account
	key := fmt.Sprintf("rel%d", rel)
	if rel == relOwn {
		starter, key = w.users[role], "own_"+string(role)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if id, ok := w.jobs[key]; ok && !fresh {
		return id
	}
	ctx := context.Background()
	j, err := w.st.CreateJob(ctx, authz.ForUser(starter), store.JobInput{Kind: "household.export"}, nil)
	if err != nil {
		w.tb.Fatalf("job of %s: %v", starter.Username, err)
	}
	if fresh {
		return j.ID
	}
	if _, err := w.st.StartJob(ctx, j.ID, "matrix"); err != nil {
		w.tb.Fatal(err)
	}
	if err := w.st.FinishJob(ctx, j.ID, store.JobOutcome{Status: model.JobSucceeded,
		Output: &store.FileInput{Name: "导出.xlsx", ContentType: "application/octet-stream", Body: strings.NewReader("PK")}}); err != nil {
		w.tb.Fatal(err)
	}
	w.jobs[key] = j.ID
	return j.ID
}
