// Package tooltest runs the local programs some tests read files back with
// (LibreOffice, poppler's PDF tools, the npm Telegram emulator) and decides
// what a missing one means: a skip on a developer's machine, a failure in CI
// (the environment variable CI set; .ci/run sets it), which installs them.
package tooltest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Missing skips t for a tool that is not installed, or fails it in CI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format+" (CI installs it: .ci/run)", args...)
		return
	}
	t.Skipf(format, args...)
}

// Need is the path of program name, which Debian package pkg provides.
func Need(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s is not installed: apt-get install %s", name, pkg)
	}
	return p
}

// Vietnamese is the environment of a program run as a Vietnamese user's:
// LibreOffice takes its locale (decimal comma, list separator ";") from it,
// and needs no system locale generated for that.
func Vietnamese() []string {
	env := []string{"LC_ALL=vi_VN.UTF-8", "LANG=vi_VN.UTF-8", "LANGUAGE=vi"}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "LC_ALL" && k != "LANG" && k != "LANGUAGE" && k != "HOME" {
			env = append(env, kv)
		}
	}
	return env
}

// Convert has LibreOffice, headless and in a Vietnamese locale, convert
// files to format ("pdf", "xlsx", "csv"…), reading them with infilter when
// it is not "" (e.g. "CSV:59,34,76,1,,1066": ";"-separated UTF-8 in
// Vietnamese). It returns the converted files' paths, in order, in a new
// directory. Every call has its own profile, so tests may run it at once.
func Convert(t testing.TB, format, infilter string, files ...string) []string {
	t.Helper()
	soffice := Need(t, "soffice", "libreoffice-calc-nogui")
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	out := filepath.Join(dir, "out")
	args := []string{"--headless", "--norestore", "--nolockcheck",
		"-env:UserInstallation=file://" + filepath.ToSlash(filepath.Join(dir, "profile")),
		"--convert-to", format, "--outdir", out}
	if infilter != "" {
		args = append(args, "--infilter="+infilter)
	}
	cmd := exec.Command(soffice, append(args, files...)...)
	cmd.Env = append(Vietnamese(), "HOME="+home)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		t.Fatalf("soffice --convert-to %s: %v\n%s", format, err, log.String())
	}
	ext := format
	if i := strings.IndexByte(ext, ':'); i >= 0 {
		ext = ext[:i]
	}
	paths := make([]string, len(files))
	for i, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		paths[i] = filepath.Join(out, base+"."+ext)
		if _, err := os.Stat(paths[i]); err != nil {
			t.Fatalf("soffice wrote no %s: %v\n%s", paths[i], err, log.String())
		}
	}
	return paths
}

// CSVVietnamese is LibreOffice's import filter for hailong's CSV files as
// a spreadsheet set to Vietnamese reads them: fields separated by ";" (59),
// quoted by '"' (34), UTF-8 (76), from line 1, in vi-VN (1066), where the
// decimal separator is the comma.
const CSVVietnamese = "CSV:59,34,76,1,,1066"

// Cell is a spreadsheet's cell as read back: its value, unformatted (a
// date is its serial number), and whether it is a number.
type Cell struct {
	Value  string
	Number bool
}

// ReadCSV has LibreOffice, in one run, open CSV files as a spreadsheet set
// to Vietnamese opens them (CSVVietnamese) and save them as workbooks, and
// returns each file's first sheet, row by row.
func ReadCSV(t testing.TB, files ...string) [][][]Cell {
	t.Helper()
	var out [][][]Cell
	for _, book := range Convert(t, "xlsx", CSVVietnamese, files...) {
		f, err := excelize.OpenFile(book)
		if err != nil {
			t.Fatalf("%s: %v", book, err)
		}
		sheet := f.GetSheetList()[0]
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatalf("%s: %v", book, err)
		}
		cells := make([][]Cell, len(rows))
		for i, row := range rows {
			for j, v := range row {
				name, _ := excelize.CoordinatesToCellName(j+1, i+1)
				typ, _ := f.GetCellType(sheet, name)
				// LibreOffice writes a number without a type: unset.
				number := typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset && v != ""
				cells[i] = append(cells[i], Cell{Value: v, Number: number})
			}
		}
		f.Close()
		out = append(out, cells)
	}
	return out
}

// Pages is how many pages the PDF at path has (poppler's pdfinfo).
func Pages(t testing.TB, path string) int {
	t.Helper()
	info := run(t, Need(t, "pdfinfo", "poppler-utils"), path)
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("pdfinfo %s: %q", path, line)
			}
			return n
		}
	}
	t.Fatalf("pdfinfo %s says no page count:\n%s", path, info)
	return 0
}

// Text is the PDF's text, laid out as on the page (poppler's pdftotext),
// pages separated by form feeds.
func Text(t testing.TB, path string) string {
	t.Helper()
	return run(t, Need(t, "pdftotext", "poppler-utils"), "-layout", "-enc", "UTF-8", path, "-")
}

// Fonts are the names of the fonts a PDF uses (poppler's pdffonts), subset
// prefixes taken off: "LiberationSans-Bold".
func Fonts(t testing.TB, path string) []string {
	t.Helper()
	var names []string
	for i, line := range strings.Split(run(t, Need(t, "pdffonts", "poppler-utils"), path), "\n") {
		f := strings.Fields(line)
		if i < 2 || len(f) == 0 {
			continue
		}
		name := f[0]
		if _, after, ok := strings.Cut(name, "+"); ok {
			name = after
		}
		names = append(names, name)
	}
	return names
}

func run(t testing.TB, prog string, args ...string) string {
	t.Helper()
	var out, errs bytes.Buffer
	cmd := exec.Command(prog, args...)
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(prog), strings.Join(args, " "), err, errs.String())
	}
	return out.String()
}
