package authz

import (
	"slices"

	"gongzhi/internal/model"
)

// Action is something a route does; every route of the pages and the API names exactly one.
type Action string

// The actions of the policy table.
const (
	Public           Action = "public"            // no login needed (login page, health, static files)
	LoggedIn         Action = "logged_in"         // any account (home page, logout, own profile)
	TerritoryRead    Action = "territory.read"    // see the tree within scope
	TerritoryWrite   Action = "territory.write"   // add, rename, move, archive nodes within scope
	HouseholdRead    Action = "household.read"    // list and read households and residents
	HouseholdWrite   Action = "household.write"   // add and change households and residents
	PersonalReveal   Action = "personal.reveal"   // see full ID numbers and phones
	HouseholdImport  Action = "household.import"  // bulk import and export
	UserAdmin        Action = "user.admin"        // manage accounts
	TokenOwn         Action = "token.own"         // create, list and revoke one's own API tokens
	SubjectSelf      Action = "subject.self"      // see, export and ask to correct one's own stored data
	CorrectionHandle Action = "correction.handle" // accept or reject residents' correction requests
	AuditRead        Action = "audit.read"        // search the audit log within scope
	AuditVerify      Action = "audit.verify"      // verify the audit log's keyed chain against a recorded head
	JobOwn           Action = "job.own"           // follow, cancel and download one's own background jobs
	JobAdmin         Action = "job.admin"         // follow and cancel other accounts' jobs within scope
	ConflictHandle   Action = "conflict.handle"   // resolve ID numbers registered twice, both sides in scope

	// partylife: organizational life (三会一课), Party–resident activities, the points ledger.
	PartyMeetingRead   Action = "party.meeting.read"   // meetings, attendance and compliance of orgs in scope
	PartyMeetingWrite  Action = "party.meeting.write"  // schedule meetings, tick attendance, minutes, show the QR code
	PartyActivityRead  Action = "party.activity.read"  // see the activities published to one's area
	PartyActivityWrite Action = "party.activity.write" // publish, close activities; see their sign-ups
	PartyActivityJoin  Action = "party.activity.join"  // sign up for an activity and check in to it
	PartyPointsRead    Action = "party.points.read"    // leaderboards and public profiles (亮身份)
	PartyPointsWrite   Action = "party.points.write"   // points rules, corrections
	PartySelf          Action = "party.self"           // a member's own party data: my branch, check-in
	// partymember: the roster, transfers, dues. Members may take the member actions; the store
	// then narrows them to the orgs whose secretary or deputy they are (store.ManagesOrg) and to
	// their own record.
	PartyMemberRead  Action = "party.member.read"  // list and read party members (staff, grid leaders by territory; secretaries by post)
	PartyMemberWrite Action = "party.member.write" // add, change, convert and transfer members of the orgs one manages
	PartyDuesRead    Action = "party.dues.read"    // dues, declared income, arrears (not grid leaders)
	PartyDuesWrite   Action = "party.dues.write"   // declare income, record payments (also on a member's behalf)

	// partyorg: the Party organization tree (issue 8, item 1).
	PartyOrgRead  Action = "party.org.read"  // see the org chart, orgs, posts, terms and history within scope
	PartyOrgWrite Action = "party.org.write" // create, rename, merge, dissolve orgs, posts, re-elections, the generators
	// register: the register of organizations (issue 8.2) and the Party orgs' online spaces.
	OrganizationRead  Action = "organization.read"  // list and read the register within scope (a partner: its own organization)
	OrganizationWrite Action = "organization.write" // register, change, report, deactivate organizations within scope
	OrganizationOwn   Action = "organization.own"   // a partner: read and update its own organization's offers and contact
	// space: each Party org's online space (网缘). Members read and post in their own orgs'
	// spaces, staff in the orgs of their territory; the store decides (store.Space).
	PartySpaceRead     Action = "party.space.read"     // read an org's notices, discussion and shared files
	PartySpaceWrite    Action = "party.space.write"    // open threads, reply, share files in an org's space
	PartySpaceModerate Action = "party.space.moderate" // publish notices, hide posts with a reason, withdraw files (secretary by post, staff in scope)
	// partystudy: study (先进性教育) and the development pipeline (发展党员).
	PartyCourseRead       Action = "party.course.read"       // read courses, their assignments and completion within scope
	PartyCourseWrite      Action = "party.course.write"      // write courses and quizzes, assign them to orgs or members
	PartyDevelopmentRead  Action = "party.development.read"  // read the development pipeline within scope
	PartyDevelopmentWrite Action = "party.development.write" // record applications, documents and stage changes
	// analytics: the composition of the members of an org or a territory subtree (issue 8 item 10).
	PartyAnalyticsRead Action = "party.analytics.read" // composition analytics of the registered members within scope (counts and shares, no names)

	// unitform: joint-building units (联建单元, issue 9) — forming them and changing them later.
	UnitRead  Action = "unit.read"  // list and read units, their households and history within scope (a unit leader: its unit)
	UnitWrite Action = "unit.write" // propose, adjust and confirm units; move, add, merge, split and dissolve units within scope
	// unitact: the units' five joint activities (五联创建) and coverage (issue 9 items 5, 6). A
	// unit leader reads and records its own unit's activities only (the store narrows by
	// Scope.Unit); hardship records are withheld from roles that may not see hardship.
	UnitActivityRead  Action = "unit.activity.read"  // list and read activity records and their photos
	UnitActivityWrite Action = "unit.activity.write" // record activities with photos; move hardship cases (roles that see hardship)
	UnitCoverageRead  Action = "unit.coverage.read"  // coverage of a subtree and the units needing attention
	// unitlead: electing and appointing unit leaders (issue 9 item 2). Who sees an election is
	// decided by the store: staff and grid leaders by territory, a unit leader its own unit, a
	// resident or member the unit of its own household (users.resident_id).
	UnitElectionRead  Action = "unit.election.read"  // see a unit's elections: candidates, turnout, tallies once closed
	UnitElectionWrite Action = "unit.election.write" // open and close elections, cast proxy votes for households without a phone, appoint leaders
	UnitVote          Action = "unit.vote"           // cast one's own household's vote (the store checks the household is in the unit)

	// unitduty: the duty rotation of joint-building units (issue 9 items 3 and 4). The store
	// narrows: staff and grid leaders to the units of their territory, a unit leader to its own
	// unit (Scope.Unit), a resident or member to the unit of its own household (its linked
	// resident record).
	UnitDutyRead      Action = "unit.duty.read"      // a unit's rotation, exemptions, swaps, checklist and calendar feeds; make one's own private feed link
	UnitDutyWrite     Action = "unit.duty.write"     // generate and extend a unit's rotation, mark and lift exemptions (staff, the unit's leader)
	UnitDutySelf      Action = "unit.duty.self"      // a household asks for and consents to or declines a swap of months
	UnitDutyTick      Action = "unit.duty.tick"      // tick the month's checklist: the month's duty household, staff, the unit's leader
	UnitDutyChecklist Action = "unit.duty.checklist" // define a community's monthly duty checklist (staff)

	// orders: volunteer service by orders (issue 10). Who does what to an order is decided by
	// the store from the part the caller plays in it (store/order.go: requester, taker,
	// candidate taker of its community, dispatcher by territory) and model.OrderTransition.
	OrderRead  Action = "order.read"  // read the orders one has a part in or dispatches, the categories
	OrderPlace Action = "order.place" // place an order for one's own household, or on behalf of one in scope (staff, grid and unit leaders)
	OrderWork  Action = "order.work"  // transitions: claim, accept, decline, done, rate, cancel, reopen, dispatch, escalate, close
	OrderStats Action = "order.stats" // the statistics of the orders of a subtree (staff and grid leaders, by territory)
	OrderAdmin Action = "order.admin" // a community's categories and time limits, registering volunteers and co-building takers (staff)

	// timebank: the time bank of service hours (issue 10 item 4). The store decides whose
	// balances: a taker's are its account's, a household's its linked accounts'; staff read and
	// correct the takers of their territory.
	TimebankSelf    Action = "timebank.self"    // one's own balances, ledger, service record and certificate; spend on one's household's orders, give to a household of one's community
	TimebankRead    Action = "timebank.read"    // a taker's record, ledger and certificate in one's territory (staff and grid leaders)
	TimebankCorrect Action = "timebank.correct" // correct a taker's balance, with a reason (staff)

	// lists: the three lists (三张清单, issue 10 item 5): needs, resources, projects. The store
	// narrows by territory; members, residents and unit leaders read approved projects only.
	ListRead        Action = "list.read"         // the needs and resources lists, suggestions from recurring orders, the matching page
	ListWrite       Action = "list.write"        // record needs and resources, adopt suggestions, match (propose projects), start, complete, cancel, milestones
	ListApprove     Action = "list.approve"      // approve or reject a proposed project: the community's staff
	ListProjectRead Action = "list.project.read" // read projects: all of them for staff and grid leaders, approved ones for members and residents

	// votes: votes of compound affairs (小区议事, issue 11 item 2). Who sees a vote is decided by
	// the store: staff and grid leaders by territory, a resident, member or unit leader the votes
	// over its own household (its linked resident).
	VoteRead  Action = "vote.read"  // see votes: turnout while open, the result once closed; check a ballot's receipt
	VoteWrite Action = "vote.write" // open, close and cancel votes in one's territory, see the roll, cast proxy ballots for voters without a phone
	VoteCast  Action = "vote.cast"  // cast one's own ballot (the store checks the roll)

	// notices: notices to a territory subtree (公告, issue 11 item 4). The store narrows: staff
	// and grid leaders by territory, a resident, member or unit leader the notices over its own
	// household, whose first reading is its read receipt.
	NoticeRead     Action = "notice.read"     // the notice feed, a notice (marking it read for one's household)
	NoticeReceipts Action = "notice.receipts" // the households of one's territory that have not read a notice
	NoticeWrite    Action = "notice.write"    // publish, pin and withdraw notices in one's territory
	// topics: topics of compound affairs (议题, issue 11 item 1). Who reads a topic is decided
	// by the store as for votes: staff and grid leaders by territory, a resident, member or unit
	// leader the topics over its own household (its linked resident).
	TopicRead     Action = "topic.read"     // read topics and their replies (hidden posts show their reason, not their text)
	TopicWrite    Action = "topic.write"    // raise a topic over a territory one reads, reply, follow
	TopicModerate Action = "topic.moderate" // hide and unhide topics and replies with a reason, see their text, turn a topic into a vote (staff in their territory)
	// surveys: surveys of residents and the perception index (issue 11 item 3). Who sees a
	// survey is decided by the store as for votes: staff and grid leaders by territory, a
	// resident, member or unit leader the surveys over its own household.
	SurveyRead    Action = "survey.read"    // see surveys and their questions
	SurveyWrite   Action = "survey.write"   // send surveys to one's territory (custom or the ready-made perception survey), close them
	SurveyAnswer  Action = "survey.answer"  // answer a survey over one's own household, once (the store checks the household)
	SurveyResults Action = "survey.results" // a survey's results (an anonymous one's once closed) and the perception index of one's territory
	// budget: small-project budgeting (民生微实事, issue 11 item 5). Who reads a round is decided by
	// the store as for votes: staff and grid leaders in or below its community, a resident,
	// member or unit leader of a household in it. Proposers' names are shown to staff only.
	BudgetRead    Action = "budget.read"    // see budget rounds and their proposals, winners, milestones and photos
	BudgetPropose Action = "budget.propose" // propose small projects in a round of one's own community while it collects them (staff: of their territory)
	BudgetWrite   Action = "budget.write"   // create rounds, review proposals, open voting, cancel, carry winners out (milestones, photos): staff by territory
	// burden: the administrative-burden register, 准入清单 (issue 12 item 2)
	BurdenRead    Action = "burden.read"    // see the duty list, the department register, handed-down tasks and the burden view: staff by territory
	BurdenWrite   Action = "burden.write"   // record handed-down tasks, accept those on the list, record them done with their hours: staff by territory
	BurdenApprove Action = "burden.approve" // approve or refuse a task off the list: street, district and system administrators by territory
	BurdenCatalog Action = "burden.catalog" // keep the duty list and the department register of a street or district: street, district and system administrators
	// standards: basic public service standards, 基本公共服务达标 (issue 12 item 5)
	StandardRead    Action = "standard.read"    // see the standards catalogue and the communities' compliance: staff by territory
	StandardWrite   Action = "standard.write"   // enter a community's value of a manual item with its evidence: staff by territory
	StandardCatalog Action = "standard.catalog" // keep the standards catalogue of a street or district: street, district and system administrators
	// workers: community workers (社区工作者) and their visits (issue 12 item 3). The roster is
	// office work: staff of the worker's community or above; visits are logged and read by staff
	// and grid leaders at the places of their territory.
	WorkerRead  Action = "worker.read"  // the roster of one's territory's communities: positions, qualifications, training, recruitment, grids, coverage (phone and ID number masked)
	WorkerWrite Action = "worker.write" // add and change workers, their trainings, recruitment steps and grids; reveal a worker's phone and ID number (audited)
	VisitRead   Action = "visit.read"   // visits at the places of one's territory, and the places nobody has visited for N days
	VisitWrite  Action = "visit.write"  // log a visit to a place or household of one's territory, close its follow-up
	// bodies: the residents' (villagers') committee beside the Party committee (issue 12 item 4).
	BodyRead  Action = "body.read"  // the terms, members (with their cross appointments) and decisions of the committee of one's community
	BodyWrite Action = "body.write" // record a term with its elected members, and the meetings, decisions and tasks the committee owns: staff by territory
	// centres: service centres and bookings (issue 12 item 6). Who reads a centre is decided by
	// the store as for votes: staff and grid leaders in or below its community, a resident,
	// member or unit leader of a household in it. Bookers' names are shown to staff only.
	CentreRead  Action = "centre.read"  // see centres, their rooms, hours, closed days and free slots
	CentreBook  Action = "centre.book"  // book a room of a centre of one's own community (staff: of their territory), see and cancel one's bookings
	CentreWrite Action = "centre.write" // create centres, add rooms and closed days, see the day's bookings, check people in: staff by territory
	// funds (issue 12 item 1)
	FundRead     Action = "fund.read"     // see budgets, spending requests, receipts, the ledger and statements: staff by territory
	FundRequest  Action = "fund.request"  // make spending requests and add their receipts: staff by territory
	FundApprove  Action = "fund.approve"  // decide a request's pending step: staff whose role the step names, by territory, never on their own request
	FundAllocate Action = "fund.allocate" // allocate budget to a community's category: street and district admins by territory
	FundOverride Action = "fund.override" // allow a payment over the budget, with a reason (audited): street and district admins
	FundConfig   Action = "fund.config"   // the category catalogue and the approval chain: district admins
	// contracts (issue 12 item 7)
	ContractRead  Action = "contract.read"  // see purchased-service contracts, milestones and ratings: staff by territory, households of the community
	ContractWrite Action = "contract.write" // make contracts, add milestones, accept them (the payment posted in the funds ledger): staff by territory
	ContractRate  Action = "contract.rate"  // rate a milestone 1–5, once: residents, members and unit leaders of the community
)

var (
	staff      = []model.Role{model.RoleSystemAdmin, model.RoleDistrictAdmin, model.RoleStreetAdmin, model.RoleCommunityAdmin, model.RoleCommunityStaff}
	admins     = []model.Role{model.RoleSystemAdmin, model.RoleDistrictAdmin, model.RoleStreetAdmin, model.RoleCommunityAdmin}
	fieldStaff = append(slices.Clone(staff), model.RoleGridLeader)
	everyone   = model.Roles
)

// policy is the table of which roles may take which action. The territory relation is always
// "the object lies in the caller's scope", enforced by the store through Scope.
var policy = map[Action][]model.Role{
	LoggedIn:         everyone,
	TerritoryRead:    everyone,
	TerritoryWrite:   admins,
	HouseholdRead:    append(slices.Clone(fieldStaff), model.RoleUnitLeader),
	HouseholdWrite:   fieldStaff,
	PersonalReveal:   fieldStaff,
	HouseholdImport:  staff,
	UserAdmin:        admins,
	TokenOwn:         everyone,
	SubjectSelf:      {model.RoleResident, model.RoleMember},
	CorrectionHandle: fieldStaff,
	AuditRead:        {model.RoleSystemAdmin, model.RoleAuditor},
	AuditVerify:      {model.RoleSystemAdmin, model.RoleAuditor},
	JobOwn:           everyone,
	JobAdmin:         admins,
	ConflictHandle:   staff,

	// partylife
	PartyAnalyticsRead: staff,
	PartyMeetingRead:   append(slices.Clone(fieldStaff), model.RoleMember), // a member: the orgs it is secretary of (the store decides)
	PartyMeetingWrite:  append(slices.Clone(staff), model.RoleMember),      // a member: as secretary, by post
	PartyActivityRead:  {model.RoleSystemAdmin, model.RoleDistrictAdmin, model.RoleStreetAdmin, model.RoleCommunityAdmin, model.RoleCommunityStaff, model.RoleGridLeader, model.RoleUnitLeader, model.RoleMember, model.RoleResident},
	PartyActivityWrite: staff,
	PartyActivityJoin:  {model.RoleUnitLeader, model.RoleMember, model.RoleResident},
	PartyPointsRead:    append(slices.Clone(fieldStaff), model.RoleMember),
	PartyPointsWrite:   staff,
	PartySelf:          {model.RoleMember},
	// partymember
	PartyMemberRead:  append(slices.Clone(fieldStaff), model.RoleMember),
	PartyMemberWrite: append(slices.Clone(staff), model.RoleMember),
	PartyDuesRead:    append(slices.Clone(staff), model.RoleMember),
	PartyDuesWrite:   append(slices.Clone(staff), model.RoleMember),

	// partyorg
	PartyOrgRead:  fieldStaff,
	PartyOrgWrite: staff,
	// register
	OrganizationRead:  append(slices.Clone(fieldStaff), model.RolePartner),
	OrganizationWrite: staff,
	OrganizationOwn:   {model.RolePartner},
	// space
	PartySpaceRead:     append(slices.Clone(staff), model.RoleMember), // a member: the orgs it belongs to or holds a post in
	PartySpaceWrite:    append(slices.Clone(staff), model.RoleMember),
	PartySpaceModerate: append(slices.Clone(staff), model.RoleMember), // a member: as secretary or deputy, by post
	// partystudy
	PartyCourseRead:       staff,
	PartyCourseWrite:      staff,
	PartyDevelopmentRead:  staff,
	PartyDevelopmentWrite: staff,
	// unitform
	UnitRead:  append(slices.Clone(fieldStaff), model.RoleUnitLeader), // a unit leader: narrowed to its unit (sc.Unit) below the handlers
	UnitWrite: staff,
	// unitact
	UnitActivityRead:  append(slices.Clone(fieldStaff), model.RoleUnitLeader),
	UnitActivityWrite: append(slices.Clone(fieldStaff), model.RoleUnitLeader),
	UnitCoverageRead:  staff,
	// unitlead
	UnitElectionRead:  {model.RoleSystemAdmin, model.RoleDistrictAdmin, model.RoleStreetAdmin, model.RoleCommunityAdmin, model.RoleCommunityStaff, model.RoleGridLeader, model.RoleUnitLeader, model.RoleMember, model.RoleResident},
	UnitElectionWrite: staff,
	UnitVote:          {model.RoleResident, model.RoleMember, model.RoleUnitLeader},

	// unitduty
	UnitDutyRead:      append(slices.Clone(fieldStaff), model.RoleUnitLeader, model.RoleResident, model.RoleMember),
	UnitDutyWrite:     append(slices.Clone(staff), model.RoleUnitLeader),
	UnitDutySelf:      {model.RoleResident, model.RoleMember},
	UnitDutyTick:      append(slices.Clone(staff), model.RoleUnitLeader, model.RoleResident, model.RoleMember),
	UnitDutyChecklist: staff,

	// orders
	OrderRead:  append(slices.Clone(fieldStaff), model.RoleUnitLeader, model.RoleMember, model.RoleResident, model.RolePartner),
	OrderPlace: append(slices.Clone(fieldStaff), model.RoleUnitLeader, model.RoleMember, model.RoleResident),
	OrderWork:  append(slices.Clone(fieldStaff), model.RoleUnitLeader, model.RoleMember, model.RoleResident, model.RolePartner),
	OrderStats: fieldStaff,
	OrderAdmin: staff,

	// timebank
	TimebankSelf:    append(slices.Clone(fieldStaff), model.RoleUnitLeader, model.RoleMember, model.RoleResident, model.RolePartner),
	TimebankRead:    fieldStaff,
	TimebankCorrect: staff,

	// lists
	ListRead:        fieldStaff,
	ListWrite:       fieldStaff,
	ListApprove:     staff,
	ListProjectRead: append(slices.Clone(fieldStaff), model.RoleUnitLeader, model.RoleMember, model.RoleResident),

	// votes
	VoteRead:  append(slices.Clone(fieldStaff), model.RoleUnitLeader, model.RoleMember, model.RoleResident),
	VoteWrite: staff,
	VoteCast:  {model.RoleResident, model.RoleMember, model.RoleUnitLeader},

	// notices
	NoticeRead:     append(slices.Clone(fieldStaff), model.RoleUnitLeader, model.RoleMember, model.RoleResident),
	NoticeReceipts: fieldStaff,
	NoticeWrite:    staff,
	// topics
	TopicRead:     append(slices.Clone(fieldStaff), model.RoleUnitLeader, model.RoleMember, model.RoleResident),
	TopicWrite:    append(slices.Clone(fieldStaff), model.RoleUnitLeader, model.RoleMember, model.RoleResident),
	TopicModerate: staff,
	// surveys
	SurveyRead:    append(slices.Clone(fieldStaff), model.RoleUnitLeader, model.RoleMember, model.RoleResident),
	SurveyWrite:   staff,
	SurveyAnswer:  {model.RoleResident, model.RoleMember, model.RoleUnitLeader},
	SurveyResults: fieldStaff,
	// budget
	BudgetRead:    append(slices.Clone(fieldStaff), model.RoleUnitLeader, model.RoleMember, model.RoleResident),
	BudgetPropose: append(slices.Clone(staff), model.RoleUnitLeader, model.RoleMember, model.RoleResident),
	BudgetWrite:   staff,
	// burden
	BurdenRead:    staff,
	BurdenWrite:   staff,
	BurdenApprove: {model.RoleSystemAdmin, model.RoleDistrictAdmin, model.RoleStreetAdmin},
	BurdenCatalog: {model.RoleSystemAdmin, model.RoleDistrictAdmin, model.RoleStreetAdmin},
	// standards
	StandardRead:    staff,
	StandardWrite:   staff,
	StandardCatalog: {model.RoleSystemAdmin, model.RoleDistrictAdmin, model.RoleStreetAdmin},
	// workers
	WorkerRead:  staff,
	WorkerWrite: staff,
	VisitRead:   fieldStaff,
	VisitWrite:  fieldStaff,
	BodyRead:    fieldStaff,
	BodyWrite:   staff,
	// centres
	CentreRead:  append(slices.Clone(fieldStaff), model.RoleUnitLeader, model.RoleMember, model.RoleResident),
	CentreBook:  append(slices.Clone(staff), model.RoleUnitLeader, model.RoleMember, model.RoleResident),
	CentreWrite: staff,
	// funds
	FundRead:     staff,
	FundRequest:  staff,
	FundApprove:  staff,
	FundAllocate: {model.RoleSystemAdmin, model.RoleDistrictAdmin, model.RoleStreetAdmin},
	FundOverride: {model.RoleSystemAdmin, model.RoleDistrictAdmin, model.RoleStreetAdmin},
	FundConfig:   {model.RoleSystemAdmin, model.RoleDistrictAdmin},
	// contracts
	ContractRead:  append(slices.Clone(staff), model.RoleUnitLeader, model.RoleMember, model.RoleResident),
	ContractWrite: staff,
	ContractRate:  {model.RoleUnitLeader, model.RoleMember, model.RoleResident},
}

// Allowed reports whether role may take action. Public is allowed to everyone, logged in or not;
// an action missing from the table is denied to every role.
func Allowed(role model.Role, a Action) bool {
	if a == Public {
		return true
	}
	return slices.Contains(policy[a], role)
}

// Known reports whether a is in the policy table; route tables check every route against it.
func Known(a Action) bool {
	_, ok := policy[a]
	return ok || a == Public
}

// Policy returns a copy of the table for documentation and tests.
func Policy() map[Action][]model.Role {
	m := make(map[Action][]model.Role, len(policy))
	for a, r := range policy {
		m[a] = slices.Clone(r)
	}
	return m
}
