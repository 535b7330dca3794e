package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// maxBody is the body limit the tests run the API with: the default of config.
const maxBody = 1 << 20

// password is every test account's password.
const password = "长城-correct-horse-7"

// totpSecret is every test staff account's second-factor secret (staff roles must have one).
const totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// mustOTP is the current code of secret.
func mustOTP(tb testing.TB, secret string) string {
	tb.Helper()
	code, err := authz.TOTPCode(secret, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return code
}

// tree is the territory the tests work in: one community with two grids, each with a building
// and a stairwell.
//
//	江油市 › 中坝街道 › 天宝社区 › 第一网格 › 1栋 › 1单元 (stairA)
//	                           › 第二网格 › 2栋 › 1单元 (stairB)
type tree struct {
	district, street, community, gridA, buildingA, stairA, gridB, buildingB, stairB *model.Territory
}

// fixture is the full server (internal/server with the API surface) over a fresh store on one
// engine, listening on a real socket.
type fixture struct {
	st   *store.Store
	url  string
	tree tree

	mu     sync.Mutex
	tokens map[string]string // "role@scope" → bearer token
}

// mustFixture starts the server over st and adds the territory tree.
func mustFixture(tb testing.TB, st *store.Store) *fixture {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(server.New(st, log, api.Token, api.New(st, log, maxBody, false)).Handler())
	tb.Cleanup(srv.Close)
	f := &fixture{st: st, url: srv.URL, tokens: map[string]string{}}
	t := &f.tree
	t.district = mustTerritory(tb, st, nil, model.KindDistrict, "江油市")
	t.street = mustTerritory(tb, st, t.district, model.KindStreet, "中坝街道")
	t.community = mustTerritory(tb, st, t.street, model.KindCommunity, "天宝社区")
	t.gridA = mustTerritory(tb, st, t.community, model.KindGrid, "第一网格")
	t.buildingA = mustTerritory(tb, st, t.gridA, model.KindBuilding, "1栋")
	t.stairA = mustTerritory(tb, st, t.buildingA, model.KindStairwell, "1单元")
	t.gridB = mustTerritory(tb, st, t.community, model.KindGrid, "第二网格")
	t.buildingB = mustTerritory(tb, st, t.gridB, model.KindBuilding, "2栋")
	t.stairB = mustTerritory(tb, st, t.buildingB, model.KindStairwell, "1单元")
	return f
}

// mustTerritory adds a node under parent (nil: a root) through the store.
func mustTerritory(tb testing.TB, st *store.Store, parent *model.Territory, kind model.TerritoryKind, name string) *model.Territory {
	tb.Helper()
	var pid int64
	if parent != nil {
		pid = parent.ID
	}
	t, err := st.CreateTerritory(context.Background(), authz.System(), model.TerritoryInput{ParentID: pid, Kind: kind, Name: name})
	if err != nil {
		tb.Fatalf("create territory %s: %v", name, err)
	}
	return t
}

// mustToken returns the bearer token of an account with role scoped to node (nil for
// system_admin), creating the account and logging in through POST /api/v1/auth/login on first use.
func (f *fixture) mustToken(tb testing.TB, role model.Role, node *model.Territory) string {
	tb.Helper()
	in := store.UserInput{Username: string(role), Password: password, Role: role}
	if node != nil {
		in.ScopeID = node.ID
		in.Username = fmt.Sprintf("%s-%d", role, node.ID)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if tok, ok := f.tokens[in.Username]; ok {
		return tok
	}
	creds := map[string]string{"username": in.Username, "password": password}
	if role.NeedsSecondFactor() {
		in.TOTPSecret = totpSecret
		creds["otp"] = mustOTP(tb, totpSecret)
	}
	if role == model.RoleUnitLeader && node != nil {
		in.UnitID = storetest.MustLeaderUnit(tb, f.st, node).ID // a unit leader leads a real unit: the free households under node
	}
	if _, err := f.st.CreateUser(context.Background(), authz.System(), in); err != nil {
		tb.Fatalf("create user %s: %v", in.Username, err)
	}
	r := f.mustDo(tb, "", "POST", "/api/v1/auth/login", creds)
	var login struct {
		Token string `json:"token"`
		User  struct {
			Role string `json:"role"`
		} `json:"user"`
	}
	if err := json.Unmarshal(r.body, &login); err != nil || r.status != http.StatusOK || login.Token == "" || login.User.Role != string(role) {
		tb.Fatalf("login as %s = %v (%v)", in.Username, r, err)
	}
	f.tokens[in.Username] = login.Token
	return login.Token
}

// reply is what the server answered.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// mustDo sends a request with the bearer token ("" for none) and reads the whole answer.
// body is nil (no body), a string or []byte (sent as is), or a value sent as JSON.
func (f *fixture) mustDo(tb testing.TB, token, method, path string, body any) reply {
	tb.Helper()
	return f.mustDoAs(tb, token, method, path, "application/json", body)
}

// mustDoAs is mustDo with the Content-Type of the body.
func (f *fixture) mustDoAs(tb testing.TB, token, method, path, contentType string, body any) reply {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatalf("marshal %T: %v", body, err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		tb.Fatalf("new request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// mustJSON checks the status and decodes the JSON body into a T, rejecting fields T lacks, so
// that the tests pin the shape of every answer.
func mustJSON[T any](tb testing.TB, r reply, want int) T {
	tb.Helper()
	var v T
	if r.status != want {
		tb.Fatalf("status = %v, want %d", r, want)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Fatalf("Content-Type = %q, want application/json", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("decode %s into %T: %v", r.body, v, err)
	}
	return v
}

// mustProblem checks that r is an application/problem+json answer with status want.
func mustProblem(tb testing.TB, r reply, want int) api.Problem {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("status = %v, want %d", r, want)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("Content-Type = %q, want application/problem+json (%s)", ct, r.body)
	}
	var p api.Problem
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		tb.Fatalf("decode problem %s: %v", r.body, err)
	}
	if p.Status != want || p.Type == "" || p.Title == "" {
		tb.Fatalf("problem = %+v, want status %d with type and title", p, want)
	}
	return p
}

// fields lists the problem's bad fields, sorted.
func fields(p api.Problem) []string {
	var s []string
	for _, f := range p.Errors {
		s = append(s, f.Field)
	}
	slices.Sort(s)
	return s
}

// message returns the problem's message for field, "" when it names no such field.
func message(p api.Problem, field string) string {
	for _, f := range p.Errors {
		if f.Field == field {
			return f.Message
		}
	}
	return ""
}

// householdOut is a household as the API renders it.
type householdOut struct {
	ID          string               `json:"id"`
	TerritoryID string               `json:"territory_id"`
	Address     string               `json:"address"`
	HeadName    string               `json:"head_name"`
	Members     int                  `json:"members"`
	Flags       model.HouseholdFlags `json:"flags"`
	MovedInAt   *string              `json:"moved_in_at"`
	MovedOutAt  *string              `json:"moved_out_at"`
	CreatedAt   string               `json:"created_at"`
	UpdatedAt   string               `json:"updated_at"`
	Residents   []residentOut        `json:"residents"` // single reads only
}

// residentOut is a resident as the API renders it.
type residentOut struct {
	ID                   string `json:"id"`
	HouseholdID          string `json:"household_id"`
	TerritoryID          string `json:"territory_id"`
	Name                 string `json:"name"`
	Gender               string `json:"gender"`
	BirthDate            string `json:"birth_date"`
	BirthYear            int    `json:"birth_year"`
	Age                  int    `json:"age"`
	Phone                string `json:"phone"`
	IDNumber             string `json:"id_number"`
	Masked               bool   `json:"masked"`
	Relation             string `json:"relation"`
	RelationLabel        string `json:"relation_label"`
	PoliticalStatus      string `json:"political_status"`
	PoliticalStatusLabel string `json:"political_status_label"`
	Occupation           string `json:"occupation"`
	CreatedAt            string `json:"created_at"`
	UpdatedAt            string `json:"updated_at"`
}

// listOut is the list envelope.
type listOut[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
	Total      *int64 `json:"total"`
}

// validID builds a valid ID number from a region, a birth date (YYYYMMDD) and a sequence
// number; an odd sequence number is a man.
func validID(region, birth string, seq int) string {
	s := fmt.Sprintf("%s%s%03d", region, birth, seq)
	return s + string(model.IDCheckDigit(s))
}

// wrongCheckDigit returns id with a wrong 18th character, and the right one.
func wrongCheckDigit(id string) (bad string, right byte) {
	right = id[17]
	wrong := byte('0')
	if right == '0' {
		wrong = '1'
	}
	return id[:17] + string(wrong), right
}

// person is a resident in a request body.
type person struct {
	Name            string `json:"name,omitempty"`
	Gender          string `json:"gender,omitempty"`
	BirthDate       string `json:"birth_date,omitempty"`
	Phone           string `json:"phone,omitempty"`
	IDNumber        string `json:"id_number,omitempty"`
	Relation        string `json:"relation,omitempty"`
	PoliticalStatus string `json:"political_status,omitempty"`
	Occupation      string `json:"occupation,omitempty"`
	HouseholdID     string `json:"household_id,omitempty"`
}

// newHousehold is the body of POST /households.
type newHousehold struct {
	TerritoryID string               `json:"territory_id"`
	Address     string               `json:"address"`
	Flags       model.HouseholdFlags `json:"flags"`
	MovedInAt   string               `json:"moved_in_at,omitempty"`
	Residents   []person             `json:"residents,omitempty"`
}

// mustHousehold creates a household with residents through the API as token and returns it.
func (f *fixture) mustHousehold(tb testing.TB, token string, node *model.Territory, address string, people ...person) householdOut {
	tb.Helper()
	r := f.mustDo(tb, token, "POST", "/api/v1/households", newHousehold{TerritoryID: id(node.ID), Address: address, Residents: people})
	return mustJSON[householdOut](tb, r, http.StatusCreated)
}

// id renders an id as the API does.
func id(n int64) string { return fmt.Sprint(n) }

// counts is a snapshot of everything a rejected write must leave alone.
type counts struct {
	territories, households, residents, householdEvents, territoryEvents int
	rootHouseholds, rootResidents                                        int64
}

// mustCounts reads the snapshot straight from the database.
func (f *fixture) mustCounts(tb testing.TB) counts {
	tb.Helper()
	ctx := context.Background()
	var c counts
	for _, q := range []struct {
		table string
		n     *int
	}{{"territories", &c.territories}, {"households", &c.households}, {"residents", &c.residents},
		{"household_events", &c.householdEvents}, {"territory_events", &c.territoryEvents}} {
		if err := f.st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+q.table).Scan(q.n); err != nil {
			tb.Fatalf("count %s: %v", q.table, err)
		}
	}
	root, err := f.st.Territory(ctx, authz.System(), f.tree.district.ID)
	if err != nil {
		tb.Fatalf("read root: %v", err)
	}
	c.rootHouseholds, c.rootResidents = root.Households, root.Residents
	return c
}

// TestAuthAndRoles checks the answers before any handler runs: 401 without a valid token,
// 403 for a role the policy does not allow, both as problem+json.
func TestAuthAndRoles(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		h := f.mustHousehold(t, staff, tr.stairA, "101室", person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"})
		resID := h.Residents[0].ID
		resident := f.mustToken(t, model.RoleResident, tr.stairA)
		unitLeader := f.mustToken(t, model.RoleUnitLeader, tr.buildingA)
		body := newHousehold{TerritoryID: id(tr.stairA.ID), Address: "102室"}
		tests := []struct {
			name         string
			token        string
			method, path string
			body         any
			want         int
		}{
			{"no token lists households", "", "GET", "/api/v1/households", nil, http.StatusUnauthorized},
			{"no token reads a resident", "", "GET", "/api/v1/residents/" + resID, nil, http.StatusUnauthorized},
			{"no token creates a household", "", "POST", "/api/v1/households", body, http.StatusUnauthorized},
			{"no token deletes a resident", "", "DELETE", "/api/v1/residents/" + resID, nil, http.StatusUnauthorized},
			{"unknown token", "not-a-token", "GET", "/api/v1/households", nil, http.StatusUnauthorized},
			{"resident lists households", resident, "GET", "/api/v1/households", nil, http.StatusForbidden},
			{"resident reads a household", resident, "GET", "/api/v1/households/" + h.ID, nil, http.StatusForbidden},
			{"resident reads its history", resident, "GET", "/api/v1/households/" + h.ID + "/history", nil, http.StatusForbidden},
			{"resident creates a household", resident, "POST", "/api/v1/households", body, http.StatusForbidden},
			{"resident lists residents", resident, "GET", "/api/v1/residents", nil, http.StatusForbidden},
			{"unit leader creates a household", unitLeader, "POST", "/api/v1/households", body, http.StatusForbidden},
			{"unit leader deletes a resident", unitLeader, "DELETE", "/api/v1/residents/" + resID, nil, http.StatusForbidden},
			{"unit leader moves a household out", unitLeader, "POST", "/api/v1/households/" + h.ID + "/move-out", map[string]string{"date": "2024-01-01"}, http.StatusForbidden},
			{"unit leader lists households", unitLeader, "GET", "/api/v1/households", nil, http.StatusOK},
			{"no token reads the OpenAPI document", "", "GET", "/api/v1/openapi.json", nil, http.StatusOK},
		}
		before := f.mustCounts(t)
		for _, tt := range tests {
			r := f.mustDo(t, tt.token, tt.method, tt.path, tt.body)
			if tt.want == http.StatusOK {
				if r.status != tt.want {
					t.Errorf("%s: %v, want %d", tt.name, r, tt.want)
				}
				continue
			}
			p := mustProblem(t, r, tt.want)
			wantType := map[int]string{http.StatusUnauthorized: "unauthenticated", http.StatusForbidden: "forbidden"}[tt.want]
			if !strings.HasSuffix(p.Type, "/"+wantType) {
				t.Errorf("%s: problem type = %q, want …/%s", tt.name, p.Type, wantType)
			}
			if tt.want == http.StatusUnauthorized && r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: 401 without WWW-Authenticate", tt.name)
			}
		}
		if after := f.mustCounts(t); after != before {
			t.Errorf("refused requests changed the data: %+v, want %+v", after, before)
		}
	})
}
