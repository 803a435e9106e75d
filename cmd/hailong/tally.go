package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"hailong/flows"
	"hailong/store"
)

// printTallies writes a wave's scores per school and for all schools:
// respondents, the satisfaction index and each scored question as the
// share of good answers, suppressed below min_respondents.
func printTallies(w io.Writer, cfg *Config, eng *flows.Engine, wave *flows.Wave, agg store.Tally) {
	min := cfg.Survey.MinRespondents
	scored := eng.Questionnaire().Scored()
	total := 0
	for _, n := range agg.Respondents {
		total += n
	}
	fmt.Fprintf(w, "Đợt «%s»: %d phụ huynh đã trả lời.\n", wave.Title, total)
	fmt.Fprintf(w, "Ô là %% câu trả lời tốt; «–» khi chưa đủ %d câu trả lời (HL: %d phụ huynh); HL = chỉ số hài lòng (%% mức 4–5 của B1–B6).\n\n", min, min)
	const nameWidth = 34
	header := pad("Trường", nameWidth) + "  Phiếu    HL"
	for _, q := range scored {
		header += fmt.Sprintf(" %4s", q.ID)
	}
	fmt.Fprintln(w, header)
	all := map[string]flows.Tally{}
	cell := func(t flows.Tally) string {
		if p, ok := t.Pct(min); ok {
			return fmt.Sprintf("%.0f%%", p)
		}
		return "–"
	}
	// The index sums six answers a parent: it needs min parents, not
	// min answers, or one parent's satisfaction would show.
	index := func(t flows.Tally, parents int) string {
		if parents < min {
			return "–"
		}
		return cell(t)
	}
	for _, sc := range cfg.directory.Schools {
		ts := eng.Tallies(sc.Level, agg.Counts[sc.Code])
		row := pad(sc.Name, nameWidth) + fmt.Sprintf("  %5d %5s", agg.Respondents[sc.Code], index(ts[flows.IndexID], agg.Respondents[sc.Code]))
		for _, q := range scored {
			row += fmt.Sprintf(" %4s", cell(ts[q.ID]))
		}
		fmt.Fprintln(w, row)
		for id, t := range ts {
			all[id] = all[id].Add(t)
		}
	}
	row := pad("Tất cả các trường", nameWidth) + fmt.Sprintf("  %5d %5s", total, index(all[flows.IndexID], total))
	for _, q := range scored {
		row += fmt.Sprintf(" %4s", cell(all[q.ID]))
	}
	fmt.Fprintln(w, strings.Repeat("─", utf8.RuneCountInString(header)))
	fmt.Fprintln(w, row)
	fmt.Fprintln(w)
	for _, q := range scored {
		t := all[q.ID]
		line := fmt.Sprintf("%-3s %s: %d tốt / %d đã trả lời có–không", q.ID, q.Short, t.Good, t.Judged())
		if q.Kind == flows.Scale {
			line = fmt.Sprintf("%-3s %s: %d ở mức 4–5 / %d", q.ID, q.Short, t.Good, t.Judged())
		}
		if q.Kind == flows.Number {
			line = fmt.Sprintf("%-3s %s: %d lớp không vượt sĩ số tối đa / %d", q.ID, q.Short, t.Good, t.Judged())
		}
		if t.Unknown > 0 {
			line += fmt.Sprintf(", %d không biết", t.Unknown)
		}
		fmt.Fprintln(w, line)
	}
}

func pad(s string, n int) string {
	if utf8.RuneCountInString(s) > n {
		r := []rune(s)
		return string(r[:n-1]) + "…"
	}
	return s + strings.Repeat(" ", n-utf8.RuneCountInString(s))
}
