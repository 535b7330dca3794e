package importer

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpenXLSX feeds arbitrary bytes, saved as an .xlsx upload, to the workbook reader and
// reads every row: no panic, no hang; a file that is not a readable workbook is refused with
// a *FileError that says why.
func FuzzOpenXLSX(f *testing.F) {
	var tmpl bytes.Buffer
	if err := WriteTemplate(&tmpl); err != nil {
		f.Fatal(err)
	}
	f.Add(tmpl.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"))
	f.Add([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1})
	f.Add([]byte("地址,姓名\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "upload.xlsx")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := openBook(path)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.Message == "" {
				t.Fatalf("openBook error %v is not a *FileError with a message", err)
			}
			return
		}
		defer b.close()
		src, err := b.rows()
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("rows error %v is not a *FileError", err)
			}
			return
		}
		defer src.close()
		for i := 0; i < 100000; i++ {
			if _, _, err := src.next(); err != nil {
				return
			}
		}
	})
}
