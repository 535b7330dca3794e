package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
)

// The message catalogs, one flat JSON object per language: key → text. A text may hold
// fmt verbs (%d, %s) filled from the arguments of the template call {{t "key" arg…}}.
// Simplified Chinese is the only catalog today; traditional Chinese and English come as
// further files with the same keys.
//
//go:embed messages/*.json
var messageFS embed.FS

// catalog is one language's messages.
type catalog map[string]string

// loadCatalog reads messages/<lang>.json and the area files messages/<lang>.*.json beside it
// (e.g. zh-Hans.jobs.json); a key defined twice is an error.
func loadCatalog(lang string) (catalog, error) {
	names, err := fs.Glob(messageFS, "messages/"+lang+".*json")
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("message catalog %s: no files (%v)", lang, err)
	}
	c := catalog{}
	for _, name := range names {
		b, err := messageFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("message catalog %s: %w", lang, err)
		}
		var part catalog
		if err := json.Unmarshal(b, &part); err != nil {
			return nil, fmt.Errorf("message catalog %s: %w", name, err)
		}
		for k, v := range part {
			if _, dup := c[k]; dup {
				return nil, fmt.Errorf("message catalog %s: key %q defined twice", name, k)
			}
			c[k] = v
		}
	}
	return c, nil
}

// text returns the message for key filled with args. A missing key renders as the key itself
// in brackets, visible in review; the catalog test and New make sure no template uses one.
func (c catalog) text(key string, args ...any) string {
	s, ok := c[key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// has reports whether the catalog holds key.
func (c catalog) has(key string) bool {
	_, ok := c[key]
	return ok
}
