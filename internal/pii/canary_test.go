package pii_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/jobs"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// canary is one resident's personal data that must never appear in plaintext at rest.
type canary struct {
	idNumber, phone, via string
	oldPhone             bool // the phone was replaced since: scanned for, not looked up
}

// forms are the byte strings whose presence would be a leak: the number as written, with a
// lower-case x, its first 17 digits (any partial reveal of the digits the mask hides), and the
// phone's digits and any dashed form it was given in.
func (c canary) forms() []string {
	f := []string{c.idNumber[:17]} // every form of the number contains its first 17 digits
	if c.phone != "" {
		f = append(f, strings.ReplaceAll(c.phone, "-", ""))
		if strings.Contains(c.phone, "-") {
			f = append(f, c.phone)
		}
	}
	return f
}

func (c canary) masked() []string {
	m := []string{model.MaskIDNumber(c.idNumber)}
	if c.phone != "" {
		m = append(m, model.MaskPhone(c.phone))
	}
	return m
}

// canaryGen makes valid ID numbers and mobile numbers that occur nowhere else in the test's data:
// birth dates in 1931 and 199 phone numbers, both from a seeded generator.
type canaryGen struct {
	r    *rand.Rand
	seen map[string]bool
}

func (g *canaryGen) next(via string) canary {
	for {
		birth := time.Date(1931, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(365)).Format("20060102")
		first17 := "510781" + birth + fmt.Sprintf("%03d", 100+g.r.IntN(900))
		id := first17 + string(model.IDCheckDigit(first17))
		phone := fmt.Sprintf("199%08d", g.r.IntN(100_000_000))
		if g.seen[id] || g.seen[phone] {
			continue
		}
		g.seen[id], g.seen[phone] = true, true
		return canary{idNumber: id, phone: phone, via: via}
	}
}

// syncBuffer collects the server's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// TestCanaries seeds canary ID numbers and phones through every way personal data comes in (the
// API, the page forms, the CSV import page, store.Bulk), reads, reveals, looks up and exports
// them, backs the database up, and then scans byte for byte everything at rest — the database
// file, its -wal and -shm, the backup, every temporary file left behind, the logs (at debug
// level) and every row of every table, the audit log included — for any plaintext form of any
// canary. The expected number of hits is 0.
func TestCanaries(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) { testCanaries(t, engine) })
	}
}

func testCanaries(t *testing.T, engine string) {
	ctx := context.Background()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // uploads and import scratch files land here, to be scanned too
	dsn := storetest.DSN(t, engine)
	st, err := store.Open(ctx, dsn, store.WithKeys(storetest.Keyring(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// Imports run as background jobs: the upload is stored sealed, the worker writes it back to
	// a temporary file under TMPDIR (scanned below) while it runs.
	q, err := jobs.New(st, log, jobs.Options{Poll: 20 * time.Millisecond, Tick: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(5 * time.Second)
	pages, err := web.New(st, log, web.Options{MaxUploadBytes: 1 << 20, Jobs: q})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(st, log, api.Token, api.New(st, log, 1<<20, false), pages).Handler())
	defer srv.Close()

	// The territory and a community administrator, who may reveal, import and export.
	sys := authz.System()
	var parent int64
	var nodes []*model.Territory
	for _, n := range []struct {
		kind model.TerritoryKind
		name string
	}{{model.KindDistrict, "江油市"}, {model.KindStreet, "中坝街道"}, {model.KindCommunity, "天宝社区"},
		{model.KindGrid, "第一网格"}, {model.KindBuilding, "1栋"}, {model.KindStairwell, "1单元"}} {
		node, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: parent, Kind: n.kind, Name: n.name})
		if err != nil {
			t.Fatal(err)
		}
		nodes, parent = append(nodes, node), node.ID
	}
	community, stair := nodes[2], nodes[5]
	u, err := st.CreateUser(ctx, sys, store.UserInput{Username: "canary-admin", DisplayName: "金丝雀",
		Password: "tangerine-violet-lantern-42", Role: model.RoleCommunityAdmin, ScopeID: community.ID})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := st.CreateSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, contentType string, body io.Reader) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: token})
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	want := func(what string, status, wantStatus int, body []byte) {
		t.Helper()
		if status != wantStatus {
			t.Fatalf("%s: status %d, want %d: %s", what, status, wantStatus, body)
		}
	}
	postJSON := func(path string, v any) []byte {
		t.Helper()
		j, _ := json.Marshal(v)
		status, body := do("POST", path, "application/json", bytes.NewReader(j))
		want("POST "+path, status, http.StatusCreated, body)
		return body
	}
	postForm := func(path string, v url.Values) {
		t.Helper()
		status, body := do("POST", path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
		want("POST "+path, status, http.StatusSeeOther, body)
	}

	// A marker written in plaintext (an address is not secret): the scan must find it in the
	// database file or its WAL and in the table dumps, or it would prove nothing.
	control := fmt.Sprintf("（对照%08d）", rand.IntN(100_000_000))
	gen := &canaryGen{r: rand.New(rand.NewPCG(20261126, uint64(len(engine)))), seen: map[string]bool{}}
	var canaries []canary
	add := func(via string) canary {
		c := gen.next(via)
		canaries = append(canaries, c)
		return c
	}
	type person = map[string]string
	resident := func(c canary, name, relation string) person {
		return person{"name": name, "id_number": c.idNumber, "phone": c.phone, "relation": relation}
	}

	// 1. The API: a household with two residents, a third resident, and a phone changed by PATCH.
	c1, c2 := add("api"), add("api")
	var h struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(postJSON("/api/v1/households", map[string]any{"territory_id": fmt.Sprint(stair.ID), "address": "1栋1单元101室" + control,
		"residents": []person{resident(c1, "金一", "户主"), resident(c2, "金二", "配偶")}}), &h); err != nil {
		t.Fatal(err)
	}
	c3 := add("api")
	third := resident(c3, "金三", "子女")
	third["household_id"] = h.ID
	var r3 struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(postJSON("/api/v1/residents", third), &r3); err != nil {
		t.Fatal(err)
	}
	c4 := add("api patch")
	c4.idNumber = c3.idNumber // the same resident: only the phone is new
	canaries[len(canaries)-1] = c4
	status, body := do("PATCH", "/api/v1/residents/"+r3.ID, "application/json", strings.NewReader(`{"phone":"`+c4.phone+`"}`))
	want("PATCH resident", status, http.StatusOK, body)
	canaries[2].oldPhone = true
	// A duplicate is refused without echoing the number.
	dup := resident(c1, "金重", "其他")
	dup["household_id"] = h.ID
	j, _ := json.Marshal(dup)
	if status, body := do("POST", "/api/v1/residents", "application/json", bytes.NewReader(j)); status != http.StatusUnprocessableEntity {
		t.Fatalf("duplicate ID number: %d %s", status, body)
	}

	// 2. The page forms: a new household with its head, then a member.
	c5, c6 := add("page"), add("page")
	postForm("/households/new", url.Values{"territory_id": {fmt.Sprint(stair.ID)}, "address": {"1栋1单元102室"},
		"name": {"金五"}, "id_number": {c5.idNumber}, "phone": {c5.phone}, "political_status": {"masses"}})
	hh, err := st.Households(ctx, sys, store.HouseholdFilter{Q: "102室", Limit: 1})
	if err != nil || len(hh.Items) != 1 {
		t.Fatalf("household from the page: %v", err)
	}
	pageHousehold := hh.Items[0].ID
	postForm(fmt.Sprintf("/households/%d/residents/new", pageHousehold), url.Values{"name": {"金六"},
		"id_number": {strings.ToLower(c6.idNumber)}, "phone": {c6.phone}, "relation": {"配偶"}, "political_status": {"masses"}})

	// 3. The CSV import page.
	c7, c8, c9 := add("import"), add("import"), add("import")
	var csv bytes.Buffer
	csv.WriteString("户编号,所属节点,门牌地址,姓名,与户主关系,身份证号,联系电话,政治面貌\n")
	for i, c := range []canary{c7, c8, c9} {
		rel := []string{"户主", "配偶", "子女"}[i]
		fmt.Fprintf(&csv, "1,%d,1栋1单元201室,金导%d,%s,%s,%s,群众\n", stair.ID, i, rel, c.idNumber, c.phone)
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormFile("file", "住户.csv")
	fw.Write(csv.Bytes())
	mw.Close()
	status, body = do("POST", "/import", mw.FormDataContentType(), &mp)
	if status != http.StatusOK && status != http.StatusSeeOther {
		t.Fatalf("import page: %d %s", status, body)
	}
	for done := false; !done; time.Sleep(20 * time.Millisecond) {
		p, err := st.Jobs(ctx, sys, store.JobFilter{})
		if err != nil || len(p.Items) != 1 {
			t.Fatalf("import job: %v (%d jobs)", err, len(p.Items))
		}
		done = p.Items[0].Status.Final()
	}
	if rs, err := st.Residents(ctx, sys, store.ResidentFilter{IDNumber: c8.idNumber, Reason: "canary"}); err != nil || len(rs.Items) != 1 {
		t.Fatalf("imported resident not found: %v", err)
	}

	// 4. store.Bulk, as the demo and the command-line import write.
	var bulk []canary
	for range 20 {
		bulk = append(bulk, add("bulk"))
	}
	bulk[1].phone = "0816-" + bulk[1].phone[4:11] // a landline, dashed
	canaries[len(canaries)-19] = bulk[1]
	if err := st.Bulk(ctx, func(b *store.Bulk) error {
		bh := &model.Household{TerritoryID: stair.ID, Address: "1栋1单元301室", HeadName: "金十0", Members: len(bulk)}
		if err := b.AddHousehold(bh); err != nil {
			return err
		}
		for i, c := range bulk {
			rel := model.Relation("其他")
			if i == 0 {
				rel = model.RelationHead
			}
			birth, _ := model.ParseIDNumber(c.idNumber, time.Now())
			if err := b.AddResident(&model.Resident{HouseholdID: bh.ID, TerritoryID: stair.ID, Name: "金十" + fmt.Sprint(i), Gender: birth.Gender,
				BirthDate: birth.BirthDate, IDNumber: model.NewIDNumber(c.idNumber), Phone: model.NewPhone(c.phone), Relation: rel, PoliticalStatus: model.StatusMasses}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// Reads: lists, reveals of every canary, exact lookups by number (in the query string, so
	// a logged URL would leak), pages with reveal, the export.
	revealed := 0
	for _, c := range canaries {
		queries := []string{"id_number=" + c.idNumber}
		if !c.oldPhone {
			queries = append(queries, "phone="+url.QueryEscape(c.phone))
		}
		for _, q := range queries {
			status, body := do("GET", "/api/v1/residents?"+q+"&reason=canary", "", nil)
			want("lookup", status, http.StatusOK, body)
			var l struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
			}
			if err := json.Unmarshal(body, &l); err != nil || len(l.Items) == 0 {
				t.Fatalf("lookup %s (%s): %s", q, c.via, body)
			}
			status, body = do("GET", "/api/v1/residents/"+l.Items[0].ID+"?reveal=true", "", nil)
			want("reveal", status, http.StatusOK, body)
			if strings.Contains(string(body), c.idNumber) {
				revealed++ // the scanner's positive control: a revealed answer does hold the number
			}
		}
	}
	if revealed == 0 {
		t.Fatal("no revealed answer held its canary: the scan would prove nothing")
	}
	for _, p := range []string{"/api/v1/residents?limit=100", "/api/v1/households?limit=100", "/api/v1/households/" + h.ID + "?include=residents",
		"/residents", "/households", fmt.Sprintf("/households/%d?reveal=1", pageHousehold), "/households/export.xlsx"} {
		status, body := do("GET", p, "", nil)
		want("GET "+p, status, http.StatusOK, body)
	}
	// A request that fails inside (a tampered value) is logged: the log must still not leak.
	if _, err := st.DB().ExecContext(ctx, rebind(engine, `UPDATE residents SET phone_enc = 'zz' || phone_enc WHERE id = ?`), r3.ID); err != nil {
		t.Fatal(err)
	}
	if status, _ := do("GET", "/api/v1/residents/"+r3.ID+"?reveal=true", "", nil); status != http.StatusInternalServerError {
		t.Errorf("tampered resident: status %d, want 500", status)
	}

	// Backup (SQLite): VACUUM INTO, as `gongzhi backup` does.
	var artifacts []artifact
	if engine == "sqlite" {
		backup := filepath.Join(t.TempDir(), "backup.db")
		if _, err := st.DB().ExecContext(ctx, `VACUUM INTO '`+backup+`'`); err != nil {
			t.Fatal(err)
		}
		path := strings.TrimPrefix(dsn, "sqlite:")
		for _, f := range []string{path, path + "-wal", path + "-shm", backup} {
			artifacts = append(artifacts, fileArtifact(t, f))
		}
	}
	artifacts = append(artifacts, tableArtifacts(t, st, engine)...)
	srv.Close()
	artifacts = append(artifacts, artifact{name: "logs", data: logs.Bytes()})
	_ = filepath.WalkDir(tmp, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			artifacts = append(artifacts, fileArtifact(t, p))
		}
		return nil
	})
	if engine == "sqlite" {
		// After the store closes, the WAL is folded into the file: scan it once more.
		st.Close()
		artifacts = append(artifacts, fileArtifact(t, strings.TrimPrefix(dsn, "sqlite:")))
	}

	// Positive control for the scanner itself: the CSV we uploaded holds every import canary.
	if hits := scan([]artifact{{name: "csv", data: csv.Bytes()}}, []canary{c7, c8, c9}); hits[0].n != 3*2 {
		t.Fatalf("scanner found %d forms in the uploaded CSV, want 6", hits[0].n)
	}

	var inFiles, inTables int
	for _, a := range artifacts {
		n := bytes.Count(a.data, []byte(control))
		if strings.HasPrefix(a.name, "table ") {
			inTables += n
		} else if a.name != "logs" {
			inFiles += n
		}
	}
	if inTables == 0 || (engine == "sqlite" && inFiles == 0) {
		t.Fatalf("the plaintext control marker was found %d times in the tables and %d times in the files: the scan sees nothing", inTables, inFiles)
	}

	var scanned int64
	for _, a := range artifacts {
		scanned += int64(len(a.data))
	}
	hits := scan(artifacts, canaries)
	total := 0
	for _, h := range hits {
		total += h.n
		if h.n > 0 {
			t.Errorf("plaintext canary in %s: %d hits (%s)", h.artifact, h.n, h.example)
		}
	}
	masked := 0
	for _, a := range artifacts {
		for _, c := range canaries {
			for _, m := range c.masked() {
				masked += bytes.Count(a.data, []byte(m))
			}
		}
	}
	ids, phones := map[string]bool{}, map[string]bool{}
	for _, c := range canaries {
		ids[c.idNumber], phones[c.phone] = true, true
	}
	t.Logf("%d canary ID numbers and %d canary phones (via API, API PATCH, page forms, CSV import page, store.Bulk); %d artifacts, %d bytes scanned; plaintext hits: %d; masked forms present: %d",
		len(ids), len(phones), len(artifacts), scanned, total, masked)
	fmt.Printf("canary scan (%s): %d ID numbers + %d phones, %d artifacts, %d bytes scanned, %d plaintext hits\n", engine, len(ids), len(phones), len(artifacts), scanned, total)
}

type artifact struct {
	name string
	data []byte
}

func fileArtifact(t *testing.T, path string) artifact {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return artifact{name: filepath.Base(path), data: b}
}

// tableArtifacts dumps every row of every table of the store's schema as text: PostgreSQL
// through row::text, SQLite column by column.
func tableArtifacts(t *testing.T, st *store.Store, engine string) []artifact {
	t.Helper()
	ctx := context.Background()
	db := st.DB()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if engine == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	tables := mustStrings(t, db, q)
	var out []artifact
	sawAudit := false
	for _, table := range tables {
		sawAudit = sawAudit || table == "audit_log"
		var b bytes.Buffer
		if engine == "postgres" {
			for _, s := range mustStrings(t, db, `SELECT t::text FROM "`+table+`" t`) {
				b.WriteString(s + "\n")
			}
		} else {
			rows, err := db.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					if bs, ok := v.([]byte); ok {
						b.Write(bs)
					} else {
						fmt.Fprint(&b, v)
					}
					b.WriteByte('|')
				}
				b.WriteByte('\n')
			}
			rows.Close()
		}
		out = append(out, artifact{name: "table " + table, data: b.Bytes()})
	}
	t.Logf("%s: %d tables dumped (audit_log present: %v)", engine, len(tables), sawAudit)
	return out
}

func mustStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s.String)
	}
	return out
}

type hit struct {
	artifact, example string
	n                 int
}

// scan counts, per artifact, the occurrences of every plaintext form of every canary.
func scan(artifacts []artifact, canaries []canary) []hit {
	out := make([]hit, len(artifacts))
	for i, a := range artifacts {
		out[i].artifact = a.name
		for _, c := range canaries {
			for _, f := range c.forms() {
				if n := bytes.Count(a.data, []byte(f)); n > 0 {
					out[i].n += n
					out[i].example = c.via + ": " + model.MaskIDNumber(c.idNumber)
				}
			}
		}
	}
	return out
}

func rebind(engine, q string) string {
	if engine == "postgres" {
		return strings.Replace(q, "?", "$1", 1)
	}
	return q
}
