package model

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	htmltemplate "html/template"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	texttemplate "text/template"
	"time"
)

// TestSensitiveRendersMasked renders a resident with a full ID number and phone through every
// default path a value can take to a person (fmt verbs, String, JSON, XML, slog, html/template,
// text/template) and checks that none shows the full value and each shows the mask.
func TestSensitiveRendersMasked(t *testing.T) {
	const id, phone = "51078119800101001X", "13912345678"
	const idMask, phoneMask = "5107**********001X", "139****5678"
	r := &Resident{ID: 7, Name: "张建国", IDNumber: NewIDNumber(id), Phone: NewPhone(phone), BirthDate: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
	renderings := map[string]string{
		"String":      r.IDNumber.String() + " " + r.Phone.String(),
		"%v":          fmt.Sprintf("%v %v", r.IDNumber, r.Phone),
		"%s":          fmt.Sprintf("%s %s", r.IDNumber, r.Phone),
		"%q":          fmt.Sprintf("%q %q", r.IDNumber, r.Phone),
		"%20s":        fmt.Sprintf("%20s|%-12s", r.IDNumber, r.Phone),
		"%x":          fmt.Sprintf("%x", r.IDNumber) + " " + string(mustHexDecode(t, fmt.Sprintf("%x", r.IDNumber))),
		"%v struct":   fmt.Sprintf("%v", *r),
		"%+v struct":  fmt.Sprintf("%+v", *r),
		"%#v struct":  fmt.Sprintf("%#v", *r),
		"%v pointer":  fmt.Sprint([]*Sensitive{&r.IDNumber, &r.Phone}[0]) + fmt.Sprint(&r.Phone),
		"Sprint":      fmt.Sprint(r.IDNumber, r.Phone),
		"Sprintln":    fmt.Sprintln(r.IDNumber, r.Phone),
		"json":        mustJSON(t, r),
		"json map":    mustJSON(t, map[Sensitive]Sensitive{r.IDNumber: r.Phone}),
		"xml":         mustXML(t, r),
		"slog json":   logWith(func(w *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(w, nil) }, r),
		"slog text":   logWith(func(w *bytes.Buffer) slog.Handler { return slog.NewTextHandler(w, nil) }, r),
		"html/tmpl":   mustHTML(t, `{{.IDNumber}} {{.Phone}} {{printf "%v" .IDNumber}} <a title="{{.Phone}}" href="/x?p={{.Phone}}">x</a> <script>var p = {{.Phone}};</script>`, r),
		"text/tmpl":   mustText(t, `{{.IDNumber}} {{.Phone}} {{printf "%#v" .}}`, r),
		"error":       fmt.Errorf("resident %v: %w", r.IDNumber, fmt.Errorf("phone %s", r.Phone)).Error(),
		"Masked":      r.IDNumber.Masked() + " " + r.Phone.Masked(),
		"MaskedOnly":  r.IDNumber.MaskedOnly().Plain() + " " + r.Phone.MaskedOnly().Plain(),
		"GoString":    r.IDNumber.GoString() + " " + r.Phone.GoString(),
		"MarshalText": string(must(r.IDNumber.MarshalText())) + " " + string(must(r.Phone.MarshalText())),
	}
	for name, out := range renderings {
		for _, full := range []string{id, phone, id[:17], id[6:14]} {
			if strings.Contains(out, full) {
				t.Errorf("%s shows %s: %s", name, full, out)
			}
		}
		if name != "%x" && (!strings.Contains(out, idMask) && !strings.Contains(out, phoneMask)) {
			t.Errorf("%s shows no mask: %s", name, out)
		}
	}
	if r.IDNumber.Plain() != id || r.Phone.Plain() != phone {
		t.Errorf("Plain = %s %s", r.IDNumber.Plain(), r.Phone.Plain())
	}
	var none Sensitive
	if !NewPhone("").IsZero() || NewPhone("").String() != "" || none.String() != "" || mustJSON(t, none) != `""` {
		t.Errorf("an absent phone renders %q", NewPhone("").String())
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func mustHexDecode(t *testing.T, s string) []byte {
	t.Helper()
	b := make([]byte, len(s)/2)
	if _, err := fmt.Sscanf(s, "%x", &b); err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustXML(t *testing.T, v any) string {
	t.Helper()
	b, err := xml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func logWith(h func(*bytes.Buffer) slog.Handler, r *Resident) string {
	var b bytes.Buffer
	l := slog.New(h(&b))
	l.Info("resident", "id_number", r.IDNumber, "phone", r.Phone, "resident", r, "group", slog.GroupValue(slog.Any("p", r.Phone)))
	return b.String()
}

func mustHTML(t *testing.T, src string, data any) string {
	t.Helper()
	var b bytes.Buffer
	if err := htmltemplate.Must(htmltemplate.New("t").Parse(src)).Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func mustText(t *testing.T, src string, data any) string {
	t.Helper()
	var b bytes.Buffer
	if err := texttemplate.Must(texttemplate.New("t").Parse(src)).Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestPlainOnlyInStore parses every Go file of the module outside internal/store and
// internal/model (test files aside: they check what was stored) and fails on any call of a
// method named Plain: the full ID number or phone leaves the store only through its audited
// reveal (store.RevealResidents) and the data subject's own record, never by a render path
// reaching into the value.
func TestPlainOnlyInStore(t *testing.T) {
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch rel {
			case "internal/store", "internal/model", "node_modules", ".git", "tools":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Plain" {
				t.Errorf("%s: .Plain outside internal/store: use the mask (String) or store.RevealResidents", fset.Position(sel.Pos()))
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("parsed only %d files: is the walk rooted at the module?", files)
	}
}
