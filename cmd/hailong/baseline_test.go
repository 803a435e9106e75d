package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"hailong/bot/telegramtest"
	"hailong/store"
)

// TestBaselineImportNamesEveryBadRow: a file with mistakes is refused
// whole, each mistake named by its line; nothing is stored.
func TestBaselineImportNamesEveryBadRow(t *testing.T) {
	h := newHarness(t)
	file := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(file, []byte("school,period,indicator,share,good,bad,source\n"+
		"TH-TV,2025-2026,index,62.5,,,Báo cáo 2025\n"+ // 2: fine
		"XX-99,2025-2026,index,62.5,,,Báo cáo 2025\n"+ // 3: no such school
		"TH-TV,2025-2027,A1,50,,,Báo cáo 2025\n"+ // 4: not a school year
		"TH-TV,2025-2026,Z9,50,,,Báo cáo 2025\n"+ // 5: no such indicator
		"MN-HN,2025-2026,A5,50,,,Báo cáo 2025\n"+ // 6: not asked at a preschool
		"TH-TV,2025-2026,A2,150,,,Báo cáo 2025\n"+ // 7: not a percentage
		"TH-TV,2025-2026,A3,,7,,Báo cáo 2025\n"+ // 8: good without bad
		"TH-TV,2025-2026,A4,80,3,1,Báo cáo 2025\n"+ // 9: share against counts
		"TH-TV,2025-2026,A6,,,,Báo cáo 2025\n"+ // 10: neither
		"TH-TV,2025-2026,A7,70,,,\n"+ // 11: no source
		"TH-TV,2025-2026,INDEX,60,,,Báo cáo 2025\n"), 0o600) // 12: twice
	var stderr syncBuffer
	s := h.sys()
	s.stderr = &stderr
	err := s.run(context.Background(), []string{"baseline", "import", file, "--config", h.cfgPath, "--db", h.dbPath})
	if err == nil || !strings.Contains(err.Error(), "10 problems; nothing was imported") {
		t.Errorf("import of a bad file: %v", err)
	}
	for _, want := range []string{
		"line 3: school \"XX-99\"", "line 4: period \"2025-2027\"", "line 5: indicator \"Z9\"", "line 6: indicator A5 is not asked at MN-HN",
		"line 7: share \"150\"", "line 8: give both good and bad", "line 9: share 80 does not match the counts (3 good of 4: 75.0)",
		"line 10: neither a share nor counts", "line 11: no source", "line 12: TH-TV 2025-2026 B is given on line 2 too",
	} {
		if !strings.Contains(stderr.String(), bad+want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	db, err := store.Open(h.dbPath, store.Options{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if rows, err := db.Baselines("2025-2026", nil); err != nil || len(rows) != 0 {
		t.Errorf("a refused file stored %v, %v", rows, err)
	}
}

const bad = "bad.csv: "

// TestBaselineImportNeedsTheDatabase: a mistyped --db is refused, as by
// invite, rather than created empty and reported imported; an import names
// the database it went into.
func TestBaselineImportNeedsTheDatabase(t *testing.T) {
	h := newHarness(t)
	file := filepath.Join(t.TempDir(), "nam-truoc.csv")
	os.WriteFile(file, []byte("school,period,indicator,share,source\nTH-TV,2025-2026,index,62.5,Báo cáo 2025\n"), 0o600)
	missing := filepath.Join(filepath.Dir(h.dbPath), "hailong.bd")
	var out syncBuffer
	s := h.sys()
	s.stdout = &out
	err := s.run(context.Background(), []string{"baseline", "import", file, "--config", h.cfgPath, "--db", missing})
	if err == nil || !strings.Contains(err.Error(), "no database at "+missing+": start the bot once") || strings.Contains(out.String(), "Imported") {
		t.Errorf("an import into a database that does not exist: %v\n%s", err, out.String())
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("the mistyped database was created: %v", err)
	}
	h.start() // the bot creates its database
	h.stop()
	if err := s.run(context.Background(), []string{"baseline", "import", file, "--config", h.cfgPath, "--db", h.dbPath}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Imported 1 baseline figures from "+file+" into "+h.dbPath+":") {
		t.Errorf("output: %s", out.String())
	}
}

// TestBaselineCountsReadAsSchools: counts are read as a schools file's
// enrolment is, with thousands grouped as a spreadsheet writes them.
func TestBaselineCountsReadAsSchools(t *testing.T) {
	cfg, err := loadConfig("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rows, problems := parseBaselines([]byte("ma_truong;ky;chi_so;tot;chua_tot;so_phieu;nguon\n"+
		"TH-TRUNGVUONG;2025-2026;index;1.000;250;1.250;Báo cáo 2025\n"), cfg, "")
	if len(problems) > 0 || len(rows) != 1 || rows[0].Good != 1000 || rows[0].Bad != 250 || rows[0].Respondents != 1250 {
		t.Errorf("counts with grouped thousands: %+v, %q", rows, problems)
	}
	for _, v := range []string{"-3", "12,5", "1.25", "x"} {
		if _, problems := parseBaselines([]byte("school,period,indicator,share,respondents,source\n"+
			"TH-TRUNGVUONG,2025-2026,index,60,\""+v+"\",Báo cáo 2025\n"), cfg, ""); len(problems) != 1 || !strings.Contains(problems[0], "want a whole number") {
			t.Errorf("respondents %q: %q", v, problems)
		}
	}
}

// TestBaselineImportedIntoReports: a baseline file saved by a Vietnamese
// spreadsheet (semicolons, decimal commas, Vietnamese column names) is
// imported while the bot runs, through its admin socket; `hailong export`
// over this school year then compares with it, marked as imported with its
// source, and /baocao says the same in the chat.
func TestBaselineImportedIntoReports(t *testing.T) {
	h := newHarness(t)
	h.start()
	for i := range 5 {
		u := telegramtest.User{ID: int64(5560001 + i), FirstName: "Phụ huynh"}
		h.begin(u, "TH-TV", "Lớp 3")
		h.answerAll(u, 1, []string{"Có", "Có", "Có", "Không", "Có"}[i])
	}
	file := filepath.Join(t.TempDir(), "nam-truoc.csv")
	os.WriteFile(file, []byte("\ufeffma_truong;ky;chi_so;ty_le;so_phieu;nguon\n"+
		"TH-TV;2025-2026;index;62,5;120;Báo cáo khảo sát 2025\n"+
		"TH-TV;2025-2026;A1;70;120;Báo cáo khảo sát 2025\n"), 0o600)
	var out syncBuffer
	s := h.sys()
	s.stdout = &out
	if err := s.run(context.Background(), []string{"baseline", "import", file, "--config", h.cfgPath, "--db", h.dbPath}); err != nil {
		t.Fatalf("import while the bot runs: %v", err)
	}
	if !strings.Contains(out.String(), "Imported 2 baseline figures") {
		t.Errorf("output: %s", out.String())
	}
	h.srv.SendText(principalTV, "/baocao 01/09/2026 26/11/2026")
	h.expect(principalTV, "Bảng tính chi tiết") // the report's last message
	msg := ""
	for _, m := range h.srv.Messages(principalTV.ID) {
		if strings.Contains(m.Text, "📊 Báo cáo") {
			msg = m.Text
		}
	}
	if !strings.Contains(msg, "· ▲ ") || !strings.Contains(msg, "*") || !strings.Contains(msg, "Báo cáo khảo sát 2025") {
		t.Errorf("/baocao:\n%s", msg)
	}
	h.stop()

	book := filepath.Join(t.TempDir(), "hk1.xlsx")
	if err := s.run(context.Background(), []string{"export", "--config", h.cfgPath, "--db", h.dbPath,
		"--from", "2026-09-01", "--to", "2026-11-26", "--out", book}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("So với năm trước", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	var index, a1 []string
	for _, r := range rows {
		if len(r) > 2 && r[0] == "TH-TV" && r[2] == "Chỉ số hài lòng" {
			index = r
		}
		if len(r) > 2 && r[0] == "TH-TV" && strings.HasPrefix(r[2], "A1 ") {
			a1 = r
		}
	}
	// Shares stored as percentages (fractions under a percent format), the
	// change in points.
	if len(index) < 8 || index[4] != "0.625" || index[7] != "Nhập từ: Báo cáo khảo sát 2025 (2025-2026)" {
		t.Errorf("TH-TV's index against last year: %q\n%q", index, rows)
	}
	if len(a1) < 8 || a1[3] != "0.8" || a1[4] != "0.7" || a1[5] != "10" || a1[6] != "▲" {
		t.Errorf("TH-TV's A1 against last year: %q", a1)
	}

	// As CSV, the comparison and the comments go in files beside it.
	dir := t.TempDir()
	if err := s.run(context.Background(), []string{"export", "--config", h.cfgPath, "--db", h.dbPath,
		"--from", "2026-09-01", "--to", "2026-11-26", "--format", "csv", "--out", filepath.Join(dir, "hk1.csv")}); err != nil {
		t.Fatal(err)
	}
	cmp, err := os.ReadFile(filepath.Join(dir, "hk1-so-sanh.csv"))
	if err != nil || !strings.Contains(string(cmp), ";TH-TV;Trường Tiểu học Trưng Vương;A1;80,0;70,0;10,0;Nhập từ: Báo cáo khảo sát 2025 (2025-2026)\r\n") {
		t.Errorf("hk1-so-sanh.csv: %v\n%s", err, cmp)
	}
	comments, err := os.ReadFile(filepath.Join(dir, "hk1-gop-y.csv"))
	if err != nil || !strings.HasPrefix(string(comments), "\ufeffTừ ngày;Đến ngày;Phạm vi;Mã;Trường;Đợt khảo sát;Ngày;Khối lớp;Góp ý\r\n") {
		t.Errorf("hk1-gop-y.csv: %v\n%s", err, comments)
	}
}

// TestBaselineHeadersFolded: a baseline file's Vietnamese headers are read
// however they are typed — without diacritics and with spaces, with
// diacritics, in capitals, with underscores — from a file a Vietnamese
// spreadsheet saved (a BOM, semicolons, decimal commas), as a schools
// file's are.
func TestBaselineHeadersFolded(t *testing.T) {
	cfg, err := loadConfig("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, header := range []string{
		"Ma truong;Ky;Chi so;Ty le;Tot;Chua tot;So phieu;Nguon",
		"Mã trường;Kỳ;Chỉ số;Tỷ lệ;Tốt;Chưa tốt;Số phiếu;Nguồn",
		"MA TRUONG;KY;CHI SO;TY LE;TOT;CHUA TOT;SO PHIEU;NGUON",
		"ma_truong;ky;chi_so;ty_le;tot;chua_tot;so_phieu;nguon",
	} {
		data := "\ufeff" + header + "\r\n" +
			"TH-TRUNGVUONG;2025-2026;index;72,5;;;180;Báo cáo SIPAS 2025\r\n" +
			"\r\n" +
			"TH-TRUNGVUONG;2025-2026;A2;75,0;3;1;;Báo cáo SIPAS 2025\r\n"
		rows, problems := parseBaselines([]byte(data), cfg, "")
		if len(problems) > 0 {
			t.Errorf("%s: %q", header, problems)
			continue
		}
		if len(rows) != 2 || rows[0].School != "TH-TRUNGVUONG" || rows[0].Period != "2025-2026" || rows[0].Indicator != "B" ||
			rows[0].Pct != 72.5 || rows[0].Respondents != 180 || rows[0].Source != "Báo cáo SIPAS 2025" ||
			rows[1].Indicator != "A2" || rows[1].Good != 3 || rows[1].Bad != 1 {
			t.Errorf("%s: %+v", header, rows)
		}
	}
	// A header still names what it does not know, and a missing column.
	_, problems := parseBaselines([]byte("\ufeffMa truong;Ky;Mau sac\r\nTH-TRUNGVUONG;2025-2026;do\r\n"), cfg, "x")
	if got := strings.Join(problems, "\n"); !strings.Contains(got, `line 1: column "Mau sac": unknown`) || !strings.Contains(got, "line 1: no indicator column") {
		t.Errorf("a wrong header: %q", problems)
	}
}
