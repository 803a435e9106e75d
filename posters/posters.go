// Package posters makes the printable A4 posters with each school's QR code.
//
// A parent scans the code printed at the school; the code holds the deep link
// https://t.me/<bot>?start=<school code>, which opens the bot already set on
// that school. Each poster carries a title, the school's name, a short call to
// action, the QR code, the link in text (for those who type it), and the
// school code and office at the bottom.
//
// The same layout, computed in millimetres on an A4 page, is drawn twice: into
// a 300 dpi PNG with golang.org/x/image/font/opentype, and into a PDF with
// fpdf. Both use the Liberation fonts, which cover Vietnamese; text is
// normalised to NFC first, so names typed with combining marks (as some
// Vietnamese keyboards produce) render as precomposed letters.
package posters

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unicode"

	"codeberg.org/go-fonts/liberation/liberationmonoregular"
	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"

	"hailong/internal/atomicfile"
)

// School is one school as printed on its poster. Office, when set, names
// who runs it in place of Options.Office (a commune's school names its
// commune and the department above it).
type School struct{ Code, Name, Office string }

// Options are the settings shared by every poster.
type Options struct {
	BotUsername string // without @; the link is https://t.me/<BotUsername>?start=<Code>
	Office      string // e.g. "Phòng GDĐT thành phố Sa Đéc", printed small at the bottom
	// Zalo, when set, puts the bot on Zalo on the poster too.
	Zalo *Zalo
}

// Zalo is how parents reach the bot on Zalo.
//
// The Zalo Bot Platform documents no link that opens a bot (there is no
// counterpart of t.me/<bot>?start=): a school's code cannot ride in one. So
// the poster always says in one line what to type, "TRUONG <code>"; with
// Link (an address the operator got from Zalo that opens the bot, e.g. the
// bot's QR code's link) it gets a second QR code beside Telegram's, and
// without one it names the bot and says how to find it in Zalo.
type Zalo struct {
	BotName string // the bot's name as Zalo's search finds it
	Link    string // an http(s) address that opens the bot in Zalo; "" for none
}

// ZaloText is what a parent types on Zalo to pick the school.
func ZaloText(code string) string { return "TRUONG " + strings.TrimSpace(code) }

// Texts printed on every poster.
const (
	titleLine1 = "KHẢO SÁT SỰ HÀI LÒNG"
	titleLine2 = "CỦA CHA MẸ HỌC SINH"
	callText   = "Quét mã QR bằng điện thoại để trả lời khảo sát\nvà gửi phản ánh, kiến nghị tới nhà trường."
	callNote   = "Ẩn danh, khoảng 3 phút."
	hintText   = "Mã QR mở ứng dụng Telegram: bấm nút BẮT ĐẦU (START) để vào khảo sát."
	// On Zalo: with a QR code (%[1]s the bot's name, %[2]s what to type),
	// or without one.
	zaloQRText   = "Dùng Zalo: quét mã QR Zalo để mở «%[1]s», rồi nhắn: %[2]s"
	zaloFindText = "Dùng Zalo: tìm «%[1]s» trong ô tìm kiếm của Zalo, mở trò chuyện rồi nhắn: %[2]s"
	labelTG      = "Telegram"
	labelZalo    = "Zalo"
	codeLabel    = "Mã trường: "
	pdfTitle     = "Khảo sát sự hài lòng của cha mẹ học sinh"
)

// Page geometry, in millimetres (A4 portrait), and the PNG resolution.
const (
	pageW  = 210.0
	pageH  = 297.0
	margin = 15.0
	dpi    = 300
	// PNG size: A4 at 300 dpi.
	pxW = 2480
	pxH = 3508
)

var (
	navy  = color.RGBA{0x0b, 0x3d, 0x91, 0xff}
	ink   = color.RGBA{0x1a, 0x1a, 0x1a, 0xff}
	grey  = color.RGBA{0x55, 0x55, 0x55, 0xff}
	white = color.RGBA{0xff, 0xff, 0xff, 0xff}
	rule  = color.RGBA{0xb0, 0xb8, 0xc8, 0xff}
)

// Link is the deep link that opens bot on the school with the given code.
func Link(bot, code string) string {
	return "https://t.me/" + strings.TrimPrefix(strings.TrimSpace(bot), "@") + "?start=" + url.QueryEscape(code)
}

// PNG renders one A4 portrait poster for a school: 2480×3508 pixels at
// 300 dpi (the pHYs chunk says so, so it prints at A4 size).
func PNG(s School, o Options) ([]byte, error) {
	s, o, err := check(s, o)
	if err != nil {
		return nil, err
	}
	fs, err := loadFonts()
	if err != nil {
		return nil, err
	}
	qs, err := codes(s, o)
	if err != nil {
		return nil, err
	}
	c := newRaster(fs)
	for _, op := range layout(s, o, c.width) {
		c.draw(op, qs)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, c.paletted()); err != nil {
		return nil, fmt.Errorf("posters: encoding the PNG of %s: %w", s.Code, err)
	}
	return withDPI(buf.Bytes(), dpi), nil
}

// PDF renders one A4 page per school, in order, in one document.
func PDF(schools []School, o Options) ([]byte, error) {
	if len(schools) == 0 {
		return nil, errors.New("posters: no schools")
	}
	list := make([]School, len(schools))
	for i, s := range schools {
		var err error
		if list[i], o, err = check(s, o); err != nil {
			return nil, err
		}
	}
	if err := unique(list); err != nil {
		return nil, err
	}
	if _, err := loadFonts(); err != nil {
		return nil, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetTitle(pdfTitle, true)
	pdf.SetCreator("hailong", true)
	if o.Office != "" {
		pdf.SetAuthor(o.Office, true)
	}
	pdf.AddUTF8FontFromBytes("sans", "", liberationsansregular.TTF)
	pdf.AddUTF8FontFromBytes("sans", "B", liberationsansbold.TTF)
	pdf.AddUTF8FontFromBytes("mono", "", liberationmonoregular.TTF)
	c := &pdfCanvas{pdf: pdf}
	for i, s := range list {
		qs, err := codes(s, o)
		if err != nil {
			return nil, err
		}
		c.qrNames = c.qrNames[:0]
		for j, q := range qs {
			img, err := q.png(pdfModulePx)
			if err != nil {
				return nil, err
			}
			name := fmt.Sprintf("qr%d_%d", i, j)
			pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "png"}, bytes.NewReader(img))
			c.qrNames = append(c.qrNames, name)
		}
		pdf.AddPage()
		for _, op := range layout(s, o, c.width) {
			c.draw(op)
		}
		if err := pdf.Error(); err != nil {
			return nil, fmt.Errorf("posters: PDF page of %s: %w", s.Code, err)
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("posters: writing the PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// Write writes <dir>/<code>.png for every school and <dir>/posters.pdf,
// creating dir if needed; it returns the paths written, PNGs first in the
// order of schools, then the PDF. The PNGs are rendered in parallel.
func Write(dir string, schools []School, o Options) ([]string, error) {
	if len(schools) == 0 {
		return nil, errors.New("posters: no schools")
	}
	for _, s := range schools {
		if _, _, err := check(s, o); err != nil {
			return nil, err
		}
	}
	if err := unique(schools); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("posters: %w", err)
	}
	paths := make([]string, len(schools), len(schools)+1)
	errs := make([]error, len(schools))
	sem := make(chan struct{}, max(1, min(runtime.GOMAXPROCS(0), 4))) // a canvas is ~35 MB
	var wg sync.WaitGroup
	for i, s := range schools {
		paths[i] = filepath.Join(dir, strings.TrimSpace(s.Code)+".png")
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			b, err := PNG(s, o)
			if err == nil {
				err = writeFile(paths[i], b)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	b, err := PDF(schools, o)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, "posters.pdf")
	if err := writeFile(p, b); err != nil {
		return nil, err
	}
	return append(paths, p), nil
}

// writeFile writes through a fresh temporary file, so a reader never sees
// half a poster.
func writeFile(path string, b []byte) error {
	if err := atomicfile.WriteBytes(path, b, 0o644); err != nil {
		return fmt.Errorf("posters: %w", err)
	}
	return nil
}

// Payloads are what a school's QR codes hold: Telegram's deep link, and
// the Zalo link when there is one ("" when not).
func Payloads(s School, o Options) (telegram, zalo string) {
	if o.Zalo != nil {
		zalo = strings.TrimSpace(o.Zalo.Link)
	}
	return Link(o.BotUsername, s.Code), zalo
}

// codes are a school's QR codes: Telegram's, then Zalo's when there is a
// link.
func codes(s School, o Options) ([]*qr, error) {
	var out []*qr
	tg, z := Payloads(s, o)
	for _, p := range []string{tg, z} {
		if p == "" {
			continue
		}
		q, err := newQR(p)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// check validates and normalises one school and the options.
func check(s School, o Options) (School, Options, error) {
	o.BotUsername = strings.TrimPrefix(strings.TrimSpace(o.BotUsername), "@")
	o.Office = clean(o.Office)
	if o.Zalo != nil {
		z := *o.Zalo
		z.BotName, z.Link = clean(z.BotName), strings.TrimSpace(z.Link)
		if z.BotName == "" {
			return s, o, errors.New("posters: the Zalo bot's name is needed to name it on the posters")
		}
		if u, err := url.Parse(z.Link); z.Link != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
			return s, o, fmt.Errorf("posters: Zalo link %q: want an http(s) address", z.Link)
		}
		o.Zalo = &z
	}
	if !validBot(o.BotUsername) {
		return s, o, fmt.Errorf("posters: bot username %q: want 5-32 letters, digits or _", o.BotUsername)
	}
	s.Code = strings.TrimSpace(s.Code)
	s.Name = clean(s.Name)
	s.Office = clean(s.Office)
	if !validCode(s.Code) {
		return s, o, fmt.Errorf("posters: school code %q: want 1-64 letters, digits, - or _ (Telegram's start parameter)", s.Code)
	}
	if s.Name == "" {
		return s, o, fmt.Errorf("posters: school %s has no name", s.Code)
	}
	fs, err := loadFonts()
	if err != nil {
		return s, o, err
	}
	texts := []struct{ what, text string }{{"name of school " + s.Code, s.Name}, {"office", o.Office}, {"office of school " + s.Code, s.Office}}
	if o.Zalo != nil {
		texts = append(texts, struct{ what, text string }{"Zalo bot's name", o.Zalo.BotName})
	}
	for _, t := range texts {
		if r, ok := fs.covers(t.text); !ok {
			return s, o, fmt.Errorf("posters: the %s has %q (%U), which the poster font cannot print", t.what, r, r)
		}
	}
	return s, o, nil
}

// unique rejects two schools whose codes differ only in case: their PNGs
// would overwrite each other on case-insensitive file systems.
func unique(schools []School) error {
	seen := map[string]string{}
	for _, s := range schools {
		k := strings.ToLower(strings.TrimSpace(s.Code))
		if prev, ok := seen[k]; ok {
			return fmt.Errorf("posters: school code %q is given twice (as %q)", s.Code, prev)
		}
		seen[k] = s.Code
	}
	return nil
}

// clean normalises text to NFC and collapses runs of white space.
func clean(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

func validBot(s string) bool {
	if len(s) < 5 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return false
		}
	}
	return true
}

func validCode(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return false
		}
	}
	return true
}

// ---- fonts ----

type fontKind int

const (
	sans fontKind = iota
	sansBold
	mono
)

type fontSet struct{ f [3]*opentype.Font }

var loadFonts = sync.OnceValues(func() (*fontSet, error) {
	var fs fontSet
	for i, b := range [][]byte{liberationsansregular.TTF, liberationsansbold.TTF, liberationmonoregular.TTF} {
		f, err := opentype.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("posters: parsing a Liberation font: %w", err)
		}
		fs.f[i] = f
	}
	return &fs, nil
})

// covers reports whether every letter of s has a glyph in the sans fonts,
// and if not the first one missing.
func (fs *fontSet) covers(s string) (rune, bool) {
	var buf sfnt.Buffer
	for _, r := range s {
		if unicode.IsSpace(r) {
			continue
		}
		for _, f := range fs.f[:2] {
			if g, err := f.GlyphIndex(&buf, r); err != nil || g == 0 {
				return r, false
			}
		}
	}
	return 0, true
}

// ---- layout ----

// style is how a run of text is set: font, size in points, colour.
type style struct {
	font fontKind
	size float64
	col  color.RGBA
}

type opKind int

const (
	opRect opKind = iota // filled rectangle x, y, w, h
	opText               // text with its baseline at x, y
	opQR                 // the QR code (with quiet zone) in the square x, y, w
	opLine               // a horizontal rule from x to x+w at y, h thick
)

// op is one drawing operation, in millimetres from the page's top left.
type op struct {
	kind       opKind
	x, y, w, h float64
	text       string
	st         style
	col        color.RGBA
	qr         int // opQR: which code, 0 Telegram's, 1 Zalo's
}

// measure returns the width in millimetres of s set in st.
type measure func(s string, st style) float64

const ptMM = 25.4 / 72 // one point in millimetres

// block is text wrapped to lines, each centred.
type block struct {
	lines []string
	st    style
	lead  float64 // line height as a multiple of the size
}

func (b block) height() float64 { return float64(len(b.lines)) * b.st.size * ptMM * b.lead }

// emit appends the block's lines, centred on the page, from top y.
func (b block) emit(ops []op, y float64, m measure) []op {
	lh := b.st.size * ptMM * b.lead
	for i, l := range b.lines {
		w := m(l, b.st)
		// The baseline sits so that accents on capitals (Ổ, Ữ) clear the
		// line above and descenders clear the one below.
		base := y + float64(i)*lh + lh/2 + 0.36*b.st.size*ptMM
		ops = append(ops, op{kind: opText, x: (pageW - w) / 2, y: base, text: l, st: b.st})
	}
	return ops
}

// fit wraps text into at most maxLines lines of width w, shrinking the size
// from st.size down to minSize by half points; at minSize it keeps all lines.
// A newline in text forces a break (Vietnamese words are several syllables
// separated by spaces, so a fixed text says where it may break).
func fit(text string, st style, w float64, maxLines int, minSize float64, lead float64, m measure) block {
	for {
		var lines []string
		for _, para := range strings.Split(text, "\n") {
			lines = append(lines, balance(para, st, w, m)...)
		}
		if len(lines) <= maxLines || st.size-0.5 < minSize {
			return block{lines: lines, st: st, lead: lead}
		}
		st.size -= 0.5
	}
}

// balance wraps text into as many lines as wrap does at width w, but with
// lines as even as possible: it looks for the narrowest width that needs no
// more lines, so a name ends "Lê Thị Hồng Gấm", not a lone "Gấm".
func balance(text string, st style, w float64, m measure) []string {
	lines := wrap(text, st, w, m)
	if len(lines) < 2 {
		return lines
	}
	lo := 0.0 // no narrower than the widest word, which must not be broken
	for _, word := range strings.Fields(text) {
		lo = math.Max(lo, m(word, st))
	}
	if lo >= w {
		return lines
	}
	hi := w
	for hi-lo > 0.5 {
		mid := (lo + hi) / 2
		if len(wrap(text, st, mid, m)) <= len(lines) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return wrap(text, st, hi, m)
}

// wrap breaks text at spaces into lines no wider than w; a word wider than
// w on its own (a long link) is broken between characters.
func wrap(text string, st style, w float64, m measure) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if m(try, st) <= w {
			line = try
			continue
		}
		if line != "" {
			lines = append(lines, line)
			line = ""
		}
		for m(word, st) > w {
			rs := []rune(word)
			n := len(rs) - 1
			for n > 1 && m(string(rs[:n]), st) > w {
				n--
			}
			lines = append(lines, string(rs[:n]))
			word = string(rs[n:])
		}
		line = word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// layout places everything on the page for one school.
func layout(s School, o Options, m measure) []op {
	const textW = pageW - 2*margin
	title := []block{
		fit(titleLine1, style{sansBold, 36, white}, textW, 1, 20, 1.3, m),
		fit(titleLine2, style{sansBold, 36, white}, textW, 1, 20, 1.3, m),
	}
	// Both title lines at the same size.
	ts := math.Min(title[0].st.size, title[1].st.size)
	title[0].st.size, title[1].st.size = ts, ts

	name := fit(s.Name, style{sansBold, 32, navy}, textW, 3, 18, 1.22, m)
	call := fit(callText, style{sans, 18, ink}, textW-10, 4, 12, 1.35, m)
	note := fit(callNote, style{sansBold, 18, ink}, textW, 1, 12, 1.35, m)
	link := fit(Link(o.BotUsername, s.Code), style{mono, 15, ink}, textW, 1, 9, 1.3, m)
	hint := fit(hintText, style{sans, 12.5, grey}, textW, 2, 10, 1.3, m)
	var zaloLine, labels block
	twoQR := o.Zalo != nil && o.Zalo.Link != ""
	if o.Zalo != nil {
		text := zaloFindText
		if twoQR {
			text = zaloQRText
		}
		zaloLine = fit(fmt.Sprintf(text, o.Zalo.BotName, ZaloText(s.Code)), style{sansBold, 15, ink}, textW, 2, 10, 1.3, m)
	}
	if twoQR {
		labels = block{lines: []string{labelTG}, st: style{sansBold, 16, navy}, lead: 1.3}
	}
	code := fit(codeLabel+s.Code, style{sansBold, 14, ink}, textW, 1, 9, 1.3, m)
	var office block
	if name := cmp.Or(s.Office, o.Office); name != "" {
		office = fit(name, style{sans, 12, grey}, textW, 2, 9, 1.3, m)
	}

	var ops []op
	// Title band across the top.
	const bandPad = 9.0
	bandH := bandPad*2 + title[0].height() + title[1].height()
	ops = append(ops, op{kind: opRect, x: 0, y: 0, w: pageW, h: bandH, col: navy})
	ops = title[0].emit(ops, bandPad, m)
	ops = title[1].emit(ops, bandPad+title[0].height(), m)

	// Footer: a rule, the school code, the office, up from the bottom margin.
	footH := code.height() + office.height()
	footTop := pageH - 12 - footH
	ops = append(ops, op{kind: opLine, x: margin, y: footTop - 3, w: textW, h: 0.4, col: rule})
	ops = code.emit(ops, footTop, m)
	ops = office.emit(ops, footTop+code.height(), m)

	// Between band and footer: name, call, QR, link, hint. The QR takes
	// what is left, within bounds; remaining space goes to the gaps.
	top, bottom := bandH, footTop-3
	fixedH := name.height() + call.height() + note.height() + link.height() + hint.height() + labels.height() + zaloLine.height()
	minGaps := []float64{9, 7, 3, 1, 5} // above name, name–call, call–QR(+QR–link), link–hint, below hint
	gapSum := 0.0
	for _, g := range minGaps {
		gapSum += g
	}
	most := 125.0
	if twoQR {
		most = (textW - 10) / 2 // side by side, 10 mm apart
	}
	qr := math.Max(70, math.Min(most, bottom-top-fixedH-gapSum-3))
	extra := math.Max(0, bottom-top-fixedH-gapSum-3-qr)
	// Share the extra space: most above the name and around the QR.
	gaps := []float64{minGaps[0] + extra*0.3, minGaps[1] + extra*0.15, minGaps[2] + extra*0.2, minGaps[3], minGaps[4] + extra*0.35}

	y := top + gaps[0]
	ops = name.emit(ops, y, m)
	y += name.height() + gaps[1]
	ops = call.emit(ops, y, m)
	y += call.height()
	ops = note.emit(ops, y, m)
	y += note.height() + gaps[2]
	if twoQR {
		// Telegram's code on the left, Zalo's on the right, each named.
		left, right := pageW/2-5-qr, pageW/2+5
		for i, l := range []string{labelTG, labelZalo} {
			cx := []float64{left, right}[i] + qr/2
			lb := labels
			lb.lines = []string{l}
			for _, t := range lb.emit(nil, y, m) {
				t.x = cx - m(l, lb.st)/2
				ops = append(ops, t)
			}
		}
		y += labels.height()
		ops = append(ops, op{kind: opQR, x: left, y: y, w: qr, h: qr}, op{kind: opQR, x: right, y: y, w: qr, h: qr, qr: 1})
	} else {
		ops = append(ops, op{kind: opQR, x: (pageW - qr) / 2, y: y, w: qr, h: qr})
	}
	y += qr + 3
	ops = link.emit(ops, y, m)
	y += link.height() + gaps[3]
	ops = hint.emit(ops, y, m)
	y += hint.height()
	ops = zaloLine.emit(ops, y, m)
	return ops
}

// ---- QR code ----

// qr is a QR code's modules, quiet zone (4 modules) included.
type qr struct{ bits [][]bool }

func newQR(link string) (*qr, error) {
	c, err := qrcode.New(link, qrcode.High)
	if err != nil {
		return nil, fmt.Errorf("posters: QR code of %s: %w", link, err)
	}
	return &qr{bits: c.Bitmap()}, nil
}

// pdfModulePx is the pixels per module of the QR image in the PDF: enough
// that a viewer that smooths images still shows sharp modules.
const pdfModulePx = 12

// png encodes the code as a grey PNG with px pixels per module.
func (q *qr) png(px int) ([]byte, error) {
	n := len(q.bits)
	img := image.NewGray(image.Rect(0, 0, n*px, n*px))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for r, row := range q.bits {
		for c, on := range row {
			if on {
				draw.Draw(img, image.Rect(c*px, r*px, (c+1)*px, (r+1)*px), image.Black, image.Point{}, draw.Src)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("posters: encoding a QR code: %w", err)
	}
	return buf.Bytes(), nil
}

// ---- PNG canvas ----

type raster struct {
	img   *image.RGBA
	fs    *fontSet
	faces map[style]font.Face
}

func newRaster(fs *fontSet) *raster {
	img := image.NewRGBA(image.Rect(0, 0, pxW, pxH))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	return &raster{img: img, fs: fs, faces: map[style]font.Face{}}
}

func px(mm float64) float64 { return mm * dpi / 25.4 }

func (c *raster) face(st style) font.Face {
	key := style{font: st.font, size: st.size}
	if f, ok := c.faces[key]; ok {
		return f
	}
	f, err := opentype.NewFace(c.fs.f[st.font], &opentype.FaceOptions{Size: st.size, DPI: dpi, Hinting: font.HintingNone})
	if err != nil {
		// Only for a size out of range, which layout never asks for.
		panic(err)
	}
	c.faces[key] = f
	return f
}

func (c *raster) width(s string, st style) float64 {
	w := font.MeasureString(c.face(st), s)
	return float64(w) / 64 * 25.4 / dpi
}

func (c *raster) fill(x, y, w, h float64, col color.RGBA) {
	r := image.Rect(int(math.Round(px(x))), int(math.Round(px(y))), int(math.Round(px(x+w))), int(math.Round(px(y+h))))
	draw.Draw(c.img, r, image.NewUniform(col), image.Point{}, draw.Src)
}

func (c *raster) draw(o op, qs []*qr) {
	switch o.kind {
	case opRect:
		c.fill(o.x, o.y, o.w, o.h, o.col)
	case opLine:
		c.fill(o.x, o.y-o.h/2, o.w, o.h, o.col)
	case opText:
		d := font.Drawer{
			Dst:  c.img,
			Src:  image.NewUniform(o.st.col),
			Face: c.face(o.st),
			Dot:  fixed.Point26_6{X: fixed.Int26_6(px(o.x) * 64), Y: fixed.Int26_6(px(o.y) * 64)},
		}
		d.DrawString(o.text)
	case opQR:
		// Whole pixels per module, centred in the square, for crisp edges.
		q := qs[o.qr]
		n := len(q.bits)
		size := int(px(o.w))
		mod := size / n
		x0 := int(math.Round(px(o.x))) + (size-mod*n)/2
		y0 := int(math.Round(px(o.y))) + (size-mod*n)/2
		draw.Draw(c.img, image.Rect(x0, y0, x0+mod*n, y0+mod*n), image.White, image.Point{}, draw.Src)
		for r, row := range q.bits {
			for col, on := range row {
				if on {
					rc := image.Rect(x0+col*mod, y0+r*mod, x0+(col+1)*mod, y0+(r+1)*mod)
					draw.Draw(c.img, rc, image.Black, image.Point{}, draw.Src)
				}
			}
		}
	}
}

// palette holds the poster's colours and, for anti-aliased text edges, ramps
// from white to each text colour; text never sits on anything but white or
// the navy band, so every pixel is on one of these ramps.
var palette = sync.OnceValue(func() color.Palette {
	p := color.Palette{white, color.RGBA{0, 0, 0, 0xff}, rule}
	for _, c := range []color.RGBA{navy, ink, grey} {
		const steps = 63
		for i := 1; i <= steps; i++ {
			mix := func(a, b uint8) uint8 { return uint8((int(a)*(steps-i) + int(b)*i + steps/2) / steps) }
			p = append(p, color.RGBA{mix(0xff, c.R), mix(0xff, c.G), mix(0xff, c.B), 0xff})
		}
	}
	return p
})

// paletted converts the canvas to 8-bit indexed colour: a quarter of the
// bytes to filter and compress, so encoding (and decoding) is much faster,
// with no visible change.
func (c *raster) paletted() *image.Paletted {
	pal := palette()
	out := image.NewPaletted(c.img.Bounds(), pal)
	cache := map[uint32]uint8{}
	src, dst := c.img.Pix, out.Pix
	for i := range dst {
		p := src[4*i:]
		if p[0] == 0xff && p[1] == 0xff && p[2] == 0xff {
			continue // white: index 0
		}
		k := uint32(p[0])<<16 | uint32(p[1])<<8 | uint32(p[2])
		idx, ok := cache[k]
		if !ok {
			idx = uint8(pal.Index(color.RGBA{p[0], p[1], p[2], 0xff}))
			cache[k] = idx
		}
		dst[i] = idx
	}
	return out
}

// withDPI inserts a pHYs chunk after IHDR so that printers and image
// programs take the PNG as d dots per inch (A4 at 300 dpi).
func withDPI(p []byte, d int) []byte {
	const ihdrEnd = 8 + 4 + 4 + 13 + 4 // signature, IHDR length, type, data, CRC
	if len(p) < ihdrEnd || string(p[12:16]) != "IHDR" {
		return p
	}
	ppm := uint32(math.Round(float64(d) / 0.0254))
	chunk := make([]byte, 4+4+9+4)
	binary.BigEndian.PutUint32(chunk[0:], 9)
	copy(chunk[4:], "pHYs")
	binary.BigEndian.PutUint32(chunk[8:], ppm)
	binary.BigEndian.PutUint32(chunk[12:], ppm)
	chunk[16] = 1 // unit: metre
	binary.BigEndian.PutUint32(chunk[17:], crc32.ChecksumIEEE(chunk[4:17]))
	out := make([]byte, 0, len(p)+len(chunk))
	out = append(out, p[:ihdrEnd]...)
	out = append(out, chunk...)
	return append(out, p[ihdrEnd:]...)
}

// ---- PDF canvas ----

type pdfCanvas struct {
	pdf     *fpdf.Fpdf
	qrNames []string // the page's QR codes' images
}

func (c *pdfCanvas) setFont(st style) {
	switch st.font {
	case sans:
		c.pdf.SetFont("sans", "", st.size)
	case sansBold:
		c.pdf.SetFont("sans", "B", st.size)
	case mono:
		c.pdf.SetFont("mono", "", st.size)
	}
}

func (c *pdfCanvas) width(s string, st style) float64 {
	c.setFont(st)
	return c.pdf.GetStringWidth(s)
}

func (c *pdfCanvas) draw(o op) {
	switch o.kind {
	case opRect, opLine:
		y, h := o.y, o.h
		if o.kind == opLine {
			y -= h / 2
		}
		c.pdf.SetFillColor(int(o.col.R), int(o.col.G), int(o.col.B))
		c.pdf.Rect(o.x, y, o.w, h, "F")
	case opText:
		c.setFont(o.st)
		c.pdf.SetTextColor(int(o.st.col.R), int(o.st.col.G), int(o.st.col.B))
		c.pdf.Text(o.x, o.y, o.text)
	case opQR:
		c.pdf.ImageOptions(c.qrNames[o.qr], o.x, o.y, o.w, o.h, false, fpdf.ImageOptions{ImageType: "png"}, 0, "")
	}
}
