package securitytest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The list proof: for every list route, as every role that may take it, the ids returned are
// exactly the ids the fixture put in the caller's scope (none from another subtree, none
// missing), over every page, and a total, where the list gives one, equals their number. The
// truth comes from what the fixture made and where (householdAt, residentOf, accountAt and the
// parent of every node), walked up parent by parent: not from authz.Scope or a path prefix.

// inside reports whether node lies under (or is) top; a nil top is the whole deployment.
func (w *world) inside(top, node *model.Territory) bool {
	if top == nil {
		return true
	}
	if node == nil {
		return false // an unscoped account lies in no subtree
	}
	byID := map[int64]*model.Territory{}
	for _, n := range w.nodes {
		byID[n.ID] = n
	}
	for n := node; n != nil; n = byID[n.ParentID] {
		if n.ID == top.ID {
			return true
		}
	}
	return false
}

// ids is a set of object ids.
type ids map[int64]bool

func (s ids) sorted() []int64 {
	out := make([]int64, 0, len(s))
	for id := range s {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// listTruth are the fixture's objects of each kind in the subtree under top (nil: everywhere).
func (w *world) households(top *model.Territory) ids {
	out := ids{}
	for id, node := range w.householdAt {
		if w.inside(top, node) {
			out[id] = true
		}
	}
	return out
}

func (w *world) residents(top *model.Territory) ids {
	out := ids{}
	for id, h := range w.residentOf {
		if w.inside(top, w.householdAt[h]) {
			out[id] = true
		}
	}
	return out
}

// unitOnly narrows a truth of households (or of residents) to the unit a unit leader leads;
// every other role's stays as it is. The unit's households are read as the system sees them
// (other areas' fixtures add households to the unit).
func (w *world) unitOnly(role model.Role, s ids, residents bool) ids {
	if role != model.RoleUnitLeader {
		return s
	}
	hs, err := w.st.UnitHouseholds(context.Background(), authz.System(), w.unit.ID)
	if err != nil {
		w.tb.Fatal(err)
	}
	in := ids{}
	for _, h := range hs {
		in[h.ID] = true
	}
	out := ids{}
	for id := range s {
		h := id
		if residents {
			w.mu.Lock()
			h = w.residentOf[id]
			w.mu.Unlock()
		}
		if in[h] {
			out[id] = true
		}
	}
	return out
}

func (w *world) territories(top *model.Territory) ids {
	out := ids{}
	for _, n := range w.nodes {
		if w.inside(top, n) {
			out[n.ID] = true
		}
	}
	return out
}

func (w *world) accounts(top *model.Territory) ids {
	out := ids{}
	for id, scope := range w.accountAt {
		if top == nil || scope != nil && w.inside(top, scope) {
			out[id] = true
		}
	}
	return out
}

// jsonList reads every page of an API list (following next_cursor) and returns the ids of its
// items, the status of the first page, and the total the list reported (-1: none).
func (w *world) jsonList(token, path string) (status int, got ids, total int64, err error) {
	got, total = ids{}, -1
	cursor := ""
	for page := 0; page < 50; page++ {
		p := path
		if cursor != "" {
			sep := "?"
			if strings.Contains(p, "?") {
				sep = "&"
			}
			p += sep + "cursor=" + cursor
		}
		resp := w.do(token, "GET", p, "", nil)
		var env struct {
			Items []struct {
				ID json.Number `json:"id"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
			Total      *int64 `json:"total"`
		}
		err := json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		if page == 0 {
			status = resp.StatusCode
		}
		if resp.StatusCode != http.StatusOK {
			return status, got, total, nil
		}
		if err != nil {
			return status, got, total, fmt.Errorf("GET %s: %v", p, err)
		}
		for _, it := range env.Items {
			id, err := strconv.ParseInt(it.ID.String(), 10, 64)
			if err != nil {
				return status, got, total, fmt.Errorf("GET %s: item id %q", p, it.ID)
			}
			if got[id] {
				return status, got, total, fmt.Errorf("GET %s: item %d listed twice", p, id)
			}
			got[id] = true
		}
		if env.Total != nil && total < 0 {
			total = *env.Total
		}
		if cursor = env.NextCursor; cursor == "" {
			break
		}
	}
	return status, got, total, nil
}

// pageRow is the row header cell of a list page's result table (partials: result table).
var pageRow = regexp.MustCompile(`<th scope="row" class="cell-title[^"]*"[^>]*>(.*?)</th>`)

// pageList reads a list page and returns the row headers of its result table.
func (w *world) pageList(token, path string) (int, []string) {
	resp := w.do(token, "GET", path, "", nil)
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	var rows []string
	for _, m := range pageRow.FindAllStringSubmatch(b.String(), -1) {
		rows = append(rows, m[1])
	}
	return resp.StatusCode, rows
}

var hrefID = regexp.MustCompile(`href="/[a-z]+/(\d+)"`)

// compare reports the difference between the ids a list returned and the truth.
func compare(t *testing.T, what string, got, want ids, total int64) {
	t.Helper()
	var extra, missing []int64
	for _, id := range got.sorted() {
		if !want[id] {
			extra = append(extra, id)
		}
	}
	for _, id := range want.sorted() {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	if len(extra) > 0 || len(missing) > 0 {
		t.Errorf("%s: %d ids, want %d: not in the caller's scope %v, missing %v", what, len(got), len(want), extra, missing)
	}
	if total >= 0 && total != int64(len(want)) {
		t.Errorf("%s: total %d, want %d", what, total, len(want))
	}
}

func runLists(t *testing.T, w *world) {
	ctx := context.Background()
	// Content for the lists that start empty: a standing job of every role's own and one of
	// every relation's account; an API token of every role.
	tokensOf := map[model.Role]ids{}
	for _, role := range model.Roles {
		for _, rel := range placed {
			w.job(role, rel, false)
		}
		_, tok, err := w.st.CreateAPIToken(ctx, w.users[role], "列表", 0, 30)
		if err != nil {
			t.Fatal(err)
		}
		tokensOf[role] = ids{tok.ID: true}
	}
	// A standing ID conflict of every relation, both sides in its stairwell.
	conflictAt := map[int64]*model.Territory{}
	for _, rel := range placed {
		conflictAt[w.conflict(rel, false)] = w.targets[rel].node
	}
	// The jobs, by who started them.
	type jobRow struct {
		id      int64
		starter int64
	}
	var jobs []jobRow
	w.mu.Lock()
	for key, id := range w.jobs {
		var starter int64
		if r, ok := strings.CutPrefix(key, "own_"); ok {
			starter = w.users[model.Role(r)].ID
		} else {
			n, _ := strconv.Atoi(strings.TrimPrefix(key, "rel"))
			starter = w.targets[relation(n)].account.ID
		}
		jobs = append(jobs, jobRow{id, starter})
	}
	w.mu.Unlock()

	var lists, rows int
	for _, role := range model.Roles {
		token := w.token(role)
		scope := w.scopeNode(role)
		me := w.users[role]
		check := func(what string, got, want ids, total int64) {
			t.Helper()
			lists++
			rows += len(got)
			compare(t, fmt.Sprintf("%s as %s", what, role), got, want, total)
		}
		api := func(path string, want ids) {
			t.Helper()
			status, got, total, err := w.jsonList(token, path)
			switch {
			case err != nil:
				t.Error(err)
			case status != http.StatusOK:
				t.Errorf("GET %s as %s: HTTP %d, want 200", path, role, status)
			default:
				check("GET "+path, got, want, total)
			}
		}
		page := func(path string, want ids, id func(row string) (int64, bool)) {
			t.Helper()
			status, cells := w.pageList(token, path)
			if status != http.StatusOK {
				t.Errorf("GET %s as %s: HTTP %d, want 200", path, role, status)
				return
			}
			got := ids{}
			for _, c := range cells {
				n, ok := id(c)
				if !ok {
					t.Errorf("GET %s as %s: a row the fixture did not make: %q", path, role, c)
					continue
				}
				got[n] = true
			}
			check("GET "+path, got, want, -1)
		}
		byHref := func(c string) (int64, bool) {
			m := hrefID.FindStringSubmatch(c)
			if m == nil {
				return 0, false
			}
			n, _ := strconv.ParseInt(m[1], 10, 64)
			return n, true
		}
		byName := func(names map[string]int64) func(string) (int64, bool) {
			return func(c string) (int64, bool) {
				text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(c, " ")
				for _, f := range strings.Fields(text) {
					if id, ok := names[f]; ok {
						return id, true
					}
				}
				return 0, false
			}
		}

		// The tree: every role reads the nodes of its scope.
		api("/api/v1/territories?limit=7", w.territories(scope))
		top := scope
		if top == nil {
			top = w.district
		}
		children := ids{}
		for _, n := range w.nodes {
			if n.ParentID == top.ID {
				children[n.ID] = true
			}
		}
		api(fmt.Sprintf("/api/v1/territories/%d/children?limit=3", top.ID), children)

		// Households and residents: the whole scope, and under each relation's node.
		if may(role, peopleRead) {
			api("/api/v1/households?limit=3", w.unitOnly(role, w.households(scope), false))
			api("/api/v1/residents?limit=3", w.unitOnly(role, w.residents(scope), true))
			residentNames := map[string]int64{}
			for id := range w.residentOf {
				r, err := w.st.Resident(ctx, authz.System(), id)
				if err != nil {
					t.Fatal(err)
				}
				residentNames[r.Name] = id
			}
			for _, rel := range placed[1:] {
				node := w.targets[rel].node
				q := "territory=" + strconv.FormatInt(node.ID, 10)
				if rel > w.reach(role) {
					for _, p := range []string{"/api/v1/households?" + q, "/api/v1/residents?" + q, "/households?" + q, "/residents?" + q} {
						resp := w.do(token, "GET", p, "", nil)
						resp.Body.Close()
						if resp.StatusCode != http.StatusNotFound {
							t.Errorf("GET %s as %s (a node outside the scope): HTTP %d, want 404", p, role, resp.StatusCode)
						}
					}
					continue
				}
				api("/api/v1/households?limit=2&"+q, w.unitOnly(role, w.households(node), false))
				api("/api/v1/residents?limit=2&"+q, w.unitOnly(role, w.residents(node), true))
				page("/households?"+q, w.unitOnly(role, w.households(node), false), byHref)
				page("/residents?"+q, w.unitOnly(role, w.residents(node), true), byName(residentNames))
			}
			page("/households", w.unitOnly(role, w.households(scope), false), byHref)
			page("/residents", w.unitOnly(role, w.residents(scope), true), byName(residentNames))
		}

		// Accounts: administrators list the accounts of their subtree.
		if may(role, accounts) {
			api("/api/v1/users", w.accounts(scope))
			usernames := map[string]int64{}
			for id := range w.accountAt {
				u, err := w.st.User(ctx, authz.System(), id)
				if err != nil {
					t.Fatal(err)
				}
				usernames[u.Username] = id
			}
			page("/users", w.accounts(scope), byName(usernames))
		}

		// Correction requests: the fixture's open request of each relation's resident.
		if may(role, corrections) {
			want := ids{}
			for _, rel := range placed {
				tg := w.targets[rel]
				if w.inside(scope, w.householdAt[w.residentOf[tg.probe.ResidentID]]) {
					want[tg.probe.ID] = true
				}
			}
			api("/api/v1/corrections?limit=2", want)
			page("/corrections", want, byHref)
		}
		// ID conflicts (登记冲突): staff whose scope holds both sides.
		if may(role, conflicts) {
			want := ids{}
			for id, node := range conflictAt {
				if w.inside(scope, node) {
					want[id] = true
				}
			}
			api("/api/v1/conflicts?limit=2", want)
			page("/conflicts", want, byHref)
		}
		if may(role, subject) {
			want := ids{}
			for _, rel := range placed {
				if tg := w.targets[rel]; tg.subject.ID == me.ID {
					want[tg.probe.ID] = true
				}
			}
			api("/api/v1/me/corrections", want)
		}

		// Own tokens (one each), and jobs: one's own, and administrators also those started
		// by accounts of their subtree.
		api("/api/v1/tokens", tokensOf[role])
		tokenNames := map[string]int64{}
		for id := range tokensOf[role] {
			tokenNames["列表"] = id
		}
		page("/me/tokens", tokensOf[role], byName(tokenNames))
		mine, visible := ids{}, ids{}
		for _, j := range jobs {
			if j.starter == me.ID {
				mine[j.id] = true
				visible[j.id] = true
			} else if administrator(role) && (scope == nil || w.accountAt[j.starter] != nil && w.inside(scope, w.accountAt[j.starter])) {
				visible[j.id] = true
			}
		}
		api("/api/v1/jobs?mine=true&limit=2", mine)
		api("/api/v1/jobs?limit=2", visible)
		page("/jobs", mine, byHref) // 我的任务: the page lists one's own
	}
	msg := fmt.Sprintf("lists (%s): %d lists compared with the fixture, %d rows, each exactly the caller's scope", w.engine, lists, rows)
	t.Log(msg)
	if testing.Verbose() {
		fmt.Println(msg)
	}
}
