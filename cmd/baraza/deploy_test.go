package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestComposeFile checks what docker-compose.yml promises in the README
// (no Docker engine is needed; `docker compose config` validates the same
// file where one is installed): every .env variable reaches Baraza, the
// public https address and the secret are required, both services have a
// healthcheck, Redis keeps an append-only file on a volume, and Baraza is
// published on the loopback address only, for the TLS proxy.
func TestComposeFile(t *testing.T) {
	data, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Build       any               `yaml:"build"`
			Command     []string          `yaml:"command"`
			EnvFile     any               `yaml:"env_file"`
			Environment map[string]string `yaml:"environment"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
			Ports     []string `yaml:"ports"`
			Volumes   []string `yaml:"volumes"`
			DependsOn map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	b, r := c.Services["baraza"], c.Services["redis"]
	if b.EnvFile != ".env" {
		t.Errorf("baraza env_file: got %v, want .env (every variable of .env reaches Baraza)", b.EnvFile)
	}
	for _, v := range []string{"BARAZA_SECRET", "BARAZA_PUBLIC_URL"} {
		if !strings.Contains(b.Environment[v], "${"+v+":?") {
			t.Errorf("%s: got %q, want it required from .env", v, b.Environment[v])
		}
	}
	if !slices.Equal(b.Healthcheck.Test, []string{"CMD", "/usr/local/bin/baraza", "health"}) {
		t.Errorf("baraza healthcheck: got %q", b.Healthcheck.Test)
	}
	if len(r.Healthcheck.Test) == 0 || b.DependsOn["redis"].Condition != "service_healthy" {
		t.Errorf("redis healthcheck %q, baraza waits for %q: want a healthy Redis first", r.Healthcheck.Test, b.DependsOn["redis"].Condition)
	}
	if !strings.Contains(strings.Join(r.Command, " "), "--appendonly yes") || len(r.Volumes) == 0 {
		t.Errorf("redis: command %q volumes %q, want the append-only file on a volume", r.Command, r.Volumes)
	}
	for _, p := range b.Ports {
		if !strings.HasPrefix(p, "127.0.0.1:") {
			t.Errorf("baraza port %q: want it on the loopback address only, behind the proxy", p)
		}
	}
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dockerfile), "COPY --from=build /out/baraza /usr/local/bin/baraza") {
		t.Errorf("Dockerfile: the binary is not at /usr/local/bin/baraza, where the healthcheck calls it")
	}
	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", ".env"} {
		if !slices.Contains(strings.Fields(string(ignore)), want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
}
