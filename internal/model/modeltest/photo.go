// Package modeltest builds the values model tests and others need as input: photos made in code
// (none is committed as a file). It links no database driver, so that the model package's fuzz
// targets build without one.
package modeltest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// JPEG is a w×h JPEG of a deterministic pattern (tests and the demo build photos in code, none is
// committed as a file).
func JPEG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / max(w, 1)), uint8(y * 255 / max(h, 1)), 128, 255}) // #nosec G115 -- x < w and y < h: both at most 254
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// JPEGWithGPS is JPEG with an EXIF segment (APP1) whose GPS IFD places the picture at 31.78°N
// 104.74°E, as a phone camera writes it.
func JPEGWithGPS(tb testing.TB, w, h int) []byte {
	tb.Helper()
	plain := JPEG(tb, w, h)
	// TIFF, big-endian: IFD0 with one entry (GPSInfo → the GPS IFD), the GPS IFD with
	// GPSLatitudeRef "N", GPSLatitude (3 rationals), GPSLongitudeRef "E", GPSLongitude.
	var t bytes.Buffer
	be := binary.BigEndian
	w16 := func(v uint16) { _ = binary.Write(&t, be, v) }
	w32 := func(v uint32) { _ = binary.Write(&t, be, v) }
	t.WriteString("MM")
	w16(42)
	w32(8) // IFD0 at 8
	w16(1) // one entry
	w16(0x8825)
	w16(4) // LONG
	w32(1)
	w32(26) // GPS IFD at 8+2+12+4 = 26
	w32(0)  // no next IFD
	// GPS IFD at 26: 4 entries, then the rationals at 26+2+4*12+4 = 80.
	w16(4)
	w16(1) // GPSLatitudeRef
	w16(2) // ASCII
	w32(2)
	t.WriteString("N\x00\x00\x00")
	w16(2) // GPSLatitude
	w16(5) // RATIONAL
	w32(3)
	w32(80)
	w16(3) // GPSLongitudeRef
	w16(2)
	w32(2)
	t.WriteString("E\x00\x00\x00")
	w16(4) // GPSLongitude
	w16(5)
	w32(3)
	w32(104)
	w32(0)
	for _, r := range [][2]uint32{{31, 1}, {46, 1}, {4800, 100}, {104, 1}, {44, 1}, {2400, 100}} {
		w32(r[0])
		w32(r[1])
	}
	payload := append([]byte("Exif\x00\x00"), t.Bytes()...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)} // #nosec G115 -- the segment length's two bytes, big-endian; the payload is 130 bytes
	out := append([]byte{}, plain[:2]...)                                            // SOI
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, plain[2:]...)
}

// WebP is a small lossless WebP picture (golang.org/x/image's testdata gopher-doc.1bpp, BSD
// licence, 442 bytes).
func WebP(tb testing.TB) []byte {
	tb.Helper()
	b, err := base64.StdEncoding.DecodeString("UklGRrIBAABXRUJQVlA4TKUBAAAvSsAYAA8w//M///MfeJAkbXvaSG7m8Q3GfYSBJekwQztm/IcZlgwnmWImn2BK7aFmBtnVir6q//8VOkFE/xm4baTIu8c48ArEo6+B3zFKYln3pqClSCKX0begFTAXFOLXHSyF8cCNcZEG4OywuA4KVVfJCiArU7GAgJI8+lJP/OKMT/fBAjevg1cYB7YVkFuWga2lyPi5I0HFy5YTpWIHg0RZpkniRVW9odHAKOwosWuOGdxIyn2OvaCDvhg/we6TwadPBPbqBV58MsLmMJ8yZnOWk8SRz4N+QoyPL+MnamzMvcE1rHNEr91F9GKZPVUcS9w7PhhH36suB9qPeYb/oLk6cuTiJ0wOK3m5h1cKjW6EVZCYMK7dxcKCBdgP9HkKr9gkAO2P8GKZGWVdIAatQa+1IDpt6qyorVwdy01xdW8Jkfk6xjEXmVQQ+HQdFr6OKhIN34dXWq0+0qr6EJSCeeVLH9+gvGTLyqM65PQ44ihzlTXxQKjKbAvshXgir7Lil9w4L2bvMycmjQcqXaMCO6BlY28i+FOLzbfI1vEqxAhotocAAA==")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
