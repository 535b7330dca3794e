package model

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// jpegWithOrientation is a w×h JPEG, its left half red and right half blue, with an EXIF
// segment carrying Orientation o in the byte order bo.
func jpegWithOrientation(t *testing.T, w, h, o int, bo binary.ByteOrder) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 255, A: 255}
			if x >= w/2 {
				c = color.RGBA{B: 255, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	var tiff bytes.Buffer
	if bo == binary.LittleEndian {
		tiff.WriteString("II")
	} else {
		tiff.WriteString("MM")
	}
	for _, v := range []any{uint16(42), uint32(8), uint16(2),
		uint16(0x010F), uint16(2), uint32(4), []byte("Pho\x00"), // Make, ASCII: an entry before ours
		uint16(0x0112), uint16(3), uint32(1), uint16(o), uint16(0), uint32(0)} {
		_ = binary.Write(&tiff, bo, v)
	}
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	b := plain.Bytes()
	out := append([]byte{}, b[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, b[2:]...)
}

// TestPhotoOrientation: a portrait photo as phones store it (landscape pixels, EXIF Orientation
// 6) is stored upright, its left half on top; the other orientations turn or mirror likewise.
func TestPhotoOrientation(t *testing.T) {
	red := func(c color.Color) bool { r, _, b, _ := c.RGBA(); return r > 0xC000 && b < 0x4000 }
	blue := func(c color.Color) bool { r, _, b, _ := c.RGBA(); return b > 0xC000 && r < 0x4000 }
	for _, c := range []struct {
		o           int
		w, h        int
		first, last image.Point // a pixel expected red, one expected blue
		bo          binary.ByteOrder
	}{
		{1, 64, 32, image.Pt(4, 16), image.Pt(60, 16), binary.BigEndian},
		{2, 64, 32, image.Pt(60, 16), image.Pt(4, 16), binary.LittleEndian}, // mirrored
		{3, 64, 32, image.Pt(60, 16), image.Pt(4, 16), binary.BigEndian},
		{6, 32, 64, image.Pt(16, 4), image.Pt(16, 60), binary.LittleEndian}, // portrait: left half on top
		{8, 32, 64, image.Pt(16, 60), image.Pt(16, 4), binary.BigEndian},
	} {
		p, err := CheckPhoto("photo", jpegWithOrientation(t, 64, 32, c.o, c.bo))
		if err != nil {
			t.Fatalf("orientation %d: %v", c.o, err)
		}
		if p.Width != c.w || p.Height != c.h {
			t.Errorf("orientation %d: %d×%d, want %d×%d", c.o, p.Width, p.Height, c.w, c.h)
			continue
		}
		img, err := jpeg.Decode(bytes.NewReader(p.Data))
		if err != nil {
			t.Fatal(err)
		}
		if !red(img.At(c.first.X, c.first.Y)) || !blue(img.At(c.last.X, c.last.Y)) {
			t.Errorf("orientation %d: %v at %v and %v at %v", c.o, img.At(c.first.X, c.first.Y), c.first, img.At(c.last.X, c.last.Y), c.last)
		}
	}
	// Garbage after the marker or a truncated segment is read as "no orientation".
	for _, b := range [][]byte{{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}, {0xFF, 0xD8}, []byte("not a jpeg")} {
		if o := jpegOrientation(b); o != 1 {
			t.Errorf("jpegOrientation(%x) = %d", b, o)
		}
	}
}
