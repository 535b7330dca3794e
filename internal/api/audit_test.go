package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// auditOut is one record of GET /api/v1/audit.
type auditOut struct {
	ID         string   `json:"id"`
	At         string   `json:"at"`
	ActorID    string   `json:"actor_id"`
	ActorName  string   `json:"actor_name"`
	Role       string   `json:"role"`
	Scope      string   `json:"scope"`
	Action     string   `json:"action"`
	ObjectType string   `json:"object_type"`
	ObjectIDs  []string `json:"object_ids"`
	Result     string   `json:"result"`
	RequestID  string   `json:"request_id"`
	Source     string   `json:"source"`
	Detail     string   `json:"detail"`
	Hash       string   `json:"hash"`
}

// mustAuditAPI searches the audit log through the API as token.
func (f *fixture) mustAuditAPI(tb testing.TB, token string, q url.Values) []auditOut {
	tb.Helper()
	r := f.mustDo(tb, token, "GET", "/api/v1/audit?"+q.Encode(), nil)
	return mustJSON[listOut[auditOut]](tb, r, http.StatusOK).Items
}

func TestAuditThroughTheAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		unit := f.mustToken(t, model.RoleUnitLeader, tr.gridA)
		admin := f.mustToken(t, model.RoleSystemAdmin, nil)
		auditor := f.mustToken(t, model.RoleAuditor, tr.gridB) // sees grid B's records only

		h := f.mustHousehold(t, staff, tr.stairA, "101室", person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"})
		got := f.mustResidents(t, staff, h.ID)
		rid := got[0].ID

		// A reveal is recorded with who, whom, the request and the source address.
		r := f.mustDo(t, staff, "GET", "/api/v1/residents/"+rid+"?reveal=true", nil)
		if r.status != http.StatusOK {
			t.Fatalf("reveal = %d %s", r.status, r.body)
		}
		reqID := r.header.Get("X-Request-Id")
		recs := f.mustAuditAPI(t, admin, url.Values{"action": {"reveal"}, "subject": {"resident:" + rid}})
		if len(recs) != 1 {
			t.Fatalf("reveal records = %+v", recs)
		}
		rec := recs[0]
		if rec.ActorName != "community_staff-"+id(tr.community.ID) || rec.Role != "community_staff" || rec.Result != "ok" ||
			rec.RequestID != reqID || rec.Source != "127.0.0.1" || !strings.HasPrefix(rec.Scope, tr.stairA.Path) || rec.At == "" {
			t.Errorf("reveal record = %+v (request %s)", rec, reqID)
		}
		// A masked read is not a reveal.
		f.mustDo(t, staff, "GET", "/api/v1/residents/"+rid, nil)
		if recs := f.mustAuditAPI(t, admin, url.Values{"action": {"resident.reveal"}}); len(recs) != 1 {
			t.Errorf("after a masked read: %d reveal records, want 1", len(recs))
		}

		// Denials: 401 without a token, 403 for a role the policy refuses, and a reveal asked
		// by a role that may only read.
		if r := f.mustDo(t, "", "GET", "/api/v1/households", nil); r.status != http.StatusUnauthorized {
			t.Fatalf("anonymous = %d", r.status)
		}
		if r := f.mustDo(t, unit, "POST", "/api/v1/territories", map[string]any{}); r.status != http.StatusForbidden {
			t.Fatalf("unit leader creating a node = %d", r.status)
		}
		if r := f.mustDo(t, unit, "GET", "/api/v1/residents/"+rid+"?reveal=true", nil); r.status != http.StatusForbidden {
			t.Fatalf("unit leader revealing = %d", r.status)
		}
		denied := f.mustAuditAPI(t, admin, url.Values{"result": {"denied"}})
		var seen []string
		for _, d := range denied {
			seen = append(seen, d.Action+" "+d.Detail+" "+d.ActorName)
		}
		for _, want := range []string{
			// anonymous: the first of its minute, the rest only counted
			"household.read GET /api/v1/households (first this minute from this source; the rest are counted in audit_denials) ",
			"territory.write POST /api/v1/territories unit_leader-" + id(tr.gridA.ID),
			"personal.reveal GET /api/v1/residents/{id} unit_leader-" + id(tr.gridA.ID),
		} {
			if !slices.Contains(seen, want) {
				t.Errorf("denials %q lack %q", seen, want)
			}
		}

		// Writes through the API are recorded too.
		if recs := f.mustAuditAPI(t, admin, url.Values{"action": {"household.create"}, "subject": {"household:" + h.ID}}); len(recs) != 1 {
			t.Errorf("household.create records = %+v", recs)
		}

		// The auditor of grid B sees nothing of grid A; other roles may not search at all.
		for _, rec := range f.mustAuditAPI(t, auditor, url.Values{}) {
			if !strings.HasPrefix(rec.Scope, tr.gridB.Path) {
				t.Errorf("grid B's auditor sees record %s at %q", rec.ID, rec.Scope)
			}
		}
		if recs := f.mustAuditAPI(t, auditor, url.Values{"subject": {"resident:" + rid}}); len(recs) != 0 {
			t.Errorf("grid B's auditor sees %d records of a grid A resident", len(recs))
		}
		if r := f.mustDo(t, staff, "GET", "/api/v1/audit", nil); r.status != http.StatusForbidden {
			t.Errorf("staff searching the audit log = %d, want 403", r.status)
		}
		for _, bad := range []string{"from=yesterday", "subject=resident:x", "result=maybe", "limit=0"} {
			if r := f.mustDo(t, admin, "GET", "/api/v1/audit?"+bad, nil); r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity {
				t.Errorf("GET /api/v1/audit?%s = %d, want 400 or 422", bad, r.status)
			}
		}
		// Logins: the successes of the fixture and a failure, which names no unknown username.
		if r := f.mustDo(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "nobody-" + rid, "password": "wrong password 123"}); r.status != http.StatusUnauthorized {
			t.Fatalf("unknown login = %d", r.status)
		}
		logins := f.mustAuditAPI(t, admin, url.Values{"action": {"auth.login"}})
		var ok, failed int
		for _, l := range logins {
			switch l.Result {
			case "ok":
				ok++
			case "failed":
				failed++
				if strings.Contains(l.Detail, "nobody") || strings.Contains(l.Detail, "wrong password") {
					t.Errorf("failed login record holds what was typed: %q", l.Detail)
				}
			}
		}
		if ok < 4 || failed != 1 {
			t.Errorf("login records: %d ok, %d failed; want ≥4 and 1", ok, failed)
		}
		if v, err := st.VerifyAudit(t.Context(), nil); err != nil || !v.OK() {
			t.Errorf("verify = %+v, %v", v, err)
		}
	})
}

// verifyOut is the answer of POST /api/v1/audit/verify (and the verification beside a 422).
type verifyOut struct {
	OK      bool  `json:"ok"`
	Records int64 `json:"records"`
	Keyed   int64 `json:"keyed"`
	Head    struct {
		ID   string `json:"id"`
		Hash string `json:"hash"`
		Line string `json:"line"`
	} `json:"head"`
	ExpectedHead   string `json:"expected_head"`
	ExpectedReason string `json:"expected_reason"`
}

// TestAuditVerifyAPI: the auditor verifies the keyed chain and gets its head; the head given
// back verifies; a forged head (a hash the row does not have, or a row past the end, as after
// truncation) is 422 problem+json naming expect_head, with the verification beside it, and is
// an audit record (audit.verify, failed); a malformed head is 422 too; other roles are refused.
func TestAuditVerifyAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		auditor := f.mustToken(t, model.RoleAuditor, f.tree.gridB)
		admin := f.mustToken(t, model.RoleSystemAdmin, nil)
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)

		v := mustJSON[verifyOut](t, f.mustDo(t, auditor, "POST", "/api/v1/audit/verify", nil), http.StatusOK)
		if !v.OK || v.Records == 0 || v.Keyed != v.Records || v.Head.Line != v.Head.ID+":"+v.Head.Hash || len(v.Head.Hash) != 64 {
			t.Fatalf("verify = %+v", v)
		}
		again := mustJSON[verifyOut](t, f.mustDo(t, admin, "POST", "/api/v1/audit/verify", map[string]string{"expect_head": v.Head.Line}), http.StatusOK)
		if !again.OK || again.Records <= v.Records {
			t.Errorf("verify against the head just recorded = %+v", again)
		}

		n, _ := strconv.ParseInt(v.Head.ID, 10, 64)
		for _, forged := range []string{
			v.Head.ID + ":" + strings.Repeat("ab", 32),                     // the row's hash differs
			strconv.FormatInt(n+1000, 10) + ":" + strings.Repeat("cd", 32), // a row past the end: the tail was cut off
		} {
			r := f.mustDo(t, auditor, "POST", "/api/v1/audit/verify", map[string]string{"expect_head": forged})
			var p struct {
				Type   string `json:"type"`
				Status int    `json:"status"`
				Detail string `json:"detail"`
				Errors []struct {
					Field string `json:"field"`
				} `json:"errors"`
				Verification verifyOut `json:"verification"`
			}
			if r.status != http.StatusUnprocessableEntity || r.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("forged head %s = %d %s", forged, r.status, r.header.Get("Content-Type"))
			}
			if err := json.Unmarshal(r.body, &p); err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(p.Type, "/audit-head-mismatch") || p.Status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "expect_head" ||
				p.Verification.OK || p.Verification.ExpectedReason == "" || p.Verification.Head.Line == "" {
				t.Errorf("forged head %s: %s", forged, r.body)
			}
		}
		recs := f.mustAuditAPI(t, admin, url.Values{"action": {"audit.verify"}})
		var ok, failed int
		for _, rec := range recs {
			switch rec.Result {
			case "ok":
				ok++
			case "failed":
				failed++
				if !strings.Contains(rec.Detail, "expected=") {
					t.Errorf("failed verification record: %q", rec.Detail)
				}
			}
		}
		if ok != 2 || failed != 2 {
			t.Errorf("audit.verify records: %d ok, %d failed; want 2 and 2", ok, failed)
		}
		// The auditor finds its own verifications (recorded in its scope).
		if mine := f.mustAuditAPI(t, auditor, url.Values{"action": {"audit.verify"}}); len(mine) != 3 {
			t.Errorf("the auditor sees %d of its 3 verifications", len(mine))
		}

		for _, bad := range []string{"12", "x:y", v.Head.ID + ":" + "zz"} {
			if r := f.mustDo(t, auditor, "POST", "/api/v1/audit/verify", map[string]string{"expect_head": bad}); r.status != http.StatusUnprocessableEntity {
				t.Errorf("malformed head %q = %d, want 422", bad, r.status)
			}
		}
		if r := f.mustDo(t, auditor, "POST", "/api/v1/audit/verify", map[string]string{"head": "1"}); r.status != http.StatusBadRequest {
			t.Errorf("unknown field = %d, want 400", r.status)
		}
		if r := f.mustDo(t, staff, "POST", "/api/v1/audit/verify", nil); r.status != http.StatusForbidden {
			t.Errorf("community staff verifying = %d, want 403", r.status)
		}
		if r := f.mustDo(t, "", "POST", "/api/v1/audit/verify", nil); r.status != http.StatusUnauthorized {
			t.Errorf("anonymous verifying = %d, want 401", r.status)
		}
	})
}
