package webchat_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/baraza/baraza/adapters/webchat"
	"github.com/baraza/baraza/bot"
)

// BenchmarkEvent measures one action through the web chat's HTTP layer
// (parse, cookie, handler call, JSON reply) with a handler that answers at
// once, over loopback with keep-alive: the adapter's own cost per message.
func BenchmarkEvent(b *testing.B) {
	h := bot.HandlerFunc(func(ctx context.Context, ev bot.Event) (bot.Response, error) {
		return bot.Response{Messages: []bot.Message{{Text: "Which part of the area do you live in?", Lang: "en", Buttons: []bot.Button{
			{Label: "North district", Data: "a:north"}, {Label: "South district", Data: "a:south"}, {Label: "Back", Data: "nav:back", Nav: true}}}}}, nil
	})
	a := webchat.New(webchat.Config{Logger: quietLogger()})
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx, h)
	client := srv.Client()
	// A server-issued identity: the first request gets one.
	first, err := client.Post(srv.URL+"/chat/api/event", "application/json", strings.NewReader(`{"id":"benchfirst0","command":"start"}`))
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, first.Body)
	first.Body.Close()
	if len(first.Cookies()) != 1 {
		b.Fatal("no identity cookie")
	}
	cookie := first.Cookies()[0]
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req, _ := http.NewRequest("POST", srv.URL+"/chat/api/event", strings.NewReader(fmt.Sprintf(`{"id":"bench%012d","data":"a:north","ref":"x.0"}`, i)))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(cookie)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}
