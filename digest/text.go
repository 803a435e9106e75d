package digest

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hailong/flows"
)

// MaxMessage is Telegram's limit on a message's text; Text splits there.
const MaxMessage = 4096

// pct formats a percentage the Vietnamese way: 78,4%.
func pct(p float64) string { return PercentVI(p) }

// cell is a score as shown: a percentage, or "chưa đủ mẫu".
func cell(s Score) string {
	if !s.Shown {
		return "chưa đủ mẫu"
	}
	return pct(s.Pct)
}

// change shows the change from an earlier score in points: ▲ 2,1.
func change(now Score, before *Score, label string) string {
	if before == nil {
		return ""
	}
	d, ok := delta(now, *before)
	if !ok {
		return ""
	}
	return fmt.Sprintf(" %s %s %s", arrowOf(d), DecimalVI(math.Abs(d)), label)
}

// delta is the change from before to now in points, rounded as shown;
// false unless both shares are shown.
func delta(now, before Score) (float64, bool) {
	if !now.Shown || !before.Shown {
		return 0, false
	}
	return renderRound1(now.Pct - before.Pct), true
}

// arrowOf is the arrow of a change in points: ▲, ▼, or = for none.
func arrowOf(d float64) string {
	switch {
	case d > 0:
		return "▲"
	case d < 0:
		return "▼"
	}
	return "="
}

func (r *Report) loc() *time.Location {
	if r.Location == nil {
		return time.UTC
	}
	return r.Location
}

// Period shows the report's days, the end inclusive.
func (r *Report) Period() string {
	from, to := r.From.In(r.loc()), r.To.In(r.loc()).Add(-time.Second)
	return from.Format("02/01/2006") + " – " + to.Format("02/01/2006")
}

func prevScore(row *Row, id string) *Score {
	if row == nil {
		return nil
	}
	if id == "" {
		return &row.Index
	}
	s, ok := row.Items[id]
	if !ok {
		return nil
	}
	return &s
}

// Text renders the report as the messages a chat receives, each under
// Telegram's limit, split between lines.
func Text(r *Report) []string {
	var b strings.Builder
	title := "📊 Báo cáo tuần"
	if r.Kind != "weekly" {
		title = "📊 Báo cáo"
	}
	fmt.Fprintf(&b, "%s %s\n%s\n", title, r.Period(), r.Scope)
	if len(r.Waves) > 0 {
		fmt.Fprintf(&b, "Đợt khảo sát: %s\n", strings.Join(r.Waves, "; "))
	}
	fmt.Fprintf(&b, "\n📝 Phiếu khảo sát: %s mới trong kỳ, %s từ đầu đợt (%s trường)\n", num(r.Total.New), num(r.Total.Total), num(len(r.Rows)))
	if rate, ok := r.Total.Rate(); ok {
		fmt.Fprintf(&b, "📬 Tỷ lệ phản hồi: %s (%s/%s %s", pct(rate), num(r.Total.Reached), num(r.Total.Enrolment), r.enrolled())
		if known := r.withEnrolment(); known < len(r.Rows) {
			fmt.Fprintf(&b, " của %s/%s trường có số liệu", num(known), num(len(r.Rows)))
		}
		b.WriteString(")\n")
	}
	wow := func(now Score, id string) string {
		return change(now, prevScore(r.PrevWeek, id), "so với tuần trước") + change(now, prevScore(r.yearEarlier(), id), "so với cùng kỳ năm trước")
	}
	fmt.Fprintf(&b, "\n😊 Chỉ số hài lòng (tỷ lệ mức 4–5): %s%s\n", cell(r.Total.Index), wow(r.Total.Index, ""))
	for _, it := range r.Items {
		if it.Group != "B" {
			continue
		}
		s := r.Total.Items[it.ID]
		fmt.Fprintf(&b, "• %s %s: %s%s\n", it.ID, it.Short, cell(s), wow(s, it.ID))
	}
	b.WriteString("\n📋 Chỉ số thành phần (tỷ lệ trả lời tốt):\n")
	for _, it := range r.Items {
		if it.Group == "B" {
			continue
		}
		s := r.Total.Items[it.ID]
		line := fmt.Sprintf("• %s %s: %s%s", it.ID, it.Short, cell(s), wow(s, it.ID))
		if it.Kind == "number" {
			line = fmt.Sprintf("• %s %s (không vượt sĩ số tối đa): %s%s", it.ID, it.Short, cell(s), wow(s, it.ID))
		}
		if s.Unknown > 0 && s.Shown {
			line += fmt.Sprintf(" · %d không biết", s.Unknown)
		}
		b.WriteString(line + "\n")
	}
	if len(r.Units) > 0 {
		r.writeUnits(&b)
	}
	if len(r.Units) == 0 || len(r.Rows) <= MaxSchoolLines {
		b.WriteString("\n🏫 Theo trường (phiếu mới · tổng" + map[bool]string{true: " · phản hồi", false: ""}[r.withEnrolment() > 0] + " · hài lòng" + map[bool]string{true: " · so với cùng kỳ năm trước", false: ""}[r.YearAgo != nil] + "):\n")
		for _, row := range r.Rows {
			mark := ""
			if row.Flagged {
				mark = " ⚠️"
			}
			rate := ""
			if p, ok := row.Rate(); ok {
				rate = " (" + pct(p) + ")"
			}
			fmt.Fprintf(&b, "• %s: +%d · %d%s · %s%s%s\n", row.Name, row.New, row.Total, rate, cell(row.Index), r.yearAgoShort(row), mark)
		}
	} else {
		fmt.Fprintf(&b, "\n🏫 %s trường: số liệu từng trường ở bảng tính kèm theo; mỗi đơn vị nhận báo cáo các trường của mình.\n", num(len(r.Rows)))
	}
	var flagged []string
	for _, row := range r.Rows {
		if row.Flagged {
			flagged = append(flagged, fmt.Sprintf("%s (%s)", row.Name, pct(row.Index.Pct)))
		}
	}
	if len(flagged) > 0 {
		fmt.Fprintf(&b, "⚠️ Dưới ngưỡng %s: %s\n", pct(r.FlagBelow), strings.Join(capped(flagged, MaxListed), "; "))
	}
	c := r.Complaints
	fmt.Fprintf(&b, "\n📣 Phản ánh: %d mới · %d tiếp nhận đúng hạn · %d đã giải quyết · %d đang mở · %d quá hạn\n",
		c.Opened, c.AckedOnTime, c.Resolved, c.Open, len(c.Overdue))
	for i, o := range c.Overdue {
		if i == MaxListed {
			fmt.Fprintf(&b, "⏰ … và %s phản ánh quá hạn khác (xem bảng tính)\n", num(len(c.Overdue)-MaxListed))
			break
		}
		fmt.Fprintf(&b, "⏰ %s · %s · %s · %d ngày\n", o.Code, o.School, o.Status, o.AgeDays)
	}
	r.commentsText(&b)
	fmt.Fprintf(&b, "\n(«chưa đủ mẫu»: dưới %d câu trả lời, không tính tỷ lệ.)", r.MinRespondents)
	if note := importNote(r.YearAgo); note != "" {
		b.WriteString("\n" + note)
	}
	return split(b.String(), MaxMessage)
}

// MaxSchoolLines is the most schools a report with units lists one a
// line; past it, a department's digest would be dozens of messages, and the
// workbook holds them. MaxListed is the most flagged schools or overdue
// complaints named.
const (
	MaxSchoolLines = 40
	MaxListed      = 20
)

// NotReached is the response rate under which a unit is named as not
// reached.
const NotReached = 10.0

// writeUnits lists the scope's units one level down with their numbers, the
// best and worst by index, and those the survey has not reached.
func (r *Report) writeUnits(b *strings.Builder) {
	rates := r.withEnrolment() > 0
	head := "phiếu · hài lòng · quá hạn"
	if rates {
		head = "phiếu · phản hồi · hài lòng · quá hạn"
	}
	fmt.Fprintf(b, "\n🏘️ Theo đơn vị (%s):\n", head)
	var ranked, unreached []string
	for _, u := range r.Units {
		rate := ""
		p, known := u.Rate()
		if rates {
			rate = " · –"
			if known {
				rate = " · " + pct(p)
			}
		}
		mark := ""
		if u.Flagged {
			mark = " ⚠️"
		}
		fmt.Fprintf(b, "• %s: %s%s · %s · %d%s\n", u.Name, num(u.Total), rate, cell(u.Index), u.Overdue, mark)
		if u.Index.Shown {
			ranked = append(ranked, u.Name)
		}
		if u.Schools > 0 && (u.Total == 0 || (known && p < NotReached)) {
			unreached = append(unreached, u.Name)
		}
	}
	if n := len(ranked); n >= 4 {
		byIndex := make([]Row, 0, n)
		for _, u := range r.Units {
			if u.Index.Shown {
				byIndex = append(byIndex, u)
			}
		}
		sort.SliceStable(byIndex, func(i, j int) bool { return byIndex[i].Index.Pct > byIndex[j].Index.Pct })
		k := min(3, n/2)
		list := func(rows []Row) string {
			var out []string
			for _, u := range rows {
				out = append(out, fmt.Sprintf("%s (%s)", u.Name, pct(u.Index.Pct)))
			}
			return strings.Join(out, "; ")
		}
		fmt.Fprintf(b, "🏆 Cao nhất: %s\n", list(byIndex[:k]))
		bottom := slices.Clone(byIndex[n-k:])
		slices.Reverse(bottom)
		fmt.Fprintf(b, "🔻 Thấp nhất: %s\n", list(bottom))
	}
	if len(unreached) > 0 {
		fmt.Fprintf(b, "📭 Chưa tiếp cận được (chưa có phiếu%s): %s\n", map[bool]string{true: ", hoặc phản hồi dưới " + pct(NotReached), false: ""}[rates],
			strings.Join(capped(unreached, MaxListed), "; "))
	}
}

// withEnrolment counts the report's schools whose enrolment is known.
func (r *Report) withEnrolment() int {
	n := 0
	for _, row := range r.Rows {
		if row.Enrolment > 0 {
			n++
		}
	}
	return n
}

// enrolled names what enrolment counts.
func (r *Report) enrolled() string {
	if r.EnrolmentOf == "pupils" {
		return "học sinh"
	}
	return "gia đình"
}

// capped is list cut at n, saying how many more there are.
func capped(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(slices.Clone(list[:n]), fmt.Sprintf("và %s nơi khác", num(len(list)-n)))
}

// num writes a whole number the Vietnamese way: 12.345.
// Number writes n as Vietnamese readers do: 1.250.
func Number(n int) string { return num(n) }

func num(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + num(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return s
}

// split cuts text into pieces of at most n UTF-16 units, between lines
// where it can.
func split(text string, n int) []string {
	var out []string
	for flows.Units(text) > n {
		cut, count, hard := 0, 0, 0
		for i, r := range text {
			if count+flows.RuneUnits(r) > n {
				break
			}
			if r == '\n' {
				cut = i
			}
			count += flows.RuneUnits(r)
			hard = i + utf8.RuneLen(r)
		}
		if cut == 0 {
			cut = hard
		}
		out = append(out, strings.TrimRight(text[:cut], "\n"))
		text = strings.TrimLeft(text[cut:], "\n")
	}
	return append(out, text)
}

// yearAgoShort is a school's index against the same period a year earlier,
// short: " · ▲ 2,1", marked when imported.
func (r *Report) yearAgoShort(row Row) string {
	if r.YearAgo == nil {
		return ""
	}
	before, ok := r.YearAgo.Rows[row.Code]
	if !ok || !before.Index.Shown || !row.Index.Shown {
		return " · –"
	}
	mark := ""
	if _, imported := r.YearAgo.Imported[row.Code]; imported {
		mark = importMark
	}
	return " ·" + strings.TrimSuffix(change(row.Index, &before.Index, ""), " ") + mark
}

// commentsText is the digest's part on comments: how many, and what
// parents talk about most.
func (r *Report) commentsText(b *strings.Builder) {
	if len(r.Comments) == 0 && r.CommentsHidden == 0 {
		return
	}
	fmt.Fprintf(b, "\n💬 Góp ý của phụ huynh: %d trong kỳ", len(r.Comments))
	if r.CommentsHidden > 0 {
		fmt.Fprintf(b, " (chưa hiện %d góp ý của trường dưới %d phiếu)", r.CommentsHidden, r.MinRespondents)
	}
	b.WriteString("\n")
	if len(r.Terms) > 0 {
		var parts []string
		for _, t := range r.Terms[:min(TextTerms, len(r.Terms))] {
			parts = append(parts, fmt.Sprintf("«%s» (%d)", t.Text, t.Count))
		}
		fmt.Fprintf(b, "Phụ huynh nhắc nhiều: %s\n", strings.Join(parts, " · "))
	}
}
