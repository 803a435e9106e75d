package digest

import (
	"time"

	"hailong/flows"
	"hailong/terms"
)

// CommentRow is a comment as reports list it: never with who wrote it.
type CommentRow struct {
	School string // the school's name
	Code   string
	Wave   string // the wave's title
	At     time.Time
	Grade  string // as staff read it: "Lớp 3"
	Text   string
}

// TopTerms is how many terms the workbook lists per school; the digest's
// text shows TextTerms of the scope's.
const (
	TopTerms  = 30
	TextTerms = 5
)

// addComments keeps the input's comments of the report's schools whose
// wave had at least MinRespondents respondents at that school (no comment
// of a smaller group is shown, nor counted into what parents talk about),
// and counts their terms.
func (r *Report) addComments(in Input) {
	if len(in.Comments) == 0 {
		return
	}
	respondents := map[string]map[string]int{} // wave → school → respondents
	titles := map[string]string{}
	for i, w := range in.Waves {
		if i < len(in.Counts) {
			respondents[w.ID] = in.Counts[i].Respondents
		}
		titles[w.ID] = w.Title
	}
	names := map[string]string{}
	for _, sc := range in.Schools {
		names[sc.Code] = sc.Name
	}
	var all terms.Counter
	per := map[string]*terms.Counter{}
	for _, c := range in.Comments {
		name, ours := names[c.School]
		if !ours {
			continue
		}
		if _, counted := titles[c.Wave]; !counted || !flows.CommentsShown(respondents[c.Wave][c.School], in.MinRespondents) {
			r.CommentsHidden++
			continue
		}
		r.Comments = append(r.Comments, CommentRow{School: name, Code: c.School, Wave: titles[c.Wave], At: c.At,
			Grade: flows.GradeName(c.Grade), Text: c.Text})
		all.Add(c.Text)
		if per[c.School] == nil {
			per[c.School] = &terms.Counter{}
		}
		per[c.School].Add(c.Text)
	}
	r.Terms = all.Top(TopTerms)
	r.SchoolTerms = map[string][]terms.Term{}
	for code, c := range per {
		r.SchoolTerms[code] = c.Top(TopTerms)
	}
}
