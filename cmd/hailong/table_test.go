package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestReadTable: the table reader both CSV files of an office go through
// (schools, baselines) strips a BOM, tells the separator from the header,
// maps headers through the folded aliases, gives each row with its line
// (a quoted cell across lines counted), skips blank rows, and names a
// row CSV cannot read by its line, going on after it.
func TestReadTable(t *testing.T) {
	spec := tableSpec{
		Columns: map[string]string{"ma": "code", "code": "code", "ten truong": "name", "name": "name", "ghi chu": "note", "note": "note"},
		Need:    []string{"code", "name"},
		Want:    "code, name, note",
		Example: "code,name",
	}
	read := func(in string) (rows []string, problems []string, err error) {
		bad := func(line int, format string, a ...any) {
			problems = append(problems, fmt.Sprintf("%d: %s", line, fmt.Sprintf(format, a...)))
		}
		tb, err := readTable(strings.NewReader(in), spec, bad)
		if err != nil {
			return nil, problems, err
		}
		for row := range tb.Rows() {
			rows = append(rows, fmt.Sprintf("%d %s|%s|%s", row.Line, row.Cell("code"), row.Cell("name"), row.Cell("note")))
		}
		return rows, problems, tb.Err()
	}
	for _, c := range []struct {
		name, in string
		rows     []string
	}{
		{"comma", "code,name\nA,Trường A\n", []string{"2 A|Trường A|"}},
		{"BOM, semicolons, Vietnamese", "\ufeffMã;Tên trường;Ghi chú\r\nA;Trường A, cơ sở 2;x\r\n\r\n;;\r\nB; Trường B ;\r\n",
			[]string{"2 A|Trường A, cơ sở 2|x", "5 B|Trường B|"}},
		{"a cell across lines", "ma,ten_truong\nA,\"Trường\nA\"\nB,Trường B\n", []string{"2 A|Trường\nA|", "4 B|Trường B|"}},
		{"a short row", "code;name;note\nA\n", []string{"2 A||"}},
	} {
		rows, problems, err := read(c.in)
		if err != nil || len(problems) > 0 || !slices.Equal(rows, c.rows) {
			t.Errorf("%s: rows %q, problems %q, %v; want %q", c.name, rows, problems, err, c.rows)
		}
	}

	rows, problems, err := read("code,name\nA,\"Trường \"A\"\nB,Trường B\n")
	if err != nil || len(problems) != 1 || !strings.HasPrefix(problems[0], "2: ") || !slices.Equal(rows, []string{"3 B|Trường B|"}) {
		t.Errorf("a stray quote: rows %q, problems %q, %v", rows, problems, err)
	}
	rows, problems, err = read("Ma;Ma;Colour\nA;B;C\n")
	want := []string{`1: column "Ma" is there twice`, `1: column "Colour": unknown (want code, name, note)`, "1: no name column"}
	if err != nil || len(rows) > 0 || !slices.Equal(problems, want) {
		t.Errorf("a wrong header: rows %q, problems %q, %v; want %q", rows, problems, err, want)
	}
	if _, _, err := read("\ufeff"); err == nil || !strings.Contains(err.Error(), "empty: want a header line such as code,name") {
		t.Errorf("an empty file: %v", err)
	}
}
