package webchat_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/adapters/webchat"
	"github.com/baraza/baraza/bot"
)

// The page's view of the API, written out independently of the adapter's
// own types so the JSON field names are checked too.
type apiReply struct {
	Erase    bool   `json:"erase"`
	Reset    bool   `json:"reset"`
	Notice   string `json:"notice"`
	Messages []struct {
		ID      string `json:"id"`
		Text    string `json:"text"`
		Lang    string `json:"lang"`
		Dir     string `json:"dir"`
		Buttons []struct {
			Label    string `json:"label"`
			Data     string `json:"data"`
			Selected bool   `json:"selected"`
			Toggle   bool   `json:"toggle"`
			Nav      bool   `json:"nav"`
		} `json:"buttons"`
		ReplaceButtons bool   `json:"replace_buttons"`
		Image          string `json:"image"`
	} `json:"messages"`
}

// shown is one message in a user's page transcript.
type shown struct {
	id string
	bot.Message
}

// chatUser is one browser: a cookie jar and what the page shows.
type chatUser struct {
	client  *http.Client
	msgs    []shown
	sent    []string
	notices []string
	last    []byte // the last request body, for Redeliver
}

// chatDriver plays browsers against the web chat the way app.js does.
type chatDriver struct {
	url   string
	mu    sync.Mutex
	users map[string]*chatUser
}

func newNonce() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (d *chatDriver) user(u string) *chatUser {
	d.mu.Lock()
	defer d.mu.Unlock()
	cu, ok := d.users[u]
	if !ok {
		jar, _ := cookiejar.New(nil)
		cu = &chatUser{client: &http.Client{Jar: jar}}
		d.users[u] = cu
	}
	return cu
}

// post sends one action and applies the reply as the page does. A 503 is
// left for Redeliver, like the page's retry.
func (d *chatDriver) post(t testing.TB, u string, body []byte, echo string) {
	t.Helper()
	cu := d.user(u)
	d.mu.Lock()
	cu.last = body
	if echo != "" {
		cu.sent = append(cu.sent, echo)
	}
	d.mu.Unlock()
	req, err := http.NewRequest("POST", d.url+"/chat/api/event", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := cu.client.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	switch res.StatusCode {
	case http.StatusOK:
	case http.StatusServiceUnavailable:
		return
	default:
		t.Fatalf("post %s: got status %d (%s), want 200", body, res.StatusCode, raw)
	}
	var r apiReply
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("reply %s: %v", raw, err)
	}
	var in struct{ Data, Ref string }
	json.Unmarshal(body, &in)

	d.mu.Lock()
	defer d.mu.Unlock()
	if r.Erase {
		cu.msgs, cu.sent = nil, nil
	}
	if r.Notice != "" {
		cu.notices = append(cu.notices, r.Notice)
	}
	for _, m := range r.Messages {
		bm := bot.Message{Text: m.Text, Lang: m.Lang}
		for _, b := range m.Buttons {
			bm.Buttons = append(bm.Buttons, bot.Button{Label: b.Label, Data: b.Data, Selected: b.Selected, Nav: b.Nav})
		}
		if m.ReplaceButtons && in.Data != "" {
			if i := slices.IndexFunc(cu.msgs, func(s shown) bool { return s.id == in.Ref }); i >= 0 {
				cu.msgs[i].Message = bm
				continue
			}
		}
		cu.msgs = append(cu.msgs, shown{id: m.ID, Message: bm})
	}
}

func mustJSON(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (d *chatDriver) Text(t testing.TB, u, text string) {
	d.post(t, u, mustJSON(t, map[string]string{"id": newNonce(), "text": text}), text)
}

func (d *chatDriver) Command(t testing.TB, u, cmd, arg string) {
	d.post(t, u, mustJSON(t, map[string]string{"id": newNonce(), "command": cmd, "arg": arg}), strings.TrimSpace("/"+cmd+" "+arg))
}

func (d *chatDriver) Press(t testing.TB, u, data string) {
	cu := d.user(u)
	d.mu.Lock()
	ref := ""
	for _, m := range cu.msgs {
		if slices.ContainsFunc(m.Buttons, func(b bot.Button) bool { return b.Data == data }) {
			ref = m.id
		}
	}
	d.mu.Unlock()
	if ref == "" {
		t.Fatalf("press %q: no such button on user %s's page", data, u)
	}
	d.post(t, u, mustJSON(t, map[string]string{"id": newNonce(), "data": data, "ref": ref}), "")
}

func (d *chatDriver) Redeliver(t testing.TB, u string) {
	cu := d.user(u)
	d.mu.Lock()
	body := cu.last
	d.mu.Unlock()
	if body == nil {
		t.Fatalf("redeliver: user %s sent nothing", u)
	}
	d.post(t, u, body, "")
}

func (d *chatDriver) Inbox(t testing.TB, u string) []bot.Message {
	cu := d.user(u)
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]bot.Message, len(cu.msgs))
	for i, m := range cu.msgs {
		out[i] = m.Message
		out[i].Buttons = slices.Clone(m.Buttons)
	}
	return out
}

func (d *chatDriver) Notices(t testing.TB, u string) []string {
	cu := d.user(u)
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(cu.notices)
}

func (d *chatDriver) UserMessages(t testing.TB, u string) []string {
	cu := d.user(u)
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(cu.sent)
}

func (d *chatDriver) Caps() adaptertest.Caps {
	return adaptertest.Caps{EraseUserMessages: true, Edit: true, RedeliverOnError: true}
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestConformance(t *testing.T) {
	adaptertest.Run(t, func(t testing.TB, h bot.Handler) adaptertest.Driver {
		a := webchat.New(webchat.Config{Logger: quietLogger()})
		srv := httptest.NewServer(a.Handler())
		t.Cleanup(srv.Close) // after the adapter stopped (cleanups run last-in first-out)
		adaptertest.Start(t, a, h)
		return &chatDriver{url: srv.URL, users: map[string]*chatUser{}}
	})
}
