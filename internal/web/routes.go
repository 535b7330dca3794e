package web

import (
	"net/http"

	"gongzhi/internal/authz"
)

// Routes is the pages' route table: every route names the action of the policy table it takes;
// the guard in front of it answers 401 and 403 through Deny, the store narrows to the scope.
func (wb *Web) Routes() []authz.Route {
	return []authz.Route{
		authz.NewRoute("GET /static/{name}", authz.Public, http.HandlerFunc(wb.static)),
		authz.NewRoute("GET /sw.js", authz.Public, http.HandlerFunc(wb.serviceWorker)),
		authz.NewRoute("GET /login", authz.Public, wb.h(wb.loginForm)),
		authz.NewRoute("POST /login", authz.Public, wb.h(wb.login)),
		authz.NewRoute("POST /login/otp", authz.Public, wb.h(wb.loginOTP)),
		authz.NewRoute("POST /logout", authz.LoggedIn, wb.h(wb.logout)),

		authz.NewRoute("GET /{$}", authz.LoggedIn, wb.h(wb.home)),
		authz.NewRoute("GET /services", authz.LoggedIn, wb.h(wb.services)),
		authz.NewRoute("GET /messages", authz.LoggedIn, wb.h(wb.messages)),
		authz.NewRoute("GET /me", authz.LoggedIn, wb.h(wb.me)),
		authz.SessionRoute("GET /me/password", authz.LoggedIn, wb.h(wb.passwordForm)),
		authz.SessionRoute("POST /me/password", authz.LoggedIn, wb.h(wb.changePassword)),
		authz.SessionRoute("GET /me/tokens", authz.TokenOwn, wb.h(wb.tokens)),
		authz.SessionRoute("POST /me/tokens", authz.TokenOwn, wb.h(wb.createToken)),
		authz.SessionRoute("POST /me/tokens/{id}/revoke", authz.TokenOwn, wb.h(wb.revokeToken)),
		authz.NewRoute("GET /users", authz.UserAdmin, wb.h(wb.users)),
		authz.NewRoute("POST /users", authz.UserAdmin, wb.h(wb.createUser)),
		authz.NewRoute("GET /users/{id}", authz.UserAdmin, wb.h(wb.userEdit)),
		authz.NewRoute("POST /users/{id}", authz.UserAdmin, wb.h(wb.updateUser)),
		authz.NewRoute("POST /users/{id}/{action}", authz.UserAdmin, wb.h(wb.userAction)),

		authz.NewRoute("GET /territories", authz.TerritoryRead, wb.h(wb.territoryRoots)),
		authz.NewRoute("POST /territories", authz.TerritoryWrite, wb.h(wb.createRoot)),
		authz.NewRoute("GET /territories/{id}", authz.TerritoryRead, wb.h(wb.territory)),
		authz.NewRoute("POST /territories/{id}/children", authz.TerritoryWrite, wb.h(wb.addChild)),
		authz.NewRoute("POST /territories/{id}/rename", authz.TerritoryWrite, wb.h(wb.renameTerritory)),
		authz.NewRoute("POST /territories/{id}/move", authz.TerritoryWrite, wb.h(wb.moveTerritory)),
		authz.NewRoute("GET /territories/{id}/archive", authz.TerritoryWrite, wb.h(wb.archiveConfirm)),
		authz.NewRoute("POST /territories/{id}/archive", authz.TerritoryWrite, wb.h(wb.archiveTerritory)),

		authz.NewRoute("GET /households", authz.HouseholdRead, wb.h(wb.households)),
		authz.NewRoute("GET /households/new", authz.HouseholdWrite, wb.h(wb.newHouseholdForm)),
		authz.NewRoute("POST /households/new", authz.HouseholdWrite, wb.h(wb.createHousehold)),
		authz.NewRoute("POST /households/export", authz.HouseholdImport, wb.h(wb.exportHouseholds)),
		authz.NewRoute("GET /households/export.xlsx", authz.HouseholdImport, wb.h(wb.downloadHouseholds)),
		authz.NewRoute("GET /households/{id}", authz.HouseholdRead, wb.h(wb.household)),
		authz.NewRoute("GET /households/{id}/edit", authz.HouseholdWrite, wb.h(wb.editHouseholdForm)),
		authz.NewRoute("POST /households/{id}/edit", authz.HouseholdWrite, wb.h(wb.editHousehold)),
		authz.NewRoute("GET /households/{id}/residents/new", authz.HouseholdWrite, wb.h(wb.newResidentForm)),
		authz.NewRoute("POST /households/{id}/residents/new", authz.HouseholdWrite, wb.h(wb.createResident)),
		authz.NewRoute("GET /households/{id}/move-out", authz.HouseholdWrite, wb.h(wb.moveOutForm)),
		authz.NewRoute("POST /households/{id}/move-out", authz.HouseholdWrite, wb.h(wb.moveOut)),

		authz.NewRoute("GET /residents", authz.HouseholdRead, wb.h(wb.residents)),
		authz.NewRoute("GET /residents/{id}/edit", authz.HouseholdWrite, wb.h(wb.editResidentForm)),
		authz.NewRoute("POST /residents/{id}/edit", authz.HouseholdWrite, wb.h(wb.editResident)),

		authz.NewRoute("GET /me/data", authz.SubjectSelf, wb.h(wb.myData)),
		authz.NewRoute("GET /me/data/export", authz.SubjectSelf, wb.h(wb.myDataExport)),
		authz.NewRoute("GET /me/corrections/new", authz.SubjectSelf, wb.h(wb.newCorrection)),
		authz.NewRoute("POST /me/corrections/new", authz.SubjectSelf, wb.h(wb.postCorrection)),
		authz.NewRoute("GET /corrections", authz.CorrectionHandle, wb.h(wb.corrections)),
		authz.NewRoute("GET /corrections/{id}", authz.CorrectionHandle, wb.h(wb.correction)),
		authz.NewRoute("POST /corrections/{id}/accept", authz.CorrectionHandle, wb.h(wb.acceptCorrection)),
		authz.NewRoute("POST /corrections/{id}/reject", authz.CorrectionHandle, wb.h(wb.rejectCorrection)),
		authz.NewRoute("GET /conflicts", authz.ConflictHandle, wb.h(wb.conflicts)),
		authz.NewRoute("GET /conflicts/{id}", authz.ConflictHandle, wb.h(wb.conflict)),
		authz.NewRoute("POST /conflicts/{id}/transfer", authz.ConflictHandle, wb.h(wb.transferConflict)),
		authz.NewRoute("POST /conflicts/{id}/reject", authz.ConflictHandle, wb.h(wb.rejectConflict)),

		// partyorg
		authz.NewRoute("GET /party/orgs", authz.PartyOrgRead, wb.h(wb.orgChart)),
		authz.NewRoute("GET /party/orgs/{id}", authz.PartyOrgRead, wb.h(wb.org)),
		authz.NewRoute("POST /party/orgs/{id}/rename", authz.PartyOrgWrite, wb.h(wb.orgForm("rename", "org_renamed", []string{"name"}, wb.renameOrg))),
		authz.NewRoute("POST /party/orgs/{id}/merge", authz.PartyOrgWrite, wb.h(wb.orgForm("merge", "org_merged", []string{"into_id"}, wb.mergeOrg))),
		authz.NewRoute("POST /party/orgs/{id}/dissolve", authz.PartyOrgWrite, wb.h(wb.orgForm("dissolve", "org_dissolved", []string{"reason"}, wb.dissolveOrg))),
		authz.NewRoute("POST /party/orgs/{id}/terms", authz.PartyOrgWrite, wb.h(wb.orgForm("term", "term_recorded", []string{"starts_on", "ends_on", "elected_on", "note"}, wb.recordTerm))),
		authz.NewRoute("POST /party/orgs/{id}/posts", authz.PartyOrgWrite, wb.h(wb.orgForm("post", "post_added", postFields, wb.addPost))),
		authz.NewRoute("GET /party/orgs/{id}/holders", authz.PartyOrgWrite, wb.h(wb.postHolders)),
		// space: each org's online space (网缘)
		authz.NewRoute("GET /party/orgs/{id}/space", authz.PartySpaceRead, wb.h(wb.space)),
		authz.NewRoute("POST /party/orgs/{id}/space/notices", authz.PartySpaceModerate, wb.h(wb.spaceForm("notices", "notice", "space_notice", []string{"title", "body"}, wb.publishNotice))),
		authz.NewRoute("POST /party/orgs/{id}/space/threads", authz.PartySpaceWrite, wb.h(wb.spaceForm("threads", "thread", "space_thread", []string{"title", "body"}, wb.openThread))),
		authz.NewRoute("POST /party/orgs/{id}/space/files", authz.PartySpaceWrite, wb.h(wb.shareFile)),
		authz.NewRoute("GET /party/space/threads/{id}", authz.PartySpaceRead, wb.h(wb.thread)),
		authz.NewRoute("POST /party/space/threads/{id}/replies", authz.PartySpaceWrite, wb.h(wb.replyThread)),
		authz.NewRoute("POST /party/space/posts/{id}/hide", authz.PartySpaceModerate, wb.h(wb.hidePost)),
		authz.NewRoute("GET /party/space/files/{id}", authz.PartySpaceRead, wb.h(wb.downloadSpaceFile)),
		authz.NewRoute("POST /party/space/files/{id}/withdraw", authz.PartySpaceModerate, wb.h(wb.withdrawSpaceFile)),
		authz.NewRoute("GET /party/generate", authz.PartyOrgWrite, wb.h(wb.generatorForm)),
		authz.NewRoute("POST /party/generate", authz.PartyOrgWrite, wb.h(wb.runGenerator)),
		authz.NewRoute("POST /party/generate/undo", authz.PartyOrgWrite, wb.h(wb.undoGenerator)),

		authz.NewRoute("GET /import", authz.HouseholdImport, wb.h(wb.importForm)),
		authz.NewRoute("POST /import", authz.HouseholdImport, wb.h(wb.importHouseholds)),
		authz.NewRoute("GET /import/template.xlsx", authz.HouseholdImport, wb.h(wb.importTemplate)),
		authz.NewRoute("GET /jobs", authz.JobOwn, wb.h(wb.myJobs)),
		authz.NewRoute("GET /jobs/{id}", authz.JobOwn, wb.h(wb.job)),
		authz.NewRoute("POST /jobs/{id}/cancel", authz.JobOwn, wb.h(wb.cancelJob)),
		authz.NewRoute("GET /jobs/{id}/file", authz.JobOwn, wb.h(wb.jobFile)),

		authz.NewRoute("GET /audit", authz.AuditRead, wb.h(wb.audit)),
		authz.NewRoute("POST /audit/verify", authz.AuditVerify, wb.h(wb.verifyAudit)),

		// partymember: the roster at a desk
		authz.NewRoute("GET /party/members", authz.PartyMemberRead, wb.h(wb.members)),
		authz.NewRoute("GET /party/members/new", authz.PartyMemberWrite, wb.h(wb.newMemberForm)),
		authz.NewRoute("POST /party/members/new", authz.PartyMemberWrite, wb.h(wb.createMemberPage)),
		authz.NewRoute("GET /party/members/import", authz.PartyMemberWrite, wb.h(wb.memberImportForm)),
		authz.NewRoute("POST /party/members/import", authz.PartyMemberWrite, wb.h(wb.importMembers)),
		authz.NewRoute("GET /party/members/import/template.xlsx", authz.PartyMemberWrite, wb.h(wb.memberImportTemplate)),
		authz.NewRoute("GET /party/members/{id}", authz.PartyMemberRead, wb.h(wb.member)),
		authz.NewRoute("GET /party/members/{id}/edit", authz.PartyMemberWrite, wb.h(wb.editMemberForm)),
		authz.NewRoute("POST /party/members/{id}/edit", authz.PartyMemberWrite, wb.h(wb.editMemberPage)),
		authz.NewRoute("POST /party/members/{id}/convert", authz.PartyMemberWrite, wb.h(wb.convertMemberPage)),
		authz.NewRoute("POST /party/members/{id}/transfer", authz.PartyMemberWrite, wb.h(wb.requestTransferPage)),
		authz.NewRoute("GET /party/transfers", authz.PartyMemberRead, wb.h(wb.transfers)),
		authz.NewRoute("POST /party/transfers/import", authz.PartyMemberWrite, wb.h(wb.importTransferPage)),
		authz.NewRoute("POST /party/transfer-keys", authz.PartyOrgWrite, wb.h(wb.trustTransferKeyPage)),
		authz.NewRoute("GET /party/transfers/{id}", authz.PartyMemberRead, wb.h(wb.transfer)),
		authz.NewRoute("POST /party/transfers/{id}/accept", authz.PartyMemberWrite, wb.h(wb.decideTransferPage(true))),
		authz.NewRoute("POST /party/transfers/{id}/reject", authz.PartyMemberWrite, wb.h(wb.decideTransferPage(false))),
		authz.NewRoute("GET /party/transfers/{id}/file", authz.PartyMemberWrite, wb.h(wb.transferFileDownload)),

		// partylife: organizational life, activities, points, my branch
		authz.NewRoute("GET /party/meetings", authz.PartyMeetingRead, wb.h(wb.meetings)),
		authz.NewRoute("GET /party/meetings/new", authz.PartyMeetingWrite, wb.h(wb.newMeetingForm)),
		authz.NewRoute("POST /party/meetings/new", authz.PartyMeetingWrite, wb.h(wb.createMeeting)),
		authz.NewRoute("GET /party/meetings/{id}", authz.PartyMeetingRead, wb.h(wb.meeting)),
		authz.NewRoute("POST /party/meetings/{id}/attendance", authz.PartyMeetingWrite, wb.h(wb.tickAttendance)),
		authz.NewRoute("POST /party/meetings/{id}/minutes", authz.PartyMeetingWrite, wb.h(wb.saveMinutes)),
		authz.NewRoute("POST /party/meetings/{id}/close", authz.PartyMeetingWrite, wb.h(wb.closeMeeting)),
		authz.NewRoute("GET /party/meetings/{id}/qr", authz.PartyMeetingWrite, wb.h(wb.meetingQR)),
		authz.NewRoute("GET /party/checkin", authz.PartyActivityJoin, wb.h(wb.checkin)),
		authz.NewRoute("POST /party/checkin", authz.PartyActivityJoin, wb.h(wb.postCheckin)),
		authz.NewRoute("GET /party/activities", authz.PartyActivityRead, wb.h(wb.activities)),
		authz.NewRoute("GET /party/activities/{id}", authz.PartyActivityRead, wb.h(wb.activity)),
		authz.NewRoute("POST /party/activities/{id}/signup", authz.PartyActivityJoin, wb.h(wb.signUp)),
		authz.NewRoute("GET /party/activities/{id}/qr", authz.PartyActivityWrite, wb.h(wb.activityQR)),
		authz.NewRoute("GET /party/points", authz.PartyPointsRead, wb.h(wb.points)),
		authz.NewRoute("GET /party/points/rules", authz.PartyPointsWrite, wb.h(wb.pointsRules)),
		authz.NewRoute("POST /party/points/rules", authz.PartyPointsWrite, wb.h(wb.savePointsRules)),
		authz.NewRoute("GET /party/points/members/{id}", authz.PartyPointsRead, wb.h(wb.pointsMember)),
		authz.NewRoute("POST /party/points/members/{id}/correct", authz.PartyPointsWrite, wb.h(wb.correctMemberPoints)),
		authz.NewRoute("GET /party/me", authz.PartySelf, wb.h(wb.myBranch)),
		// partydues: dues (党费)
		authz.NewRoute("GET /party/dues", authz.PartyDuesRead, wb.h(wb.dues)),
		authz.NewRoute("GET /party/analytics", authz.PartyAnalyticsRead, wb.h(wb.analytics)),
		authz.NewRoute("GET /party/dues/statement.xlsx", authz.PartyDuesRead, wb.h(wb.duesStatement)),
		authz.NewRoute("GET /party/dues/members/{id}/pay", authz.PartyDuesWrite, wb.h(wb.duesPayFormPage)),
		authz.NewRoute("POST /party/dues/members/{id}/pay", authz.PartyDuesWrite, wb.h(wb.recordDues)),
		// partystudy: study (先进性教育) and the development pipeline (发展党员)
		authz.NewRoute("GET /party/courses", authz.PartyCourseRead, wb.h(wb.courses)),
		authz.NewRoute("GET /party/courses/new", authz.PartyCourseWrite, wb.h(wb.newCourseForm)),
		authz.NewRoute("POST /party/courses/new", authz.PartyCourseWrite, wb.h(wb.createCourse)),
		authz.NewRoute("GET /party/courses/{id}", authz.PartyCourseRead, wb.h(wb.course)),
		authz.NewRoute("POST /party/courses/{id}/lessons", authz.PartyCourseWrite, wb.h(wb.addCourseLesson)),
		authz.NewRoute("POST /party/courses/{id}/questions", authz.PartyCourseWrite, wb.h(wb.addCourseQuestion)),
		authz.NewRoute("POST /party/courses/{id}/assign", authz.PartyCourseWrite, wb.h(wb.assignCoursePage)),
		authz.NewRoute("GET /party/study", authz.PartySelf, wb.h(wb.myStudy)),
		authz.NewRoute("GET /party/study/{id}", authz.PartySelf, wb.h(wb.studyCourse)),
		authz.NewRoute("POST /party/study/{id}/read", authz.PartySelf, wb.h(wb.readStudyLesson)),
		authz.NewRoute("POST /party/study/{id}/quiz", authz.PartySelf, wb.h(wb.submitStudyQuiz)),
		authz.NewRoute("GET /party/development", authz.PartyDevelopmentRead, wb.h(wb.development)),
		authz.NewRoute("GET /party/development/new", authz.PartyDevelopmentWrite, wb.h(wb.newCandidateForm)),
		authz.NewRoute("POST /party/development/new", authz.PartyDevelopmentWrite, wb.h(wb.createCandidate)),
		authz.NewRoute("GET /party/development/{id}", authz.PartyDevelopmentRead, wb.h(wb.candidate)),
		authz.NewRoute("POST /party/development/{id}/documents", authz.PartyDevelopmentWrite, wb.h(wb.recordCandidateDoc)),
		authz.NewRoute("POST /party/development/{id}/advance", authz.PartyDevelopmentWrite, wb.h(wb.advanceCandidate)),

		// Everything else is a page that does not exist, answered in the layout.
		// register
		authz.NewRoute("GET /organizations", authz.OrganizationRead, wb.h(wb.organizations)),
		authz.NewRoute("GET /organizations/new", authz.OrganizationWrite, wb.h(wb.newOrganizationForm)),
		authz.NewRoute("POST /organizations/new", authz.OrganizationWrite, wb.h(wb.createOrganization)),
		authz.NewRoute("GET /organizations/mine", authz.OrganizationOwn, wb.h(wb.myOrganization)),
		authz.NewRoute("POST /organizations/mine", authz.OrganizationOwn, wb.h(wb.saveMyOrganization)),
		authz.NewRoute("GET /organizations/{id}", authz.OrganizationRead, wb.h(wb.organization)),
		authz.NewRoute("GET /organizations/{id}/edit", authz.OrganizationWrite, wb.h(wb.editOrganizationForm)),
		authz.NewRoute("POST /organizations/{id}/edit", authz.OrganizationWrite, wb.h(wb.editOrganization)),
		authz.NewRoute("POST /organizations/{id}/report", authz.OrganizationWrite, wb.h(wb.reportOrganization)),
		authz.NewRoute("POST /organizations/{id}/deactivate", authz.OrganizationWrite, wb.h(wb.setOrganizationActive(false))),
		authz.NewRoute("POST /organizations/{id}/reactivate", authz.OrganizationWrite, wb.h(wb.setOrganizationActive(true))),
		authz.NewRoute("GET /me/teams", authz.SubjectSelf, wb.h(wb.myTeams)),
		authz.NewRoute("POST /me/teams/{id}/join", authz.SubjectSelf, wb.h(wb.joinTeam(true))),
		authz.NewRoute("POST /me/teams/{id}/leave", authz.SubjectSelf, wb.h(wb.joinTeam(false))),

		authz.NewRoute("/", authz.Public, wb.h(wb.notFound)),
	}
}

func (wb *Web) notFound(w http.ResponseWriter, r *http.Request) error {
	wb.errorPage(w, r, http.StatusNotFound, "")
	return nil
}
