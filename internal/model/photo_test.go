package model_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
)

func TestCheckPhoto(t *testing.T) {
	t.Parallel()
	jpg := modeltest.JPEG(t, 64, 48)
	big := modeltest.JPEG(t, 400, 300)
	var pngBuf bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, 30, 20))
	img.Set(1, 1, color.NRGBA{255, 0, 0, 128})
	if err := png.Encode(&pngBuf, img); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "空的"},
		{"oversized", append(append([]byte{}, jpg...), make([]byte, model.PhotoMax)...), "不能超过 8 MB，这张超过了"},
		{"not an image", []byte("just some text, not a picture at all"), "不是照片"},
		{"HTML renamed .jpg", []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"), "不是照片"},
		{"HTML with a JPEG appended", append([]byte("<html><script>alert(1)</script></html>"), jpg...), "不是照片"},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "不是照片"},
		{"truncated JPEG", big[:len(big)*3/4], "损坏"},
	}
	for _, c := range bad {
		p, err := model.CheckPhoto("photos[0]", c.data)
		var v *model.ValidationError
		if !errors.As(err, &v) || v.Fields[0].Field != "photos[0]" || !strings.Contains(v.Fields[0].Message, c.want) {
			t.Errorf("%s: CheckPhoto = %v, %v; want a photos[0] error with %q", c.name, p, err, c.want)
		}
	}
	good := []struct {
		name string
		data []byte
		w, h int
	}{
		{"JPEG", jpg, 64, 48},
		{"PNG with transparency", pngBuf.Bytes(), 30, 20},
		{"WebP", modeltest.WebP(t), 0, 0},
		{"JPEG with EXIF GPS", modeltest.JPEGWithGPS(t, 40, 30), 40, 30},
		{"large JPEG, scaled down", modeltest.JPEG(t, 3000, 1500), model.PhotoLongest, model.PhotoLongest / 2},
		// A polyglot: a real JPEG that carries an HTML page after its end. It is a picture,
		// so it is accepted, but only the picture survives the re-encoding.
		{"JPEG carrying HTML", append(append([]byte{}, jpg...), []byte("<html><script>alert(1)</script></html>")...), 64, 48},
	}
	for _, c := range good {
		p, err := model.CheckPhoto("photos[0]", c.data)
		if err != nil {
			t.Errorf("%s: CheckPhoto = %v", c.name, err)
			continue
		}
		if p.ContentType != "image/jpeg" || !bytes.HasPrefix(p.Data, []byte{0xFF, 0xD8, 0xFF}) {
			t.Errorf("%s: stored %s starting % x, want a JPEG", c.name, p.ContentType, p.Data[:4])
		}
		if c.w != 0 && (p.Width != c.w || p.Height != c.h) {
			t.Errorf("%s: %d×%d, want %d×%d", c.name, p.Width, p.Height, c.w, c.h)
		}
		for _, leak := range []string{"Exif", "MM\x00\x2a", "<html", "<script", "\xFF\xE1"} {
			if bytes.Contains(p.Data, []byte(leak)) {
				t.Errorf("%s: the stored photo still holds %q", c.name, leak)
			}
		}
		if _, _, err := image.Decode(bytes.NewReader(p.Data)); err != nil {
			t.Errorf("%s: the stored photo does not decode: %v", c.name, err)
		}
	}
	if !bytes.Contains(modeltest.JPEGWithGPS(t, 40, 30), []byte("Exif\x00\x00MM")) {
		t.Fatal("the fixture carries no EXIF")
	}
}
