package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// static holds app.css, app.js, the icons, the web app manifest, the offline page, the service
// worker, and vendor/htmx.min.js when the build copied it there from node_modules (make
// assets); the vendor directory is not committed, and pages work without it.
//
//go:embed static
var staticFS embed.FS

// htmxFile is where the build puts htmx.
const htmxFile = "vendor/htmx.min.js"

// swFile is the service worker's source. It is served at /sw.js, not under a hashed name: a
// service worker controls only the pages under its own path, and the browser checks it for a
// new version itself.
const swFile = "sw.js"

// rewritten are the static files that name others by their plain path ("/static/app.css"):
// loadAssets rewrites those names to the hashed URLs, so these files are hashed after the files
// they name, in this order.
var rewritten = []string{"manifest.webmanifest", "offline.html"}

// staticName is a plain static path inside a rewritten file.
var staticName = regexp.MustCompile(`/static/([A-Za-z0-9._/-]+)`)

// contentTypes are the types Go's table lacks or that must not depend on the machine's
// /etc/mime.types; the rest come from mime.TypeByExtension.
var contentTypes = map[string]string{
	".webmanifest": "application/manifest+json",
	".js":          "text/javascript; charset=utf-8",
	".html":        "text/html; charset=utf-8",
	".png":         "image/png",
	".svg":         "image/svg+xml",
}

// asset is one static file served under a content-hashed name.
type asset struct {
	body  []byte
	ctype string
}

// assets maps hashed names ("app.3f2a9c1e.css") to files, and original names to URLs.
type assets struct {
	byName map[string]asset
	url    map[string]string
	sw     []byte // the service worker, constants included
	swETag string
}

// loadAssets hashes every embedded static file once at start and builds the service worker.
// It fails when a rewritten file names a static file that does not exist.
func loadAssets() (*assets, error) {
	as := &assets{byName: map[string]asset{}, url: map[string]string{}}
	files := map[string][]byte{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		files[strings.TrimPrefix(p, "static/")] = b
		return err
	})
	if err != nil {
		return nil, err
	}
	for rel, b := range files {
		if rel != swFile && !slices.Contains(rewritten, rel) {
			as.add(rel, b)
		}
	}
	for _, rel := range rewritten {
		b, err := as.rewrite(rel, files[rel])
		if err != nil {
			return nil, err
		}
		as.add(rel, b)
	}
	if err := as.buildServiceWorker(files[swFile]); err != nil {
		return nil, err
	}
	return as, nil
}

// add serves b under a name that carries its hash.
func (as *assets) add(rel string, b []byte) {
	sum := sha256.Sum256(b)
	ext := path.Ext(rel)
	// The hashed name flattens the directory: vendor/htmx.min.js → htmx.min.<hash>.js.
	hashed := strings.TrimSuffix(path.Base(rel), ext) + "." + hex.EncodeToString(sum[:])[:12] + ext
	ctype := contentTypes[ext]
	if ctype == "" {
		ctype = mime.TypeByExtension(ext)
	}
	if ctype == "" {
		ctype = http.DetectContentType(b)
	}
	as.byName[hashed] = asset{body: b, ctype: ctype}
	as.url[rel] = "/static/" + hashed
}

// rewrite replaces every plain static path in b, the file rel, by its hashed URL.
func (as *assets) rewrite(rel string, b []byte) ([]byte, error) {
	if b == nil {
		return nil, fmt.Errorf("static file %s is missing", rel)
	}
	var missing []string
	out := staticName.ReplaceAllFunc(b, func(m []byte) []byte {
		name := string(staticName.FindSubmatch(m)[1])
		u, ok := as.url[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return []byte(u)
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("static file %s names %s, which is not a static file (or is rewritten after it)", rel, strings.Join(missing, ", "))
	}
	return out, nil
}

// buildServiceWorker puts the constants sw.js expects in front of src: the app shell (every
// hashed static URL), the offline page, and a cache name that changes whenever any of them does.
func (as *assets) buildServiceWorker(src []byte) error {
	if src == nil {
		return fmt.Errorf("static file %s is missing", swFile)
	}
	shell := make([]string, 0, len(as.url))
	for rel, u := range as.url {
		if rel == analyticsEChartsFile {
			// ECharts (1.1 MB) serves one staff page on a desk: not in every phone's app shell.
			continue
		}
		shell = append(shell, u)
	}
	slices.Sort(shell)
	offline, ok := as.url["offline.html"]
	if !ok {
		return fmt.Errorf("static file offline.html is missing")
	}
	h := sha256.New()
	for _, u := range shell {
		h.Write([]byte(u + "\n"))
	}
	h.Write(src)
	version := hex.EncodeToString(h.Sum(nil))[:12]
	shellJSON, err := json.Marshal(shell)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "\"use strict\";\nconst SHELL = %s;\nconst OFFLINE = %q;\nconst CACHE = %q;\n\n", shellJSON, offline, "gongzhi-"+version)
	b.Write(src)
	as.sw = b.Bytes()
	as.swETag = `"` + version + `"`
	return nil
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

// serviceWorker serves /sw.js, which caches the app shell and answers pages with the offline
// page when the network fails (static/sw.js). It is revalidated on every visit, so a new
// version reaches phones at once; its ETag makes that a 304 when nothing changed.
func (wb *Web) serviceWorker(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", wb.assets.swETag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(wb.assets.sw))
}
