package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestWorkerRoster: a worker from creation to coverage — who may add and read it (staff of its
// community, not of another, not a grid leader), the phone and ID number masked everywhere and
// full only through the audited reveal, the phone search, grids of its own community only with
// the households they cover, training hours summed, recruitment steps, the account linked once.
func TestWorkerRoster(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		staff := authz.ForUser(mustUser(t, st, "wstaff", model.RoleCommunityStaff, tr.community))
		other := authz.ForUser(mustUser(t, st, "wother", model.RoleCommunityStaff, tr.community2))
		grid := authz.ForUser(mustUser(t, st, "wgrid", model.RoleGridLeader, tr.grid))
		mustHousehold(t, st, tr.stairwell, "1栋1单元101室", model.ResidentInput{Name: "甲", IDNumber: validID("510781", "19600101", 1), Relation: model.RelationHead})
		mustHousehold(t, st, tr.stairwell, "1栋1单元102室", model.ResidentInput{Name: "乙", IDNumber: validID("510781", "19600101", 2), Relation: model.RelationHead})
		account := mustUser(t, st, "wli", model.RoleGridLeader, tr.grid)

		in := model.WorkerInput{CommunityID: tr.community.ID, Name: "李明", Position: "专职网格员", Qualification: model.QualAssistant,
			Phone: "13800138000", IDNumber: validID("510781", "19850101", 7), HiredOn: "2021-03-01", UserID: account.ID}
		if _, err := st.CreateWorker(ctx, grid, in); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a grid leader adds a worker: %v", err)
		}
		if _, err := st.CreateWorker(ctx, other, in); firstField(err) != "community_id" {
			t.Errorf("another community's staff: %v", err)
		}
		bad := in
		bad.Phone, bad.Qualification, bad.HiredOn = "12345", "master", "2099-01-01"
		if _, err := st.CreateWorker(ctx, staff, bad); fieldErrOf(err) == "" || !strings.Contains(fieldErrOf(err), "qualification") || !strings.Contains(fieldErrOf(err), "hired_on") {
			t.Errorf("bad fields: %v", err)
		}
		w, err := st.CreateWorker(ctx, staff, in)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Phone.String(); got != "138****8000" {
			t.Errorf("phone %q, want the mask", got)
		}
		if got := w.Phone.Plain(); strings.Contains(got, "0013") {
			t.Errorf("the read keeps more than the mask: %q", got)
		}
		if w.Username != "wli" || w.CommunityName != tr.community.Name {
			t.Errorf("worker %+v", w)
		}
		if _, err := st.CreateWorker(ctx, staff, model.WorkerInput{CommunityID: tr.community.ID, Name: "王二", Position: "社工", UserID: account.ID}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("an account linked twice: %v", err)
		}
		if _, err := st.Worker(ctx, other, w.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another community reads the worker: %v", err)
		}
		if _, err := st.Worker(ctx, grid, w.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a grid leader reads the roster: %v", err)
		}

		// Grids: the community's own only; coverage counts the households under them.
		if _, err := st.SetWorkerGrids(ctx, staff, w.ID, []int64{tr.building.ID}); firstField(err) != "grid_ids" {
			t.Errorf("a building as a grid: %v", err)
		}
		other2 := mustTree2Grid(t, st, tr)
		if _, err := st.SetWorkerGrids(ctx, staff, w.ID, []int64{other2.ID}); firstField(err) != "grid_ids" {
			t.Errorf("another community's grid: %v", err)
		}
		w, err = st.SetWorkerGrids(ctx, staff, w.ID, []int64{tr.grid.ID, tr.grid.ID})
		if err != nil {
			t.Fatal(err)
		}
		if w.GridCount != 1 || w.Households != 2 || len(w.Grids) != 1 {
			t.Errorf("coverage %d grids %d households %v", w.GridCount, w.Households, w.Grids)
		}

		// Training and recruitment.
		if _, err := st.AddWorkerTraining(ctx, staff, w.ID, model.TrainingInput{On: "2026-01-05", Title: "社会工作实务", Hours: "abc"}); firstField(err) != "hours" {
			t.Errorf("bad hours: %v", err)
		}
		for _, h := range []string{"2", "1.5"} {
			if w, err = st.AddWorkerTraining(ctx, staff, w.ID, model.TrainingInput{On: "2026-01-05", Title: "社会工作实务", Hours: h}); err != nil {
				t.Fatal(err)
			}
		}
		if w.TrainingHours() != "3.5" || len(w.Trainings) != 2 {
			t.Errorf("training %s h, %d records", w.TrainingHours(), len(w.Trainings))
		}
		for _, r := range []model.RecruitmentInput{{Stage: model.StageExam, On: "2020-12-01", Result: model.ResultPassed, Score: "86.5"},
			{Stage: model.StageInterview, On: "2020-12-20", Result: model.ResultPassed}, {Stage: model.StageAppointment, On: "2021-03-01", Result: model.ResultPassed}} {
			if w, err = st.AddWorkerRecruitment(ctx, staff, w.ID, r); err != nil {
				t.Fatal(err)
			}
		}
		if len(w.Recruitments) != 3 || w.Recruitments[0].Stage != model.StageExam || w.Recruitments[0].Score != "86.5" {
			t.Errorf("recruitment %+v", w.Recruitments)
		}

		// The roster: masked; a search on the phone through its blind index.
		p, err := st.Workers(ctx, staff, store.WorkerFilter{Phone: "13800138000"})
		if err != nil || p.Total != 1 || p.Items[0].ID != w.ID {
			t.Fatalf("phone search: %v %+v", err, p)
		}
		if p, _ := st.Workers(ctx, staff, store.WorkerFilter{Phone: "13900000000"}); p.Total != 0 {
			t.Errorf("a wrong phone found %d", p.Total)
		}
		if p, _ := st.Workers(ctx, other, store.WorkerFilter{}); p.Total != 0 {
			t.Errorf("another community lists %d", p.Total)
		}
		if p, _ := st.Workers(ctx, staff, store.WorkerFilter{Territory: tr.grid.ID}); p.Total != 1 {
			t.Errorf("the grid's workers: %d", p.Total)
		}
		if _, err := st.Workers(ctx, grid, store.WorkerFilter{}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a grid leader lists the roster: %v", err)
		}

		// Update keeps what was not sent; leaving.
		in.Phone, in.IDNumber, in.LeftOn, in.UserID = "", "", "2026-06-30", 0
		w, err = st.UpdateWorker(ctx, staff, w.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if w.Phone.String() != "138****8000" || w.Active() || w.UserID != 0 {
			t.Errorf("after update: %s %v %d", w.Phone, w.Active(), w.UserID)
		}
		if p, _ := st.Workers(ctx, staff, store.WorkerFilter{}); p.Total != 0 {
			t.Errorf("a worker who left is listed as serving")
		}
		if p, _ := st.Workers(ctx, staff, store.WorkerFilter{Status: "left"}); p.Total != 1 {
			t.Errorf("the workers who left: %d", p.Total)
		}

		// Reveal: audited, refused outside the scope.
		if _, err := st.RevealWorker(ctx, other, w.ID, "核对"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("reveal from another community: %v", err)
		}
		rv, err := st.RevealWorker(ctx, staff, w.ID, "核对联系方式")
		if err != nil || rv.Phone != "13800138000" || rv.IDNumber != in.IDNumber && rv.IDNumber == "" {
			t.Fatalf("reveal %v %+v", err, rv)
		}
		log, err := st.AuditLog(ctx, authz.System(), store.AuditFilter{Action: store.ActionWorkerReveal})
		if err != nil || len(log.Items) != 1 {
			t.Fatalf("reveal audit: %v %+v", err, log)
		}
		if strings.Contains(log.Items[0].Detail, "13800138000") {
			t.Errorf("the audit record holds the phone")
		}
		use, err := st.KeyUsage(ctx)
		if err != nil || len(use) == 0 {
			t.Errorf("key usage %v %v", use, err)
		}
		if _, err := st.Reencrypt(ctx, 100, nil); err != nil {
			t.Errorf("reencrypt: %v", err)
		}
	})
}

// mustTree2Grid makes a grid in the tree's second community.
func mustTree2Grid(t *testing.T, st *store.Store, tr tree) *model.Territory {
	t.Helper()
	g, err := st.CreateTerritory(context.Background(), authz.System(), model.TerritoryInput{ParentID: tr.community2.ID, Kind: model.KindGrid, Name: "东胜一网格"})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestVisits: a visit to a household and to a building by a grid leader of the grid, refused
// outside its grid and at the community itself; the list by scope; the places nobody visited
// for N days (a household's visit counts for its building and compound); the follow-up closed
// once of 50 at once; the community's visit time per month.
func TestVisits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		sys := authz.System()
		compound, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: tr.grid.ID, Kind: model.KindCompound, Name: "阳光小区"})
		if err != nil {
			t.Fatal(err)
		}
		b1, _ := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: compound.ID, Kind: model.KindBuilding, Name: "3栋"})
		b2, _ := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: compound.ID, Kind: model.KindBuilding, Name: "4栋"})
		h := mustHousehold(t, st, b1, "3栋101室", model.ResidentInput{Name: "丙", IDNumber: validID("510781", "19600101", 3), Relation: model.RelationHead})
		far := mustHousehold(t, st, tr.stairwell2, "8栋2单元201室", model.ResidentInput{Name: "丁", IDNumber: validID("510781", "19600101", 4), Relation: model.RelationHead})
		gridUser := mustUser(t, st, "vgrid", model.RoleGridLeader, tr.grid)
		grid := authz.ForUser(gridUser)
		staff := authz.ForUser(mustUser(t, st, "vstaff", model.RoleCommunityStaff, tr.community))
		if _, err := st.CreateWorker(ctx, staff, model.WorkerInput{CommunityID: tr.community.ID, Name: "网格员", Position: "专职网格员", UserID: gridUser.ID}); err != nil {
			t.Fatal(err)
		}
		unitLeader := authz.Scope{Role: model.RoleResident, Path: tr.community.Path}

		if _, err := st.LogVisit(ctx, unitLeader, model.VisitInput{TerritoryID: b1.ID, Findings: "看看"}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident logs a visit: %v", err)
		}
		if _, err := st.LogVisit(ctx, grid, model.VisitInput{HouseholdID: far.ID, Findings: "看看"}); firstField(err) != "household_id" {
			t.Errorf("a household outside the grid: %v", err)
		}
		if _, err := st.LogVisit(ctx, staff, model.VisitInput{TerritoryID: tr.community.ID, Findings: "看看"}); firstField(err) != "territory_id" {
			t.Errorf("the community itself: %v", err)
		}
		if _, err := st.LogVisit(ctx, grid, model.VisitInput{TerritoryID: b1.ID}); firstField(err) != "findings" {
			t.Errorf("no findings: %v", err)
		}
		v, err := st.LogVisit(ctx, grid, model.VisitInput{HouseholdID: h.ID, Minutes: 45, Findings: "老人独居，身体尚好", FollowUp: "联系家属"})
		if err != nil {
			t.Fatal(err)
		}
		if v.FollowStatus != model.FollowOpen || v.TerritoryID != b1.ID || v.WorkerID == 0 || v.VisitorName == "" || !strings.Contains(v.PlaceName, "3栋101室") {
			t.Errorf("visit %+v", v)
		}
		if _, err := st.Visit(ctx, authz.ForUser(mustUser(t, st, "vother", model.RoleCommunityStaff, tr.community2)), v.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another community reads the visit: %v", err)
		}
		p, err := st.Visits(ctx, staff, store.VisitFilter{Follow: model.FollowOpen})
		if err != nil || p.Total != 1 {
			t.Fatalf("open follow-ups: %v %+v", err, p)
		}

		// Unvisited for 30 days: the compound and b1 were visited (through the household); b2 was not.
		u, err := st.UnvisitedPlaces(ctx, staff, store.UnvisitedFilter{Days: 30})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range u.Items {
			names = append(names, p.Name)
		}
		slices.Sort(names)
		if strings.Join(names, ",") != "1栋,4栋" || u.Total != 2 {
			t.Errorf("unvisited %v (%d)", names, u.Total)
		}
		if _, err := st.UnvisitedPlaces(ctx, staff, store.UnvisitedFilter{Days: 0}); firstField(err) != "days" {
			t.Errorf("0 days: %v", err)
		}
		// An old visit of b2 does not count for 30 days, but shows as its last.
		old := time.Now().AddDate(0, 0, -60)
		if _, err := st.LogVisit(ctx, staff, model.VisitInput{TerritoryID: b2.ID, VisitedAt: time.Now().AddDate(0, 0, -100), Findings: "补记"}); firstField(err) != "visited_at" {
			t.Errorf("a visit 100 days back is refused: %v", err)
		}
		st2 := st.AsOf(func() time.Time { return old.Add(time.Hour) })
		if _, err := st2.LogVisit(ctx, staff, model.VisitInput{TerritoryID: b2.ID, VisitedAt: old, Findings: "补记"}); err != nil {
			t.Fatal(err)
		}
		u, _ = st.UnvisitedPlaces(ctx, staff, store.UnvisitedFilter{Days: 30, Kind: model.KindBuilding})
		if len(u.Items) != 2 || (u.Items[0].LastVisitAt == nil) == (u.Items[1].LastVisitAt == nil) {
			t.Errorf("buildings unvisited for 30 days: one never, one 60 days ago %+v %+v", u.Items[0], u.Items[1])
		}
		if u, _ := st.UnvisitedPlaces(ctx, staff, store.UnvisitedFilter{Days: 90, Kind: model.KindBuilding}); len(u.Items) != 1 {
			t.Errorf("for 90 days: %d", len(u.Items))
		}

		// Fifty close the follow-up at once: one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := st.CloseVisitFollowUp(ctx, staff, v.ID)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, model.ErrConflict):
					conflicts++
				default:
					t.Errorf("close: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || conflicts != 49 {
			t.Errorf("%d closed, %d refused", wins, conflicts)
		}

		// Visit time per month.
		now := time.Now()
		months, err := st.CommunityVisitMonths(ctx, staff, tr.community.ID, now.AddDate(0, -3, 0), now.AddDate(0, 1, 0))
		if err != nil || len(months) != 4 {
			t.Fatalf("months %v %+v", err, months)
		}
		last := months[3]
		if last.Visits != 1 || last.Minutes != 45 || last.Hours() != "0.75" {
			t.Errorf("this month %+v", last)
		}
		var total int64
		for _, m := range months {
			total += m.Visits
		}
		if total != 2 {
			t.Errorf("visits in four months: %d", total)
		}
		if _, err := st.CommunityVisitMonths(ctx, staff, tr.community2.ID, now, now.AddDate(0, 1, 0)); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another community's months: %v", err)
		}
	})
}
