package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"go.etcd.io/bbolt"

	"hailong/flows"
	"hailong/store"
)

// TestBackupAndCheck: `hailong backup` takes a consistent copy while the
// bot runs (through its admin socket) and while it is stopped; the copy
// opens and holds the answers; `hailong check` finds no problem in a sound
// database and names a broken aggregate.
func TestBackupAndCheck(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.begin(parent, "TH-TV", "Lớp 3")
	h.answerAll(parent, 1, "Có")

	var out syncBuffer
	s := h.sys()
	s.stdout = &out
	hot := filepath.Join(t.TempDir(), "hot.db")
	if err := s.run(context.Background(), []string{"backup", hot, "--config", h.cfgPath, "--db", h.dbPath}); err != nil {
		t.Fatalf("backup while running: %v", err)
	}
	if err := s.run(context.Background(), []string{"check", "--config", h.cfgPath, "--db", h.dbPath}); err != nil {
		t.Fatalf("check while running: %v\n%s", err, out.String())
	}
	if err := s.run(context.Background(), []string{"compact", "--config", h.cfgPath, "--db", h.dbPath}); err == nil || !strings.Contains(err.Error(), "stop the bot first") {
		t.Errorf("compact while running: %v, want a refusal", err)
	}
	h.stop()
	if err := s.run(context.Background(), []string{"compact", "--config", h.cfgPath, "--db", h.dbPath}); err != nil || !strings.Contains(out.String(), "Compacted") {
		t.Errorf("compact while stopped: %v\n%s", err, out.String())
	}
	cold := filepath.Join(t.TempDir(), "cold.db")
	if err := s.run(context.Background(), []string{"backup", cold, "--config", h.cfgPath, "--db", h.dbPath}); err != nil {
		t.Fatalf("backup while stopped: %v", err)
	}
	if !strings.Contains(out.String(), "no problems found") || strings.Count(out.String(), "Backed up") != 2 {
		t.Errorf("output:\n%s", out.String())
	}
	for _, copy := range []string{hot, cold} {
		db, err := store.Open(copy, store.Options{Secret: []byte(testSecret)})
		if err != nil {
			t.Fatal(err)
		}
		agg, err := db.Aggregates("w1")
		if err != nil || agg.Respondents["TH-TV"] != 1 {
			t.Errorf("%s: respondents %v, %v", copy, agg.Respondents, err)
		}
		db.Close()
	}

	// Break an aggregate behind the store's back: check must say so.
	raw, err := bbolt.Open(cold, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("aggregates")).Put([]byte("w1\x00TH-TV\x00A1\x00yes"), []byte{0, 0, 0, 0, 0, 0, 0, 7})
	})
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	out = syncBuffer{}
	err = s.run(context.Background(), []string{"check", "--config", h.cfgPath, "--db", cold})
	if err == nil || !strings.Contains(out.String(), "TH-TV A1=yes: 7 counted, 1 in the responses") {
		t.Errorf("check of a broken database: err %v, output:\n%s", err, out.String())
	}
}

// TestExport: `hailong export` writes the report of any days as a
// workbook while the bot runs, and as CSV while it is stopped.
func TestExport(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.begin(parent, "TH-TV", "Lớp 3")
	h.answerAll(parent, 1, "Có")
	var out syncBuffer
	s := h.sys()
	s.stdout = &out
	book := filepath.Join(t.TempDir(), "hk1.xlsx")
	if err := s.run(context.Background(), []string{"export", "--config", h.cfgPath, "--db", h.dbPath,
		"--from", "2026-09-01", "--to", "2027-01-15", "--out", book}); err != nil {
		t.Fatalf("export while running: %v", err)
	}
	h.stop()
	csvPath := filepath.Join(t.TempDir(), "th.csv")
	if err := s.run(context.Background(), []string{"export", "--config", h.cfgPath, "--db", h.dbPath,
		"--school", "TH-TV", "--format", "csv", "--out", csvPath}); err != nil {
		t.Fatalf("export while stopped: %v", err)
	}
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Theo trường")
	if err != nil || len(rows) < 3 {
		t.Fatalf("workbook rows %v, %v", rows, err)
	}
	found := false
	for _, r := range rows {
		if len(r) > 4 && r[0] == "TH-TV" && r[4] == "1" {
			found = true
		}
	}
	if !found {
		t.Errorf("the workbook does not count TH-TV's response: %v", rows)
	}
	data, err := os.ReadFile(csvPath)
	if err != nil || !strings.Contains(string(data), "TH-TV") || strings.Contains(string(data), "THCS-TD") {
		t.Errorf("csv: %v\n%s", err, data)
	}
	if strings.Count(out.String(), "Wrote ") != 2 {
		t.Errorf("output:\n%s", out.String())
	}

	// A unit's export has a sheet of its units one level down; the whole
	// tree's is the top unit's.
	for _, args := range [][]string{{"--unit", "so"}, {}} {
		unitBook := filepath.Join(t.TempDir(), "so.xlsx")
		if err := s.run(context.Background(), append([]string{"export", "--config", h.cfgPath, "--db", h.dbPath, "--out", unitBook}, args...)); err != nil {
			t.Fatalf("export %v: %v", args, err)
		}
		f, err := excelize.OpenFile(unitBook)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows("Theo đơn vị")
		f.Close()
		if err != nil || len(rows) != 2 || rows[1][0] != "sadec" || rows[1][2] != "3" || rows[1][4] != "1" {
			t.Errorf("export %v: units sheet %q, %v", args, rows, err)
		}
	}
	if err := s.run(context.Background(), []string{"export", "--config", h.cfgPath, "--db", h.dbPath, "--unit", "nowhere", "--out", book}); err == nil || !strings.Contains(err.Error(), `--unit "nowhere"`) {
		t.Errorf("export of an unknown unit: %v", err)
	}
}

func TestBackupRefusesTheDatabaseItself(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.srv.SendText(parent, "/start")
	h.expect(parent, "Anh/chị có đồng ý")
	err := h.sys().run(context.Background(), []string{"backup", h.dbPath, "--config", h.cfgPath, "--db", h.dbPath})
	h.stop()
	if err == nil || !strings.Contains(err.Error(), "database itself") {
		t.Errorf("backup over the live database: %v", err)
	}
}

// TestPosters: `hailong posters` writes a poster per school and the PDF,
// with the bot's username asked of Telegram when not given.
func TestPosters(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	var out syncBuffer
	s := h.sys()
	s.stdout = &out
	if err := s.run(context.Background(), []string{"posters", "--config", h.cfgPath, "--out", dir}); err != nil {
		t.Fatalf("posters: %v", err)
	}
	for _, f := range []string{"MN-HN.png", "TH-TV.png", "THCS-TD.png", "posters.pdf"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if !strings.Contains(out.String(), "TH-TV  Telegram: https://t.me/hailong_test_bot?start=TH-TV") {
		t.Errorf("output: %s", out.String())
	}
}

// TestPostersZalo: with the Zalo bot named (and a link that opens it), the
// posters carry Zalo too and the command prints what both codes hold.
func TestPostersZalo(t *testing.T) {
	for _, tc := range []struct{ section, want string }{
		{`zalo: {bot_name: "Bot Hải Long", bot_link: "https://zalo.me/1459232241454765289"}`,
			"TH-TV  Zalo: https://zalo.me/1459232241454765289 (then: TRUONG TH-TV)"},
		{`zalo: {bot_name: "Bot Hải Long"}`,
			"TH-TV  Zalo: no QR code (Zalo documents no link that opens a bot); the poster says: find «Bot Hải Long», send TRUONG TH-TV"},
		{`zalo: {}`, "Zalo is not on the posters: set zalo.bot_name"},
	} {
		h := newHarness(t)
		cfg, err := os.ReadFile(h.cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(h.cfgPath, append(cfg, []byte(tc.section+"\n")...), 0o600); err != nil {
			t.Fatal(err)
		}
		var out syncBuffer
		s := h.sys()
		s.stdout = &out
		if err := s.run(context.Background(), []string{"posters", "--config", h.cfgPath, "--out", t.TempDir()}); err != nil {
			t.Fatalf("%s: %v", tc.section, err)
		}
		if !strings.Contains(out.String(), tc.want) || !strings.Contains(out.String(), "TH-TV  Telegram: https://t.me/") {
			t.Errorf("%s: output lacks %q:\n%s", tc.section, tc.want, out.String())
		}
	}
}

// TestRunLogsItsLatency: `hailong run` says, when it stops, how many
// updates it committed and how long they took from fetch to commit — the
// line `hailong bench` reads its latency from when the bot runs alone.
func TestRunLogsItsLatency(t *testing.T) {
	h := newHarness(t)
	h.start()
	for i, text := range []string{"/start", "xin chào", "/help"} {
		h.srv.SendText(parent, text)
		h.srv.Wait(10*time.Second, func() bool { return h.srv.Pending() == 0 && h.srv.Activity(parent.ID) > i })
	}
	h.stop()
	st, err := stoppedStats(h.stderr.String())
	if err != nil {
		t.Fatal(err)
	}
	if st.Updates != 3 || st.P50 <= 0 || st.P50 > st.P99 || st.P99 > st.Max {
		t.Errorf("the summary says %+v; want 3 updates and 0 < p50 ≤ p99 ≤ max", st)
	}
}

// TestTallyIndexNeedsParents: the satisfaction index sums six answers a
// parent, so one parent's answers pass min_respondents answers; `hailong
// tally` shows it only from min_respondents parents.
func TestTallyIndexNeedsParents(t *testing.T) {
	cfg, err := loadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := cfg.engine()
	if err != nil {
		t.Fatal(err)
	}
	w, _ := cfg.directory.WaveAt(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	sc := cfg.directory.Schools[0]
	row := func(parents int) string {
		counts := flows.Counts{}
		for _, q := range []string{"B1", "B2", "B3", "B4", "B5", "B6"} {
			counts[q] = map[string]int{"5": parents}
		}
		agg := store.Tally{Respondents: map[string]int{sc.Code: parents}, Counts: map[string]flows.Counts{sc.Code: counts}}
		var out strings.Builder
		printTallies(&out, cfg, eng, w, agg)
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(line, sc.Name) {
				return line
			}
		}
		t.Fatalf("no row for %s:\n%s", sc.Name, out.String())
		return ""
	}
	if f := strings.Fields(strings.TrimPrefix(row(1), sc.Name)); len(f) < 2 || f[0] != "1" || f[1] != "–" {
		t.Errorf("one parent's index shown: %q", row(1))
	}
	if f := strings.Fields(strings.TrimPrefix(row(cfg.Survey.MinRespondents), sc.Name)); len(f) < 2 || f[1] != "100%" {
		t.Errorf("the index of %d parents not shown: %q", cfg.Survey.MinRespondents, row(cfg.Survey.MinRespondents))
	}
}

// TestUnreachedSchools: a school with no principal whose office has neither
// a chat nor staff is named by `hailong run` at start and by `hailong
// check`, and its parents are not promised a deadline (issue 18, item 7).
func TestUnreachedSchools(t *testing.T) {
	h := newHarness(t)
	cfg, err := os.ReadFile(h.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg = regexp.MustCompile(`chat_id: "-?[0-9]+"`).ReplaceAll(cfg, []byte(`chat_id: ""`))
	cfg = regexp.MustCompile(`(TH-TV, .*), principals: \["[0-9]+"\]`).ReplaceAll(cfg, []byte(`$1`))
	if err := os.WriteFile(h.cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	h.start()
	code := h.fileComplaint(parent, "Cơ sở vật chất", "Sân chơi của trường có nhiều gạch vỡ rất nguy hiểm.", 0, "")
	if m := h.expect(parent, code); !strings.Contains(m.Text, "chưa có ai nhận phản ánh") || strings.Contains(m.Text, "sẽ tiếp nhận trước") {
		t.Errorf("the parent is promised what nobody delivers: %q", m.Text)
	}
	want := []string{"MN-HN (Trường Mầm non Hồng Nhung)", "TH-TV (Trường Tiểu học Trưng Vương)"}
	log := h.stderr.String()
	for _, sc := range want {
		if !strings.Contains(log, "complaints would reach nobody") || !strings.Contains(log, sc) {
			t.Errorf("run's warning does not name %s:\n%s", sc, log)
		}
	}
	var out syncBuffer
	s := h.sys()
	s.stdout = &out
	if err := s.run(context.Background(), []string{"check", "--config", h.cfgPath, "--db", h.dbPath}); err != nil {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
	for _, sc := range want {
		if !strings.Contains(out.String(), "warning: school "+sc+": its complaints reach nobody") {
			t.Errorf("check does not name %s:\n%s", sc, out.String())
		}
	}
	if strings.Contains(log+out.String(), "THCS-TD") {
		t.Errorf("THCS-TD has a principal, yet is named:\n%s\n%s", log, out.String())
	}
}

// TestToolsOnAMissingDatabase: invite (and check) on a database that does
// not exist say what to do instead of a raw stat error (issue 18, item 10).
func TestToolsOnAMissingDatabase(t *testing.T) {
	h := newHarness(t)
	missing := filepath.Join(t.TempDir(), "none", "hailong.db")
	for _, args := range [][]string{{"invite", "TH-TV"}, {"check"}} {
		var out syncBuffer
		s := h.sys()
		s.stdout, s.stderr = &out, &out
		err := s.run(context.Background(), append(args, "--config", h.cfgPath, "--db", missing))
		if err == nil || !strings.Contains(err.Error(), "no database at "+missing+": start the bot once") || strings.Contains(err.Error(), "stat ") {
			t.Errorf("%s on a missing database: %v", args[0], err)
		}
	}
}
