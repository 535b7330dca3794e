package api

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sync"
)

// The OpenAPI document, one file per area: openapi/base.json is the document itself (info,
// tags, problem types, and the components several areas share) with empty paths; every other
// file is a fragment {"paths": …, "components": …} of one area (households.json …). They are
// assembled into one document on first use; a path or a component defined twice is an error,
// and so is a fragment with anything else in it.
//
//go:embed openapi
var openAPIFS embed.FS

// openAPIDocument is the assembled document, built once.
var openAPIDocument = sync.OnceValues(func() ([]byte, error) { return assembleOpenAPI(openAPIFS) })

func (a *API) openAPI(w http.ResponseWriter, r *http.Request) error {
	doc, err := openAPIDocument()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(doc)
	return err
}

// assembleOpenAPI merges openapi/base.json and the fragments openapi/*.json of fsys into one
// indented document, keeping the order of keys as written (base first, then the fragments in
// file name order).
func assembleOpenAPI(fsys fs.FS) ([]byte, error) {
	const baseName = "openapi/base.json"
	b, err := fs.ReadFile(fsys, baseName)
	if err != nil {
		return nil, err
	}
	doc, err := decodeObject(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", baseName, err)
	}
	paths, err := decodeObject(doc.get("paths"))
	if err != nil {
		return nil, fmt.Errorf("%s: paths: %w", baseName, err)
	}
	components, err := decodeObject(doc.get("components"))
	if err != nil {
		return nil, fmt.Errorf("%s: components: %w", baseName, err)
	}
	sections := map[string]*object{}
	for _, k := range components.keys {
		if sections[k], err = decodeObject(components.get(k)); err != nil {
			return nil, fmt.Errorf("%s: components.%s: %w", baseName, k, err)
		}
	}
	defined := map[string]string{} // "paths./api/v1/x" or "schemas.X" → the file that defined it
	for _, k := range paths.keys {
		defined["paths."+k] = baseName
	}
	for name, sec := range sections {
		for _, k := range sec.keys {
			defined[name+"."+k] = baseName
		}
	}
	files, err := fs.Glob(fsys, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		if name == baseName {
			continue
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		frag, err := decodeObject(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, k := range frag.keys {
			if k != "paths" && k != "components" {
				return nil, fmt.Errorf("%s: a fragment holds only paths and components, not %q", name, k)
			}
		}
		// add moves the members of one object of the fragment into the document's.
		add := func(into *object, raw json.RawMessage, what string) error {
			if raw == nil {
				return nil
			}
			o, err := decodeObject(raw)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", name, what, err)
			}
			for _, k := range o.keys {
				if prev, ok := defined[what+"."+k]; ok {
					return fmt.Errorf("%s: %s %q is already defined in %s", name, what, k, prev)
				}
				defined[what+"."+k] = name
				into.set(k, o.get(k))
			}
			return nil
		}
		if err := add(paths, frag.get("paths"), "paths"); err != nil {
			return nil, err
		}
		if raw := frag.get("components"); raw != nil {
			comp, err := decodeObject(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: components: %w", name, err)
			}
			for _, k := range comp.keys {
				sec, ok := sections[k]
				if !ok {
					sec = &object{values: map[string]json.RawMessage{}}
					sections[k] = sec
					components.set(k, nil)
				}
				if err := add(sec, comp.get(k), k); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, k := range components.keys {
		components.set(k, sections[k].encode())
	}
	doc.set("paths", paths.encode())
	doc.set("components", components.encode())
	var out bytes.Buffer
	if err := json.Indent(&out, doc.encode(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// object is a JSON object that keeps the order of its keys.
type object struct {
	keys   []string
	values map[string]json.RawMessage
}

// decodeObject reads one JSON object; a key that occurs twice is an error.
func decodeObject(b []byte) (*object, error) {
	o := &object{values: map[string]json.RawMessage{}}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil {
		return nil, err
	} else if tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, ok := o.values[k]; ok {
			return nil, fmt.Errorf("key %q occurs twice", k)
		}
		o.set(k, v)
	}
	if _, err := dec.Token(); err != nil { // }
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the object")
	}
	return o, nil
}

func (o *object) get(k string) json.RawMessage { return o.values[k] }

// set replaces the value of k, or appends k.
func (o *object) set(k string, v json.RawMessage) {
	if _, ok := o.values[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.values[k] = v
}

// encode writes the object compactly, keys in order.
func (o *object) encode() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k) // a string always marshals
		b.Write(kb)
		b.WriteByte(':')
		b.Write(o.values[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}
