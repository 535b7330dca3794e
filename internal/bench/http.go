package bench

import (
	"bytes"
	"context"
	"database/sql"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/web"
)

// Pair is one page or API read measured twice in the same run: through the whole server and
// through a bare net/http handler that runs the same SQL and renders the same content.
type Pair struct {
	Name string  // what is read, e.g. "GET /api/v1/households/{id}"
	Goal float64 // the full stack's share of the bare handler's requests per second to reach
	Full Side
	Bare Side
}

// Side is one handler's throughput and latency.
type Side struct {
	RPS      float64
	P50, P99 time.Duration
}

// Ratio is the full stack's requests per second over the bare handler's.
func (p Pair) Ratio() float64 {
	if p.Bare.RPS == 0 {
		return 0
	}
	return p.Full.RPS / p.Bare.RPS
}

// target is one side of a pair: a handler and the URL path of a request for a random draw.
type target struct {
	h      http.Handler
	header http.Header
	path   func(rng *rand.Rand) string
}

// measureHTTP measures four pairs over loopback (127.0.0.1 only), each full stack against a
// bare handler:
//
//   - GET /api/v1/households/{id} for random ids, JSON;
//   - GET /households/{id} for random ids, the household page as HTML;
//   - GET /api/v1/households?territory={community}&limit=50, the first page of the largest
//     community's households with its total, JSON;
//   - GET /p/{code}, the largest community's public disclosure page without a login (issue 11;
//     both sides read it through the store: see disclosure.go), requested without
//     If-None-Match, so that every request renders the page.
//
// The full stack is the server as `gongzhi serve` builds it (session lookup, policy guard,
// scoped store reads, redaction, audit of denials, request log at the level serve uses, metrics,
// security headers), called as a district admin of the whole county: the API with a bearer
// token, the page with the session cookie. Each side runs twice for half of opts.Duration,
// alternating bare, full, bare, full, so that neither gets the warmer cache or the quieter
// minute of a shared machine; its figures are over both halves.
func measureHTTP(ctx context.Context, st *store.Store, maxID int64, community *model.Territory, opts Options, rep *Report, log *slog.Logger) error {
	sys := authz.System()
	roots, err := st.Territories(ctx, sys, store.TerritoryFilter{Kind: model.KindDistrict, Limit: 1})
	if err != nil || len(roots.Items) == 0 {
		return fmt.Errorf("no district: %v", err)
	}
	u, token, err := benchUser(ctx, st, roots.Items[0])
	if err != nil {
		return err
	}
	pages, err := web.New(st, log, web.Options{})
	if err != nil {
		return err
	}
	full := server.New(st, log, api.Token, api.New(st, log, 1<<20, false), pages).Handler()
	bearer := http.Header{"Authorization": {"Bearer " + token}}
	cookie := http.Header{"Cookie": {api.SessionCookie + "=" + token}}
	randomID := func(prefix string) func(rng *rand.Rand) string {
		return func(rng *rand.Rand) string { return prefix + strconv.FormatInt(1+rng.Int64N(maxID), 10) }
	}
	listPath := func(prefix string) func(*rand.Rand) string {
		p := prefix + "?territory=" + strconv.FormatInt(community.ID, 10) + "&limit=" + strconv.Itoa(store.DefaultLimit)
		return func(*rand.Rand) string { return p }
	}
	b := newBare(st, pages, u.Username, roots.Items[0].Name)
	pairs := []struct {
		name       string
		goal       float64
		full, bare target
	}{
		{"GET /api/v1/households/{id}", 0.8,
			target{full, bearer, randomID("/api/v1/households/")},
			target{http.HandlerFunc(b.householdJSON), nil, randomID("/households/")}},
		{"GET /households/{id} (HTML page)", 0.6,
			target{full, cookie, randomID("/households/")},
			target{http.HandlerFunc(b.householdPage), nil, randomID("/households/")}},
		{"GET /api/v1/households?territory={community}&limit=50", 0.7,
			target{full, bearer, listPath("/api/v1/households")},
			target{http.HandlerFunc(b.householdList), nil, listPath("/households")}},
		{"GET /p/{code} (public disclosure page, no login)", 0.6,
			target{full, nil, func(*rand.Rand) string { return "/p/" + community.Code }},
			target{bareMux("GET /p/{code}", b.disclosurePage(st)), nil, func(*rand.Rand) string { return "/p/" + community.Code }}},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: opts.Concurrency * 2, MaxConnsPerHost: opts.Concurrency * 2}}
	for _, p := range pairs {
		var bare, full []sample
		for range 2 {
			s, err := load(ctx, client, p.bare, opts.Concurrency, opts.Duration/2)
			if err != nil {
				return fmt.Errorf("%s, bare handler: %w", p.name, err)
			}
			bare = append(bare, s)
			if s, err = load(ctx, client, p.full, opts.Concurrency, opts.Duration/2); err != nil {
				return fmt.Errorf("%s, full stack: %w", p.name, err)
			}
			full = append(full, s)
		}
		rep.Pairs = append(rep.Pairs, Pair{Name: p.name, Goal: p.goal, Bare: side(bare), Full: side(full)})
	}
	rep.HTTPMeasured = true
	return nil
}

// bareMux routes pattern to h (a bare handler that reads a path value).
func bareMux(pattern string, h http.HandlerFunc) http.Handler {
	m := http.NewServeMux()
	m.HandleFunc(pattern, h)
	return m
}

// sample is one load run: its latencies and how long it took.
type sample struct {
	lat     []time.Duration
	elapsed time.Duration
}

func side(s []sample) Side {
	var all []time.Duration
	var elapsed time.Duration
	for _, x := range s {
		all = append(all, x.lat...)
		elapsed += x.elapsed
	}
	if len(all) == 0 {
		return Side{}
	}
	slices.Sort(all)
	return Side{RPS: float64(len(all)) / elapsed.Seconds(), P50: percentileSorted(all, 50), P99: percentileSorted(all, 99)}
}

// load serves t on a fresh loopback listener and requests it from workers keep-alive clients
// for d, recording each request's latency; any status but 200 ends the run with an error.
func load(ctx context.Context, client *http.Client, t target, workers int, d time.Duration) (sample, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return sample{}, err
	}
	srv := &http.Server{Handler: t.h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	var mu sync.Mutex
	var lat []time.Duration
	start := time.Now()
	_, err = throughputEach(ctx, workers, d, func(rng *rand.Rand, mine *[]time.Duration) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+t.path(rng), nil)
		if err != nil {
			return err
		}
		for k, v := range t.header {
			req.Header[k] = v
		}
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: status %d", req.URL, resp.StatusCode)
		}
		*mine = append(*mine, time.Since(t0))
		return nil
	}, func(mine []time.Duration) {
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	return sample{lat: lat, elapsed: time.Since(start)}, err
}

// bare holds the bare handlers: database/sql and the standard library, nothing of ours but the
// keyring that opens sealed ID numbers and phones (as the store does before masking them).
type bare struct {
	db          *sql.DB
	keys        *pii.Keyring
	pg          bool
	user, scope string     // the account and scope the page's header names
	chrome      web.Chrome // the layout's static URLs and the district admin's navigation, taken once
	stmts       sync.Map   // query → *sql.Stmt
}

func newBare(st *store.Store, pages *web.Web, user, scope string) *bare {
	return &bare{db: st.ReadDB(), keys: st.Keys(), pg: st.Engine() == "postgres", user: user, scope: scope,
		chrome: pages.Chrome(model.RoleDistrictAdmin, "households")}
}

// prepared returns the statement for query, prepared on first use (the store prepares its reads
// once too).
func (b *bare) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := b.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := b.db.PrepareContext(ctx, b.q(query)) // #nosec G701 -- query is one of this handler's constant statements; values travel as arguments
	if err != nil {
		return nil, err
	}
	if old, loaded := b.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return old.(*sql.Stmt), nil
	}
	return st, nil
}

func (b *bare) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := b.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow is QueryRowContext on the prepared statement; a failed prepare shows in Scan.
func (b *bare) queryRow(ctx context.Context, query string, args ...any) interface{ Scan(...any) error } {
	st, err := b.prepared(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// q rebinds ? placeholders for PostgreSQL.
func (b *bare) q(query string) string {
	if !b.pg {
		return query
	}
	var out strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			out.WriteString("$" + strconv.Itoa(n))
			continue
		}
		out.WriteRune(c)
	}
	return out.String()
}

// bareHousehold is the household as the API shows it.
type bareHousehold struct {
	ID          string    `json:"id"`
	TerritoryID string    `json:"territory_id"`
	Address     string    `json:"address"`
	HeadName    string    `json:"head_name"`
	Members     int       `json:"members"`
	Flags       flags     `json:"flags"`
	MovedInAt   *string   `json:"moved_in_at"`
	MovedOutAt  *string   `json:"moved_out_at"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	path        string
}

type flags struct {
	ElderlyAlone bool `json:"elderly_alone"`
	Hardship     bool `json:"hardship"`
	Disability   bool `json:"disability"`
	Mobile       bool `json:"mobile"`
}

const bareHouseholdColumns = `id, territory_id, path, address, head_name, members, elderly_alone, hardship, disability, mobile, moved_in_at, moved_out_at, created_at, updated_at`

func scanBareHousehold(sc interface{ Scan(...any) error }) (*bareHousehold, error) {
	var h bareHousehold
	var id, tid int64
	var in, out sql.NullTime
	if err := sc.Scan(&id, &tid, &h.path, &h.Address, &h.HeadName, &h.Members, &h.Flags.ElderlyAlone, &h.Flags.Hardship,
		&h.Flags.Disability, &h.Flags.Mobile, &in, &out, &h.CreatedAt, &h.UpdatedAt); err != nil {
		return nil, err
	}
	h.ID, h.TerritoryID = strconv.FormatInt(id, 10), strconv.FormatInt(tid, 10)
	for _, x := range []struct {
		t   sql.NullTime
		dst **string
	}{{in, &h.MovedInAt}, {out, &h.MovedOutAt}} {
		if x.t.Valid {
			s := x.t.Time.Format(time.DateOnly)
			*x.dst = &s
		}
	}
	h.CreatedAt, h.UpdatedAt = h.CreatedAt.In(model.Shanghai), h.UpdatedAt.In(model.Shanghai)
	return &h, nil
}

func (b *bare) id(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:], 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return 0, false
	}
	return id, true
}

func (b *bare) household(r *http.Request, id int64) (*bareHousehold, error) {
	return scanBareHousehold(b.queryRow(r.Context(), `SELECT `+bareHouseholdColumns+` FROM households WHERE id = ?`, id))
}

// householdJSON answers GET /households/{id} with the row as the API shows it.
func (b *bare) householdJSON(w http.ResponseWriter, r *http.Request) {
	id, ok := b.id(w, r)
	if !ok {
		return
	}
	h, err := b.household(r, id)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(h)
}

// householdList answers GET /households?territory=ID&limit=N with the first page under the node
// in (path, id) order and the node's maintained household count.
func (b *bare) householdList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	tid, err := strconv.ParseInt(r.URL.Query().Get("territory"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	var path string
	if err := b.queryRow(ctx, `SELECT path FROM territories WHERE id = ?`, tid).Scan(&path); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	rows, err := b.query(ctx, `SELECT `+bareHouseholdColumns+` FROM households WHERE path >= ? AND path < ? AND moved_out_at IS NULL ORDER BY path, id LIMIT `+strconv.Itoa(limit+1),
		path, path[:len(path)-1]+"0")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer rows.Close()
	out := struct {
		Items      []*bareHousehold `json:"items"`
		NextCursor string           `json:"next_cursor,omitempty"`
		Total      int64            `json:"total"`
	}{}
	for rows.Next() {
		h, err := scanBareHousehold(rows)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out.Items = append(out.Items, h)
	}
	if err := rows.Err(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if len(out.Items) > limit {
		last := out.Items[limit-1]
		out.Items, out.NextCursor = out.Items[:limit], base64.RawURLEncoding.EncodeToString([]byte(last.path+"|"+last.ID))
	}
	if err := b.queryRow(ctx, `SELECT households FROM territories WHERE id = ?`, tid).Scan(&out.Total); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// barePage is what the bare household page shows.
type barePage struct {
	Chrome      web.Chrome
	H           *bareHousehold
	User, Scope string
	Crumbs      []bareCrumb
	Location    string
	Members     []bareMember
	HeadID      int64 // the member who is 户主, linked to its edit page
	Events      []bareEvent
}

type bareCrumb struct {
	ID   int64
	Name string
}

type bareMember struct {
	ID                                                                    int64
	Name, Relation, Gender, Birth, IDNumber, Phone, Political, Occupation string
	Age                                                                   int
	Head                                                                  bool
}

type bareEvent struct {
	At, Action, Detail string
}

// barePageTemplate is the household page as the full stack renders it for a district admin
// (bare_page.html was made from its output): the layout's navigation is literal text, the
// household's fields are filled in, with no message catalog, icons or permission checks.
//
//go:embed bare_page.html
var barePageHTML string

var barePageTemplate = template.Must(template.New("page").Parse(barePageHTML))

// Labels the bare page prints for stored codes (the full stack's catalog has them).
var bareLabels = map[string]string{"male": "男", "female": "女", "party_member": "中共党员", "probationary": "预备党员",
	"league_member": "共青团员", "masses": "群众", "created": "新建", "moved_in": "迁入", "moved_out": "迁出", "updated": "修改",
	"member_added": "添加成员", "member_removed": "移除成员", "imported": "导入"}

// householdPage answers GET /households/{id} with the household page as HTML: the household,
// its node's ancestors for the breadcrumb, its residents with ID numbers and phones opened and
// masked, and its history, as the full stack shows them to the benchmark's district admin.
func (b *bare) householdPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := b.id(w, r)
	if !ok {
		return
	}
	fail := func(err error) { http.Error(w, err.Error(), http.StatusInternalServerError) }
	h, err := b.household(r, id)
	if err != nil {
		fail(err)
		return
	}
	p := barePage{Chrome: b.chrome, H: h, User: b.user, Scope: b.scope}
	ids := model.PathIDs(h.path)
	args := make([]any, len(ids))
	for i, a := range ids {
		args[i] = a
	}
	rows, err := b.query(ctx, `SELECT id, name FROM territories WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY path`, args...)
	if err != nil {
		fail(err)
		return
	}
	for rows.Next() {
		var c bareCrumb
		if err := rows.Scan(&c.ID, &c.Name); err != nil {
			rows.Close()
			fail(err)
			return
		}
		p.Crumbs = append(p.Crumbs, c)
	}
	rows.Close()
	for _, c := range p.Crumbs[max(0, len(p.Crumbs)-2):] {
		if p.Location != "" {
			p.Location += " › "
		}
		p.Location += c.Name
	}
	rows, err = b.query(ctx, `SELECT id, name, relation, gender, birth_date, id_number_enc, phone_enc, political_status, occupation
		FROM residents WHERE household_id = ? ORDER BY id`, id)
	if err != nil {
		fail(err)
		return
	}
	now := time.Now().In(model.Shanghai)
	for rows.Next() {
		var m bareMember
		var birth time.Time
		var idEnc, phoneEnc string
		if err := rows.Scan(&m.ID, &m.Name, &m.Relation, &m.Gender, &birth, &idEnc, &phoneEnc, &m.Political, &m.Occupation); err != nil {
			rows.Close()
			fail(err)
			return
		}
		number, err := b.keys.Open(store.ColumnIDNumber, idEnc)
		if err != nil {
			rows.Close()
			fail(err)
			return
		}
		phone, err := b.keys.Open(store.ColumnPhone, phoneEnc)
		if err != nil {
			rows.Close()
			fail(err)
			return
		}
		m.Birth, m.IDNumber, m.Phone = birth.Format(time.DateOnly), model.MaskIDNumber(number), model.MaskPhone(phone)
		m.Age = now.Year() - birth.Year()
		if now.YearDay() < birth.YearDay() {
			m.Age--
		}
		m.Head = m.Relation == string(model.RelationHead)
		if m.Head {
			p.HeadID = m.ID
		}
		m.Relation = model.Relation(m.Relation).Label()
		m.Gender, m.Political = bareLabels[m.Gender], bareLabels[m.Political]
		if m.Phone == "" {
			m.Phone = "—"
		}
		p.Members = append(p.Members, m)
	}
	rows.Close()
	rows, err = b.query(ctx, `SELECT action, detail, at FROM household_events WHERE household_id = ? ORDER BY id DESC LIMIT 200`, id)
	if err != nil {
		fail(err)
		return
	}
	for rows.Next() {
		var e bareEvent
		var at time.Time
		if err := rows.Scan(&e.Action, &e.Detail, &at); err != nil {
			rows.Close()
			fail(err)
			return
		}
		e.At, e.Action = at.In(model.Shanghai).Format("2006-01-02 15:04"), bareLabels[e.Action]
		p.Events = append(p.Events, e)
	}
	rows.Close()
	var buf bytes.Buffer
	if err := barePageTemplate.Execute(&buf, p); err != nil {
		fail(err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}
