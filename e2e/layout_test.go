package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// layoutFaults lists what looks broken on the page in the browser: a page wider than the
// screen, an element shown although it is hidden, a text that touches its card's edge (a card
// whose parts have no padding), a form squeezed beside its label in a phone's table card, a
// chart drawn narrower than its box or with labels on top of each other, a heading glued to the text above it, a button glued to
// what follows it on its line, a summary (dl) indented twice inside its card, a list's rows
// standing in from their card's heading.
const layoutFaults = `(() => {
  const out = [];
  if (document.documentElement.scrollWidth > window.innerWidth) out.push('the page scrolls sideways');
  for (const el of document.querySelectorAll('main [hidden]')) {
    if (el.getClientRects().length) out.push('shown although hidden: ' + el.outerHTML.slice(0, 80));
  }
  const walk = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  for (let n; (n = walk.nextNode());) {
    const el = n.parentElement, card = el.closest('.card');
    if (!n.data.trim() || !card || el.closest('.table-scroll, .visually-hidden, .analytics-chart, select')) continue;
    const r = document.createRange();
    r.selectNodeContents(n);
    const t = r.getBoundingClientRect(), c = card.getBoundingClientRect();
    if (!t.width) continue;
    if (t.left - c.left < 8 || c.right - t.right < 8) {
      out.push('touches its card: "' + n.data.trim().slice(0, 24) + '" (' + Math.round(t.left - c.left) + ' px left, ' + Math.round(c.right - t.right) + ' px right)');
    }
  }
  for (const f of document.querySelectorAll('.table-cards td > form')) {
    if (getComputedStyle(f.parentElement).display === 'table-cell') continue; // a desk's table
    const row = f.closest('tr').getBoundingClientRect(), w = f.getBoundingClientRect().width;
    if (w < row.width * 0.6) out.push('a form in a table cell ' + Math.round(w) + ' px wide in a row of ' + Math.round(row.width) + ' px');
  }
  for (const h of document.querySelectorAll('main h2, main h3')) {
    const prev = h.previousElementSibling;
    if (!prev || !prev.matches('p, table, ul, ol, dl, #turnout-box') || !prev.getClientRects().length || !h.getClientRects().length) continue;
    const gap = h.getBoundingClientRect().top - prev.getBoundingClientRect().bottom;
    if (gap < 6) out.push('a heading glued to the text above it: "' + h.textContent.trim().slice(0, 24) + '" (' + Math.round(gap) + ' px)');
  }
  for (const d of document.querySelectorAll('main p + #turnout-box')) {
    const gap = d.getBoundingClientRect().top - d.previousElementSibling.getBoundingClientRect().bottom;
    if (gap < 6) out.push("a vote's turnout glued to the text above it (" + Math.round(gap) + ' px)');
  }
  for (const b of document.querySelectorAll('main .btn')) {
    const next = b.nextElementSibling;
    if (!next || !next.getClientRects().length || !b.getClientRects().length || !next.textContent.trim()) continue;
    const r = b.getBoundingClientRect(), q = next.getBoundingClientRect();
    if (q.top < r.bottom && q.bottom > r.top && q.left - r.right < 8) out.push('a button glued to what follows it: "' + b.textContent.trim().slice(0, 12) + '" (' + Math.round(q.left - r.right) + ' px)');
  }
  for (const dt of document.querySelectorAll('main .card .summary dt')) {
    const inset = dt.getBoundingClientRect().left - dt.closest('.card').getBoundingClientRect().left;
    if (inset > 24) out.push('a summary indented ' + Math.round(inset) + ' px inside its card: "' + dt.textContent.trim().slice(0, 12) + '"');
  }
  for (const t of document.querySelectorAll('main .list-card > .topic-list .topic-title')) {
    const h = t.closest('.list-card').querySelector(':scope > h2');
    if (!h) continue;
    const d = t.getBoundingClientRect().left - h.getBoundingClientRect().left;
    if (Math.abs(d) > 4) out.push('a list row stands ' + Math.round(d) + ' px in from its card\'s heading: "' + t.textContent.trim().slice(0, 12) + '"');
  }
  for (const c of document.querySelectorAll('main .analytics-chart.drawn')) {
    // (not the page count of a scrolling legend, under which the legend's last name is clipped;
    // the lines of one broken label touch, so an overlap is more than a third of a line)
    const texts = [...c.querySelectorAll('svg text')].map(t => [t.textContent, t.getBoundingClientRect()]).filter(([s, r]) => s.trim() && r.width && !/^\d+\/\d+$/.test(s.trim()));
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i][1], b = texts[j][1];
      if (Math.min(a.right, b.right) - Math.max(a.left, b.left) > 2 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > Math.min(a.height, b.height) / 3) out.push("a chart's labels overlap: \"" + texts[i][0].slice(0, 12) + '" and "' + texts[j][0].slice(0, 12) + '"');
    }
    const box = c.getBoundingClientRect();
    for (const [s, r] of texts) if (r.bottom > box.bottom + 1) out.push("a chart's label runs out of its box: \"" + s.slice(0, 12) + '"');
    const svg = c.querySelector('svg');
    if (svg && c.clientWidth - svg.getBoundingClientRect().width > 8) out.push('a chart drawn ' + Math.round(svg.getBoundingClientRect().width) + ' px wide in a box of ' + c.clientWidth + ' px');
  }
  return out.slice(0, 12).join('\n');
})()`

// TestVolunteerPagesLayout: the pages of volunteer service by orders, the time bank, the
// three lists and the messages, as staff, a resident and a volunteer, at phone and desk
// sizes, checked in the browser for what looks broken (layoutFaults): on a phone and at a
// desk every text keeps its distance from its card's edge, nothing hidden shows (the 消息
// page's "new messages" notice), no page is wider than the screen, and a form in a table's
// cell (需求对接) takes the row's width on a phone.
func TestVolunteerPagesLayout(t *testing.T) {
	t.Parallel()
	for _, vp := range []viewport{Phone, Desktop} {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			ids := model.PathIDs(stair.Path)
			community := ids[2]
			const pw = "neighbours help neighbours 2026"
			people := mustOrderPeople(t, a, stair, wangNainai, xiaoZhao, pw)
			res, vol, taker := people.resident, people.volunteer, people.taker
			_, cats, err := a.st.OrderPlaceFor(bg, authz.ForUser(res), 0)
			if err != nil || len(cats) < 2 {
				t.Fatalf("categories: %v", err)
			}
			var orders []*model.Order
			for i, what := range []string{"厨房水龙头漏水，想请人帮忙修一下", "陪我去医院复查"} {
				o, _, err := a.st.PlaceOrder(bg, authz.ForUser(res), model.OrderInput{CategoryID: cats[i].ID, Description: what, PreferredTime: "周六上午"}, nil)
				if err != nil {
					t.Fatal(err)
				}
				orders = append(orders, o)
			}
			for _, step := range []model.OrderTransitionInput{{Action: model.ActClaim}, {Action: model.ActDone, Hours: 1.5}} {
				if _, err := a.st.TransitionOrder(bg, authz.ForUser(vol), orders[0].ID, step); err != nil {
					t.Fatal(err)
				}
			}
			need, err := a.st.CreateNeed(bg, sys, model.NeedInput{Title: "老旧楼栋水电维修", Category: "家电维修", TerritoryID: community, Households: 24})
			if err != nil {
				t.Fatal(err)
			}
			fix, err := a.st.CreateOrganization(bg, sys, model.OrganizationInput{Type: model.OrgCoBuilding, Subtype: model.SubtypeCompany, Name: "天宝物业服务有限公司", TerritoryID: community})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.st.CreateResource(bg, sys, model.ResourceInput{Kind: model.ResourceSkill, Title: "水电维修服务队", Tags: "家电维修 水电", Capacity: 6,
				TerritoryID: community, OrganizationID: fix.ID, Availability: "每周六上午"}); err != nil {
				t.Fatal(err)
			}

			for _, who := range []struct {
				username, password, secret string
				paths                      []string
			}{
				{"tianbao", "zhongba street 2026 spring", staffSecret, []string{"/orders", "/orders/" + itoa(orders[1].ID), "/orders/new", "/orders/settings",
					"/orders/stats", "/timebank/takers/" + itoa(taker.ID), "/lists/needs", "/lists/resources", "/lists/projects", "/lists/match?need=" + itoa(need.ID), "/messages"}},
				{"wangnainai", pw, "", []string{"/orders/mine", "/orders/" + itoa(orders[0].ID), "/timebank", "/messages"}},
				{"xiaozhao", pw, "", []string{"/orders/near", "/orders/taking", "/timebank", "/timebank/certificate", "/messages"}},
			} {
				b := mustBrowser(t, vp)
				step, _ := steps(t, b)
				step("log in as "+who.username, login(a, who.username, who.password, who.secret)...)
				for _, path := range who.paths {
					step(who.username+" opens "+path, chromedp.Navigate(a.url+path), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
					got, err := chromedp.Run(b, chromedp.Evaluate[string](layoutFaults))
					if err != nil {
						t.Fatalf("%s: %v", path, err)
					}
					if got != "" {
						t.Errorf("%s as %s:\n%s", path, who.username, got)
					}
				}
			}
		})
	}
}

// noLayoutFaults fails the test when the page open in tab b looks broken (layoutFaults), naming
// the page.
func noLayoutFaults(t *testing.T, b context.Context, page string) {
	t.Helper()
	got, err := chromedp.Run(b, chromedp.Evaluate[string](layoutFaults))
	if err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	if got != "" {
		t.Errorf("%s looks broken:\n%s", page, got)
	}
}
