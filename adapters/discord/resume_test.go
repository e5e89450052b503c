package discord_test

import (
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/discord"
	"github.com/baraza/baraza/adapters/discord/discordtest"
	"github.com/baraza/baraza/bot"
)

func questionReply(ev bot.Event) bot.Response {
	return bot.Response{Messages: []bot.Message{{Text: "Question? " + ev.Text + ev.Data,
		Buttons: []bot.Button{{Label: "Yes", Data: "q:yes"}}}}, Dialog: bot.DialogOpen}
}

// TestResumeOnNewURLKeepsButtonPress: READY names a resume URL on another
// host, as Discord does; the connection drops and the person presses a
// button during the gap. The adapter resumes on the resume URL (a resume
// elsewhere is refused with op 9), the press is replayed and handled once,
// and the session was never re-identified.
func TestResumeOnNewURLKeepsButtonPress(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{})
	rec := newRecorder(questionReply)
	a, _ := startAdapter(t, f, discord.Config{}, rec)
	u := f.NewUser("4400000000000000001", "neema", "Neema")
	first := u.DM("hello")
	await(t, f, "the question", func() bool { return rec.count(first) == 1 && len(f.BotMessages(u.DMChannel())) == 1 })
	msgID, customID, _, ok := u.FindButton("Yes")
	if !ok {
		t.Fatal("no button")
	}
	if f.Drop() != 1 {
		t.Fatal("no live connection")
	}
	press, err := u.Press(msgID, customID)
	if err != nil {
		t.Fatal(err)
	}
	await(t, f, "the press handled after the resume", func() bool { return rec.count(press) == 1 })
	if f.Resumes() != 1 || f.RefusedResumes() != 0 || len(f.Identifies()) != 1 {
		t.Errorf("resumes %d, refused %d, identifies %d; want 1, 0, 1", f.Resumes(), f.RefusedResumes(), len(f.Identifies()))
	}
	if a.Stats().ResumeDials.Load() < 1 || a.Stats().Reidentified.Load() != 0 {
		t.Errorf("resume dials %d, re-identified %d", a.Stats().ResumeDials.Load(), a.Stats().Reidentified.Load())
	}
}

// TestReidentifyReprompts: the session cannot be resumed (op 9); the
// adapter identifies again, says so (log and metric), and shows every
// person with an open dialog their question again by handing their last
// event to the handler once more (the router sees a duplicate and
// re-shows the prompt: nothing is counted twice). A person whose dialog
// ended is left alone.
func TestReidentifyReprompts(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{})
	rec := newRecorder(func(ev bot.Event) bot.Response {
		if ev.Text == "bye" {
			return bot.Response{Messages: []bot.Message{{Text: "Thanks"}}, Dialog: bot.DialogNone}
		}
		return questionReply(ev)
	})
	a, logs := startAdapter(t, f, discord.Config{}, rec)
	open := f.NewUser("4400000000000000011", "a", "A")
	done := f.NewUser("4400000000000000012", "b", "B")
	id := open.DM("answer 1")
	bye := done.DM("bye")
	await(t, f, "both handled", func() bool { return rec.count(id) == 1 && rec.count(bye) == 1 })
	if f.InvalidateSession() != 1 {
		t.Fatal("no live connection")
	}
	await(t, f, "the open dialog re-prompted", func() bool { return rec.count(id) == 2 && len(f.BotMessages(open.DMChannel())) == 2 })
	if rec.count(bye) != 1 {
		t.Errorf("an ended dialog was re-prompted")
	}
	if a.Stats().Reidentified.Load() != 1 || a.Stats().Reprompted.Load() != 1 {
		t.Errorf("re-identified %d, re-prompted %d; want 1, 1", a.Stats().Reidentified.Load(), a.Stats().Reprompted.Load())
	}
	if !contains(logs.String(), "re-identified") {
		t.Errorf("no log line about the re-identify")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestHeartbeatACKsStopResumes: the gateway stops answering heartbeats (a
// zombied connection). discordgo v0.28.1 gives up after five intervals and
// closes with 1000, which on Discord ends the session; the adapter's
// connection sends 4000 instead, so the session is resumed on the resume
// URL, nothing is re-identified, and a message sent while the heartbeats
// were unanswered is handled exactly once. 1000 goes out only at shutdown.
func TestHeartbeatACKsStopResumes(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{HeartbeatInterval: 100 * time.Millisecond})
	rec := newRecorder(questionReply)
	a, _ := startAdapter(t, f, discord.Config{}, rec)
	u := f.NewUser("4400000000000000021", "baraka", "Baraka")
	first := u.DM("hello")
	await(t, f, "the first answer", func() bool { return rec.count(first) == 1 && len(f.BotMessages(u.DMChannel())) == 1 })
	f.StopHeartbeatACKs()
	during := u.DM("still there?")
	await(t, f, "the client to close the zombied connection", func() bool { return len(f.CloseCodes()) >= 1 })
	f.ResumeHeartbeatACKs()
	await(t, f, "a resume and the message handled", func() bool { return f.Resumes() >= 1 && rec.count(during) == 1 })
	for _, c := range f.CloseCodes() {
		if c == 1000 || c == 1001 {
			t.Errorf("client closed with %d, which ends the session on Discord (codes %v)", c, f.CloseCodes())
		}
	}
	if f.RefusedResumes() != 0 || len(f.Identifies()) != 1 || a.Stats().Reidentified.Load() != 0 {
		t.Errorf("refused resumes %d, identifies %d, re-identified %d; want 0, 1, 0",
			f.RefusedResumes(), len(f.Identifies()), a.Stats().Reidentified.Load())
	}
	if rec.count(first) != 1 || rec.count(during) != 1 {
		t.Errorf("handled %d and %d times, want once each", rec.count(first), rec.count(during))
	}
}
