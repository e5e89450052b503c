package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/baraza/baraza/adapters/sms"
	"github.com/baraza/baraza/dialogs"
)

// smsCosts prints, under a valid script, how many SMS segments each of its
// messages takes in each language, so authors see what a long question
// costs on basic phones: GSM-7 holds 160 characters (153 per part of a
// longer message), UCS-2 (Arabic) 70 (67 per part).
func smsCosts(w io.Writer, s *dialogs.Script) {
	est := sms.Estimates(s)
	if len(est) == 0 {
		return
	}
	fmt.Fprintln(w, "  SMS segments per message (GSM-7: 160, 153 per part; UCS-2: 70, 67 per part):")
	var order []string
	rows := map[string][]string{}
	total := map[string]int{}
	for _, e := range est {
		if _, ok := rows[e.Step]; !ok {
			order = append(order, e.Step)
		}
		rows[e.Step] = append(rows[e.Step], fmt.Sprintf("%s %d %s", e.Lang, e.Segments.Parts, e.Segments.Encoding))
		total[e.Lang] += e.Segments.Parts
	}
	for _, step := range order {
		fmt.Fprintf(w, "    %s: %s\n", step, strings.Join(rows[step], ", "))
	}
	var sums []string
	for _, l := range s.Languages {
		sums = append(sums, fmt.Sprintf("%s %d", l, total[l]))
	}
	fmt.Fprintf(w, "    every message once: %s segments\n", strings.Join(sums, ", "))
}
