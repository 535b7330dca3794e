package api

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"
)

// TestAssembleOpenAPI: the base and the fragments make one document with every path and
// component, in the order written; a path or component defined twice, a key twice in one
// object, or a fragment with more than paths and components is an error naming the file.
func TestAssembleOpenAPI(t *testing.T) {
	t.Parallel()
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	base := `{"openapi": "3.1.0", "paths": {"/a": {"get": {}}},
		"components": {"schemas": {"ID": {"type": "string"}}}, "x-after": true}`
	good := fstest.MapFS{
		"openapi/base.json": file(base),
		"openapi/b.json": file(`{"paths": {"/b": {"get": {"$ref": "x"}}, "/b/{id}": {}},
			"components": {"schemas": {"B": {}}, "parameters": {"BQ": {}}}}`),
		"openapi/c.json": file(`{"paths": {"/c": {}}}`),
	}
	b, err := assembleOpenAPI(good)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := decodeObject(b)
	if err != nil {
		t.Fatalf("assembled document: %v", err)
	}
	if got, want := strings.Join(doc.keys, ","), "openapi,paths,components,x-after"; got != want {
		t.Errorf("keys = %s, want %s", got, want)
	}
	paths, _ := decodeObject(doc.get("paths"))
	if got, want := strings.Join(paths.keys, ","), "/a,/b,/b/{id},/c"; got != want {
		t.Errorf("paths = %s, want %s", got, want)
	}
	var comp struct {
		Schemas    map[string]json.RawMessage `json:"schemas"`
		Parameters map[string]json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal(doc.get("components"), &comp); err != nil {
		t.Fatal(err)
	}
	if len(comp.Schemas) != 2 || comp.Schemas["ID"] == nil || comp.Schemas["B"] == nil || comp.Parameters["BQ"] == nil {
		t.Errorf("components = %s", doc.get("components"))
	}

	for name, c := range map[string]struct {
		files map[string]string
		want  string
	}{
		"path in two fragments":     {map[string]string{"b.json": `{"paths": {"/b": {}}}`, "c.json": `{"paths": {"/b": {}}}`}, `"/b" is already defined in openapi/b.json`},
		"path in base and fragment": {map[string]string{"b.json": `{"paths": {"/a": {}}}`}, `"/a" is already defined in openapi/base.json`},
		"schema twice":              {map[string]string{"b.json": `{"components": {"schemas": {"ID": {}}}}`}, `schemas "ID" is already defined in openapi/base.json`},
		"key twice in a file":       {map[string]string{"b.json": `{"paths": {"/b": {}, "/b": {}}}`}, `"/b" occurs twice`},
		"more than paths":           {map[string]string{"b.json": `{"paths": {}, "tags": []}`}, `not "tags"`},
		"not JSON":                  {map[string]string{"b.json": `{"paths": `}, "openapi/b.json"},
		"trailing data":             {map[string]string{"b.json": `{"paths": {}} {}`}, "data after the object"},
	} {
		fsys := fstest.MapFS{"openapi/base.json": file(base)}
		for n, s := range c.files {
			fsys["openapi/"+n] = file(s)
		}
		_, err := assembleOpenAPI(fsys)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one saying %s", name, err, c.want)
		}
	}
}
