package api

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// API holds what the handlers need.
type API struct {
	st      *store.Store
	log     *slog.Logger
	maxBody int64
	secure  bool // set the session cookie's Secure attribute (served over TLS)
	jobs    apiJobs
	// draining is closed when the server begins to shut down: open event streams end (Drain).
	draining  chan struct{}
	drainOnce sync.Once
	heartbeat time.Duration // of event streams: sseHeartbeat
}

// New returns the API over st; maxBody limits JSON request bodies.
func New(st *store.Store, log *slog.Logger, maxBody int64, secure bool) *API {
	return &API{st: st, log: log, maxBody: maxBody, secure: secure, draining: make(chan struct{}), heartbeat: sseHeartbeat}
}

// handlerFunc is a handler that returns its error for the one place that maps errors.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (a *API) h(f handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			writeProblem(a.log, w, r, err)
		}
	})
}

// Routes is the API's route table: every route names its action in the policy table.
func (a *API) Routes() []authz.Route {
	return []authz.Route{
		authz.NewRoute("GET /api/v1/openapi.json", authz.Public, a.h(a.openAPI)),
		authz.NewRoute("POST /api/v1/auth/login", authz.Public, a.h(a.login)),
		authz.NewRoute("POST /api/v1/auth/logout", authz.LoggedIn, a.h(a.logout)),
		authz.NewRoute("GET /api/v1/auth/me", authz.LoggedIn, a.h(a.me)),
		authz.SessionRoute("POST /api/v1/auth/password", authz.LoggedIn, a.h(a.changePassword)),

		authz.SessionRoute("GET /api/v1/tokens", authz.TokenOwn, a.h(a.listTokens)),
		authz.SessionRoute("POST /api/v1/tokens", authz.TokenOwn, a.h(a.createToken)),
		authz.SessionRoute("DELETE /api/v1/tokens/{id}", authz.TokenOwn, a.h(a.revokeToken)),

		authz.NewRoute("GET /api/v1/users", authz.UserAdmin, a.h(a.listUsers)),
		authz.NewRoute("POST /api/v1/users", authz.UserAdmin, a.h(a.createUser)),
		authz.NewRoute("PATCH /api/v1/users/{id}", authz.UserAdmin, a.h(a.updateUser)),
		authz.NewRoute("POST /api/v1/users/{id}/disable", authz.UserAdmin, a.h(a.accountAction(store.ActionDisable))),
		authz.NewRoute("POST /api/v1/users/{id}/enable", authz.UserAdmin, a.h(a.accountAction(store.ActionEnable))),
		authz.NewRoute("POST /api/v1/users/{id}/unlock", authz.UserAdmin, a.h(a.accountAction(store.ActionUnlock))),
		authz.NewRoute("POST /api/v1/users/{id}/reset-totp", authz.UserAdmin, a.h(a.accountAction(store.ActionResetTOTP))),
		authz.NewRoute("PUT /api/v1/users/{id}/resident", authz.UserAdmin, a.h(a.linkResident)),

		authz.NewRoute("GET /api/v1/territories", authz.TerritoryRead, a.h(a.listTerritories)),
		authz.NewRoute("POST /api/v1/territories", authz.TerritoryWrite, a.h(a.createTerritory)),
		authz.NewRoute("GET /api/v1/territories/{id}", authz.TerritoryRead, a.h(a.getTerritory)),
		authz.NewRoute("PATCH /api/v1/territories/{id}", authz.TerritoryWrite, a.h(a.updateTerritory)),
		authz.NewRoute("POST /api/v1/territories/{id}/archive", authz.TerritoryWrite, a.h(a.archiveTerritory)),
		authz.NewRoute("GET /api/v1/territories/{id}/children", authz.TerritoryRead, a.h(a.territoryChildren)),
		authz.NewRoute("GET /api/v1/territories/{id}/history", authz.TerritoryRead, a.h(a.territoryHistory)),

		authz.NewRoute("GET /api/v1/households", authz.HouseholdRead, a.h(a.listHouseholds)),
		authz.NewRoute("POST /api/v1/households", authz.HouseholdWrite, a.h(a.createHousehold)),
		authz.NewRoute("GET /api/v1/households/{id}", authz.HouseholdRead, a.h(a.getHousehold)),
		authz.NewRoute("PATCH /api/v1/households/{id}", authz.HouseholdWrite, a.h(a.updateHousehold)),
		authz.NewRoute("POST /api/v1/households/{id}/move-out", authz.HouseholdWrite, a.h(a.moveOutHousehold)),
		authz.NewRoute("GET /api/v1/households/{id}/history", authz.HouseholdRead, a.h(a.householdHistory)),

		authz.NewRoute("GET /api/v1/residents", authz.HouseholdRead, a.h(a.listResidents)),
		authz.NewRoute("POST /api/v1/residents", authz.HouseholdWrite, a.h(a.createResident)),
		authz.NewRoute("GET /api/v1/residents/{id}", authz.HouseholdRead, a.h(a.getResident)),
		authz.NewRoute("PATCH /api/v1/residents/{id}", authz.HouseholdWrite, a.h(a.updateResident)),
		authz.NewRoute("DELETE /api/v1/residents/{id}", authz.HouseholdWrite, a.h(a.deleteResident)),

		authz.NewRoute("GET /api/v1/me/data", authz.SubjectSelf, a.h(a.myData)),
		authz.NewRoute("GET /api/v1/me/data/export", authz.SubjectSelf, a.h(a.myDataExport)),
		authz.NewRoute("GET /api/v1/me/corrections", authz.SubjectSelf, a.h(a.listMyCorrections)),
		authz.NewRoute("POST /api/v1/me/corrections", authz.SubjectSelf, a.h(a.createMyCorrection)),
		authz.NewRoute("GET /api/v1/corrections", authz.CorrectionHandle, a.h(a.listCorrections)),
		authz.NewRoute("POST /api/v1/corrections/{id}/accept", authz.CorrectionHandle, a.h(a.acceptCorrection)),
		authz.NewRoute("POST /api/v1/corrections/{id}/reject", authz.CorrectionHandle, a.h(a.rejectCorrection)),

		authz.NewRoute("GET /api/v1/conflicts", authz.ConflictHandle, a.h(a.listConflicts)),
		authz.NewRoute("GET /api/v1/conflicts/{id}", authz.ConflictHandle, a.h(a.getConflict)),
		authz.NewRoute("POST /api/v1/conflicts/{id}/transfer", authz.ConflictHandle, a.h(a.transferConflict)),
		authz.NewRoute("POST /api/v1/conflicts/{id}/reject", authz.ConflictHandle, a.h(a.rejectConflict)),

		authz.NewRoute("GET /api/v1/audit", authz.AuditRead, a.h(a.listAudit)),
		authz.NewRoute("POST /api/v1/audit/verify", authz.AuditVerify, a.h(a.verifyAudit)),

		authz.NewRoute("POST /api/v1/imports/households", authz.HouseholdImport, a.h(a.importHouseholds)),
		authz.NewRoute("POST /api/v1/imports/members", authz.PartyMemberWrite, a.h(a.importMembers)),
		authz.NewRoute("POST /api/v1/imports/divisions", authz.TerritoryWrite, a.h(a.importDivisions)),
		authz.NewRoute("POST /api/v1/exports/households", authz.HouseholdImport, a.h(a.exportHouseholds)),
		authz.NewRoute("GET /api/v1/jobs", authz.JobOwn, a.h(a.listJobs)),
		authz.NewRoute("GET /api/v1/jobs/{id}", authz.JobOwn, a.h(a.getJob)),
		authz.NewRoute("POST /api/v1/jobs/{id}/cancel", authz.JobOwn, a.h(a.cancelJob)),
		authz.NewRoute("GET /api/v1/jobs/{id}/file", authz.JobOwn, a.h(a.jobFile)),

		// partylife
		authz.NewRoute("GET /api/v1/party/meetings", authz.PartyMeetingRead, a.h(a.listMeetings)),
		authz.NewRoute("POST /api/v1/party/meetings", authz.PartyMeetingWrite, a.h(a.createMeetings)),
		authz.NewRoute("GET /api/v1/party/meetings/{id}", authz.PartyMeetingRead, a.h(a.getMeeting)),
		authz.NewRoute("PATCH /api/v1/party/meetings/{id}", authz.PartyMeetingWrite, a.h(a.updateMeeting)),
		authz.NewRoute("GET /api/v1/party/meetings/{id}/attendance", authz.PartyMeetingRead, a.h(a.meetingAttendance)),
		authz.NewRoute("POST /api/v1/party/meetings/{id}/attendance", authz.PartyMeetingWrite, a.h(a.markAttendance)),
		authz.NewRoute("PUT /api/v1/party/meetings/{id}/minutes", authz.PartyMeetingWrite, a.h(a.setMinutes)),
		authz.NewRoute("POST /api/v1/party/meetings/{id}/close", authz.PartyMeetingWrite, a.h(a.meetingStatus(model.MeetingClosed))),
		authz.NewRoute("POST /api/v1/party/meetings/{id}/cancel", authz.PartyMeetingWrite, a.h(a.meetingStatus(model.MeetingCancelled))),
		authz.NewRoute("GET /api/v1/party/meetings/{id}/code", authz.PartyMeetingWrite, a.h(a.meetingCode)),
		authz.NewRoute("GET /api/v1/party/compliance", authz.PartyMeetingRead, a.h(a.compliance)),
		authz.NewRoute("GET /api/v1/party/analytics", authz.PartyAnalyticsRead, a.h(a.partyAnalytics)),
		authz.NewRoute("POST /api/v1/party/checkin", authz.PartyActivityJoin, a.h(a.checkIn)),
		authz.NewRoute("GET /api/v1/party/activities", authz.PartyActivityRead, a.h(a.listActivities)),
		authz.NewRoute("POST /api/v1/party/activities", authz.PartyActivityWrite, a.h(a.createActivity)),
		authz.NewRoute("GET /api/v1/party/activities/{id}", authz.PartyActivityRead, a.h(a.getActivity)),
		authz.NewRoute("POST /api/v1/party/activities/{id}/signup", authz.PartyActivityJoin, a.h(a.signUpActivity)),
		authz.NewRoute("POST /api/v1/party/activities/{id}/close", authz.PartyActivityWrite, a.h(a.activityStatus(model.ActivityClosed))),
		authz.NewRoute("POST /api/v1/party/activities/{id}/cancel", authz.PartyActivityWrite, a.h(a.activityStatus(model.ActivityCancelled))),
		authz.NewRoute("GET /api/v1/party/points", authz.PartyPointsRead, a.h(a.leaderboard)),
		authz.NewRoute("GET /api/v1/party/points/me", authz.PartySelf, a.h(a.myPoints)),
		authz.NewRoute("GET /api/v1/party/points/rules", authz.PartyPointsWrite, a.h(a.pointsRules)),
		authz.NewRoute("PUT /api/v1/party/points/rules", authz.PartyPointsWrite, a.h(a.setPointsRule)),
		authz.NewRoute("GET /api/v1/party/points/members/{id}", authz.PartyPointsRead, a.h(a.memberProfile)),
		authz.NewRoute("GET /api/v1/party/points/members/{id}/ledger", authz.PartyPointsWrite, a.h(a.memberLedger)),
		authz.NewRoute("POST /api/v1/party/points/members/{id}/corrections", authz.PartyPointsWrite, a.h(a.correctPoints)),

		authz.NewRoute("GET /api/v1/timebank", authz.TimebankSelf, a.h(a.myTimebank)),
		authz.NewRoute("POST /api/v1/timebank/spends", authz.TimebankSelf, a.h(a.spendTimebank)),
		authz.NewRoute("POST /api/v1/timebank/gifts", authz.TimebankSelf, a.h(a.giveTimebank)),
		authz.NewRoute("GET /api/v1/timebank/households", authz.TimebankSelf, a.h(a.timebankHouseholds)),
		authz.NewRoute("GET /api/v1/timebank/certificate", authz.TimebankSelf, a.h(a.myCertificate)),
		authz.NewRoute("GET /api/v1/timebank/takers/{id}", authz.TimebankRead, a.h(a.takerTimebank)),
		authz.NewRoute("GET /api/v1/timebank/takers/{id}/certificate", authz.TimebankRead, a.h(a.takerCertificate)),
		authz.NewRoute("POST /api/v1/timebank/takers/{id}/corrections", authz.TimebankCorrect, a.h(a.correctTimebank)),
		// lists: the three lists (三张清单)
		authz.NewRoute("GET /api/v1/notices", authz.NoticeRead, a.h(a.listNotices)),
		authz.NewRoute("POST /api/v1/notices", authz.NoticeWrite, a.h(a.publishNotice)),
		authz.NewRoute("GET /api/v1/notices/{id}", authz.NoticeRead, a.h(a.getNotice)),
		authz.NewRoute("POST /api/v1/notices/{id}/read", authz.NoticeRead, a.h(a.readNotice)),
		authz.NewRoute("POST /api/v1/notices/{id}/pin", authz.NoticeWrite, a.h(a.pinNotice)),
		authz.NewRoute("POST /api/v1/notices/{id}/withdraw", authz.NoticeWrite, a.h(a.withdrawNotice)),
		authz.NewRoute("GET /api/v1/notices/{id}/unread", authz.NoticeReceipts, a.h(a.noticeUnread)),
		authz.NewRoute("GET /api/v1/votes", authz.VoteRead, a.h(a.listVotes)),
		authz.NewRoute("POST /api/v1/votes", authz.VoteWrite, a.h(a.openVote)),
		authz.NewRoute("GET /api/v1/votes/{id}", authz.VoteRead, a.h(a.getVote)),
		authz.NewRoute("POST /api/v1/votes/{id}/ballots", authz.VoteCast, a.h(a.castBallot(false))),
		authz.NewRoute("POST /api/v1/votes/{id}/proxy-ballots", authz.VoteWrite, a.h(a.castBallot(true))),
		authz.NewRoute("GET /api/v1/votes/{id}/result", authz.VoteRead, a.h(a.voteResult)),
		authz.NewRoute("GET /api/v1/votes/{id}/roll", authz.VoteWrite, a.h(a.voteRoll)),
		authz.NewRoute("GET /api/v1/votes/{id}/receipts/{code}", authz.VoteRead, a.h(a.checkReceipt)),
		authz.NewRoute("POST /api/v1/votes/{id}/close", authz.VoteWrite, a.h(a.closeVote)),
		authz.NewRoute("POST /api/v1/votes/{id}/cancel", authz.VoteWrite, a.h(a.cancelVote)),
		// topics (issue 11 item 1)
		authz.NewRoute("GET /api/v1/topics", authz.TopicRead, a.h(a.listTopics)),
		authz.NewRoute("POST /api/v1/topics", authz.TopicWrite, a.h(a.raiseTopic)),
		authz.NewRoute("GET /api/v1/topics/{id}", authz.TopicRead, a.h(a.getTopic)),
		authz.NewRoute("POST /api/v1/topics/{id}/replies", authz.TopicWrite, a.h(a.replyTopic)),
		authz.NewRoute("POST /api/v1/topics/{id}/follow", authz.TopicWrite, a.h(a.followTopic(true))),
		authz.NewRoute("DELETE /api/v1/topics/{id}/follow", authz.TopicWrite, a.h(a.followTopic(false))),
		authz.NewRoute("POST /api/v1/topics/{id}/hide", authz.TopicModerate, a.h(a.moderateTopic(false, true))),
		authz.NewRoute("POST /api/v1/topics/{id}/unhide", authz.TopicModerate, a.h(a.moderateTopic(false, false))),
		authz.NewRoute("POST /api/v1/topics/{id}/propose", authz.TopicModerate, a.h(a.proposeTopic)),
		authz.NewRoute("POST /api/v1/topic-replies/{id}/hide", authz.TopicModerate, a.h(a.moderateTopic(true, true))),
		authz.NewRoute("POST /api/v1/topic-replies/{id}/unhide", authz.TopicModerate, a.h(a.moderateTopic(true, false))),
		// surveys: surveys of residents and the perception index (issue 11 item 3)
		authz.NewRoute("GET /api/v1/surveys", authz.SurveyRead, a.h(a.listSurveys)),
		authz.NewRoute("POST /api/v1/surveys", authz.SurveyWrite, a.h(a.createSurvey)),
		authz.NewRoute("GET /api/v1/surveys/perception", authz.SurveyResults, a.h(a.perceptionTrend)),
		authz.NewRoute("GET /api/v1/surveys/{id}", authz.SurveyRead, a.h(a.getSurvey)),
		authz.NewRoute("POST /api/v1/surveys/{id}/responses", authz.SurveyAnswer, a.h(a.answerSurvey)),
		authz.NewRoute("GET /api/v1/surveys/{id}/results", authz.SurveyResults, a.h(a.surveyResults)),
		authz.NewRoute("POST /api/v1/surveys/{id}/close", authz.SurveyWrite, a.h(a.closeSurvey)),
		// budget: small-project budgeting, 民生微实事 (issue 11 item 5)
		authz.NewRoute("GET /api/v1/projects/rounds", authz.BudgetRead, a.h(a.listRounds)),
		authz.NewRoute("POST /api/v1/projects/rounds", authz.BudgetWrite, a.h(a.createRound)),
		authz.NewRoute("GET /api/v1/projects/rounds/{id}", authz.BudgetRead, a.h(a.getRound)),
		authz.NewRoute("POST /api/v1/projects/rounds/{id}/reviewing", authz.BudgetWrite, a.h(a.closeProposals)),
		authz.NewRoute("POST /api/v1/projects/rounds/{id}/voting", authz.BudgetWrite, a.h(a.openVoting)),
		authz.NewRoute("POST /api/v1/projects/rounds/{id}/cancel", authz.BudgetWrite, a.h(a.cancelRound)),
		authz.NewRoute("GET /api/v1/projects", authz.BudgetRead, a.h(a.listSmallProjects)),
		authz.NewRoute("POST /api/v1/projects", authz.BudgetPropose, a.h(a.proposeSmallProject)),
		authz.NewRoute("GET /api/v1/projects/{id}", authz.BudgetRead, a.h(a.getSmallProject)),
		authz.NewRoute("POST /api/v1/projects/{id}/review", authz.BudgetWrite, a.h(a.reviewSmallProject)),
		authz.NewRoute("POST /api/v1/projects/{id}/transitions", authz.BudgetWrite, a.h(a.transitionSmallProject)),
		authz.NewRoute("POST /api/v1/projects/{id}/milestones", authz.BudgetWrite, a.h(a.addSmallProjectMilestone)),
		authz.NewRoute("POST /api/v1/projects/{id}/milestone-ticks", authz.BudgetWrite, a.h(a.tickSmallProjectMilestone)),
		authz.NewRoute("POST /api/v1/projects/{id}/photos", authz.BudgetWrite, a.h(a.addSmallProjectPhotos)),
		authz.NewRoute("GET /api/v1/projects/{id}/photos/{n}", authz.BudgetRead, a.h(a.smallProjectPhoto)),
		// burden: the administrative-burden register, 准入清单 (issue 12 item 2)
		authz.NewRoute("GET /api/v1/burden/departments", authz.BurdenRead, a.h(a.listBurdenDepartments)),
		authz.NewRoute("POST /api/v1/burden/departments", authz.BurdenCatalog, a.h(a.saveBurdenDepartment(true))),
		authz.NewRoute("PUT /api/v1/burden/departments/{id}", authz.BurdenCatalog, a.h(a.saveBurdenDepartment(false))),
		authz.NewRoute("GET /api/v1/burden/duties", authz.BurdenRead, a.h(a.listBurdenDuties)),
		authz.NewRoute("POST /api/v1/burden/duties", authz.BurdenCatalog, a.h(a.saveBurdenDuty(true))),
		authz.NewRoute("PUT /api/v1/burden/duties/{id}", authz.BurdenCatalog, a.h(a.saveBurdenDuty(false))),
		authz.NewRoute("GET /api/v1/burden/tasks", authz.BurdenRead, a.h(a.listBurdenTasks)),
		authz.NewRoute("POST /api/v1/burden/tasks", authz.BurdenWrite, a.h(a.createBurdenTask)),
		authz.NewRoute("GET /api/v1/burden/tasks/{id}", authz.BurdenRead, a.h(a.getBurdenTask)),
		authz.NewRoute("PATCH /api/v1/burden/tasks/{id}", authz.BurdenWrite, a.h(a.updateBurdenTask)),
		authz.NewRoute("POST /api/v1/burden/tasks/{id}/accept", authz.BurdenWrite, a.h(a.acceptBurdenTask)),
		authz.NewRoute("POST /api/v1/burden/tasks/{id}/decision", authz.BurdenApprove, a.h(a.decideBurdenTask)),
		authz.NewRoute("POST /api/v1/burden/tasks/{id}/done", authz.BurdenWrite, a.h(a.finishBurdenTask)),
		authz.NewRoute("GET /api/v1/burden/view", authz.BurdenRead, a.h(a.burdenView)),
		// standards: basic public service standards, 基本公共服务达标 (issue 12 item 5)
		authz.NewRoute("GET /api/v1/standards/items", authz.StandardRead, a.h(a.listStandardItems)),
		authz.NewRoute("POST /api/v1/standards/items", authz.StandardCatalog, a.h(a.saveStandardItem(true))),
		authz.NewRoute("PUT /api/v1/standards/items/{id}", authz.StandardCatalog, a.h(a.saveStandardItem(false))),
		authz.NewRoute("POST /api/v1/standards/values", authz.StandardWrite, a.h(a.recordStandardValue)),
		authz.NewRoute("GET /api/v1/standards/compliance", authz.StandardRead, a.h(a.standardCompliance)),
		// workers: community workers and their visits (issue 12 item 3)
		authz.NewRoute("GET /api/v1/workers", authz.WorkerRead, a.h(a.listWorkers)),
		authz.NewRoute("POST /api/v1/workers", authz.WorkerWrite, a.h(a.createWorker)),
		authz.NewRoute("GET /api/v1/workers/{id}", authz.WorkerRead, a.h(a.getWorker)),
		authz.NewRoute("PUT /api/v1/workers/{id}", authz.WorkerWrite, a.h(a.updateWorker)),
		authz.NewRoute("PUT /api/v1/workers/{id}/grids", authz.WorkerWrite, a.h(a.setWorkerGrids)),
		authz.NewRoute("POST /api/v1/workers/{id}/trainings", authz.WorkerWrite, a.h(a.addWorkerTraining)),
		authz.NewRoute("POST /api/v1/workers/{id}/recruitments", authz.WorkerWrite, a.h(a.addWorkerRecruitment)),
		authz.NewRoute("POST /api/v1/workers/{id}/reveal", authz.WorkerWrite, a.h(a.revealWorker)),
		authz.NewRoute("GET /api/v1/visits", authz.VisitRead, a.h(a.listVisits)),
		authz.NewRoute("POST /api/v1/visits", authz.VisitWrite, a.h(a.createVisit)),
		authz.NewRoute("GET /api/v1/visits/unvisited", authz.VisitRead, a.h(a.unvisitedPlaces)),
		authz.NewRoute("GET /api/v1/visits/months", authz.WorkerRead, a.h(a.visitMonths)),
		authz.NewRoute("GET /api/v1/visits/{id}", authz.VisitRead, a.h(a.getVisit)),
		authz.NewRoute("POST /api/v1/visits/{id}/follow-up-done", authz.VisitWrite, a.h(a.closeVisitFollowUp)),
		// bodies: the residents' (villagers') committee beside the Party committee (issue 12 item 4)
		authz.NewRoute("GET /api/v1/bodies", authz.BodyRead, a.h(a.listBodyTerms)),
		authz.NewRoute("POST /api/v1/bodies", authz.BodyWrite, a.h(a.createBodyTerm)),
		authz.NewRoute("GET /api/v1/bodies/{id}", authz.BodyRead, a.h(a.getBodyTerm)),
		authz.NewRoute("GET /api/v1/bodies/{id}/decisions", authz.BodyRead, a.h(a.listBodyDecisions)),
		authz.NewRoute("POST /api/v1/bodies/{id}/decisions", authz.BodyWrite, a.h(a.addBodyDecision)),
		// centres: service centres and bookings (issue 12 item 6)
		authz.NewRoute("GET /api/v1/centres", authz.CentreRead, a.h(a.listCentres)),
		authz.NewRoute("POST /api/v1/centres", authz.CentreWrite, a.h(a.createCentre)),
		authz.NewRoute("GET /api/v1/centres/{id}", authz.CentreRead, a.h(a.getCentre)),
		authz.NewRoute("PATCH /api/v1/centres/{id}", authz.CentreWrite, a.h(a.updateCentre)),
		authz.NewRoute("POST /api/v1/centres/{id}/rooms", authz.CentreWrite, a.h(a.addCentreRoom)),
		authz.NewRoute("PATCH /api/v1/centres/{id}/rooms/{room}", authz.CentreWrite, a.h(a.updateCentreRoom)),
		authz.NewRoute("PUT /api/v1/centres/{id}/hours", authz.CentreWrite, a.h(a.setCentreHours)),
		authz.NewRoute("POST /api/v1/centres/{id}/closed-days", authz.CentreWrite, a.h(a.addClosedDay)),
		authz.NewRoute("DELETE /api/v1/centres/{id}/closed-days/{day}", authz.CentreWrite, a.h(a.removeClosedDay)),
		authz.NewRoute("GET /api/v1/centres/{id}/slots", authz.CentreRead, a.h(a.centreSlots)),
		authz.NewRoute("GET /api/v1/centres/{id}/bookings", authz.CentreWrite, a.h(a.centreBookings)),
		authz.NewRoute("POST /api/v1/centres/{id}/bookings", authz.CentreBook, a.h(a.book)),
		authz.NewRoute("GET /api/v1/bookings", authz.CentreBook, a.h(a.myBookings)),
		authz.NewRoute("GET /api/v1/bookings/{id}", authz.CentreBook, a.h(a.getBooking)),
		authz.NewRoute("POST /api/v1/bookings/{id}/cancel", authz.CentreBook, a.h(a.cancelBooking)),
		authz.NewRoute("POST /api/v1/bookings/{id}/check-in", authz.CentreWrite, a.h(a.checkInBooking)),
		// funds: special funds, 专项经费 (issue 12 item 1)
		authz.NewRoute("GET /api/v1/funds/categories", authz.FundRead, a.h(a.listFundCategories)),
		authz.NewRoute("POST /api/v1/funds/categories", authz.FundConfig, a.h(a.createFundCategory)),
		authz.NewRoute("PATCH /api/v1/funds/categories/{id}", authz.FundConfig, a.h(a.updateFundCategory)),
		authz.NewRoute("GET /api/v1/funds/chain", authz.FundRead, a.h(a.getFundChain)),
		authz.NewRoute("PUT /api/v1/funds/chain", authz.FundConfig, a.h(a.setFundChain)),
		authz.NewRoute("GET /api/v1/funds/budgets", authz.FundRead, a.h(a.listFundBudgets)),
		authz.NewRoute("POST /api/v1/funds/allocations", authz.FundAllocate, a.h(a.allocateFund)),
		authz.NewRoute("GET /api/v1/funds/balance", authz.FundRead, a.h(a.fundBalance)),
		authz.NewRoute("GET /api/v1/funds/statement", authz.FundRead, a.h(a.fundStatement)),
		authz.NewRoute("GET /api/v1/funds/requests", authz.FundRead, a.h(a.listFundRequests)),
		authz.NewRoute("POST /api/v1/funds/requests", authz.FundRequest, a.h(a.createFundRequest)),
		authz.NewRoute("GET /api/v1/funds/requests/{id}", authz.FundRead, a.h(a.getFundRequest)),
		authz.NewRoute("POST /api/v1/funds/requests/{id}/receipts", authz.FundRequest, a.h(a.addFundReceipts)),
		authz.NewRoute("GET /api/v1/funds/requests/{id}/receipts/{n}", authz.FundRead, a.h(a.fundReceipt)),
		authz.NewRoute("POST /api/v1/funds/requests/{id}/decision", authz.FundApprove, a.h(a.decideFundRequest)),
		// contracts: purchased services, 政府购买服务 (issue 12 item 7)
		authz.NewRoute("GET /api/v1/contracts", authz.ContractRead, a.h(a.listContracts)),
		authz.NewRoute("POST /api/v1/contracts", authz.ContractWrite, a.h(a.createContract)),
		authz.NewRoute("GET /api/v1/contracts/{id}", authz.ContractRead, a.h(a.getContract)),
		authz.NewRoute("POST /api/v1/contracts/{id}/milestones", authz.ContractWrite, a.h(a.addContractMilestone)),
		authz.NewRoute("POST /api/v1/contracts/{id}/acceptances", authz.ContractWrite, a.h(a.acceptContractMilestone)),
		authz.NewRoute("POST /api/v1/contracts/{id}/ratings", authz.ContractRate, a.h(a.rateContractMilestone)),
		authz.NewRoute("GET /api/v1/lists/needs", authz.ListRead, a.h(a.listNeeds)),
		authz.NewRoute("POST /api/v1/lists/needs", authz.ListWrite, a.h(a.createNeed)),
		authz.NewRoute("GET /api/v1/lists/needs/suggestions", authz.ListRead, a.h(a.needSuggestions)),
		authz.NewRoute("GET /api/v1/lists/needs/{id}", authz.ListRead, a.h(a.getNeed)),
		authz.NewRoute("POST /api/v1/lists/needs/{id}/status", authz.ListWrite, a.h(a.setNeedStatus)),
		authz.NewRoute("GET /api/v1/lists/needs/{id}/matches", authz.ListRead, a.h(a.needMatches)),
		authz.NewRoute("GET /api/v1/lists/resources", authz.ListRead, a.h(a.listResources)),
		authz.NewRoute("POST /api/v1/lists/resources", authz.ListWrite, a.h(a.createResource)),
		authz.NewRoute("GET /api/v1/lists/resources/{id}", authz.ListRead, a.h(a.getResource)),
		authz.NewRoute("POST /api/v1/lists/resources/{id}/status", authz.ListWrite, a.h(a.setResourceStatus)),
		authz.NewRoute("GET /api/v1/lists/projects", authz.ListProjectRead, a.h(a.listProjects)),
		authz.NewRoute("POST /api/v1/lists/projects", authz.ListWrite, a.h(a.proposeProject)),
		authz.NewRoute("GET /api/v1/lists/projects/{id}", authz.ListProjectRead, a.h(a.getProject)),
		authz.NewRoute("POST /api/v1/lists/projects/{id}/approval", authz.ListApprove, a.h(a.approveProject)),
		authz.NewRoute("POST /api/v1/lists/projects/{id}/transitions", authz.ListWrite, a.h(a.transitionProject)),
		authz.NewRoute("POST /api/v1/lists/projects/{id}/milestones", authz.ListWrite, a.h(a.addMilestone)),
		authz.NewRoute("POST /api/v1/lists/projects/{id}/milestone-ticks", authz.ListWrite, a.h(a.tickMilestone)),

		// partymember
		authz.NewRoute("GET /api/v1/party/members", authz.PartyMemberRead, a.h(a.listMembers)),
		authz.NewRoute("POST /api/v1/party/members", authz.PartyMemberWrite, a.h(a.createMember)),
		authz.NewRoute("GET /api/v1/party/members/me", authz.PartySelf, a.h(a.myMember)),
		authz.NewRoute("GET /api/v1/party/members/{id}", authz.PartyMemberRead, a.h(a.getMember)),
		authz.NewRoute("PATCH /api/v1/party/members/{id}", authz.PartyMemberWrite, a.h(a.updateMember)),
		authz.NewRoute("POST /api/v1/party/members/{id}/convert", authz.PartyMemberWrite, a.h(a.convertMember)),
		authz.NewRoute("GET /api/v1/party/members/{id}/history", authz.PartyMemberRead, a.h(a.memberHistory)),
		authz.NewRoute("POST /api/v1/party/members/{id}/transfers", authz.PartyMemberWrite, a.h(a.requestTransfer)),
		authz.NewRoute("GET /api/v1/party/transfers", authz.PartyMemberRead, a.h(a.listTransfers)),
		authz.NewRoute("POST /api/v1/party/transfers/import", authz.PartyMemberWrite, a.h(a.importTransfer)),
		authz.NewRoute("GET /api/v1/party/transfers/{id}", authz.PartyMemberRead, a.h(a.getTransfer)),
		authz.NewRoute("POST /api/v1/party/transfers/{id}/accept", authz.PartyMemberWrite, a.h(a.decideTransfer(true))),
		authz.NewRoute("POST /api/v1/party/transfers/{id}/reject", authz.PartyMemberWrite, a.h(a.decideTransfer(false))),
		authz.NewRoute("GET /api/v1/party/transfers/{id}/file", authz.PartyMemberWrite, a.h(a.transferFile)),
		authz.NewRoute("GET /api/v1/party/transfer-keys", authz.PartyOrgWrite, a.h(a.transferKeys)),
		authz.NewRoute("POST /api/v1/party/transfer-keys", authz.PartyOrgWrite, a.h(a.trustTransferKey)),
		authz.NewRoute("POST /api/v1/party/transfer-keys/{id}/retire", authz.PartyOrgWrite, a.h(a.retireTransferKey)),
		// partydues: dues (党费)
		authz.NewRoute("GET /api/v1/party/dues", authz.PartyDuesRead, a.h(a.duesSummary)),
		authz.NewRoute("GET /api/v1/party/dues/members", authz.PartyDuesRead, a.h(a.duesMembers)),
		authz.NewRoute("GET /api/v1/party/dues/statement", authz.PartyDuesRead, a.h(a.duesStatement)),
		authz.NewRoute("GET /api/v1/party/dues/members/{id}", authz.PartyDuesRead, a.h(a.memberDues)),
		authz.NewRoute("POST /api/v1/party/dues/members/{id}/payments", authz.PartyDuesWrite, a.h(a.recordDuesPayment)),
		authz.NewRoute("PUT /api/v1/party/dues/members/{id}/income", authz.PartyDuesWrite, a.h(a.declareIncome)),
		authz.NewRoute("GET /api/v1/party/dues/me", authz.PartySelf, a.h(a.myDues)),
		// partyorg
		authz.NewRoute("GET /api/v1/party/orgs", authz.PartyOrgRead, a.h(a.listOrgs)),
		authz.NewRoute("POST /api/v1/party/orgs", authz.PartyOrgWrite, a.h(a.createOrg)),
		authz.NewRoute("GET /api/v1/party/orgs/{id}", authz.PartyOrgRead, a.h(a.getOrg)),
		authz.NewRoute("PATCH /api/v1/party/orgs/{id}", authz.PartyOrgWrite, a.h(a.updateOrg)),
		authz.NewRoute("POST /api/v1/party/orgs/{id}/merge", authz.PartyOrgWrite, a.h(a.mergeOrg)),
		authz.NewRoute("POST /api/v1/party/orgs/{id}/dissolve", authz.PartyOrgWrite, a.h(a.dissolveOrg)),
		authz.NewRoute("GET /api/v1/party/orgs/{id}/history", authz.PartyOrgRead, a.h(a.orgHistory)),
		authz.NewRoute("GET /api/v1/party/orgs/{id}/posts", authz.PartyOrgRead, a.h(a.orgPosts)),
		authz.NewRoute("POST /api/v1/party/orgs/{id}/posts", authz.PartyOrgWrite, a.h(a.createPost)),
		authz.NewRoute("GET /api/v1/party/orgs/{id}/terms", authz.PartyOrgRead, a.h(a.orgTerms)),
		// space: each org's online space (网缘)
		authz.NewRoute("GET /api/v1/party/orgs/{id}/notices", authz.PartySpaceRead, a.h(a.listOrgNotices)),
		authz.NewRoute("POST /api/v1/party/orgs/{id}/notices", authz.PartySpaceModerate, a.h(a.publishOrgNotice)),
		authz.NewRoute("GET /api/v1/party/orgs/{id}/threads", authz.PartySpaceRead, a.h(a.listThreads)),
		authz.NewRoute("POST /api/v1/party/orgs/{id}/threads", authz.PartySpaceWrite, a.h(a.openThread)),
		authz.NewRoute("GET /api/v1/party/orgs/{id}/files", authz.PartySpaceRead, a.h(a.listSpaceFiles)),
		authz.NewRoute("POST /api/v1/party/orgs/{id}/files", authz.PartySpaceWrite, a.h(a.shareFile)),
		authz.NewRoute("GET /api/v1/party/space/notices/{id}", authz.PartySpaceRead, a.h(a.getOrgNotice)),
		authz.NewRoute("GET /api/v1/party/space/threads/{id}", authz.PartySpaceRead, a.h(a.getThread)),
		authz.NewRoute("POST /api/v1/party/space/threads/{id}/replies", authz.PartySpaceWrite, a.h(a.replyThread)),
		authz.NewRoute("POST /api/v1/party/space/posts/{id}/hide", authz.PartySpaceModerate, a.h(a.hidePost)),
		authz.NewRoute("GET /api/v1/party/space/files/{id}", authz.PartySpaceRead, a.h(a.downloadFile)),
		authz.NewRoute("POST /api/v1/party/space/files/{id}/withdraw", authz.PartySpaceModerate, a.h(a.withdrawFile)),
		authz.NewRoute("POST /api/v1/party/orgs/{id}/terms", authz.PartyOrgWrite, a.h(a.createTerm)),
		authz.NewRoute("GET /api/v1/party/orgs/generator", authz.PartyOrgWrite, a.h(a.previewGenerator)),
		authz.NewRoute("POST /api/v1/party/orgs/generator", authz.PartyOrgWrite, a.h(a.runGenerator)),
		authz.NewRoute("GET /api/v1/party/orgs/generator/runs", authz.PartyOrgWrite, a.h(a.listGeneratorRuns)),
		authz.NewRoute("GET /api/v1/party/orgs/generator/runs/{id}", authz.PartyOrgWrite, a.h(a.getGeneratorRun)),
		authz.NewRoute("POST /api/v1/party/orgs/generator/runs/{id}/undo", authz.PartyOrgWrite, a.h(a.undoGeneratorRun)),
		// unitform: joint-building units (联建单元), their proposals and later changes
		authz.NewRoute("GET /api/v1/units", authz.UnitRead, a.h(a.listUnits)),
		authz.NewRoute("GET /api/v1/units/{id}", authz.UnitRead, a.h(a.getUnit)),
		authz.NewRoute("GET /api/v1/units/suggestions", authz.UnitWrite, a.h(a.unitSuggestions)),
		authz.NewRoute("POST /api/v1/units/{id}/households", authz.UnitWrite, a.h(a.addUnitHousehold)),
		authz.NewRoute("POST /api/v1/units/{id}/merge", authz.UnitWrite, a.h(a.mergeUnit)),
		authz.NewRoute("POST /api/v1/units/{id}/split", authz.UnitWrite, a.h(a.splitUnit)),
		authz.NewRoute("POST /api/v1/units/{id}/dissolve", authz.UnitWrite, a.h(a.dissolveUnit)),
		authz.NewRoute("GET /api/v1/units/proposals", authz.UnitWrite, a.h(a.listProposals)),
		authz.NewRoute("POST /api/v1/units/proposals", authz.UnitWrite, a.h(a.createProposal)),
		authz.NewRoute("GET /api/v1/unit-proposals/{id}", authz.UnitWrite, a.h(a.getProposal)),
		authz.NewRoute("POST /api/v1/unit-proposals/{id}/moves", authz.UnitWrite, a.h(a.adjustProposal("move"))),
		authz.NewRoute("POST /api/v1/unit-proposals/{id}/merges", authz.UnitWrite, a.h(a.adjustProposal("merge"))),
		authz.NewRoute("POST /api/v1/unit-proposals/{id}/splits", authz.UnitWrite, a.h(a.adjustProposal("split"))),
		authz.NewRoute("POST /api/v1/unit-proposals/{id}/renames", authz.UnitWrite, a.h(a.adjustProposal("rename"))),
		authz.NewRoute("POST /api/v1/unit-proposals/{id}/confirm", authz.UnitWrite, a.h(a.confirmProposal)),
		authz.NewRoute("POST /api/v1/unit-proposals/{id}/discard", authz.UnitWrite, a.h(a.discardProposal)),
		// unitlead: electing and appointing unit leaders (issue 9 item 2)
		authz.NewRoute("GET /api/v1/units/{id}/elections", authz.UnitElectionRead, a.h(a.listUnitElections)),
		authz.NewRoute("POST /api/v1/units/{id}/elections", authz.UnitElectionWrite, a.h(a.openUnitElection)),
		authz.NewRoute("POST /api/v1/units/{id}/leader", authz.UnitElectionWrite, a.h(a.appointUnitLeader)),
		authz.NewRoute("GET /api/v1/unit-elections/{id}", authz.UnitElectionRead, a.h(a.getUnitElection)),
		authz.NewRoute("POST /api/v1/unit-elections/{id}/votes", authz.UnitVote, a.h(a.vote(false))),
		authz.NewRoute("POST /api/v1/unit-elections/{id}/proxy-votes", authz.UnitElectionWrite, a.h(a.vote(true))),
		authz.NewRoute("POST /api/v1/unit-elections/{id}/close", authz.UnitElectionWrite, a.h(a.closeUnitElection)),
		// unitact: the units' five joint activities and coverage (issue 9 items 5, 6)
		authz.NewRoute("GET /api/v1/units/{id}/activities", authz.UnitActivityRead, a.h(a.listUnitActivities)),
		authz.NewRoute("POST /api/v1/units/{id}/activities", authz.UnitActivityWrite, a.h(a.recordUnitActivity)),
		authz.NewRoute("GET /api/v1/activities", authz.UnitActivityRead, a.h(a.listActivityRecords)),
		authz.NewRoute("GET /api/v1/activities/{id}", authz.UnitActivityRead, a.h(a.getActivityRecord)),
		authz.NewRoute("GET /api/v1/activities/{id}/photos/{n}", authz.UnitActivityRead, a.h(a.activityPhoto)),
		authz.NewRoute("POST /api/v1/activities/{id}/case", authz.UnitActivityWrite, a.h(a.moveHardshipCase)),
		authz.NewRoute("GET /api/v1/units/coverage", authz.UnitCoverageRead, a.h(a.unitCoverage)),
		authz.NewRoute("GET /api/v1/units/attention", authz.UnitCoverageRead, a.h(a.unitsNeedingAttention)),
		// register
		authz.NewRoute("GET /api/v1/organizations", authz.OrganizationRead, a.h(a.listOrganizations)),
		authz.NewRoute("POST /api/v1/organizations", authz.OrganizationWrite, a.h(a.createOrganization)),
		authz.NewRoute("GET /api/v1/organizations/{id}", authz.OrganizationRead, a.h(a.getOrganization)),
		authz.NewRoute("PATCH /api/v1/organizations/{id}", authz.OrganizationWrite, a.h(a.updateOrganization)),
		authz.NewRoute("PATCH /api/v1/organizations/{id}/contact", authz.OrganizationOwn, a.h(a.updateOrganizationContact)),
		authz.NewRoute("POST /api/v1/organizations/{id}/report", authz.OrganizationWrite, a.h(a.reportOrganization)),
		authz.NewRoute("POST /api/v1/organizations/{id}/deactivate", authz.OrganizationWrite, a.h(a.setOrganizationActive(false))),
		authz.NewRoute("POST /api/v1/organizations/{id}/reactivate", authz.OrganizationWrite, a.h(a.setOrganizationActive(true))),
		authz.NewRoute("GET /api/v1/organizations/{id}/history", authz.OrganizationRead, a.h(a.organizationHistory)),
		authz.NewRoute("GET /api/v1/me/teams", authz.SubjectSelf, a.h(a.listMyTeams)),
		authz.NewRoute("POST /api/v1/me/teams/{id}/join", authz.SubjectSelf, a.h(a.joinTeam(true))),
		authz.NewRoute("POST /api/v1/me/teams/{id}/leave", authz.SubjectSelf, a.h(a.joinTeam(false))),
		// partystudy: study (先进性教育) and the development pipeline (发展党员)
		authz.NewRoute("GET /api/v1/party/courses", authz.PartyCourseRead, a.h(a.listCourses)),
		authz.NewRoute("POST /api/v1/party/courses", authz.PartyCourseWrite, a.h(a.createCourse)),
		authz.NewRoute("GET /api/v1/party/courses/{id}", authz.PartyCourseRead, a.h(a.getCourse)),
		authz.NewRoute("PATCH /api/v1/party/courses/{id}", authz.PartyCourseWrite, a.h(a.updateCourse)),
		authz.NewRoute("POST /api/v1/party/courses/{id}/lessons", authz.PartyCourseWrite, a.h(a.addLesson)),
		authz.NewRoute("POST /api/v1/party/courses/{id}/questions", authz.PartyCourseWrite, a.h(a.addQuestion)),
		authz.NewRoute("GET /api/v1/party/courses/{id}/assignments", authz.PartyCourseRead, a.h(a.listAssignments)),
		authz.NewRoute("POST /api/v1/party/courses/{id}/assignments", authz.PartyCourseWrite, a.h(a.assignCourse)),
		authz.NewRoute("GET /api/v1/party/courses/{id}/progress", authz.PartyCourseRead, a.h(a.courseProgress)),
		authz.NewRoute("GET /api/v1/party/me/courses", authz.PartySelf, a.h(a.myCourses)),
		authz.NewRoute("GET /api/v1/party/me/courses/{id}", authz.PartySelf, a.h(a.myCourse)),
		authz.NewRoute("POST /api/v1/party/me/courses/{id}/read", authz.PartySelf, a.h(a.readLesson)),
		authz.NewRoute("POST /api/v1/party/me/courses/{id}/attempts", authz.PartySelf, a.h(a.submitAttempt)),
		authz.NewRoute("GET /api/v1/party/development", authz.PartyDevelopmentRead, a.h(a.listCandidates)),
		authz.NewRoute("POST /api/v1/party/development", authz.PartyDevelopmentWrite, a.h(a.createCandidate)),
		authz.NewRoute("GET /api/v1/party/development/{id}", authz.PartyDevelopmentRead, a.h(a.getCandidate)),
		authz.NewRoute("POST /api/v1/party/development/{id}/documents", authz.PartyDevelopmentWrite, a.h(a.recordDocument)),
		authz.NewRoute("POST /api/v1/party/development/{id}/advance", authz.PartyDevelopmentWrite, a.h(a.advanceCandidate)),

		// unitduty: the duty rotation of joint-building units, its calendar feeds, notifications
		authz.NewRoute("GET /api/v1/units/{id}/duty", authz.UnitDutyRead, a.h(a.getUnitDuty)),
		authz.NewRoute("POST /api/v1/units/{id}/duty/generate", authz.UnitDutyWrite, a.h(a.generateUnitDuty)),
		authz.NewRoute("POST /api/v1/units/{id}/duty/exemptions", authz.UnitDutyWrite, a.h(a.addExemption)),
		authz.NewRoute("DELETE /api/v1/duty/exemptions/{id}", authz.UnitDutyWrite, a.h(a.liftExemption)),
		authz.NewRoute("GET /api/v1/units/{id}/duty/swaps", authz.UnitDutyRead, a.h(a.listSwaps)),
		authz.NewRoute("POST /api/v1/units/{id}/duty/swaps", authz.UnitDutySelf, a.h(a.requestSwap)),
		authz.NewRoute("POST /api/v1/duty/swaps/{id}/consent", authz.UnitDutySelf, a.h(a.decideSwap(true))),
		authz.NewRoute("POST /api/v1/duty/swaps/{id}/decline", authz.UnitDutySelf, a.h(a.decideSwap(false))),
		authz.NewRoute("GET /api/v1/units/{id}/duty/checklist", authz.UnitDutyRead, a.h(a.getMonthChecklist)),
		authz.NewRoute("POST /api/v1/units/{id}/duty/checklist/ticks", authz.UnitDutyTick, a.h(a.tickChecklist)),
		authz.NewRoute("GET /api/v1/territories/{id}/duty-checklist", authz.UnitDutyChecklist, a.h(a.getChecklist)),
		authz.NewRoute("PUT /api/v1/territories/{id}/duty-checklist", authz.UnitDutyChecklist, a.h(a.putChecklist)),
		authz.NewRoute("GET /api/v1/units/{id}/duty.ics", authz.UnitDutyRead, a.h(a.unitDutyICS)),
		authz.NewRoute("GET /api/v1/households/{id}/duty.ics", authz.UnitDutyRead, a.h(a.householdDutyICS)),
		authz.NewRoute("POST /api/v1/units/{id}/duty/feed-tokens", authz.UnitDutyRead, a.h(a.createFeedToken)),
		authz.NewRoute("DELETE /api/v1/duty/feed-tokens/{id}", authz.UnitDutyRead, a.h(a.revokeFeedToken)),
		authz.NewRoute("GET /feeds/duty/{file}", authz.Public, a.h(a.feedByToken)),
		authz.NewRoute("GET /api/v1/notifications", authz.LoggedIn, a.h(a.listNotifications)),
		authz.NewRoute("POST /api/v1/notifications/{id}/read", authz.LoggedIn, a.h(a.readNotification)),

		// events: live updates of what the caller is part of (Server-Sent Events)
		authz.NewRoute("GET /api/v1/events", authz.LoggedIn, a.h(a.streamEvents)),

		// orders: volunteer service by orders (issue 10)
		authz.NewRoute("GET /api/v1/orders", authz.OrderRead, a.h(a.listOrders)),
		authz.NewRoute("POST /api/v1/orders", authz.OrderPlace, a.h(a.placeOrder)),
		authz.NewRoute("GET /api/v1/orders/{id}", authz.OrderRead, a.h(a.getOrder)),
		authz.NewRoute("GET /api/v1/orders/{id}/photos/{n}", authz.OrderRead, a.h(a.orderPhoto)),
		authz.NewRoute("POST /api/v1/orders/{id}/claim", authz.OrderWork, a.h(a.claimOrder)),
		authz.NewRoute("POST /api/v1/orders/{id}/transitions", authz.OrderWork, a.h(a.transitionOrder)),
		authz.NewRoute("GET /api/v1/orders/{id}/suggestions", authz.OrderRead, a.h(a.suggestTakers)),
		authz.NewRoute("GET /api/v1/orders/stats", authz.OrderStats, a.h(a.orderStats)),
		authz.NewRoute("GET /api/v1/orders/categories", authz.OrderRead, a.h(a.listOrderCategories)),
		authz.NewRoute("POST /api/v1/orders/categories", authz.OrderAdmin, a.h(a.createOrderCategory)),
		authz.NewRoute("PUT /api/v1/orders/categories/{id}", authz.OrderAdmin, a.h(a.updateOrderCategory)),
		authz.NewRoute("GET /api/v1/orders/takers", authz.OrderAdmin, a.h(a.listOrderTakers)),
		authz.NewRoute("POST /api/v1/orders/takers", authz.OrderAdmin, a.h(a.registerOrderTaker)),

		authz.NewRoute("/api/", authz.Public, a.h(a.notFound)),
	}
}

// Deny answers requests the policy refused with problem+json.
func (a *API) Deny(w http.ResponseWriter, r *http.Request, err error) { writeProblem(a.log, w, r, err) }

func (a *API) notFound(w http.ResponseWriter, r *http.Request) error {
	return errNoRoute
}
