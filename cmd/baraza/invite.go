package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/facilitate"
	invitecode "github.com/baraza/baraza/internal/invite"
	"github.com/baraza/baraza/internal/privacy"
)

// inviteCmd makes a batch of one-time invitation codes for an invite-only
// consultation: only their keyed hashes go to Redis; the codes are written
// once, as printable cards (HTML) or as text lines.
func inviteCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("invite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("consultation", "", "consultation id (its script must say access: invite)")
	count := fs.Int("count", 0, fmt.Sprintf("how many codes, 1 to %d", invitecode.MaxBatch))
	format := fs.String("format", "html", "html (printable cards with QR codes) or txt (one code and its links a line)")
	out := fs.String("out", "", "file to write (default: standard output)")
	bot := fs.String("telegram-bot", "", "the bot's Telegram username, for deep links (t.me/NAME?start=CODE)")
	if err := fs.Parse(args); err != nil {
		return usageError{msg: err.Error()}
	}
	switch {
	case *id == "":
		return usageError{msg: "--consultation is required"}
	case *count < 1 || *count > invitecode.MaxBatch:
		return usageError{msg: fmt.Sprintf("--count must be 1 to %d", invitecode.MaxBatch)}
	case *format != "html" && *format != "txt":
		return usageError{msg: "--format must be html or txt"}
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	scripts, _, err := loadScripts(cfg)
	if err != nil {
		return err
	}
	var script *dialogs.Script
	for _, sc := range scripts {
		if sc.ID == *id {
			script = sc
		}
	}
	if script == nil {
		return fmt.Errorf("invite: no consultation %q in the scripts", *id)
	}
	st, done, err := remoteStore(ctx, getenv, "invite")
	if err != nil {
		return err
	}
	defer done()
	codes, err := facilitate.MakeInvites(ctx, st, privacy.NewKeys(cfg.Secret), script, *count)
	if err != nil {
		return err
	}
	web := publicURL(cfg) + "/chat?c="
	tg := strings.TrimPrefix(strings.TrimSpace(*bot), "@")
	link := func(name, code string) (string, string) {
		switch name {
		case "telegram":
			if tg == "" {
				return "", ""
			}
			return "https://t.me/" + tg + "?start=" + code, ""
		case "webchat":
			return web + code, ""
		}
		return "", "Discord: /consult " + invitecode.Format(code)
	}
	var w io.Writer = stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	names := []string{"telegram", "webchat", "discord"}
	if *format == "txt" {
		for _, c := range codes {
			line := []string{invitecode.Format(c)}
			for _, n := range names {
				u, text := link(n, c)
				if u == "" {
					u = text
				}
				if u != "" {
					line = append(line, u)
				}
			}
			if _, err := fmt.Fprintln(w, strings.Join(line, "\t")); err != nil {
				return err
			}
		}
	} else {
		cards, err := facilitate.NewCards(codes, names, link)
		if err != nil {
			return err
		}
		l := script.Languages[0]
		sheet := facilitate.CardSheet{Lang: "en", Dir: "ltr", Title: "Invitation cards — " + script.Text(script.Title, l),
			Note:      "Print this page now: the codes cannot be shown again. Hand the cards out at random and do not note who got which.",
			CodeLabel: "Your code", How: "Scan the code, or open the link and type your code. One response per card.", Cards: cards}
		if err := facilitate.WriteCards(w, sheet); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "%d invitation codes made for %s; they are shown once, only keyed hashes are stored\n", len(codes), script.ID)
	if f, ok := w.(*os.File); ok && f != os.Stdout {
		return f.Close()
	}
	return nil
}
