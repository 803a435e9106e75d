package digest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hailong/flows"
)

// MaxMessage is Telegram's limit on a message's text; Text splits there.
const MaxMessage = 4096

// pct formats a percentage the Vietnamese way: 78,4%.
func pct(p float64) string {
	return DecimalVI(p) + "%"
}

// cell is a score as shown: a percentage, or "chưa đủ mẫu".
func cell(s Score) string {
	if !s.Shown {
		return "chưa đủ mẫu"
	}
	return pct(s.Pct)
}

// change shows the change from an earlier score in points: ▲ 2,1.
func change(now Score, before *Score, label string) string {
	if before == nil || !before.Shown || !now.Shown {
		return ""
	}
	d := math.Round((now.Pct-before.Pct)*10) / 10
	arrow := "="
	switch {
	case d > 0:
		arrow = "▲"
	case d < 0:
		arrow = "▼"
	}
	return fmt.Sprintf(" %s %s %s", arrow, strings.Replace(strconv.FormatFloat(math.Abs(d), 'f', 1, 64), ".", ",", 1), label)
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
	fmt.Fprintf(&b, "\n📝 Phiếu khảo sát: %d mới trong kỳ, %d từ đầu đợt (%d trường)\n", r.Total.New, r.Total.Total, len(r.Rows))
	wow := func(now Score, id string) string {
		return change(now, prevScore(r.PrevWeek, id), "so với tuần trước") + change(now, prevScore(r.LastYear, id), "so với cùng kỳ năm trước")
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
	b.WriteString("\n🏫 Theo trường (phiếu mới · tổng · hài lòng):\n")
	for _, row := range r.Rows {
		mark := ""
		if row.Flagged {
			mark = " ⚠️"
		}
		fmt.Fprintf(&b, "• %s: +%d · %d · %s%s\n", row.Name, row.New, row.Total, cell(row.Index), mark)
	}
	var flagged []string
	for _, row := range r.Rows {
		if row.Flagged {
			flagged = append(flagged, fmt.Sprintf("%s (%s)", row.Name, pct(row.Index.Pct)))
		}
	}
	if len(flagged) > 0 {
		fmt.Fprintf(&b, "⚠️ Dưới ngưỡng %s: %s\n", pct(r.FlagBelow), strings.Join(flagged, "; "))
	}
	c := r.Complaints
	fmt.Fprintf(&b, "\n📣 Phản ánh: %d mới · %d tiếp nhận đúng hạn · %d đã giải quyết · %d đang mở · %d quá hạn\n",
		c.Opened, c.AckedOnTime, c.Resolved, c.Open, len(c.Overdue))
	for _, o := range c.Overdue {
		fmt.Fprintf(&b, "⏰ %s · %s · %s · %d ngày\n", o.Code, o.School, o.Status, o.AgeDays)
	}
	fmt.Fprintf(&b, "\n(«chưa đủ mẫu»: dưới %d câu trả lời, không tính tỷ lệ.)", r.MinRespondents)
	return split(b.String(), MaxMessage)
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
