package securitytest_test

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/web"
)

// decision is what a request came to: the four outcomes the matrix compares.
type decision string

const (
	allow        decision = "allow"
	unauthorized decision = "401"
	forbidden    decision = "403"
	notFound     decision = "404"
	invalidRef   decision = "422"
	serverError  decision = "5xx"
)

// objKind is what a route's {id} names.
type objKind int

const (
	noObject objKind = iota
	territoryObj
	householdObj
	residentObj
	correctionObj
	conflictObj
	userObj
	tokenObj
	jobObj
	meetingObj  // partylife: a scheduled meeting of the relation's org
	activityObj // partylife: an activity published at the relation's node
	memberObj
	orgObj
	organizationObj
	courseObj    // a course at the relation's stairwell
	myCourseObj  // the course assigned to the member account (the same at every relation)
	candidateObj // a candidate of the pipeline at the relation's stairwell
	transferObj  // partymember: a transfer at the relation (party_member_test.go)
	// space: an org's online space (party_space_test.go)
	spaceOrgObj    // the relation's partylife org, whose space the route names
	spaceNoticeObj // a notice of that space
	spaceThreadObj // a thread of that space
	spacePostObj   // a thread of that space, fresh for the routes that consume it (hide)
	spaceFileObj   // a shared file of that space
)

// patternKinds names the kind of a pattern's {id} by the whole path, where the prefix up to
// {id} (objKinds) would name another: the space routes under /party/orgs/{id} name the org of
// the relation's space (party_space_test.go).
var patternKinds = map[string]objKind{}

// objKinds maps a pattern's prefix up to {id} to the kind of object it names. A pattern with
// a wildcard whose prefix is missing here fails the test: a new route must say what it names.
var objKinds = map[string]objKind{
	"/api/v1/territories/{id}":   territoryObj,
	"/api/v1/households/{id}":    householdObj,
	"/api/v1/residents/{id}":     residentObj,
	"/api/v1/corrections/{id}":   correctionObj,
	"/api/v1/conflicts/{id}":     conflictObj,
	"/api/v1/users/{id}":         userObj,
	"/api/v1/tokens/{id}":        tokenObj,
	"/api/v1/jobs/{id}":          jobObj,
	"/api/v1/party/members/{id}": memberObj,
	"/jobs/{id}":                 jobObj,
	"/territories/{id}":          territoryObj,
	"/households/{id}":           householdObj,
	"/residents/{id}":            residentObj,
	"/corrections/{id}":          correctionObj,
	"/conflicts/{id}":            conflictObj,
	"/static/{name}":             noObject,
	"/me/tokens/{id}":            tokenObj,
	"/users/{id}":                userObj,
	"/api/v1/party/orgs/{id}":    orgObj,
	"/party/orgs/{id}":           orgObj,

	"/api/v1/organizations/{id}": organizationObj,
	"/api/v1/me/teams/{id}":      organizationObj,
	"/organizations/{id}":        organizationObj,
	"/me/teams/{id}":             organizationObj,
	// partystudy
	"/api/v1/party/courses/{id}":     courseObj,
	"/api/v1/party/me/courses/{id}":  myCourseObj,
	"/api/v1/party/development/{id}": candidateObj,
	"/party/courses/{id}":            courseObj,
	"/party/study/{id}":              myCourseObj,
	"/party/development/{id}":        candidateObj,
}

// spec is how the matrix exercises one route: which object of the relation it names (fresh
// ones for routes that change or consume it), the query and body of a valid request, and how
// the relation bears on the decision.
type spec struct {
	// kind is what the route does, in the words of SECURITY.md: the oracle (oracle_test.go)
	// derives from it which roles may take the route.
	kind  routeKind
	fresh bool // the case gets a fresh object of the relation (the route changes or consumes it)
	// scoped: the request names an object of the relation (in the path, the query or the
	// body), so a caller whose scope does not reach it gets 404. Routes on the caller's own
	// account or the whole scope are not scoped.
	scoped bool
	query  func(w *world, rel relation) string
	body   func(w *world, rel relation, id int64) (contentType string, body []byte)
	// lenient: the route's valid request may still be refused on its merits (a duplicate, a
	// file the importer rejects); 400, 409 and 422 count as "allowed" (the handler ran).
	lenient bool
	// freshSession: the route ends the caller's session (logout); the case gets its own.
	freshSession bool
	// ref: the relation's object is named by a reference in the body or the query of a
	// create (the parent, household or scope of the new object), not addressed by the path; a
	// reference outside the caller's scope is refused as invalid input (422, naming the field,
	// with the same words as for an id that does not exist) rather than 404.
	ref bool
	// rootOnly: the route creates a new top of the tree (a district), which lies in no scoped
	// subtree: only an unscoped caller (system_admin) may, the rest get 403 from the store.
	rootOnly bool
	// container: the route's {id} is the node under which something is created (the
	// relation's container), not the relation's stairwell.
	container bool
	// subject: the route's {id} is the relation's resident account (linking accounts to
	// resident records applies to resident and member accounts only).
	subject bool
	// fixed: the route answers the same to everyone (not-found catch-alls, and the second
	// login step, which the case sends with an unknown challenge: a failed login, 401, whoever
	// asks).
	fixed decision
	// password: the route changes the caller's password (and so ends its sessions); the case
	// sends the current one and the matrix starts a new session afterwards.
	password bool
	// own: the route's {id} is an organization of the register, which a partner reaches only
	// when it is its own (relOwn's); any other is 404 to it.
	own bool
	// owned: the route's {id} is a job, which belongs to the account that started it: at
	// relOwn the caller's own, elsewhere a job started by the relation's account. Another
	// account's job is 404 unless the caller administers jobs (job.admin) and its scope reaches
	// the job.
	owned bool
	// node: the relation's object is its node, under which the route lists people: a unit
	// leader reaches the nodes of its unit's anchor (its territory), and the list holds its
	// unit's households there only (the list proof checks which).
	node bool
	// household: a ref'd object is reached through the caller's own household (a round of its
	// community), not its territory scope: a unit leader, scoped to its unit's anchor, proposes
	// in its community's round. Only objectReach bounds such a reference.
	household bool
	// path builds the whole path of a route whose wildcards name different objects (a public
	// photo under a community's code and a project's id), instead of one id for them all.
	path func(w *world, rel relation) string
}

func jsonBody(format string, args ...any) func(*world, relation, int64) (string, []byte) {
	return func(*world, relation, int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, format, args...)
	}
}

func formBody(v func(w *world, rel relation, id int64) url.Values) func(*world, relation, int64) (string, []byte) {
	return func(w *world, rel relation, id int64) (string, []byte) {
		return "application/x-www-form-urlencoded", []byte(v(w, rel, id).Encode())
	}
}

func underNode(w *world, rel relation) string {
	return "territory=" + strconv.FormatInt(w.targets[rel].node.ID, 10)
}

// specs is every route of both surfaces; the test fails for a route missing here.
var specs = map[string]spec{
	// JSON API
	"GET /api/v1/openapi.json": {kind: public},
	"POST /api/v1/auth/login": {kind: public, body: func(w *world, _ relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"username":%q,"password":%q}`, w.probe.Username, testPassword)
	}},
	"POST /api/v1/auth/logout":   {kind: loggedIn, freshSession: true},
	"POST /api/v1/auth/password": {kind: loggedIn, password: true},
	"GET /api/v1/tokens":         {kind: ownTokens},
	"POST /api/v1/tokens": {kind: ownTokens, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"name":"脚本%d","scope_id":"%d","expires_in_days":30}`, w.nextSeq(), w.targets[rel].node.ID)
	}},
	"DELETE /api/v1/tokens/{id}": {kind: ownTokens, fresh: true},
	"GET /api/v1/users":          {kind: accounts},
	"POST /api/v1/users": {kind: accounts, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"username":"new_%d","display_name":"新账号","password":%q,"role":"grid_leader","scope_id":"%d","totp_secret":%q}`,
			w.nextSeq(), testPassword, w.targets[rel].node.ID, authz.NewTOTPSecret())
	}},
	"PATCH /api/v1/users/{id}":           {kind: accounts, scoped: true, body: jsonBody(`{"display_name":"矩阵账号"}`)},
	"POST /api/v1/users/{id}/disable":    {kind: accounts, scoped: true},
	"POST /api/v1/users/{id}/enable":     {kind: accounts, scoped: true},
	"POST /api/v1/users/{id}/unlock":     {kind: accounts, scoped: true},
	"POST /api/v1/users/{id}/reset-totp": {kind: accounts, scoped: true},
	"PUT /api/v1/users/{id}/resident": {kind: accounts, scoped: true, subject: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"resident_id":"%d"}`, w.resident(w.targets[rel].household).ID)
	}},
	"GET /api/v1/auth/me":                   {kind: loggedIn},
	"GET /api/v1/territories":               {kind: treeRead, scoped: true, query: underNode},
	"POST /api/v1/territories":              {kind: treeWrite, scoped: true, ref: true, body: newTerritoryJSON},
	"GET /api/v1/territories/{id}":          {kind: treeRead, scoped: true},
	"PATCH /api/v1/territories/{id}":        {kind: treeWrite, scoped: true, fresh: true, body: jsonBody(`{"name":"改名后的节点"}`)},
	"POST /api/v1/territories/{id}/archive": {kind: treeWrite, scoped: true, fresh: true},
	"GET /api/v1/territories/{id}/children": {kind: treeRead, scoped: true},
	"GET /api/v1/territories/{id}/history":  {kind: treeRead, scoped: true},
	"GET /api/v1/households":                {kind: peopleRead, scoped: true, query: underNode, node: true},
	"POST /api/v1/households": {kind: peopleWrite, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"territory_id":"%d","address":"新增%d室"}`, w.targets[rel].node.ID, w.nextSeq())
	}},
	"GET /api/v1/households/{id}":           {kind: peopleRead, scoped: true},
	"PATCH /api/v1/households/{id}":         {kind: peopleWrite, scoped: true, fresh: true, body: jsonBody(`{"address":"改后地址101室"}`)},
	"POST /api/v1/households/{id}/move-out": {kind: peopleWrite, scoped: true, fresh: true, body: jsonBody(`{"date":"2026-11-01","note":"矩阵"}`)},
	"GET /api/v1/households/{id}/history":   {kind: peopleRead, scoped: true},
	"GET /api/v1/residents":                 {kind: peopleRead, scoped: true, query: underNode, node: true},
	"POST /api/v1/residents":                {kind: peopleWrite, scoped: true, ref: true, body: newResidentJSON},
	"GET /api/v1/residents/{id}":            {kind: peopleRead, scoped: true},
	"PATCH /api/v1/residents/{id}":          {kind: peopleWrite, scoped: true, fresh: true, body: jsonBody(`{"occupation":"教师"}`)},
	"DELETE /api/v1/residents/{id}":         {kind: peopleWrite, scoped: true, fresh: true},
	"GET /api/v1/me/data":                   {kind: subject},
	"GET /api/v1/me/data/export":            {kind: subject},
	"GET /api/v1/me/corrections":            {kind: subject},
	"POST /api/v1/me/corrections":           {kind: subject, lenient: true, body: jsonBody(`{"field":"address","value":"更正后的地址","reason":"矩阵测试"}`)},
	"GET /api/v1/corrections":               {kind: corrections},
	"POST /api/v1/corrections/{id}/accept":  {kind: corrections, scoped: true, fresh: true, body: jsonBody(`{"note":"同意"}`)},
	"POST /api/v1/corrections/{id}/reject":  {kind: corrections, scoped: true, fresh: true, body: jsonBody(`{"note":"不同意"}`)},
	"GET /api/v1/conflicts":                 {kind: conflicts},
	"GET /api/v1/conflicts/{id}":            {kind: conflicts, scoped: true},
	"POST /api/v1/conflicts/{id}/transfer":  {kind: conflicts, scoped: true, fresh: true, body: jsonBody(`{"note":"迁入"}`)},
	"POST /api/v1/conflicts/{id}/reject":    {kind: conflicts, scoped: true, fresh: true, body: jsonBody(`{"note":"驳回"}`)},
	"GET /api/v1/audit":                     {kind: audit},
	"POST /api/v1/audit/verify":             {kind: audit},
	"POST /api/v1/imports/households":       {kind: bulk, lenient: true, body: importBody},
	"POST /api/v1/imports/divisions":        {kind: treeWrite, lenient: true, rootOnly: true, body: jsonBody(`{"code":"0"}`)},
	"POST /api/v1/exports/households": {kind: bulk, scoped: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"territory_id":"%d"}`, w.targets[rel].node.ID)
	}},
	"GET /api/v1/jobs":              {kind: ownJobs},
	"GET /api/v1/jobs/{id}":         {kind: ownJobs, owned: true},
	"POST /api/v1/jobs/{id}/cancel": {kind: ownJobs, owned: true, fresh: true},
	"GET /api/v1/jobs/{id}/file":    {kind: ownJobs, owned: true},

	// partymember
	"GET /api/v1/party/members":    {kind: partyRead},
	"GET /api/v1/party/members/me": {kind: partySelf},
	"POST /api/v1/party/members": {kind: partyWrite, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"name":"新党员%d","org_id":"%d","status":"full","category":"retired"}`, w.nextSeq(), w.targets[rel].org)
	}},
	"GET /api/v1/party/members/{id}":          {kind: partyRead, scoped: true},
	"GET /api/v1/party/members/{id}/history":  {kind: partyRead, scoped: true},
	"PATCH /api/v1/party/members/{id}":        {kind: partyWrite, scoped: true, fresh: true, body: jsonBody(`{"workplace":"矩阵单位","education":"college"}`)},
	"POST /api/v1/party/members/{id}/convert": {kind: partyWrite, scoped: true, fresh: true, body: jsonBody(`{"full_on":"2021-06-01"}`)},

	"GET /api/v1/organizations": {kind: orgRead, scoped: true, query: underNode},
	"POST /api/v1/organizations": {kind: orgWrite, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"type":"social","name":"矩阵新组织%d","territory_id":"%d"}`, w.nextSeq(), w.targets[rel].node.ID)
	}},
	"GET /api/v1/organizations/{id}": {kind: orgRead, scoped: true, own: true},
	"PATCH /api/v1/organizations/{id}": {kind: orgWrite, scoped: true, fresh: true, body: func(w *world, _ relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"name":"矩阵改名%d"}`, w.nextSeq())
	}},
	"PATCH /api/v1/organizations/{id}/contact":   {kind: orgOwn, scoped: true, own: true, body: jsonBody(`{"contact_name":"矩阵联系人","offers":{"skills":"义务理发"}}`)},
	"POST /api/v1/organizations/{id}/report":     {kind: orgWrite, scoped: true, fresh: true, lenient: true, body: jsonBody(`{"reported_on":"2026-03-01"}`)},
	"POST /api/v1/organizations/{id}/deactivate": {kind: orgWrite, scoped: true, fresh: true, body: jsonBody(`{"reason":"矩阵停用"}`)},
	"POST /api/v1/organizations/{id}/reactivate": {kind: orgWrite, scoped: true, fresh: true, lenient: true, body: jsonBody(`{}`)},
	"GET /api/v1/organizations/{id}/history":     {kind: orgRead, scoped: true, own: true},
	"GET /api/v1/me/teams":                       {kind: subject},
	"POST /api/v1/me/teams/{id}/join":            {kind: subject, scoped: true, fresh: true},
	"POST /api/v1/me/teams/{id}/leave":           {kind: subject, scoped: true, lenient: true},
	"/api/":                                      {kind: public, fixed: notFound},

	// partyorg
	"GET /api/v1/party/orgs":                {kind: partyOrgRead, scoped: true, query: underNode},
	"POST /api/v1/party/orgs":               {kind: partyOrgWrite, scoped: true, ref: true, body: newOrgJSON},
	"GET /api/v1/party/orgs/{id}":           {kind: partyOrgRead, scoped: true},
	"PATCH /api/v1/party/orgs/{id}":         {kind: partyOrgWrite, scoped: true, fresh: true, body: jsonBody(`{"name":"改名后的党组织"}`)},
	"POST /api/v1/party/orgs/{id}/merge":    {kind: partyOrgWrite, scoped: true, fresh: true, body: mergeOrgJSON},
	"POST /api/v1/party/orgs/{id}/dissolve": {kind: partyOrgWrite, scoped: true, fresh: true, body: jsonBody(`{"reason":"矩阵"}`)},
	"GET /api/v1/party/orgs/{id}/history":   {kind: partyOrgRead, scoped: true},
	"GET /api/v1/party/orgs/{id}/posts":     {kind: partyOrgRead, scoped: true},
	"POST /api/v1/party/orgs/{id}/posts":    {kind: partyOrgWrite, scoped: true, fresh: true, body: jsonBody(`{"post":"secretary","holder_name":"李明","starts_on":"2026-01-01"}`)},
	"GET /api/v1/party/orgs/{id}/terms":     {kind: partyOrgRead, scoped: true},
	"POST /api/v1/party/orgs/{id}/terms":    {kind: partyOrgWrite, scoped: true, fresh: true, body: jsonBody(`{"starts_on":"2026-01-01","ends_on":"2029-01-01"}`)},
	// partystudy
	"GET /api/v1/party/courses":                     {kind: partyStudy},
	"POST /api/v1/party/courses":                    {kind: partyStudy, scoped: true, ref: true, body: newCourseJSON},
	"GET /api/v1/party/courses/{id}":                {kind: partyStudy, scoped: true},
	"PATCH /api/v1/party/courses/{id}":              {kind: partyStudy, scoped: true, fresh: true, body: jsonBody(`{"title":"改名的课程"}`)},
	"POST /api/v1/party/courses/{id}/lessons":       {kind: partyStudy, scoped: true, fresh: true, body: jsonBody(`{"title":"新课时","body":"正文"}`)},
	"POST /api/v1/party/courses/{id}/questions":     {kind: partyStudy, scoped: true, fresh: true, body: jsonBody(`{"text":"新题","options":[{"text":"对","correct":true},{"text":"错"}]}`)},
	"GET /api/v1/party/courses/{id}/assignments":    {kind: partyStudy, scoped: true},
	"POST /api/v1/party/courses/{id}/assignments":   {kind: partyStudy, scoped: true, fresh: true, body: assignJSON},
	"GET /api/v1/party/courses/{id}/progress":       {kind: partyStudy, scoped: true},
	"GET /api/v1/party/me/courses":                  {kind: partySelf},
	"GET /api/v1/party/me/courses/{id}":             {kind: partySelf},
	"POST /api/v1/party/me/courses/{id}/read":       {kind: partySelf, body: readLessonJSON},
	"POST /api/v1/party/me/courses/{id}/attempts":   {kind: partySelf, body: quizJSON},
	"GET /api/v1/party/development":                 {kind: partyDevelopment},
	"POST /api/v1/party/development":                {kind: partyDevelopment, scoped: true, ref: true, body: newCandidateJSON},
	"GET /api/v1/party/development/{id}":            {kind: partyDevelopment, scoped: true},
	"POST /api/v1/party/development/{id}/documents": {kind: partyDevelopment, scoped: true, fresh: true, body: jsonBody(`{"doc":"training_record","recorded_on":"2026-01-05"}`)},
	"POST /api/v1/party/development/{id}/advance":   {kind: partyDevelopment, scoped: true, fresh: true, body: jsonBody(`{"to":"activist","on":"2026-02-01"}`)},

	// Pages
	"GET /static/{name}": {kind: public},
	"GET /sw.js":         {kind: public},
	"GET /login":         {kind: public},
	"POST /login": {kind: public, body: formBody(func(w *world, _ relation, _ int64) url.Values {
		return url.Values{"username": {w.probe.Username}, "password": {testPassword}}
	})},
	"POST /login/otp": {kind: public, fixed: unauthorized, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"challenge": {"no-such-challenge"}, "otp": {"000000"}}
	})},
	"POST /logout":      {kind: loggedIn, freshSession: true},
	"GET /me/password":  {kind: loggedIn},
	"POST /me/password": {kind: loggedIn, password: true},
	"GET /me/tokens":    {kind: ownTokens},
	"POST /me/tokens": {kind: ownTokens, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"name": {fmt.Sprintf("脚本%d", w.nextSeq())}, "scope_id": {strconv.FormatInt(w.targets[rel].node.ID, 10)}, "expires_in_days": {"30"}}
	})},
	"POST /me/tokens/{id}/revoke": {kind: ownTokens, fresh: true},
	"GET /users":                  {kind: accounts},
	"POST /users": {kind: accounts, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"username": {fmt.Sprintf("new_%d", w.nextSeq())}, "display_name": {"新账号"}, "password": {testPassword},
			"role": {"grid_leader"}, "scope_id": {strconv.FormatInt(w.targets[rel].node.ID, 10)}}
	})},
	"GET /users/{id}": {kind: accounts, scoped: true},
	"POST /users/{id}": {kind: accounts, scoped: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"display_name": {"矩阵账号"}, "role": {"grid_leader"}, "scope_id": {strconv.FormatInt(w.targets[rel].node.ID, 10)}}
	})},
	"POST /users/{id}/{action}": {kind: accounts, scoped: true},
	"GET /{$}":                  {kind: loggedIn},
	"GET /services":             {kind: loggedIn},
	"GET /messages":             {kind: loggedIn},
	"GET /me":                   {kind: loggedIn},
	"GET /territories":          {kind: treeRead},
	"POST /territories": {kind: treeWrite, rootOnly: true, body: formBody(func(w *world, _ relation, _ int64) url.Values {
		return url.Values{"name": {fmt.Sprintf("新区%d", w.nextSeq())}}
	})},
	"GET /territories/{id}": {kind: treeRead, scoped: true},
	"POST /territories/{id}/children": {kind: treeWrite, scoped: true, container: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"kind": {string(w.targets[rel].childKind)}, "name": {fmt.Sprintf("新节点%d", w.nextSeq())}}
	})},
	"POST /territories/{id}/rename": {kind: treeWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"name": {"改名后的节点"}} })},
	"POST /territories/{id}/move": {kind: treeWrite, scoped: true, fresh: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"parent_id": {strconv.FormatInt(w.targets[rel].container.ID, 10)}}
	})},
	"GET /territories/{id}/archive":  {kind: treeWrite, scoped: true},
	"POST /territories/{id}/archive": {kind: treeWrite, scoped: true, fresh: true},
	"GET /households":                {kind: peopleRead, scoped: true, query: underNode, node: true},
	"GET /households/new":            {kind: peopleWrite},
	"POST /households/new": {kind: peopleWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"territory_id": {strconv.FormatInt(w.targets[rel].node.ID, 10)}, "address": {fmt.Sprintf("新增%d室", w.nextSeq())},
			"name": {"新户主"}, "id_number": {w.idNumber()}, "relation": {"户主"}, "political_status": {"masses"}}
	})},
	"GET /households/export.xlsx": {kind: bulk, scoped: true, query: underNode},
	"POST /households/export": {kind: bulk, scoped: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"territory": {strconv.FormatInt(w.targets[rel].node.ID, 10)}}
	})},
	"GET /households/{id}":      {kind: peopleRead, scoped: true},
	"GET /households/{id}/edit": {kind: peopleWrite, scoped: true},
	"POST /households/{id}/edit": {kind: peopleWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"address": {"改后地址101室"}, "elderly_alone": {"1"}}
	})},
	"GET /households/{id}/residents/new":  {kind: peopleWrite, scoped: true},
	"POST /households/{id}/residents/new": {kind: peopleWrite, scoped: true, body: formBody(residentForm)},
	"GET /households/{id}/move-out":       {kind: peopleWrite, scoped: true},
	"POST /households/{id}/move-out": {kind: peopleWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"date": {"2026-11-01"}, "confirm": {"1"}}
	})},
	"GET /residents":           {kind: peopleRead, scoped: true, query: underNode, node: true},
	"GET /residents/{id}/edit": {kind: peopleWrite, scoped: true},
	"POST /residents/{id}/edit": {kind: peopleWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"name": {"改名后的居民"}, "relation": {"其他"}, "political_status": {"masses"}, "occupation": {"教师"}}
	})},
	"GET /me/data":            {kind: subject},
	"GET /me/data/export":     {kind: subject},
	"GET /me/corrections/new": {kind: subject},
	"POST /me/corrections/new": {kind: subject, lenient: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"field": {"address"}, "value": {"更正后的地址"}, "reason": {"矩阵测试"}, "confirm": {"1"}}
	})},
	"GET /corrections":              {kind: corrections},
	"GET /corrections/{id}":         {kind: corrections, scoped: true},
	"POST /corrections/{id}/accept": {kind: corrections, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"note": {"同意"}} })},
	"POST /corrections/{id}/reject": {kind: corrections, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"note": {"不同意"}} })},
	"GET /conflicts":                {kind: conflicts},
	"GET /conflicts/{id}":           {kind: conflicts, scoped: true},
	"POST /conflicts/{id}/transfer": {kind: conflicts, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"note": {"迁入"}} })},
	"POST /conflicts/{id}/reject":   {kind: conflicts, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"note": {"驳回"}} })},
	"GET /import":                   {kind: bulk},
	"POST /import":                  {kind: bulk, lenient: true, body: importBody},
	"GET /import/template.xlsx":     {kind: bulk},
	"GET /audit":                    {kind: audit},
	"POST /audit/verify":            {kind: audit},
	"GET /jobs":                     {kind: ownJobs},
	"GET /jobs/{id}":                {kind: ownJobs, owned: true},
	"POST /jobs/{id}/cancel":        {kind: ownJobs, owned: true, fresh: true},
	"GET /jobs/{id}/file":           {kind: ownJobs, owned: true},

	// partyorg
	"GET /party/orgs":      {kind: partyOrgRead},
	"GET /party/orgs/{id}": {kind: partyOrgRead, scoped: true},
	"POST /party/orgs/{id}/rename": {kind: partyOrgWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"name": {"改名后的党组织"}}
	})},
	"POST /party/orgs/{id}/merge": {kind: partyOrgWrite, scoped: true, fresh: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"into_id": {strconv.FormatInt(w.freshOrg(rel).ID, 10)}}
	})},
	"POST /party/orgs/{id}/dissolve": {kind: partyOrgWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"reason": {"矩阵"}}
	})},
	"POST /party/orgs/{id}/terms": {kind: partyOrgWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"starts_on": {"2026-01-01"}, "ends_on": {"2029-01-01"}}
	})},
	"POST /party/orgs/{id}/posts": {kind: partyOrgWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"post": {"secretary"}, "holder": {"outside"}, "holder_name": {"李明"}, "starts_on": {"2026-01-01"}}
	})},
	"GET /party/generate": {kind: partyOrgWrite, scoped: true, query: func(w *world, rel relation) string {
		return "generator=branches&community=" + strconv.FormatInt(w.communityOf(rel).ID, 10)
	}},
	// The world's grids all have branches already: an allowed confirm finds nothing left (409),
	// an undo without a batch is refused (409); out of scope, the community is 404.
	"POST /party/generate": {kind: partyOrgWrite, scoped: true, lenient: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"community": {strconv.FormatInt(w.communityOf(rel).ID, 10)}, "generator": {"branches"}}
	})},
	"POST /party/generate/undo": {kind: partyOrgWrite, scoped: true, lenient: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"community": {strconv.FormatInt(w.communityOf(rel).ID, 10)}, "batch": {"0"}}
	})},
	"GET /organizations":     {kind: orgRead},
	"GET /organizations/new": {kind: orgWrite},
	"POST /organizations/new": {kind: orgWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"type": {"social"}, "name": {fmt.Sprintf("矩阵新组织%d", w.nextSeq())}, "territory_id": {strconv.FormatInt(w.targets[rel].node.ID, 10)}, "coverage": {"none"}}
	})},
	"GET /organizations/mine":      {kind: orgOwn},
	"POST /organizations/mine":     {kind: orgOwn, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"contact_name": {"矩阵联系人"}} })},
	"GET /organizations/{id}":      {kind: orgRead, scoped: true, own: true},
	"GET /organizations/{id}/edit": {kind: orgWrite, scoped: true},
	"POST /organizations/{id}/edit": {kind: orgWrite, scoped: true, fresh: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"type": {"volunteer_team"}, "name": {fmt.Sprintf("矩阵改名%d", w.nextSeq())}, "territory_id": {strconv.FormatInt(w.targets[rel].node.ID, 10)}, "coverage": {"none"}, "joinable": {"1"}}
	})},
	"POST /organizations/{id}/report":     {kind: orgWrite, scoped: true, fresh: true, lenient: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"reported_on": {"2026-03-01"}} })},
	"POST /organizations/{id}/deactivate": {kind: orgWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"reason": {"矩阵停用"}} })},
	"POST /organizations/{id}/reactivate": {kind: orgWrite, scoped: true, fresh: true, lenient: true},
	"GET /me/teams":                       {kind: subject},
	"POST /me/teams/{id}/join":            {kind: subject, scoped: true, fresh: true},
	"POST /me/teams/{id}/leave":           {kind: subject, scoped: true, lenient: true},
	"/":                                   {kind: public, fixed: notFound},

	// partystudy
	"GET /party/courses":      {kind: partyStudy},
	"GET /party/courses/new":  {kind: partyStudy},
	"POST /party/courses/new": {kind: partyStudy, scoped: true, ref: true, body: formBody(newCourseForm)},
	"GET /party/courses/{id}": {kind: partyStudy, scoped: true},
	"POST /party/courses/{id}/lessons": {kind: partyStudy, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"title": {"新课时"}, "body": {"正文"}}
	})},
	"POST /party/courses/{id}/questions": {kind: partyStudy, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"text": {"新题"}, "options": {"*对\n错"}}
	})},
	"POST /party/courses/{id}/assign": {kind: partyStudy, scoped: true, fresh: true, body: formBody(assignForm)},
	"GET /party/study":                {kind: partySelf},
	"GET /party/study/{id}":           {kind: partySelf},
	"POST /party/study/{id}/read":     {kind: partySelf, body: formBody(readLessonForm)},
	"POST /party/study/{id}/quiz":     {kind: partySelf, body: formBody(quizForm)},
	"GET /party/development":          {kind: partyDevelopment},
	"GET /party/development/new":      {kind: partyDevelopment},
	"POST /party/development/new":     {kind: partyDevelopment, scoped: true, ref: true, body: formBody(newCandidateForm)},
	"GET /party/development/{id}":     {kind: partyDevelopment, scoped: true},
	"POST /party/development/{id}/documents": {kind: partyDevelopment, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"doc": {"training_record"}, "recorded_on": {"2026-01-05"}}
	})},
	"POST /party/development/{id}/advance": {kind: partyDevelopment, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"to": {"activist"}, "on": {"2026-02-01"}}
	})},
}

// passwordBody is a change of password from old to next, as JSON or as the form.
func passwordBody(isAPI bool, old, next string) (string, io.Reader) {
	if isAPI {
		return "application/json", strings.NewReader(fmt.Sprintf(`{"old_password":%q,"password":%q}`, old, next))
	}
	return "application/x-www-form-urlencoded", strings.NewReader(url.Values{"old_password": {old}, "password": {next}}.Encode())
}

func newTerritoryJSON(w *world, rel relation, _ int64) (string, []byte) {
	t := w.targets[rel]
	return "application/json", fmt.Appendf(nil, `{"parent_id":"%d","kind":%q,"name":"新节点%d"}`, t.container.ID, t.childKind, w.nextSeq())
}

func newResidentJSON(w *world, rel relation, _ int64) (string, []byte) {
	return "application/json", fmt.Appendf(nil, `{"household_id":"%d","name":"新居民","id_number":%q,"relation":"其他"}`,
		w.targets[rel].household.ID, w.idNumber())
}

func residentForm(w *world, _ relation, _ int64) url.Values {
	return url.Values{"name": {"新居民"}, "id_number": {w.idNumber()}, "relation": {"其他"}, "political_status": {"masses"}}
}

func importBody(w *world, _ relation, _ int64) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("file", "households.csv")
	_, _ = io.WriteString(fw, "地址,姓名\n")
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// fresh creates a new object of kind at relation rel, so that a case that changes or consumes
// it leaves the fixture of the next case as it was.
func (w *world) fresh(kind objKind, rel relation, role model.Role) int64 {
	w.tb.Helper()
	t := w.targets[rel]
	switch kind {
	case tokenObj:
		_, tok, err := w.st.CreateAPIToken(context.Background(), w.users[role], fmt.Sprintf("临时%d", w.nextSeq()), 0, 30)
		if err != nil {
			w.tb.Fatalf("token for %s: %v", role, err)
		}
		return tok.ID
	case territoryObj:
		return w.node(t.container, t.childKind, fmt.Sprintf("临时%d", w.nextSeq())).ID
	case householdObj:
		return w.household(t.node).ID
	case residentObj:
		return w.resident(t.household).ID
	case correctionObj:
		return w.correction(rel).ID
	case conflictObj:
		return w.conflict(rel, true)
	case jobObj:
		return w.job(role, rel, true)
	case meetingObj:
		return w.lifeMeeting(rel)
	case activityObj:
		return w.lifeActivity(rel)
	case memberObj:
		return w.member(rel, "probationary")
	case orgObj:
		return w.freshOrg(rel).ID
	case organizationObj:
		return w.organization(rel).ID
	case courseObj:
		return w.studyCourse(rel, true)
	case candidateObj:
		return w.candidate(rel, true)
	case transferObj:
		return w.freshTransfer(rel)
	case batchObj:
		return w.generatorRun(rel)
	case spaceNoticeObj, spaceThreadObj, spacePostObj, spaceFileObj:
		return w.freshSpace(kind, rel)
	case transferKeyObj:
		return w.freshTransferKey()
	case unitObj, proposalObj, confirmProposalObj:
		return w.freshUnitObject(kind, rel)
	case actCaseObj:
		return w.unitActObject(kind, rel)
	case dutyExemptionObj, dutySwapObj, dutyFeedTokenObj, notificationObj:
		return w.freshDuty(kind, rel, role)
	case elCloseObj:
		return w.electionObject(kind, rel)
	case orderPageObj:
		return w.orderPageObject(rel, true)
	case orderOpenObj, orderPlacedObj:
		return w.orderObject(kind, rel)
	case lsNeedFreshObj, lsResourceFreshObj, lsProposedObj, lsApprovedObj:
		return w.listsObject(kind, rel)
	case voteFreshObj, voteFreshOpenObj:
		return w.freshVote(kind, rel, role)
	case noticeFreshObj:
		return w.noticeObject(kind, rel)
	case topicFreshObj, topicHiddenObj, topicReplyFreshObj, topicReplyHiddenObj:
		return w.topicObject(kind, rel)
	case surveyFreshObj:
		return w.surveyObject(kind, rel)
	case roundFreshObj, projectFreshObj, projectWonObj:
		return w.budgetObject(kind, rel)
	case burdenTaskReceivedObj, burdenTaskPendingObj, burdenTaskAcceptedObj:
		return w.burdenObject(kind, rel)
	case workerObj, workerFreshObj:
		return w.workersObject(workerFreshObj, rel)
	case visitOpenObj:
		return w.workersObject(kind, rel)
	case bookingObj, bookingSoonObj:
		return w.centreObject(kind, rel, role)
	case fundFreshObj, fundDecideObj: // funds (issue 12)
		return w.fundFresh(kind, rel, role)
	case contractFreshObj, contractRatedObj: // contracts (issue 12)
		return w.contractObject(kind, rel)
	}
	w.tb.Fatalf("no fresh object of kind %d", kind)
	return 0
}

// object is the standing object of kind at relation rel.
func (w *world) object(kind objKind, rel relation) int64 {
	t := w.targets[rel]
	switch kind {
	case territoryObj:
		return t.node.ID
	case householdObj:
		return t.household.ID
	case residentObj:
		return t.resident.ID
	case correctionObj:
		return t.probe.ID
	case conflictObj:
		return w.conflict(rel, false)
	case userObj:
		return t.account.ID
	case meetingObj:
		return w.life[rel].meeting
	case activityObj:
		return w.life[rel].activity
	case memberObj:
		return t.member
	case orgObj:
		return t.porg.ID
	case organizationObj:
		return t.organization.ID
	case courseObj:
		return w.studyCourse(rel, false)
	case myCourseObj:
		return w.myCourse()
	case candidateObj:
		return w.candidate(rel, false)
	case transferObj:
		return w.standingTransfer(rel)
	case batchObj:
		return w.standingRun(rel)
	case spaceOrgObj, spaceNoticeObj, spaceThreadObj, spacePostObj, spaceFileObj:
		return w.spaceObjectOf(kind, rel)
	case unitObj, proposalObj, confirmProposalObj:
		return w.unitObject(kind, rel)
	case actUnitObj, actRecordObj, actCaseObj:
		return w.unitActObject(kind, rel)
	case dutyUnitObj, dutyHouseholdObj, dutyCommunityObj:
		return w.dutyObject(kind, rel)
	case elUnitObj, elElectionObj, elCloseObj:
		return w.electionObject(kind, rel)
	case tbTakerObj:
		return w.timebankTaker(rel)
	case orderPageObj:
		return w.orderPageObject(rel, false)
	case orderObj, orderCategoryObj:
		return w.orderObject(kind, rel)
	case lsNeedObj, lsResourceObj, lsProjectObj:
		return w.listsObject(kind, rel)
	case voteOpenObj, voteClosedObj:
		return w.voteObject(kind, rel)
	case noticeObj, disclosureObj:
		return w.noticeObject(kind, rel)
	case topicObj, topicFreshObj, topicReplyFreshObj:
		return w.topicObject(kind, rel)
	case surveyOpenObj, surveyClosedObj:
		return w.surveyObject(kind, rel)
	case roundObj, projectObj, projectPhotoObj:
		return w.budgetObject(kind, rel)
	case burdenDeptObj, burdenDutyObj, burdenTaskObj:
		return w.burdenObject(kind, rel)
	case standardItemObj, standardCommunityObj:
		return w.standardObject(kind, rel)
	case workerObj, visitObj:
		return w.workersObject(kind, rel)
	case bodyTermObj:
		return w.bodyTerm(rel)
	case centreObj:
		return w.centreObject(kind, rel, "")
	case fundRequestObj, fundCategoryObj: // funds (issue 12)
		return w.fundObject(kind, rel)
	case contractObj: // contracts (issue 12)
		return w.contractObject(kind, rel)
	}
	return 0
}

var wildcard = regexp.MustCompile(`\{[^}]+\}`)

// route splits a ServeMux pattern into method ("" for any), path, and the kind its wildcard
// names; ok is false for a wildcard prefix missing from objKinds.
func route(pattern string) (method, path string, kind objKind, ok bool) {
	method, path, found := strings.Cut(pattern, " ")
	if !found {
		method, path = "", pattern
	}
	path = strings.TrimSuffix(path, "{$}")
	path = strings.ReplaceAll(path, "{action}", "unlock") // POST /users/{id}/{action}: one harmless action stands for all
	path = strings.ReplaceAll(path, "{n}", "1")           // a record's photo: the first
	loc := wildcard.FindStringIndex(path)
	if loc == nil {
		return method, path, noObject, true
	}
	if kind, ok = patternKinds[path]; ok {
		return method, path, kind, true
	}
	kind, ok = objKinds[path[:loc[1]]]
	return method, path, kind, ok
}

// expected is the decision the oracle calls for: the role may take the route's kind (may), and
// the object's relation lies within the role's reach.
func (w *world) expected(sp spec, role model.Role, rel relation) decision {
	switch {
	case sp.fixed != "":
		return sp.fixed
	case sp.kind == public:
		return allow
	case rel == relAnon:
		return unauthorized
	case !may(role, sp.kind):
		return forbidden
	case orderKind(sp.kind):
		return w.orderExpected(sp, role, rel)
	case sp.rootOnly && !unscoped(role):
		return forbidden
	case sp.owned && rel != relOwn && (!administrator(role) || rel > w.reach(role)):
		return notFound
	case sp.scoped && sp.query != nil && role == model.RoleMember && sp.kind == lifeRead && w.targets[rel].node.ID == w.targets[relOwn].node.ID:
		return allow // a secretary narrows to the node of the group it manages, whichever relation names that node
	case sp.scoped && rel > w.objectReach(sp, role) && sp.ref:
		return invalidRef
	case sp.own && partnerOwnOnly(role) && rel != relOwn:
		return notFound
	case sp.scoped && rel > w.reach(role) && sp.ref && !sp.household:
		return invalidRef
	case sp.scoped && rel > w.objectReach(sp, role):
		return notFound
	}
	return allow
}

// objectReach is the farthest relation of the route's object the role reaches.
func (w *world) objectReach(sp spec, role model.Role) relation {
	if sp.node {
		return w.reach(role)
	}
	return w.partyReach(role, sp.kind)
}

// actual classifies a response: the pages send a caller without a session to the login page.
// streaming reports whether resp is a stream that stays open (Server-Sent Events): its status
// and headers decide the case, and its body is not read (it would never end).
func streaming(resp *http.Response) bool {
	return strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")
}

func actual(resp *http.Response, sp spec, isAPI, anon bool) decision {
	switch c := resp.StatusCode; {
	case c == http.StatusUnauthorized:
		return unauthorized
	case !isAPI && c == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login") && (anon || !sp.freshSession && !sp.password):
		return unauthorized
	case c == http.StatusForbidden:
		return forbidden
	case c == http.StatusNotFound:
		return notFound
	case c >= 500:
		return serverError // never accepted: no spec expects it
	case c >= 200 && c < 400:
		return allow
	case sp.lenient && (c == http.StatusBadRequest || c == http.StatusConflict || c == http.StatusUnprocessableEntity):
		return allow
	case c == http.StatusUnprocessableEntity:
		return invalidRef
	}
	return decision(strconv.Itoa(resp.StatusCode))
}

var errorSummary = regexp.MustCompile(`(?s)"detail":"[^"]*"|"errors":\[[^\]]*\]|<a href="#[a-z_]+">[^<]+|<p class="error-summary-message"[^>]*>[^<]+|class="field-error[^>]*>[^<]*`)

// errorText is the error message of a response body, for the mismatch report.
func errorText(b []byte) string {
	m := errorSummary.FindAll(b, 3)
	if m == nil {
		return ""
	}
	return " — " + string(bytes.Join(m, []byte(" | ")))
}

// staticName finds a content-hashed static file name in the login page.
func (w *world) staticName() string {
	resp := w.do("", "GET", "/login", "", nil)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`/static/([^"?#]+)`).FindSubmatch(b)
	if m == nil {
		w.tb.Fatal("no /static/ link on the login page")
	}
	return string(m[1])
}

// surfaceRoutes are the route tables of both surfaces, as the server mounts them.
func surfaceRoutes(tb testing.TB, st *store.Store) (apiRoutes, pageRoutes []authz.Route) {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pages, err := web.New(st, log, web.Options{})
	if err != nil {
		tb.Fatalf("web.New: %v", err)
	}
	return api.New(st, log, 1<<20, false).Routes(), pages.Routes()
}

// matrixCase is one request of the matrix: a route as a role on an object at a relation.
type matrixCase struct {
	sp           spec
	isAPI        bool
	method, path string
	kind         objKind
	role         model.Role
	rel          relation
	static       string
	want         decision
	deniedWrite  bool // the oracle refuses a state-changing request: the journal must not move
}

// matrixTally counts the cases of a run.
type matrixTally struct {
	mu                                         sync.Mutex
	cases, mismatches, deniedWrites, unchanged int
	serverErrors                               int
	report                                     []string
}

func (m *matrixTally) add(line string, mismatch, deniedWrite, unchanged, serverError bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cases++
	if mismatch {
		m.mismatches++
		m.report = append(m.report, line)
	}
	if deniedWrite {
		m.deniedWrites++
	}
	if unchanged {
		m.unchanged++
	}
	if serverError {
		m.serverErrors++
	}
}

// serialRoute: a route whose cases cannot run beside others. Logout and a password change end
// the role's sessions that the other cases use; accepting or rejecting a correction consumes
// the relation's one open request.
func serialRoute(sp spec, kind objKind) bool {
	return sp.freshSession || sp.password || kind == correctionObj && sp.fresh
}

// runMatrix runs every route of the API and the pages, as every role, on an object at every
// territory relation (and without a session), through the real server, and compares the answer
// with the decision of the oracle. A 500 is never accepted. Every state-changing request the
// oracle refuses runs alone (the gate) between two reads of the journal, which must not have
// moved: a denied write changes nothing. Routes run as parallel subtests; the few that end
// sessions or consume the relation's correction request run one after another at the end.
func runMatrix(t *testing.T, w *world) {
	apiRoutes, pageRoutes := surfaceRoutes(t, w.st)
	static := w.with(t).staticName()
	tally := &matrixTally{}
	type routeRun struct {
		rt    authz.Route
		isAPI bool
	}
	var parallel, serial []routeRun
	for _, surface := range []struct {
		isAPI  bool
		routes []authz.Route
	}{{true, apiRoutes}, {false, pageRoutes}} {
		for _, rt := range surface.routes {
			sp, ok := specs[rt.Pattern]
			if !ok {
				t.Errorf("route %q has no matrix spec: add it to specs in matrix_test.go", rt.Pattern)
				continue
			}
			if sp.kind == kindUnset {
				t.Errorf("route %q: its spec names no kind (what the route does, for the oracle)", rt.Pattern)
				continue
			}
			_, _, kind, ok := route(rt.Pattern)
			if !ok {
				t.Errorf("route %q: its wildcard prefix is not in objKinds", rt.Pattern)
				continue
			}
			if serialRoute(sp, kind) {
				serial = append(serial, routeRun{rt, surface.isAPI})
			} else {
				parallel = append(parallel, routeRun{rt, surface.isAPI})
			}
		}
	}
	t.Run("parallel", func(t *testing.T) {
		for _, r := range parallel {
			t.Run(r.rt.Pattern, func(t *testing.T) {
				t.Parallel()
				w.with(t).matrixRoute(r.rt, r.isAPI, static, tally)
			})
		}
	})
	t.Run("serial", func(t *testing.T) {
		for _, r := range serial {
			t.Run(r.rt.Pattern, func(t *testing.T) { w.with(t).matrixRoute(r.rt, r.isAPI, static, tally) })
		}
	})
	sort.Strings(tally.report)
	for _, line := range tally.report {
		t.Error(line)
	}
	refused := "a role the route's kind refuses on one relation of each route, in turn"
	if matrixFull {
		refused = "every role on every relation"
	}
	msg := fmt.Sprintf("authorization matrix (%s): %d routes × %d roles × %d relations (+ anonymous; %s) = %d cases, %d mismatches (%d answered 5xx); %d denied writes, %d of them with the database unchanged",
		w.engine, len(apiRoutes)+len(pageRoutes), len(model.Roles), len(placed), refused, tally.cases, tally.mismatches, tally.serverErrors, tally.deniedWrites, tally.unchanged)
	t.Log(msg)
	if testing.Verbose() {
		fmt.Println(msg)
	}
}

// matrixFull runs every relation of a role the route's kind refuses (GONGZHI_MATRIX_FULL=1);
// by default such a role is tried on one relation of the route (matrixRelation).
var matrixFull = os.Getenv("GONGZHI_MATRIX_FULL") == "1"

// matrixRelation is the one relation on which a role the route's kind refuses is tried: the
// oracle's answer for it is 403 whatever the object (the policy guard decides on the role
// before a handler reads anything), so the seven relations would send seven requests with one
// answer. The relation turns with the route and the role, so that across the routes every role
// is refused on every relation.
func matrixRelation(pattern string, role model.Role) relation {
	h := fnv.New32a()
	_, _ = io.WriteString(h, pattern)
	return placed[(int(h.Sum32()%uint32(len(placed)))+slices.Index(model.Roles, role))%len(placed)]
}

// matrixRoute runs the cases of one route.
func (w *world) matrixRoute(rt authz.Route, isAPI bool, static string, tally *matrixTally) {
	sp := specs[rt.Pattern]
	method, path, kind, _ := route(rt.Pattern)
	if method == "" {
		method, path = "GET", path+"no-such-page"
	}
	for _, role := range model.Roles {
		refused := sp.fixed == "" && sp.kind != public && !may(role, sp.kind)
		for _, rel := range append(placed[:len(placed):len(placed)], relAnon) {
			if rel == relAnon && role != model.Roles[0] {
				continue // one anonymous caller per route and relation is enough
			}
			if refused && rel != relAnon && !matrixFull && rel != matrixRelation(rt.Pattern, role) {
				continue
			}
			w.matrixCase(matrixCase{sp: sp, isAPI: isAPI, method: method, path: path, kind: kind, role: role, rel: rel, static: static}, tally)
		}
	}
}

func (w *world) matrixCase(c matrixCase, tally *matrixTally) {
	sp, role, rel := c.sp, c.role, c.rel
	objRel := rel
	if rel == relAnon {
		objRel = relOwn
	}
	c.want = w.expected(sp, role, rel)
	c.deniedWrite = c.method != http.MethodGet && c.method != http.MethodHead && c.want != allow
	// Preparing the case writes (fresh objects, bodies that make a resident): under the shared
	// gate, so never between the two reads of a denied write's journal.
	w.gate.RLock()
	held := "shared"
	defer func() { // also when a helper fails the test half-way
		switch held {
		case "shared":
			w.gate.RUnlock()
		case "exclusive":
			w.gate.Unlock()
		}
	}()
	p := c.path
	var objID int64 // the object the path names, handed to the body (0: none)
	if c.kind != noObject {
		id := w.object(c.kind, objRel)
		if sp.subject {
			id = w.targets[objRel].subject.ID
		}
		if sp.container {
			id = w.targets[objRel].container.ID
		}
		if c.kind == jobObj {
			id = w.job(role, objRel, false)
		}
		if sp.fresh {
			id = w.fresh(c.kind, objRel, role)
		}
		objID = id
		p = wildcard.ReplaceAllString(c.path, strconv.FormatInt(id, 10))
	} else {
		p = strings.ReplaceAll(p, "{name}", c.static)
	}
	if sp.path != nil {
		p = sp.path(w, objRel)
	}
	if sp.query != nil {
		p += "?" + sp.query(w, objRel)
	}
	var ct string
	var body io.Reader
	if sp.body != nil {
		var b []byte
		ct, b = sp.body(w, objRel, objID)
		body = bytes.NewReader(b)
	}
	token := ""
	if rel != relAnon {
		token = w.token(role)
		if sp.freshSession {
			token = w.session(w.users[role])
		}
	}
	next := ""
	if sp.password {
		next = fmt.Sprintf("Matrix-Proof-Passphrase-%d", w.nextSeq())
		ct, body = passwordBody(c.isAPI, w.password(role), next)
	}
	// A denied write runs alone, between two reads of the journal.
	var mark int64
	if c.deniedWrite {
		w.gate.RUnlock()
		held = ""
		w.gate.Lock()
		held = "exclusive"
		mark = w.journal.mark(w.tb)
	}
	resp := w.do(token, c.method, p, ct, body)
	var respBody []byte
	if !streaming(resp) {
		respBody, _ = io.ReadAll(resp.Body)
	}
	resp.Body.Close()
	changed := ""
	if c.deniedWrite {
		changed = w.journal.since(w.tb, mark)
		w.gate.Unlock()
	} else {
		w.gate.RUnlock()
	}
	held = ""
	if sp.freshSession && rel != relAnon {
		// Logging out may end every session of the account.
		w.setToken(role, w.session(w.users[role]))
	}
	if sp.password && rel != relAnon && resp.StatusCode < 400 {
		// The change ended the role's sessions: start the next one.
		w.setPassword(role, next)
		w.setToken(role, w.session(w.users[role]))
	}
	who := string(role)
	if rel == relAnon {
		who = "anonymous"
	}
	got := actual(resp, sp, c.isAPI, rel == relAnon)
	var lines []string
	if got != c.want {
		lines = append(lines, fmt.Sprintf("%s %s as %s on %s: got %s (HTTP %d), want %s%s",
			c.method, p, who, objRel, got, resp.StatusCode, c.want, errorText(respBody)))
	}
	if changed != "" {
		lines = append(lines, fmt.Sprintf("%s %s as %s on %s: denied (%s, HTTP %d) but the database changed: %s",
			c.method, p, who, objRel, c.want, resp.StatusCode, changed))
	}
	tally.add(strings.Join(lines, "\n"), len(lines) > 0, c.deniedWrite, c.deniedWrite && changed == "", got == serverError)
}
