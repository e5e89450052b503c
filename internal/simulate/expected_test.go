package simulate

import (
	"maps"
	"testing"

	"github.com/baraza/baraza/dialogs"
)

func TestExpected(t *testing.T) {
	report := &dialogs.Script{ID: "r", Kind: dialogs.KindReport, Languages: []string{"en"},
		Questions: []dialogs.Question{{ID: "q", Type: dialogs.TypeChoice, Options: []dialogs.Option{{ID: "a"}, {ID: "b"}}}}}
	player := func(decline bool, opt string) *Player {
		p := &Player{Script: report, Decline: decline, given: dialogs.Answers{}}
		if opt != "" {
			p.given["q"] = dialogs.Answer{Options: []string{opt}}
		}
		return p
	}
	tests := []struct {
		name    string
		players []*Player
		week    string
		want    map[string]int64
	}{
		{"nobody", nil, "", map[string]int64{}},
		{"one refusal", []*Player{player(true, "")}, "", map[string]int64{"declined": 1}},
		{"completions sum per field", []*Player{player(false, "a"), player(false, "a"), player(false, "b")}, "",
			map[string]int64{"started": 3, "completed": 3, "a|q": 3, "o|q|a": 2, "o|q|b": 1}},
		{"skipping counts started and completed only", []*Player{player(false, "")}, "",
			map[string]int64{"started": 1, "completed": 1}},
		{"weekly fields with a week", []*Player{player(false, "b"), player(true, "")}, "2026-W02",
			map[string]int64{"started": 1, "completed": 1, "declined": 1, "a|q": 1, "o|q|b": 1, "w|2026-W02": 1, "w|2026-W02|q|b": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Expected(tt.players, tt.week); !maps.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
