package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
)

// The message catalogs: one folder per language, one flat JSON object per area in it
// (messages/zh-Hans/households.json …), key → text. A text may hold fmt verbs (%d, %s) filled
// from the arguments of the template call {{t "key" arg…}}. The files of a language are
// assembled into one catalog at start; a key defined twice, in one file or in two, stops the
// start. Simplified Chinese is the only catalog today; traditional Chinese and English come as
// further folders with the same keys.
//
//go:embed messages
var messageFS embed.FS

// catalog is one language's messages.
type catalog map[string]string

// loadCatalog assembles the language lang from the files messages/<lang>/*.json of fsys.
func loadCatalog(fsys fs.FS, lang string) (catalog, error) {
	files, err := fs.Glob(fsys, path.Join("messages", lang, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("message catalog %s: no files", lang)
	}
	c := catalog{}
	from := map[string]string{} // key → the file that defined it
	for _, name := range files {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("message catalog %s: %w", lang, err)
		}
		keys, texts, err := decodeMessages(b)
		if err != nil {
			return nil, fmt.Errorf("message catalog %s: %s: %w", lang, name, err)
		}
		for i, k := range keys {
			if prev, ok := from[k]; ok {
				return nil, fmt.Errorf("message catalog %s: key %q is defined in %s and again in %s", lang, k, prev, name)
			}
			from[k], c[k] = name, texts[i]
		}
	}
	return c, nil
}

// decodeMessages reads one flat JSON object of strings in file order, keeping a key that
// occurs twice (which encoding/json would silently overwrite).
func decodeMessages(b []byte) (keys, texts []string, err error) {
	var whole map[string]string // the whole file must be one object of strings
	if err := json.Unmarshal(b, &whole); err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		return nil, nil, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		var text string
		if err := dec.Decode(&text); err != nil {
			return nil, nil, err
		}
		keys, texts = append(keys, tok.(string)), append(texts, text)
	}
	return keys, texts, nil
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
