package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gongzhi/internal/config"
)

func mustGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestMetricsOwnListener: /metrics is served on the --metrics-addr listener only; the main
// listener, which the public reaches, answers it 404 like any unknown path; the metrics listener
// serves nothing else.
func TestMetricsOwnListener(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	mustMigrate(t, db)
	base, out, stop := startServeOut(t, "--db", db, "--metrics-addr", "127.0.0.1:0")
	defer stop()
	m := regexp.MustCompile(`监控指标 (http://127\.0\.0\.1:\d+)/metrics`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("serve did not print the metrics address:\n%s", out.String())
	}
	metrics := m[1]
	if metrics == base {
		t.Fatalf("metrics on the main listener %s", base)
	}
	if code, body := mustGet(t, metrics+"/metrics"); code != http.StatusOK || !strings.Contains(body, "http_requests_total") && !strings.Contains(body, "go_goroutines") {
		t.Errorf("GET %s/metrics = %d, body without Prometheus metrics:\n%.300s", metrics, code, body)
	}
	if code, body := mustGet(t, base+"/metrics"); code != http.StatusNotFound || strings.Contains(body, "go_goroutines") {
		t.Errorf("GET /metrics on the main listener = %d (want 404), metrics in the body: %v", code, strings.Contains(body, "go_goroutines"))
	}
	if code, _ := mustGet(t, base+"/api/v1/metrics"); code != http.StatusNotFound && code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/metrics on the main listener = %d", code)
	}
	for _, path := range []string{"/", "/healthz", "/api/v1/openapi.json", "/login"} {
		if code, _ := mustGet(t, metrics+path); code != http.StatusNotFound {
			t.Errorf("GET %s on the metrics listener = %d, want 404", path, code)
		}
	}
}

// TestMetricsOff: an empty --metrics-addr serves no metrics at all; an address that is taken
// stops serve with a one-line reason naming the flag.
func TestMetricsOff(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	mustMigrate(t, db)
	base, out, stop := startServeOut(t, "--db", db, "--metrics-addr", "")
	if strings.Contains(out.String(), "监控指标") {
		t.Errorf("metrics announced with --metrics-addr '':\n%s", out.String())
	}
	if code, _ := mustGet(t, base+"/metrics"); code != http.StatusNotFound {
		t.Errorf("GET /metrics = %d, want 404", code)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var o, errOut bytes.Buffer
	err = run(context.Background(), []string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--metrics-addr", taken.Addr().String()}, noenv, &o, &errOut)
	if err == nil || !strings.Contains(err.Error(), "--metrics-addr") || strings.Contains(err.Error(), "\n") {
		t.Errorf("serve with a taken metrics address: %v", err)
	}
}

// TestMetricsAddrConfig: loopback by default, GONGZHI_METRICS_ADDR overrides it ("off"
// disables), and a malformed address is refused.
func TestMetricsAddrConfig(t *testing.T) {
	t.Parallel()
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "GONGZHI_METRICS_ADDR" {
				return v
			}
			return ""
		}
	}
	for _, c := range []struct{ env, want string }{
		{"", "127.0.0.1:9090"},
		{"10.0.0.5:9100", "10.0.0.5:9100"},
		{"off", ""},
	} {
		cfg := config.Default(env(c.env))
		if got := cfg.MetricsListen(); got != c.want {
			t.Errorf("GONGZHI_METRICS_ADDR=%q: metrics on %q, want %q", c.env, got, c.want)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("GONGZHI_METRICS_ADDR=%q: %v", c.env, err)
		}
	}
	cfg := config.Default(env("9090"))
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--metrics-addr") {
		t.Errorf("a metrics address without host: %v", err)
	}
}
