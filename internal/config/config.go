// Package config holds the one Config struct, parsed once from flags and the environment.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/pii"
)

// Config is everything a subcommand needs to know about its environment.
type Config struct {
	Addr string // listen address, e.g. 127.0.0.1:8080
	// MetricsAddr is the listen address of /metrics (Prometheus), kept apart from Addr because it
	// answers without a login: loopback by default; "" (or "off" in GONGZHI_METRICS_ADDR) serves
	// no metrics at all.
	MetricsAddr     string
	DB              string        // DSN: sqlite:PATH, sqlite::memory: or postgres://…
	ShutdownTimeout time.Duration // how long in-flight requests get on SIGTERM
	MaxBodyBytes    int64         // request body limit for JSON
	MaxUploadBytes  int64         // request body limit for file uploads
	SiteName        string        // shown in the top bar
	// TrustedProxies lists the reverse proxies (CIDRs, comma-separated, from
	// GONGZHI_TRUSTED_PROXIES) whose X-Forwarded-For names the client in the audit log.
	TrustedProxies string
	// Keys are the personal-data keys given inline (GONGZHI_KEYS: "kid:base64,…", current
	// first); KeyFile names a key file instead (--keys, GONGZHI_KEY_FILE). Neither given, a
	// SQLite database uses DefaultKeyFile beside it. Keys never live in the database.
	Keys    string
	KeyFile string
	// SecureCookies says the server is reached over HTTPS through a TLS-terminating proxy
	// (--secure-cookies, GONGZHI_SECURE_COOKIES=true): the session cookie is then __Host-gongzhi
	// with Secure, as it is on a direct TLS connection.
	SecureCookies bool
	// LookupLimit is how many exact lookups by ID number or phone one account may make per
	// hour (--lookup-limit, GONGZHI_LOOKUP_LIMIT; default DefaultLookupLimit); over it the
	// answer is 429 and the refusal is audited.
	LookupLimit int
	// Outbound names the channel that delivers notifications outside the app as well
	// (--outbound, GONGZHI_OUTBOUND): "off" (the default: in the app only) or "log" (each
	// message written to the log). Real providers (SMS, WeChat template messages) are added
	// as further names: docs/notifications.md.
	Outbound string
}

// OutboundChannels are the values Outbound may take.
var OutboundChannels = []string{"off", "log"}

// DefaultMetricsAddr is where /metrics is served unless told otherwise: loopback only.
const DefaultMetricsAddr = "127.0.0.1:9090"

// DefaultLookupLimit is the default of Config.LookupLimit: exact lookups per account per hour.
const DefaultLookupLimit = 100

// Default returns the typed defaults, overridden by GONGZHI_DB and GONGZHI_ADDR.
func Default(getenv func(string) string) Config {
	c := Config{
		Addr:            "127.0.0.1:8080",
		MetricsAddr:     DefaultMetricsAddr,
		DB:              "sqlite:gongzhi.db",
		ShutdownTimeout: 15 * time.Second,
		MaxBodyBytes:    1 << 20,
		MaxUploadBytes:  64 << 20,
		SiteName:        "共治 · 区域化党建与社区治理平台",
		LookupLimit:     DefaultLookupLimit,
		Outbound:        "off",
	}
	if v := getenv("GONGZHI_DB"); v != "" {
		c.DB = v
	}
	if v := getenv("GONGZHI_ADDR"); v != "" {
		c.Addr = v
	}
	if v := getenv("GONGZHI_METRICS_ADDR"); v != "" {
		c.MetricsAddr = v
	}
	c.TrustedProxies = getenv("GONGZHI_TRUSTED_PROXIES")
	c.Keys = getenv("GONGZHI_KEYS")
	c.KeyFile = getenv("GONGZHI_KEY_FILE")
	c.SecureCookies = getenv("GONGZHI_SECURE_COOKIES") == "true"
	if v := getenv("GONGZHI_OUTBOUND"); v != "" {
		c.Outbound = v
	}
	if v := getenv("GONGZHI_LOOKUP_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1 // Validate names the variable
		}
		c.LookupLimit = n
	}
	return c
}

// FlagSet returns a flag set for subcommand name that writes its flags into c. With server
// true it also has --addr and --metrics-addr.
func (c *Config) FlagSet(name string, server bool, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.DB, "db", c.DB, "database: sqlite:PATH, sqlite::memory: or postgres://…")
	fs.StringVar(&c.KeyFile, "keys", c.KeyFile, "personal-data key file (default: DB file + .keys for SQLite)")
	if server {
		fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
		fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "listen address of /metrics (no login: keep it on loopback or a private network); empty or off: no metrics")
		fs.BoolVar(&c.SecureCookies, "secure-cookies", c.SecureCookies, "behind a TLS-terminating proxy: __Host- session cookie with Secure")
		fs.IntVar(&c.LookupLimit, "lookup-limit", c.LookupLimit, "exact lookups by ID number or phone per account per hour")
		fs.StringVar(&c.Outbound, "outbound", c.Outbound, "deliver notifications outside the app too: off or log")
	}
	return fs
}

// Validate checks the fields and their combinations.
func (c *Config) Validate() error {
	var errs []error
	switch {
	case strings.HasPrefix(c.DB, "sqlite:"):
		if strings.TrimPrefix(c.DB, "sqlite:") == "" {
			errs = append(errs, errors.New("--db sqlite: needs a path, e.g. sqlite:gongzhi.db (sqlite::memory: for a throwaway database)"))
		}
	case strings.HasPrefix(c.DB, "postgres://"), strings.HasPrefix(c.DB, "postgresql://"):
	default:
		errs = append(errs, fmt.Errorf("--db %q: use sqlite:PATH or a postgres:// URL", c.DB))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: want host:port, e.g. 127.0.0.1:8080", c.Addr))
	}
	if m := c.MetricsListen(); m != "" {
		if _, _, err := net.SplitHostPort(m); err != nil {
			errs = append(errs, fmt.Errorf("--metrics-addr %q: want host:port, e.g. %s, or empty to serve no metrics", c.MetricsAddr, DefaultMetricsAddr))
		}
	}
	if c.Keys != "" && c.KeyFile != "" {
		errs = append(errs, errors.New("GONGZHI_KEYS and a key file (--keys, GONGZHI_KEY_FILE) are both set: keep one"))
	}
	if c.Keys != "" {
		if _, err := pii.ParseKeys(c.Keys); err != nil {
			errs = append(errs, fmt.Errorf("GONGZHI_KEYS: %w", err))
		}
	}
	if c.LookupLimit <= 0 {
		errs = append(errs, errors.New("--lookup-limit (GONGZHI_LOOKUP_LIMIT) must be a positive number of lookups per hour, e.g. 100"))
	}
	if !slices.Contains(OutboundChannels, c.Outbound) {
		errs = append(errs, fmt.Errorf("--outbound (GONGZHI_OUTBOUND) %q: want one of %s", c.Outbound, strings.Join(OutboundChannels, ", ")))
	}
	if c.MaxBodyBytes <= 0 || c.MaxUploadBytes <= 0 {
		errs = append(errs, errors.New("body limits must be positive"))
	}
	if _, err := c.Proxies(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// MetricsListen is the address /metrics listens on, "" when metrics are off (MetricsAddr empty
// or "off").
func (c *Config) MetricsListen() string {
	if m := strings.TrimSpace(c.MetricsAddr); m != "off" {
		return m
	}
	return ""
}

// DefaultKeyFile is the key file used when none is configured: the SQLite database's path plus
// ".keys"; "" for PostgreSQL and :memory:.
func (c *Config) DefaultKeyFile() string {
	if p := c.SQLitePath(); p != "" {
		return p + ".keys"
	}
	return ""
}

// SQLitePath returns the file path of a SQLite DSN, or "" for PostgreSQL and :memory:.
func (c *Config) SQLitePath() string {
	p, ok := strings.CutPrefix(c.DB, "sqlite:")
	if !ok || p == ":memory:" {
		return ""
	}
	return p
}

// Proxies parses TrustedProxies: CIDRs or single addresses, comma-separated.
func (c *Config) Proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("GONGZHI_TRUSTED_PROXIES: %q is not an address or CIDR", f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
