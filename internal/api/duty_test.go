package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// mustParseICS parses a feed with an independent iCalendar library (go-ical) and returns its
// events.
func mustParseICS(tb testing.TB, body []byte) []ical.Event {
	tb.Helper()
	cal, err := ical.NewDecoder(bytes.NewReader(body)).Decode()
	if err != nil {
		tb.Fatalf("the feed does not parse: %v\n%s", err, body)
	}
	return cal.Events()
}

// TestDutyAPI: staff generate a unit's rotation; the JSON lists months with household ids; the
// calendar feed parses as iCalendar with one all-day event per month; a private link reads the
// feed without a login until it is revoked; a swap nobody consented to changes nothing.
func TestDutyAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		var hs []string
		var ids []int64
		for i := range 3 {
			h := f.mustHousehold(t, staff, f.tree.stairA, fmt.Sprintf("1栋1单元%d01室", i+1))
			hs = append(hs, h.ID)
			var n int64
			fmt.Sscan(h.ID, &n)
			ids = append(ids, n)
		}
		u := storetest.MustUnit(t, st, "1栋1单元联建单元", ids...)
		base := fmt.Sprintf("/api/v1/units/%d/duty", u.ID)

		type monthOut struct {
			Month       string    `json:"month"`
			HouseholdID string    `json:"household_id"`
			Address     string    `json:"address"`
			Version     int64     `json:"version"`
			UpdatedAt   time.Time `json:"updated_at"`
		}
		type dutyOut struct {
			UnitID         string     `json:"unit_id"`
			CurrentMonth   string     `json:"current_month"`
			RotationUntil  string     `json:"rotation_until"`
			OwnHouseholdID string     `json:"own_household_id"`
			Items          []monthOut `json:"items"`
			Exemptions     []struct {
				ID          string    `json:"id"`
				HouseholdID string    `json:"household_id"`
				Reason      string    `json:"reason"`
				Note        string    `json:"note"`
				From        string    `json:"from"`
				Until       string    `json:"until"`
				CreatedAt   time.Time `json:"created_at"`
			} `json:"exemptions"`
			Checklist []string `json:"checklist"`
		}
		d := mustJSON[dutyOut](t, f.mustDo(t, staff, "POST", base+"/generate", nil), http.StatusOK)
		if len(d.Items) != 12 || d.Items[0].Month != d.CurrentMonth || d.Items[0].HouseholdID != hs[0] || d.Items[1].HouseholdID != hs[1] {
			t.Fatalf("generated %+v", d)
		}
		d = mustJSON[dutyOut](t, f.mustDo(t, staff, "GET", base, nil), http.StatusOK)
		if d.RotationUntil != d.Items[11].Month {
			t.Errorf("rotation_until %q, last month %q", d.RotationUntil, d.Items[11].Month)
		}

		r := f.mustDo(t, staff, "GET", base+".ics", nil)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/calendar") {
			t.Fatalf("feed = %v", r)
		}
		events := mustParseICS(t, r.body)
		if len(events) != 12 {
			t.Fatalf("%d events, want 12", len(events))
		}
		first := events[0]
		if uid, _ := first.Props.Text(ical.PropUID); uid != fmt.Sprintf("unit-%d-duty-%s@gongzhi", u.ID, d.CurrentMonth) {
			t.Errorf("UID = %q", uid)
		}
		start := first.Props.Get(ical.PropDateTimeStart)
		if start.ValueType() != ical.ValueDate {
			t.Errorf("DTSTART is %s, want a DATE", start.ValueType())
		}
		s, _ := first.DateTimeStart(time.UTC)
		e, _ := first.DateTimeEnd(time.UTC)
		if s.Day() != 1 || e.Day() != 1 || e.Month() == s.Month() || s.Format("2006-01") != d.CurrentMonth {
			t.Errorf("event runs %s – %s", s, e)
		}
		if sum, _ := first.Props.Text(ical.PropSummary); sum != "联建轮值：1栋1单元101室" {
			t.Errorf("SUMMARY = %q", sum)
		}
		// The household's own feed has its months only.
		own := mustParseICS(t, f.mustDo(t, staff, "GET", "/api/v1/households/"+hs[1]+"/duty.ics", nil).body)
		if len(own) != 4 {
			t.Errorf("household feed has %d events, want 4", len(own))
		}

		// A private link: no login, this one feed, until revoked.
		type tokOut struct {
			ID          string    `json:"id"`
			UnitID      string    `json:"unit_id"`
			HouseholdID string    `json:"household_id"`
			URL         string    `json:"url"`
			CreatedAt   time.Time `json:"created_at"`
		}
		tok := mustJSON[tokOut](t, f.mustDo(t, staff, "POST", base+"/feed-tokens", map[string]string{"household_id": hs[2]}), http.StatusCreated)
		r = f.mustDo(t, "", "GET", tok.URL, nil)
		if r.status != http.StatusOK || len(mustParseICS(t, r.body)) != 4 {
			t.Fatalf("feed by link = %v", r.status)
		}
		secret := strings.TrimSuffix(strings.TrimPrefix(tok.URL, "/feeds/duty/"), ".ics")
		if r := f.mustDo(t, secret, "GET", base, nil); r.status != http.StatusUnauthorized {
			t.Errorf("the feed token as a bearer token: %d", r.status)
		}
		if r := f.mustDo(t, staff, "DELETE", "/api/v1/duty/feed-tokens/"+tok.ID, nil); r.status != http.StatusNoContent {
			t.Fatalf("revoke = %v", r)
		}
		mustProblem(t, f.mustDo(t, "", "GET", tok.URL, nil), http.StatusNotFound)

		// Staff cannot ask for a swap in a household's name; the schedule stays.
		mustProblem(t, f.mustDo(t, staff, "POST", base+"/swaps", map[string]string{"from_month": d.Items[3].Month, "to_month": d.Items[4].Month}), http.StatusForbidden)
		// Ticking a month not begun is refused with the reason.
		p := mustProblem(t, f.mustDo(t, staff, "POST", base+"/checklist/ticks", map[string]any{"month": d.Items[2].Month, "item": "楼道卫生"}), http.StatusUnprocessableEntity)
		if !strings.Contains(message(p, "month"), "还没到") {
			t.Errorf("tick of a future month: %+v", p)
		}
		after := mustJSON[dutyOut](t, f.mustDo(t, staff, "GET", base, nil), http.StatusOK)
		if fmt.Sprint(after.Items) != fmt.Sprint(d.Items) {
			t.Errorf("refused requests changed the rotation")
		}
	})
}
