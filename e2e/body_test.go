package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestBodyTerm: staff record the residents' committee's term on the community's page — a first
// try with no 主任 refused inline, nothing written; then the director picked from the residents
// (the picker searching the community as one types), who is the Party committee's secretary
// through her Party member record, so the page marks her 交叉任职; then a decision the residents' committee owns — on the phone and at desktop size.
func TestBodyTerm(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Desktop) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			cs, err := a.st.Territories(bg, sys, store.TerritoryFilter{Kind: model.KindCommunity, Limit: 10})
			if err != nil || len(cs.Items) != 1 {
				t.Fatalf("the community: %+v, %v", cs, err)
			}
			community := cs.Items[0]
			h, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: "1栋1单元101室"})
			if err != nil {
				t.Fatal(err)
			}
			good, _, _ := idWith("19700101", "611")
			chen, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h.ID, Name: "陈淑芬", IDNumber: good, Relation: model.RelationHead})
			if err != nil {
				t.Fatal(err)
			}
			committee := storetest.MustOrg(t, a.st, "community_committee", "天宝社区党委", community.ID, 0)
			member := storetest.Exec(t, a.st, `INSERT INTO party_members (list, resident_id, name, org_id, path, community_id, status, category, created_at, updated_at)
				SELECT 'registered', ?, '陈淑芬', ?, path, id, 'full', 'retired', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM territories WHERE id = ? RETURNING id`, chen.ID, committee, community.ID)
			storetest.Exec(t, a.st, `INSERT INTO party_posts (org_id, post, member_id, starts_on, created_at) VALUES (?, 'secretary', ?, CURRENT_DATE, CURRENT_TIMESTAMP) RETURNING id`, committee, member)

			b := mustBrowser(t, vp)
			step, text := steps(t, b)
			step("staff open the committee's page", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+"/bodies"),
				chromedp.WaitVisible(chromedp.CSS(`#form-term`)),
				shot(t, vp, "bodies-01-empty"))...)
			if s := text(`#new-term h2`); !strings.Contains(s, "居民委员会") {
				t.Errorf("the form's body: %q", s)
			}
			// The member picker searches the community on the server as one types (htmx fills the
			// datalist): she is offered as a resident and as a Party member.
			step("the picker finds her as one types",
				chromedp.SendKeys(chromedp.CSS(`#f-term-person_0`), "陈淑"),
				chromedp.Poll[chromedp.Void](`document.querySelectorAll("#body-people option").length >= 2`))
			offered, err := chromedp.Run(b, chromedp.Evaluate[string](`[...document.querySelectorAll('#body-people option')].map(o => o.value).join('|')`))
			pick := fmt.Sprintf("陈淑芬 · 居民 #R%d", chen.ID)
			if err != nil || !strings.Contains(offered, pick) || !strings.Contains(offered, fmt.Sprintf("陈淑芬 · 党员 #P%d", member)) {
				t.Fatalf("the picker offers %q (%v), want %q and her Party record", offered, err, pick)
			}
			step("a term without a director",
				chromedp.SetValue(chromedp.CSS(`#f-term-starts_on`), "2026-01-01"),
				chromedp.SetValue(chromedp.CSS(`#f-term-ends_on`), "2030-12-31"),
				chromedp.SetValue(chromedp.CSS(`#f-term-elected_on`), "2025-12-20"),
				chromedp.SetValue(chromedp.CSS(`#f-term-election_result`), "应到选民 2310 人，实到 1986 人，2 人当选"),
				chromedp.SetValue(chromedp.CSS(`#f-term-post_0`), "deputy"),
				chromedp.SetValue(chromedp.CSS(`#f-term-person_0`), pick), // chosen from the list
				chromedp.SetValue(chromedp.CSS(`#f-term-post_1`), "member"),
				chromedp.SetValue(chromedp.CSS(`#f-term-name_1`), "王建华"),
				press(`#add-term`),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "bodies-02-no-director"))
			if s := text(`#f-term-members .field-error`); !strings.Contains(s, "每届应有且只有一名主任") {
				t.Errorf("the refusal: %q", s)
			}
			if terms, err := a.st.BodyTerms(bg, sys, community.ID); err != nil || len(terms) != 0 {
				t.Fatalf("a refused term written: %v, %v", terms, err)
			}
			step("the director chosen",
				chromedp.SetValue(chromedp.CSS(`#f-term-post_0`), "director"),
				press(`#add-term`),
				chromedp.WaitVisible(chromedp.CSS(`#decisions`)),
				shot(t, vp, "bodies-03-term"))
			terms, err := a.st.BodyTerms(bg, sys, community.ID)
			if err != nil || len(terms) != 1 || len(terms[0].Members) != 2 {
				t.Fatalf("terms: %v, %v", terms, err)
			}
			term := terms[0]
			if s := text(fmt.Sprintf(`#body-member-%d`, term.Members[0].ID)); !strings.Contains(s, "主任") || !strings.Contains(s, "陈淑芬") || !strings.Contains(s, "交叉任职") {
				t.Errorf("the director: %q", s)
			}
			if s := text(fmt.Sprintf(`#cross-%d`, term.ID)); !strings.Contains(s, "交叉任职 1 人") {
				t.Errorf("the cross appointments: %q", s)
			}
			step("a decision of the residents' committee",
				chromedp.SetValue(chromedp.CSS(`#f-decision-kind`), "decision"),
				chromedp.SetValue(chromedp.CSS(`#f-decision-date`), "2026-03-05"),
				chromedp.SetValue(chromedp.CSS(`#f-decision-title`), "通过小区停车收费方案"),
				press(`#add-decision`),
				chromedp.WaitVisible(chromedp.CSS(`#decisions li`)),
				shot(t, vp, "bodies-04-decision"))
			if s := text(`#decisions ul`); !strings.Contains(s, "决定") || !strings.Contains(s, "通过小区停车收费方案") {
				t.Errorf("the decisions: %q", s)
			}
		})
	}
}
