package server

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestClientAddr: the audit log's source address is the peer's, and X-Forwarded-For counts only
// when the peer is a trusted proxy (then the nearest hop that is not one).
func TestClientAddr(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, c := range []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		xff     []string
		want    string
	}{
		{"no proxy configured: header ignored", nil, "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"untrusted peer: header ignored", proxies, "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"trusted proxy", proxies, "10.1.2.3:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client spoofs a hop before the proxy", proxies, "10.1.2.3:4000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies", proxies, "10.1.2.3:4000", []string{"198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"several headers", proxies, "10.1.2.3:4000", []string{"1.2.3.4", "198.51.100.1"}, "198.51.100.1"},
		{"garbage hop stops the walk", proxies, "10.1.2.3:4000", []string{"198.51.100.1, junk"}, "10.1.2.3"},
		{"IPv6 peer", nil, "[2001:db8::1]:4000", nil, "2001:db8::1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &Server{trusted: c.trusted}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			for _, h := range c.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := s.clientAddr(r); got != c.want {
				t.Errorf("clientAddr = %q, want %q", got, c.want)
			}
		})
	}
}
