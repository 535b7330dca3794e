package api_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// activityForm is a record's multipart body: fields, then the photos.
func activityForm(tb testing.TB, fields map[string]string, photos ...[]byte) (string, []byte) {
	tb.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for i, p := range photos {
		fw, err := mw.CreateFormFile("photos", fmt.Sprintf("IMG_%04d.jpg", i))
		if err != nil {
			tb.Fatal(err)
		}
		_, _ = fw.Write(p)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

type activityOut struct {
	ID             string   `json:"id"`
	UnitID         string   `json:"unit_id"`
	UnitName       string   `json:"unit_name"`
	Category       string   `json:"category"`
	CategoryLabel  string   `json:"category_label"`
	Date           string   `json:"date"`
	Month          string   `json:"month"`
	Description    string   `json:"description"`
	Households     []string `json:"households"`
	HouseholdCount int      `json:"household_count"`
	Photos         []struct {
		N           int    `json:"n"`
		ContentType string `json:"content_type"`
		Size        int64  `json:"size"`
		Width       int    `json:"width"`
		Height      int    `json:"height"`
		URL         string `json:"url"`
	} `json:"photos"`
	Case *struct {
		HouseholdID string `json:"household_id"`
		Address     string `json:"address"`
		Status      string `json:"status"`
		UpdatedAt   string `json:"updated_at"`
		Notes       []struct {
			From string `json:"from"`
			To   string `json:"to"`
			Note string `json:"note"`
			At   string `json:"at"`
		} `json:"notes"`
	} `json:"case"`
	CreatorName string `json:"creator_name"`
	CreatedAt   string `json:"created_at"`
	Withheld    bool   `json:"withheld"`
}

// TestUnitActivityAPI: a unit leader records an activity with a photo carrying GPS; the photo is
// served as a JPEG under nosniff without EXIF; bad photos are 422 naming them with nothing
// stored; another unit's leader gets 404; the leader may not read coverage (403) but staff may.
func TestUnitActivityAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		var hh []string
		var ids []int64
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		for i := range 3 {
			h := f.mustHousehold(t, staff, f.tree.stairA, fmt.Sprintf("1栋1单元%d号", i+1))
			hh = append(hh, h.ID)
			var n int64
			fmt.Sscan(h.ID, &n)
			ids = append(ids, n)
		}
		leader := f.mustToken(t, model.RoleUnitLeader, f.tree.stairA) // leads the unit of the three (MustLeaderUnit)
		uid, err := st.UnitOfHousehold(context.Background(), authz.System(), ids[0])
		if err != nil || uid == 0 {
			t.Fatalf("the leader's unit: %d, %v", uid, err)
		}
		u := &model.Unit{ID: uid}
		other := f.mustToken(t, model.RoleUnitLeader, f.tree.stairB)

		ct, body := activityForm(t, map[string]string{"category": "environment", "households": strings.Join(hh, ","), "description": "清理楼道杂物"},
			modeltest.JPEGWithGPS(t, 120, 90))
		r := f.mustDoAs(t, leader, "POST", fmt.Sprintf("/api/v1/units/%d/activities", u.ID), ct, body)
		rec := mustJSON[activityOut](t, r, http.StatusCreated)
		if rec.Category != "environment" || len(rec.Photos) != 1 || rec.HouseholdCount != 3 || r.header.Get("Location") != "/api/v1/activities/"+rec.ID {
			t.Fatalf("recorded %+v", rec)
		}
		p := f.mustDo(t, leader, "GET", rec.Photos[0].URL, nil)
		if p.status != 200 || p.header.Get("Content-Type") != "image/jpeg" || p.header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(p.header.Get("Content-Disposition"), "inline") || !strings.Contains(p.header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("photo answered %d %v", p.status, p.header)
		}
		if bytes.Contains(p.body, []byte("Exif")) || !bytes.HasPrefix(p.body, []byte{0xFF, 0xD8}) {
			t.Error("the served photo is not a clean JPEG")
		}
		if r := f.mustDo(t, other, "GET", rec.Photos[0].URL, nil); r.status != 404 {
			t.Errorf("another unit's leader reads the photo: %v", r.status)
		}
		if r := f.mustDo(t, other, "GET", "/api/v1/activities/"+rec.ID, nil); r.status != 404 {
			t.Errorf("another unit's leader reads the record: %v", r.status)
		}

		// Bad photos: 422 naming the photo, nothing stored.
		list := fmt.Sprintf("/api/v1/units/%d/activities", u.ID)
		for _, c := range []struct {
			name  string
			photo []byte
		}{
			{"HTML renamed .jpg", []byte("<html><body><script>alert(1)</script></body></html>")},
			{"not an image", []byte("%PDF-1.4 not a photo")},
			{"oversized", make([]byte, model.PhotoMax+10)},
		} {
			ct, body := activityForm(t, map[string]string{"category": "safety", "households": hh[0], "description": "巡逻"}, modeltest.JPEG(t, 8, 8), c.photo)
			pr := mustProblem(t, f.mustDoAs(t, leader, "POST", list, ct, body), http.StatusUnprocessableEntity)
			if got := fields(pr); len(got) != 1 || got[0] != "photos[1]" {
				t.Errorf("%s: fields %v, want photos[1]", c.name, got)
			}
		}
		page := mustJSON[struct {
			Items []activityOut `json:"items"`
			Total int           `json:"total"`
		}](t, f.mustDo(t, leader, "GET", list, nil), 200)
		if page.Total != 1 {
			t.Errorf("after refused uploads: %d records, want 1", page.Total)
		}
		if r := f.mustDo(t, leader, "GET", list+"?case_status=reported", nil); r.status != 403 {
			t.Errorf("leader filters by case status: %v", r)
		}
		if r := f.mustDo(t, leader, "GET", "/api/v1/units/coverage", nil); r.status != 403 {
			t.Errorf("leader reads coverage: %v", r.status)
		}
		cov := f.mustDo(t, staff, "GET", fmt.Sprintf("/api/v1/units/coverage?territory=%d", f.tree.community.ID), nil)
		if cov.status != 200 || !strings.Contains(string(cov.body), `"activities_this_month":1`) {
			t.Errorf("coverage: %v", cov)
		}
		att := f.mustDo(t, staff, "GET", fmt.Sprintf("/api/v1/units/attention?territory=%d", f.tree.community.ID), nil)
		if att.status != 200 || !strings.Contains(string(att.body), `"no_leader"`) {
			t.Errorf("attention: %v", att)
		}
	})
}
