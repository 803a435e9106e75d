package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hailong/flows"
)

func TestReadSchools(t *testing.T) {
	// A Vietnamese-locale spreadsheet's export: a BOM, semicolons,
	// Vietnamese headers in another order, grouped thousands, two
	// principals in one cell, a blank line.
	in := "\ufeffMã trường;Tên trường;Cấp học;Đơn vị;Số gia đình;Hiệu trưởng\r\n" +
		"TH-01;Trường Tiểu học số 1;Tiểu học;sadec;1.250;123 zalo:8a1f00\r\n" +
		"\r\n" +
		"MN-01;\"Trường Mầm non; Hoa Sen\";mn;sadec;;\r\n"
	sf, err := readSchools(strings.NewReader(in), "truong.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []flows.School{
		{Code: "TH-01", Name: "Trường Tiểu học số 1", Level: flows.Primary, Office: "sadec", Enrolment: 1250, Principals: []string{"telegram:123", "zalo:8a1f00"}},
		{Code: "MN-01", Name: "Trường Mầm non; Hoa Sen", Level: flows.Preschool, Office: "sadec"},
	}
	if sf.Of != "families" || len(sf.Schools) != 2 {
		t.Fatalf("of %q, %d schools", sf.Of, len(sf.Schools))
	}
	for i := range want {
		if got := sf.Schools[i]; got.Code != want[i].Code || got.Name != want[i].Name || got.Level != want[i].Level ||
			got.Office != want[i].Office || got.Enrolment != want[i].Enrolment || strings.Join(got.Principals, " ") != strings.Join(want[i].Principals, " ") {
			t.Errorf("school %d = %+v, want %+v", i, got, want[i])
		}
	}

	// Every bad row is named by its line.
	bad := "code,name,level,unit,pupils,principals\n" +
		"TH-01,Trường A,th,sadec,300,\n" +
		"TH 02,Trường B,th,sadec,300,\n" + // line 3: a space in the code
		"TH-01,Trường C,th,sadec,300,\n" + // line 4: twice
		"TH-04,,dai hoc,sadec,1.5,abc\n" // line 5: no name, level, count, principal
	_, err = readSchools(strings.NewReader(bad), "s.csv")
	if err == nil {
		t.Fatal("bad rows accepted")
	}
	for _, w := range []string{`s.csv:3: code "TH 02"`, `s.csv:4: code "TH-01" is on line 2 too`, "s.csv:5: TH-04: the name is empty",
		`s.csv:5: TH-04: level "dai hoc"`, `s.csv:5: TH-04: pupils "1.5"`, `s.csv:5: TH-04: principal "abc"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	for name, in := range map[string]string{
		"no unit column": "code,name,level\nA,B,th\n",
		"unknown column": "code,name,level,unit,colour\nA,B,th,x,red\n",
		"both counts":    "code,name,level,unit,families,pupils\nA,B,th,x,1,2\n",
		"empty":          "",
		"header only":    "code,name,level,unit\n",
	} {
		if _, err := readSchools(strings.NewReader(in), "f.csv"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestSchoolsFileAndCheck: a configuration's schools_file is read at start
// beside the schools it lists, and `hailong schools check` validates a file
// against the configuration's units without starting anything.
func TestSchoolsFileAndCheck(t *testing.T) {
	dir := t.TempDir()
	good := "code,name,level,unit,families\nTH-F1,Trường Tiểu học Tệp Một,th,sadec,500\nTH-F2,Trường Tiểu học Tệp Hai,th,tanquydong,\n"
	if err := os.WriteFile(filepath.Join(dir, "schools.csv"), []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgText := strings.Replace(string(mustRead(t, "../../config.example.yaml")), `schools_file: ""`, `schools_file: schools.csv`, 1)
	cfgPath := filepath.Join(dir, "hailong.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	sc, ok := cfg.directory.School("TH-F1")
	if !ok || sc.Enrolment != 500 || cfg.directory.EnrolmentOf != "families" || len(cfg.directory.Schools) != 8 {
		t.Fatalf("TH-F1 %+v, %d schools", sc, len(cfg.directory.Schools))
	}
	if !cfg.directory.Within(sc, "dongthap") {
		t.Error("a file's school is not in the department's subtree")
	}

	var out, errb bytes.Buffer
	err = run(context.Background(), []string{"schools", "check", filepath.Join(dir, "schools.csv")}, func(string) string { return "" }, nil, &out, &errb)
	if err != nil || !strings.Contains(out.String(), "2 schools in 2 units; 1 with families counted. OK") {
		t.Errorf("check: %v\n%s%s", err, out.String(), errb.String())
	}
	// A unit the configuration lacks, and a code the configuration has.
	bad := "code,name,level,unit\nTH-X,Trường X,th,nowhere\nTH-TRUNGVUONG,Trùng mã,th,sadec\n"
	if err := os.WriteFile(filepath.Join(dir, "bad.csv"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(context.Background(), []string{"schools", "check", filepath.Join(dir, "bad.csv")}, func(string) string { return "" }, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), `office "nowhere"`) {
		t.Errorf("check of a bad file: %v", err)
	}
	cfgBad := strings.Replace(cfgText, `schools_file: schools.csv`, `schools_file: bad.csv`, 1)
	if _, err := parseConfig([]byte(cfgBad), "x.yaml", dir); err == nil || !strings.Contains(err.Error(), "TRUNGVUONG") {
		t.Errorf("a config whose file repeats a school's code: %v", err)
	}
}

// TestSchoolsCheckAgreesWithRun: `hailong schools check` refuses what
// `hailong run` would refuse of the same file as its schools_file — a code
// the configuration's schools already list, a header counting families when
// enrolment_of says pupils — and names the file as given (relative to the
// working directory, not to the configuration's folder).
func TestSchoolsCheckAgreesWithRun(t *testing.T) {
	example := string(mustRead(t, "../../config.example.yaml"))
	for _, tc := range []struct {
		name, file, config, want string
	}{
		{"a code the configuration lists", "code,name,level,unit\nTH-NEW,Trường Tiểu học Mới,th,sadec\nTH-TRUNGVUONG,Trường Tiểu học Trưng Vương,th,sadec\n",
			example, "TH-TRUNGVUONG"},
		{"families where enrolment_of says pupils", "code,name,level,unit,families\nTH-NEW,Trường Tiểu học Mới,th,sadec,500\n",
			strings.Replace(example, `enrolment_of: ""`, `enrolment_of: pupils`, 1), "schools_file counts families, enrolment_of says pupils"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgDir, work := t.TempDir(), t.TempDir()
			cfgPath := filepath.Join(cfgDir, "hailong.yaml")
			if err := os.WriteFile(cfgPath, []byte(tc.config), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(work, "truong.csv"), []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			// run: the file as the configuration's schools_file.
			runCfg := filepath.Join(work, "run.yaml")
			if err := os.WriteFile(runCfg, []byte(strings.Replace(tc.config, `schools_file: ""`, `schools_file: truong.csv`, 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := loadConfig(runCfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run's configuration: %v, want %q", err, tc.want)
			}
			// check: the same file, named from the working directory.
			t.Chdir(work)
			var out, errb bytes.Buffer
			err := run(context.Background(), []string{"schools", "check", "truong.csv", "--config", cfgPath}, func(string) string { return "" }, nil, &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(out.String(), "OK") {
				t.Errorf("check: %v\n%s", err, out.String())
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
