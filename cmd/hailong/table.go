package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"

	"hailong/flows"
)

// The CSV files an office gives hailong (schools_file, `hailong baseline
// import`) are tables with a header naming their columns, in any order, in
// English or Vietnamese, with or without diacritics, as a spreadsheet saves
// them: a comma or — in a Vietnamese locale, whose decimal separator is the
// comma — a semicolon between fields (told from the header), perhaps a byte
// order mark. readTable reads what they share; each file's reader gives
// meaning to the cells.

// tableSpec is what a table's header may name.
type tableSpec struct {
	// Columns maps a header cell, folded (flows.Fold: lower case, no
	// diacritics, "_" and spaces alike), to its column.
	Columns map[string]string
	// Need are the columns a file must have.
	Need []string
	// Want lists the columns, for the message naming an unknown one;
	// Example is a header line, for the message of an empty file.
	Want, Example string
}

// badFunc is told each problem of a table, by its line (1: the header).
type badFunc func(line int, format string, a ...any)

// table is a CSV table whose header has been read.
type table struct {
	cr   *csv.Reader
	col  map[string]int // a column → its index in a row
	bad  badFunc
	err  error
	done bool
}

// tableRow is one row of a table below its header, with its line.
type tableRow struct {
	Line  int
	cells []string
	col   map[string]int
}

// Cell is the row's cell of column c, trimmed; "" if the table has no such
// column or the row is short of it.
func (r tableRow) Cell(c string) string {
	if i, ok := r.col[c]; ok && i < len(r.cells) {
		return strings.TrimSpace(r.cells[i])
	}
	return ""
}

// readTable reads a table's header. An empty file, or a header CSV cannot
// read, is an error, as is one of reading. The header's problems — an
// unknown column, one named twice, a needed one missing — are told to bad
// on line 1, and the table then has no rows.
func readTable(r io.Reader, spec tableSpec, bad badFunc) (*table, error) {
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\ufeff")) {
		br.Discard(3)
	}
	head, err := br.Peek(4096)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	if bytes.Count(head, []byte(";")) > bytes.Count(head, []byte(",")) {
		cr.Comma = ';'
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("empty: want a header line such as %s", spec.Example)
	}
	if err != nil {
		return nil, err
	}
	t := &table{cr: cr, col: map[string]int{}, bad: bad}
	ok := true
	for i, h := range header {
		c, known := spec.Columns[flows.Fold(h)]
		switch {
		case !known:
			bad(1, "column %q: unknown (want %s)", strings.TrimSpace(h), spec.Want)
			ok = false
			continue
		case t.Has(c):
			bad(1, "column %q is there twice", strings.TrimSpace(h))
			ok = false
		}
		t.col[c] = i
	}
	for _, c := range spec.Need {
		if !t.Has(c) {
			bad(1, "no %s column", c)
			ok = false
		}
	}
	t.done = !ok
	return t, nil
}

// Has says whether the header names column c.
func (t *table) Has(c string) bool {
	_, ok := t.col[c]
	return ok
}

// Rows yields each row below the header that has a cell that is not blank.
// A row CSV cannot read (a stray quote) is told to bad by its line and
// skipped; an error of reading ends the rows (Err).
func (t *table) Rows() iter.Seq[tableRow] {
	return func(yield func(tableRow) bool) {
		for !t.done {
			rec, err := t.cr.Read()
			if err == io.EOF {
				t.done = true
				return
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				t.bad(pe.Line, "%v", pe.Err)
				continue
			}
			if err != nil {
				t.err, t.done = err, true
				return
			}
			line, _ := t.cr.FieldPos(0)
			if strings.TrimSpace(strings.Join(rec, "")) == "" {
				continue // a blank line
			}
			if !yield(tableRow{Line: line, cells: rec, col: t.col}) {
				return
			}
		}
	}
}

// Err is the error that ended the rows early, if one did.
func (t *table) Err() error { return t.err }
