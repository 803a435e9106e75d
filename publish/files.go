package publish

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"hailong/digest"
	"hailong/internal/atomicfile"
)

// FileMode is the mode of the published files: they are written to be
// posted, so anyone on the machine may read them (staff reports, which
// hold small counts, are 0600).
const FileMode = 0o644

// JSON is the dataset as published (docs/publish-schema.md).
func JSON(d *Dataset) ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("publish: json: %w", err)
	}
	return append(b, '\n'), nil
}

// CSV is the dataset as a table, one row per school and a last row for
// the unit, in the convention of every CSV hailong writes: ";" between
// fields, decimal commas, shares as percentages, a withheld figure
// digest.Suppressed, a figure that does not apply (a question not asked at
// the school's level, an unknown enrolment) empty.
func CSV(d *Dataset) ([]byte, error) {
	var buf bytes.Buffer
	cw := digest.NewCSV(&buf)
	header := []string{"Đợt khảo sát", "Từ ngày", "Đến ngày", "Đơn vị", "Dòng", "Mã trường", "Tên trường", "Cấp học",
		enrolmentLabel(d), "Số người trả lời", "Tỷ lệ phản hồi (%)", "Chỉ số hài lòng (%)"}
	for _, in := range d.Indicators {
		header = append(header, in.ID+" (%)")
	}
	header = append(header, "Phản ánh tiếp nhận", "Tiếp nhận đúng hạn", "Giải quyết đúng hạn", "Đang quá hạn")
	if err := cw.Write(header); err != nil {
		return nil, err
	}
	row := func(kind, code, name, level string, enrolment int, f Figures) []string {
		rec := []string{d.Wave.Title, d.Wave.First, d.Wave.Last, d.Unit.Name, kind, code, name, level}
		if enrolment > 0 {
			rec = append(rec, strconv.Itoa(enrolment))
		} else {
			rec = append(rec, "")
		}
		rec = append(rec, countText(f.Respondents))
		if f.ResponseRate != nil {
			rec = append(rec, pctText(*f.ResponseRate))
		} else {
			rec = append(rec, "")
		}
		rec = append(rec, pctText(f.Index))
		for _, in := range d.Indicators {
			if c, ok := f.Shares[in.ID]; ok {
				rec = append(rec, pctText(c))
			} else {
				rec = append(rec, "")
			}
		}
		c := f.Complaints
		for _, n := range []int{c.Received, c.AckedOnTime, c.ResolvedOnTime, c.Overdue} {
			rec = append(rec, strconv.Itoa(n))
		}
		return rec
	}
	for _, s := range d.Schools {
		if err := cw.Write(row("Trường", s.Code, s.Name, s.Level, s.Enrolment, s.Figures)); err != nil {
			return nil, err
		}
	}
	pupils := 0
	if d.Total.ResponseRate != nil {
		for _, s := range d.Schools {
			pupils += s.Enrolment
		}
	}
	if err := cw.Write(row("Toàn đơn vị", d.Unit.ID, d.Unit.Name, "", pupils, d.Total)); err != nil {
		return nil, err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, fmt.Errorf("publish: csv: %w", err)
	}
	return buf.Bytes(), nil
}

// enrolmentLabel names what enrolment counts: "Số học sinh" (pupils, the
// default) or "Số gia đình" (families).
func enrolmentLabel(d *Dataset) string {
	if d.EnrolmentOf == "families" {
		return "Số gia đình"
	}
	return "Số học sinh"
}

func countText(c Cell[int]) string {
	if c.Value == nil {
		return digest.Suppressed
	}
	return strconv.Itoa(*c.Value)
}

func pctText(c Cell[float64]) string {
	if c.Value == nil {
		return digest.Suppressed
	}
	return digest.DecimalVI(*c.Value * 100)
}

// Names of the files Write writes, for a wave and a unit or school code.
func DataName(d *Dataset, ext string) string { return "ket-qua-" + slug(d.Wave.ID) + ext }

// SummaryName is the name of the one-page summary of a school (or, with
// the unit's id, of the unit).
func SummaryName(d *Dataset, code string) string {
	return "tom-tat-" + slug(d.Wave.ID) + "-" + slug(code) + ".pdf"
}

func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
}

// Write writes the dataset's files into dir (made if missing): the CSV,
// the JSON, the unit's summary and each school's. It returns their paths.
func Write(dir string, d *Dataset) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	type file struct {
		name string
		make func() ([]byte, error)
	}
	files := []file{
		{DataName(d, ".csv"), func() ([]byte, error) { return CSV(d) }},
		{DataName(d, ".json"), func() ([]byte, error) { return JSON(d) }},
		{SummaryName(d, d.Unit.ID), func() ([]byte, error) { return SummaryPDF(d, -1) }},
	}
	for i, s := range d.Schools {
		files = append(files, file{SummaryName(d, s.Code), func() ([]byte, error) { return SummaryPDF(d, i) }})
	}
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.name] {
			return nil, errors.New("publish: two files named " + f.name + " (a school's code is the unit's id?)")
		}
		seen[f.name] = true
	}
	// A summary takes ~50 ms, most of it the fonts: one per core at once.
	paths := make([]string, len(files))
	errs := make([]error, len(files))
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i, f := range files {
		paths[i] = filepath.Join(dir, f.name)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			data, err := f.make()
			if err == nil {
				err = atomicfile.WriteBytes(paths[i], data, FileMode)
			}
			if err != nil {
				errs[i] = fmt.Errorf("publish: %s: %w", f.name, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return paths, nil
}
