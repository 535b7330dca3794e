package config

import (
	"strings"
	"testing"
)

func TestKeyFields(t *testing.T) {
	key := "k1:" + strings.Repeat("A", 43) + "="
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c := Default(env(map[string]string{"GONGZHI_KEYS": key}))
	if c.Keys != key || c.Validate() != nil {
		t.Errorf("GONGZHI_KEYS: %q, %v", c.Keys, c.Validate())
	}
	c = Default(env(map[string]string{"GONGZHI_KEY_FILE": "/etc/gongzhi/keys"}))
	if c.KeyFile != "/etc/gongzhi/keys" || c.Validate() != nil {
		t.Errorf("GONGZHI_KEY_FILE: %q, %v", c.KeyFile, c.Validate())
	}
	for name, m := range map[string]map[string]string{
		"both":      {"GONGZHI_KEYS": key, "GONGZHI_KEY_FILE": "/k"},
		"malformed": {"GONGZHI_KEYS": "k1"},
		"not b64":   {"GONGZHI_KEYS": "k1:%%%"},
	} {
		c := Default(env(m))
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %v", name, m)
		}
	}
	for db, want := range map[string]string{"sqlite:/var/lib/gongzhi.db": "/var/lib/gongzhi.db.keys", "sqlite::memory:": "", "postgres://x@y/z": ""} {
		c := Config{DB: db}
		if got := c.DefaultKeyFile(); got != want {
			t.Errorf("DefaultKeyFile(%s) = %q, want %q", db, got, want)
		}
	}
}
