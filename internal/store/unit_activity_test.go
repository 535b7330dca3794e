package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// activityCounts reads unit_activity_counts of one path as "month category n" lines.
func activityCountAt(t *testing.T, st *store.Store, path, month string, cat model.ActivityCategory) int64 {
	t.Helper()
	return intOf(t, st, `SELECT COALESCE(SUM(n), 0) FROM unit_activity_counts WHERE path = ? AND month = ? AND category = ?`, path, month, string(cat))
}

func TestRecordUnitActivity(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		w := mustUnitWorld(t, st)
		u := storetest.MustUnit(t, st, "1栋1单元联建单元", w.a...)
		u2 := storetest.MustUnit(t, st, "平房院联建单元", w.bun...)
		leader := authz.Scope{Role: model.RoleUnitLeader, Path: u.Path, Unit: u.ID}
		other := authz.Scope{Role: model.RoleUnitLeader, Path: u2.Path, Unit: u2.ID}
		today := model.CurrentMonth(time.Now())

		in := model.UnitActivityInput{Category: model.ActivityEnvironment, Households: w.a[:6], Description: "清理楼道杂物"}
		a, err := st.RecordUnitActivity(ctx, leader, u.ID, in, [][]byte{modeltest.JPEGWithGPS(t, 80, 60), modeltest.WebP(t)})
		if err != nil {
			t.Fatal(err)
		}
		if a.Month != today || len(a.Households) != 6 || len(a.Photos) != 2 || a.Photos[0].ContentType != "image/jpeg" || a.UnitName != u.Name {
			t.Fatalf("recorded %+v", a)
		}
		_, blob, err := st.UnitActivityPhoto(ctx, leader, a.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if blob.ContentType != "image/jpeg" || bytes.Contains(blob.Data, []byte("Exif")) || bytes.Contains(blob.Data, []byte("MM\x00\x2a")) {
			t.Errorf("stored photo: %s, EXIF kept: %v", blob.ContentType, bytes.Contains(blob.Data, []byte("Exif")))
		}
		// The counts of every node above the unit, and the unit's last activity month.
		for _, p := range []string{"/", w.district.Path, w.street.Path, w.community.Path, u.Path} {
			if got := activityCountAt(t, st, p, today, model.ActivityEnvironment); got != 1 {
				t.Errorf("count at %s = %d, want 1", p, got)
			}
		}
		if got := activityCountAt(t, st, w.community2.Path, today, model.ActivityEnvironment); got != 0 {
			t.Errorf("count at community2 = %d", got)
		}
		if got, _ := st.Unit(ctx, sys, u.ID); got.LastActivityMonth != today {
			t.Errorf("last activity month = %q, want %q", got.LastActivityMonth, today)
		}
		if got := intOf(t, st, `SELECT n FROM unit_counts WHERE path = ? AND dim = 'last_activity' AND value = ?`, w.community.Path, today); got != 1 {
			t.Errorf("units active this month in the community = %d, want 1", got)
		}

		// Another unit's leader sees nothing of it and cannot record for it.
		if _, err := st.UnitActivity(ctx, other, a.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("other leader reads: %v", err)
		}
		if _, err := st.RecordUnitActivity(ctx, other, u.ID, in, nil); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("other leader records: %v", err)
		}

		// Bad input: clear errors, nothing written.
		before := intOf(t, st, `SELECT COUNT(*) FROM unit_activities`) + intOf(t, st, `SELECT COUNT(*) FROM blobs`)
		html := []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")
		bad := []struct {
			name   string
			in     model.UnitActivityInput
			photos [][]byte
			field  string
		}{
			{"oversized photo", in, [][]byte{modeltest.JPEG(t, 10, 10), make([]byte, model.PhotoMax+1)}, "photos[1]"},
			{"not an image", in, [][]byte{[]byte("hello")}, "photos[0]"},
			{"HTML renamed .jpg", in, [][]byte{html}, "photos[0]"},
			{"too many photos", in, make([][]byte, 7), "photos"},
			{"household of another unit", model.UnitActivityInput{Category: model.ActivitySafety, Households: []int64{w.a[0], w.bun[0]}, Description: "巡逻"}, nil, "households"},
			{"no category", model.UnitActivityInput{Households: w.a[:1], Description: "x"}, nil, "category"},
			{"future date", model.UnitActivityInput{Category: model.ActivitySafety, Date: "2999-01-01", Households: w.a[:1], Description: "x"}, nil, "date"},
			{"case on a non-hardship record", model.UnitActivityInput{Category: model.ActivitySafety, Households: w.a[:1], Description: "x", CaseHouseholdID: w.a[1]}, nil, "case_household_id"},
		}
		for _, c := range bad {
			_, err := st.RecordUnitActivity(ctx, leader, u.ID, c.in, c.photos)
			var v *model.ValidationError
			if !errors.As(err, &v) {
				t.Errorf("%s: %v, want a validation error", c.name, err)
				continue
			}
			found := false
			for _, f := range v.Fields {
				found = found || f.Field == c.field
			}
			if !found {
				t.Errorf("%s: fields %v, want %s", c.name, v.Fields, c.field)
			}
		}
		if after := intOf(t, st, `SELECT COUNT(*) FROM unit_activities`) + intOf(t, st, `SELECT COUNT(*) FROM blobs`); after != before {
			t.Errorf("refused records wrote rows: %d → %d", before, after)
		}

		// Hardship: the leader reports a case; it sees the record withheld, never the case;
		// staff move the case, and two racing moves from one status: one wins.
		h, err := st.RecordUnitActivity(ctx, leader, u.ID, model.UnitActivityInput{Category: model.ActivityHardship, Households: w.a[:3],
			Description: "看望独居老人王大爷，帮忙修水管", CaseHouseholdID: w.a[5]}, [][]byte{modeltest.JPEG(t, 20, 20)})
		if err != nil {
			t.Fatal(err)
		}
		seen, err := st.UnitActivity(ctx, leader, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !seen.Withheld || seen.Description != "" || seen.Case != nil || len(seen.Photos) != 0 || seen.HouseholdCount != 3 {
			t.Errorf("leader reads the hardship record %+v, want it withheld", seen)
		}
		if _, _, err := st.UnitActivityPhoto(ctx, leader, h.ID, 1); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("leader reads the hardship photo: %v", err)
		}
		if _, err := st.UnitActivities(ctx, leader, store.UnitActivityFilter{CaseStatus: model.CaseReported}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("leader filters by case status: %v", err)
		}
		if _, err := st.MoveHardshipCase(ctx, leader, h.ID, model.CaseReported, model.CaseHelping, ""); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("leader moves the case: %v", err)
		}
		staff := authz.Scope{Role: model.RoleCommunityStaff, Path: w.community.Path}
		full, err := st.UnitActivity(ctx, staff, h.ID)
		if err != nil || full.Withheld || full.Case == nil || full.Case.Status != model.CaseReported || full.Case.HouseholdID != w.a[5] {
			t.Fatalf("staff read %+v, %v", full, err)
		}
		if _, err := st.MoveHardshipCase(ctx, staff, h.ID, model.CaseHelping, model.CaseResolved, ""); err == nil {
			t.Error("resolving without a note was accepted")
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for range 20 {
			wg.Go(func() {
				_, err := st.MoveHardshipCase(ctx, staff, h.ID, model.CaseReported, model.CaseHelping, "社区已对接帮扶")
				var ce *model.ConflictError
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.As(err, &ce):
					conflicts++
				default:
					t.Errorf("move: %v", err)
				}
			})
		}
		wg.Wait()
		if wins != 1 || conflicts != 19 {
			t.Errorf("20 racing moves: %d won, %d conflicts; want 1 and 19", wins, conflicts)
		}
		done, err := st.MoveHardshipCase(ctx, staff, h.ID, model.CaseHelping, model.CaseResolved, "水管已修好，纳入低保走访")
		if err != nil || done.Case.Status != model.CaseResolved || len(done.Case.Notes) != 3 {
			t.Fatalf("resolve: %+v, %v", done, err)
		}
		page, err := st.UnitActivities(ctx, staff, store.UnitActivityFilter{CaseStatus: model.CaseResolved})
		if err != nil || page.Total != 1 {
			t.Errorf("staff filter by case status: %v, %v", page, err)
		}
		page, err = st.UnitActivities(ctx, leader, store.UnitActivityFilter{})
		if err != nil || page.Total != 2 || page.Items[0].ID != h.ID || !page.Items[0].Withheld || page.Items[1].Withheld {
			t.Errorf("leader's list: %+v, %v", page, err)
		}
		if !strings.Contains(audited(t, st, "unit.activity.record"), "环境联治") {
			t.Error("the record is not audited")
		}
	})
}

// TestUnitCountsFollowHouseholds: households joining and leaving units count at every node above
// them, and RebuildUnitCounts gives what the writes maintained.
func TestUnitCountsFollowHouseholds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustUnitWorld(t, st)
		ua := storetest.MustUnit(t, st, "A", w.a...)
		storetest.MustUnit(t, st, "B", w.b...)
		ub := storetest.MustUnit(t, st, "C", w.bun...)
		read := func() string {
			var b strings.Builder
			for _, p := range []string{"/", w.street.Path, w.community.Path, w.building.Path, w.stairwell.Path, w.community2.Path} {
				b.WriteString(p + ":")
				for _, d := range []string{"households", "units", "leader"} {
					b.WriteString(" " + d + "=" + strconv.FormatInt(intOf(t, st, `SELECT COALESCE(SUM(n), 0) FROM unit_counts WHERE path = ? AND dim = ?`, p, d), 10))
				}
				b.WriteString("\n")
			}
			return b.String()
		}
		// Merged and dissolved units count no more, their households where they went.
		if err := st.DissolveUnit(ctx, authz.System(), ub.ID, "测试"); err != nil {
			t.Fatal(err)
		}
		u4 := storetest.MustUnit(t, st, "D", w.bun...)
		if _, err := st.MergeUnits(ctx, authz.System(), u4.ID, ua.ID); err == nil {
			t.Log("merged across a compound") // refused by the rules; either way the counts must agree below
		}
		if err := st.DissolveUnit(ctx, authz.System(), u4.ID, "测试"); err != nil {
			t.Fatal(err)
		}
		// An appointed leader counts at every node above its unit.
		head, err := st.CreateResident(ctx, authz.System(), model.ResidentInput{HouseholdID: w.a[0], Name: "王组长", IDNumber: validID("510781", "19600101", 1), Relation: model.RelationHead})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AppointUnitLeader(ctx, authz.System(), ua.ID, model.Appointment{ResidentID: head.ID, TermMonths: 36, Reason: "测试"}); err != nil {
			t.Fatal(err)
		}
		got := read()
		want := "/: households=17 units=2 leader=1\n" + w.street.Path + ": households=17 units=2 leader=1\n" + w.community.Path + ": households=17 units=2 leader=1\n" +
			w.building.Path + ": households=17 units=2 leader=1\n" + w.stairwell.Path + ": households=12 units=1 leader=1\n" + w.community2.Path + ": households=0 units=0 leader=0\n"
		if got != want {
			t.Errorf("maintained:\n%s\nwant:\n%s", got, want)
		}
		if err := st.RebuildUnitCounts(ctx); err != nil {
			t.Fatal(err)
		}
		if again := read(); again != got {
			t.Errorf("rebuilt:\n%s\nmaintained:\n%s", again, got)
		}
	})
}

// intOf runs a query of one integer (? placeholders on both engines).
func intOf(t *testing.T, st *store.Store, q string, args ...any) int64 {
	t.Helper()
	if st.Engine() == "postgres" {
		var b strings.Builder
		n := 0
		for _, c := range q {
			if c == '?' {
				n++
				b.WriteString("$" + strconv.Itoa(n))
				continue
			}
			b.WriteRune(c)
		}
		q = b.String()
	}
	var v int64
	if err := st.DB().QueryRowContext(context.Background(), q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// audited is the details of the audit records of action, one a line.
func audited(t *testing.T, st *store.Store, action string) string {
	t.Helper()
	rows, err := st.DB().QueryContext(context.Background(), `SELECT detail FROM audit_log WHERE action = '`+action+`' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		b.WriteString(d + "\n")
	}
	return b.String()
}

func TestUnitCoverage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustUnitWorld(t, st)
		ua := storetest.MustUnit(t, st, "A", w.a...)
		ub := storetest.MustUnit(t, st, "B", w.b...)
		month := model.CurrentMonth(time.Now())
		// A has a leader and a rotation a year ahead (written as the leaders' and the duty's
		// code will, then recounted); B has neither.
		storetest.Exec(t, st, `UPDATE units SET leader_household_id = ?, leader_method = 'elected', rotation_until = ? WHERE id = ?`,
			w.a[0], model.ShiftMonth(month, 11), ua.ID)
		if err := st.RebuildUnitCounts(ctx); err != nil {
			t.Fatal(err)
		}
		staff := authz.Scope{Role: model.RoleStreetAdmin, Path: w.street.Path}
		if _, err := st.RecordUnitActivity(ctx, staff, ua.ID, model.UnitActivityInput{Category: model.ActivitySafety, Households: w.a[:2], Description: "夜间巡逻"}, nil); err != nil {
			t.Fatal(err)
		}
		top, children, err := st.UnitCoverage(ctx, staff, w.street.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("%s hh=%d in=%d units=%d leader=%d rot=%d acts=%d safety=%d noleader=%d lapsing=%d inactive=%d",
			top.TerritoryName, top.Households, top.InUnits, top.Units, top.WithLeader, top.RotationCurrent, top.ActivitiesThisMonth, top.ByCategory["safety"],
			top.NoLeader, top.RotationLapsing, top.Inactive)
		if want := "中坝街道 hh=27 in=17 units=2 leader=1 rot=1 acts=1 safety=1 noleader=1 lapsing=1 inactive=1"; got != want {
			t.Errorf("street coverage:\n got %s\nwant %s", got, want)
		}
		if len(children) != 2 || children[0].Units+children[1].Units != 2 {
			t.Errorf("children: %+v", children)
		}
		page, err := st.UnitsNeedingAttention(ctx, staff, w.community.ID, 10, "")
		if err != nil || len(page.Items) != 1 || page.Items[0].Unit.ID != ub.ID || !page.Items[0].NoLeader || !page.Items[0].Inactive {
			t.Errorf("attention: %+v, %v", page, err)
		}
		if _, _, err := st.UnitCoverage(ctx, authz.Scope{Role: model.RoleCommunityAdmin, Path: w.community2.Path}, w.community.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("coverage outside the scope: %v", err)
		}
	})
}

// TestRecordUnitActivityConcurrent: the unit's leader and staff record the month's first
// activities of one unit at the same moment. Every record lands, counted once, and the unit
// counts as active this month once (on PostgreSQL the records' foreign keys share-lock the
// unit's row, which the counts' change then locks: a FOR UPDATE there deadlocked).
func TestRecordUnitActivityConcurrent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustUnitWorld(t, st)
		u := storetest.MustUnit(t, st, "1栋1单元联建单元", w.a...)
		leader := authz.Scope{Role: model.RoleUnitLeader, Path: u.Path, Unit: u.ID}
		today := model.CurrentMonth(time.Now())
		const n = 20
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := range n {
			go func() {
				<-start
				in := model.UnitActivityInput{Category: model.ActivityEnvironment, Households: w.a[i%len(w.a) : i%len(w.a)+1], Description: "清理楼道杂物"}
				_, err := st.RecordUnitActivity(ctx, leader, u.ID, in, nil)
				errs <- err
			}()
		}
		close(start)
		for range n {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if got := activityCountAt(t, st, w.community.Path, today, model.ActivityEnvironment); got != n {
			t.Errorf("activities counted = %d, want %d", got, n)
		}
		if got := intOf(t, st, `SELECT n FROM unit_counts WHERE path = ? AND dim = 'last_activity' AND value = ?`, w.community.Path, today); got != 1 {
			t.Errorf("units active this month = %d, want 1", got)
		}
		if got := intOf(t, st, `SELECT COALESCE(SUM(n), 0) FROM unit_counts WHERE path = ? AND dim = 'last_activity'`, w.community.Path); got != 1 {
			t.Errorf("units by last activity = %d, want 1", got)
		}
	})
}
