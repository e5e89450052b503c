package facilitate

import (
	"bytes"
	"errors"
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// qrModulePixels is the size of one QR module in the PNG: large enough to
// print on a poster or photograph from a projected screen.
const qrModulePixels = 10

// maxLinkLength bounds what QR and QRSVG encode; an invite link is short,
// and a QR code with more than this is too dense to scan from a poster.
const maxLinkLength = 1024

// ErrEmptyLink is returned by QR and QRSVG for an empty link.
var ErrEmptyLink = errors.New("facilitate: empty link")

func qrMatrix(link string) (*qrcode.QRCode, error) {
	if link == "" {
		return nil, ErrEmptyLink
	}
	if len(link) > maxLinkLength {
		return nil, fmt.Errorf("facilitate: link of %d bytes is longer than %d", len(link), maxLinkLength)
	}
	// Medium recovery (15%) survives a crease or a smudge on a poster and
	// keeps the code coarse enough for a phone across a room.
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("facilitate: qr code: %w", err)
	}
	return q, nil
}

// QR returns a PNG image of a QR code for link, black on white with the
// standard quiet zone, 10 pixels per module.
func QR(link string) (png []byte, err error) {
	q, err := qrMatrix(link)
	if err != nil {
		return nil, err
	}
	png, err = q.PNG(-qrModulePixels)
	if err != nil {
		return nil, fmt.Errorf("facilitate: qr png: %w", err)
	}
	return png, nil
}

// QRSVG returns the same QR code as QR as a scalable SVG document, for
// posters: one path of unit squares in a viewBox of the module grid
// (quiet zone included), so it prints sharp at any size.
func QRSVG(link string) ([]byte, error) {
	q, err := qrMatrix(link)
	if err != nil {
		return nil, err
	}
	bm := q.Bitmap()
	n := len(bm)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges">`+"\n"+
		`<rect width="%d" height="%d" fill="#fff"/>`+"\n"+`<path fill="#000" d="`, n, n, n*qrModulePixels, n*qrModulePixels, n, n)
	for y, row := range bm {
		// Runs of dark modules on a row become one rectangle each.
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	b.WriteString(`"/>` + "\n</svg>\n")
	return b.Bytes(), nil
}
