package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"hailong/flows"
	"hailong/store"
)

// baselineColumns are the columns of a baseline file, by the names its
// header may give them, folded (English, or Vietnamese with or without
// diacritics: "Mã trường", "ma truong" and "ma_truong" are one).
var baselineColumns = map[string]string{
	"school": "school", "ma truong": "school", "truong": "school",
	"period": "period", "ky": "period", "dot": "period", "nam": "period",
	"indicator": "indicator", "chi so": "indicator",
	"share": "share", "ty le": "share", "pct": "share",
	"good": "good", "tot": "good",
	"bad": "bad", "chua tot": "bad",
	"respondents": "respondents", "so phieu": "respondents",
	"source": "source", "nguon": "source",
}

// baselineTable is the header of a baseline file.
var baselineTable = tableSpec{
	Columns: baselineColumns,
	Need:    []string{"school", "period", "indicator"},
	Want:    "school, period, indicator, share or good and bad, respondents, source",
	Example: "school,period,indicator,share,respondents,source",
}

var (
	schoolYearRe = regexp.MustCompile(`^(\d{4})-(\d{4})$`)
	yearRe       = regexp.MustCompile(`^\d{4}$`)
)

// parseBaselines reads a baseline file: a header naming its columns, then
// one indicator of one school in one period a row. Every wrong row is
// named by its line; with any, nothing is returned to store.
func parseBaselines(data []byte, cfg *Config, source string) ([]flows.Baseline, []string) {
	var problems []string
	bad := func(line int, format string, a ...any) {
		problems = append(problems, fmt.Sprintf("line %d: %s", line, fmt.Sprintf(format, a...)))
	}
	t, err := readTable(bytes.NewReader(data), baselineTable, bad)
	if err != nil {
		return nil, []string{"line 1: " + err.Error()}
	}
	if !t.Has("share") && !(t.Has("good") && t.Has("bad")) {
		bad(1, "neither a share column nor good and bad columns")
	}
	if !t.Has("source") && source == "" {
		bad(1, "no source column, and no --source given: say where the figures come from")
	}
	if len(problems) > 0 {
		return nil, problems
	}
	qn := cfg.questionnaire
	var out []flows.Baseline
	lines := map[string]int{} // key → line, for duplicates
	for row := range t.Rows() {
		line, field := row.Line, row.Cell
		var b flows.Baseline
		before := len(problems)
		sc, ok := cfg.directory.School(field("school"))
		if !ok {
			bad(line, "school %q is not in the configuration", field("school"))
		} else {
			b.School = sc.Code
		}
		b.Period = baselinePeriod(cfg.directory, field("period"))
		if b.Period == "" {
			bad(line, "period %q: want a wave's id or title, a school year like 2025-2026, or a year like 2025", field("period"))
		}
		switch ind := field("indicator"); strings.ToLower(ind) {
		case "index", "b", "chi_so_hai_long":
			b.Indicator = flows.IndexID
		default:
			q := scoredQuestion(qn, ind)
			switch {
			case q == nil:
				bad(line, "indicator %q: want index or a scored question's id (A1…A9, B1…B6)", ind)
			case sc != nil && !q.AppliesTo(sc.Level):
				bad(line, "indicator %s is not asked at %s (%s)", q.ID, sc.Code, sc.Level.Name())
			default:
				b.Indicator = q.ID
			}
		}
		share, good, badN, resp := field("share"), field("good"), field("bad"), field("respondents")
		if share != "" {
			v, err := strconv.ParseFloat(strings.Replace(strings.TrimSuffix(share, "%"), ",", ".", 1), 64)
			if err != nil || v < 0 || v > 100 || math.IsNaN(v) {
				bad(line, "share %q: want a percentage from 0 to 100, like 73.3 or 73,3", share)
			}
			b.Pct = v
		}
		// Counts are read as a schools file's are (count): 1250 or 1.250.
		whole := func(name, v string) int {
			if v == "" {
				return 0
			}
			n, ok := count(v)
			if !ok {
				bad(line, "%s %q: want a whole number, 0 or more, such as 812 or 1.250", name, v)
			}
			return n
		}
		b.Good, b.Bad, b.Respondents = whole("good", good), whole("bad", badN), whole("respondents", resp)
		switch {
		case (good == "") != (badN == ""):
			bad(line, "give both good and bad counts, or neither")
		case share == "" && good == "":
			bad(line, "neither a share nor counts")
		case good != "" && b.Good+b.Bad == 0 && share == "":
			bad(line, "good and bad are both 0: no share follows")
		case share != "" && b.Good+b.Bad > 0 && math.Abs(100*float64(b.Good)/float64(b.Good+b.Bad)-b.Pct) > 0.05:
			bad(line, "share %s does not match the counts (%d good of %d: %.1f)", share, b.Good, b.Good+b.Bad, 100*float64(b.Good)/float64(b.Good+b.Bad))
		}
		if b.Source = field("source"); b.Source == "" {
			b.Source = source
		}
		if b.Source == "" {
			bad(line, "no source")
		}
		if len(problems) > before {
			continue
		}
		k := b.Period + "|" + b.School + "|" + b.Indicator
		if l, dup := lines[k]; dup {
			bad(line, "%s %s %s is given on line %d too", b.School, b.Period, b.Indicator, l)
			continue
		}
		lines[k] = line
		out = append(out, b)
	}
	if len(out) == 0 && len(problems) == 0 {
		problems = append(problems, "no rows after the header")
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return out, nil
}

// baselinePeriod is the period a file names, as stored: a wave's id (named
// by id or title), a school year or a year; "" if it is none of them.
func baselinePeriod(d *flows.Directory, p string) string {
	for _, w := range d.Waves {
		if strings.EqualFold(p, w.ID) || p == w.Title {
			return w.ID
		}
	}
	if m := schoolYearRe.FindStringSubmatch(p); m != nil {
		a, _ := strconv.Atoi(m[1])
		if b, _ := strconv.Atoi(m[2]); b == a+1 {
			return p
		}
	}
	if yearRe.MatchString(p) {
		return p
	}
	return ""
}

func scoredQuestion(qn *flows.Questionnaire, id string) *flows.Question {
	for _, q := range qn.Scored() {
		if strings.EqualFold(q.ID, id) {
			return q
		}
	}
	return nil
}

// importBaselines stores rows (run by the command, or by the bot asked over
// its admin socket).
func importBaselines(db *store.DB, rows []flows.Baseline) adminReply {
	if err := db.PutBaselines(rows); err != nil {
		return adminReply{Error: err.Error()}
	}
	return adminReply{OK: true, Bytes: int64(len(rows))}
}

func (s *system) baselineCmd(args []string) error {
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintln(s.stderr, "usage: hailong baseline import FILE.csv [--source TEXT] [--config FILE] [--db PATH]")
		return errUsage
	}
	var c common
	fs := s.flags("baseline import", &c)
	source := fs.String("source", "", "where the figures come from, for rows without a source column")
	file, err := s.parseOne(fs, args[1:], "hailong baseline import FILE.csv [--source TEXT] [--config FILE] [--db PATH]")
	if err != nil {
		return err
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("baseline import: %w", err)
	}
	rows, problems := parseBaselines(data, cfg, *source)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(s.stderr, "%s: %s\n", file, p)
		}
		return fmt.Errorf("%s: %d problems; nothing was imported", file, len(problems))
	}
	spec, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	r, err := s.withWritableDB(cfg, nil, "baseline "+string(spec), func(db *store.DB) adminReply { return importBaselines(db, rows) })
	if err != nil {
		return err
	}
	schools, periods := map[string]bool{}, map[string]bool{}
	for _, b := range rows {
		schools[b.School], periods[b.Period] = true, true
	}
	var ps []string
	for p := range periods {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	fmt.Fprintf(s.stdout, "Imported %d baseline figures from %s into %s: %d schools, periods %s. Reports compare with them where the bot has no data of a year earlier.\n",
		r.Bytes, file, cfg.Database, len(schools), strings.Join(ps, ", "))
	return nil
}
