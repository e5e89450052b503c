package facilitate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/store"
)

// Versions of the test script. v2 and v3 reword a question and add an
// option: compatible with v1's counts.
var (
	v2 = []string{"version: 1", "version: 2", "text: How safe do you feel walking at night?", "text: At night, how safe do you feel outside?",
		"      - {id: south, label: South}\n", "      - {id: south, label: South}\n      - {id: east, label: East}\n"}
	v3 = []string{"version: 1", "version: 3", "      - {id: south, label: South}\n", "      - {id: south, label: \"south.\"}\n      - {id: east, label: \"East.\"}\n"}
)

func writeScript(t *testing.T, dir string, data []byte) {
	t.Helper()
	// Write then rename, as an editor or a deploy does, so a reader never
	// sees half a file.
	tmp := filepath.Join(dir, ".night-safety.yaml.tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "night-safety.yaml")); err != nil {
		t.Fatal(err)
	}
}

// reloadCore is a core whose catalog was loaded from a scripts folder.
func reloadCore(t *testing.T) (*core, *Reloader, string) {
	t.Helper()
	dir := t.TempDir()
	writeScript(t, dir, readScript(t, "night-safety.yaml"))
	scripts, err := dialogs.LoadFS(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	c := newCore(t, scripts, nil, "")
	return c, NewReloader(dir, c.catalog, c.store.Counters, nil), dir
}

func TestReloadSwapsInValidVersionMidSession(t *testing.T) {
	c, r, dir := reloadCore(t)
	u := newChat(t, c.router, "telegram", "93000001")
	u.cmd("start", "night-safety")
	u.press(dialogs.UI("en", "accept")) // now at "Where do you live?"

	writeScript(t, dir, readScript(t, "night-safety.yaml", v2...))
	if err := r.Reload(context.Background()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if got := c.catalog.Get("night-safety").Version; got != 2 {
		t.Fatalf("version after reload: got %d, want 2", got)
	}
	// A button of the message sent under version 1 is stale: options are
	// named by position, which a new version may change. /start re-asks
	// the question with version 2's buttons; the session goes on.
	if resp := u.press("North"); resp.Notice != dialogs.UI("en", "already_answered") || !strings.Contains(texts(resp), "[East]") {
		t.Errorf("version 1 button after the reload: got %q, want the stale notice and version 2's question again", texts(resp))
	}
	if got := texts(u.cmd("start", "")); !strings.Contains(got, "Where do you live?") || !strings.Contains(got, "[East]") {
		t.Fatalf("/start after reload: got %q, want version 2's first question again", got)
	}
	u.press("North")
	if got := texts(u.last); !strings.Contains(got, "At night, how safe do you feel outside?") {
		t.Fatalf("after reload: got %q, want version 2's question", got)
	}
	u.press("2")
	if got := texts(u.last); !strings.Contains(got, "Thank you, all done.") {
		t.Fatalf("got %q, want the outro", got)
	}
	cnt, err := c.store.Counters(context.Background(), "night-safety")
	if err != nil {
		t.Fatal(err)
	}
	if cnt["completed"] != 1 || cnt["o|area|north"] != 1 || cnt["o|safe_at_night|2"] != 1 {
		t.Errorf("counters: got %v, want one completion: north, 2", cnt)
	}
}

// TestReloadUnderLoad: respondents answer while the folder flips between
// compatible versions and is reloaded again and again; every one of them
// is counted once.
func TestReloadUnderLoad(t *testing.T) {
	c, r, dir := reloadCore(t)
	const respondents = 24
	versions := [][]byte{readScript(t, "night-safety.yaml", v2...), readScript(t, "night-safety.yaml", v3...)}

	stop := make(chan struct{})
	var reloads int
	var reloadErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			writeScript(t, dir, versions[i%2])
			if err := r.Reload(context.Background()); err != nil {
				reloadErr = err
				return
			}
			reloads++
		}
	}()

	var wg sync.WaitGroup
	var reasked atomic.Int64
	errs := make(chan error, respondents)
	for i := range respondents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := dialog(c.router, fmt.Sprintf("9400%04d", i), []string{"North", "South"}[i%2], "3")
			reasked.Add(int64(n))
			errs <- err
		}()
	}
	wg.Wait()
	close(stop)
	<-done
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if reloadErr != nil {
		t.Fatalf("reload under load: %v", reloadErr)
	}
	if reloads == 0 {
		t.Fatalf("no reload happened during the dialogs")
	}
	cnt, err := c.store.Counters(context.Background(), "night-safety")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"started": respondents, "completed": respondents, "o|area|north": respondents / 2,
		"o|area|south": respondents / 2, "o|safe_at_night|3": respondents}
	for f, n := range want {
		if cnt[f] != n {
			t.Errorf("counter %s: got %d, want %d (after %d reloads)", f, cnt[f], n, reloads)
		}
	}
	t.Logf("%d respondents, %d reloads, %d questions re-asked after a stale button", respondents, reloads, reasked.Load())
}

// dialog runs one whole dialog without the testing helpers (it runs on
// its own goroutine). The labels are those of every version in the test.
// A press of a button sent under an earlier version is refused as stale
// (buttons name options by position, which a new version may change); the
// respondent then sends /start, which re-asks the current question with
// the new version's buttons, and answers again. It returns how many times
// that happened.
func dialog(h bot.Handler, user string, answers ...string) (reasked int, err error) {
	var seq int
	send := func(ev bot.Event) (bot.Response, error) {
		seq++
		ev.Platform, ev.User, ev.Chat, ev.Private = "telegram", user, "c"+user, true
		ev.ID, ev.MessageRef = fmt.Sprintf("%s-%d", user, seq), fmt.Sprint(seq)
		return h.Handle(context.Background(), ev)
	}
	resp, err := send(bot.Event{Kind: bot.KindCommand, Command: "start", Arg: "night-safety"})
	if err != nil {
		return 0, fmt.Errorf("%s: start: %w", user, err)
	}
	labels := append([]string{dialogs.UI("en", "accept")}, answers...)
	for i := 0; i < len(labels); {
		label := labels[i]
		data := ""
		for _, m := range resp.Messages {
			for _, b := range m.Buttons {
				if strings.EqualFold(strings.Trim(b.Label, "."), label) {
					data = b.Data
				}
			}
		}
		if data == "" {
			return reasked, fmt.Errorf("%s: no button %q in %q", user, label, texts(resp))
		}
		if resp, err = send(bot.Event{Kind: bot.KindButton, Data: data}); err != nil {
			return reasked, fmt.Errorf("%s: press %q: %w", user, label, err)
		}
		if resp.Notice == dialogs.UI("en", "already_answered") {
			if reasked++; reasked > 100 {
				return reasked, fmt.Errorf("%s: buttons kept going stale", user)
			}
			if len(resp.Messages) > 0 {
				// The router re-asked with the new version's buttons.
				continue
			}
			if resp, err = send(bot.Event{Kind: bot.KindCommand, Command: "start"}); err != nil {
				return reasked, fmt.Errorf("%s: re-ask: %w", user, err)
			}
			continue
		}
		i++
	}
	if !strings.Contains(texts(resp), "Thank you, all done.") {
		return reasked, fmt.Errorf("%s: got %q at the end, want the outro", user, texts(resp))
	}
	return reasked, nil
}

func TestReloadRefusesInvalidVersion(t *testing.T) {
	c, r, dir := reloadCore(t)
	before := c.catalog.Get("night-safety")
	writeScript(t, dir, readScript(t, "night-safety.yaml", "version: 1", "version: 2", "type: scale", "type: scael"))
	err := r.Reload(context.Background())
	if err == nil {
		t.Fatalf("reload of an invalid script: got no error")
	}
	var verrs dialogs.ValidationErrors
	if !errors.As(err, &verrs) || len(verrs) == 0 {
		t.Fatalf("error %v: want the validator's ValidationErrors", err)
	}
	if v := verrs[0]; v.File != "night-safety.yaml" || v.Line == 0 || !strings.Contains(err.Error(), "scael") {
		t.Errorf("validation error %+v: want file, line and the offending text", v)
	}
	if got := c.catalog.Get("night-safety"); got != before {
		t.Errorf("catalog changed after a refused reload: version %d", got.Version)
	}

	// Two broken files: Problems lists both.
	if err := os.WriteFile(filepath.Join(dir, "second.yaml"), []byte(strings.Replace(otherScript("second"), "type: choice", "type: chioce", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	err = r.Reload(context.Background())
	files := map[string]bool{}
	for _, p := range Problems(err) {
		files[p.File] = true
	}
	if !files["night-safety.yaml"] || !files["second.yaml"] {
		t.Errorf("Problems(%v): files %v, want both broken files", err, files)
	}
	if err := os.Remove(filepath.Join(dir, "second.yaml")); err != nil {
		t.Fatal(err)
	}
	// The old version keeps running.
	newChat(t, c.router, "telegram", "95000001").complete("night-safety", "South", "1")

	// An empty folder is refused too: it would remove every consultation.
	if err := os.Remove(filepath.Join(dir, "night-safety.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := r.Reload(context.Background()); err == nil {
		t.Errorf("reload of an empty folder: got no error")
	}
	if c.catalog.Get("night-safety") != before {
		t.Errorf("catalog changed after reloading an empty folder")
	}
}

func TestReloadMeaningChanges(t *testing.T) {
	other := []byte(otherScript("other"))
	tests := []struct {
		name    string
		replace []string
		remove  bool   // the file is replaced by another consultation
		refused string // part of the error when responses exist; "" when allowed
	}{
		{"label changed", []string{"label: North}", "label: Northern hills}"}, false, `option "north" of question "area" changed its en label from "North"`},
		{"option removed", []string{"      - {id: south, label: South}\n", ""}, false, `option "south" of question "area" was removed`},
		{"type changed", []string{"type: scale\n    min: 1\n    max: 3", "type: choice\n    options: [{id: \"1\", label: \"1\"}, {id: \"2\", label: \"2\"}, {id: \"3\", label: \"3\"}]"},
			false, `question "safe_at_night" changed type from scale to choice`},
		{"scale shortened", []string{"max: 3", "max: 2"}, false, `option "3" of question "safe_at_night" was removed`},
		{"question removed", []string{"  - id: safe_at_night\n    type: scale\n    min: 1\n    max: 3\n    text: How safe do you feel walking at night?\n", ""},
			false, `question "safe_at_night" was removed`},
		{"consultation removed", nil, true, "consultation night-safety was removed"},
		{"case, spacing and punctuation only", []string{"label: North}", "label: \" north. \"}"}, false, ""},
		{"question reworded, option added", v2, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, r, dir := reloadCore(t)
			v1 := c.catalog.All()
			next := readScript(t, "night-safety.yaml", tt.replace...)
			if tt.remove {
				next = other
			}
			// Without responses, anything valid goes.
			writeScript(t, dir, next)
			if err := r.Reload(context.Background()); err != nil {
				t.Fatalf("reload without responses: %v", err)
			}
			c.catalog.Replace(v1)
			writeScript(t, dir, readScript(t, "night-safety.yaml"))

			newChat(t, c.router, "telegram", "96000001").complete("night-safety", "North", "3")
			before := c.catalog.Get("night-safety")
			writeScript(t, dir, next)
			err := r.Reload(context.Background())
			if tt.refused == "" {
				if err != nil {
					t.Fatalf("reload with responses: %v", err)
				}
				if c.catalog.Get("night-safety") == before {
					t.Errorf("catalog unchanged after an accepted reload")
				}
				return
			}
			if err == nil {
				t.Fatalf("reload with responses: got no error, want %q", tt.refused)
			}
			if !errors.Is(err, ErrMeaningChanged) {
				t.Errorf("error %v: want ErrMeaningChanged", err)
			}
			if !strings.Contains(err.Error(), tt.refused) || !strings.Contains(err.Error(), "while night-safety has started collecting responses") {
				t.Errorf("error:\n%v\nwant it to say %q and why", err, tt.refused)
			}
			if c.catalog.Get("night-safety") != before {
				t.Errorf("catalog changed after a refused reload")
			}
		})
	}
}

func TestWatchReloadsOnChange(t *testing.T) {
	c, r, dir := reloadCore(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Watch(ctx, 5*time.Millisecond) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("watch: %v", err)
		}
	})
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	writeScript(t, dir, readScript(t, "night-safety.yaml", v2...))
	waitFor("version 2", func() bool { return c.catalog.Get("night-safety").Version == 2 })

	// A broken file is left out; the next good one is taken.
	writeScript(t, dir, []byte("id: night-safety\nversion: 4\nquestions: [\n"))
	waitFor("the broken file to be read", func() bool {
		st, err := r.fingerprint()
		r.mu.Lock()
		defer r.mu.Unlock()
		return err == nil && st == r.stamp
	})
	if got := c.catalog.Get("night-safety").Version; got != 2 {
		t.Fatalf("after a broken file: version %d, want 2 still running", got)
	}
	writeScript(t, dir, readScript(t, "night-safety.yaml", v3...))
	waitFor("version 3", func() bool { return c.catalog.Get("night-safety").Version == 3 })
	if err := os.WriteFile(filepath.Join(dir, "second.yaml"), []byte(otherScript("second")), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("a new script file", func() bool { return c.catalog.Get("second") != nil })
}

func otherScript(id string) string {
	return "id: " + id + "\nlanguages: [en]\ntitle: Another\nconsent: \"Do you agree?\"\nquestions:\n" +
		"  - id: q\n    type: choice\n    text: \"Which one?\"\n    options:\n      - {id: a, label: A}\n      - {id: b, label: B}\n"
}

// TestReloadRefusalSameWhateverCounts: a change of meaning is refused as
// soon as anything was counted, in the same words whether one person
// started, one completed (a count hidden below k=3) or k completed, so the
// refusal gives no hidden count away.
func TestReloadRefusalSameWhateverCounts(t *testing.T) {
	tests := []struct {
		name string
		add  func(c *core)
	}{
		{"one started, none completed", func(c *core) {
			if _, err := c.store.Apply(context.Background(), store.Completion{Consultation: "night-safety", Key: "s1",
				Incr: []string{"started"}}); err != nil {
				t.Fatal(err)
			}
		}},
		{"one completed", func(c *core) { c.completeOne(t, "north", "1") }},
		{"k completed", func(c *core) {
			for range 3 {
				c.completeOne(t, "north", "1")
			}
		}},
	}
	var first string
	for _, tt := range tests {
		c, r, dir := reloadCore(t)
		tt.add(c)
		writeScript(t, dir, readScript(t, "night-safety.yaml", "max: 3", "max: 2"))
		err := r.Reload(context.Background())
		if !errors.Is(err, ErrMeaningChanged) {
			t.Fatalf("%s: got %v, want the change of meaning refused", tt.name, err)
		}
		msg := strings.ReplaceAll(err.Error(), dir, "DIR")
		if !strings.Contains(msg, "while night-safety has started collecting responses") || strings.Contains(msg, "completed") {
			t.Errorf("%s: error %q: want it to say collection has started and nothing of completions", tt.name, msg)
		}
		if first == "" {
			first = msg
		} else if msg != first {
			t.Errorf("%s: error\n%s\nwant the same words as with one started:\n%s", tt.name, msg, first)
		}
	}
}
