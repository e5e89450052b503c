package facilitate

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/baraza/baraza/adapters/webchat"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/testenv"
)

// webReply is the web chat's JSON answer, the fields these tests read.
type webReply struct {
	Notice   string `json:"notice"`
	Messages []struct {
		Text      string `json:"text"`
		Image     string `json:"image"`
		ImageName string `json:"image_name"`
		Buttons   []struct {
			Label string `json:"label"`
		} `json:"buttons"`
	} `json:"messages"`
}

// without ids, which derive from each request's nonce.
func (r webReply) String() string {
	var b strings.Builder
	for _, m := range r.Messages {
		fmt.Fprintf(&b, "%s|%s|%d|", m.Text, m.ImageName, len(m.Image))
		for _, bt := range m.Buttons {
			b.WriteString("[" + bt.Label + "]")
		}
		b.WriteString("\n")
	}
	return b.String() + r.Notice
}

type webClient struct {
	t    *testing.T
	url  string
	http *http.Client
}

var webNonce atomic.Int64

func (c *webClient) command(name, arg string) webReply {
	c.t.Helper()
	body, _ := json.Marshal(map[string]string{"id": fmt.Sprintf("nonce%08d", webNonce.Add(1)), "command": name, "arg": arg, "locale": "en"})
	resp, err := c.http.Post(c.url+"/chat/api/event", "application/json", bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("/%s %s: got %s", name, arg, resp.Status)
	}
	var r webReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		c.t.Fatal(err)
	}
	return r
}

// TestCommandsOverWebChat drives the commands through the real web chat
// adapter over HTTP: the facilitator is the web chat session listed in the
// configuration; any other session gets the ordinary answers.
func TestCommandsOverWebChat(t *testing.T) {
	late := &lateCommands{}
	e := testenv.New(t, testenv.WithCommands(late))
	e.Catalog.Replace([]*dialogs.Script{loadScript(t, "night-safety.yaml")})
	wc := webchat.New(webchat.Config{PublicURL: "https://baraza.example.org", Logger: e.Logger})
	srv := httptest.NewServer(wc.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- wc.Run(ctx, e.Router) }()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
	})
	client := func() *webClient {
		jar, _ := cookiejar.New(nil)
		return &webClient{t: t, url: srv.URL, http: &http.Client{Jar: jar}}
	}

	fac, citizen := client(), client()
	fac.command("help", "") // the web chat gives the session its cookie
	u, _ := url.Parse(srv.URL + "/chat/api/event")
	cookies := fac.http.Jar.Cookies(u)
	if len(cookies) != 1 {
		t.Fatalf("web chat cookies: got %d, want 1", len(cookies))
	}
	// The cookie is "<identity>.<signature>"; the identity is the user.
	ident, _, _ := strings.Cut(cookies[0].Value, ".")
	cmds, err := New(Config{Facilitators: []string{"webchat:" + ident}, Keys: e.Keys, Consult: e.Consult,
		Inviters: map[string]bot.Inviter{"webchat": wc}, Logger: e.Logger})
	if err != nil {
		t.Fatal(err)
	}
	late.c.Store(cmds)

	// The facilitator's invite carries the QR code as a PNG data URL.
	inv := fac.command("invite", "night-safety")
	if len(inv.Messages) != 1 || !strings.Contains(inv.Messages[0].Text, "https://baraza.example.org/chat?c=night-safety") {
		t.Fatalf("/invite: got %s, want the web chat link", inv)
	}
	data, ok := strings.CutPrefix(inv.Messages[0].Image, "data:image/png;base64,")
	if !ok {
		t.Fatalf("/invite image: got %.40q, want a PNG data URL", inv.Messages[0].Image)
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeQR(t, img); got != "https://baraza.example.org/chat?c=night-safety" {
		t.Errorf("QR code over the web chat opens %q", got)
	}

	// Anyone else: the ordinary unknown-command answer.
	unknown := citizen.command("frobnicate", "").String()
	for _, c := range []string{"consultations", "open", "close", "stats", "invite"} {
		if got := citizen.command(c, "night-safety").String(); got != unknown {
			t.Errorf("citizen /%s: got %q, want the unknown-command answer %q", c, got, unknown)
		}
	}

	if got := fac.command("close", "night-safety").String(); !strings.Contains(got, "night-safety is now closed.") {
		t.Errorf("facilitator /close: got %q", got)
	}
	if got := citizen.command("start", "night-safety").String(); !strings.HasPrefix(got, dialogs.UI("en", "closed")+"|") {
		t.Errorf("citizen /start after /close: got %q, want the closed answer", got)
	}
	if got := fac.command("open", "night-safety").String(); !strings.Contains(got, "night-safety is now open.") {
		t.Errorf("facilitator /open: got %q", got)
	}
	if got := citizen.command("start", "night-safety").String(); !strings.Contains(got, "Do you agree to take part?") {
		t.Errorf("citizen /start after /open: got %q, want the consent question", got)
	}
	e.AssertNoLeak(t, cookies[0].Value)
}
