// Command baraza runs anonymous consultations on local security by chat.
//
//	baraza [serve]                      adapters that are configured, plus HTTP
//	baraza health                       is the server on BARAZA_HTTP_ADDR ready? (healthcheck)
//	baraza validate [--out F] [--drop-identifying] FILE...  check scripts (YAML or XLSForm)
//	baraza token create --role R --name N [--scope ID,...]
//	baraza token list | revoke ID|NAME
//	baraza export --consultation ID --format csv|xlsx|json [--out FILE]
//	baraza preview --script FILE [--lang fr] [--answers q=opt,...]
//
// Configuration comes from the environment (see README.md).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ex exitError
		if errors.As(err, &ex) {
			os.Exit(ex.code) // the command already said why
		}
		fmt.Fprintln(os.Stderr, "baraza:", err)
		os.Exit(1)
	}
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitError carries an exit status whose message was already printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

const usage = `usage: baraza [command]

commands:
  serve                                 run the bot and the HTTP server (default)
  health                                exit 0 when the server on BARAZA_HTTP_ADDR is ready (container healthcheck)
  validate [--out script.yaml] [--drop-identifying] FILE...
                                        check scripts (YAML or XLSForm: .xlsx .xlsm .xls .csv .md);
                                        exit 0 valid, 1 errors, 2 bad command line or unreadable file
  token create --role ROLE --name NAME  create an API/dashboard token (official, facilitator, admin)
  token list                            list tokens (never the tokens themselves)
  token revoke ID|NAME                  revoke a token
  export --consultation ID --format csv|xlsx|json [--out FILE]
  preview [--lang L] [--answers q=opt,...] FILE
  invite --consultation ID --count N [--format html|txt] [--out FILE] [--telegram-bot NAME]
                                        one-time invitation codes as printable cards
  load [flags]                          measure the core against Redis (see README)
`

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "validate":
		return validate(args, stdout, stderr)
	case "token":
		return token(ctx, args, getenv, stdout, stderr)
	case "export":
		return export(ctx, args, getenv, stdout, stderr)
	case "invite":
		return inviteCmd(ctx, args, getenv, stdout, stderr)
	case "preview":
		return preview(args, stdout)
	case "load":
		return load(ctx, args, getenv, stdout, stderr)
	case "health":
		return health(ctx, getenv, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{msg: fmt.Sprintf("unknown command %q", cmd)}
}
