package model

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // registers PNG with image.Decode

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers WebP with image.Decode
)

// Photos people upload (issue 9: the joint activities' photos; every photo upload of the project
// goes through CheckPhoto). A photo is accepted only when it decodes as JPEG, PNG or WebP, and is
// never kept as sent: it is decoded and encoded again as a JPEG, which drops whatever rode along
// (EXIF with its GPS location, comments, an HTML or script payload of a polyglot file) and
// downscales a very large picture. What is stored and served is that JPEG, with its own content
// type, never sniffed, never HTML.
const (
	PhotoMax       = 8 << 20 // bytes of one photo as uploaded
	PhotosPerEntry = 6       // photos of one record
	PhotoLongest   = 2048    // pixels of the longest side kept; larger photos are scaled down
	// PhotoMaxPixels refuses pictures whose header promises more pixels than a phone camera
	// takes (a decompression bomb is a few KB that asks for gigabytes), before decoding them.
	PhotoMaxPixels = 50_000_000
	PhotoType      = "image/jpeg" // the content type of every stored photo
	photoQuality   = 85
)

// photoFormats are the formats image.Decode may name that a photo may be in. Other decoders
// registered in the program (GIF, BMP by some dependency) are refused.
var photoFormats = map[string]bool{"jpeg": true, "png": true, "webp": true}

// Photo is an accepted photo: the re-encoded JPEG and its size in pixels.
type Photo struct {
	Data          []byte
	ContentType   string
	Width, Height int
}

// CheckPhoto checks and re-encodes one uploaded photo; field names the form field for the
// error ("photos[2]"). It returns a *ValidationError that says what to do when the photo is
// empty, over PhotoMax, not a JPEG, PNG or WebP picture (an HTML page or a text file renamed
// .jpg, a truncated picture), or larger than PhotoMaxPixels.
func CheckPhoto(field string, data []byte) (*Photo, error) {
	bad := func(msg string) (*Photo, error) {
		return nil, &ValidationError{Fields: []FieldError{{Field: field, Message: msg}}}
	}
	switch {
	case len(data) == 0:
		return bad("照片是空的，请重新拍摄或选择照片")
	case len(data) > PhotoMax:
		// No size of its own: uploads are read up to one byte over PhotoMax (a 12 MB photo
		// said "8.0 MB").
		return bad(fmt.Sprintf("照片不能超过 %d MB，这张超过了，请压缩或换一张", PhotoMax>>20))
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || !photoFormats[format] {
		return bad("只能上传 JPG、PNG 或 WebP 格式的照片；这个文件不是照片（改了扩展名的文件也不行）")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > PhotoMaxPixels {
		return bad(fmt.Sprintf("照片尺寸过大（%d×%d 像素），请换一张不超过 5000 万像素的照片", cfg.Width, cfg.Height))
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return bad("照片已损坏或不完整，无法读取，请重新拍摄或选择照片")
	}
	out := orient(flattenPhoto(img), jpegOrientation(data))
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: photoQuality}); err != nil {
		return nil, fmt.Errorf("encode photo: %w", err)
	}
	b := out.Bounds()
	return &Photo{Data: buf.Bytes(), ContentType: PhotoType, Width: b.Dx(), Height: b.Dy()}, nil
}

// flattenPhoto draws img on white (JPEG has no transparency), scaled down so that its longest
// side is at most PhotoLongest.
func flattenPhoto(img image.Image) *image.RGBA {
	sb := img.Bounds()
	w, h := sb.Dx(), sb.Dy()
	if longest := max(w, h); longest > PhotoLongest {
		w = max(1, w*PhotoLongest/longest)
		h = max(1, h*PhotoLongest/longest)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	if w == sb.Dx() && h == sb.Dy() {
		draw.Draw(dst, dst.Bounds(), img, sb.Min, draw.Over)
	} else {
		draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, sb, draw.Over, nil)
	}
	return dst
}
