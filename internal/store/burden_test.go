package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// burdenWorld is the test tree with a street's department register and duty list, a
// community staff account, a street admin, and a second street admin (to decide what the
// first recorded).
type burdenWorld struct {
	tree
	staff, street, street2, other authz.Scope
	dept                          *model.BurdenDepartment
	duty                          *model.BurdenDuty
}

func mustBurdenWorld(t *testing.T, st *store.Store) burdenWorld {
	t.Helper()
	ctx := context.Background()
	w := burdenWorld{tree: mustTree(t, st)}
	w.staff = authz.ForUser(mustUser(t, st, "bstaff", model.RoleCommunityStaff, w.community))
	w.street = authz.ForUser(mustUser(t, st, "bstreet", model.RoleStreetAdmin, w.tree.street))
	w.street2 = authz.ForUser(mustUser(t, st, "bstreet2", model.RoleStreetAdmin, w.tree.street))
	w.other = authz.ForUser(mustUser(t, st, "bother", model.RoleCommunityStaff, w.community2))
	var err error
	if w.dept, err = st.SaveBurdenDepartment(ctx, w.street, 0, model.BurdenDepartmentInput{OwnerID: w.tree.street.ID, Name: "江油市民政局", Line: "民政"}); err != nil {
		t.Fatal(err)
	}
	if w.duty, err = st.SaveBurdenDuty(ctx, w.street, 0, model.BurdenDutyInput{OwnerID: w.tree.street.ID, Code: "MZ-01", Name: "最低生活保障申请受理",
		Basis: "《社会救助暂行办法》第十一条"}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w burdenWorld) task(t *testing.T, st *store.Store, duty int64, title string) *model.BurdenTask {
	t.Helper()
	today := time.Now().In(model.Shanghai).Format(time.DateOnly)
	tk, err := st.CreateBurdenTask(context.Background(), w.staff, model.BurdenTaskInput{CommunityID: w.community.ID, DepartmentID: w.dept.ID, DutyID: duty,
		Title: title, ReceivedOn: today, DueOn: today})
	if err != nil {
		t.Fatalf("task %s: %v", title, err)
	}
	return tk
}

// TestBurdenRegister: the catalogues kept by a street, tasks on and off the list through their
// states, who may do what, and the burden view with the hours of done orders.
func TestBurdenRegister(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustBurdenWorld(t, st)

		// Catalogues: community staff read the street's, may not keep them; a duplicate code is 409.
		if _, err := st.SaveBurdenDuty(ctx, w.staff, 0, model.BurdenDutyInput{OwnerID: w.tree.street.ID, Code: "X", Name: "x", Basis: "y"}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("staff keeping the list: %v", err)
		}
		if _, err := st.SaveBurdenDuty(ctx, w.street, 0, model.BurdenDutyInput{OwnerID: w.tree.street.ID, Code: "MZ-01", Name: "x", Basis: "y"}); !conflictOf(err) {
			t.Errorf("a duplicate code: %v", err)
		}
		if got := errField(firstFields(st.SaveBurdenDuty(ctx, w.street, 0, model.BurdenDutyInput{OwnerID: w.community.ID, Code: "Y", Name: "x", Basis: "y"}))); got != "owner_id" {
			t.Errorf("a list kept by a community: %v", got)
		}
		if got := errField(firstFields(st.SaveBurdenDuty(ctx, w.street, 0, model.BurdenDutyInput{OwnerID: w.district.ID, Code: "Y", Name: "x", Basis: "y"}))); got != "owner_id" {
			t.Errorf("a list kept by the district, by a street admin: %v", got)
		}
		ds, err := st.BurdenDuties(ctx, w.staff, store.BurdenCatalogFilter{Community: w.community.ID, ActiveOnly: true})
		if err != nil || len(ds) != 1 || ds[0].OwnerName != "中坝街道" {
			t.Errorf("duties the staff read: %v %v", ds, err)
		}
		if _, err := st.SaveBurdenDepartment(ctx, w.street, w.dept.ID, model.BurdenDepartmentInput{Name: "江油市民政局", Line: "民政", Active: true}); err != nil {
			t.Errorf("resave department: %v", err)
		}

		// Bad input, another community, a department of no register.
		if got := firstFields(st.CreateBurdenTask(ctx, w.staff, model.BurdenTaskInput{CommunityID: w.community.ID})); !slices.Equal(got, []string{"department_id", "title", "received_on", "due_on"}) {
			t.Errorf("bad task: %v", got)
		}
		today := time.Now().In(model.Shanghai).Format(time.DateOnly)
		if got := firstFields(st.CreateBurdenTask(ctx, w.staff, model.BurdenTaskInput{CommunityID: w.community2.ID, DepartmentID: w.dept.ID, Title: "x", ReceivedOn: today, DueOn: today})); !slices.Equal(got, []string{"community_id"}) {
			t.Errorf("a task of another community: %v", got)
		}
		if got := firstFields(st.CreateBurdenTask(ctx, w.staff, model.BurdenTaskInput{CommunityID: w.community.ID, DepartmentID: w.dept.ID + 100, DutyID: w.duty.ID + 100, Title: "x", ReceivedOn: today, DueOn: today})); !slices.Equal(got, []string{"department_id", "duty_id"}) {
			t.Errorf("unknown department and duty: %v", got)
		}

		// On the list: received → accepted → done.
		on := w.task(t, st, w.duty.ID, "低保复核材料收集")
		if on.Status != model.TaskReceived || !on.OnList() || !on.Caller.Work || on.Caller.Decide {
			t.Errorf("task on the list: %+v", on)
		}
		if _, err := st.FinishBurdenTask(ctx, w.staff, on.ID, 60); !conflictOf(err) {
			t.Errorf("done before accepted: %v", err)
		}
		if _, err := st.AcceptBurdenTask(ctx, w.other, on.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("staff of another community accepting: %v", err)
		}
		if on, err = st.AcceptBurdenTask(ctx, w.staff, on.ID); err != nil || on.Status != model.TaskAccepted {
			t.Fatalf("accept: %v", err)
		}
		if on, err = st.FinishBurdenTask(ctx, w.staff, on.ID, 150); err != nil || on.Status != model.TaskDone || on.Minutes != 150 {
			t.Fatalf("done: %v", err)
		}

		// Off the list: pending; community staff may not accept nor decide; the street decides.
		off := w.task(t, st, 0, "创建文明城市入户问卷")
		if off.Status != model.TaskPending {
			t.Errorf("off the list: %s", off.Status)
		}
		if _, err := st.AcceptBurdenTask(ctx, w.staff, off.ID); !conflictOf(err) {
			t.Errorf("accepting an off-list task: %v", err)
		}
		if _, err := st.DecideBurdenTask(ctx, w.staff, off.ID, model.BurdenDecisionInput{Approve: true, Reason: "同意"}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("staff deciding: %v", err)
		}
		if got := errField(firstFields(st.DecideBurdenTask(ctx, w.street, off.ID, model.BurdenDecisionInput{Approve: true}))); got != "reason" {
			t.Errorf("a decision without reason: %v", got)
		}
		if off, err = st.DecideBurdenTask(ctx, w.street, off.ID, model.BurdenDecisionInput{Approve: false, Reason: "不属于社区职责，退回交办部门"}); err != nil || off.Status != model.TaskRefused || off.DecidedByName != "bstreet" {
			t.Fatalf("refuse: %+v %v", off, err)
		}
		if _, err := st.DecideBurdenTask(ctx, w.street, off.ID, model.BurdenDecisionInput{Approve: true, Reason: "改主意"}); !conflictOf(err) {
			t.Errorf("deciding twice: %v", err)
		}

		// A street admin may not decide a task it recorded itself.
		mine, err := st.CreateBurdenTask(ctx, w.street, model.BurdenTaskInput{CommunityID: w.community.ID, DepartmentID: w.dept.ID, Title: "街道自录", ReceivedOn: today, DueOn: today})
		if err != nil {
			t.Fatal(err)
		}
		var fe *model.ForbiddenError
		if _, err := st.DecideBurdenTask(ctx, w.street, mine.ID, model.BurdenDecisionInput{Approve: true, Reason: "同意"}); !errors.As(err, &fe) {
			t.Errorf("deciding one's own: %v", err)
		}
		if _, err := st.DecideBurdenTask(ctx, w.street2, mine.ID, model.BurdenDecisionInput{Approve: true, Reason: "同意承接"}); err != nil {
			t.Errorf("another street admin deciding: %v", err)
		}

		// Lists: scope, filters.
		p, err := st.BurdenTasks(ctx, w.staff, store.BurdenTaskFilter{OnList: "no"})
		if err != nil || p.Total != 2 {
			t.Errorf("off-list tasks: %v %v", p, err)
		}
		p, err = st.BurdenTasks(ctx, w.other, store.BurdenTaskFilter{})
		if err != nil || p.Total != 0 {
			t.Errorf("tasks another community's staff see: %v %v", p, err)
		}
		p, err = st.BurdenTasks(ctx, w.staff, store.BurdenTaskFilter{Limit: 2})
		if err != nil || len(p.Items) != 2 || p.Next == "" || p.Total != 3 {
			t.Fatalf("first page: %v", err)
		}
		p2, err := st.BurdenTasks(ctx, w.staff, store.BurdenTaskFilter{Limit: 2, Cursor: p.Next})
		if err != nil || len(p2.Items) != 1 || p2.Items[0].ID == p.Items[1].ID {
			t.Errorf("second page: %v %v", p2, err)
		}

		// The view: 2.5 task hours this month; serving residents, a done order of 90 minutes
		// and a worker's visit of 40.
		h := mustHousehold(t, st, w.stairwell, "1栋1单元101室")
		now := time.Now().UTC()
		cat := storetest.Exec(t, st, `INSERT INTO order_categories (community_id, name, created_at) VALUES (?, '助老', ?) RETURNING id`, w.community.ID, now)
		storetest.Exec(t, st, `INSERT INTO orders (community_id, territory_id, path, household_id, category_id, description, status, minutes, placed_at, done_at, updated_at)
			VALUES (?, ?, ?, ?, ?, '陪同就医', 'rated', 60, ?, ?, ?) RETURNING id`, w.community.ID, w.stairwell.ID, h.Path, h.ID, cat, now, now, now)
		if _, err := st.LogVisit(ctx, w.staff, model.VisitInput{HouseholdID: h.ID, Minutes: 30, Findings: "老人独居，身体尚可"}); err != nil {
			t.Fatal(err)
		}
		v, err := st.BurdenView(ctx, w.street, w.tree.street.ID, time.Now().In(model.Shanghai).Year())
		if err != nil {
			t.Fatal(err)
		}
		month := model.BurdenMonthOf(now)
		var m model.BurdenMonth
		for _, x := range v.Months {
			if x.Month == month {
				m = x
			}
		}
		if v.TaskMinutes != 150 || v.ServeMinutes != 90 || m.TaskMinutes != 150 || m.ServeMinutes != 90 || v.Tasks != 3 || v.OffList != 2 || v.Refused != 1 || v.Pending != 0 {
			t.Errorf("view: %+v, month %+v", v, m)
		}
		at := slices.IndexFunc(v.Communities, func(r model.BurdenCommunityRow) bool { return r.ID == w.community.ID })
		if len(v.Departments) != 1 || v.Departments[0].Tasks != 3 || v.Departments[0].Minutes != 150 || len(v.Communities) != 2 || at < 0 ||
			v.Communities[at].TaskMinutes != 150 || v.Communities[at].ServeMinutes != 90 {
			t.Errorf("view rows: %+v %+v", v.Departments, v.Communities)
		}
		if _, err := st.BurdenView(ctx, w.other, w.community.ID, 2026); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("view of a community out of scope: %v", err)
		}
	})
}

// TestBurdenConcurrentDecisions: 50 street admins decide one pending task at once: exactly one
// wins, the others get a conflict.
func TestBurdenConcurrentDecisions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustBurdenWorld(t, st)
		tk := w.task(t, st, 0, "临时统计报表")
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, lost := 0, 0
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := st.DecideBurdenTask(ctx, w.street, tk.ID, model.BurdenDecisionInput{Approve: i%2 == 0, Reason: "并发审批"})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case conflictOf(err):
					lost++
				default:
					t.Errorf("decision %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if won != 1 || lost != 49 {
			t.Errorf("won %d, lost %d", won, lost)
		}
	})
}
