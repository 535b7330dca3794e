package model

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestShanghaiIsUTCPlus8(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC), // no daylight saving in summer
	} {
		if _, off := at.In(Shanghai).Zone(); off != 8*3600 {
			t.Errorf("offset of Shanghai at %s = %d s, want %d", at.Format(time.DateOnly), off, 8*3600)
		}
	}
	// 16:30 UTC is already the next day in Shanghai: the day a page shows.
	if got := time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC).In(Shanghai).Format(time.DateOnly); got != "2026-12-01" {
		t.Errorf("date in Shanghai = %s, want 2026-12-01", got)
	}
}

// TestOneZone keeps Shanghai the program's only location: no other Go file of the module loads
// a zone or makes a fixed one (tests may build fixed offsets to check parsing).
func TestOneZone(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	self, err := filepath.Abs("zone.go")
	if err != nil {
		t.Fatal(err)
	}
	zone := regexp.MustCompile(`time\.(LoadLocation|FixedZone)\(`)
	checked := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (n == "node_modules" || strings.HasPrefix(n, ".")) || p == filepath.Join(root, "tools") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || p == self {
			return nil
		}
		b, err := os.ReadFile(p) // #nosec G304 -- files of this repository, found by walking it
		if err != nil {
			return err
		}
		checked++
		if loc := zone.FindIndex(b); loc != nil {
			rel, _ := filepath.Rel(root, p)
			t.Errorf("%s:%d loads a time zone of its own; use model.Shanghai", rel, 1+strings.Count(string(b[:loc[0]]), "\n"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked %d Go files under %s, want the whole module", checked, root)
	}
}
