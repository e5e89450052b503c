package store_test

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/baraza/baraza/internal/store"
)

func TestInstrumentAndRoundTrips(t *testing.T) {
	s, rdb, _ := backends[0].open(t)
	reg := prometheus.NewRegistry()
	if err := store.Instrument(rdb, reg); err != nil {
		t.Fatal(err)
	}
	if err := store.Instrument(rdb, reg); err == nil {
		t.Error("second Instrument on the same registry: got nil error, want AlreadyRegistered")
	}
	var rt store.RoundTrips
	rdb.AddHook(&rt)
	ctx := ctxT(t)
	r := hexID('m')

	// Warm the script cache (so EVALSHA does not fall back to EVAL) and
	// both connection pools (a new connection's HELLO is a round trip too).
	if _, _, _, err := s.LoadSession(ctx, hexID('w'), "e"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSession(ctx, hexID('w'), 0, []byte("x"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, store.Completion{Consultation: "c", Key: "warm", Incr: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"LoadSession", func() error { _, _, _, err := s.LoadSession(ctx, r, "e"); return err }},
		{"SaveSession", func() error { return s.SaveSession(ctx, r, 0, []byte("x"), "e") }},
		{"Apply", func() error {
			_, err := s.Apply(ctx, store.Completion{Consultation: "c", Key: "k", Incr: []string{"a", "b"}, Texts: map[string]string{"q": "t"}})
			return err
		}},
		{"Counters", func() error { _, err := s.Counters(ctx, "c"); return err }},
	}
	for _, st := range steps {
		before := rt.Load()
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := rt.Load() - before; got != 1 {
			t.Errorf("%s: got %d round trips, want 1", st.name, got)
		}
	}
	// a failing command is counted as an error
	_ = rdb.Do(ctx, "nosuchcommand").Err()

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := fmt.Sprintf("%s{%s}", mf.GetName(), label(m))
			switch {
			case m.GetHistogram() != nil:
				got[key] = m.GetHistogram().GetSampleCount()
			case m.GetCounter() != nil:
				got[key] = uint64(m.GetCounter().GetValue())
			}
		}
	}
	for key, want := range map[string]uint64{
		"baraza_redis_command_duration_seconds{hmget}":     2, // LoadSession is one HMGET
		"baraza_redis_command_duration_seconds{evalsha}":   4, // 2 warm-ups + save + apply
		"baraza_redis_command_duration_seconds{hgetall}":   1,
		"baraza_redis_command_errors_total{nosuchcommand}": 1,
	} {
		if got[key] != want {
			t.Errorf("%s: got %d, want %d (all: %v)", key, got[key], want, got)
		}
	}
}

func label(m *dto.Metric) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == "command" {
			return l.GetValue()
		}
	}
	return ""
}
