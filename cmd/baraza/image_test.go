package main

import (
	"bytes"
	"context"
	"debug/elf"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestImageBinary builds the binary exactly as the Dockerfile's build stage
// does and checks what the distroless runtime stage needs of it, since no
// Docker engine is available here to build the image itself: the binary is
// static (no ELF interpreter, no shared libraries: the runtime image has no
// libc), and, run as root, it serves and passes its own healthcheck inside a
// chroot that holds nothing but the binary, as the image's nonroot user
// (uid 65532): no shell, no /etc, no /tmp, no certificates.
func TestImageBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0) go build (.*) -o /out/baraza (\./cmd/baraza)$`).FindSubmatch(dockerfile)
	if m == nil {
		t.Fatal("Dockerfile: no `RUN CGO_ENABLED=0 go build ... -o /out/baraza ./cmd/baraza` line")
	}
	root := t.TempDir()
	bin := filepath.Join(root, "usr", "local", "bin", "baraza")
	args := append([]string{"build"}, shellWords(string(m[2]))...)
	args = append(args, "-o", bin, string(m[3]))
	build := exec.Command("go", args...)
	build.Dir = "../.."
	build.Env = append(os.Environ(), string(m[1]))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for an ELF interpreter: it is not static and cannot start on distroless/static")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("shared libraries %v (%v): the runtime image has none", libs, err)
	}
	f.Close()

	if os.Geteuid() != 0 {
		t.Skip("chroot needs root (CI runs as root)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	jail := func(ctx context.Context, arg string, out *bytes.Buffer) *exec.Cmd {
		c := exec.CommandContext(ctx, "/usr/local/bin/baraza", arg)
		c.Env = []string{"BARAZA_HTTP_ADDR=" + addr}
		c.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
		c.Dir = "/"
		c.Stdout, c.Stderr = out, out
		return c
	}
	var log bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	srv := jail(ctx, "serve", &log)
	if err := srv.Start(); err != nil {
		t.Fatalf("serve in the chroot: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = srv.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		var out bytes.Buffer
		err := jail(context.Background(), "health", &out).Run()
		if err == nil && strings.Contains(out.String(), "ready") {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			_ = srv.Wait() // before reading what serve wrote
			t.Fatalf("health in the chroot: %v %s\nserve's output:\n%s", err, out.String(), log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shellWords splits a Dockerfile RUN line's arguments as sh does for the
// plain words and double quotes it uses (-ldflags="-s -w").
func shellWords(s string) []string {
	var words []string
	var w strings.Builder
	quoted, in := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				words = append(words, w.String())
				w.Reset()
			}
			in = false
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}
