package web

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"gongzhi/internal/model"
)

// TestCatalogCoversEnums checks the keys templates build at run time ({{label "kind" .Kind}},
// error pages by status), which the start-up check of literal keys cannot see.
func TestCatalogCoversEnums(t *testing.T) {
	t.Parallel()
	msg, err := loadCatalog(messageFS, "zh-Hans")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, k := range model.Kinds {
		keys = append(keys, "kind."+string(k))
	}
	for _, r := range model.Roles {
		keys = append(keys, "role."+string(r))
	}
	for _, p := range model.PoliticalStatuses {
		keys = append(keys, "political."+string(p))
	}
	for _, f := range flagNames {
		keys = append(keys, "flag."+f)
	}
	for _, g := range []model.Gender{model.GenderMale, model.GenderFemale} {
		keys = append(keys, "gender."+string(g))
	}
	for _, e := range []string{"created", "renamed", "moved", "archived", "moved_in", "moved_out", "updated", "member_added", "member_removed"} {
		keys = append(keys, "event."+e)
	}
	for _, code := range []int{400, 403, 404, 409, 413, 500} {
		keys = append(keys, fmt.Sprintf("error.%d.title", code), fmt.Sprintf("error.%d.body", code))
	}
	for _, k := range keys {
		if !msg.has(k) {
			t.Errorf("catalog zh-Hans lacks %q", k)
		}
	}
	// The model's own Chinese labels and the catalog agree, so API and pages say the same.
	for _, k := range model.Kinds {
		if got, want := msg.text("kind."+string(k)), k.Label(); got != want {
			t.Errorf("kind.%s = %q, model says %q", k, got, want)
		}
	}
	for _, r := range model.Roles {
		if got, want := msg.text("role."+string(r)), r.Label(); got != want {
			t.Errorf("role.%s = %q, model says %q", r, got, want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                     "/",
		"/households?q=1":      "/households?q=1",
		"//evil.example":       "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"households":           "/",
		"/a\nb":                "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCatalogAssembly: the files of a language make one catalog, and a key defined twice, in
// two files or twice in one, is an error that names the key and both places.
func TestCatalogAssembly(t *testing.T) {
	t.Parallel()
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	good := fstest.MapFS{
		"messages/zh-Hans/a.json": file(`{"a.one": "一", "a.two": "二 %d"}`),
		"messages/zh-Hans/b.json": file(`{"b.one": "乙"}`),
		"messages/en/a.json":      file(`{"a.one": "one"}`),
	}
	c, err := loadCatalog(good, "zh-Hans")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(c), 3; got != want {
		t.Errorf("assembled %d keys, want %d", got, want)
	}
	if got, want := c.text("a.two", 2), "二 2"; got != want {
		t.Errorf("a.two = %q, want %q", got, want)
	}
	if got, want := c.text("b.one"), "乙"; got != want {
		t.Errorf("b.one = %q, want %q", got, want)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"two files": {
			"messages/zh-Hans/a.json": file(`{"a.one": "一", "shared": "x"}`),
			"messages/zh-Hans/b.json": file(`{"shared": "y"}`),
		},
		"one file": {
			"messages/zh-Hans/a.json": file(`{"shared": "x", "a.one": "一", "shared": "y"}`),
		},
	} {
		_, err := loadCatalog(fsys, "zh-Hans")
		if err == nil || !strings.Contains(err.Error(), `"shared"`) {
			t.Errorf("%s: duplicate key: err = %v, want one naming \"shared\"", name, err)
		}
	}
	for name, fsys := range map[string]fstest.MapFS{
		"not strings": {"messages/zh-Hans/a.json": file(`{"a": 1}`)},
		"not json":    {"messages/zh-Hans/a.json": file(`{"a": "x"`)},
		"no files":    {"messages/en/a.json": file(`{"a": "x"}`)},
	} {
		if _, err := loadCatalog(fsys, "zh-Hans"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestCatalogCoversGoKeys checks the literal keys the handlers translate themselves
// (wb.t("households.total", …)), which the start-up check of templates does not read.
func TestCatalogCoversGoKeys(t *testing.T) {
	t.Parallel()
	msg, err := loadCatalog(messageFS, "zh-Hans")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	keyRE := regexp.MustCompile(`\b(?:wb\.t|msg\.text|msg\.has)\("([^"]+)"[,)]`)
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			found++
			if !msg.has(m[1]) {
				t.Errorf("%s: key %q is not in the catalog", name, m[1])
			}
		}
	}
	if found < 50 {
		t.Errorf("found %d literal keys in the handlers, want at least 50: has the way they call the catalog changed?", found)
	}
}
