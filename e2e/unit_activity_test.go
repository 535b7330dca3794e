package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestUnitActivityRecord: a unit leader on a phone (390 px) opens 五联创建 from 办事, records an
// activity — a category chip, today's date as it comes, every household as ticked, one sentence,
// a photo from the camera that carries GPS in its EXIF — and sees it listed with the photo; the
// photo is served as image/jpeg under nosniff with no EXIF left. First an HTML page renamed .jpg
// is refused with the reason and nothing stored.
func TestUnitActivityRecord(t *testing.T) {
	t.Parallel()
	a := mustApp(t)
	stair := mustCommunity(t, a)
	bg, sys := context.Background(), authz.System()
	var ids []int64
	for i := range 4 {
		h, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: fmt.Sprintf("1栋1单元%d01室", i+1)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, h.ID)
	}
	unit := storetest.MustUnit(t, a.st, "1栋1单元联建单元", ids...)
	const pw = "neighbours help neighbours 2026"
	if _, err := a.st.CreateUser(bg, sys, store.UserInput{Username: "zuzhang", DisplayName: "赵组长", Password: pw, Role: model.RoleUnitLeader,
		ScopeID: stair.ID, UnitID: unit.ID}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	photo := filepath.Join(dir, "IMG_0420.jpg")
	if err := os.WriteFile(photo, modeltest.JPEGWithGPS(t, 1200, 900), 0o600); err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(dir, "IMG_0421.jpg")
	if err := os.WriteFile(fake, []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"), 0o600); err != nil {
		t.Fatal(err)
	}

	vp := Phone
	b := mustBrowser(t, vp)
	step, text := steps(t, b)
	step("log in, open 办事", append(login(a, "zuzhang", pw, ""),
		chromedp.Navigate(a.url+"/services"),
		chromedp.WaitVisible(chromedp.CSS(`#tile-unit-activities`)),
		shot(t, vp, "unitact-01-services"))...)
	step("五联创建: the unit's records, none yet",
		chromedp.Click(chromedp.CSS(`#tile-unit-activities`)),
		chromedp.WaitVisible(chromedp.CSS(`#record-activity`)),
		shot(t, vp, "unitact-02-empty-list"))
	step("the record form",
		chromedp.Click(chromedp.CSS(`#record-activity`)),
		chromedp.WaitVisible(chromedp.CSS(`#form-activity`)),
		shot(t, vp, "unitact-03-form"))
	if n := text(`#form-activity .cat-chips`); !strings.Contains(n, "环境联治") || !strings.Contains(n, "新风联树") {
		t.Errorf("chips: %q", n)
	}
	step("an HTML page renamed .jpg",
		press(`.cat-chip input[value=environment]`),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=description]`), "清理楼道杂物，疏通消防通道"),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file][name=photos]`), []string{fake}),
		press(`#form-activity button[type=submit]`),
		chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
		shot(t, vp, "unitact-04-not-a-photo"))
	if s := text(`.error-summary`); !strings.Contains(s, "不是照片") {
		t.Errorf("the disguised page: %q", s)
	}
	var n int
	if err := a.st.DB().QueryRowContext(bg, `SELECT COUNT(*) FROM unit_activities`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("after a refused record: %d records, %v", n, err)
	}
	step("the photo from the camera, saved",
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file][name=photos]`), []string{photo}),
		shot(t, vp, "unitact-05-filled"),
		press(`#form-activity button[type=submit]`),
		chromedp.WaitVisible(chromedp.CSS(`.unitact-item .unitact-photos img`)),
		shot(t, vp, "unitact-06-listed"))
	if s := text(`.unitact-item`); !strings.Contains(s, "环境联治") || !strings.Contains(s, "清理楼道杂物") || !strings.Contains(s, "4 户参加") {
		t.Errorf("the record listed: %q", s)
	}
	src, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector('.unitact-photos img').getAttribute('src')`))
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := chromedp.Run(b, chromedp.Evaluate[bool](`document.querySelector('.unitact-photos img').naturalWidth > 0`))
	if err != nil || !loaded {
		t.Errorf("the photo did not load in the page: %v", err)
	}

	// The photo as the server serves it.
	body, _ := json.Marshal(map[string]string{"username": "zuzhang", "password": pw})
	res, err := http.Post(a.url+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	req, _ := http.NewRequest(http.MethodGet, a.url+src, nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/jpeg" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("photo %s: %d %q nosniff=%q", src, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("X-Content-Type-Options"))
	}
	if !bytes.HasPrefix(img, []byte{0xFF, 0xD8}) || bytes.Contains(img, []byte("Exif")) || bytes.Contains(img, []byte("MM\x00\x2a")) {
		t.Error("the served photo is not a JPEG without EXIF")
	}
}
