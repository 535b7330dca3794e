package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// openAPIDoc is the part of the OpenAPI document the tests check.
type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		SecuritySchemes map[string]struct {
			Type   string `json:"type"`
			Scheme string `json:"scheme"`
		} `json:"securitySchemes"`
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
	ProblemTypes map[string]struct {
		Status int `json:"status"`
	} `json:"x-problem-types"`
}

// operation is the part of an operation the tests check.
type operation struct {
	OperationID string                 `json:"operationId"`
	Action      authz.Action           `json:"x-action"`
	Roles       []model.Role           `json:"x-roles"`
	Security    *[]map[string][]string `json:"security"`
	Responses   map[string]any         `json:"responses"`
}

// mustOpenAPI fetches the document through the API's own route and parses it.
func mustOpenAPI(tb testing.TB, a *api.API) openAPIDoc {
	tb.Helper()
	mux := http.NewServeMux()
	authz.Mount(mux, a.Routes(), a.Deny)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		tb.Fatalf("GET /api/v1/openapi.json = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	var doc openAPIDoc
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		tb.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

// TestOpenAPICoversEveryRoute checks that every route of the API (but the catch-all) is in
// the document with its method, the action it takes and the roles the policy allows, and that
// the document names no route the API lacks.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	a := api.New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)), maxBody, false)
	doc := mustOpenAPI(t, a)
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	if b := doc.Components.SecuritySchemes["bearer"]; b.Type != "http" || b.Scheme != "bearer" {
		t.Errorf("bearer security scheme = %+v", b)
	}
	policy := authz.Policy()
	routes := map[string]bool{} // "get /api/v1/households"
	for _, rt := range a.Routes() {
		if rt.Pattern == "/api/" {
			continue
		}
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok {
			t.Errorf("route %q has no method", rt.Pattern)
			continue
		}
		method = strings.ToLower(method)
		routes[method+" "+path] = true
		raw, ok := doc.Paths[path][method]
		if !ok {
			t.Errorf("openapi.json lacks %s %s", strings.ToUpper(method), path)
			continue
		}
		var op operation
		if err := json.Unmarshal(raw, &op); err != nil {
			t.Errorf("%s: %v", rt.Pattern, err)
			continue
		}
		if op.OperationID == "" || len(op.Responses) == 0 {
			t.Errorf("%s: operationId %q, %d responses", rt.Pattern, op.OperationID, len(op.Responses))
		}
		if op.Action != rt.Action {
			t.Errorf("%s: x-action = %q, want %q", rt.Pattern, op.Action, rt.Action)
		}
		wantRoles := policy[rt.Action]
		if got, want := slices.Sorted(slices.Values(op.Roles)), slices.Sorted(slices.Values(wantRoles)); !slices.Equal(got, want) {
			t.Errorf("%s: x-roles = %v, want %v", rt.Pattern, got, want)
		}
		public := rt.Action == authz.Public
		if got := op.Security != nil && len(*op.Security) == 0; got != public {
			t.Errorf("%s: operation without security = %v, want %v (public route)", rt.Pattern, got, public)
		}
		if _, ok := op.Responses["401"]; ok == public && rt.Pattern != "POST /api/v1/auth/login" {
			t.Errorf("%s: documents 401 = %v, want %v", rt.Pattern, ok, !public)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			if !routes[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which the API does not serve", strings.ToUpper(method), path)
			}
		}
	}
}

// TestOpenAPIProblemTypes checks that every problem type problem.go answers with is described
// in the document, with its status, and that the Problem schema is there.
func TestOpenAPIProblemTypes(t *testing.T) {
	t.Parallel()
	doc := mustOpenAPI(t, api.New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)), maxBody, false))
	src, err := os.ReadFile("problem.go")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`problemBase \+ "([a-z-]+)", Title: "[^"]*", Status: http\.Status(\w+)`).FindAllStringSubmatch(string(src), -1)
	if len(used) < 8 {
		t.Fatalf("found %d problem types in problem.go, want at least 8: has its layout changed?", len(used))
	}
	status := map[string]int{"UnprocessableEntity": 422, "BadRequest": 400, "RequestEntityTooLarge": 413, "NotFound": 404,
		"Conflict": 409, "Unauthorized": 401, "Forbidden": 403, "ServiceUnavailable": 503, "TooManyRequests": 429}
	for _, m := range used {
		typ := "https://gongzhi.example/problems/" + m[1]
		pt, ok := doc.ProblemTypes[typ]
		if !ok {
			t.Errorf("x-problem-types lacks %s", typ)
			continue
		}
		if want := status[m[2]]; pt.Status != want {
			t.Errorf("%s: status = %d, want %d", typ, pt.Status, want)
		}
	}
	for _, s := range []string{"Problem", "FieldError", "Household", "HouseholdDetail", "Resident", "Territory"} {
		if _, ok := doc.Components.Schemas[s]; !ok {
			t.Errorf("components.schemas lacks %s", s)
		}
	}
}

// TestOpenAPIRefsResolve checks that every $ref of the assembled document names a component
// it defines, so no fragment leans on one that another area removed or never had.
func TestOpenAPIRefsResolve(t *testing.T) {
	t.Parallel()
	a := api.New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)), maxBody, false)
	mux := http.NewServeMux()
	authz.Mount(mux, a.Routes(), a.Deny)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	components, _ := doc["components"].(map[string]any)
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "$ref" {
					refs = append(refs, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	if len(refs) < 100 {
		t.Fatalf("found %d $refs, want at least 100: has the document's shape changed?", len(refs))
	}
	for _, ref := range refs {
		parts := strings.Split(ref, "/")
		if len(parts) != 4 || parts[0] != "#" || parts[1] != "components" {
			t.Errorf("$ref %q does not name a component", ref)
			continue
		}
		section, _ := components[parts[2]].(map[string]any)
		if _, ok := section[parts[3]]; !ok {
			t.Errorf("$ref %q: no such component", ref)
		}
	}
}
