package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hailong/flows"
	"hailong/publish"
	"hailong/publish/publishtest"
	"hailong/store"
)

// TestPublishDemo runs `hailong publish` over the demo's data, with one
// school short of min_respondents, and reads every file back: the JSON
// audits clean against the database's aggregates, the CSV agrees with it
// and gives no small school back through the total, each PDF is one page
// with the school's figures against the unit's.
func TestPublishDemo(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	var out, errs syncBuffer
	s := &system{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &out, stderr: &errs,
		now: func() time.Time { return time.Date(2026, 11, 26, 9, 0, 0, 0, mustLoc("Asia/Ho_Chi_Minh")) }}
	// 28 parents over the six schools: 5, 5, 5, 5, 4 and 4, and the Zalo
	// parent makes the last 5. The fifth school is withheld, and one with
	// it.
	if err := s.run(context.Background(), []string{"demo", "--parents", "28", "--db", db}); err != nil {
		t.Fatalf("demo: %v\n%s", err, errs.String())
	}
	pub := filepath.Join(dir, "cong-bo")
	out = syncBuffer{}
	if err := s.run(context.Background(), []string{"publish", "--db", db, "--wave", "2026-2027-hk1", "--out", pub}); err != nil {
		t.Fatalf("publish: %v\n%s", err, errs.String())
	}
	if !strings.Contains(out.String(), "6 schools, 2 of them withheld") {
		t.Errorf("publish says:\n%s", out.String())
	}

	cfg, err := loadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := cfg.engine()
	if err != nil {
		t.Fatal(err)
	}
	sdb, err := store.Open(db, store.Options{LocalSecret: true, ReadOnly: true, Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	w, ok := cfg.directory.Wave("2026-2027-hk1")
	if !ok {
		t.Fatal("no wave 2026-2027-hk1 in the example config")
	}
	counts, err := sdb.Aggregates(w.ID)
	if err != nil {
		t.Fatal(err)
	}
	top := cfg.directory.Top()
	var schools []flows.School
	small := 0
	for _, sc := range cfg.directory.Under(top.ID) {
		schools = append(schools, *sc)
		if counts.Respondents[sc.Code] < cfg.Survey.MinRespondents {
			small++
		}
	}
	if small != 1 {
		t.Fatalf("%d schools under %d respondents (%v): the test wants one", small, cfg.Survey.MinRespondents, counts.Respondents)
	}
	in := publish.Input{Engine: eng, Unit: publish.Unit{ID: top.ID, Name: top.Name}, Wave: w, Schools: schools, Counts: counts,
		EnrolmentOf: cfg.directory.EnrolmentOf, MinRespondents: cfg.Survey.MinRespondents}
	publishtest.ReadBack(t, pub, in)
	// The demo's one complaint, acknowledged and resolved at once.
	data, err := os.ReadFile(filepath.Join(pub, "ket-qua-2026-2027-hk1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d publish.Dataset
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if got, want := d.Total.Complaints, (publish.Complaints{Received: 1, AckedOnTime: 1, ResolvedOnTime: 1}); got != want {
		t.Errorf("the unit's complaints %+v, want %+v", got, want)
	}
	if strings.Contains(string(data), "PA-") {
		t.Errorf("a complaint's code is published")
	}
	files, _ := os.ReadDir(pub)
	if len(files) != len(schools)+3 {
		t.Errorf("%d files published, want the CSV, the JSON and %d summaries", len(files), len(schools)+1)
	}
}

// TestPublishWhileRunning: publish reaches the running bot over its admin
// socket, as export does; one parent is too few for anything but the
// complaint counts.
func TestPublishWhileRunning(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.begin(parent, "TH-TV", "Lớp 3")
	h.answerAll(parent, 1, "Có")
	var out syncBuffer
	s := h.sys()
	s.stdout = &out
	dir := filepath.Join(t.TempDir(), "cong-bo")
	if err := s.run(context.Background(), []string{"publish", "--config", h.cfgPath, "--db", h.dbPath, "--wave", "w1", "--out", dir}); err != nil {
		t.Fatalf("publish while running: %v", err)
	}
	h.stop()
	if !strings.Contains(out.String(), "3 schools, 3 of them withheld") || !strings.Contains(out.String(), filepath.Join(dir, "ket-qua-w1.json")) {
		t.Errorf("publish says:\n%s", out.String())
	}
	data, err := os.ReadFile(filepath.Join(dir, "ket-qua-w1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), `"value"`) {
		t.Errorf("one parent's answers published:\n%s", data)
	}
	if err := s.run(context.Background(), []string{"publish", "--config", h.cfgPath, "--db", h.dbPath, "--wave", "nowave", "--out", dir}); err == nil || !strings.Contains(err.Error(), `no wave "nowave"`) {
		t.Errorf("publish of an unknown wave: %v", err)
	}
}

// TestReportCommandsShareSetup: export and publish are set up alike
// (loadEngine, withJob): each reads the database --db names, while the bot
// runs (asked over its admin socket) and while it is stopped, and each
// names a missing one the same way.
func TestReportCommandsShareSetup(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.begin(parent, "TH-TV", "Lớp 3")
	h.answerAll(parent, 1, "Có")
	s := h.sys()
	s.stdout = &syncBuffer{}
	commands := func(db, dir string) map[string][]string {
		return map[string][]string{
			"export":  {"export", "--config", h.cfgPath, "--db", db, "--from", "2026-09-01", "--out", filepath.Join(dir, "bao-cao.xlsx")},
			"publish": {"publish", "--config", h.cfgPath, "--db", db, "--wave", "w1", "--out", filepath.Join(dir, "cong-bo")},
		}
	}
	for _, while := range []string{"running", "stopped"} {
		dir := t.TempDir()
		for name, args := range commands(h.dbPath, dir) {
			if err := s.run(context.Background(), args); err != nil {
				t.Errorf("%s while the bot is %s: %v", name, while, err)
			}
		}
		for _, f := range []string{"bao-cao.xlsx", filepath.Join("cong-bo", "ket-qua-w1.json")} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("while the bot is %s: %v", while, err)
			}
		}
		if while == "running" {
			h.stop()
		}
	}
	missing := filepath.Join(t.TempDir(), "none.db")
	for name, args := range commands(missing, t.TempDir()) {
		if err := s.run(context.Background(), args); err == nil || !strings.HasPrefix(err.Error(), "no database at "+missing+":") {
			t.Errorf("%s of a missing database: %v", name, err)
		}
	}
}
