package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/importer"
	"gongzhi/internal/store"
)

// importData is the upload form and, after an upload, its result.
type importData struct {
	Page
	Form       *Form
	MaxMB      int64
	Report     *importer.Report
	FileName   string
	Errors     []importer.RowError // the first maxShownErrors of Report.Errors
	MoreErrors int                 // errors not shown
	Rejects    template.URL        // data: URL of the set-aside rows, "" when none or too large
}

// Outcome names the result banner: done, partial (bad households set aside) or rejected.
func (d *importData) Outcome() string {
	switch {
	case d.Report == nil:
		return ""
	case !d.Report.Written:
		return "rejected"
	case d.Report.RejectedHouseholds > 0:
		return "partial"
	}
	return "done"
}

const (
	maxShownErrors = 1000
	maxRejectsSize = 2 << 20 // offered inline as a download; larger files are only listed
	multipartMem   = 8 << 20 // the rest of an upload spills to a temporary file
)

func (wb *Web) importPage(r *http.Request, f *Form) *importData {
	d := &importData{Page: wb.base(r, wb.t("import.title"), "import"), Form: f, MaxMB: wb.opts.MaxUploadBytes >> 20}
	d.Crumbs = wb.scopeCrumbs(r, territoryURL)
	if f.Invalid() {
		d.Failed = f
	}
	return d
}

// importForm shows the upload form.
func (wb *Web) importForm(w http.ResponseWriter, r *http.Request) error {
	f := newForm("import", nil, "file")
	return wb.render(w, r, http.StatusOK, "import", wb.importPage(r, f))
}

// importHouseholds imports an uploaded .csv or .xlsx synchronously, within the request, and
// shows every bad row with its number, column and reason. The file lives in a temporary
// directory for the length of the request only.
func (wb *Web) importHouseholds(w http.ResponseWriter, r *http.Request) error {
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
		return wb.render(w, r, http.StatusUnprocessableEntity, "import", wb.importPage(r, f))
	}
	defer r.MultipartForm.RemoveAll()
	skip := r.PostForm.Get("skip_invalid") != ""
	if skip {
		f.Values.Set("skip_invalid", "1")
	}
	file, header, err := r.FormFile("file")
	if err != nil {
		f.add("file", wb.t("import.file.missing"))
		return wb.render(w, r, http.StatusUnprocessableEntity, "import", wb.importPage(r, f))
	}
	defer file.Close()
	if ext := strings.ToLower(filepath.Ext(header.Filename)); ext != ".csv" && ext != ".xlsx" {
		f.add("file", wb.t("import.file.type"))
		return wb.render(w, r, http.StatusUnprocessableEntity, "import", wb.importPage(r, f))
	}
	dir, err := os.MkdirTemp("", "gongzhi-import-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	report, err := importer.ImportHouseholdsReader(r.Context(), wb.st, dir, header.Filename, file,
		importer.Options{Scope: scope(r), SkipInvalid: skip})
	var fe *importer.FileError
	switch {
	case errors.As(err, &fe):
		f.add("file", fe.Message)
		return wb.render(w, r, http.StatusUnprocessableEntity, "import", wb.importPage(r, f))
	case err != nil && !errors.Is(err, importer.ErrInvalidRows):
		return err
	}
	d := wb.importPage(r, f)
	d.Report, d.FileName = report, filepath.Base(header.Filename)
	d.Errors = report.Errors
	if len(d.Errors) > maxShownErrors {
		d.Errors, d.MoreErrors = d.Errors[:maxShownErrors], len(report.Errors)-maxShownErrors
	}
	if report.RejectsPath != "" {
		// Nothing outlives the request on the server (instances share no disk), so the rows set
		// aside travel to the browser inside the page as a download link.
		// #nosec G703 -- RejectsPath is the file the importer wrote in our own temporary directory
		if b, err := os.ReadFile(report.RejectsPath); err == nil && len(b) <= maxRejectsSize {
			// Built here from our own bytes, so the data: URL html/template would refuse is safe.
			// #nosec G203 -- base64 of our own rejects file: the data: URL cannot carry markup
			d.Rejects = template.URL("data:text/csv;charset=utf-8;base64," + base64.StdEncoding.EncodeToString(b))
		}
	}
	if report.Written {
		wb.log.InfoContext(r.Context(), "import", "user", scope(r).UserID, "households", report.Households,
			"residents", report.Residents, "rejected", report.RejectedHouseholds)
	}
	status := http.StatusOK
	if !report.Written {
		status = http.StatusUnprocessableEntity
	}
	return wb.render(w, r, status, "import_result", d)
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

// exportHouseholds downloads the households of the list's filter as .xlsx, personal fields
// masked. The workbook streams out as it is written.
func (wb *Web) exportHouseholds(w http.ResponseWriter, r *http.Request) error {
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
	name += "_" + time.Now().In(shanghai).Format("20060102") + ".xlsx"
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
