package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/importer"
	"gongzhi/internal/jobs"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// importData is an upload form: the household import's and the member import's, drawn by the
// "importUpload" partial from the texts and addresses in Upload.
type importData struct {
	Page
	Form   *Form
	MaxMB  int64
	Upload importUpload
}

// importUpload is what differs between the upload forms.
type importUpload struct {
	Action   string // where the form posts
	Template string // the template workbook's address
	Lead     string
	Steps    [3]importStep
	Skip     bool // offer "skip the bad households" (the household import)
}

// importStep is one of the three steps above the form.
type importStep struct{ Title, Text string }

const multipartMem = 8 << 20 // the rest of an upload spills to a temporary file

func (wb *Web) importPage(r *http.Request, f *Form) *importData {
	d := &importData{Page: wb.base(r, wb.t("import.title"), "import"), Form: f, MaxMB: wb.opts.MaxUploadBytes >> 20}
	d.Upload = importUpload{Action: "/import", Template: "/import/template.xlsx", Lead: wb.t("import.lead"), Skip: true, Steps: [3]importStep{
		{wb.t("import.step1"), wb.t("import.step1.text")}, {wb.t("import.step2"), wb.t("import.step2.text")}, {wb.t("import.step3"), wb.t("import.step3.text")}}}
	d.Crumbs = wb.scopeCrumbs(r, territoryURL)
	if f.Invalid() {
		d.Failed = f
	}
	return d
}

// importForm shows the upload form.
func (wb *Web) importForm(w http.ResponseWriter, r *http.Request) error {
	f := newForm("import", nil, "file")
	return wb.render(w, r, http.StatusOK, "import/form", wb.importPage(r, f))
}

// importHouseholds checks an uploaded .csv or .xlsx at once (too large, not CSV/XLSX, wrong
// columns: the form again with the reason) and queues its import as a background job, then
// sends the browser to the job's page, which shows the progress and, at the end, every bad
// row with its number, column and reason.
func (wb *Web) importHouseholds(w http.ResponseWriter, r *http.Request) error {
	return wb.receiveUpload(w, r, "import/form", wb.importPage, func(q *jobs.Queue, name string, file io.Reader, skip bool) (*model.Job, error) {
		return q.SubmitHouseholdImport(r.Context(), scope(r), name, file, skip)
	})
}

// receiveUpload takes an upload form's post: a file too large, missing, not .csv/.xlsx or one
// submit refuses with an *importer.FileError is answered with the form (template name, data
// from page) and the reason; otherwise the job submit queued is where the browser goes next.
func (wb *Web) receiveUpload(w http.ResponseWriter, r *http.Request, name string, page func(*http.Request, *Form) *importData,
	submit func(q *jobs.Queue, name string, file io.Reader, skip bool) (*model.Job, error)) error {
	r.Body = http.MaxBytesReader(w, r.Body, wb.opts.MaxUploadBytes)
	f := newForm("import", url.Values{}, "file")
	// #nosec G120 -- the body is bounded by the MaxBytesReader just above
	if err := r.ParseMultipartForm(multipartMem); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			f.add("file", wb.t("import.file.too_large", wb.opts.MaxUploadBytes>>20))
		case errors.Is(err, http.ErrNotMultipart), errors.Is(err, http.ErrMissingBoundary):
			f.add("file", wb.t("import.file.missing"))
		default:
			return err
		}
		return wb.render(w, r, http.StatusUnprocessableEntity, name, page(r, f))
	}
	defer r.MultipartForm.RemoveAll()
	skip := r.PostForm.Get("skip_invalid") != ""
	if skip {
		f.Values.Set("skip_invalid", "1")
	}
	file, header, err := r.FormFile("file")
	if err != nil {
		f.add("file", wb.t("import.file.missing"))
		return wb.render(w, r, http.StatusUnprocessableEntity, name, page(r, f))
	}
	defer file.Close()
	if ext := strings.ToLower(filepath.Ext(header.Filename)); ext != ".csv" && ext != ".xlsx" {
		f.add("file", wb.t("import.file.type"))
		return wb.render(w, r, http.StatusUnprocessableEntity, name, page(r, f))
	}
	q, err := wb.queue()
	if err != nil {
		return err
	}
	j, err := submit(q, header.Filename, file, skip)
	var fe *importer.FileError
	if errors.As(err, &fe) {
		f.add("file", fe.Message)
		return wb.render(w, r, http.StatusUnprocessableEntity, name, page(r, f))
	}
	if err != nil {
		return err
	}
	if isHTMX(r) {
		// A redirect would be followed inside the XHR; the job page is a page of its own.
		hxRedirect(w, jobURL(j.ID))
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	redirect(w, r, jobURL(j.ID), "")
	return nil
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// attachment sets the headers of a downloaded file with a Chinese name (RFC 6266 filename*).
func attachment(w http.ResponseWriter, ctype, name, fallback string) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, fallback, url.PathEscape(name)))
	h.Set("Cache-Control", "no-store")
}

// importTemplate downloads the empty import workbook with its instructions sheet.
func (wb *Web) importTemplate(w http.ResponseWriter, r *http.Request) error {
	var buf bytes.Buffer
	if err := importer.WriteTemplate(&buf); err != nil {
		return err
	}
	attachment(w, xlsxType, wb.t("import.template.filename")+".xlsx", "households-template.xlsx")
	_, err := buf.WriteTo(w)
	return err
}

// exportHouseholds starts the export of the households of the list's filter (posted by the
// list's export button) as a background job and sends the browser to the job's page, which
// shows its progress and then offers the workbook (personal fields masked) as an audited
// download. A territory outside the scope is 404, as on the list.
func (wb *Web) exportHouseholds(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	v := r.PostForm
	var under int64
	if s := v.Get("territory"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return model.ErrNotFound
		}
		under = n
	}
	p := jobs.ExportParams{Territory: under, Q: strings.TrimSpace(v.Get("q")), Flag: v.Get("flag"), MovedOut: v.Get("moved_out") == "1"}
	name := wb.t("export.filename")
	if under != 0 {
		t, err := wb.st.Territory(ctx, sc, under)
		if err != nil {
			return err
		}
		name += "_" + t.Name
	} else if u := authz.UserFrom(ctx); u.ScopeName != "" {
		name += "_" + u.ScopeName
	}
	p.FileName = name + "_" + time.Now().In(model.Shanghai).Format("20060102") + ".xlsx"
	q, err := wb.queue()
	if err != nil {
		return err
	}
	j, err := q.SubmitHouseholdExport(ctx, sc, p)
	if err != nil {
		return err
	}
	redirect(w, r, jobURL(j.ID), "")
	return nil
}

// downloadHouseholds streams the households of a filter as .xlsx at once, personal fields
// masked: the direct download for scripts and links (the list's button starts the job
// instead). The workbook streams out as it is written.
func (wb *Web) downloadHouseholds(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	under, err := queryID(r, "territory")
	if err != nil {
		return err
	}
	f := store.HouseholdFilter{Under: under, Q: strings.TrimSpace(q.Get("q")), MovedOut: q.Get("moved_out") == "1"}
	if flag := q.Get("flag"); store.ValidHouseholdFlag(flag) {
		f.Flag = flag
	}
	name := wb.t("export.filename")
	if under != 0 {
		t, err := wb.st.Territory(r.Context(), scope(r), under)
		if err != nil {
			return err
		}
		name += "_" + t.Name
	} else if u := authz.UserFrom(r.Context()); u.ScopeName != "" {
		name += "_" + u.ScopeName
	}
	name += "_" + time.Now().In(model.Shanghai).Format("20060102") + ".xlsx"
	ow := &onceWriter{w: w, start: func() { attachment(w, xlsxType, name, "households.xlsx") }}
	err = importer.ExportHouseholds(r.Context(), wb.st, scope(r), f, ow, nil)
	if err != nil && ow.started {
		// Half a workbook is out; the broken download is all the client can be told.
		wb.log.ErrorContext(r.Context(), "export", "err", err)
		return nil
	}
	return err
}

// onceWriter sets the download headers just before the first byte, so an error before it can
// still become an error page.
type onceWriter struct {
	w       http.ResponseWriter
	start   func()
	started bool
}

func (o *onceWriter) Write(p []byte) (int, error) {
	if !o.started {
		o.started = true
		o.start()
	}
	return o.w.Write(p)
}
