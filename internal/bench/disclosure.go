package bench

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"strings"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/web"
)

// The public disclosure page's bare side: the same read of the community's disclosure
// (Store.Disclosure: the page's content is whatever the store discloses, and its queries are the
// store's) rendered by one plain template with the layout's markup, without the server's
// middleware, the layout's templates and messages, or the page's cache headers and ETag.

//go:embed bare_disclosure.html
var bareDisclosureHTML string

var bareDisclosureTemplate = template.Must(template.New("disclosure").Funcs(template.FuncMap{
	"datetime": func(t time.Time) string { return t.In(model.Shanghai).Format("2006-01-02 15:04") },
	"num":      web.FormatNum,
}).Parse(strings.TrimSuffix(bareDisclosureHTML, "\n")))

type bareDisclosurePage struct {
	Chrome web.Chrome
	D      *store.Disclosure
}

// disclosurePage answers GET /p/{code} with the community's disclosure page.
func (b *bare) disclosurePage(st *store.Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := st.Disclosure(r.Context(), r.PathValue("code"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var buf bytes.Buffer
		if err := bareDisclosureTemplate.Execute(&buf, bareDisclosurePage{Chrome: b.chrome, D: d}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
	}
}
