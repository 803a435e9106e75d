package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"hailong/digest"
	"hailong/flows"
	"hailong/publish"
	"hailong/store"
)

// publishRequest is what `hailong publish` asks for; it travels to a
// running bot over the admin socket as export's request does.
type publishRequest struct {
	Wave string
	Unit string    // the unit whose subtree is published; "" the top
	Out  string    // an absolute directory
	Made time.Time // the publication's date
}

// publishResult is what was written, for the command to tell.
type publishResult struct {
	Files    []string `json:"files"`
	Unit     string   `json:"unit"`
	Schools  int      `json:"schools"`
	Withheld int      `json:"withheld"`
}

// write builds the dataset from the wave's aggregates and the complaints,
// audits it (publish.Build) and writes its files into Out.
func (req publishRequest) write(job *digest.Job) (publishResult, error) {
	var res publishResult
	if !filepath.IsAbs(req.Out) {
		return res, errors.New("publish: the directory must be absolute")
	}
	dir := job.Engine.Directory()
	w, ok := dir.Wave(req.Wave)
	if !ok {
		var ids []string
		for _, w := range dir.Waves {
			ids = append(ids, w.ID)
		}
		return res, fmt.Errorf("publish: no wave %q (the configuration has %s)", req.Wave, strings.Join(ids, ", "))
	}
	unit := dir.Top()
	if req.Unit != "" {
		if unit, ok = dir.Office(req.Unit); !ok {
			return res, fmt.Errorf("publish: no unit %q in the configuration's offices", req.Unit)
		}
	}
	if unit == nil {
		return res, errors.New("publish: the configuration has no office")
	}
	var schools []flows.School
	var codes []string
	for _, sc := range dir.Under(unit.ID) {
		schools, codes = append(schools, *sc), append(codes, sc.Code)
	}
	if len(schools) == 0 {
		return res, fmt.Errorf("publish: %s has no school", unit.Name)
	}
	counts, err := job.Store.AggregatesOf(w.ID, codes)
	if err != nil {
		return res, err
	}
	// Only what is counted: school, status and times, never a text; of
	// those the wave's days count, publish.Build keeps the ones filed in it.
	var complaints []*flows.Complaint
	if err := job.Store.ComplaintFacts(codes, w.Start, w.End, func(c *flows.Complaint) error { complaints = append(complaints, c); return nil }); err != nil {
		return res, fmt.Errorf("publish: read complaints: %w", err)
	}
	d, err := publish.Build(publish.Input{Engine: job.Engine, Unit: publish.Unit{ID: unit.ID, Name: unit.Name}, Wave: w,
		Schools: schools, Counts: counts, Complaints: complaints, EnrolmentOf: dir.EnrolmentOf,
		MinRespondents: job.MinRespondents, Made: req.Made.In(job.Engine.Location())})
	if err != nil {
		return res, err
	}
	if res.Files, err = publish.Write(req.Out, d); err != nil {
		return res, err
	}
	res.Unit, res.Schools = unit.Name, len(d.Schools)
	for _, s := range d.Schools {
		if s.Hidden() {
			res.Withheld++
		}
	}
	return res, nil
}

func (s *system) publishCmd(args []string) error {
	var c common
	fs := s.flags("publish", &c)
	wave := fs.String("wave", "", "the survey wave's id (required)")
	out := fs.String("out", "", "the directory to write into (required; made if missing)")
	unit := fs.String("unit", "", "the unit whose schools are published (default: the one at the top)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *wave == "" || *out == "" {
		fmt.Fprintln(s.stderr, "usage: hailong publish --wave ID --out DIR [--unit ID] [--config FILE] [--db PATH]")
		return errUsage
	}
	cfg, eng, err := c.loadEngine()
	if err != nil {
		return err
	}
	req := publishRequest{Wave: *wave, Unit: *unit, Made: s.now()}
	if req.Out, err = filepath.Abs(*out); err != nil {
		return err
	}
	r, err := s.withJob(cfg, eng, "publish", req, func(job *digest.Job, _ *store.DB) (adminReply, error) {
		res, err := req.write(job)
		return adminReply{OK: err == nil, Published: &res}, err
	})
	if err != nil {
		return err
	}
	res := r.Published
	if res == nil {
		return errors.New("publish: the bot did not say what it wrote")
	}
	fmt.Fprintf(s.stdout, "Published %s, wave %s: %d schools, %d of them withheld (fewer than %d respondents, or withheld with one so that no total gives one back).\n",
		res.Unit, req.Wave, res.Schools, res.Withheld, cfg.Survey.MinRespondents)
	for _, f := range res.Files {
		fmt.Fprintln(s.stdout, "  "+f)
	}
	return nil
}

// demoPublish publishes the demo's wave beside its database, as an office
// would at the wave's end, and says where.
func (s *system) demoPublish(cfg *Config, db *store.DB, now time.Time) error {
	w, ok := cfg.directory.WaveAt(now)
	if !ok {
		return errors.New("no wave is open")
	}
	job, err := digestJob(cfg, db, nil)
	if err != nil {
		return err
	}
	out := filepath.Join(filepath.Dir(cfg.Database), "cong-bo")
	res, err := publishRequest{Wave: w.ID, Out: out, Made: now}.write(job)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "── Publishing the wave (hailong publish --wave %s --out DIR) ──\n\n%s: %d schools, %d withheld (fewer than %d respondents, or withheld with one). What the office may post:\n",
		w.ID, res.Unit, res.Schools, res.Withheld, cfg.Survey.MinRespondents)
	for _, f := range res.Files {
		fmt.Fprintln(s.stdout, "  "+f)
	}
	fmt.Fprintln(s.stdout)
	return nil
}
