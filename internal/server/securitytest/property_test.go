package securitytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// Every household's address carries a tag "H<n>号" and every resident's name "乙R<n>", so that
// any response (JSON, HTML, a workbook) can be searched for the rows it shows.
var (
	householdTag = regexp.MustCompile(`H(\d+)号`)
	residentTag  = regexp.MustCompile(`乙R(\d+)`)
)

// tree is one random territory tree with households and residents, and the truth: the
// materialized path each tagged row lies under.
type tree struct {
	nodes      []*model.Territory
	households map[int]string // tag → path of its node
	residents  map[int]string
}

// randomTree builds a district with random streets, communities, grids, buildings and
// stairwells (random fan-out, some levels skipped), and random households and residents.
func randomTree(t *testing.T, st *store.Store, rng *rand.Rand, round int, seq *int) *tree {
	t.Helper()
	ctx := context.Background()
	sys := authz.System()
	tr := &tree{households: map[int]string{}, residents: map[int]string{}}
	var add func(parent *model.Territory, level int)
	kinds := []model.TerritoryKind{model.KindStreet, model.KindCommunity, model.KindGrid, model.KindBuilding, model.KindStairwell}
	add = func(parent *model.Territory, level int) {
		for i := 0; i < 1+rng.IntN(3); i++ {
			lv := level
			if lv < len(kinds)-1 && rng.IntN(6) == 0 {
				lv++ // skip a level now and then: trees are not all the same depth
			}
			n, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: parent.ID, Kind: kinds[lv], Name: fmt.Sprintf("%s%d", kinds[lv].Label(), i)})
			if err != nil {
				t.Fatal(err)
			}
			tr.nodes = append(tr.nodes, n)
			for h := 0; kinds[lv] != model.KindStreet && h < rng.IntN(3); h++ { // households live in a community or below
				*seq++
				hh, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: n.ID, Address: fmt.Sprintf("H%d号", *seq)})
				if err != nil {
					t.Fatal(err)
				}
				tr.households[*seq] = n.Path
				for r := 0; r < rng.IntN(3); r++ {
					*seq++
					s := fmt.Sprintf("510781%04d%02d%02d%03d", 1940+*seq/(28*12), 1+*seq/28%12, 1+*seq%28, *seq%1000)
					if _, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: hh.ID, Name: fmt.Sprintf("乙R%d", *seq),
						IDNumber: s + string(model.IDCheckDigit(s)), Relation: "其他"}); err != nil {
						t.Fatal(err)
					}
					tr.residents[*seq] = n.Path
				}
			}
			if lv < len(kinds)-1 {
				add(n, lv+1)
			}
		}
	}
	root, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{Kind: model.KindDistrict, Name: fmt.Sprintf("区%d", round)})
	if err != nil {
		t.Fatal(err)
	}
	tr.nodes = append(tr.nodes, root)
	add(root, 0)
	return tr
}

// TestNoRowOutsideScope is the property test: on random territory trees, for random scoped
// accounts of every role that reads households, no list (every page), count, page or export
// contains a row outside the account's subtree (or outside the ?territory= filter), and the
// counts equal the truth.
func TestNoRowOutsideScope(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(strings.TrimSpace(os.Getenv("GONGZHI_PROPERTY_SEED")), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (rerun with GONGZHI_PROPERTY_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x5ec))
	st := storetest.Open(t, "sqlite")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pages, err := web.New(st, log, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(st, log, api.Token, api.New(st, log, 1<<20, false), pages).Handler())
	t.Cleanup(srv.Close)
	var readers []model.Role
	for _, r := range model.Roles {
		// The truth here is a territory subtree; a unit leader's scope is its unit's households,
		// proven by the matrix's unit-bound oracle (peopleReach) and store.TestUnitLeaderScope.
		if r.Scoped() && authz.Allowed(r, authz.HouseholdRead) && r != model.RoleUnitLeader {
			readers = append(readers, r)
		}
	}
	const rounds = 5
	var checks, rows, seq int
	for round := range rounds {
		tr := randomTree(t, st, rng, round, &seq)
		for a := 0; a < 6; a++ {
			node := tr.nodes[rng.IntN(len(tr.nodes))]
			role := readers[rng.IntN(len(readers))]
			u, err := st.CreateUser(context.Background(), authz.System(), store.UserInput{Username: fmt.Sprintf("p%d_%d", round, a),
				DisplayName: "性质测试", Password: testPassword, Role: role, ScopeID: node.ID})
			if err != nil {
				t.Fatal(err)
			}
			token, _, err := st.CreateSession(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			// The whole scope, and a filter on a random node (inside, above or beside it).
			filter := tr.nodes[rng.IntN(len(tr.nodes))]
			for _, under := range []*model.Territory{nil, filter} {
				prefix := node.Path
				if under != nil {
					switch {
					case strings.HasPrefix(under.Path, node.Path):
						prefix = under.Path
					default:
						// beside or above the scope: the node is outside it, so nothing (404)
						prefix = ""
					}
				}
				in := func(path string) bool { return prefix != "" && strings.HasPrefix(path, prefix) }
				q := ""
				if under != nil {
					q = "territory=" + strconv.FormatInt(under.ID, 10)
				}
				check := func(what, body string, truth map[int]string, tag *regexp.Regexp) map[int]bool {
					seen := map[int]bool{}
					for _, m := range tag.FindAllStringSubmatch(body, -1) {
						n, _ := strconv.Atoi(m[1])
						path, ok := truth[n]
						if !ok {
							// A row of another round's tree: outside the caller's subtree by
							// construction, so never shown.
							t.Errorf("seed %d: %s as %s scoped to %s (%s) shows row %d of another tree", seed, what, role, node.Name, node.Path, n)
							continue
						}
						rows++
						seen[n] = true
						if !in(path) {
							t.Errorf("seed %d: %s as %s scoped to %s (%s) shows row %d at %s, outside %q", seed, what, role, node.Name, node.Path, n, path, prefix)
						}
					}
					checks++
					return seen
				}
				want := func(truth map[int]string) int {
					n := 0
					for _, p := range truth {
						if in(p) {
							n++
						}
					}
					return n
				}
				for _, l := range []struct {
					path  string
					truth map[int]string
					tag   *regexp.Regexp
				}{{"/api/v1/households", tr.households, householdTag}, {"/api/v1/residents", tr.residents, residentTag}} {
					seen, total := map[int]bool{}, int64(-1)
					cursor := ""
					for page := 0; page < 100; page++ {
						p := l.path + "?limit=7&" + q
						if cursor != "" {
							p += "&cursor=" + cursor
						}
						status, body := get(t, srv, token, p)
						if status == http.StatusNotFound && prefix == "" {
							break
						}
						if status != http.StatusOK {
							t.Fatalf("GET %s: HTTP %d %s", p, status, body)
						}
						for n := range check("GET "+l.path, body, l.truth, l.tag) {
							seen[n] = true
						}
						var env struct {
							NextCursor string `json:"next_cursor"`
							Total      *int64 `json:"total"`
						}
						_ = json.Unmarshal([]byte(body), &env)
						if env.Total != nil && total < 0 {
							total = *env.Total
						}
						if cursor = env.NextCursor; cursor == "" {
							break
						}
					}
					if w := want(l.truth); len(seen) != w && prefix != "" {
						t.Errorf("seed %d: %s?%s as %s at %s: %d rows over all pages, want %d", seed, l.path, q, role, node.Path, len(seen), w)
					}
					if total >= 0 && prefix != "" && int(total) != want(l.truth) {
						t.Errorf("seed %d: %s?%s as %s at %s: total %d, want %d", seed, l.path, q, role, node.Path, total, want(l.truth))
					}
				}
				for _, p := range []string{"/households", "/residents"} {
					status, body := get(t, srv, token, p+"?"+q)
					if status == http.StatusOK {
						check("GET "+p, body, tr.households, householdTag)
						check("GET "+p, body, tr.residents, residentTag)
					}
				}
				if authz.Allowed(role, authz.HouseholdImport) {
					status, body := get(t, srv, token, "/households/export.xlsx?"+q)
					if status == http.StatusOK {
						text := workbookText(t, body)
						check("export", text, tr.households, householdTag)
						check("export", text, tr.residents, residentTag)
					}
				}
			}
		}
	}
	msg := fmt.Sprintf("property: seed %d, %d rounds, %d responses checked, %d rows each inside the caller's subtree", seed, rounds, checks, rows)
	t.Log(msg)
	if testing.Verbose() {
		fmt.Println(msg)
	}
}

func get(t *testing.T, srv *httptest.Server, token, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Authorization", "Bearer "+token)
	} else {
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: token})
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// workbookText is every cell of every sheet of an XLSX file, one per line.
func workbookText(t *testing.T, body string) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatalf("export is not a workbook: %v", err)
	}
	defer f.Close()
	var sb strings.Builder
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			sb.WriteString(strings.Join(r, "\t"))
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}
