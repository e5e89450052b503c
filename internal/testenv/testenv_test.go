package testenv

import (
	"fmt"
	"slices"
	"testing"
)

// recorder is a testing.TB that keeps what would have been reported.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestAssertCounters(t *testing.T) {
	want := map[string]int64{"started": 3, "completed": 2, "o|q|a": 1}
	tests := []struct {
		name string
		got  map[string]int64
		want []string
	}{
		{"equal", map[string]int64{"started": 3, "completed": 2, "o|q|a": 1}, nil},
		{"one off by one", map[string]int64{"started": 3, "completed": 3, "o|q|a": 1},
			[]string{"counter completed: got 3, want 2"}},
		{"one missing", map[string]int64{"started": 3, "completed": 2},
			[]string{"counter o|q|a: got 0, want 1"}},
		{"one extra, even at zero", map[string]int64{"started": 3, "completed": 2, "o|q|a": 1, "o|q|b": 1, "quit": 0},
			[]string{"counter o|q|b: got 1, want none", "counter quit: got 0, want none"}},
		{"everything wrong, every field said", map[string]int64{"started": 4, "completed": 1, "declined": 2},
			[]string{"counter completed: got 1, want 2", "counter o|q|a: got 0, want 1", "counter started: got 4, want 3", "counter declined: got 2, want none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			AssertCounters(r, tt.got, want)
			if !slices.Equal(r.errs, tt.want) {
				t.Errorf("got reports %q, want %q", r.errs, tt.want)
			}
		})
	}
}
