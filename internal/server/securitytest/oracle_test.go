package securitytest_test

import "gongzhi/internal/model"

// The oracle of the matrix: what each role may do, written from the role descriptions in
// SECURITY.md (the threat model, "Policy table", "Separation of duties") and API.md, not from
// authz.Allowed or the policy table the guard uses. Each route's spec says what kind of route it
// is; the oracle says which roles may take that kind; the spec's territory flags say how the
// relation of the object bears on it. If the code's table and this one disagree, the matrix
// fails, and one of the two is wrong.

// routeKind is what a route does, in the words of SECURITY.md.
type routeKind int

const (
	kindUnset        routeKind = iota // a spec that forgot its kind: the matrix fails
	public                            // the login pages, static files, the OpenAPI document, not-found: anyone, logged in or not
	loggedIn                          // the home page, one's own profile, logout, one's own password: any account
	ownTokens                         // one's own API tokens (session only): any account
	ownJobs                           // one's own background jobs: any account; administrators also follow others' in their subtree
	treeRead                          // see the territory tree of one's scope: any account
	treeWrite                         // add, rename, move, archive nodes: administrators
	peopleRead                        // read households and residents: staff, grid leaders, unit leaders
	peopleWrite                       // add and change households and residents: staff and grid leaders
	bulk                              // import and export households: staff (community staff and administrators)
	accounts                          // manage accounts: administrators
	subject                           // a data subject's own data and correction requests: members and residents
	corrections                       // handle residents' correction requests: staff and grid leaders
	audit                             // search the audit log: the system admin and auditors
	conflicts                         // resolve an ID number registered twice (登记冲突): staff whose scope holds both sides
	lifeRead                          // partylife: read meetings, attendance, compliance: staff and grid leaders by territory; a member those of the orgs it is secretary of
	lifeWrite                         // partylife: schedule meetings, tick attendance, minutes, the QR code: staff by territory; a member as secretary (by post) of the meeting's org
	activityRead                      // partylife: see Party–resident activities: everyone who lives or works in the area (not partners, not auditors)
	activityJoin                      // partylife: sign up for an activity: unit leaders, members, residents
	pointsRead                        // partylife: leaderboards and public profiles: staff, grid leaders, members
	partySelf                         // partylife: a member's own party data and QR check-in: members
	partyRead                         // read party members: staff and grid leaders by territory; a member its own record and the orgs it is secretary of
	partyWrite                        // add and change party members: staff by territory; a member as secretary (by post) of the member's org
	partyOrgRead                      // see the Party org chart, posts, terms and history of one's scope: staff and grid leaders
	partyOrgWrite                     // create, rename, merge, dissolve Party orgs, posts, re-elections, the generators: staff
	orgRead                           // read the register of organizations: staff, grid leaders, and a partner its own organization
	orgWrite                          // register, change, report, deactivate organizations: staff
	orgOwn                            // a partner updates its own organization's offers and contact: partners
	partyStudy                        // partystudy: courses, quizzes, assignments and completion (先进性教育): staff
	partyDevelopment                  // partystudy: the development pipeline (发展党员): staff
	duesRead                          // partydues: dues and arrears (党费, sensitive): staff by territory, a member its own account and as secretary (by post) its org's; never grid leaders
	duesWrite                         // partydues: declare incomes, record payments (also on a member's behalf): staff by territory, a member as secretary (by post) of the member's org
	pointsWrite                       // points: the rules of a community, a member's ledger and its corrections: staff
	pointsProfile                     // points: a member's public profile (亮身份): staff and grid leaders by territory; a member those of its own branch
	partyAnalytics                    // analytics: the composition of the members of an org or subtree (counts, no names): staff
	activityWrite                     // partylife: publish Party–resident activities and show their QR code: staff
	spaceRead                         // space: read an org's online space (notices, discussion, files): staff by territory; a member those of the orgs it belongs to or holds a post in
	spaceWrite                        // space: open threads, reply, share files: as spaceRead
	spaceModerate                     // space: publish notices, hide posts, withdraw files: staff by territory; a member as secretary (by post) of the org
	unitRead                          // units: read joint-building units, their households and history: staff and grid leaders by territory, unit leaders (their unit)
	unitWrite                         // units: propose, adjust, confirm units; move, add, merge, split, dissolve: staff
)

var kindNames = [...]string{"unset", "public", "logged in", "own tokens", "own jobs", "tree read", "tree write",
	"people read", "people write", "bulk", "accounts", "subject", "corrections", "audit", "conflicts",
	"life read", "life write", "activity read", "activity join", "points read", "party self",
	"party read", "party write", "party org read", "party org write", "organization read", "organization write", "organization own",
	"party study", "party development", "dues read", "dues write", "points write", "points profile", "party analytics", "activity write",
	"space read", "space write", "space moderate", "unit read", "unit write"}

func (k routeKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return extraKindNames[k]
}

// extraMay and extraKindNames let an area's file add route kinds of its own (numbered from
// 2000, unit_activity_test.go): each function answers (may, known) for the kinds it knows.
var (
	extraMay       []func(r model.Role, k routeKind) (bool, bool)
	extraKindNames = map[routeKind]string{}
	// extraReach answers (the farthest relation of a route's object the role reaches, known)
	// for an area whose objects are reached otherwise than by territory (order_page_test.go).
	extraReach []func(w *world, r model.Role, k routeKind) (relation, bool)
)

// The role groups of SECURITY.md, spelled out role by role.

// administrator: the system admin and the district, street and community admins manage the tree
// and the accounts of their subtree.
func administrator(r model.Role) bool {
	switch r {
	case model.RoleSystemAdmin, model.RoleDistrictAdmin, model.RoleStreetAdmin, model.RoleCommunityAdmin:
		return true
	}
	return false
}

// staff: the administrators and the community staff do the office work (imports, exports).
func staffRole(r model.Role) bool { return administrator(r) || r == model.RoleCommunityStaff }

// fieldWorker: staff and grid leaders work with households by name, change them, handle
// correction requests and see personal fields in full.
func fieldWorker(r model.Role) bool { return staffRole(r) || r == model.RoleGridLeader }

// may is the oracle: whether role may take a route of kind k at all (the territory comes after).
// A unit leader is a neighbour elected by neighbours: reads the unit's households (exactly
// those: peopleReach), changes nothing. Members, residents and partners read no household data; members and residents see
// their own through the subject pages. The auditor reads the audit log and changes nothing but
// its own password, session, tokens and jobs.
func may(r model.Role, k routeKind) bool {
	switch k {
	case public, loggedIn, ownTokens, ownJobs, treeRead:
		return true
	case treeWrite, accounts:
		return administrator(r)
	case peopleRead:
		return fieldWorker(r) || r == model.RoleUnitLeader
	case peopleWrite, corrections:
		return fieldWorker(r)
	case lifeRead:
		return fieldWorker(r) || r == model.RoleMember
	case lifeWrite:
		return staffRole(r) || r == model.RoleMember
	case activityWrite:
		return staffRole(r)
	case activityRead:
		return fieldWorker(r) || r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident
	case activityJoin:
		return r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident
	case pointsRead:
		return fieldWorker(r) || r == model.RoleMember
	case partySelf:
		return r == model.RoleMember
	case bulk, conflicts, orgWrite, partyStudy, partyDevelopment, partyAnalytics:
		return staffRole(r)
	case partyOrgRead:
		// Party organization is office work with the territory: staff and grid leaders (a grid
		// leader sees the orgs of its grid); a member sees its own branch through "my branch".
		return fieldWorker(r)
	case partyOrgWrite:
		return staffRole(r)
	case orgRead:
		return fieldWorker(r) || r == model.RolePartner
	case orgOwn:
		return r == model.RolePartner
	case subject:
		return r == model.RoleMember || r == model.RoleResident
	case audit:
		return r == model.RoleSystemAdmin || r == model.RoleAuditor
	case partyRead:
		return staffRole(r) || r == model.RoleGridLeader || r == model.RoleMember
	case partyWrite:
		return staffRole(r) || r == model.RoleMember
	case pointsWrite:
		return staffRole(r)
	case pointsProfile:
		return fieldWorker(r) || r == model.RoleMember
	case spaceRead, spaceWrite, spaceModerate:
		// The online space is the members' own (网缘): its members and its managers; a grid
		// leader manages no party org and reads the members' discussion no more than a partner.
		return staffRole(r) || r == model.RoleMember
	case unitRead:
		// A unit leader reads its own unit (联建单元) as it reads its households.
		return fieldWorker(r) || r == model.RoleUnitLeader
	case unitWrite:
		// Forming and changing units is office work: staff; grid leaders and unit leaders
		// propose changes to staff, they do not make them.
		return staffRole(r)
	case duesRead, duesWrite:
		// Dues are sensitive: a grid leader reads the members of its grid's branch, not their
		// dues or income.
		return staffRole(r) || r == model.RoleMember
	}
	for _, f := range extraMay {
		if ok, known := f(r, k); known {
			return ok
		}
	}
	return false
}

// partyReach is the farthest relation a role reaches on party members: a member account reaches
// only the org it is secretary of (the own relation's org, where its own record also lies: the
// world's fixture), everyone else its territory.
func (w *world) partyReach(role model.Role, k routeKind) relation {
	if role == model.RoleMember && (k == partyRead || k == partyWrite || k == duesRead || k == duesWrite || k == pointsProfile || k == lifeRead || k == lifeWrite ||
		k == spaceRead || k == spaceWrite || k == spaceModerate) {
		return relOwn
	}
	if electionKind(k) && (role == model.RoleResident || role == model.RoleMember) {
		return relUnit // the elections of its own household's unit
	}
	if peopleKind(k) || electionKind(k) {
		return w.peopleReach(role)
	}
	if r, ok := dutyReach(role, k); ok {
		return r
	}
	if k == unitRead && role == model.RoleUnitLeader {
		return relUnit // a unit leader reads its own unit, the one of the own, same household and same unit relations
	}
	for _, f := range extraReach {
		if r, ok := f(w, role, k); ok {
			return r
		}
	}
	return w.reach(role)
}

// peopleKind: the route reads or changes households and residents, which a unit leader reaches
// in its unit only (the store narrows the scope's households to the unit's).
func peopleKind(k routeKind) bool {
	switch k {
	case peopleRead, peopleWrite, bulk, corrections, conflicts, unitRead,
		unitActRead, unitActWrite, unitActCase, unitActCoverage: // a unit's records: its unit's (unit_activity_test.go)
		return true
	}
	return false
}

// partnerOwnOnly: a partner account belongs to one organization of the register and reaches no
// other, wherever it lies.
func partnerOwnOnly(r model.Role) bool { return r == model.RolePartner }

// unscoped: only the system admin has no territory scope.
func unscoped(r model.Role) bool { return r == model.RoleSystemAdmin }

// seesInFull is the oracle of the field table: staff and grid leaders see ID numbers, phones,
// hardship and party status in full; everyone else sees the ID number and phone masked and the
// other two not at all.
func seesInFull(r model.Role) bool { return fieldWorker(r) }
