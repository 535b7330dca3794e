package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// The oracle of separation of duties, written from issue 6.3 rather than from model.Role.Rank:
// roles from the highest down; the auditor right below the system administrator, since only the
// system administrator creates, enables, re-scopes or resets auditors and system administrators.
var sodOrder = []model.Role{model.RoleSystemAdmin, model.RoleAuditor, model.RoleDistrictAdmin, model.RoleStreetAdmin,
	model.RoleCommunityAdmin, model.RoleCommunityStaff, model.RoleGridLeader, model.RoleUnitLeader, model.RoleMember,
	model.RoleResident, model.RolePartner}

// sodManages: the system administrator manages every role; every other administrator only roles
// strictly below its own.
func sodManages(caller, target model.Role) bool {
	if caller == model.RoleSystemAdmin {
		return true
	}
	return slices.Index(sodOrder, target) > slices.Index(sodOrder, caller)
}

// scopeRel is where a target account's scope lies relative to the caller's own scope node.
type scopeRel string

const (
	relBelow   scopeRel = "below"   // a node under the caller's scope node
	relSame    scopeRel = "same"    // the caller's scope node itself
	relAbove   scopeRel = "above"   // the parent of the caller's scope node: wider
	relOutside scopeRel = "outside" // a node in another subtree
)

var sodRelations = []scopeRel{relBelow, relSame, relAbove, relOutside}

// inScope reports whether a node at rel lies in the caller's subtree.
func inScope(caller model.Role, rel scopeRel) bool {
	return caller == model.RoleSystemAdmin || rel == relBelow || rel == relSame
}

// sodWorld is the city of the separation-of-duties test: two districts, and an administrator
// of each rank of the first one, with the API and the pages over one store.
type sodWorld struct {
	st     *store.Store
	url    string
	nodes  map[model.Role]map[scopeRel]*model.Territory // caller → relation → node (nil: none there)
	admins map[model.Role]*model.User
	tokens map[model.Role]string
	orgs   map[int64]int64 // node → the organization registered there for partner accounts
	units  map[int64]int64 // node → the unit anchored there for unit leader accounts
	seq    int
}

// sodAdmins are the roles that manage accounts (the policy's user.admin).
var sodAdmins = []model.Role{model.RoleSystemAdmin, model.RoleDistrictAdmin, model.RoleStreetAdmin, model.RoleCommunityAdmin}

func mustSODWorld(t *testing.T, st *store.Store) *sodWorld {
	t.Helper()
	ctx := context.Background()
	sys := authz.System()
	add := func(parent *model.Territory, kind model.TerritoryKind, name string) *model.Territory {
		t.Helper()
		var pid int64
		if parent != nil {
			pid = parent.ID
		}
		n, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: pid, Kind: kind, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	d1 := add(nil, model.KindDistrict, "江油市")
	s1 := add(d1, model.KindStreet, "中坝街道")
	c1 := add(s1, model.KindCommunity, "天宝社区")
	g1 := add(c1, model.KindGrid, "第一网格")
	d2 := add(nil, model.KindDistrict, "涪城区")
	s2 := add(d2, model.KindStreet, "城厢街道")
	c2 := add(s2, model.KindCommunity, "南街社区")
	w := &sodWorld{st: st, admins: map[model.Role]*model.User{}, tokens: map[model.Role]string{}, orgs: map[int64]int64{}, units: map[int64]int64{}, nodes: map[model.Role]map[scopeRel]*model.Territory{
		// The system administrator has no scope node: every relation lies inside it.
		model.RoleSystemAdmin:    {relBelow: g1, relSame: c1, relAbove: s1, relOutside: c2},
		model.RoleDistrictAdmin:  {relBelow: s1, relSame: d1, relAbove: nil, relOutside: d2},
		model.RoleStreetAdmin:    {relBelow: c1, relSame: s1, relAbove: d1, relOutside: s2},
		model.RoleCommunityAdmin: {relBelow: g1, relSame: c1, relAbove: s1, relOutside: c2},
	}}
	for _, role := range sodAdmins {
		u := w.mustAccount(t, "admin_"+string(role), role, w.nodes[role][relSame])
		w.admins[role] = u
		tok, _, err := st.CreateSession(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[role] = tok
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pages, err := web.New(st, log, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(st, log, api.Token, api.New(st, log, 1<<20, false), pages).Handler())
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return w
}

// mustAccount adds an account of role scoped to node (ignored for system_admin) straight into
// the database with an unusable password hash: the test needs about a hundred target accounts,
// and argon2id costs a tenth of a second each.
func (w *sodWorld) mustAccount(t *testing.T, username string, role model.Role, node *model.Territory) *model.User {
	t.Helper()
	ctx := context.Background()
	var scope, org, unit any
	if role.Scoped() {
		scope = node.ID
	}
	if role == model.RolePartner {
		org = w.organization(t, node)
	}
	if role == model.RoleUnitLeader {
		unit = w.unit(t, node)
	}
	q := `INSERT INTO users (username, display_name, role, scope_id, organization_id, unit_id, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if w.st.Engine() == "postgres" {
		q = `INSERT INTO users (username, display_name, role, scope_id, organization_id, unit_id, password_hash, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	}
	ts := time.Now().UTC().Truncate(time.Microsecond)
	if _, err := w.st.DB().ExecContext(ctx, q, username, username, string(role), scope, org, unit, "x", ts, ts); err != nil {
		t.Fatalf("insert %s: %v", username, err)
	}
	u, err := w.st.UserByUsername(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// organization is the organization registered at node, registered on first use: a partner
// account belongs to one, and its scope is that organization's node.
func (w *sodWorld) organization(t *testing.T, node *model.Territory) int64 {
	t.Helper()
	if w.orgs[node.ID] == 0 {
		w.orgs[node.ID] = storetest.MustOrganization(t, w.st, node.ID, node.Name+"志愿队")
	}
	return w.orgs[node.ID]
}

// unit is the unit anchored at node (a household added there, formed into a unit), made on
// first use: a unit leader account leads one, and its scope is that unit's anchor node.
func (w *sodWorld) unit(t *testing.T, node *model.Territory) int64 {
	t.Helper()
	if w.units[node.ID] == 0 {
		at := node
		if node.Kind.Rank() <= model.KindStreet.Rank() {
			// No unit lies above a community: the unit of a community below.
			p, err := w.st.Territories(context.Background(), authz.System(), store.TerritoryFilter{Under: node.ID, Kind: model.KindCommunity, Limit: 1})
			if err != nil || len(p.Items) == 0 {
				t.Fatalf("no community under %s: %v", node.Name, err)
			}
			at = p.Items[0]
		}
		h, err := w.st.CreateHousehold(context.Background(), authz.System(), model.HouseholdInput{TerritoryID: at.ID, Address: node.Name + "组长户"})
		if err != nil {
			t.Fatal(err)
		}
		w.units[node.ID] = storetest.MustUnit(t, w.st, node.Name+"联建单元", h.ID).ID
	}
	return w.units[node.ID]
}

// partnerless reports whether no partner account can be scoped to node: an organization is
// registered at a street or lower, never at a district. Likewise no unit lies above a
// community, so no unit leader account is scoped to a street or district.
func partnerless(role model.Role, node *model.Territory) bool {
	return role == model.RolePartner && node.Kind == model.KindDistrict ||
		role == model.RoleUnitLeader && node.Kind.Rank() <= model.KindStreet.Rank()
}

// accountFields are the fields of a new or changed account of role at node: the scope, or for a
// partner the organization registered there (its scope follows it).
func (w *sodWorld) accountFields(t *testing.T, role model.Role, node *model.Territory) (field, value string) {
	if role == model.RolePartner {
		return "organization_id", strconv.FormatInt(w.organization(t, node), 10)
	}
	if role == model.RoleUnitLeader {
		return "unit_id", strconv.FormatInt(w.unit(t, node), 10)
	}
	return "scope_id", strconv.FormatInt(node.ID, 10)
}

func (w *sodWorld) name(prefix string) string {
	w.seq++
	return fmt.Sprintf("%s_%d", prefix, w.seq)
}

// do sends one request as caller: a bearer token to the API, the session cookie to the pages
// (same-origin, as a browser would).
func (w *sodWorld) do(t *testing.T, caller model.Role, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, w.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Authorization", "Bearer "+w.tokens[caller])
	} else {
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: w.tokens[caller]})
		req.Header.Set("Origin", w.url)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// outcome is what the rules call for: done, refused (403, recorded as denied), not found (404),
// or invalid (422, the scope).
type outcome string

const (
	done     outcome = "done"
	refused  outcome = "403"
	notFound outcome = "404"
	invalid  outcome = "422"
)

// got classifies an answer of the API (2xx done) or the pages (303 done).
func got(status int) outcome {
	switch {
	case status == http.StatusOK || status == http.StatusCreated || status == http.StatusSeeOther:
		return done
	case status == http.StatusForbidden:
		return refused
	case status == http.StatusNotFound:
		return notFound
	case status == http.StatusUnprocessableEntity:
		return invalid
	}
	return outcome(strconv.Itoa(status))
}

// state is an account's row as far as the rules protect it.
func (w *sodWorld) state(t *testing.T, id int64) string {
	t.Helper()
	ctx := context.Background()
	u, err := w.st.User(ctx, authz.System(), id)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s|%s|%d|%t|%t", u.DisplayName, u.Role, u.ScopeID, u.Disabled, u.TOTPEnrolled())
}

// lastDenied is the id of the newest denied audit record of caller's account (0: none).
func (w *sodWorld) lastDenied(t *testing.T, caller model.Role) int64 {
	t.Helper()
	p, err := w.st.AuditLog(context.Background(), authz.System(), store.AuditFilter{Actor: w.admins[caller].Username, Result: model.AuditDenied, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) == 0 {
		return 0
	}
	return p.Items[0].ID
}

// check compares an answer with the oracle; a refusal must be recorded as denied and must
// change nothing (before and after are the protected state, "" when not compared).
func (w *sodWorld) check(t *testing.T, caller model.Role, what string, status int, body []byte, want outcome, deniedBefore int64, before, after string) {
	t.Helper()
	if g := got(status); g != want {
		t.Errorf("%s as %s: %s (HTTP %d), want %s — %.300s", what, caller, g, status, want, body)
		return
	}
	if want != refused {
		return
	}
	if w.lastDenied(t, caller) <= deniedBefore {
		t.Errorf("%s as %s: refused without a denied audit record", what, caller)
	}
	if before != after {
		t.Errorf("%s as %s: refused, yet the account changed from %s to %s", what, caller, before, after)
	}
	if !bytes.Contains(body, []byte("审计员和系统管理员只能由系统管理员")) && !bytes.Contains(body, []byte("自己")) && !bytes.Contains(body, []byte("系统管理员角色")) {
		t.Errorf("%s as %s: the refusal does not name the rule: %.300s", what, caller, body)
	}
}

// TestSeparationOfDuties runs every account change of both surfaces as every administrator
// role, on accounts of every role whose scope lies below, at, above or beside the caller's, and
// compares the answer with the rules of issue 6.3: only the system administrator manages
// auditors and system administrators; nobody creates or acts on an account of its own rank or
// higher, or gives a scope wider than its own; nobody changes its own role or scope. Every
// refusal is a 403 naming the rule, is recorded as denied and changes nothing.
func TestSeparationOfDuties(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := mustSODWorld(t, st)
		ctx := context.Background()
		// Target accounts of every role at every node of the tree, and one more system administrator.
		targets := map[int64]map[model.Role]*model.User{}
		var sysTarget *model.User
		for _, rels := range w.nodes {
			for _, n := range rels {
				if n == nil || targets[n.ID] != nil {
					continue
				}
				targets[n.ID] = map[model.Role]*model.User{}
				for _, role := range model.Roles {
					if role.Scoped() && !partnerless(role, n) {
						targets[n.ID][role] = w.mustAccount(t, w.name("t_"+string(role)), role, n)
					}
				}
			}
		}
		sysTarget = w.mustAccount(t, "t_system_admin", model.RoleSystemAdmin, nil)

		for _, caller := range sodAdmins {
			for _, role := range model.Roles {
				for _, rel := range sodRelations {
					node := w.nodes[caller][rel]
					if node == nil || (caller == model.RoleSystemAdmin && rel != relBelow && rel != relOutside) {
						continue // no node above a district; the system administrator has no relation but in or out
					}
					if partnerless(role, node) {
						continue // no organization, so no partner, at a district
					}
					target := targets[node.ID][role]
					if !role.Scoped() {
						target = sysTarget
						if rel != relBelow {
							continue // one unscoped target, tried once
						}
					}
					// The oracle.
					create := done
					switch {
					case !sodManages(caller, role) || (!role.Scoped() && caller != model.RoleSystemAdmin):
						create = refused
					case role.Scoped() && !inScope(caller, rel):
						create = invalid
					}
					act := done
					switch {
					case !role.Scoped() && caller != model.RoleSystemAdmin, role.Scoped() && !inScope(caller, rel):
						act = notFound
					case !sodManages(caller, role):
						act = refused
					}

					label := fmt.Sprintf("%s at %s", role, rel)
					// Create through the API, for real. The pages get the same request with a
					// password the rules refuse, which spares an argon2id hash per case and shows
					// that the decision on role and scope comes first: a refusal is still a 403,
					// and an allowed role a 422 naming the password, and the scope when it lies
					// outside.
					// A partner names its organization instead of a scope: one outside the caller's
					// subtree is invalid the same way.
					field, value := w.accountFields(t, role, node)
					username := w.name("new")
					denied := w.lastDenied(t, caller)
					status, body := w.do(t, caller, "POST", "/api/v1/users", map[string]any{"username": username, "password": "a long enough passphrase",
						"role": role, field: value})
					w.check(t, caller, "api create "+label, status, body, create, denied, "", "")
					if _, err := st.UserByUsername(ctx, username); (err == nil) != (create == done) {
						t.Errorf("api create %s as %s: account exists = %v, want %v", label, caller, err == nil, create == done)
					}
					wantField := "scope"
					if role == model.RolePartner {
						wantField = "organization_id"
					}
					if role == model.RoleUnitLeader {
						wantField = "unit_id"
					}
					if create == invalid && !bytes.Contains(body, []byte(`"field":"`+wantField+`"`)) {
						t.Errorf("api create %s as %s: the error does not name the scope: %s", label, caller, body)
					}
					username = w.name("new")
					denied = w.lastDenied(t, caller)
					status, body = w.do(t, caller, "POST", "/users", url.Values{"username": {username}, "password": {"password1234"},
						"role": {string(role)}, field: {value}})
					want := create
					if create == done {
						want = invalid
					}
					w.check(t, caller, "page create "+label, status, body, want, denied, "", "")
					if want == invalid {
						var fields []string
						for _, a := range all(mustHTML(t, body), ".error-summary a") {
							fields = append(fields, attr(a, "href"))
						}
						wantFields := []string{"#f-user-password"}
						if create == invalid {
							wantFields = append(wantFields, "#f-user-"+field)
						}
						if !slices.Equal(fields, wantFields) {
							t.Errorf("page create %s as %s: errors on %v, want %v", label, caller, fields, wantFields)
						}
					}
					if _, err := st.UserByUsername(ctx, username); err == nil {
						t.Errorf("page create %s as %s: an account with a refused password exists", label, caller)
					}
					// Act on the existing account: change its name; disable and enable; unlock;
					// reset the second factor.
					type step struct {
						surface, method, path string
						body                  any
					}
					id := strconv.FormatInt(target.ID, 10)
					scopeField := ""
					if target.ScopeID != 0 {
						scopeField = strconv.FormatInt(target.ScopeID, 10)
					}
					steps := []step{
						{"api", "PATCH", "/api/v1/users/" + id, map[string]any{"display_name": w.name("改名")}},
						{"page", "POST", "/users/" + id, url.Values{"display_name": {w.name("改名")}, "role": {string(target.Role)}, "scope_id": {scopeField}}},
					}
					for _, a := range []string{"disable", "enable", "unlock", "reset-totp"} {
						steps = append(steps, step{"api", "POST", "/api/v1/users/" + id + "/" + a, nil}, step{"page", "POST", "/users/" + id + "/" + a, nil})
					}
					for _, s := range steps {
						before, denied := w.state(t, target.ID), w.lastDenied(t, caller)
						status, body := w.do(t, caller, s.method, s.path, s.body)
						w.check(t, caller, fmt.Sprintf("%s %s %s on %s", s.surface, s.method, s.path, label), status, body, act, denied, before, w.state(t, target.ID))
					}
				}
			}
		}
	})
}

// TestRoleScopeAndSelfChanges gives an account of a role every administrator manages every
// role and every scope relation, through both surfaces, and tries each administrator's changes
// of its own account: a role the caller does not manage is refused (403, recorded, nothing
// changed), a scope outside its subtree is invalid (422), its own role and scope never change,
// and a change of role ends the account's sessions.
func TestRoleScopeAndSelfChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := mustSODWorld(t, st)
		ctx := context.Background()
		for _, caller := range sodAdmins {
			below := w.nodes[caller][relBelow]
			subject := w.mustAccount(t, w.name("subject"), model.RoleGridLeader, below)
			reset := func() {
				t.Helper()
				role, scope := model.RoleGridLeader, below.ID
				if _, err := st.UpdateUser(ctx, authz.System(), subject.ID, store.UserPatch{Role: &role, ScopeID: &scope}); err != nil {
					t.Fatal(err)
				}
			}
			id := strconv.FormatInt(subject.ID, 10)
			for _, role := range model.Roles {
				want := done
				if !sodManages(caller, role) || (!role.Scoped() && caller != model.RoleSystemAdmin) {
					want = refused
				}
				for _, surface := range []string{"api", "page"} {
					session, _, err := st.CreateSession(ctx, subject)
					if err != nil {
						t.Fatal(err)
					}
					before, denied := w.state(t, subject.ID), w.lastDenied(t, caller)
					var status int
					var body []byte
					if surface == "api" {
						req := map[string]any{"role": role}
						if role == model.RolePartner {
							req["organization_id"] = strconv.FormatInt(w.organization(t, below), 10)
						}
						if role == model.RoleUnitLeader {
							req["unit_id"] = strconv.FormatInt(w.unit(t, below), 10)
						}
						status, body = w.do(t, caller, "PATCH", "/api/v1/users/"+id, req)
					} else {
						form := url.Values{"display_name": {subject.DisplayName}, "role": {string(role)}, "scope_id": {strconv.FormatInt(below.ID, 10)}}
						if !role.Scoped() {
							form.Set("scope_id", "")
						}
						if role == model.RolePartner {
							form.Set("organization_id", strconv.FormatInt(w.organization(t, below), 10))
						}
						if role == model.RoleUnitLeader {
							form.Set("unit_id", strconv.FormatInt(w.unit(t, below), 10))
						}
						status, body = w.do(t, caller, "POST", "/users/"+id, form)
					}
					w.check(t, caller, surface+" role → "+string(role), status, body, want, denied, before, w.state(t, subject.ID))
					_, err = st.UserByToken(ctx, session)
					if ended := err != nil; ended != (want == done && role != model.RoleGridLeader) {
						t.Errorf("%s role → %s as %s: session ended = %v (%v)", surface, role, caller, ended, err)
					}
					reset()
				}
			}
			for _, rel := range sodRelations {
				node := w.nodes[caller][rel]
				if node == nil {
					continue
				}
				want := invalid
				if inScope(caller, rel) {
					want = done
				}
				for _, surface := range []string{"api", "page"} {
					var status int
					var body []byte
					if surface == "api" {
						status, body = w.do(t, caller, "PATCH", "/api/v1/users/"+id, map[string]any{"scope_id": strconv.FormatInt(node.ID, 10)})
					} else {
						status, body = w.do(t, caller, "POST", "/users/"+id, url.Values{"display_name": {subject.DisplayName}, "role": {"grid_leader"}, "scope_id": {strconv.FormatInt(node.ID, 10)}})
					}
					w.check(t, caller, surface+" scope → "+string(rel), status, body, want, 0, "", "")
					if u, _ := st.User(ctx, authz.System(), subject.ID); (u.ScopeID == node.ID) != (want == done) {
						t.Errorf("%s scope → %s as %s: scope now %d", surface, rel, caller, u.ScopeID)
					}
					reset()
				}
			}

			// Its own account: no change of role or scope; a name only for the system administrator.
			self := w.admins[caller]
			sid := strconv.FormatInt(self.ID, 10)
			lower := model.RolePartner
			other := w.nodes[caller][relBelow].ID
			nameWant := refused
			if caller == model.RoleSystemAdmin {
				nameWant = done
			}
			for _, c := range []struct {
				what string
				body map[string]any
				want outcome
			}{
				{"own role", map[string]any{"role": lower, "scope_id": strconv.FormatInt(other, 10)}, refused},
				{"own scope", map[string]any{"scope_id": strconv.FormatInt(other, 10)}, refused},
				{"own name", map[string]any{"display_name": w.name("新名字")}, nameWant},
			} {
				before, denied := w.state(t, self.ID), w.lastDenied(t, caller)
				status, body := w.do(t, caller, "PATCH", "/api/v1/users/"+sid, c.body)
				after := w.state(t, self.ID)
				if c.want == done {
					after = before
				}
				w.check(t, caller, c.what, status, body, c.want, denied, before, after)
			}
			selfScope := ""
			if self.ScopeID != 0 {
				selfScope = strconv.FormatInt(self.ScopeID, 10)
			}
			before, denied := w.state(t, self.ID), w.lastDenied(t, caller)
			status, body := w.do(t, caller, "POST", "/users/"+sid, url.Values{"display_name": {"自己"}, "role": {string(lower)}, "scope_id": {selfScope}})
			w.check(t, caller, "page own role", status, body, refused, denied, before, w.state(t, self.ID))
		}
	})
}

// TestUsersPageOffersOnlyGivableRoles: the form lists exactly the roles the caller may give, and
// the list offers actions only on accounts the caller manages.
func TestUsersPageOffersOnlyGivableRoles(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	w := mustSODWorld(t, st)
	for _, caller := range sodAdmins {
		status, body := w.do(t, caller, "GET", "/users", nil)
		if status != http.StatusOK {
			t.Fatalf("users page as %s: %d", caller, status)
		}
		doc := mustHTML(t, body)
		var want []string
		for _, role := range model.Roles {
			if sodManages(caller, role) && (role.Scoped() || caller == model.RoleSystemAdmin) {
				want = append(want, string(role))
			}
		}
		var offered []string
		for _, o := range all(doc, "#form-user select[name=role] option") {
			offered = append(offered, attr(o, "value"))
		}
		if !slices.Equal(offered, want) {
			t.Errorf("%s is offered roles %v, want %v", caller, offered, want)
		}
		// The caller's own row has no actions unless it is the system administrator.
		own := strconv.FormatInt(w.admins[caller].ID, 10)
		if n := len(all(doc, "a[href='/users/"+own+"']")); (n > 0) != (caller == model.RoleSystemAdmin) {
			t.Errorf("%s: %d edit links to its own account", caller, n)
		}
	}
	// The edit page of an account of equal rank is the Chinese 403 page.
	peer := w.mustAccount(t, "peer", model.RoleCommunityAdmin, w.nodes[model.RoleCommunityAdmin][relSame])
	status, body := w.do(t, model.RoleCommunityAdmin, "GET", "/users/"+strconv.FormatInt(peer.ID, 10), nil)
	if status != http.StatusForbidden || !strings.Contains(string(body), "只能管理角色低于自己的账号") {
		t.Errorf("edit page of a peer: %d %.200s", status, body)
	}
	status, body = w.do(t, model.RoleStreetAdmin, "GET", "/users/"+strconv.FormatInt(peer.ID, 10), nil)
	if status != http.StatusOK {
		t.Fatalf("edit page as street admin: %d", status)
	}
	doc := mustHTML(t, body)
	if v := attr(one(t, doc, "#form-account select[name=role] option[selected]"), "value"); v != string(model.RoleCommunityAdmin) {
		t.Errorf("edit page preselects %q", v)
	}
}

// TestAuditorChangesNothing sends every state-changing route of both surfaces as an auditor:
// only its own session, password, tokens and jobs, and verifying the audit chain, are open to
// it; everything else is refused with 403.
func TestAuditorChangesNothing(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	w := mustSODWorld(t, st)
	auditor := w.mustAccount(t, "auditor", model.RoleAuditor, w.nodes[model.RoleDistrictAdmin][relSame])
	tok, _, err := st.CreateSession(context.Background(), auditor)
	if err != nil {
		t.Fatal(err)
	}
	w.tokens[model.RoleAuditor] = tok
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pages, err := web.New(st, log, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Its own session, password, tokens and background jobs (it can start none: imports and
	// exports are not the auditor's).
	own := map[string]bool{
		"POST /api/v1/auth/logout": true, "POST /api/v1/auth/password": true, "POST /api/v1/tokens": true,
		"DELETE /api/v1/tokens/{id}": true, "POST /api/v1/jobs/{id}/cancel": true,
		"POST /logout": true, "POST /me/password": true, "POST /me/tokens": true, "POST /me/tokens/{id}/revoke": true,
		"POST /jobs/{id}/cancel": true,
		// Verifying the audit chain is the auditor's own work: a read (POST only because every
		// run is itself recorded), which changes no data.
		"POST /api/v1/audit/verify": true, "POST /audit/verify": true,
	}
	var tried int
	for _, rt := range append(api.New(st, log, 1<<20, false).Routes(), pages.Routes()...) {
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok || method == "GET" || method == "HEAD" || rt.Action == authz.Public {
			continue
		}
		if own[rt.Pattern] {
			if !authz.Allowed(model.RoleAuditor, rt.Action) {
				t.Errorf("%s: the auditor cannot manage its own session, password, tokens or jobs", rt.Pattern)
			}
			continue
		}
		path = strings.NewReplacer("{id}", "1", "{action}", "disable").Replace(path)
		status, body := w.do(t, model.RoleAuditor, method, path, nil)
		tried++
		if status != http.StatusForbidden {
			t.Errorf("%s %s as auditor: %d, want 403 — %.200s", method, path, status, body)
		}
	}
	if tried < 20 {
		t.Errorf("only %d state-changing routes tried", tried)
	}
	t.Logf("auditor refused on %d state-changing routes", tried)
}

func mustHTML(t *testing.T, b []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
