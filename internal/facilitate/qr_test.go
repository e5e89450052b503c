package facilitate

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatalf("binary bitmap: %v", err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("decode qr: %v", err)
	}
	return res.GetText()
}

var qrLinks = []string{
	"https://t.me/baraza_bot?start=night-safety",
	"https://baraza.example.org/chat?c=night-safety",
	"http://127.0.0.1:8080/chat?c=a",
	"https://example.org/chat?c=" + strings.Repeat("x", 300),
}

func TestQRDecodesToLink(t *testing.T) {
	for _, link := range qrLinks {
		t.Run(link[:20], func(t *testing.T) {
			data, err := QR(link)
			if err != nil {
				t.Fatalf("QR: %v", err)
			}
			if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
				t.Fatalf("QR: got %q..., want a PNG signature", data[:8])
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("png decode: %v", err)
			}
			if got := decodeQR(t, img); got != link {
				t.Errorf("decoded %q, want %q", got, link)
			}
		})
	}
}

var svgRun = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// rasterSVG draws QRSVG's output the way a renderer would: its viewBox
// grid, white background, each path run black, scale pixels per module.
func rasterSVG(t *testing.T, svg []byte, scale int) image.Image {
	t.Helper()
	m := regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`).FindSubmatch(svg)
	if m == nil {
		t.Fatalf("svg has no viewBox: %.200s", svg)
	}
	n, _ := strconv.Atoi(string(m[1]))
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	runs := svgRun.FindAllSubmatch(svg, -1)
	if len(runs) == 0 {
		t.Fatalf("svg has no dark modules")
	}
	for _, r := range runs {
		x, _ := strconv.Atoi(string(r[1]))
		y, _ := strconv.Atoi(string(r[2]))
		w, _ := strconv.Atoi(string(r[3]))
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
	}
	return img
}

func TestQRSVGDecodesToLink(t *testing.T) {
	for _, link := range qrLinks {
		t.Run(link[:20], func(t *testing.T) {
			svg, err := QRSVG(link)
			if err != nil {
				t.Fatalf("QRSVG: %v", err)
			}
			if !bytes.Contains(svg, []byte(`<svg xmlns="http://www.w3.org/2000/svg"`)) {
				t.Fatalf("QRSVG: got %.100q, want an SVG document", svg)
			}
			if got := decodeQR(t, rasterSVG(t, svg, 6)); got != link {
				t.Errorf("decoded %q, want %q", got, link)
			}
		})
	}
}

func TestQRRefusesBadLinks(t *testing.T) {
	tests := []struct {
		name string
		link string
	}{
		{"empty", ""},
		{"too long", "https://example.org/" + strings.Repeat("a", maxLinkLength)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := QR(tt.link); err == nil {
				t.Errorf("QR: got no error, want one")
			}
			if _, err := QRSVG(tt.link); err == nil {
				t.Errorf("QRSVG: got no error, want one")
			}
		})
	}
	if _, err := QR(""); !errors.Is(err, ErrEmptyLink) {
		t.Errorf("QR(\"\"): got %v, want ErrEmptyLink", err)
	}
}
