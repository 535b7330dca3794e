package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// ErrBadFile is matched (errors.Is) by every *FileError: the file as a whole cannot be imported.
var ErrBadFile = errors.New("bad import file")

// FileError is a problem with the file as a whole: not CSV or XLSX, unreadable, wrong columns,
// no data. Nothing was written. Message is client-safe Chinese that says how to fix it.
type FileError struct{ Message string }

func (e *FileError) Error() string { return e.Message }

// Is makes errors.Is(err, ErrBadFile) true.
func (e *FileError) Is(target error) bool { return target == ErrBadFile }

func fileErrorf(format string, args ...any) error {
	return &FileError{Message: fmt.Sprintf(format, args...)}
}

// MaxRows bounds the data rows of one file; larger files are refused before any checking.
const MaxRows = 1_000_000

const notSpreadsheet = "不是有效的CSV/XLSX文件"

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	utf8BOM  = []byte{0xEF, 0xBB, 0xBF}
)

// sheetName is the template's data sheet; a workbook without it is read from its first sheet.
const sheetName = "住户信息"

// notesSheet is the template's instructions sheet, never read as data.
const notesSheet = "填写说明"

// book is an opened import file that can be read from the top any number of times, so that
// the importer streams it twice (check, then write) instead of holding its rows.
type book struct {
	path    string
	xlsx    *excelize.File // nil for CSV
	sheet   string
	gb18030 bool
	comma   rune
}

// source yields a file's rows one at a time. The cells slice is only valid until the next call.
type source interface {
	// next returns the next row's cells and its row number as a spreadsheet shows it (the header
	// is row 1); io.EOF after the last row; a *FileError when the file is malformed.
	next() (row int, cells []string, err error)
	close() error
}

// openBook checks the file's extension and content and prepares it for reading. It returns a
// *FileError for anything that is not a readable CSV or XLSX file.
func openBook(path string) (*book, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".csv", ".xlsx":
	case ".xls":
		return nil, fileErrorf("不支持旧版 Excel（.xls）文件：请在 Excel 中“另存为”.xlsx 或 CSV 后再导入")
	default:
		return nil, fileErrorf("只能导入 .csv 或 .xlsx 文件，“%s”不是；请使用导入模板", filepath.Base(path))
	}
	f, err := os.Open(path) // #nosec G304 -- the operator's import file or our own saved upload
	if err != nil {
		return nil, err
	}
	sample := make([]byte, 64<<10)
	n, err := io.ReadFull(f, sample)
	f.Close()
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	sample = sample[:n]
	if n == 0 {
		return nil, fileErrorf("文件是空的：请使用导入模板填写后再导入")
	}
	b := &book{path: path, comma: ','}
	if ext == ".xlsx" {
		switch {
		case bytes.HasPrefix(sample, zipMagic):
		case bytes.HasPrefix(sample, oleMagic):
			return nil, fileErrorf("%s：这可能是旧版 .xls 文件或加了密码的工作簿，请在 Excel 中另存为不加密的 .xlsx", notSpreadsheet)
		default:
			return nil, fileErrorf("%s：扩展名是 .xlsx，但内容不是 Excel 工作簿", notSpreadsheet)
		}
		// Raw values: dates arrive as serial numbers we convert ourselves, not in the display
		// format of whoever saved the file; the size limit stops a zip bomb.
		x, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true, UnzipSizeLimit: 4 << 30})
		if err != nil {
			return nil, fileErrorf("%s：无法读取工作簿（%v），请在 Excel 中重新保存后再试", notSpreadsheet, err)
		}
		b.xlsx = x
		b.sheet = pickSheet(x.GetSheetList())
		if b.sheet == "" {
			x.Close()
			return nil, fileErrorf("%s：工作簿中没有工作表", notSpreadsheet)
		}
		return b, nil
	}
	if msg := binaryReason(sample); msg != "" {
		return nil, fileErrorf("%s：%s", notSpreadsheet, msg)
	}
	if !bytes.HasPrefix(sample, utf8BOM) && !validUTF8Prefix(sample, n == cap(sample)) {
		// Excel in China saves "CSV" in the ANSI code page: GBK, which GB18030 contains.
		b.gb18030 = true
	}
	if line, _, _ := bytes.Cut(sample, []byte("\n")); !bytes.ContainsRune(line, ',') && bytes.ContainsRune(line, '\t') {
		b.comma = '\t'
	}
	return b, nil
}

// pickSheet chooses the data sheet: the template's, else the first that is not instructions.
func pickSheet(names []string) string {
	for _, n := range names {
		if n == sheetName {
			return n
		}
	}
	for _, n := range names {
		if n != notesSheet {
			return n
		}
	}
	return ""
}

// binaryReason says why sample is not text, or "" when it looks like text.
func binaryReason(sample []byte) string {
	switch {
	case bytes.HasPrefix(sample, zipMagic):
		return "这是一个 Excel 工作簿（.xlsx），请把文件扩展名改为 .xlsx"
	case bytes.HasPrefix(sample, oleMagic):
		return "这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV"
	}
	control := 0
	for _, c := range sample {
		if c == 0 {
			return "文件含有二进制内容，不是文本表格"
		}
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' {
			control++
		}
	}
	if control > len(sample)/100 {
		return "文件含有大量控制字符，不是文本表格"
	}
	return ""
}

// validUTF8Prefix reports whether b is UTF-8, allowing a rune cut off at the end when b is
// only the first part of the file.
func validUTF8Prefix(b []byte, truncated bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if !truncated {
		return false
	}
	for i := 1; i < utf8.UTFMax && i < len(b); i++ {
		if utf8.Valid(b[:len(b)-i]) {
			return true
		}
	}
	return false
}

// rows starts a pass over the file from its first row.
func (b *book) rows() (source, error) {
	if b.xlsx != nil {
		r, err := b.xlsx.Rows(b.sheet)
		if err != nil {
			return nil, fileErrorf("%s：无法读取工作表“%s”（%v）", notSpreadsheet, b.sheet, err)
		}
		return &xlsxSource{rows: r}, nil
	}
	f, err := os.Open(b.path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	var in io.Reader = br
	if b.gb18030 {
		in = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	} else if bom, _ := br.Peek(3); bytes.Equal(bom, utf8BOM) {
		_, _ = br.Discard(3)
	}
	return newCSVSource(in, b.comma, f), nil
}

func (b *book) close() error {
	if b.xlsx != nil {
		return b.xlsx.Close()
	}
	return nil
}

// isXLSX reports whether cells come from a workbook (raw values: dates as serial numbers).
func (b *book) isXLSX() bool { return b.xlsx != nil }

type csvSource struct {
	r *csv.Reader
	c io.Closer
}

func newCSVSource(r io.Reader, comma rune, c io.Closer) *csvSource {
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	// Strict quotes: a lazy reader lets one stray quote swallow the rest of the file as a cell.
	cr.ReuseRecord = true
	return &csvSource{r: cr, c: c}
}

func (s *csvSource) next() (int, []string, error) {
	rec, err := s.r.Read()
	if err == io.EOF {
		return 0, nil, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return 0, nil, fileErrorf("第%d行：CSV 格式有误（%v），请用表格软件打开后重新另存为 CSV", pe.StartLine, pe.Err)
		}
		return 0, nil, err
	}
	line, _ := s.r.FieldPos(0)
	return line, rec, nil
}

func (s *csvSource) close() error {
	if s.c == nil {
		return nil
	}
	return s.c.Close()
}

type xlsxSource struct {
	rows *excelize.Rows
	n    int
}

func (s *xlsxSource) next() (int, []string, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return 0, nil, fileErrorf("%s：读取工作表出错（%v）", notSpreadsheet, err)
		}
		return 0, nil, io.EOF
	}
	// Next steps one row at a time, also over rows absent from the sheet (they read as empty),
	// so counting calls gives the row number Excel shows.
	s.n++
	cells, err := s.rows.Columns()
	if err != nil {
		return 0, nil, fileErrorf("第%d行：无法读取（%v）", s.n, err)
	}
	return s.n, cells, nil
}

func (s *xlsxSource) close() error { return s.rows.Close() }
