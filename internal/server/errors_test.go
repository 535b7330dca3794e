package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/html"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// logBuffer collects the server's log lines; the server writes from its own goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// withRoutes is a surface with extra routes in front of its own (handlers that panic).
type withRoutes struct {
	server.Surface
	extra []authz.Route
}

func (s withRoutes) Routes() []authz.Route { return append(s.extra, s.Surface.Routes()...) }

func boom(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv")
	w.Header().Set("Content-Disposition", `attachment; filename="half.csv"`)
	panic("boom")
}

func boomLate(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv")
	_, _ = w.Write([]byte("a,b\n"))
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	panic("boom after the first bytes")
}

// errorServer is the whole server (API and pages) with a panicking route on each surface and a
// body limit of 1 KiB; logs go to the returned buffer.
func errorServer(t *testing.T, st *store.Store) (*httptest.Server, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	pages, err := web.New(st, log, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := withRoutes{api.New(st, log, 1<<20, false), []authz.Route{
		authz.NewRoute("GET /api/v1/test/panic", authz.Public, http.HandlerFunc(boom)),
		authz.NewRoute("GET /api/v1/test/panic-late", authz.Public, http.HandlerFunc(boomLate)),
	}}
	p := withRoutes{pages, []authz.Route{authz.NewRoute("GET /test/panic", authz.Public, http.HandlerFunc(boom))}}
	srv := server.New(st, log, api.Token, a, p)
	srv.LimitBody(1 << 10)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, logs
}

type answer struct {
	status  int
	header  http.Header
	problem struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	page string // the error page's text, for HTML answers
}

func send(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", req.Method, req.URL.Path, err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header}
	switch ct := resp.Header.Get("Content-Type"); {
	case ct == "application/problem+json":
		if err := json.Unmarshal(body, &a.problem); err != nil {
			t.Fatalf("%s %s: problem: %v\n%s", req.Method, req.URL.Path, err, body)
		}
	case strings.HasPrefix(ct, "text/html"):
		doc, err := html.Parse(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		a.page = textOf(doc)
	default:
		a.page = string(body)
	}
	return a
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style") {
		return ""
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}

func newRequest(t *testing.T, method, u string, body io.Reader, header ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// TestMiddlewareErrors: errors raised outside the handlers — a panic, a body over the limit, a
// cross-site request — answer problem+json on /api/ paths and the Chinese error page elsewhere,
// and a panic is logged once, with its stack.
func TestMiddlewareErrors(t *testing.T) {
	t.Parallel()
	ts, logs := errorServer(t, storetest.Open(t, "sqlite"))
	big := strings.Repeat("x", 2<<10)
	form := url.Values{"username": {big}, "password": {"x"}}.Encode()
	crossSite := []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site", "Content-Type", "application/x-www-form-urlencoded"}
	for _, c := range []struct {
		name     string
		req      *http.Request
		status   int
		problem  string // the problem type on /api/, "" for a page
		pageText string // a text the Chinese error page shows
	}{
		{"panic in an API handler", newRequest(t, "GET", ts.URL+"/api/v1/test/panic", nil), 500, "about:blank", ""},
		{"panic in a page handler", newRequest(t, "GET", ts.URL+"/test/panic", nil), 500, "", "系统出错了"},
		{"API body over the server's limit", newRequest(t, "POST", ts.URL+"/api/v1/auth/login", strings.NewReader(`{"username":"`+big+`"}`),
			"Content-Type", "application/json"), 413, "https://gongzhi.example/problems/too-large", ""},
		{"page body over the server's limit", newRequest(t, "POST", ts.URL+"/login", strings.NewReader(form),
			"Content-Type", "application/x-www-form-urlencoded", "Origin", ts.URL, "Sec-Fetch-Site", "same-origin"), 413, "", "文件太大"},
		{"cross-site API request", newRequest(t, "POST", ts.URL+"/api/v1/auth/logout", nil, crossSite...), 403, "https://gongzhi.example/problems/cross-site", ""},
		{"cross-site form", newRequest(t, "POST", ts.URL+"/login", strings.NewReader("username=a&password=b"), crossSite...), 403, "", "其他网站"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := send(t, c.req)
			if a.status != c.status {
				t.Fatalf("HTTP %d, want %d: %s %+v", a.status, c.status, a.page, a.problem)
			}
			if c.problem != "" {
				if a.problem.Type != c.problem || a.problem.Status != c.status || a.problem.Title == "" {
					t.Errorf("problem %+v, want type %s, status %d (Content-Type %q)", a.problem, c.problem, c.status, a.header.Get("Content-Type"))
				}
			} else if !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.Contains(a.page, c.pageText) {
				t.Errorf("Content-Type %q, page %q: want the Chinese error page with %q", a.header.Get("Content-Type"), a.page, c.pageText)
			}
			if a.header.Get("Content-Security-Policy") == "" || a.header.Get("X-Request-Id") == "" {
				t.Errorf("the error answer lost the security headers or the request id: %v", a.header)
			}
			if d := a.header.Get("Content-Disposition"); d != "" {
				t.Errorf("the error answer kept the handler's Content-Disposition %q", d)
			}
		})
	}
	// Each panic is logged once, with the stack that leads to it.
	for _, msg := range []string{"panic: boom\\n"} {
		if n := strings.Count(logs.String(), msg); n != 2 {
			t.Errorf("log has %q %d times, want once per panic (2):\n%s", msg, n, logs)
		}
	}
	if !strings.Contains(logs.String(), "server_test.boom(") || !strings.Contains(logs.String(), "goroutine ") {
		t.Errorf("the panic's log lacks its stack:\n%s", logs)
	}
}

// TestMiddlewareBodyLimitStreams: a body without a declared length is cut at the server's limit
// as it is read, and the handler's error is answered like the rest (413 problem).
func TestMiddlewareBodyLimitStreams(t *testing.T) {
	t.Parallel()
	ts, _ := errorServer(t, storetest.Open(t, "sqlite"))
	body := io.MultiReader(strings.NewReader(`{"username":"`), strings.NewReader(strings.Repeat("x", 4<<10)), strings.NewReader(`"}`))
	req := newRequest(t, "POST", ts.URL+"/api/v1/auth/login", io.NopCloser(body), "Content-Type", "application/json")
	req.ContentLength = -1 // chunked: the limit is met while reading
	a := send(t, req)
	if a.status != 413 || a.problem.Type != "https://gongzhi.example/problems/too-large" {
		t.Errorf("HTTP %d %+v, want 413 too-large", a.status, a.problem)
	}
}

// TestPanicAfterResponseStarted: a panic once the handler has written cannot be answered; the
// connection is aborted, so the client does not take the half answer for a whole one, and the
// panic is logged with its stack.
func TestPanicAfterResponseStarted(t *testing.T) {
	t.Parallel()
	ts, logs := errorServer(t, storetest.Open(t, "sqlite"))
	resp, err := http.Get(ts.URL + "/api/v1/test/panic-late")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("the client read a complete answer from a handler that panicked halfway")
	}
	if l := logs.String(); !strings.Contains(l, "panic after the response started") || !strings.Contains(l, "server_test.boomLate(") {
		t.Errorf("log lacks the late panic and its stack:\n%s", l)
	}
}

// TestSessionLookupFailure: when the database does not answer the session lookup, the answer
// is 503 in each surface's form, not a plain-text line.
func TestSessionLookupFailure(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	ts, _ := errorServer(t, st)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	a := send(t, newRequest(t, "GET", ts.URL+"/api/v1/auth/me", nil, "Authorization", "Bearer gzt_whatever"))
	if a.status != 503 || a.problem.Type != "https://gongzhi.example/problems/unavailable" {
		t.Errorf("API: HTTP %d %+v, want 503 unavailable", a.status, a.problem)
	}
	req := newRequest(t, "GET", ts.URL+"/households", nil)
	req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: "whatever"})
	if a := send(t, req); a.status != 503 || !strings.Contains(a.page, "服务暂时不可用") {
		t.Errorf("page: HTTP %d %q, want the 503 page", a.status, a.page)
	}
}

// TestMiddlewareErrorsWithoutPages: a server of the API alone answers a page path's
// middleware error in plain text (there is no page surface to render it).
func TestMiddlewareErrorsWithoutPages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := httptest.NewServer(server.New(st, log, api.Token, api.New(st, log, 1<<20, false)).Handler())
	t.Cleanup(ts.Close)
	a := send(t, newRequest(t, "POST", ts.URL+"/login", strings.NewReader("a=b"), "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"))
	if a.status != 403 || !strings.Contains(a.page, "跨站请求被拒绝") || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") {
		t.Errorf("HTTP %d %q (%s), want 403 in plain text", a.status, a.page, a.header.Get("Content-Type"))
	}
}
