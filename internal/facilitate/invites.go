package facilitate

import (
	"context"
	"fmt"
	"html/template"
	"io"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/invite"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/store"
)

// MakeInvites makes n fresh invite codes for an invite-only consultation
// and stores only their keyed hashes. The codes are returned once: print
// them now, they cannot be read back.
func MakeInvites(ctx context.Context, st *store.Store, keys *privacy.Keys, s *dialogs.Script, n int) ([]string, error) {
	if s == nil {
		return nil, fmt.Errorf("invites: no such consultation")
	}
	if s.Access != dialogs.AccessInvite {
		return nil, fmt.Errorf("invites: %s is not invite-only (add 'access: invite' to its script)", s.ID)
	}
	if n < 1 || n > invite.MaxBatch {
		return nil, fmt.Errorf("invites: count must be 1 to %d", invite.MaxBatch)
	}
	codes := make([]string, 0, n)
	hashes := make([]string, 0, n)
	seen := make(map[string]bool, n)
	for len(codes) < n {
		c := invite.New()
		if seen[c] {
			continue
		}
		seen[c] = true
		codes = append(codes, c)
		hashes = append(hashes, keys.InviteCode(s.ID, c))
	}
	if _, err := st.AddInvites(ctx, s.ID, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

// Card is one printable invitation.
type Card struct {
	Code string // as printed, "K7QM4-XPD9R"
	// Links are the ways in: the Telegram deep link (/start CODE), the web
	// chat link (?c=CODE), Discord instructions.
	Links []CardLink
	// QR is an SVG QR code of the first link, or empty.
	QR template.HTML
}

// CardLink is one way to answer with a card.
type CardLink struct{ Name, URL, Text string }

// CardSheet is a printable page of cards.
type CardSheet struct {
	Lang, Dir, Title, Note, CodeLabel, How string
	Cards                                  []Card
}

// NewCards builds the cards of codes. link returns, for a code, the links
// of each platform (name -> URL, or instructions when there is no URL), in
// the order given by names.
func NewCards(codes []string, names []string, link func(name, code string) (url, instructions string)) ([]Card, error) {
	cards := make([]Card, 0, len(codes))
	for _, c := range codes {
		card := Card{Code: invite.Format(c)}
		for _, name := range names {
			u, text := link(name, c)
			if u == "" && text == "" {
				continue
			}
			card.Links = append(card.Links, CardLink{Name: name, URL: u, Text: text})
			if card.QR == "" && u != "" {
				svg, err := QRSVG(u)
				if err != nil {
					return nil, err
				}
				card.QR = template.HTML(svg) // our own SVG, made from a URL we built
			}
		}
		cards = append(cards, card)
	}
	return cards, nil
}

// CardsCSP is the Content-Security-Policy of the card sheet: its own
// inline style (so the saved file prints alone), nothing else.
const CardsCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

var cardsTmpl = template.Must(template.New("cards").Parse(`<!doctype html>
<html lang="{{.Lang}}" dir="{{.Dir}}">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1rem;color:#000;background:#fff}
.note{border:2px solid #000;padding:.5rem;margin-bottom:1rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:.5rem}
.card{border:1px dashed #000;padding:.75rem;break-inside:avoid;page-break-inside:avoid}
.card svg{width:8rem;height:8rem;display:block}
.code{font:700 1.6rem/1.2 ui-monospace,monospace;letter-spacing:.1em}
.links{font-size:.8rem;overflow-wrap:anywhere}
@media print{.note{display:none}body{margin:0}}
</style></head>
<body>
<h1>{{.Title}}</h1>
<p class="note">{{.Note}}</p>
<div class="cards">
{{range .Cards}}<section class="card">
{{.QR}}
<p>{{$.CodeLabel}}: <span class="code">{{.Code}}</span></p>
<p>{{$.How}}</p>
<ul class="links">{{range .Links}}<li>{{.Name}}: {{if .URL}}{{.URL}}{{else}}{{.Text}}{{end}}</li>{{end}}</ul>
</section>
{{end}}</div>
</body></html>
`))

// WriteCards writes the printable card sheet.
func WriteCards(w io.Writer, sheet CardSheet) error {
	return cardsTmpl.Execute(w, sheet)
}
