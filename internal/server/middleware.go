package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gongzhi_http_requests_total",
			Help: "HTTP requests by route pattern and status code."}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gongzhi_http_request_duration_seconds",
			Help: "HTTP request latency by route pattern.", Buckets: prometheus.DefBuckets}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// statusWriter records the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (flushing progress).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestIDs hands out request ids: a random per-process prefix and a counter, unique across
// instances without a syscall per request.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &requestIDs{prefix: hex.EncodeToString(b) + "-"}
}

func (r *requestIDs) next() string { return r.prefix + strconv.FormatUint(r.n.Add(1), 36) }

// observe gives each request an id, logs it once when done, and records metrics by route
// pattern (never by raw path, so ids do not explode the label set).
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := s.requestIDs.next()
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		// The audit log names the request and where it came from.
		r = r.WithContext(authz.WithRequest(r.Context(), authz.Request{ID: id, Source: s.clientAddr(r)}))
		next.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.metrics.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		s.metrics.duration.WithLabelValues(route).Observe(d.Seconds())
		level := slog.LevelDebug
		if sw.code >= 500 {
			level = slog.LevelError
		} else if sw.code >= 400 {
			level = slog.LevelInfo
		}
		if !s.log.Enabled(r.Context(), level) {
			return // the usual case for a 200: build no record that nobody writes
		}
		attrs := []slog.Attr{slog.String("id", id), slog.String("method", r.Method), slog.String("route", route),
			slog.Int("status", sw.code), slog.Duration("duration", d)}
		if u := authz.UserFrom(r.Context()); u != nil {
			attrs = append(attrs, slog.Int64("user", u.ID))
		}
		s.log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// recoverPanics turns a handler's panic into an internal error, answered like any other (the
// Chinese error page, or problem+json on /api/) and logged there once, with the stack. A panic
// after the response has started cannot be answered: it is logged here and the connection
// aborted, so the client sees a broken response rather than a complete-looking one.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			err := fmt.Errorf("panic: %v\n%s", v, debug.Stack())
			if sw, ok := w.(*statusWriter); ok && sw.code != 0 {
				s.log.ErrorContext(r.Context(), "panic after the response started", "method", r.Method, "path", r.URL.Path, "err", err)
				panic(http.ErrAbortHandler)
			}
			// What the handler set for its own answer (a download's type and name) is not the error's.
			h := w.Header()
			for k := range h {
				if !kept[k] {
					delete(h, k)
				}
			}
			s.fail(w, r, err)
		}()
		next.ServeHTTP(w, r)
	})
}

// kept are the headers set before recoverPanics runs, which an error answer keeps.
var kept = map[string]bool{"X-Request-Id": true, "Content-Security-Policy": true, "X-Content-Type-Options": true,
	"Referrer-Policy": true, "X-Frame-Options": true}

// securityHeaders sets the headers every response carries. Scripts come only from our own
// origin; pages hold no inline script.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// limitBody caps every request body at the most any route accepts (an upload); routes keep
// tighter limits of their own. A body declared larger is refused at once, before the session
// lookup or any handler, so a client learns it at the start of an upload rather than its end.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.maxBody {
			s.fail(w, r, &http.MaxBytesError{Limit: s.maxBody})
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin rejects cross-origin state-changing requests from browsers (Sec-Fetch-Site /
// Origin checks of net/http.CrossOriginProtection). Requests with a bearer token come from
// scripts, not browsers with ambient cookies, and pass.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, model.ErrCrossSite)
	}))
	protected := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			next.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}

// session resolves the request's token (a session token or an API token, one lookup path:
// store.UserByToken, which narrows an API token's scope) to its account and puts it in the
// context; an invalid, expired, idle or revoked token leaves the request anonymous (the guard
// then answers 401).
func (s *Server) session(next http.Handler, token func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := token(r)
		if t == "" {
			next.ServeHTTP(w, r)
			return
		}
		u, err := s.st.UserByToken(r.Context(), t)
		switch {
		case err == nil:
			r = r.WithContext(authz.WithUser(r.Context(), u))
		case !errors.Is(err, model.ErrUnauthenticated):
			s.log.ErrorContext(r.Context(), "session lookup", "err", err)
			s.fail(w, r, model.ErrUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientAddr is the address the request came from: the peer's IP, or, when the peer is a
// trusted proxy, the nearest address in X-Forwarded-For that is not one of them.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(s.trusted) == 0 {
		return host
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !s.isTrusted(addr) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		host = a.String()
		if !s.isTrusted(a) {
			break
		}
	}
	return host
}

func (s *Server) isTrusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// fail answers an error raised by a middleware (a body too large, a cross-site request, a
// panic, the database gone) the way the surface that owns the path answers its own errors: the
// API's problem+json on /api/ paths, the pages' Chinese error page elsewhere — the surfaces whose
// catch-all routes ("/api/", "/") would have served the request. Without such a surface (a
// server of the API alone asked for a page) the answer is plain text.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	owner := "/"
	if strings.HasPrefix(r.URL.Path, "/api/") {
		owner = "/api/"
	}
	if sf, ok := s.catchAll[owner]; ok {
		sf.Deny(w, r, err)
		return
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		http.Error(w, "请求体过大", http.StatusRequestEntityTooLarge)
	case errors.Is(err, model.ErrCrossSite):
		http.Error(w, "跨站请求被拒绝", http.StatusForbidden)
	case errors.Is(err, model.ErrUnavailable):
		http.Error(w, "服务暂时不可用", http.StatusServiceUnavailable)
	default:
		s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		http.Error(w, "服务器内部错误", http.StatusInternalServerError)
	}
}

// auditDeny wraps a surface's answer to refused requests so that every denial from the policy
// guard is recorded in the audit log before it is answered.
func (s *Server) auditDeny(deny authz.Deny) authz.Deny {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		action := "request.denied"
		if a, ok := s.actions[r.Pattern]; ok {
			action = string(a)
		}
		if aerr := s.st.RecordDenied(r.Context(), authz.ScopeFrom(r.Context()), action, routeOf(r)); aerr != nil {
			s.log.ErrorContext(r.Context(), "audit: record denial", "err", aerr)
		}
		deny(w, r, err)
	}
}

// routeOf names the route of r for the audit log: its pattern with the method ("GET
// /api/v1/residents/{id}"), never the raw path, so no value typed into a URL is recorded.
func routeOf(r *http.Request) string {
	if strings.Contains(r.Pattern, " ") {
		return r.Pattern
	}
	return r.Method + " " + r.Pattern
}
