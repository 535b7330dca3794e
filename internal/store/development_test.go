package store_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

func daysAgo(n int) string {
	return time.Now().In(model.Shanghai).AddDate(0, 0, -n).Format(time.DateOnly)
}

func firstField(err error) string {
	var ve *model.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) == 0 {
		return ""
	}
	return ve.Fields[0].Field
}

func mustDocs(t *testing.T, st *store.Store, sc authz.Scope, id int64, on string, docs ...model.DocKind) {
	t.Helper()
	for _, d := range docs {
		if _, err := st.RecordDocument(context.Background(), sc, id, model.DocumentInput{Doc: d, RecordedOn: on}); err != nil {
			t.Fatalf("record %s: %v", d, err)
		}
	}
}

// The pipeline from application to full membership: each rule refuses with nothing changed, and
// admission adds the roster row and the resident's political status in one transaction.
func TestDevelopmentPipeline(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustStudyFixture(t, st)
		h := mustHousehold(t, st, f.tr.stairwell, "1栋1单元301", model.ResidentInput{Name: "赵积极", IDNumber: validID("510781", "19950304", 21), Relation: model.RelationHead})
		p, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: h.ID})
		if err != nil || len(p.Items) != 1 {
			t.Fatal(err)
		}
		res := p.Items[0]
		probationary := mustMember(t, st, f.branch, f.tr.grid, f.tr.community, "钱预备", "probationary", 0)

		// Applications from outside the scope, or twice, are refused.
		if _, err := st.CreateCandidate(ctx, f.admin2, model.CandidateInput{ResidentID: res.ID, OrgID: f.branch2, AppliedOn: daysAgo(1200)}); firstField(err) != "resident_id" {
			t.Fatalf("application of a resident outside the scope: %v", err)
		}
		ca, err := st.CreateCandidate(ctx, f.admin1, model.CandidateInput{ResidentID: res.ID, OrgID: f.branch, AppliedOn: daysAgo(1200)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateCandidate(ctx, f.admin1, model.CandidateInput{ResidentID: res.ID, OrgID: f.branch, AppliedOn: daysAgo(10)}); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("second application: %v", err)
		}
		if !ca.HasDoc(model.DocApplication) || ca.Stage != model.StageApplication {
			t.Fatalf("new candidate = %+v", ca)
		}
		refuse := func(in model.AdvanceInput, field string) {
			t.Helper()
			before, _ := st.Candidate(ctx, f.admin1, ca.ID)
			if _, err := st.Advance(ctx, f.admin1, ca.ID, in); firstField(err) != field {
				t.Fatalf("advance %+v: %v, want an error on %s", in, err, field)
			}
			after, _ := st.Candidate(ctx, f.admin1, ca.ID)
			if after.Stage != before.Stage || !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Fatalf("a refused advance changed the candidate: %+v", after)
			}
		}
		// A stage skipped; documents missing.
		refuse(model.AdvanceInput{To: model.StageTarget, On: daysAgo(1000)}, "to")
		refuse(model.AdvanceInput{To: model.StageActivist, On: daysAgo(1000)}, "documents")
		mustDocs(t, st, f.admin1, ca.ID, daysAgo(1100), model.DocTalk, model.DocRecommendation)
		refuse(model.AdvanceInput{To: model.StageActivist, On: daysAgo(1300)}, "on") // before the application
		if ca, err = st.Advance(ctx, f.admin1, ca.ID, model.AdvanceInput{To: model.StageActivist, On: daysAgo(1000)}); err != nil {
			t.Fatal(err)
		}
		mustDocs(t, st, f.admin1, ca.ID, daysAgo(900), model.DocTraining, model.DocPolitical)
		// Less than a year as an activist.
		refuse(model.AdvanceInput{To: model.StageTarget, On: daysAgo(800)}, "on")
		if ca, err = st.Advance(ctx, f.admin1, ca.ID, model.AdvanceInput{To: model.StageTarget, On: daysAgo(600)}); err != nil {
			t.Fatal(err)
		}
		mustDocs(t, st, f.admin1, ca.ID, daysAgo(500), model.DocCourse, model.DocVolunteer, model.DocResolution)
		// Sponsors: missing, a probationary member, one outside the scope, the same twice.
		refuse(model.AdvanceInput{To: model.StageProbationary, On: daysAgo(500), Sponsor1ID: f.member}, "sponsor2_id")
		refuse(model.AdvanceInput{To: model.StageProbationary, On: daysAgo(500), Sponsor1ID: f.member, Sponsor2ID: probationary}, "sponsor2_id")
		refuse(model.AdvanceInput{To: model.StageProbationary, On: daysAgo(500), Sponsor1ID: f.other, Sponsor2ID: f.member}, "sponsor1_id")
		refuse(model.AdvanceInput{To: model.StageProbationary, On: daysAgo(500), Sponsor1ID: f.member, Sponsor2ID: f.member}, "sponsor2_id")
		ca, err = st.Advance(ctx, f.admin1, ca.ID, model.AdvanceInput{To: model.StageProbationary, On: daysAgo(500), Sponsor1ID: f.member, Sponsor2ID: f.member2})
		if err != nil {
			t.Fatal(err)
		}
		if ca.MemberID == 0 || ca.Sponsor1Name != "李学习" || ca.Sponsor2Name != "张未学" {
			t.Fatalf("admitted = %+v", ca)
		}
		agree := func(wantMember, wantResident string) {
			t.Helper()
			var status, political string
			if err := st.DB().QueryRow(`SELECT m.status, r.political_status FROM party_members m JOIN residents r ON r.id = m.resident_id WHERE m.id = `+strconv.FormatInt(ca.MemberID, 10)).Scan(&status, &political); err != nil {
				t.Fatal(err)
			}
			if status != wantMember || political != wantResident {
				t.Fatalf("roster %s, resident %s; want %s and %s", status, political, wantMember, wantResident)
			}
		}
		agree("probationary", "probationary")
		// One year of probation; conversion needs its documents.
		refuse(model.AdvanceInput{To: model.StageFull, On: daysAgo(200)}, "on")
		refuse(model.AdvanceInput{To: model.StageFull, On: daysAgo(100)}, "documents")
		mustDocs(t, st, f.admin1, ca.ID, daysAgo(120), model.DocConversion, model.DocConvResolution)
		if ca, err = st.Advance(ctx, f.admin1, ca.ID, model.AdvanceInput{To: model.StageFull, On: daysAgo(100)}); err != nil {
			t.Fatal(err)
		}
		agree("full", "party_member")
		refuse(model.AdvanceInput{To: model.StageFull, On: daysAgo(1)}, "to")
		ev, err := st.CandidateEvents(ctx, f.admin1, ca.ID)
		if err != nil || len(ev) != 1+2+1+2+1+3+1+2+1 {
			t.Fatalf("history: %d events, %v", len(ev), err)
		}
		if _, err := st.Candidate(ctx, f.admin2, ca.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("candidate from another community: %v", err)
		}
	})
}

// Reminders: an activist whose year is over is due to become a development target.
func TestStageDue(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 12, 1, 0, 0, 0, 0, model.Shanghai)
	act := time.Date(2025, 12, 20, 0, 0, 0, 0, time.UTC)
	c := &model.Candidate{Stage: model.StageActivist, ActivistOn: &act, Status: "active"}
	d, ok := model.DueOf(c, today)
	if !ok || !d.Soon || d.Overdue || d.Next != model.StageTarget || d.Due.Format(time.DateOnly) != "2026-12-20" {
		t.Fatalf("due = %+v, %v", d, ok)
	}
	c.Stage = model.StageApplication
	if _, ok := model.DueOf(c, today); ok {
		t.Fatal("an application has no rule date")
	}
}

// TestAdmissionThroughRoster: admitting a development target as a probationary member goes
// through the roster's own create: the composition analytics (maintained counts) and the org's
// member count go up by one, the new row is probationary and in the candidate's category, and
// the resident's political status says probationary; a rebuild of the counts agrees.
func TestAdmissionThroughRoster(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustStudyFixture(t, st)
		h := mustHousehold(t, st, f.tr.stairwell, "1栋1单元302", model.ResidentInput{Name: "孙发展", IDNumber: validID("510781", "19960506", 31), Relation: model.RelationHead})
		p, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: h.ID})
		if err != nil || len(p.Items) != 1 {
			t.Fatal(err)
		}
		res := p.Items[0]
		ca, err := st.CreateCandidate(ctx, f.admin1, model.CandidateInput{ResidentID: res.ID, OrgID: f.branch, AppliedOn: daysAgo(1200)})
		if err != nil {
			t.Fatal(err)
		}
		mustDocs(t, st, f.admin1, ca.ID, daysAgo(1100), model.DocTalk, model.DocRecommendation)
		if _, err = st.Advance(ctx, f.admin1, ca.ID, model.AdvanceInput{To: model.StageActivist, On: daysAgo(1000)}); err != nil {
			t.Fatal(err)
		}
		mustDocs(t, st, f.admin1, ca.ID, daysAgo(900), model.DocTraining, model.DocPolitical)
		if _, err = st.Advance(ctx, f.admin1, ca.ID, model.AdvanceInput{To: model.StageTarget, On: daysAgo(600)}); err != nil {
			t.Fatal(err)
		}
		mustDocs(t, st, f.admin1, ca.ID, daysAgo(500), model.DocCourse, model.DocVolunteer, model.DocResolution)

		bucket := func(a *model.PartyAnalytics, value string) int64 {
			for _, b := range a.Status {
				if b.Value == value {
					return b.N
				}
			}
			return 0
		}
		counts := func() (registered, probationary, inWork, orgMembers int64) {
			t.Helper()
			a, err := st.MemberAnalytics(ctx, f.admin1, f.branch, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range a.Category {
				if b.Value == string(model.CategoryInWork) {
					inWork = b.N
				}
			}
			o, err := st.Org(ctx, authz.System(), f.branch)
			if err != nil {
				t.Fatal(err)
			}
			return a.Registered, bucket(a, "probationary"), inWork, o.Members
		}
		if err := st.RebuildMemberCounts(ctx); err != nil { // the fixture's members are written raw
			t.Fatal(err)
		}
		reg0, prob0, work0, org0 := counts()
		political := func() model.PoliticalStatus {
			t.Helper()
			r, err := st.Resident(ctx, authz.System(), res.ID)
			if err != nil {
				t.Fatal(err)
			}
			return r.PoliticalStatus
		}
		if got := political(); got == model.StatusProbationary {
			t.Fatalf("the resident is probationary before admission")
		}

		ca, err = st.Advance(ctx, f.admin1, ca.ID, model.AdvanceInput{To: model.StageProbationary, On: daysAgo(500), Sponsor1ID: f.member, Sponsor2ID: f.member2})
		if err != nil {
			t.Fatal(err)
		}
		reg1, prob1, work1, org1 := counts()
		if reg1 != reg0+1 || prob1 != prob0+1 || work1 != work0+1 || org1 != org0+1 {
			t.Errorf("counts after admission: registered %d→%d, probationary %d→%d, in work %d→%d, org %d→%d; want each +1", reg0, reg1, prob0, prob1, work0, work1, org0, org1)
		}
		if got := political(); got != model.StatusProbationary {
			t.Errorf("resident's political status = %q, want probationary", got)
		}
		m, err := st.Member(ctx, authz.System(), ca.MemberID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != model.MemberProbationary || m.ResidentID != res.ID || m.Name != "孙发展" || m.Category != model.CategoryInWork || m.JoinedOn.Format("2006-01-02") != daysAgo(500) {
			t.Errorf("roster row = %+v", m)
		}
		// The maintained counts are what a rebuild from the roster gives.
		if err := st.RebuildMemberCounts(ctx); err != nil {
			t.Fatal(err)
		}
		if reg2, prob2, work2, _ := counts(); reg2 != reg1 || prob2 != prob1 || work2 != work1 {
			t.Errorf("rebuilt counts %d/%d/%d, maintained %d/%d/%d", reg2, prob2, work2, reg1, prob1, work1)
		}
	})
}
