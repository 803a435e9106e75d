package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"hailong/flows"
)

// A province has a thousand schools or more: nobody types them into YAML.
// schools_file names a CSV of them, read at start, with every bad row
// named by its line:
//
//	code,name,level,unit,families,principals
//	TH-TRUNGVUONG,Trường Tiểu học Trưng Vương,th,sadec,812,123456789 zalo:8a1f…
//
// The header names the columns, in any order, in English or Vietnamese
// (schoolColumns). The enrolment column is called families or pupils (số
// gia đình, số học sinh): what the response rate is measured against.
// Separators: a comma, or the semicolon a Vietnamese-locale spreadsheet
// writes, told from the header. Principals are separated by spaces or
// semicolons within their cell.

// schoolColumns maps a header cell (folded: lower case, no diacritics) to
// its column.
var schoolColumns = map[string]string{
	"code": "code", "ma": "code", "ma truong": "code",
	"name": "name", "ten": "name", "ten truong": "name",
	"level": "level", "cap": "level", "cap hoc": "level",
	"unit": "unit", "office": "unit", "don vi": "unit", "don vi quan ly": "unit",
	"families": "families", "so gia dinh": "families",
	"pupils": "pupils", "so hoc sinh": "pupils", "enrolment": "pupils", "enrollment": "pupils",
	"principals": "principals", "hieu truong": "principals",
}

// levelNames reads a level as a spreadsheet may write it.
var levelNames = map[string]flows.Level{
	"mn": flows.Preschool, "mam non": flows.Preschool, "mau giao": flows.Preschool,
	"th": flows.Primary, "tieu hoc": flows.Primary,
	"thcs": flows.Lower, "trung hoc co so": flows.Lower,
}

// schoolsFile is what a schools file holds.
type schoolsFile struct {
	Schools []flows.School
	// Of is what enrolment counts: "families" or "pupils"; empty when the
	// file has no enrolment column.
	Of string
}

// schoolsTable is the header of a schools file.
var schoolsTable = tableSpec{
	Columns: schoolColumns,
	Need:    []string{"code", "name", "level", "unit"},
	Want:    "code, name, level, unit, families or pupils, principals",
	Example: "code,name,level,unit,families,principals",
}

// readSchools reads a schools file; name is how errors name it.
func readSchools(r io.Reader, name string) (*schoolsFile, error) {
	var errs []error
	bad := func(line int, format string, a ...any) {
		if len(errs) < 50 {
			errs = append(errs, fmt.Errorf("%s:%d: "+format, append([]any{name, line}, a...)...))
		}
	}
	t, err := readTable(r, schoolsTable, bad)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := &schoolsFile{}
	for _, c := range []string{"families", "pupils"} {
		if t.Has(c) {
			if out.Of != "" {
				bad(1, "both families and pupils: enrolment is counted one way")
			}
			out.Of = c
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	seen := map[string]int{}
	for row := range t.Rows() {
		line := row.Line
		sc := flows.School{Code: row.Cell("code"), Name: row.Cell("name"), Office: row.Cell("unit")}
		switch {
		case !flows.ValidCode(sc.Code):
			bad(line, "code %q: want 1-32 letters, digits, - or _", sc.Code)
		case seen[strings.ToLower(sc.Code)] != 0:
			bad(line, "code %q is on line %d too", sc.Code, seen[strings.ToLower(sc.Code)])
		}
		seen[strings.ToLower(sc.Code)] = line
		if sc.Name == "" {
			bad(line, "%s: the name is empty", sc.Code)
		}
		if l, ok := levelNames[flows.Fold(row.Cell("level"))]; ok {
			sc.Level = l
		} else {
			bad(line, "%s: level %q: want mn, th or thcs (mầm non, tiểu học, THCS)", sc.Code, row.Cell("level"))
		}
		if sc.Office == "" {
			bad(line, "%s: the unit is empty", sc.Code)
		}
		if out.Of != "" {
			if v := row.Cell(out.Of); v != "" {
				n, ok := count(v)
				if !ok {
					bad(line, "%s: %s %q: want a whole number such as 812 or 1.250", sc.Code, out.Of, v)
				}
				sc.Enrolment = n
			}
		}
		for _, p := range strings.FieldsFunc(row.Cell("principals"), func(r rune) bool { return r == ' ' || r == ';' || r == ',' }) {
			id, err := userID(p)
			if err != nil {
				bad(line, "%s: principal %v", sc.Code, err)
				continue
			}
			sc.Principals = append(sc.Principals, id)
		}
		out.Schools = append(out.Schools, sc)
	}
	if err := t.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(errs) == 50 {
		errs = append(errs, fmt.Errorf("%s: more errors not shown", name))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out.Schools) == 0 {
		return nil, fmt.Errorf("%s: no schools below the header", name)
	}
	return out, nil
}

// count reads a whole number as a spreadsheet may write it: 1250, 1.250,
// 1,250 or 1 250 (groups of three digits).
func count(s string) (int, bool) {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == ',' || r == ' ' || r == '\u00a0' })
	for i, p := range parts {
		if i > 0 && len(p) != 3 {
			return 0, false
		}
	}
	n, err := strconv.Atoi(strings.Join(parts, ""))
	if err != nil || n < 0 || len(parts) == 0 {
		return 0, false
	}
	return n, true
}

// schoolsCmd is `hailong schools check FILE [--config FILE]`: a schools
// file validated without starting anything, read exactly as `hailong run`
// would read it as the configuration's schools_file — beside the schools
// the configuration lists, under its units and its enrolment_of — so that
// the two cannot disagree.
func (s *system) schoolsCmd(args []string) error {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(s.stderr, "usage: hailong schools check FILE [--config FILE]")
		return errUsage
	}
	var c common
	file, err := s.parseOne(s.flags("schools check", &c), args[1:], "hailong schools check FILE [--config FILE]")
	if err != nil {
		return err
	}
	// The file as named here, not relative to the configuration's
	// directory as its schools_file would be.
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	cfg, err := loadConfigWith(c.config, func(cfg *Config) { cfg.SchoolsFile = abs })
	if err != nil {
		return err
	}
	// Read again for the summary: what the file alone holds.
	f, err := os.Open(abs)
	if err != nil {
		return err
	}
	defer f.Close()
	sf, err := readSchools(f, file)
	if err != nil {
		return err
	}
	units := map[string]int{}
	enrolled := 0
	for _, sc := range sf.Schools {
		units[sc.Office]++
		if sc.Enrolment > 0 {
			enrolled++
		}
	}
	plural := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	fmt.Fprintf(s.stdout, "%s: %s in %s; %d with %s counted. OK against %s.\n",
		file, plural(len(sf.Schools), "school"), plural(len(units), "unit"), enrolled, map[string]string{"": "no enrolment", "families": "families", "pupils": "pupils"}[sf.Of], cfg.source)
	return nil
}
