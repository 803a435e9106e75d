package web

import (
	"html/template"
	"time"

	"hailong/digest"
	"hailong/flows"
)

func funcs(e *flows.Engine) template.FuncMap {
	return template.FuncMap{
		// cell is a share as shown, or "chưa đủ mẫu" below the threshold.
		"cell": func(s digest.Score) string {
			if !s.Shown {
				return "chưa đủ mẫu"
			}
			return digest.PercentVI(s.Pct)
		},
		"num": digest.Number,
		"complaintID": func(code string) uint64 {
			id, _ := flows.ParseComplaintCode(code)
			return id
		},
		// rate is a row's response rate, where enrolment is known.
		"rate": func(row digest.Row) string {
			if p, ok := row.Rate(); ok {
				return digest.PercentVI(p)
			}
			return "chưa có sĩ số"
		},
		"day": func(t time.Time) string {
			return t.In(e.Location()).Format("02/01/2006")
		},
		"when": func(t time.Time) string {
			return t.In(e.Location()).Format("02/01/2006 15:04")
		},
		"status": func(s flows.Status) string { return s.Name() },
	}
}
