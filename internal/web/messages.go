package web

import (
	"embed"
	"encoding/json"
	"fmt"
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

// loadCatalog reads messages/<lang>.json.
func loadCatalog(lang string) (catalog, error) {
	b, err := messageFS.ReadFile("messages/" + lang + ".json")
	if err != nil {
		return nil, fmt.Errorf("message catalog %s: %w", lang, err)
	}
	var c catalog
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("message catalog %s: %w", lang, err)
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
