package importer

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// ErrInvalidRows is returned (errors.Is) with a Report whose Errors list every bad row when a
// file has bad rows and Options.SkipInvalid is false. Nothing was written.
var ErrInvalidRows = errors.New("import file has invalid rows; nothing written")

// Progress stages. Progress is called every few thousand rows and once at the end of a stage.
const (
	// StageCheck is the first pass: done rows checked; total is 0, not known before the end.
	StageCheck = "check"
	// StageWrite is the second pass: done rows written or set aside, of total data rows.
	StageWrite = "write"
	// StageExport is an export: done households written, of total.
	StageExport = "export"
)

const progressEvery = 2000

// Options control an import.
type Options struct {
	// Scope is the importer: every 所属节点 must lie in it. authz.System() for the operator's
	// command line.
	Scope authz.Scope
	// SkipInvalid writes the households whose rows are all good and sets aside every household
	// with a bad row, rows and reasons, in Report.RejectsPath. Without it, one bad row means
	// nothing is written.
	SkipInvalid bool
	// Progress, when not nil, is told how far the import is (see the Stage constants).
	Progress func(stage string, done, total int)
	// Commit, when not nil, is called inside the write transaction after the last row, with
	// the report (Written set, the rejects file complete): a job records its outcome there, so
	// that it commits with the rows or not at all. Its error rolls everything back. It is not
	// called when nothing is written.
	Commit func(tx *store.Tx, rep *Report) error
}

// Report is the outcome of an import.
type Report struct {
	Rows       int  // data rows in the file; blank rows are not counted
	Households int  // households whose rows all passed; these were written when Written
	Residents  int  // residents in those households
	Written    bool // the good households are in the database
	// Errors lists every problem, ordered by row and column.
	Errors []RowError
	// RejectedHouseholds and RejectedRows count what SkipInvalid set aside.
	RejectedHouseholds int
	RejectedRows       int
	// RejectsPath is the CSV beside the input holding the set-aside rows with an extra
	// 错误原因 column (fix them there and import that file); "" when nothing was set aside.
	RejectsPath string
}

// Summary is a one-line Chinese account of the report for the command line and the pages.
func (r *Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "共%d行", r.Rows)
	switch {
	case r.Written:
		fmt.Fprintf(&b, "，已导入%d户、%d人", r.Households, r.Residents)
	case len(r.Errors) > 0:
		fmt.Fprintf(&b, "，发现%d处错误，未写入任何数据", len(r.Errors))
	default:
		fmt.Fprintf(&b, "，%d户、%d人", r.Households, r.Residents)
	}
	if r.RejectedHouseholds > 0 {
		fmt.Fprintf(&b, "；有错误的%d户（%d行）未导入", r.RejectedHouseholds, r.RejectedRows)
		if r.RejectsPath != "" {
			fmt.Fprintf(&b, "，已另存到 %s", filepath.Base(r.RejectsPath))
		}
	}
	return b.String()
}

// ImportHouseholds imports the households in the .csv or .xlsx file at path (layout in the
// package doc) into the territories named in it, all of which must lie in opts.Scope.
//
// It reads the file twice and never holds its rows: the first pass checks every row and
// collects every error; the second writes in one transaction through store.Bulk. It returns:
//   - a *FileError (errors.Is ErrBadFile) when the file is not CSV/XLSX, unreadable, has
//     wrong columns or no data rows; the report is nil and nothing is written;
//   - the report and ErrInvalidRows when a row is bad and !opts.SkipInvalid; nothing is written;
//   - the report and nil otherwise; with SkipInvalid the bad households are in RejectsPath;
//   - another error when the database fails or ctx ends; nothing is written.
func ImportHouseholds(ctx context.Context, st *store.Store, path string, opts Options) (*Report, error) {
	b, err := openBook(path)
	if err != nil {
		return nil, err
	}
	defer b.close()
	progress := opts.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}

	// Pass 1: check.
	c, headerCells, err := checkFile(ctx, st, b, opts.Scope, progress)
	if err != nil {
		return nil, err
	}
	rep := &Report{Rows: c.rows, Errors: c.errs}
	for i := range c.households {
		if hh := &c.households[i]; hh.bad() {
			rep.RejectedHouseholds++
			rep.RejectedRows += hh.members
		} else {
			rep.Households++
			rep.Residents += hh.members
		}
	}
	if len(c.errs) > 0 && !opts.SkipInvalid {
		rep.RejectedHouseholds, rep.RejectedRows = 0, 0
		return rep, ErrInvalidRows
	}

	// Pass 2: write the good households, set the bad ones aside.
	w := &writer{c: c, book: b, progress: progress, total: c.rows}
	if rep.RejectedHouseholds > 0 {
		rep.RejectsPath = rejectsPath(path)
		if err := w.openRejects(rep.RejectsPath, headerCells); err != nil {
			return nil, err
		}
	}
	if rep.Households > 0 {
		err = st.Bulk(ctx, func(bulk *store.Bulk) error {
			bulk.RecordEvents("imported", opts.Scope.UserID)
			bulk.AuditAs(opts.Scope)
			w.bulk = bulk
			if err := w.run(ctx); err != nil || opts.Commit == nil {
				return err
			}
			if err := w.closeRejects(); err != nil {
				return err
			}
			rep.Written = true
			return opts.Commit(bulk.Tx(), rep)
		})
		if errors.Is(err, model.ErrConflict) {
			err = fmt.Errorf("写入时发现有身份证号刚被登记（可能有人同时在录入），未写入任何数据，请重新导入: %w", err)
		}
	} else {
		err = w.run(ctx)
	}
	if cerr := w.closeRejects(); err == nil {
		err = cerr
	}
	if err != nil {
		if rep.RejectsPath != "" {
			os.Remove(rep.RejectsPath)
		}
		rep.Written = false
		return nil, err
	}
	rep.Written = rep.Households > 0
	if rep.Written {
		if err := st.Analyze(ctx); err != nil {
			return rep, err
		}
	}
	progress(StageWrite, c.rows, c.rows)
	return rep, nil
}

// CheckFile checks, before an import is queued, that the file at path is a CSV or XLSX file
// whose first row holds the layout's columns. It returns a *FileError saying what is wrong
// (the same words ImportHouseholds would use), or nil; it reads no further than the header.
func CheckFile(path string) error {
	b, err := openBook(path)
	if err != nil {
		return err
	}
	defer b.close()
	src, err := b.rows()
	if err != nil {
		return err
	}
	defer src.close()
	_, _, err = readHeader(src)
	return err
}

// checkFile is the first pass: it checks every row of b and returns the checker's state and
// the header row as read.
func checkFile(ctx context.Context, st *store.Store, b *book, sc authz.Scope, progress func(string, int, int)) (*checker, []string, error) {
	src, err := b.rows()
	if err != nil {
		return nil, nil, err
	}
	defer src.close()
	h, headerCells, err := readHeader(src)
	if err != nil {
		return nil, nil, err
	}
	res := newResolver(ctx, st, sc)
	c := newChecker(h, b.isXLSX(), time.Now(), res.resolve, func(ids []string) (map[string]store.IDCollision, error) {
		return st.CheckIDNumbers(ctx, sc, ids)
	}, func(attempts []store.IDConflictAttempt) error {
		_, err := st.RecordIDConflicts(ctx, sc, attempts)
		return err
	})
	for {
		row, cells, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if blank(cells) {
			continue
		}
		if c.rows >= MaxRows {
			return nil, nil, fileErrorf("文件超过%d行，请拆分成几个文件分别导入", MaxRows)
		}
		if err := c.check(row, cells); err != nil {
			return nil, nil, err
		}
		if c.rows%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			progress(StageCheck, c.rows, 0)
		}
	}
	if err := c.finish(); err != nil {
		return nil, nil, err
	}
	progress(StageCheck, c.rows, 0)
	if c.rows == 0 {
		return nil, nil, fileErrorf("文件中只有列名，没有数据行：请从第2行起每行填写一位居民")
	}
	return c, headerCells, nil
}

// readHeader reads the first row and matches it against the layout. The header must be row 1.
func readHeader(src source) (header, []string, error) {
	_, cells, err := src.next()
	if err == io.EOF {
		return header{}, nil, fileErrorf("文件是空的：请使用导入模板填写后再导入")
	}
	if err != nil {
		return header{}, nil, err
	}
	h, err := parseHeader(cells)
	return h, append([]string(nil), cells...), err
}

// errChanged: the second pass read something the first did not check.
var errChanged = errors.New("文件在检查之后被改动了，未写入任何数据，请重新导入")

// rejectsPath is NAME.rejects.csv beside NAME.EXT.
func rejectsPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".rejects.csv"
}

// writer is the second pass.
type writer struct {
	c        *checker
	book     *book
	bulk     *store.Bulk // nil when no household is good
	progress func(string, int, int)
	total    int

	rejects     *csv.Writer
	rejectsFile *os.File
	reasonCol   int // index of 错误原因 in a rejects row
	width       int
	errAt       int // next error of c.errs to consider
}

func (w *writer) run(ctx context.Context) error {
	src, err := w.book.rows()
	if err != nil {
		return err
	}
	defer src.close()
	if _, _, err := src.next(); err != nil { // the header
		return err
	}
	var seg segmenter
	var hhID int64
	done := 0
	for {
		row, cells, err := src.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if blank(cells) {
			continue
		}
		done++
		if done%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			w.progress(StageWrite, done, w.total)
		}
		idx, first := seg.next(w.c.h.cell(cells, colKey))
		if idx >= len(w.c.households) {
			return errChanged
		}
		hh := &w.c.households[idx]
		if hh.bad() {
			if err := w.reject(row, cells, hh); err != nil {
				return err
			}
			continue
		}
		if first {
			h := &model.Household{TerritoryID: hh.territoryID, Address: hh.address, HeadName: hh.head, Members: hh.members, Flags: hh.flags}
			if hh.movedIn != "" {
				t, _ := time.Parse(time.DateOnly, hh.movedIn)
				h.MovedInAt = &t
			}
			if err := w.bulk.AddHousehold(h); err != nil {
				return err
			}
			hhID = h.ID
		}
		in, problems := parseResident(&w.c.h, cells, w.c.fromXLSX, w.c.now)
		if len(problems) > 0 {
			// The first pass passed this row; a file that changed in between is not imported.
			return fmt.Errorf("第%d行（%s）: %w", row, problems[0].msg, errChanged)
		}
		r := &model.Resident{HouseholdID: hhID, TerritoryID: hh.territoryID, Name: in.Name, Gender: in.Gender,
			BirthDate: in.Birth(), Phone: model.NewPhone(in.Phone), IDNumber: model.NewIDNumber(in.IDNumber), Relation: in.Relation,
			PoliticalStatus: in.PoliticalStatus, Occupation: in.Occupation}
		if err := w.bulk.AddResident(r); err != nil {
			return err
		}
	}
}

func (w *writer) openRejects(path string, headerCells []string) error {
	f, err := os.Create(path) // #nosec G304 -- the caller (operator's CLI flag or our own temp dir) names the rejects file
	if err != nil {
		return err
	}
	// A BOM so that Excel opens the UTF-8 file with the right encoding.
	if _, err := f.Write(utf8BOM); err != nil {
		f.Close()
		return err
	}
	w.rejectsFile, w.rejects = f, csv.NewWriter(f)
	hdr := append([]string(nil), headerCells...)
	w.reasonCol = -1
	for i, c := range hdr {
		if normalizeHeader(c) == reasonHeader {
			w.reasonCol = i
		}
	}
	if w.reasonCol < 0 {
		w.reasonCol = len(hdr)
		hdr = append(hdr, reasonHeader)
	}
	w.width = len(hdr)
	return w.rejects.Write(hdr)
}

// reject writes one row of a bad household with its reasons.
func (w *writer) reject(row int, cells []string, hh *household) error {
	if w.rejects == nil {
		return nil
	}
	var reasons []string
	for w.errAt < len(w.c.errs) && w.c.errs[w.errAt].Row < row {
		w.errAt++
	}
	for i := w.errAt; i < len(w.c.errs) && w.c.errs[i].Row == row; i++ {
		e := w.c.errs[i]
		if e.Column != "" {
			reasons = append(reasons, e.Column+"："+e.Message)
		} else {
			reasons = append(reasons, e.Message)
		}
	}
	if len(reasons) == 0 {
		reasons = append(reasons, fmt.Sprintf("同户第%d行有错误，整户未导入", hh.errRow))
	}
	out := make([]string, w.width)
	copy(out, cells)
	if w.c.fromXLSX {
		// Dates were read raw (Excel serial numbers); give them back readable.
		for _, col := range []column{colBirth, colMovedIn} {
			if i := w.c.h[col]; i >= 0 && i < len(out) {
				out[i] = normDate(trimCell(out[i]), true)
			}
		}
	}
	out[w.reasonCol] = fmt.Sprintf("第%d行 ", row) + strings.Join(reasons, "；")
	return w.rejects.Write(out)
}

// closeRejects flushes and closes the rejects file; a second call does nothing.
func (w *writer) closeRejects() error {
	if w.rejects == nil {
		return nil
	}
	w.rejects.Flush()
	err := w.rejects.Error()
	if cerr := w.rejectsFile.Close(); err == nil {
		err = cerr
	}
	w.rejects = nil
	return err
}

// reasonHeader is the extra column of a rejects file; an import ignores it, so a fixed rejects
// file can be imported as it is.
const reasonHeader = "错误原因"

// SaveUpload copies an uploaded file r, named name by the browser, into dir under a safe name
// with the same extension, and returns its path for ImportHouseholds. A rejects file, if any,
// is written beside it. The caller owns dir and removes it when done.
func SaveUpload(dir, name string, r io.Reader) (string, error) {
	base := filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if base == "." || base == ".." || base == "/" {
		base = "upload"
	}
	ext := strings.ToLower(filepath.Ext(base))
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	stem = strings.Map(func(r rune) rune {
		if r < 0x20 || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, stem)
	if stem == "" || stem == "." || stem == ".." {
		stem = "upload"
	}
	path := filepath.Join(dir, stem+ext)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- path is our temp dir plus a sanitized stem
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(path)
		return "", err
	}
	return path, f.Close()
}

// ImportHouseholdsReader is SaveUpload followed by ImportHouseholds, for the upload page.
func ImportHouseholdsReader(ctx context.Context, st *store.Store, dir, name string, r io.Reader, opts Options) (*Report, error) {
	path, err := SaveUpload(dir, name, r)
	if err != nil {
		return nil, err
	}
	return ImportHouseholds(ctx, st, path, opts)
}
