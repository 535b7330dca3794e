package web

import "net/http"

// The htmx request and response headers the pages use, in one place
// (https://htmx.org/reference/#headers). Every page works without htmx; with it, list pages
// swap only their results and the import form shows its progress state.
const (
	hxRequest        = "HX-Request"
	hxTarget         = "HX-Target"
	hxCurrentURL     = "HX-Current-URL"
	hxHistoryRestore = "HX-History-Restore-Request"
	hxRedirectHeader = "HX-Redirect"
	hxRetarget       = "HX-Retarget"
	hxReswap         = "HX-Reswap"
	hxReselect       = "HX-Reselect"
)

// isHTMX reports whether r was sent by htmx (and is not a history restore, which wants the
// whole page).
func isHTMX(r *http.Request) bool {
	return r.Header.Get(hxRequest) == "true" && r.Header.Get(hxHistoryRestore) != "true"
}

// htmxTarget is the id of the element htmx will swap the response into, "" without htmx.
func htmxTarget(r *http.Request) string {
	if !isHTMX(r) {
		return ""
	}
	return r.Header.Get(hxTarget)
}

// hxRedirect tells htmx to load url as a full page instead of swapping the response.
func hxRedirect(w http.ResponseWriter, url string) { w.Header().Set(hxRedirectHeader, url) }

// varyHTMX marks a response whose body depends on the htmx headers, so no cache mixes the
// fragment and the page.
func varyHTMX(w http.ResponseWriter) { w.Header().Add("Vary", hxRequest+", "+hxTarget) }

// hxWholeMain makes htmx put the response's <main> in place of the page's, whatever the
// request targeted: an error page answering a filter request must not land inside a table.
func hxWholeMain(w http.ResponseWriter) {
	h := w.Header()
	h.Set(hxRetarget, "#main")
	h.Set(hxReswap, "outerHTML")
	h.Set(hxReselect, "#main")
}
