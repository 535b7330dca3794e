package e2e

import (
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// currentNavItem reports where the side navigation's current item stands: "" when its label
// lies inside the part of the navigation the window shows, else what is wrong.
const currentNavItem = `(() => {
  const nav = document.querySelector('.sidenav');
  const a = nav && nav.querySelector('a[aria-current=page]');
  if (!a) return 'no current item';
  const n = nav.getBoundingClientRect(), r = a.querySelector('span').getBoundingClientRect();
  const bottom = Math.min(n.bottom, window.innerHeight);
  if (r.top >= n.top && r.bottom <= bottom) return '';
  return 'label at ' + Math.round(r.top) + '–' + Math.round(r.bottom) + ' px, the navigation shows ' + Math.round(n.top) + '–' + Math.round(bottom) + ' px';
})()`

// withoutInitialTarget makes a page's stylesheet as a browser without scroll-initial-target
// reads it, before the page loads (a constructed sheet, which the site's CSP allows).
const withoutInitialTarget = `(() => {
  const s = new CSSStyleSheet();
  s.replaceSync('.nav-group a[aria-current="page"] { scroll-initial-target: none !important; }');
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, s];
})()`

// TestSideNavShowsCurrentItem: a community admin's side navigation is taller than a 1440×900
// window and scrolls by itself; on a page of a lower group (志愿服务, 三张清单, 联建单元, 数据导入)
// it opens with the page's item and its label in view, not under the window's edge as a pink
// bar without a label; on the home page it stays at its top. The stylesheet does it where the
// browser knows scroll-initial-target, app.js where it does not.
func TestSideNavShowsCurrentItem(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct{ name, script string }{
		{"scroll-initial-target", ""},
		{"app.js", withoutInitialTarget},
	} {
		t.Run(mode.name, func(t *testing.T) {
			a := mustApp(t)
			mustCommunity(t, a)
			b := mustBrowser(t, Desktop)
			step, _ := steps(t, b)
			if mode.script != "" {
				step("a browser without scroll-initial-target", call0(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: mode.script}))
			}
			step("log in at a desk", login(a, "tianbao", "zhongba street 2026 spring", staffSecret)...)
			for _, path := range []string{"/orders", "/orders/settings", "/lists/needs", "/lists/projects", "/units/coverage", "/import"} {
				step(path, chromedp.Navigate(a.url+path), chromedp.WaitVisible(chromedp.CSS(`.sidenav a[aria-current=page][href="`+path+`"]`)))
				got, err := chromedp.Run(b, chromedp.Evaluate[string](currentNavItem))
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if got != "" {
					t.Errorf("%s: the current navigation item is out of view: %s", path, got)
				}
				if path == "/lists/projects" {
					step("shot", shot(t, Desktop, "nav-current-item-"+mode.name))
				}
			}
			step("back home", chromedp.Navigate(a.url+"/"), chromedp.WaitVisible(chromedp.CSS(`.sidenav a[aria-current=page][href="/"]`)))
			top, err := chromedp.Run(b, chromedp.Evaluate[float64](`document.querySelector('.sidenav').scrollTop`))
			if err != nil {
				t.Fatal(err)
			}
			if top != 0 {
				t.Errorf("home page: the navigation opens scrolled by %v px", top)
			}
		})
	}
}
