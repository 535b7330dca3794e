package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/jobs"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// jobOut is the job as the API shows it, every field pinned.
type jobOut struct {
	ID              string              `json:"id"`
	Kind            string              `json:"kind"`
	Status          string              `json:"status"`
	StatusLabel     string              `json:"status_label"`
	Stage           string              `json:"stage"`
	Done            int64               `json:"done"`
	Total           int64               `json:"total"`
	Percent         int                 `json:"percent"`
	UserID          string              `json:"user_id"`
	Params          map[string]any      `json:"params"`
	Result          map[string]any      `json:"result"`
	Error           string              `json:"error"`
	RowErrors       []model.JobRowError `json:"row_errors"`
	ErrorCount      int                 `json:"error_count"`
	CancelRequested bool                `json:"cancel_requested"`
	Output          *struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
		URL  string `json:"url"`
	} `json:"output"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// mustJobFixture is the API over st with a started job queue, and the usual tree.
func mustJobFixture(tb testing.TB, st *store.Store) *fixture {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q, err := jobs.New(st, log, jobs.Options{Poll: 20 * time.Millisecond, Tick: 20 * time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = q.Stop(5 * time.Second) })
	a := api.New(st, log, maxBody, false)
	a.UseJobs(q, 1<<20)
	srv := httptest.NewServer(server.New(st, log, api.Token, a).Handler())
	tb.Cleanup(srv.Close)
	f := &fixture{st: st, url: srv.URL, tokens: map[string]string{}}
	t := &f.tree
	t.district = mustTerritory(tb, st, nil, model.KindDistrict, "江油市")
	t.street = mustTerritory(tb, st, t.district, model.KindStreet, "中坝街道")
	t.community = mustTerritory(tb, st, t.street, model.KindCommunity, "天宝社区")
	t.gridA = mustTerritory(tb, st, t.community, model.KindGrid, "第一网格")
	t.buildingA = mustTerritory(tb, st, t.gridA, model.KindBuilding, "1栋")
	t.stairA = mustTerritory(tb, st, t.buildingA, model.KindStairwell, "1单元")
	return f
}

// upload is a multipart body with the file and extra fields.
func upload(tb testing.TB, name, content string, fields ...string) (string, []byte) {
	tb.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = io.WriteString(fw, content)
	for i := 0; i+1 < len(fields); i += 2 {
		_ = mw.WriteField(fields[i], fields[i+1])
	}
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func importCSV(node int64, rows ...string) string {
	return "户编号,所属节点,门牌地址,姓名,与户主关系,身份证号,政治面貌\n" + strings.Join(rows, "\n") + "\n"
}

// waitJob polls GET /api/v1/jobs/{id} until the job has ended.
func (f *fixture) waitJob(tb testing.TB, token, id string) jobOut {
	tb.Helper()
	for {
		j := mustJSON[jobOut](tb, f.mustDo(tb, token, "GET", "/api/v1/jobs/"+id, nil), 200)
		if j.Status != "queued" && j.Status != "running" {
			return j
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestImportJobAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustJobFixture(t, st)
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		other := f.mustToken(t, model.RoleCommunityStaff, f.tree.stairA) // same community, another account
		node := f.tree.stairA.ID
		file := importCSV(node,
			fmt.Sprintf("1,%d,101室,张三,户主,%s,群众", node, validID("510781", "19650308", 11)),
			fmt.Sprintf("1,,,李四,配偶,%s,中共党员", validID("510781", "19670101", 12)),
			fmt.Sprintf("2,%d,102室,王五,户主,%s,群众", node, validID("510781", "19700101", 13)),
			fmt.Sprintf("3,%d,103室,赵六,户主,110101199001011234,群众", node))

		ct, body := upload(t, "住户.csv", file, "skip_invalid", "true")
		r := f.mustDoAs(t, staff, "POST", "/api/v1/imports/households", ct, body)
		j := mustJSON[jobOut](t, r, 202)
		if r.header.Get("Location") != "/api/v1/jobs/"+j.ID || j.Kind != "household.import" || j.Params["skip_invalid"] != true {
			t.Fatalf("202 = %s, Location %q", r.body, r.header.Get("Location"))
		}
		j = f.waitJob(t, staff, j.ID)
		if j.Status != "succeeded" || j.Percent != 100 || j.Result["households"] != float64(2) || j.Result["written"] != true {
			t.Fatalf("job = %+v", j)
		}
		if j.ErrorCount != 1 || j.RowErrors[0].Row != 5 || j.RowErrors[0].Column != "身份证号" || j.RowErrors[0].Message == "" {
			t.Errorf("row errors = %d %+v", j.ErrorCount, j.RowErrors)
		}
		if j.Output == nil || j.Output.URL != "/api/v1/jobs/"+j.ID+"/file" {
			t.Fatalf("output = %+v", j.Output)
		}
		dl := f.mustDo(t, staff, "GET", j.Output.URL, nil)
		if dl.status != 200 || !strings.Contains(string(dl.body), "110101199001011234") || !strings.Contains(dl.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("download = %d %q %q", dl.status, dl.header.Get("Content-Disposition"), dl.body)
		}
		// Another account of the same community neither sees nor downloads it; the list says the same.
		mustProblem(t, f.mustDo(t, other, "GET", "/api/v1/jobs/"+j.ID, nil), 404)
		mustProblem(t, f.mustDo(t, other, "GET", j.Output.URL, nil), 404)
		mustProblem(t, f.mustDo(t, other, "POST", "/api/v1/jobs/"+j.ID+"/cancel", nil), 404)
		if l := mustJSON[struct {
			Items []jobOut `json:"items"`
		}](t, f.mustDo(t, other, "GET", "/api/v1/jobs?mine=true", nil), 200); len(l.Items) != 0 {
			t.Errorf("other's jobs = %d", len(l.Items))
		}
		mine := mustJSON[struct {
			Items []jobOut `json:"items"`
		}](t, f.mustDo(t, staff, "GET", "/api/v1/jobs?mine=true", nil), 200)
		if len(mine.Items) != 1 || mine.Items[0].ID != j.ID {
			t.Errorf("mine = %+v", mine.Items)
		}
		// An administrator over it sees it.
		admin := f.mustToken(t, model.RoleStreetAdmin, f.tree.street)
		if got := mustJSON[jobOut](t, f.mustDo(t, admin, "GET", "/api/v1/jobs/"+j.ID, nil), 200); got.ID != j.ID {
			t.Errorf("admin got %+v", got)
		}
		// Ended: cancelling is a conflict.
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/jobs/"+j.ID+"/cancel", nil), 409)
	})
}

func TestImportJobAPIBadInput(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustJobFixture(t, st)
	staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
	for _, c := range []struct {
		name, file, content string
		status              int
		want                string
	}{
		{"not csv", "households.txt", "a,b\n", 422, "只能导入 .csv 或 .xlsx"},
		{"wrong columns", "households.csv", "地址,姓名\n1,2\n", 422, "缺少"},
		{"too large", "households.csv", strings.Repeat("x", 2<<20), 413, ""},
	} {
		ct, body := upload(t, c.file, c.content)
		p := mustProblem(t, f.mustDoAs(t, staff, "POST", "/api/v1/imports/households", ct, body), c.status)
		if c.want != "" && !strings.Contains(message(p, "file"), c.want) {
			t.Errorf("%s: problem = %+v, want file: …%s…", c.name, p, c.want)
		}
	}
	mustProblem(t, f.mustDoAs(t, staff, "POST", "/api/v1/imports/households", "application/json", `{}`), 400)
	if l := mustJSON[struct {
		Items []jobOut `json:"items"`
	}](t, f.mustDo(t, staff, "GET", "/api/v1/jobs", nil), 200); len(l.Items) != 0 {
		t.Errorf("jobs after refused uploads = %d, want 0", len(l.Items))
	}
	// A unit leader may not import; nobody but an unlimited scope loads divisions.
	unit := f.mustToken(t, model.RoleUnitLeader, f.tree.buildingA)
	ct, body := upload(t, "a.csv", importCSV(1))
	mustProblem(t, f.mustDoAs(t, unit, "POST", "/api/v1/imports/households", ct, body), 403)
	admin := f.mustToken(t, model.RoleCommunityAdmin, f.tree.community)
	mustProblem(t, f.mustDo(t, admin, "POST", "/api/v1/imports/divisions", map[string]any{"code": "510781"}), 403)
}

func TestExportJobAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustJobFixture(t, st)
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		f.mustHousehold(t, staff, f.tree.stairA, "101室", person{Name: "张三", IDNumber: validID("510781", "19650308", 21), Relation: "户主"})
		r := f.mustDo(t, staff, "POST", "/api/v1/exports/households", map[string]any{"territory_id": id(f.tree.community.ID)})
		j := f.waitJob(t, staff, mustJSON[jobOut](t, r, 202).ID)
		if j.Status != "succeeded" || j.Result["households"] != float64(1) || j.Output == nil {
			t.Fatalf("export job = %+v", j)
		}
		dl := f.mustDo(t, staff, "GET", j.Output.URL, nil)
		if dl.status != 200 || !bytes.HasPrefix(dl.body, []byte("PK")) {
			t.Errorf("workbook = %d, %d bytes", dl.status, len(dl.body))
		}
		other := mustTerritory(t, st, f.tree.street, model.KindCommunity, "东胜社区")
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/exports/households", map[string]any{"territory_id": id(other.ID)}), 404)
	})
}
