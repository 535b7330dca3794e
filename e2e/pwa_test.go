package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestInstallableOffline: the site as an app on a phone. Chromium reads the manifest the layout
// links without an error, with the name, colours and icons installing needs (each icon fetched
// and decoded at the size the manifest claims); the service worker registers at the root and
// takes control; its cache holds static files only, never a page; and with the network gone a
// page is answered by the Chinese offline page, styled from the cache — at phone and desktop size.
func TestInstallableOffline(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			mustCommunity(t, a)
			ctx := mustProfileTab(t, vp)
			step, _ := steps(t, ctx)

			step("open the login page",
				chromedp.Navigate(a.url+"/login"),
				chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
			)

			// The manifest as Chromium parsed it.
			m, err := chromedp.Run(ctx, call(page.GetAppManifest, page.GetAppManifestParams{}))
			if err != nil {
				t.Fatalf("getAppManifest: %v", err)
			}
			if !strings.HasPrefix(m.URL, a.url+"/static/manifest.") {
				t.Errorf("manifest URL %q", m.URL)
			}
			for _, e := range m.Errors {
				t.Errorf("manifest error at %d:%d: %s (critical %d)", e.Line, e.Column, e.Message, e.Critical)
			}
			if m.Manifest == nil {
				t.Fatalf("Chromium parsed no manifest from %s", m.Data)
			}
			// Chromium resolves the addresses; the raw document holds the values as written.
			var raw struct {
				ShortName  string `json:"short_name"`
				Display    string `json:"display"`
				ThemeColor string `json:"theme_color"`
			}
			if err := json.Unmarshal([]byte(m.Data), &raw); err != nil {
				t.Fatalf("manifest: %v", err)
			}
			p := m.Manifest
			got := fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s", p.Name, raw.ShortName, raw.Display, p.StartURL, p.Scope, raw.ThemeColor, p.ID)
			want := fmt.Sprintf("共治|共治|standalone|%s/|%s/|#c8161d|%s/", a.url, a.url, a.url)
			if got != want {
				t.Errorf("manifest name|short_name|display|start_url|scope|theme_color|id = %s, want %s", got, want)
			}
			if p.ThemeColor != "rgba(200,22,29,1)" || !strings.Contains(strings.ToLower(p.Display), "standalone") {
				t.Errorf("Chromium read theme colour %s and display %s, want the Party red, standalone", p.ThemeColor, p.Display)
			}
			var sizes []string
			for _, ic := range p.Icons {
				// The browser fetches and decodes the icon: its real size must be the one claimed.
				dim, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
					`fetch(%q).then(r => r.ok ? r.blob() : Promise.reject(r.status)).then(createImageBitmap).then(b => b.width + "x" + b.height)`, ic.URL),
					chromedp.EvalAwaitPromise))
				if err != nil {
					t.Errorf("icon %s: %v", ic.URL, err)
					continue
				}
				if dim != ic.Sizes || ic.Type != "image/png" {
					t.Errorf("icon %s: %s %s, manifest says %s image/png", ic.URL, dim, ic.Type, ic.Sizes)
				}
				sizes = append(sizes, dim)
			}
			if !slices.Contains(sizes, "192x192") || !slices.Contains(sizes, "512x512") {
				t.Errorf("icons %v: want 192x192 and 512x512", sizes)
			}
			inst, err := chromedp.Run(ctx, call(page.GetInstallabilityErrors, cdp.Empty{}))
			if err != nil {
				t.Fatalf("getInstallabilityErrors: %v", err)
			}
			for _, e := range inst.InstallabilityErrors {
				t.Errorf("Chromium says the app is not installable: %s", e.ErrorID)
			}

			// The service worker: registered by app.js at the root, active, controlling the page.
			ctrl, err := chromedp.Run(ctx, chromedp.Poll[string](
				`navigator.serviceWorker.controller && navigator.serviceWorker.controller.state === "activated" && navigator.serviceWorker.controller.scriptURL`,
				chromedp.WithPollingTimeout(20*time.Second)))
			if err != nil {
				t.Fatalf("the service worker never took control: %v", err)
			}
			if ctrl != a.url+"/sw.js" {
				t.Errorf("controlling worker %q, want %s/sw.js", ctrl, a.url)
			}
			scope, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.serviceWorker.ready.then(r => r.scope)`, chromedp.EvalAwaitPromise))
			if err != nil || scope != a.url+"/" {
				t.Errorf("service worker scope %q (%v), want %s/", scope, err, a.url)
			}
			step("screenshot", shot(t, vp, "pwa-01-login"))

			// Pages visited online stay out of the cache: only static files are kept.
			step("visit pages",
				chromedp.Navigate(a.url+"/login?next=%2Fhouseholds"),
				chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
				chromedp.Navigate(a.url+"/no-such-page"),
				chromedp.WaitVisible(chromedp.CSS(`.error-page`)),
			)
			cached, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
				`caches.keys().then(ns => Promise.all(ns.map(n => caches.open(n).then(c => c.keys()).then(rs => rs.map(r => n + " " + new URL(r.url).pathname))))).then(l => l.flat())`,
				chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("list caches: %v", err)
			}
			if len(cached) < 6 {
				t.Errorf("cache holds %d entries, want the shell (stylesheet, script, icons, manifest, offline page): %q", len(cached), cached)
			}
			for _, c := range cached {
				name, path, _ := strings.Cut(c, " ")
				if !strings.HasPrefix(name, "gongzhi-") || !strings.HasPrefix(path, "/static/") {
					t.Errorf("cached %q: only static files may be cached", c)
				}
			}

			// The network goes away: a page is answered by the offline page, from the cache.
			net := mustNetSwitch(t, ctx)
			net.set(t, true)
			step("open a page offline",
				chromedp.Navigate(a.url+"/households"),
				chromedp.WaitVisible(chromedp.CSS(`[data-offline] h1`)),
				shot(t, vp, "pwa-02-offline"),
			)
			h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`h1`)))
			if err != nil || h1 != "网络已断开" {
				t.Errorf("offline page heading %q (%v), want 网络已断开", h1, err)
			}
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			if loc != a.url+"/households" {
				t.Errorf("offline page shown at %q, want the address asked for (%s/households)", loc, a.url)
			}
			// Styled: the stylesheet came from the cache, the network being gone.
			bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".btn-primary")).backgroundColor`))
			if err != nil || bg != "rgb(200, 22, 29)" {
				t.Errorf("offline page's button background %q (%v), want the Party red: the stylesheet did not come from the cache", bg, err)
			}

			// Back online, the same address is the real page again (the login page, not logged in).
			net.set(t, false)
			step("open it again online",
				chromedp.Navigate(a.url+"/households"),
				chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
			)
		})
	}
}

// netSwitch cuts and restores the network of a tab and of its service workers: a service worker
// is a DevTools target of its own, which the tab's network emulation does not reach.
type netSwitch struct {
	tab     context.Context
	workers []context.Context
}

func mustNetSwitch(t *testing.T, tab context.Context) *netSwitch {
	t.Helper()
	targets, err := chromedp.Targets(tab)
	if err != nil {
		t.Fatal(err)
	}
	n := &netSwitch{tab: tab}
	// The browser is shared: only the workers of this tab's browser context.
	var own cdp.BrowserContextID
	for _, tg := range targets {
		if tg.TargetID == chromedp.FromContext(tab).Target.TargetID {
			own = tg.BrowserContextID
		}
	}
	for _, tg := range targets {
		if tg.Type == "service_worker" && tg.BrowserContextID == own {
			ctx, cancel := chromedp.NewContext(tab, chromedp.WithTargetID(tg.TargetID))
			t.Cleanup(cancel)
			n.workers = append(n.workers, ctx)
		}
	}
	if len(n.workers) == 0 {
		t.Fatal("no service worker target to take offline")
	}
	return n
}

func (n *netSwitch) set(t *testing.T, offline bool) {
	t.Helper()
	conditions := call0(network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}},
	})
	for _, ctx := range n.workers {
		if err := chromedp.Do(ctx, call0(network.Enable, network.EnableParams{}), conditions); err != nil {
			t.Fatalf("service worker offline=%v: %v", offline, err)
		}
	}
	if err := chromedp.Do(n.tab, call0(network.Enable, network.EnableParams{}), conditions,
		call0(network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})); err != nil {
		t.Fatalf("tab offline=%v: %v", offline, err)
	}
}

// call runs a DevTools command on the tab and returns its result.
func call[P, R any](c cdp.Command[P, R], params P) chromedp.Action[R] {
	return func(ctx context.Context, t *chromedp.Target) (R, error) {
		return cdp.Call(ctx, t, c, params)
	}
}

// call0 runs a DevTools command whose result does not matter.
func call0[P, R any](c cdp.Command[P, R], params P) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, c, params)
		return chromedp.Void{}, err
	}
}
