package config

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	env := func(k string) string {
		return map[string]string{"GONGZHI_DB": "postgres://x@127.0.0.1/y", "GONGZHI_ADDR": "0.0.0.0:9000"}[k]
	}
	c := Default(env)
	if c.DB != "postgres://x@127.0.0.1/y" || c.Addr != "0.0.0.0:9000" {
		t.Fatalf("environment not applied: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, bad := range []Config{
		{DB: "mysql://x", Addr: "127.0.0.1:1", MaxBodyBytes: 1, MaxUploadBytes: 1},
		{DB: "sqlite:", Addr: "127.0.0.1:1", MaxBodyBytes: 1, MaxUploadBytes: 1},
		{DB: "sqlite:a.db", Addr: "nohost", MaxBodyBytes: 1, MaxUploadBytes: 1},
		{DB: "sqlite:a.db", Addr: "127.0.0.1:1"},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", bad)
		}
	}
	if p := (&Config{DB: "sqlite:/tmp/a.db"}).SQLitePath(); p != "/tmp/a.db" {
		t.Errorf("SQLitePath = %q", p)
	}
	if p := (&Config{DB: "sqlite::memory:"}).SQLitePath(); p != "" {
		t.Errorf("SQLitePath of memory = %q", p)
	}
}

func TestProxies(t *testing.T) {
	c := Config{TrustedProxies: " 10.0.0.0/8, 192.168.1.7 ,,fd00::/8"}
	got, err := c.Proxies()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.168.1.7/32", "fd00::/8"}
	if len(got) != len(want) {
		t.Fatalf("Proxies() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("proxy %d = %s, want %s", i, got[i], want[i])
		}
	}
	c.TrustedProxies = "10.0.0.0/8,proxy.example"
	if _, err := c.Proxies(); err == nil {
		t.Error("a host name was accepted as a proxy")
	}
	c = Default(func(k string) string {
		if k == "GONGZHI_TRUSTED_PROXIES" {
			return "not-an-address"
		}
		return ""
	})
	if err := c.Validate(); err == nil {
		t.Error("Validate accepted a bad GONGZHI_TRUSTED_PROXIES")
	}
}

func TestLookupLimit(t *testing.T) {
	if c := Default(func(string) string { return "" }); c.LookupLimit != DefaultLookupLimit {
		t.Errorf("default LookupLimit = %d, want %d", c.LookupLimit, DefaultLookupLimit)
	}
	c := Default(func(k string) string { return map[string]string{"GONGZHI_LOOKUP_LIMIT": "10"}[k] })
	if c.LookupLimit != 10 {
		t.Errorf("GONGZHI_LOOKUP_LIMIT=10 gave %d", c.LookupLimit)
	}
	fs := c.FlagSet("serve", true, nil)
	if err := fs.Parse([]string{"--lookup-limit", "25"}); err != nil || c.LookupLimit != 25 {
		t.Errorf("--lookup-limit 25 gave %d (%v)", c.LookupLimit, err)
	}
	for _, v := range []string{"0", "-3", "many"} {
		c := Default(func(k string) string { return map[string]string{"GONGZHI_LOOKUP_LIMIT": v}[k] })
		if err := c.Validate(); err == nil {
			t.Errorf("GONGZHI_LOOKUP_LIMIT=%s accepted", v)
		}
	}
}

func TestOutbound(t *testing.T) {
	if c := Default(func(string) string { return "" }); c.Outbound != "off" || c.Validate() != nil {
		t.Errorf("default Outbound = %q (%v), want off", c.Outbound, c.Validate())
	}
	c := Default(func(k string) string { return map[string]string{"GONGZHI_OUTBOUND": "log"}[k] })
	if c.Outbound != "log" || c.Validate() != nil {
		t.Errorf("GONGZHI_OUTBOUND=log gave %q (%v)", c.Outbound, c.Validate())
	}
	fs := c.FlagSet("serve", true, nil)
	if err := fs.Parse([]string{"--outbound", "sms"}); err != nil || c.Outbound != "sms" {
		t.Fatalf("--outbound sms gave %q (%v)", c.Outbound, err)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "off, log") {
		t.Errorf("--outbound sms: %v, want a refusal naming the channels", err)
	}
}
