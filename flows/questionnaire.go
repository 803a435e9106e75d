package flows

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Level is a school level.
type Level string

// The school levels hailong serves.
const (
	Preschool Level = "mn"   // mầm non
	Primary   Level = "th"   // tiểu học
	Lower     Level = "thcs" // trung học cơ sở
)

// Levels lists the school levels in display order.
var Levels = []Level{Preschool, Primary, Lower}

// Valid reports whether l is a known level.
func (l Level) Valid() bool { return l == Preschool || l == Primary || l == Lower }

// Name is the Vietnamese name of the level.
func (l Level) Name() string { return l.NameIn(Vietnamese) }

// Kind is how a question is answered.
type Kind string

// Question kinds.
const (
	Choice Kind = "choice" // one of Options
	Scale  Kind = "scale"  // 1..5, Rất không hài lòng … Rất hài lòng
	Number Kind = "number" // an integer in [Min, Max], or one of Options
	Text   Kind = "text"   // free text up to MaxLen
)

// Option is one answer a parent can pick.
type Option struct {
	Value string // stored; short, [a-z0-9_]
	Label string // shown
}

// GoodCap marks a number question whose good answers are those at most the
// class-size cap of the school's level.
const GoodCap = "cap"

// Question is one item of the questionnaire.
type Question struct {
	ID       string
	Group    string // "A" indicators, "B" satisfaction, "C" comment; used to group scores
	Short    string // a few words, for summaries and reports
	Text     string
	Kind     Kind
	Options  []Option
	Min, Max int      // Number only
	MaxLen   int      // Text only; 0 means 1000
	Levels   []Level  // empty means every level
	Good     []string // values that count as good; for Number, GoodCap or "<=N"
	Optional bool
	// Tr holds the question in other languages than Vietnamese.
	Tr map[Lang]QuestionText
	// AtLevel holds the question's wording at schools of a level where it
	// differs, by language (Vietnamese too): a preschool's parents are
	// asked about "trẻ", not "học sinh".
	AtLevel map[Level]map[Lang]string
}

// AppliesTo reports whether the question is asked at a school of level l.
func (q *Question) AppliesTo(l Level) bool {
	if len(q.Levels) == 0 {
		return true
	}
	for _, x := range q.Levels {
		if x == l {
			return true
		}
	}
	return false
}

// Option returns the option with the given value.
func (q *Question) Option(value string) (Option, bool) {
	for _, o := range q.Options {
		if o.Value == value {
			return o, true
		}
	}
	return Option{}, false
}

// DontKnow is the value of the "Không biết" option.
const DontKnow = "dk"

// TextGiven is the aggregate bucket of an answered free-text question; the
// text itself is never aggregated.
const TextGiven = "given"

// Bucket maps a stored answer to the aggregate it is counted under.
func (q *Question) Bucket(value string) string {
	if q.Kind == Text {
		if value == "" {
			return ""
		}
		return TextGiven
	}
	return value
}

// Verdict says how an answer counts in a score.
type Verdict int

// Verdicts.
const (
	Ignored Verdict = iota // skipped, free text
	Good
	Bad
	Unknown // "Không biết"
)

// Judge tells whether value is a good answer at a school whose class-size cap
// is capacity.
func (q *Question) Judge(value string, capacity int) Verdict {
	if value == "" || q.Kind == Text {
		return Ignored
	}
	if value == DontKnow {
		return Unknown
	}
	if len(q.Good) == 0 {
		return Ignored
	}
	if q.Kind == Number {
		n, err := strconv.Atoi(value)
		if err != nil {
			return Ignored
		}
		limit := capacity
		if g := q.Good[0]; g != GoodCap {
			limit, _ = strconv.Atoi(strings.TrimPrefix(g, "<="))
		}
		if limit <= 0 {
			return Ignored
		}
		if n <= limit {
			return Good
		}
		return Bad
	}
	for _, g := range q.Good {
		if g == value {
			return Good
		}
	}
	return Bad
}

// textLimit is the longest answer a Text question takes.
func (q *Question) textLimit() int {
	if q.MaxLen == 0 {
		return 1000
	}
	return q.MaxLen
}

// Questionnaire is the ordered list of questions.
type Questionnaire struct {
	Questions []Question
}

// For returns the questions asked at a school of level l, in order.
func (qn *Questionnaire) For(l Level) []*Question {
	var out []*Question
	for i := range qn.Questions {
		if qn.Questions[i].AppliesTo(l) {
			out = append(out, &qn.Questions[i])
		}
	}
	return out
}

// Question returns the question with the given id.
func (qn *Questionnaire) Question(id string) *Question {
	for i := range qn.Questions {
		if qn.Questions[i].ID == id {
			return &qn.Questions[i]
		}
	}
	return nil
}

var (
	idRe    = regexp.MustCompile(`^[A-Za-z0-9_]{1,16}$`)
	valueRe = regexp.MustCompile(`^[a-z0-9_]{1,16}$`)
	goodLE  = regexp.MustCompile(`^<=[0-9]+$`)
)

// Validate checks the questionnaire; errors name the question and the field.
func (qn *Questionnaire) Validate() error {
	if len(qn.Questions) == 0 {
		return errors.New("questions: none")
	}
	seen := map[string]bool{}
	var errs []error
	for i := range qn.Questions {
		q := &qn.Questions[i]
		where := fmt.Sprintf("questions[%d]", i)
		if q.ID != "" {
			where = fmt.Sprintf("questions[%d] (%s)", i, q.ID)
		}
		bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(where+": "+format, a...)) }
		if !idRe.MatchString(q.ID) {
			bad("id %q: want 1-16 letters, digits or _", q.ID)
		} else if seen[q.ID] {
			bad("id %q is used twice", q.ID)
		}
		seen[q.ID] = true
		if strings.TrimSpace(q.Text) == "" {
			bad("text is empty")
		}
		if len([]rune(q.Text)) > 1000 {
			bad("text is longer than 1000 characters")
		}
		for _, l := range q.Levels {
			if !l.Valid() {
				bad("levels: unknown level %q (want mn, th or thcs)", l)
			}
		}
		for lv, texts := range q.AtLevel {
			if !lv.Valid() {
				bad("at level %q: want mn, th or thcs", lv)
			}
			for l, x := range texts {
				if _, ok := ParseLang(string(l)); !ok || len([]rune(x)) > 1000 {
					bad("at level %s, language %q: want vi or en and at most 1000 characters", lv, l)
				}
			}
		}
		values := map[string]bool{}
		for _, o := range q.Options {
			if !valueRe.MatchString(o.Value) {
				bad("option value %q: want 1-16 of a-z, 0-9, _", o.Value)
			}
			if values[o.Value] {
				bad("option value %q is used twice", o.Value)
			}
			values[o.Value] = true
			if strings.TrimSpace(o.Label) == "" || len([]rune(o.Label)) > 40 {
				bad("option %q: label must be 1-40 characters", o.Value)
			}
		}
		for l, x := range q.Tr {
			if _, ok := ParseLang(string(l)); !ok || l == Vietnamese {
				bad("language %q: want en (the questionnaire's own text is Vietnamese)", l)
			}
			if len([]rune(x.Text)) > 1000 {
				bad("%s.text is longer than 1000 characters", l)
			}
			for v, label := range x.Labels {
				if !values[v] {
					bad("%s.labels: %q is not one of the options", l, v)
				}
				if len([]rune(label)) > 40 {
					bad("%s.labels[%s] must be at most 40 characters", l, v)
				}
			}
		}
		switch q.Kind {
		case Choice:
			if len(q.Options) < 2 {
				bad("a choice question needs at least 2 options")
			}
			for _, g := range q.Good {
				if !values[g] {
					bad("good: %q is not one of the options", g)
				}
			}
		case Scale:
			for _, g := range q.Good {
				if n, err := strconv.Atoi(g); err != nil || n < 1 || n > 5 {
					bad("good: %q is not a scale value 1-5", g)
				}
			}
		case Number:
			if q.Min > q.Max || q.Min < 0 || q.Max > 100000 {
				bad("min %d and max %d: want 0 <= min <= max <= 100000", q.Min, q.Max)
			}
			if len(q.Good) > 1 || (len(q.Good) == 1 && q.Good[0] != GoodCap && !goodLE.MatchString(q.Good[0])) {
				bad("good: want one of %q or \"<=N\"", GoodCap)
			}
		case Text:
			if q.MaxLen < 0 || q.MaxLen > 3000 {
				bad("max_len %d: want 0-3000", q.MaxLen)
			}
			if len(q.Good) > 0 {
				bad("good: a text question has no good answer")
			}
		default:
			bad("kind %q: want choice, scale, number or text", q.Kind)
		}
	}
	return errors.Join(errs...)
}

// ScaleOptions are the five steps of a Scale question.
var ScaleOptions = []Option{
	{"1", vi["scale.1"]},
	{"2", vi["scale.2"]},
	{"3", vi["scale.3"]},
	{"4", vi["scale.4"]},
	{"5", vi["scale.5"]},
}

// Choices returns the buttons offered for q: the scale's five steps for a
// Scale question, else q.Options.
func (q *Question) Choices() []Option {
	if q.Kind == Scale {
		return ScaleOptions
	}
	return q.Options
}

// preschool is a question's wording for preschools, in Vietnamese and
// English.
func preschool(vi, en string) map[Level]map[Lang]string {
	return map[Level]map[Lang]string{Preschool: {Vietnamese: vi, English: en}}
}

func yesNo() []Option {
	return []Option{{"yes", "Có"}, {"no", "Không"}, {DontKnow, "Không biết"}}
}

// DefaultQuestionnaire is the built-in questionnaire: the nine component
// indicators of the seed plan (Kế hoạch cải thiện chỉ số hài lòng, part II:
// "Rà soát 09 chỉ số thành phần"), A1–A9 in its order and worded after it
// in plain words, the Ministry's five satisfaction groups plus
// an overall question, and an optional comment.
func DefaultQuestionnaire() *Questionnaire {
	a := func(id, short, text string, good string, levels ...Level) Question {
		return Question{ID: id, Group: "A", Short: short, Text: text, Kind: Choice, Options: yesNo(), Good: []string{good}, Levels: levels}
	}
	b := func(id, short, text string) Question {
		return Question{ID: id, Group: "B", Short: short, Text: text, Kind: Scale, Good: []string{"4", "5"}}
	}
	qn := &Questionnaire{Questions: []Question{
		a("A1", "Lớp học là nhà kiên cố", "Lớp học của con có phải là nhà xây kiên cố (tường gạch, mái chắc chắn) không?", "yes"),
		a("A2", "Nhà vệ sinh sạch sẽ", "Nhà vệ sinh của trường có sạch sẽ không?", "yes"),
		a("A3", "Có nước sạch để uống", "Ở trường, con có nước sạch để uống không?", "yes"),
		{ID: "A4", Group: "A", Short: "Sĩ số lớp", Text: "Lớp của con hiện có bao nhiêu học sinh?",
			Kind: Number, Min: 1, Max: 100, Options: []Option{{DontKnow, "Không biết"}}, Good: []string{GoodCap},
			AtLevel: preschool("Nhóm, lớp của con hiện có bao nhiêu trẻ?",
				"How many children are in your child's group or class at present?")},
		a("A5", "Không có lớp học ca ba", "Năm học này lớp của con có phải học ca ba (trường chia ba ca học trong một ngày) không?", "no", Primary, Lower),
		// Not asked at preschools: học thêm does not apply there.
		a("A6", "Không ưu ái học sinh học thêm", "Giáo viên có đối xử ưu ái hơn với những học sinh đi học thêm ngoài giờ với chính giáo viên đó không?", "no", Primary, Lower),
		a("A7", "Giáo viên có trình độ sư phạm tốt", "Theo anh/chị, giáo viên của con có trình độ sư phạm tốt không (giảng bài dễ hiểu, biết cách dạy con)?", "yes"),
		a("A8", "Giáo viên phản hồi thường xuyên", "Anh/chị có thường xuyên nhận được phản hồi của giáo viên về tình hình học tập của con không?", "yes"),
		a("A9", "Thông tin đầy đủ về thu, chi", "Anh/chị có được nhà trường thông tin đầy đủ về các khoản thu, chi không?", "yes"),
		b("B1", "Tiếp cận dịch vụ", "Anh/chị hài lòng ở mức nào về việc tiếp cận dịch vụ giáo dục của nhà trường (tuyển sinh, thủ tục, thông tin)?"),
		b("B2", "Cơ sở vật chất", "Anh/chị hài lòng ở mức nào về cơ sở vật chất, trang thiết bị của nhà trường?"),
		b("B3", "Môi trường giáo dục", "Anh/chị hài lòng ở mức nào về môi trường giáo dục (an toàn, thân thiện) của nhà trường?"),
		b("B4", "Hoạt động giáo dục", "Anh/chị hài lòng ở mức nào về các hoạt động giáo dục của nhà trường?"),
		b("B5", "Kết quả giáo dục", "Anh/chị hài lòng ở mức nào về kết quả giáo dục mà con đạt được?"),
		b("B6", "Hài lòng chung", "Nhìn chung, anh/chị hài lòng với nhà trường ở mức nào?"),
		{ID: "C", Group: "C", Short: "Góp ý", Text: "Anh/chị có góp ý gì thêm cho nhà trường không?",
			Kind: Text, MaxLen: 1000, Optional: true},
	}}
	for _, x := range []struct{ id, vi, en string }{
		{"A7", "Theo anh/chị, giáo viên của con có trình độ sư phạm tốt không (biết cách chăm sóc, dạy dỗ trẻ)?",
			"In your view, does your child's teacher have good teaching skills (knows how to care for and teach young children)?"},
		{"A8", "Anh/chị có thường xuyên nhận được phản hồi của giáo viên về việc ăn, ngủ, học, chơi của con ở trường không?",
			"Do you regularly receive feedback from the teacher about how your child eats, sleeps, learns and plays at school?"},
	} {
		qn.Question(x.id).AtLevel = preschool(x.vi, x.en)
	}
	en := defaultQuestionsEn()
	for i := range qn.Questions {
		qn.Questions[i].Tr = map[Lang]QuestionText{English: en[qn.Questions[i].ID]}
	}
	return qn
}
