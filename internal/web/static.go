package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// static holds app.css, app.js, the icons, and vendor/htmx.min.js when the build copied it
// there from node_modules (make assets); the vendor directory is not committed, and pages work
// without it.
//
//go:embed static
var staticFS embed.FS

// htmxFile is where the build puts htmx.
const htmxFile = "vendor/htmx.min.js"

// asset is one static file served under a content-hashed name.
type asset struct {
	body  []byte
	ctype string
}

// assets maps hashed names ("app.3f2a9c1e.css") to files, and original names to URLs.
type assets struct {
	byName map[string]asset
	url    map[string]string
}

// loadAssets hashes every embedded static file once at start.
func loadAssets() (*assets, error) {
	as := &assets{byName: map[string]asset{}, url: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(b)
		ext := path.Ext(rel)
		// The hashed name flattens the directory: vendor/htmx.min.js → htmx.min.<hash>.js.
		hashed := strings.TrimSuffix(path.Base(rel), ext) + "." + hex.EncodeToString(sum[:])[:12] + ext
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = http.DetectContentType(b)
		}
		as.byName[hashed] = asset{body: b, ctype: ctype}
		as.url[rel] = "/static/" + hashed
		return nil
	})
	return as, err
}

// URL returns the hashed URL of the static file rel ("app.css"), or "" when it is absent.
func (as *assets) URL(rel string) string { return as.url[rel] }

// static serves a file by its hashed name. The name changes whenever the content does, so
// browsers may keep it forever.
func (wb *Web) static(w http.ResponseWriter, r *http.Request) {
	a, ok := wb.assets.byName[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
