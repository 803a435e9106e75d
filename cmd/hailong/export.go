package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"hailong/digest"
	"hailong/flows"
	"hailong/internal/atomicfile"
	"hailong/store"
)

// exportRequest is what `hailong export` asks for.
type exportRequest struct {
	From, To time.Time // [From, To)
	Format   string    // xlsx or csv
	Out      string    // absolute path
	Scope    string
	Schools  []string
	// Office is the unit whose subtree is exported, if one is: its units
	// one level down get a sheet of their own.
	Office string `json:",omitempty"`
}

// write builds the report and writes it atomically to Out, which must be
// an absolute path and not the database (db).
func (req exportRequest) write(job *digest.Job, db string) (int64, error) {
	if !filepath.IsAbs(req.Out) {
		return 0, errors.New("export: the path must be absolute")
	}
	if same(req.Out, db) {
		return 0, errors.New("export: the target is the database itself; choose another file")
	}
	r, err := job.Report(&flows.ReportRequest{Scope: req.Scope, Schools: req.Schools, Office: req.Office, From: req.From, To: req.To})
	if err != nil {
		return 0, err
	}
	var data []byte
	switch req.Format {
	case "xlsx":
		data, err = digest.Workbook(r)
	case "csv":
		data, err = digest.CSV(r)
	default:
		err = fmt.Errorf("format %q: want xlsx or csv", req.Format)
	}
	if err != nil {
		return 0, err
	}
	if err := writeReport(req.Out, data); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	n := int64(len(data))
	if req.Format == "csv" {
		// A CSV holds one table: the comments and the comparison with a
		// year earlier, the workbook's sheets, go in files beside it.
		for path, render := range csvCompanions(req.Out) {
			if same(path, db) {
				return n, errors.New("export: a file beside the CSV would be the database itself; choose another name")
			}
			data, err := render(r)
			if err != nil {
				return n, err
			}
			if err := writeReport(path, data); err != nil {
				return n, fmt.Errorf("export: %w", err)
			}
			n += int64(len(data))
		}
	}
	return n, nil
}

// csvCompanions are the files a CSV export writes beside out: its comments
// (name-gop-y.csv) and its comparison with a year earlier (name-so-sanh.csv).
func csvCompanions(out string) map[string]func(*digest.Report) ([]byte, error) {
	base := strings.TrimSuffix(out, filepath.Ext(out))
	return map[string]func(*digest.Report) ([]byte, error){
		base + "-gop-y.csv":   digest.CommentsCSV,
		base + "-so-sanh.csv": digest.ComparisonCSV,
	}
}

// reportMode is the mode of every report file hailong saves for staff (the
// export, the demo's digest): the owner alone reads it. These files are the
// office's working data, not what it publishes: they give the respondents
// of every school, a school with one or two parents included, overdue
// complaints by code, and the rows a reader could set against a list of
// who answered. What an office may post is what `hailong publish` writes,
// with everything small suppressed (its files are 0644).
const reportMode = 0o600

// writeReport writes a staff report file whole, or not at all.
func writeReport(path string, data []byte) error {
	return atomicfile.WriteBytes(path, data, reportMode)
}

func (s *system) exportCmd(args []string) error {
	var c common
	fs := s.flags("export", &c)
	from := fs.String("from", "", "first day, 2026-09-01 (default: as /baocao: the wave open now, else the latest wave whole, else the last week)")
	to := fs.String("to", "", "last day, inclusive (default: as /baocao: today, or the latest wave's last day)")
	format := fs.String("format", "xlsx", "xlsx or csv")
	out := fs.String("out", "", "the file to write, or a directory to write it in as bao-cao-FROM_TO.EXT (required)")
	unit := fs.String("unit", "", "only this unit's schools, its subtree's included (default: all)")
	fs.StringVar(unit, "office", "", "the same as --unit")
	school := fs.String("school", "", "only this school")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(s.stderr, "hailong export: --out FILE is required")
		return errUsage
	}
	cfg, eng, err := c.loadEngine()
	if err != nil {
		return err
	}
	req := exportRequest{Format: *format, Scope: "Tất cả các trường"}
	if req.Out, err = filepath.Abs(*out); err != nil {
		return err
	}
	// A directory gets the file under the name the chat would give it.
	intoDir := false
	if fi, err := os.Stat(req.Out); err == nil && fi.IsDir() {
		intoDir = true
	}
	req.From, req.To = eng.DefaultPeriod(s.now())
	if *from != "" {
		if req.From, err = time.ParseInLocation(time.DateOnly, *from, cfg.loc); err != nil {
			return fmt.Errorf("--from %q: want a date like 2026-09-01", *from)
		}
	}
	if *to != "" {
		d, err := time.ParseInLocation(time.DateOnly, *to, cfg.loc)
		if err != nil {
			return fmt.Errorf("--to %q: want a date like 2027-01-15", *to)
		}
		req.To = d.AddDate(0, 0, 1)
	}
	if !req.To.After(req.From) {
		return errors.New("--to is before --from")
	}
	if intoDir {
		name := (&digest.Report{From: req.From, To: req.To, Location: cfg.loc}).FileName(digest.FileReport, "."+req.Format)
		req.Out = filepath.Join(req.Out, name)
	}
	if *unit == "" && *school == "" && len(cfg.directory.Children("")) == 1 {
		*unit = cfg.directory.Top().ID // the whole tree is the top unit's
	}
	if *unit != "" {
		o, ok := cfg.directory.Office(*unit)
		if !ok {
			return fmt.Errorf("--unit %q: no unit has that id", *unit)
		}
		req.Scope, req.Office = o.Name, o.ID
	}
	for _, sc := range cfg.directory.Schools {
		switch {
		case *school != "" && !strings.EqualFold(sc.Code, *school), *unit != "" && !cfg.directory.Within(&sc, *unit):
			continue
		}
		req.Schools = append(req.Schools, sc.Code)
	}
	if len(req.Schools) == 0 {
		return errors.New("no school matches --unit and --school")
	}
	if *school != "" {
		sc, _ := cfg.directory.School(*school)
		req.Scope, req.Office = sc.Name, ""
	}
	r, err := s.withJob(cfg, eng, "export", req, func(job *digest.Job, db *store.DB) (adminReply, error) {
		n, err := req.write(job, db.Path())
		return adminReply{OK: err == nil, Bytes: n}, err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "Wrote %s (%d bytes): %s, %s – %s.\n", req.Out, r.Bytes, req.Scope,
		req.From.Format("02/01/2006"), req.To.AddDate(0, 0, -1).Format("02/01/2006"))
	if req.Format == "csv" {
		var names []string
		for path := range csvCompanions(req.Out) {
			names = append(names, path)
		}
		sort.Strings(names)
		fmt.Fprintf(s.stdout, "Beside it: the comments and the comparison with a year earlier, %s.\n", strings.Join(names, " and "))
	}
	return nil
}
