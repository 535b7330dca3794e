package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/api"
	"gongzhi/internal/jobs"
	"gongzhi/internal/server"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// mustJobApp is mustApp with a running job worker, as `gongzhi serve` has.
func mustJobApp(t *testing.T) *app {
	t.Helper()
	st := storetest.Open(t, "sqlite")
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	q, err := jobs.New(st, log, jobs.Options{Poll: 100 * time.Millisecond, Tick: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(5 * time.Second) })
	pages, err := web.New(st, log, web.Options{SiteName: "共治 · 测试", MaxUploadBytes: 32 << 20, Jobs: q})
	if err != nil {
		t.Fatal(err)
	}
	a := api.New(st, log, 1<<20, false)
	a.UseJobs(q, 32<<20)
	ts := httptest.NewServer(server.New(st, log, api.Token, a, pages).Handler())
	t.Cleanup(ts.Close)
	return &app{st: st, url: ts.URL}
}

// TestImportProgressFlow: upload a file of 1,500 households on the import page, land on the
// job's page, watch the progress bar (htmx polling) reach 100 %, and see the result — at phone
// and at desktop size.
func TestImportProgressFlow(t *testing.T) {
	t.Parallel()
	for i, vp := range sizes(Desktop) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustJobApp(t)
			stair := mustCommunity(t, a)
			ctx := mustBrowser(t, vp)
			ctx, cancel := context.WithTimeout(ctx, 40*time.Second)
			defer cancel()

			var b strings.Builder
			b.WriteString("户编号,所属节点,门牌地址,姓名,与户主关系,身份证号,政治面貌\n")
			const households = 1500
			for h := range households {
				good, _, _ := idWith(fmt.Sprintf("19%02d%02d%02d", 40+h%50, 1+h%12, 1+h%28), fmt.Sprintf("%03d", (h+i*households)%1000))
				fmt.Fprintf(&b, "%d,%d,%d室,居民%d,户主,%s,群众\n", h+1, stair.ID, 100+h, h, good)
			}
			file := filepath.Join(t.TempDir(), "住户导入.csv")
			if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			step, _ := steps(t, ctx)
			step("log in",
				chromedp.Navigate(a.url+"/login"),
				chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
				chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "tianbao"),
				chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "zhongba street 2026 spring"),
				chromedp.Submit(chromedp.CSS(`input[name=password]`)),
				chromedp.WaitVisible(chromedp.CSS(`input[name=otp]`)),
				chromedp.SendKeys(chromedp.CSS(`input[name=otp]`), totpNow(t, staffSecret)),
				chromedp.Submit(chromedp.CSS(`input[name=otp]`)),
				chromedp.WaitNotPresent(chromedp.CSS(`input[name=otp]`)),
			)
			step("upload",
				chromedp.Navigate(a.url+"/import"),
				chromedp.WaitVisible(chromedp.CSS(`input[type=file][name=file]`)),
				chromedp.SetUploadFiles(chromedp.CSS(`input[type=file][name=file]`), []string{file}),
				shot(t, vp, "20-import-form"),
				chromedp.Click(chromedp.CSS(`#form-import button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`progress.job-progress`)),
				shot(t, vp, "21-import-progress"),
			)
			// The page polls its status; it ends on its own with the bar full.
			step("wait for the end",
				chromedp.WaitVisible(chromedp.CSS(`#job-status[data-status=succeeded] .result-ok`)),
				shot(t, vp, "22-import-done"),
			)
			value, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`progress.job-progress`), "value"))
			if err != nil {
				t.Fatal(err)
			}
			url, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil {
				t.Fatal(err)
			}
			if value.Value != "100" {
				t.Errorf("progress bar at %q, want 100", value.Value)
			}
			if !strings.Contains(url, "/jobs/") {
				t.Errorf("after the upload the browser is at %s, want the job's page", url)
			}
			txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main`)))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(txt, "已导入1500户、1500人") {
				t.Errorf("result page %q lacks the counts", txt)
			}
			step("my jobs",
				chromedp.Navigate(a.url+"/jobs"),
				chromedp.WaitVisible(chromedp.CSS(`table a[href^="/jobs/"]`)),
				shot(t, vp, "23-my-jobs"),
			)
		})
	}
}
