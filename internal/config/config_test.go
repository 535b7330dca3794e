package config

import "testing"

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
