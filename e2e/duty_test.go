package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-ical"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestDutyRotation: a household on duty this month opens 我家轮值 on the phone (and at desktop
// size), sees its turns, ticks an item of the month's checklist, makes its private calendar
// link and the feed behind it parses as iCalendar with its months only; staff see the unit's
// twelve-month table with the tick counted.
func TestDutyRotation(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			var ids []int64
			var head int64
			for i, name := range []string{"张家", "李家", "王家", "赵家"} {
				h, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: fmt.Sprintf("1栋1单元%d02室", i+1)})
				if err != nil {
					t.Fatal(err)
				}
				good, _, _ := idWith("19580214", fmt.Sprintf("%03d", 100+i))
				r, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h.ID, Name: name + "户主", IDNumber: good, Relation: model.RelationHead})
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					head = r.ID
				}
				ids = append(ids, h.ID)
			}
			u := storetest.MustUnit(t, a.st, "1栋1单元联建单元", ids...)
			if _, err := a.st.GenerateRotation(bg, sys, u.ID); err != nil {
				t.Fatal(err)
			}
			acct, err := a.st.CreateUser(bg, sys, store.UserInput{Username: "zhangjia", DisplayName: "张大爷", Password: "duty month 2026 冬至",
				Role: model.RoleResident, ScopeID: stair.ID})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.st.LinkResident(bg, sys, acct.ID, head); err != nil {
				t.Fatal(err)
			}

			b := mustBrowser(t, vp)
			step, text := steps(t, b)
			step("log in, open 我家轮值", append(login(a, "zhangjia", "duty month 2026 冬至", ""),
				chromedp.Navigate(a.url+"/services"),
				chromedp.WaitVisible(chromedp.CSS(`#tile-duty`)),
				press(`#tile-duty`),
				chromedp.WaitVisible(chromedp.CSS(`#our-turns`)),
				shot(t, vp, "duty-01-mine"))...)
			if s := text(`#our-turns`); !strings.Contains(s, "本月轮到我家") {
				t.Errorf("our turns: %q", s)
			}
			step("tick 楼道卫生",
				press(`button[data-item="楼道卫生"]`),
				chromedp.WaitVisible(chromedp.CSS(`.duty-done`)),
				shot(t, vp, "duty-02-ticked"))
			if s := text(`.duty-done`); !strings.Contains(s, "楼道卫生") || !strings.Contains(s, "张大爷") {
				t.Errorf("the ticked item: %q", s)
			}
			step("make the calendar link",
				press(`#feed-create`),
				chromedp.WaitVisible(chromedp.CSS(`#feed-url`)),
				shot(t, vp, "duty-03-feed-link"))
			link, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector('#feed-url').value`))
			if err != nil || !strings.Contains(link, "/feeds/duty/") {
				t.Fatalf("feed link %q: %v", link, err)
			}
			// A calendar app fetches the link without a session.
			resp, err := http.Get(link)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("\r\n")) {
				t.Fatalf("feed: %d %q", resp.StatusCode, body)
			}
			cal, err := ical.NewDecoder(bytes.NewReader(body)).Decode()
			if err != nil {
				t.Fatalf("the feed does not parse: %v", err)
			}
			events := cal.Events()
			if len(events) != 3 {
				t.Errorf("%d events in the household's feed, want its 3 months of 12", len(events))
			}
			if s, _ := events[0].Props.Text(ical.PropSummary); s != "联建轮值：1栋1单元102室" {
				t.Errorf("SUMMARY = %q", s)
			}
			if start, err := events[0].DateTimeStart(time.UTC); err != nil || start.Format("2006-01") != model.ThisMonth(time.Now()).String() {
				t.Errorf("first event starts %v (%v)", start, err)
			}

			// Staff see the table with the tick counted, at their desk.
			staff := mustBrowser(t, Desktop)
			sstep, stext := steps(t, staff)
			sstep("staff open the unit's rotation", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+"/units/"+itoa(u.ID)+"/duty"),
				chromedp.WaitVisible(chromedp.CSS(`#rotation table`)),
				shot(t, Desktop, "duty-04-staff-table"))...)
			if s := stext(`#rotation tbody tr.row-current`); !strings.Contains(s, "1栋1单元102室") || !strings.Contains(s, "1") {
				t.Errorf("the current month's row: %q", s)
			}
		})
	}
}
