package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestWorkers: community workers and their visits in the browser — on the phone, a grid leader
// opens 记录走访 from 办事, logs a visit to a building of its grid (a visit without findings
// answered first, the input kept), sees it among its visits with its follow-up open, closes the
// follow-up, and sees the building nobody has visited for 7 days; at the desk, the community's
// secretary adds a worker (a bad phone answered first), assigns the grid, records a training,
// reveals the phone (audited) and finds the worker in the roster with its coverage and the
// phone masked.
func TestWorkers(t *testing.T) {
	t.Parallel()
	a := mustApp(t)
	stair := mustCommunity(t, a)
	bg, sys := context.Background(), authz.System()
	building, err := a.st.Territory(bg, sys, stair.ParentID)
	if err != nil {
		t.Fatal(err)
	}
	grid, err := a.st.Territory(bg, sys, building.ParentID)
	if err != nil {
		t.Fatal(err)
	}
	quiet, err := a.st.CreateTerritory(bg, sys, model.TerritoryInput{ParentID: grid.ID, Kind: model.KindBuilding, Name: "2栋"})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"1栋1单元101室", "1栋1单元102室"} {
		if _, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: addr}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.st.CreateUser(bg, sys, store.UserInput{Username: "wanggrid", DisplayName: "王网格员", Password: "grid walks 2026 winter",
		Role: model.RoleGridLeader, ScopeID: grid.ID, TOTPSecret: staffSecret}); err != nil {
		t.Fatal(err)
	}

	t.Run("visit on the phone", func(t *testing.T) {
		vp := Phone
		b := mustBrowser(t, vp)
		step, text := steps(t, b)
		step("the grid leader opens the visit form from 办事", append(login(a, "wanggrid", "grid walks 2026 winter", staffSecret),
			chromedp.Navigate(a.url+"/services"),
			chromedp.WaitVisible(chromedp.CSS(`#tile-visit-new`)),
			press(`#tile-visit-new`),
			chromedp.WaitVisible(chromedp.CSS(`#form-visit`)),
			shot(t, vp, "workers-01-visit-form"))...)
		step("a visit without findings",
			chromedp.SetValue(chromedp.CSS(`select[name=territory_id]`), itoa(building.ID)),
			chromedp.SetValue(chromedp.CSS(`textarea[name=follow_up]`), "报物业维修门禁"),
			press(`#submit-visit`),
			chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
			shot(t, vp, "workers-02-visit-error"))
		if s := text(`.error-summary`); !strings.Contains(s, "走访情况") {
			t.Errorf("the error summary: %q", s)
		}
		if v, err := chromedp.Run(b, chromedp.Value(chromedp.CSS(`textarea[name=follow_up]`))); err != nil || v != "报物业维修门禁" {
			t.Errorf("the follow-up was lost: %q %v", v, err)
		}
		step("log the visit",
			chromedp.SetValue(chromedp.CSS(`textarea[name=findings]`), "1栋单元门禁损坏，老人进出不便"),
			press(`#submit-visit`),
			chromedp.WaitVisible(chromedp.CSS(`#results tbody tr`)),
			shot(t, vp, "workers-03-my-visits"))
		if s := text(`#results tbody tr`); !strings.Contains(s, "门禁损坏") || !strings.Contains(s, "待跟进") {
			t.Errorf("my visit: %q", s)
		}
		step("close the follow-up",
			pressAway(`#results tbody form button`),
			chromedp.WaitVisible(chromedp.CSS(`#results`)),
			chromedp.Navigate(a.url+"/visits?mine=1"),
			chromedp.WaitVisible(chromedp.CSS(`#results tbody tr`)))
		if s := text(`#results tbody tr`); !strings.Contains(s, "已办结") {
			t.Errorf("the follow-up closed: %q", s)
		}
		step("places nobody visited for 7 days",
			chromedp.Navigate(a.url+"/visits/unvisited?days=7"),
			chromedp.WaitVisible(chromedp.CSS(`#place-`+itoa(quiet.ID))),
			shot(t, vp, "workers-04-unvisited"))
		if s := text(`#results tbody`); strings.Contains(s, "1栋") || !strings.Contains(s, "从未走访") {
			t.Errorf("unvisited: %q", s)
		}
	})

	t.Run("roster at the desk", func(t *testing.T) {
		vp := Desktop
		b := mustBrowser(t, vp)
		step, text := steps(t, b)
		step("the secretary opens the new-worker form", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
			chromedp.Navigate(a.url+"/workers"),
			chromedp.WaitVisible(chromedp.CSS(`#results`)),
			chromedp.Navigate(a.url+"/workers/new"),
			chromedp.WaitVisible(chromedp.CSS(`#form-worker`)),
			chromedp.SetValue(chromedp.CSS(`input[name=name]`), "周丽"),
			chromedp.SetValue(chromedp.CSS(`input[name=position]`), "专职网格员"),
			chromedp.SetValue(chromedp.CSS(`select[name=qualification]`), "assistant"),
			chromedp.SetValue(chromedp.CSS(`input[name=phone]`), "1391234"),
			chromedp.SetValue(chromedp.CSS(`input[name=hired_on]`), "2022-03-01"),
			press(`#create-worker`),
			chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
			shot(t, vp, "workers-05-new-error"))...)
		step("add the worker, assign the grid, record a training",
			chromedp.SetValue(chromedp.CSS(`input[name=phone]`), "13912345678"),
			press(`#create-worker`),
			chromedp.WaitVisible(chromedp.CSS(`#worker-grids`)),
			press(`#worker-grids input[type=checkbox]`),
			pressAway(`#save-grids`),
			chromedp.WaitVisible(chromedp.CSS(`#form-training`)),
			chromedp.SetValue(chromedp.CSS(`#form-training input[name=title]`), "社会工作实务培训"),
			chromedp.SetValue(chromedp.CSS(`#form-training input[name=hours]`), "3.5"),
			press(`#add-training`),
			chromedp.WaitVisible(chromedp.CSS(`#trainings table`)),
			shot(t, vp, "workers-06-worker"))
		if s := text(`#worker-coverage`); !strings.Contains(s, "2") || !strings.Contains(s, "3.5") {
			t.Errorf("coverage: %q", s)
		}
		if s := text(`#worker-phone`); s != "139****5678" {
			t.Errorf("masked phone: %q", s)
		}
		step("reveal the phone",
			press(`#reveal-worker`),
			chromedp.WaitVisible(chromedp.CSS(`#reveal-audited`)))
		if s := text(`#worker-phone`); s != "13912345678" {
			t.Errorf("revealed phone: %q", s)
		}
		step("the roster",
			chromedp.Navigate(a.url+"/workers"),
			chromedp.WaitVisible(chromedp.CSS(`#results tbody tr`)),
			shot(t, vp, "workers-07-roster"))
		if s := text(`#results tbody tr`); !strings.Contains(s, "周丽") || !strings.Contains(s, "139****5678") || !strings.Contains(s, "助理社会工作师") {
			t.Errorf("roster row: %q", s)
		}
	})
}
