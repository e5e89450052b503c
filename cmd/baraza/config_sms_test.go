package main

import (
	"bytes"
	"context"
	"io"
	"maps"
	"strings"
	"testing"
)

func TestSMSConfig(t *testing.T) {
	base := map[string]string{
		"BARAZA_SMS_KANNEL_URL": "http://127.0.0.1:13013/cgi-bin/sendsms", "BARAZA_SMS_KANNEL_USER": "baraza",
		"BARAZA_SMS_KANNEL_PASSWORD": "pw", "BARAZA_SMS_SECRET": "0123456789abcdef",
	}
	with := func(kv ...string) map[string]string {
		m := maps.Clone(base)
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c smsConfig)
	}{
		{"off without a Kannel URL", map[string]string{"BARAZA_SMS_SECRET": "x"}, "", func(t *testing.T, c smsConfig) {
			if c.KannelURL != "" {
				t.Errorf("enabled: %+v", c)
			}
		}},
		{"defaults", base, "", func(t *testing.T, c smsConfig) {
			if !c.Reports || c.CallbackURL != "http://127.0.0.1:8080" || c.SegmentCap != 0 {
				t.Errorf("got %+v", c)
			}
		}},
		{"caps and keywords", with("BARAZA_SMS_SEGMENT_CAP", "5000, community-safety=20000", "BARAZA_SMS_KEYWORDS", "safety=community-safety"), "",
			func(t *testing.T, c smsConfig) {
				if c.SegmentCap != 5000 || c.Caps["community-safety"] != 20000 || c.Keywords["SAFETY"] != "community-safety" {
					t.Errorf("got %+v", c)
				}
			}},
		{"short secret", with("BARAZA_SMS_SECRET", "short"), "BARAZA_SMS_SECRET", nil},
		{"no sendsms user", with("BARAZA_SMS_KANNEL_USER", ""), "BARAZA_SMS_KANNEL_USER", nil},
		{"bad cap", with("BARAZA_SMS_SEGMENT_CAP", "lots"), "BARAZA_SMS_SEGMENT_CAP", nil},
		{"bad rate", with("BARAZA_SMS_RATE", "-1"), "BARAZA_SMS_RATE", nil},
		{"bad keyword", with("BARAZA_SMS_KEYWORDS", "SAFETY"), "BARAZA_SMS_KEYWORDS", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error about %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c.SMS)
		})
	}
}

// validate shows what each message of a script costs by SMS.
func TestValidateShowsSMSSegments(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"validate", "../../dialogs/scripts/community-safety.yaml"}, env(nil), &out, io.Discard); err != nil {
		t.Fatalf("validate: %v\n%s", err, out.String())
	}
	for _, want := range []string{"SMS segments per message", "    language: en 2 UCS-2\n", "    area: en 2 GSM-7, fr 2 GSM-7, ar 3 UCS-2\n", "every message once: en "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("validate output lacks %q:\n%s", want, out.String())
		}
	}
}
