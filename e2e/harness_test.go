// Package e2e drives headless Chromium (Debian's chromium package) against the real server,
// in-process on a real SQLite file, and saves screenshots at phone and desktop sizes.
package e2e

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// Viewports every flow is shot at.
var (
	Phone   = viewport{"phone", 390, 844, true}
	Desktop = viewport{"desktop", 1440, 900, false}
)

type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

// other is the viewport a shot at vp is also taken at.
func (vp viewport) other() viewport {
	if vp.mobile {
		return Desktop
	}
	return Phone
}

// emulate sets a tab's viewport to vp (a phone is a mobile device with touch at twice the
// pixels; the desktop neither).
func (vp viewport) emulate() chromedp.Action[chromedp.Void] {
	if vp.mobile {
		return chromedp.EmulateViewport(vp.width, vp.height, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	}
	return chromedp.EmulateViewport(vp.width, vp.height)
}

// everySize runs each flow at both viewports (E2E_SIZES=all). By default a flow runs once, at
// the size its users hold, and each of its shots is taken at both sizes: a flow is driven at
// one size, its pages are seen at both, and the browser's work is halved (Chromium's rendering
// was most of the package's CPU, every flow doubled only for its screenshots).
var everySize = os.Getenv("E2E_SIZES") == "all"

// sizes is the viewports a flow runs at: primary, the size its users hold, or both under
// E2E_SIZES=all.
func sizes(primary viewport) []viewport {
	if everySize {
		return []viewport{primary, primary.other()}
	}
	return []viewport{primary}
}

// app is a running server with its store.
type app struct {
	st  *store.Store
	url string
}

// staffSecret is the second-factor secret of the staff accounts the tests make.
const staffSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// totpNow is the current code of secret, as the authenticator app shows it.
func totpNow(t *testing.T, secret string) string {
	t.Helper()
	code, err := authz.TOTPCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// mustApp starts the whole server (API and pages) on a fresh SQLite file.
func mustApp(t *testing.T) *app {
	t.Helper()
	st := storetest.Open(t, "sqlite")
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pages, err := web.New(st, log, web.Options{SiteName: "共治 · 测试", MaxUploadBytes: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(st, log, api.Token, api.New(st, log, 1<<20, false), pages)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &app{st: st, url: ts.URL}
}

// chromiumPath finds Debian's chromium; without it the test is skipped, or fails when CI=true.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found and CI=true: run scripts/ensure-chromium.sh")
	}
	t.Skip("chromium not found: run scripts/ensure-chromium.sh")
	return ""
}

// tabLimit is how long a tab may take for its whole flow. The tests run two at a time
// (t.Parallel: most of a browser test's time is spent waiting for pages, 250 s of CPU in 750 s
// of wall time for the package) beside the matrix and the fuzz targets on 2 cores; a flow of
// a dozen pages that took 30 s alone took 50 under that load, and the survey's (14 pages) 96 s
// on a slower machine of the same kind (2026-12-05) — past the 90 s this was. It ends a tab
// that hangs; the test binary's -timeout ends the rest.
const tabLimit = 3 * time.Minute

// mustBrowser returns a tab context at viewport vp in a browser context of its own (cookies,
// storage, cache and service workers apart from every other tab's, as a second browser
// profile would have them) on the package's shared headless Chromium.
func mustBrowser(t *testing.T, vp viewport) context.Context {
	t.Helper()
	return mustBrowserFor(t, vp, tabLimit)
}

// mustBrowserFor is mustBrowser for a flow that keeps its tab open longer than tabLimit
// (a page that waits for another person's change).
func mustBrowserFor(t *testing.T, vp viewport, limit time.Duration) context.Context {
	t.Helper()
	return mustTab(t, vp, limit, chromedp.WithNewBrowserContext())
}

// mustProfileTab is mustBrowser in the browser's default context, the one profile that is not
// incognito (Chromium installs apps only from such a profile; every other browser context is
// incognito). Its cookies and storage are per origin, and each app has an origin of its own.
func mustProfileTab(t *testing.T, vp viewport) context.Context {
	t.Helper()
	return mustTab(t, vp, tabLimit)
}

func mustTab(t *testing.T, vp viewport, limit time.Duration, opts ...chromedp.ContextOption) context.Context {
	t.Helper()
	browser := mustSharedBrowser(t)
	ctx, cancelC := chromedp.NewContext(browser, opts...)
	ctx, cancelT := context.WithTimeout(ctx, limit)
	t.Cleanup(func() { cancelT(); cancelC() })
	if err := chromedp.Do(ctx, vp.emulate()); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// browser is the package's one headless Chromium, started by the first test that needs it
// (with the flags this machine needs: no outside network) and stopped by TestMain. Starting a
// browser per tab cost a second or more each, several times per test.
var browser struct {
	once   sync.Once
	ctx    context.Context
	err    error
	cancel func()
}

func mustSharedBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	browser.once.Do(func() {
		dir, err := os.MkdirTemp("", "gongzhi-e2e-chromium-")
		if err != nil {
			browser.err = err
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.UserDataDir(dir),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("lang", "zh-CN"),
			chromedp.WindowSize(int(Desktop.width), int(Desktop.height)),
		}
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		// The browser outlives every test: its errors go to the log, not to a test's.
		ctx, cancelC := chromedp.NewContext(actx, chromedp.WithErrorf(log.Printf))
		browser.ctx = ctx
		browser.cancel = func() { cancelC(); cancelA(); os.RemoveAll(dir) }
		browser.err = chromedp.Do(ctx) // starts the browser on its first tab
	})
	if browser.err != nil {
		t.Fatalf("start chromium: %v", browser.err)
	}
	return browser.ctx
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

// screenshotDir is where screenshots go: E2E_SCREENSHOTS or e2e/screenshots.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("E2E_SCREENSHOTS")
	if dir == "" {
		dir = "screenshots"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shot saves a full-page screenshot named NAME-VIEWPORT.png of a tab at vp, and (unless every
// flow runs at both sizes) one at the other viewport, NAME-OTHER.png: the tab is set to the
// other size for it and back to vp.
func shot(t *testing.T, vp viewport, name string) chromedp.Action[chromedp.Void] {
	save := func(ctx context.Context, tg *chromedp.Target, vp viewport) error {
		buf, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(screenshotDir(t), name+"-"+vp.name+".png"), buf, 0o644)
	}
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if err := save(ctx, tg, vp); err != nil || everySize {
			return err
		}
		o := vp.other()
		if _, err := o.emulate()(ctx, tg); err != nil {
			return err
		}
		if err := save(ctx, tg, o); err != nil {
			return err
		}
		_, err := vp.emulate()(ctx, tg)
		return err
	})
}

// press clicks the first element that matches the CSS selector sel, by script: it needs no
// layout (a button under the phone's tab bar is pressed as well) and waits for nothing.
func press(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(document.querySelector('`+sel+`').click(), true)`)(ctx, tg)
		return err
	})
}

// away runs act, which leaves the page (a form sent, a link followed), and waits until the
// page it leads to has loaded: the step's waits then look at that page. A wait for an element
// both pages show (the notice of a change after the notice of the one before, a form both
// render) otherwise matched the page being left, or hung the tab as that page went away under
// it: TestOrderFlow's "marks it done" waited for its tab's whole 90 s in 3 runs of 12 on a
// quiet machine (2026-12-04).
func away(act chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Evaluate[bool](`window.gongzhiLeaving = true`)(ctx, tg); err != nil {
			return err
		}
		if _, err := act(ctx, tg); err != nil {
			return err
		}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			// Asked while the page changes, the browser may fail the evaluation: asked again.
			arrived, err := chromedp.Evaluate[bool](`!window.gongzhiLeaving && document.readyState === 'complete'`)(ctx, tg)
			if err == nil && arrived {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("left the page, the next did not load: %w", ctx.Err())
			case <-tick.C:
			}
		}
	})
}

// pressAway presses sel (press) and waits for the page it leads to (away).
func pressAway(sel string) chromedp.Action[chromedp.Void] { return away(press(sel)) }

// pageState says where a tab is and what it shows when a step failed: its address, title
// and any error summary, read on a context of its own (the step's may have run out).
func pageState(b context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(b), 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[location.href, document.title, (document.querySelector('.error-summary') || {}).innerText || '', (document.querySelector('main') || document.body).innerText.slice(0, 600)].join(' | ')`))
	if err != nil {
		return "unknown: " + err.Error()
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// login is the steps of logging in as username through the login page, with the second
// factor's current code when secret is not empty; it ends on the page after the login.
func login(a *app, username, password, secret string) []chromedp.Action[chromedp.Void] {
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(a.url + "/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), username),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
	}
	if secret == "" {
		return append(steps, chromedp.WaitNotPresent(chromedp.CSS(`input[name=password]`)))
	}
	code, err := authz.TOTPCode(secret, time.Now())
	if err != nil {
		panic(err) // a constant secret of the tests
	}
	return append(steps,
		chromedp.WaitVisible(chromedp.CSS(`input[name=otp]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=otp]`), code),
		chromedp.Submit(chromedp.CSS(`input[name=otp]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`input[name=otp]`)))
}

// steps returns the two helpers of a page test on browser b: step runs actions and fails the
// test naming the step; text reads the text of the first element matching sel.
func steps(t *testing.T, b context.Context) (step func(name string, actions ...chromedp.Action[chromedp.Void]), text func(sel string) string) {
	step = func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		began := time.Now()
		err := chromedp.Do(b, actions...)
		// Each step's time is in the log (shown when a test fails or with -v): a flow that
		// runs out of time under load says which step took it.
		t.Logf("%s: %.1f s", name, time.Since(began).Seconds())
		if err != nil {
			t.Logf("%s: the page: %s", name, pageState(b))
			t.Fatalf("%s: %v", name, err)
		}
	}
	text = func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(b, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	return step, text
}
