package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/consult"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
)

// loadScriptFile reads one script, YAML or XLSForm by extension.
func loadScriptFile(path string) (*dialogs.Script, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if dialogs.IsXLSForm(path) {
		return dialogs.LoadXLSForm(path, data)
	}
	return dialogs.Load(path, data)
}

// Exit statuses of validate (and preview).
const (
	exitInvalid = 1 // a script has errors
	exitUsage   = 2 // bad command line, a file that cannot be read or written
)

// validate checks scripts: every error of every file at once, one per line
// as file:line: message (file:sheet:row: message for a workbook), sorted;
// then warnings, apart, on standard error. --out converts one script to
// the YAML format; --drop-identifying leaves out an XLSForm's identifying
// questions instead of refusing it, and says which.
func validate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write the script in the YAML format to this file (one input file)")
	drop := fs.Bool("drop-identifying", false, "leave out questions that would identify or locate a respondent, and say which")
	if err := fs.Parse(args); err != nil {
		return exitError{code: exitUsage}
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprintln(stderr, "usage: baraza validate [--out script.yaml] [--drop-identifying] FILE...")
		return exitError{code: exitUsage}
	}
	if *out != "" && len(files) != 1 {
		fmt.Fprintln(stderr, "validate: --out takes exactly one input file")
		return exitError{code: exitUsage}
	}
	failed, unreadable := 0, 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", path, err)
			unreadable++
			continue
		}
		var (
			s        *dialogs.Script
			warnings dialogs.ValidationErrors
			dropped  dialogs.ValidationErrors
		)
		if dialogs.IsXLSForm(path) {
			c := dialogs.ConvertXLSForm(path, data, dialogs.XLSFormOptions{DropIdentifying: *drop})
			s, warnings, dropped = c.Script, c.Warnings, c.Dropped
			if len(c.Errors) > 0 {
				err = c.Errors
			}
		} else {
			s, err = dialogs.Load(path, data)
		}
		for _, w := range warnings {
			fmt.Fprintln(stderr, "warning: "+w.Error())
		}
		for _, d := range dropped {
			fmt.Fprintln(stderr, "dropped: "+d.Error())
		}
		if err != nil {
			failed++
			var verrs dialogs.ValidationErrors
			if errors.As(err, &verrs) {
				for _, e := range verrs {
					fmt.Fprintln(stdout, e.Error())
				}
				continue
			}
			fmt.Fprintf(stdout, "%s: %v\n", path, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%s %q, %d questions, languages %s)\n", path, s.Kind, s.ID, len(s.Questions), strings.Join(s.Languages, ", "))
		smsCosts(stdout, s)
		if *out != "" {
			y, err := dialogs.MarshalYAML(s)
			if err == nil {
				err = os.WriteFile(*out, y, 0o644)
			}
			if err != nil {
				fmt.Fprintf(stderr, "validate: write %s: %v\n", *out, err)
				return exitError{code: exitUsage}
			}
			fmt.Fprintf(stdout, "%s: written", *out)
			if len(dropped) > 0 {
				fmt.Fprintf(stdout, " without %d identifying question(s)", len(dropped))
			}
			fmt.Fprintln(stdout)
		}
	}
	if failed > 0 || unreadable > 0 {
		fmt.Fprintf(stdout, "%d of %d scripts have errors\n", failed+unreadable, len(files))
		if unreadable > 0 && failed == 0 {
			return exitError{code: exitUsage}
		}
		return exitError{code: exitInvalid}
	}
	return nil
}

// remoteStore opens the configured Redis for the one-shot commands. The
// embedded store lives only inside a running serve, so they need a URL.
func remoteStore(ctx context.Context, getenv func(string) string, what string) (*store.Store, func(), error) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, nil, err
	}
	if cfg.embedded() {
		return nil, nil, fmt.Errorf("%s needs BARAZA_REDIS_URL: the embedded store lives only inside a running 'baraza serve'", what)
	}
	rdb, err := store.Connect(ctx, cfg.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	// BARAZA_SECRET is required with a URL; the counters' field names are
	// sealed with a key derived from it.
	return store.New(rdb, store.Options{CounterKey: privacy.NewKeys(cfg.Secret).CounterKey()}), func() { _ = rdb.Close() }, nil
}

func token(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{msg: "token needs a subcommand: create, list or revoke"}
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "create":
		fs := flag.NewFlagSet("token create", flag.ContinueOnError)
		fs.SetOutput(stderr)
		role := fs.String("role", "", "official, facilitator or admin")
		name := fs.String("name", "", "who holds the token (shown in the release log)")
		scope := fs.String("scope", "", "comma-separated consultation ids the token may read (default: all)")
		if err := fs.Parse(args); err != nil {
			return usageError{msg: err.Error()}
		}
		switch *role {
		case "official", "facilitator", "admin":
		default:
			return usageError{msg: "--role must be official, facilitator or admin"}
		}
		if strings.TrimSpace(*name) == "" {
			return usageError{msg: "--name is required"}
		}
		var ids []string
		for _, id := range strings.Split(*scope, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
		st, done, err := remoteStore(ctx, getenv, "token create")
		if err != nil {
			return err
		}
		defer done()
		tok, t, err := st.CreateToken(ctx, *role, strings.TrimSpace(*name), ids)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		fmt.Fprintf(stderr, "token %s for %q (%s) created; it is shown once, only its hash is stored\n", t.ID, t.Name, t.Role)
		return nil
	case "list":
		st, done, err := remoteStore(ctx, getenv, "token list")
		if err != nil {
			return err
		}
		defer done()
		list, err := st.ListTokens(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tROLE\tNAME\tSCOPE\tCREATED")
		for _, t := range list {
			scope := strings.Join(t.Scope, ",")
			if scope == "" {
				scope = "all"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, t.Name, scope, t.Created.Format("2006-01-02"))
		}
		return tw.Flush()
	case "revoke":
		if len(args) != 1 {
			return usageError{msg: "token revoke needs one token ID or name"}
		}
		st, done, err := remoteStore(ctx, getenv, "token revoke")
		if err != nil {
			return err
		}
		defer done()
		if err := st.RevokeToken(ctx, args[0]); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "revoked")
		return nil
	}
	return usageError{msg: fmt.Sprintf("unknown token subcommand %q", sub)}
}

func export(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("consultation", "", "consultation id")
	format := fs.String("format", "csv", "csv, xlsx or json")
	out := fs.String("out", "", "file to write (default: standard output)")
	lang := fs.String("lang", "en", "language of titles and labels")
	if err := fs.Parse(args); err != nil {
		return usageError{msg: err.Error()}
	}
	if *id == "" {
		return usageError{msg: "--consultation is required"}
	}
	if *format != "csv" && *format != "xlsx" && *format != "json" {
		return usageError{msg: "--format must be csv, xlsx or json"}
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	scripts, _, err := loadScripts(cfg)
	if err != nil {
		return err
	}
	st, done, err := remoteStore(ctx, getenv, "export")
	if err != nil {
		return err
	}
	defer done()
	svc := &consult.Service{Store: st, Catalog: bot.NewCatalog(scripts), K: cfg.K}
	sum, err := svc.Summary(ctx, *id, *lang)
	if err != nil {
		return err
	}
	if err := st.LogRelease(ctx, store.Release{TokenName: "cli export", Consultation: *id, Format: *format, K: sum.K}); err != nil {
		return err
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
	switch *format {
	case "csv":
		// What the rows are (release, protection) goes beside them, as
		// the API's headers do: DESIGN.md fixes the CSV's columns.
		for _, h := range results.ExportHeaders(sum) {
			fmt.Fprintf(stderr, "%s: %s\n", h[0], h[1])
		}
		err = results.WriteCSV(w, sum)
	case "xlsx":
		err = results.WriteXLSX(w, sum, *lang)
	default:
		err = results.WriteJSON(w, sum)
	}
	if err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && f != os.Stdout {
		return f.Close()
	}
	return nil
}

func preview(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("preview", flag.ContinueOnError)
	path := fs.String("script", "", "script file (YAML or XLSForm; or give it as the argument)")
	lang := fs.String("lang", "", "language (default: the script's first)")
	answers := fs.String("answers", "", "answers to follow, e.g. area=north,incidents=theft+harassment")
	if err := fs.Parse(args); err != nil {
		return usageError{msg: err.Error()}
	}
	if *path == "" && fs.NArg() == 1 {
		*path = fs.Arg(0)
	}
	if *path == "" {
		return usageError{msg: "preview needs a script: baraza preview FILE (or --script FILE)"}
	}
	s, err := loadScriptFile(*path)
	if err != nil {
		return err
	}
	given := map[string]string{}
	for _, kv := range strings.Split(*answers, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok {
			given[k] = strings.ReplaceAll(v, "+", ",")
		}
	}
	l := *lang
	if l == "" {
		l = s.Languages[0]
	}
	text, err := dialogs.Preview(s, l, given)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, text)
	return err
}
