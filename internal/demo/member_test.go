package demo

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"

	"gongzhi/internal/store"
)

// checkMembers checks the demo's roster: every resident whose record says 中共党员 or 预备党员 is
// on a roster with the status that agrees, registered members are 6–8 % of adult residents,
// retired, unemployed and outflowing members together the majority, some in-work members report
// here (some not yet), the maintained org counts are right, and dues were paid with some arrears.
func checkMembers(t *testing.T, st *store.Store, res *Result) {
	t.Helper()
	if res.Members == 0 {
		t.Fatal("no members")
	}
	disagree := mustCount(t, st, `SELECT COUNT(*) FROM residents r WHERE r.political_status IN ('party_member', 'probationary')
		AND NOT EXISTS (SELECT 1 FROM party_members m WHERE m.resident_id = r.id AND m.left_on IS NULL
			AND ((m.status = 'full' AND r.political_status = 'party_member') OR (m.status = 'probationary' AND r.political_status = 'probationary')))`)
	if disagree != 0 {
		t.Errorf("%d party residents disagree with the roster", disagree)
	}
	registered := mustCount(t, st, `SELECT COUNT(*) FROM party_members WHERE list = 'registered'`)
	adults := mustCount(t, st, `SELECT COUNT(*) FROM residents WHERE birth_date <= '2007-07-01'`)
	if pct := 100 * float64(registered) / float64(adults); pct < 6 || pct > 8.5 {
		t.Errorf("registered members %.1f %% of adult residents, want about 6–8", pct)
	}
	majority := mustCount(t, st, `SELECT COUNT(*) FROM party_members WHERE list = 'registered' AND (category IN ('retired', 'unemployed') OR mobility = 'outflow')`)
	if 2*majority <= registered {
		t.Errorf("retired, unemployed and outflowing: %d of %d registered, want the majority", majority, registered)
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM party_members WHERE list = 'reporting' AND reported_on IS NULL`); n == 0 {
		t.Error("no reporting member who has not reported yet")
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM party_members WHERE list = 'reporting' AND reported_on IS NOT NULL AND service_post <> ''`); n == 0 {
		t.Error("no reporting member with a service post")
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM party_orgs o WHERE o.members <> (SELECT COUNT(*) FROM party_members m WHERE m.org_id = o.id AND m.list = 'registered' AND m.left_on IS NULL)`); n != 0 {
		t.Errorf("%d orgs with a wrong maintained member count", n)
	}
	paid := mustCount(t, st, `SELECT COUNT(DISTINCT member_id) FROM party_dues_payments`)
	full := mustCount(t, st, `SELECT COUNT(*) FROM party_members m WHERE m.list = 'registered' AND (SELECT COUNT(*) FROM party_dues_payments p WHERE p.member_id = m.id) = 12`)
	if paid == 0 || full == 0 || full == paid {
		t.Errorf("dues: %d members paid, %d all year: want most paying and some arrears", paid, full)
	}
	// Composition analytics: the counts the Bulk maintained agree with the roster.
	a, err := st.MemberAnalytics(context.Background(), authz.System(), 0, res.DistrictID)
	if err != nil {
		t.Fatal(err)
	}
	if int(a.Registered) != registered {
		t.Errorf("analytics of the district: %d registered, the roster has %d", a.Registered, registered)
	}
	if retired := mustCount(t, st, `SELECT COUNT(*) FROM party_members WHERE list = 'registered' AND category = 'retired'`); int(a.RetiredShare*float64(a.Registered)+0.5) != retired {
		t.Errorf("analytics: retired share %.3f of %d, the roster has %d retired", a.RetiredShare, a.Registered, retired)
	}
	if a.Reported == 0 || a.NotReported == 0 {
		t.Errorf("analytics: %d reported, %d not yet: want both", a.Reported, a.NotReported)
	}
	// Meeting compliance and study completion: the demo's year of meetings keeps orgs on time
	// (and some overdue), and the completions counted are those of the roster.
	if a.Life.Orgs == 0 || a.Life.OnTime == 0 || a.Life.OnTime+a.Life.Overdue != a.Life.Orgs {
		t.Errorf("analytics: compliance %+v: want orgs on time", a.Life)
	}
	completed := mustCount(t, st, `SELECT COUNT(*) FROM party_course_results r JOIN party_members m ON m.id = r.member_id
		WHERE r.completed_at IS NOT NULL AND m.list = 'registered' AND m.left_on IS NULL`)
	if completed == 0 || int(a.Study.Completed) != completed || a.Study.Assigned < a.Study.Completed {
		t.Errorf("analytics: study %+v, the roster completed %d", a.Study, completed)
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM party_dues_payments WHERE paid_by <> ''`); n == 0 {
		t.Error("no dues paid on a member's behalf")
	}
	// Dues run on the clock, as meetings and study do: up to this month, nothing after today.
	today := time.Now().In(model.Shanghai)
	if n := mustCount(t, st, `SELECT COUNT(*) FROM party_dues_payments WHERE month = '`+today.Format("2006-01")+`'`); n == 0 {
		t.Errorf("no dues paid for this month (%s)", today.Format("2006-01"))
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM party_dues_payments WHERE month > '`+today.Format("2006-01")+`' OR month < '`+today.AddDate(0, -11, 0).Format("2006-01")+`'`); n != 0 {
		t.Errorf("%d dues payments outside the twelve months up to this one", n)
	}
}

// TestDemoDuesClock: the dues of a member are the twelve months up to Today's month, the same
// for the same day and random source, none paid after Today; a later day moves the window.
func TestDemoDuesClock(t *testing.T) {
	t.Parallel()
	in := model.MemberInput{JoinedOn: "2001-07-01"}
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	var withArrears, whole int
	for i := range 200 {
		key := "member " + strconv.Itoa(i)
		a := demoDues(seedFor(1, key), in, 150, day)
		b := demoDues(seedFor(1, key), in, 150, day)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("member %d: two draws on the same day differ:\n%v\n%v", i, a, b)
		}
		if len(a) == 12 {
			whole++
			if a[0].Month != "2026-01" || a[11].Month != "2026-12" {
				t.Fatalf("member %d: months %s…%s, want 2026-01…2026-12", i, a[0].Month, a[11].Month)
			}
		} else {
			withArrears++
			if len(a) < 6 || a[0].Month != "2026-01" {
				t.Fatalf("member %d: %d payments from %s", i, len(a), a[0].Month)
			}
		}
		for _, p := range a {
			if p.PaidOn.After(day) {
				t.Fatalf("member %d: %s paid on %s, after the day", i, p.Month, p.PaidOn.Format(time.DateOnly))
			}
		}
		if c := demoDues(seedFor(1, key), in, 150, day.AddDate(0, 1, 0)); len(c) == 12 && c[11].Month != "2027-01" {
			t.Fatalf("member %d: a month later the window ends %s", i, c[11].Month)
		}
	}
	if withArrears == 0 || whole < 150 {
		t.Errorf("%d paid every month, %d with arrears: want most paying and some arrears", whole, withArrears)
	}
	// A member who joined within the window pays from the month of joining.
	if p := demoDues(seedFor(1, "new"), model.MemberInput{JoinedOn: "2026-09-15"}, 150, day); len(p) == 0 || p[0].Month != "2026-09" {
		t.Errorf("a new member's dues: %v", p)
	}
}

// memberDigest sums up the roster and the dues (ids, resident, org, category, status, dates,
// monthly dues, payments per member), what one seed must give every time.
func memberDigest(t *testing.T, st *store.Store) string {
	t.Helper()
	var n, ids, residents, orgs, dues, payments, fen int64
	var cats, joined string
	err := st.DB().QueryRow(`SELECT COUNT(*), SUM(id), SUM(resident_id), SUM(org_id), SUM(dues_fen),
			(SELECT COUNT(*) FROM party_dues_payments), (SELECT SUM(amount_fen + member_id) FROM party_dues_payments),
			MIN(category || status || mobility || list), MAX(CAST(joined_on AS TEXT)) FROM party_members`).
		Scan(&n, &ids, &residents, &orgs, &dues, &payments, &fen, &cats, &joined)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(n, ids, residents, orgs, dues, payments, fen, cats, joined)
}
