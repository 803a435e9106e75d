package zalo

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"hailong/flows"
)

// words returns Vietnamese words joined by spaces, of exactly n code points.
func words(n int) string {
	vocab := []string{"phụ", "huynh", "hài", "lòng", "với", "trường", "học", "của", "con", "nghiêm", "túc", "Đồng", "ý"}
	var b strings.Builder
	count := 0
	for i := 0; count < n; i++ {
		w := vocab[i%len(vocab)]
		if count > 0 {
			w = " " + w
		}
		if count+flows.Units(w) > n {
			w = strings.Repeat("x", n-count)
			if count > 0 && n-count > 1 {
				w = " " + strings.Repeat("x", n-count-1)
			}
		}
		b.WriteString(w)
		count += flows.Units(w)
	}
	return b.String()
}

// checkSplit asserts the properties of split(s, limit) = parts: every part
// within limit, valid UTF-8 and not blank; s is the parts with only
// whitespace between and after them (the separators at the cuts); a cut with
// no whitespace is inside a word longer than limit, and not before a
// combining mark.
func checkSplit(t *testing.T, s string, limit int, parts []string) {
	t.Helper()
	rest := s
	for i, p := range parts {
		// Over the limit only a single code point wider than it may be.
		if n := flows.Units(p); n > limit && utf8.RuneCountInString(p) > 1 || blank(p) || !utf8.ValidString(p) {
			t.Fatalf("part %d of %d: %d UTF-16 units, blank %v, valid %v: %q", i, len(parts), n, blank(p), utf8.ValidString(p), clip(p))
		}
		k := 0
		for !strings.HasPrefix(rest[k:], p) {
			r, size := utf8.DecodeRuneInString(rest[k:])
			if size == 0 || !unicode.IsSpace(r) {
				t.Fatalf("part %d does not follow the previous one with only whitespace between:\npart %q\nrest %q", i, clip(p), clip(rest))
			}
			k += size
		}
		if i > 0 && k == 0 {
			// A cut inside a word: the part before was one word.
			prev := strings.TrimLeftFunc(parts[i-1], unicode.IsSpace)
			if strings.IndexFunc(prev, unicode.IsSpace) >= 0 {
				t.Fatalf("part %d was cut inside a word although the part before has spaces: %q | %q", i, clip(parts[i-1]), clip(p))
			}
			// …and not before a combining mark, unless one letter and its
			// marks are longer than limit.
			_, size := utf8.DecodeRuneInString(prev)
			oneLetter := strings.TrimFunc(prev[size:], func(r rune) bool { return unicode.Is(unicode.Mn, r) }) == ""
			if r, _ := utf8.DecodeRuneInString(p); unicode.Is(unicode.Mn, r) && !oneLetter {
				t.Fatalf("part %d starts with a combining mark: %q | %q", i, clip(parts[i-1]), clip(p))
			}
		}
		rest = rest[k+len(p):]
	}
	if !blank(rest) {
		t.Fatalf("text left after the parts: %q", clip(rest))
	}
	if blank(s) != (len(parts) == 0) {
		t.Fatalf("%d parts of a text blank=%v", len(parts), blank(s))
	}
}

func clip(s string) string {
	if flows.Units(s) > 80 {
		return s[:offset(s, 40)] + "…" + s[offset(s, flows.Units(s)-40):]
	}
	return s
}

// randomText builds texts that are hard to split: Vietnamese words, emoji,
// decomposed diacritics, every kind of whitespace run and words longer than
// a message.
func randomText(r *rand.Rand, limit int) string {
	tokens := []string{"trường", "học", "phụ", "huynh", "Đồng", "ý", "nghiêm", "túc", "hài", "lòng", "🙏", "👨‍👩‍👧", "tru\u031bo\u0300ng", "1.", "«Có»"}
	seps := []string{" ", " ", " ", "  ", "\n", "\n\n", "\n\n\n", "\t", "\r\n", "\u00a0", " \n", "\n "}
	var b strings.Builder
	n := r.IntN(4 * limit)
	if r.IntN(10) == 0 {
		b.WriteString(seps[r.IntN(len(seps))])
	}
	for flows.Units(b.String()) < n {
		switch r.IntN(40) {
		case 0:
			b.WriteString(strings.Repeat("ư", max(1, limit-2+r.IntN(2*limit))))
		case 1:
			b.WriteString(strings.Repeat("u\u031b\u0300", 1+limit/3+r.IntN(limit)))
		default:
			b.WriteString(tokens[r.IntN(len(tokens))])
		}
		if r.IntN(8) > 0 {
			b.WriteString(seps[r.IntN(len(seps))])
		}
	}
	return b.String()
}

func TestSplitProperties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, limit := range []int{MaxText, 100, 7, 2, 1} {
		for range 300 {
			s := randomText(r, limit)
			checkSplit(t, s, limit, split(s, limit))
		}
	}
}

func TestSplitCuts(t *testing.T) {
	p1, p2 := words(1500), words(1200)
	l2, l3 := words(500), words(800)
	long := strings.Repeat("ư", 4500)
	nfd := strings.Repeat("u\u031b\u0300", 1000) // 3000 code points
	exact := words(MaxText)                      // a space is code point 2000 of exact+" tail"
	for _, tc := range []struct {
		name string
		text string
		want []string
	}{
		{"short", "Xin chào", []string{"Xin chào"}},
		{"exactly the limit", strings.Repeat("ơ", MaxText), []string{strings.Repeat("ơ", MaxText)}},
		{"blank", " \n\n \t", nil},
		{"empty", "", nil},
		{"paragraphs", p1 + "\n\n" + p2, []string{p1, p2}},
		{"blank line before a later line break", words(1000) + "\n\n" + l2 + "\n" + l3, []string{words(1000), l2 + "\n" + l3}},
		{"lines", p1 + "\n" + p2, []string{p1, p2}},
		{"extra blank lines", p1 + " \n\n\n\n" + p2, []string{p1, p2}},
		{"windows lines", p1 + "\r\n\r\n" + p2, []string{p1, p2}},
		{"words", exact + " tail", []string{exact, "tail"}},
		{"blank line across the limit", exact + "\n\ntail", []string{exact, "tail"}},
		{"one long word", long, []string{long[:offset(long, 2000)], long[offset(long, 2000):offset(long, 4000)], long[offset(long, 4000):]}},
		{"long word between short ones", "ab " + long[:offset(long, 2500)] + " cd",
			[]string{"ab", long[:offset(long, 2000)], long[:offset(long, 500)] + " cd"}},
		{"decomposed long word", nfd, []string{nfd[:offset(nfd, 1998)], nfd[offset(nfd, 1998):]}},
		{"leading blank lines", "\n\n" + long[:offset(long, 2100)], []string{"\n\n" + long[:offset(long, 1998)], long[:offset(long, 102)]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := split(tc.text, MaxText)
			checkSplit(t, tc.text, MaxText, got)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %d parts:", len(got))
				for i, p := range got {
					t.Errorf("  %d: %d code points %q", i, flows.Units(p), clip(p))
				}
				t.Errorf("want %d parts:", len(tc.want))
				for i, p := range tc.want {
					t.Errorf("  %d: %d code points %q", i, flows.Units(p), clip(p))
				}
			}
		})
	}
	// A paragraph of words fills the message up to its last word.
	text := words(3000)
	got := split(text, MaxText)
	if len(got) != 2 || flows.Units(got[0]) < MaxText-10 {
		t.Errorf("a paragraph of words: parts of %d and %d code points", flows.Units(got[0]), flows.Units(got[len(got)-1]))
	}
}

var yesNo = [][]flows.Button{{{Label: "Có", Data: "1:y"}, {Label: "Không", Data: "1:n"}}, {{Label: "Không biết", Data: "1:d"}}}

func bodies(ts []Text) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Body)
	}
	return out
}

func TestRenderNumbered(t *testing.T) {
	r := flows.Reply{Text: "Con có được đối xử công bằng không?", Buttons: yesNo}
	got := Render(r)
	want := []Text{{Body: "Con có được đối xử công bằng không?\n\n   1. Có\n   2. Không\n   3. Không biết"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Render = %q", got)
	}

	r.Typed = true
	got = Render(r)
	if len(got) != 1 || got[0].Body != flows.Numbered(r) || !strings.Contains(got[0].Body, "«Không biết»") || strings.Contains(got[0].Body, "1. ") {
		t.Errorf("typed: Render = %q", got)
	}

	// Options alone, with no text.
	got = Render(flows.Reply{Buttons: yesNo})
	if len(got) != 1 || !strings.HasPrefix(got[0].Body, "   1. Có") {
		t.Errorf("options alone: Render = %q", got)
	}
}

func TestRenderKeepsOptionsTogether(t *testing.T) {
	opts := options(flows.Reply{Buttons: yesNo})
	alone := strings.TrimLeft(opts, "\n")

	// The text fits, the options do not fit after it: they go next.
	r := flows.Reply{Text: words(PartLimit - 10), Buttons: yesNo}
	if got := bodies(Render(r)); !reflect.DeepEqual(got, []string{words(PartLimit - 10), alone}) {
		t.Errorf("text of %d: %q", PartLimit-10, got)
	}

	// A long text: the options go with its last part.
	r.Text = words(1500) + "\n\n" + words(1500) + "\n\n" + words(300)
	got := bodies(Render(r))
	if len(got) != 2 || !strings.HasSuffix(got[1], words(300)+opts) {
		t.Errorf("long text: %d parts, the last %q", len(got), clip(got[len(got)-1]))
	}
	checkSplit(t, flows.Numbered(r), PartLimit, got)

	// The last part is full: the options go alone.
	r.Text = words(1500) + "\n\n" + words(PartLimit-10)
	got = bodies(Render(r))
	if len(got) != 3 || got[2] != alone {
		t.Errorf("full last part: %d parts, the last %q", len(got), clip(got[len(got)-1]))
	}
	checkSplit(t, flows.Numbered(r), PartLimit, got)

	// Options longer than a message are split like any text.
	var many [][]flows.Button
	for i := range 60 {
		many = append(many, []flows.Button{{Label: fmt.Sprintf("Trường tiểu học số %d, phường Hải Châu, thành phố Đà Nẵng", i), Data: "x"}})
	}
	r = flows.Reply{Text: words(100), Buttons: many}
	got = bodies(Render(r))
	if len(got) < 2 {
		t.Errorf("%d parts for %d code points", len(got), flows.Units(flows.Numbered(r)))
	}
	checkSplit(t, flows.Numbered(r), PartLimit, got)
}

func TestRenderProperties(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		r := flows.Reply{Text: randomText(rnd, MaxText), Typed: rnd.IntN(4) == 0}
		for range rnd.IntN(12) {
			r.Buttons = append(r.Buttons, []flows.Button{{Label: words(1 + rnd.IntN(60)), Data: "d"}})
		}
		if rnd.IntN(2) == 0 {
			r.Lang = flows.English
		}
		got := Render(r)
		full := flows.Numbered(r)
		if blank(r.Text) {
			full = strings.TrimLeft(options(r), "\n")
		}
		checkSplit(t, full, PartLimit, bodies(got))
		if alone := strings.TrimLeft(options(r), "\n"); alone != "" && flows.Units(alone) <= PartLimit {
			if last := got[len(got)-1].Body; !strings.HasSuffix(last, alone) {
				t.Fatalf("the options are not together at the end of the last part: %q", clip(last))
			}
		}
	}
}

func TestRenderPhoto(t *testing.T) {
	const url = "https://zalo.example/photo.jpg"
	got := Render(flows.Reply{Text: "Ảnh lớp 3A", Photo: url})
	if !reflect.DeepEqual(got, []Text{{Body: "Ảnh lớp 3A", Photo: url}}) {
		t.Errorf("photo by URL: %q", got)
	}
	if got := Render(flows.Reply{Photo: url}); !reflect.DeepEqual(got, []Text{{Photo: url}}) {
		t.Errorf("photo without caption: %q", got)
	}
	long := words(1500) + "\n\n" + words(1500)
	got = Render(flows.Reply{Text: long, Photo: url})
	if !reflect.DeepEqual(got, []Text{{Body: words(1500), Photo: url}, {Body: words(1500)}}) {
		t.Errorf("photo with a long caption: %d messages, the first with photo %q", len(got), got[0].Photo)
	}

	// A Telegram file_id (or anything but an http(s) URL) cannot be sent.
	for _, ref := range []string{"AgACAgIAAxkBAAIBY2Zk", "ftp://example.org/a.jpg", "https:///a.jpg", "/tmp/a.jpg"} {
		got := Render(flows.Reply{Text: "Thông báo", Photo: ref})
		if !reflect.DeepEqual(got, []Text{{Body: "Thông báo\n\n" + photoNoteVi}}) {
			t.Errorf("photo %q: %q", ref, got)
		}
	}
	got = Render(flows.Reply{Text: "Notice", Photo: "AgACAgIAAxkBAAIBY2Zk", Lang: flows.English, Buttons: yesNo})
	if len(got) != 1 || got[0].Photo != "" || got[0].Body != "Notice\n\n"+photoNoteEn+options(flows.Reply{Buttons: yesNo}) {
		t.Errorf("file_id, English, with options: %q", got)
	}
	if got := Render(flows.Reply{Photo: "AgACAgIAAxkBAAIBY2Zk"}); !reflect.DeepEqual(got, []Text{{Body: photoNoteVi}}) {
		t.Errorf("file_id without text: %q", got)
	}
}

func TestRenderFile(t *testing.T) {
	file := &flows.File{Name: "bao-cao-tuan.xlsx", Data: []byte("PK")}
	got := Render(flows.Reply{Text: "Báo cáo tuần", File: file})
	want := "Báo cáo tuần\n\n(Tệp «bao-cao-tuan.xlsx» chỉ gửi được qua Telegram; dùng lệnh hailong export để lấy bảng tính.)"
	if !reflect.DeepEqual(got, []Text{{Body: want}}) {
		t.Errorf("file: %q", got)
	}
	got = Render(flows.Reply{Text: "Weekly report", File: &flows.File{Name: "chart\n.xlsx"}, Lang: flows.English})
	if len(got) != 1 || !strings.HasSuffix(got[0].Body, fmt.Sprintf(fileNoteEn, "chart .xlsx")) {
		t.Errorf("file, English: %q", got)
	}
	if got := Render(flows.Reply{Text: "Biểu đồ (1/5)", File: &flows.File{Name: "hai-long.png", Image: true}}); len(got) != 0 {
		t.Errorf("a report's chart: %q, want nothing (its numbers are in the text)", got)
	}
	got = Render(flows.Reply{File: &flows.File{Name: strings.Repeat("tệp", 100)}})
	if len(got) != 1 || flows.Units(got[0].Body) > 200 || !strings.Contains(got[0].Body, "…»") {
		t.Errorf("a long file name: %q", got)
	}
}

func TestRenderEmpty(t *testing.T) {
	for _, r := range []flows.Reply{{}, {Text: " \n\n "}, {Edit: true}} {
		if got := Render(r); len(got) != 0 {
			t.Errorf("Render(%+v) = %q, want nothing", r, got)
		}
	}
}

// TestRenderAccepted sends rendered replies to the fake, which holds them to
// Zalo's limits.
func TestRenderAccepted(t *testing.T) {
	s, c := newClient(t)
	u := s.NewUser("Chị Mai")
	s.Text(u, "hi")
	rnd := rand.New(rand.NewPCG(5, 6))
	var want []Text
	for i := range 20 {
		r := flows.Reply{Text: randomText(rnd, MaxText), Buttons: yesNo}
		if i%3 == 0 {
			r.Photo = "https://zalo.example/p.jpg"
		}
		for _, m := range Render(r) {
			var err error
			if m.Photo != "" {
				_, err = c.SendPhoto(t.Context(), u.ID, m.Photo, m.Body)
			} else {
				_, err = c.SendMessage(t.Context(), u.ID, m.Body)
			}
			if err != nil {
				t.Fatalf("reply %d: %v", i, err)
			}
			want = append(want, m)
		}
	}
	sent := s.Messages(u.ID)
	if len(sent) != len(want) {
		t.Fatalf("%d messages in the chat, want %d", len(sent), len(want))
	}
	for i, m := range sent {
		if m.Text != want[i].Body || m.PhotoURL != want[i].Photo {
			t.Errorf("message %d: %q %q, want %q %q", i, clip(m.Text), m.PhotoURL, clip(want[i].Body), want[i].Photo)
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("Xin chào\n\nphụ huynh", 5)
	f.Add("tru\u031bo\u0300ng  học\r\n\r\n🙏 «Có»", 3)
	f.Add(" \n\n ư", 1)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if !utf8.ValidString(s) || limit < 1 || limit > 50 {
			t.Skip()
		}
		checkSplit(t, s, limit, split(s, limit))
	})
}

// TestRenderCountsUTF16: emoji outside the BMP are two UTF-16 units each,
// as public clients count Zalo's 2000: 1,500 of them (1,500 code points)
// do not fit in one message; each part keeps under PartLimit units.
func TestRenderCountsUTF16(t *testing.T) {
	text := strings.Repeat("👍 ", 1000) // 1000 emoji and spaces: 3,000 units, 2,000 code points
	got := Render(flows.Reply{Text: text})
	if len(got) < 2 {
		t.Fatalf("%d message(s) for %d UTF-16 units", len(got), flows.Units(text))
	}
	for i, m := range got {
		if n := len(utf16.Encode([]rune(m.Body))); n > PartLimit {
			t.Errorf("part %d: %d UTF-16 units, over %d", i, n, PartLimit)
		}
	}
	if offset("a👍b", 2) != 1 || offset("a👍b", 3) != 5 || flows.Units("a👍b") != 4 {
		t.Errorf("offset/units: %d %d %d", offset("a👍b", 2), offset("a👍b", 3), flows.Units("a👍b"))
	}
}
