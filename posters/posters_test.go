package posters

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/text/unicode/norm"

	"hailong/internal/tooltest"
)

const bot = "hailong_sadec_bot"

var (
	opts    = Options{BotUsername: bot, Office: "Phòng GDĐT thành phố Sa Đéc"}
	schools = []School{
		{Code: "TH-LTHG", Name: "Trường Tiểu học Lê Thị Hồng Gấm"},
		{Code: "THCS-NMT", Name: "Trường THCS Nguyễn Minh Trí"},
		{Code: "MN_HS", Name: "Trường Mầm non Hoa Sen thuộc Phường Tân Quy Đông, thành phố Sa Đéc, tỉnh Đồng Tháp (điểm chính và các điểm lẻ)"},
	}
)

func TestLink(t *testing.T) {
	if got, want := Link(bot, "TH-LTHG"), "https://t.me/hailong_sadec_bot?start=TH-LTHG"; got != want {
		t.Errorf("Link = %q, want %q", got, want)
	}
	if got, want := Link("@"+bot, "x"), "https://t.me/hailong_sadec_bot?start=x"; got != want {
		t.Errorf("Link with @ = %q, want %q", got, want)
	}
}

// decodeQR reads the QR code back from a whole poster.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decoding the QR code: %v", err)
	}
	return res.GetText()
}

// render renders s's poster and decodes it.
func render(t *testing.T, s School, o Options) (image.Image, []byte) {
	t.Helper()
	b, err := PNG(s, o)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img, b
}

func TestPNG(t *testing.T) {
	for _, s := range schools {
		t.Run(s.Code, func(t *testing.T) {
			t.Parallel()
			img, b := render(t, s, opts)
			w, h := img.Bounds().Dx(), img.Bounds().Dy()
			if r := float64(h) / float64(w); r < 1.41 || r > 1.42 || w < 1200 {
				t.Errorf("size %dx%d: not A4 portrait (ratio %.3f)", w, h, r)
			}
			if !bytes.Contains(b[:64], []byte("pHYs")) {
				t.Error("no pHYs chunk after IHDR")
			}
			if got, want := decodeQR(t, img), Link(bot, s.Code); got != want {
				t.Errorf("QR code reads %q, want %q", got, want)
			}
		})
	}
}

// pageRE matches a page object, not the page tree (/Type /Pages).
var pageRE = regexp.MustCompile(`/Type /Page\b[^s]`)

func TestPDF(t *testing.T) {
	b, err := PDF(schools, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Fatalf("does not start with %%PDF: %q", b[:min(len(b), 16)])
	}
	if n := len(pageRE.FindAll(b, -1)); n != len(schools) {
		t.Errorf("%d pages, want %d", n, len(schools))
	}
	if n := bytes.Count(b, []byte("/Subtype /Image")); n != len(schools) {
		t.Errorf("%d images, want one QR code per page (%d)", n, len(schools))
	}
}

// TestPDFText reads the posters' PDF as a reader's program does (poppler's
// pdftotext): a page a school, in order, each with its text selectable and
// searchable in Vietnamese — the school's name, its code, the office, the
// link its QR code holds and what to type on Zalo.
func TestPDFText(t *testing.T) {
	o := opts
	o.Zalo = &Zalo{BotName: "Bot Hải Long Sa Đéc"}
	b, err := PDF(schools, o)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "posters.pdf")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if n := tooltest.Pages(t, path); n != len(schools) {
		t.Errorf("pdfinfo: %d pages, want %d", n, len(schools))
	}
	pages := strings.Split(strings.TrimRight(tooltest.Text(t, path), "\f"), "\f")
	if len(pages) != len(schools) {
		t.Fatalf("%d pages of text, want %d", len(pages), len(schools))
	}
	for i, s := range schools {
		words := strings.Join(strings.Fields(pages[i]), " ") // a long name wraps
		for _, want := range []string{"KHẢO SÁT SỰ HÀI LÒNG CỦA CHA MẸ HỌC SINH", s.Name, "Mã trường: " + s.Code, opts.Office,
			Link(bot, s.Code), "nhắn: " + ZaloText(s.Code), "«Bot Hải Long Sa Đéc»"} {
			if !strings.Contains(words, want) {
				t.Errorf("page %d (%s) lacks %q:\n%s", i+1, s.Code, want, pages[i])
			}
		}
	}
}

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	paths, err := Write(dir, schools, opts)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range schools {
		want = append(want, filepath.Join(dir, s.Code+".png"))
	}
	want = append(want, filepath.Join(dir, "posters.pdf"))
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Errorf("paths = %q, want %q", paths, want)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("%d files in dir, want %d", len(entries), len(want))
	}
	for _, p := range want {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".png") && !bytes.HasPrefix(b, []byte("\x89PNG")) || strings.HasSuffix(p, ".pdf") && !bytes.HasPrefix(b, []byte("%PDF")) {
			t.Errorf("%s: wrong header %q", p, b[:8])
		}
	}
}

func TestRejects(t *testing.T) {
	cases := []struct {
		name string
		s    []School
		o    Options
	}{
		{"no bot", schools[:1], Options{}},
		{"bad bot", schools[:1], Options{BotUsername: "a b c d e"}},
		{"code with slash", []School{{Code: "../x", Name: "Trường A"}}, opts},
		{"code with space", []School{{Code: "TH 1", Name: "Trường A"}}, opts},
		{"no name", []School{{Code: "TH1", Name: "  "}}, opts},
		{"twice", []School{{Code: "th1", Name: "A"}, {Code: "TH1", Name: "B"}}, opts},
		{"no glyph", []School{{Code: "TH1", Name: "Trường 学校"}}, opts},
		{"none", nil, opts},
	}
	for _, c := range cases {
		if _, err := PDF(c.s, c.o); err == nil {
			t.Errorf("%s: PDF: no error", c.name)
		}
		if _, err := Write(t.TempDir(), c.s, c.o); err == nil {
			t.Errorf("%s: Write: no error", c.name)
		}
	}
}

// Every Vietnamese letter, and names typed with combining marks (NFD), are
// printable in the poster fonts.
func TestVietnameseCoverage(t *testing.T) {
	fs, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	letters := "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
	all := letters + strings.ToUpper(letters)
	if r, ok := fs.covers(all); !ok {
		t.Errorf("no glyph for %q", r)
	}
	nfd := norm.NFD.String("Trường Tiểu học Lê Thị Hồng Gấm")
	s, _, err := check(School{Code: "X", Name: nfd}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "Trường Tiểu học Lê Thị Hồng Gấm" {
		t.Errorf("name not normalised to NFC: %q", s.Name)
	}
}

// Long names wrap onto several lines and all text stays inside the page.
func TestLayoutFits(t *testing.T) {
	fs, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	c := newRaster(fs)
	long := School{Code: strings.Repeat("A", 64), Name: strings.Repeat("Trường Tiểu học Nguyễn Thị Minh Khai ", 3)}
	two := opts
	two.Zalo = &Zalo{BotName: "Bot Hải Long Phòng GDĐT thành phố Sa Đéc", Link: "https://zalo.me/1459232241454765289"}
	one := opts
	one.Zalo = &Zalo{BotName: two.Zalo.BotName}
	for i, s := range append(append(schools, long), append(schools, long)...) {
		o := []Options{opts, two, one}[i%3]
		s, o, err := check(s, o)
		if err != nil {
			t.Fatal(err)
		}
		ops := layout(s, o, c.width)
		nameLines := 0
		for _, op := range ops {
			if op.kind == opText && op.st.col == navy {
				nameLines++
			}
			var w float64
			if op.kind == opText {
				w = c.width(op.text, op.st)
			} else {
				w = op.w
			}
			if op.x < -0.01 || op.x+w > pageW+0.01 || op.y < 0 || op.y > pageH-5 {
				t.Errorf("%s: %v %q out of the page: x %.1f..%.1f y %.1f", s.Code, op.kind, op.text, op.x, op.x+w, op.y)
			}
			if op.kind == opQR && op.w < 70 {
				t.Errorf("%s: QR only %.0f mm", s.Code, op.w)
			}
		}
		if s.Code != "TH-LTHG" && s.Code != "THCS-NMT" && nameLines < 2 {
			t.Errorf("%s: long name on %d line(s)", s.Code, nameLines)
		}
	}

	// A school's own units are printed in place of the options' office.
	ward := School{Code: "TH-W", Name: "Trường Tiểu học Phường", Office: "UBND phường Sa Đéc · Sở GDĐT tỉnh Đồng Tháp"}
	s, o, err := check(ward, opts)
	if err != nil {
		t.Fatal(err)
	}
	var office []string
	for _, op := range layout(s, o, c.width) {
		if op.kind == opText && op.st.col == grey {
			office = append(office, op.text)
		}
	}
	if got := strings.Join(office, " "); !strings.Contains(got, "UBND phường Sa Đéc") || strings.Contains(got, opts.Office) {
		t.Errorf("the units printed: %q", got)
	}
}

// TestZalo: with a Zalo link the poster carries a second QR code holding
// it beside Telegram's, each named, and says what to type; without one it
// names the bot and how to find it in Zalo, with Telegram's code alone.
func TestZalo(t *testing.T) {
	s := schools[0]
	withLink := opts
	withLink.Zalo = &Zalo{BotName: "Bot Hải Long Sa Đéc", Link: "https://zalo.me/1459232241454765289"}
	img, _ := render(t, s, withLink)
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	half := func(x0, x1 int) image.Image {
		return img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(x0, 0, x1, h))
	}
	if got := decodeQR(t, half(0, w/2)); got != Link(bot, s.Code) {
		t.Errorf("the left QR code reads %q", got)
	}
	if got := decodeQR(t, half(w/2, w)); got != withLink.Zalo.Link {
		t.Errorf("the right QR code reads %q, want the Zalo link", got)
	}
	if tg, z := Payloads(s, withLink); tg != Link(bot, s.Code) || z != withLink.Zalo.Link {
		t.Errorf("Payloads = %q, %q", tg, z)
	}

	fs, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	c := newRaster(fs)
	noLink := opts
	noLink.Zalo = &Zalo{BotName: "Bot Hải Long Sa Đéc"}
	for name, o := range map[string]Options{"link": withLink, "no link": noLink} {
		s, o, err := check(s, o)
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		qrs := 0
		for _, op := range layout(s, o, c.width) {
			if op.kind == opText {
				texts = append(texts, op.text)
			}
			if op.kind == opQR {
				qrs++
			}
		}
		all := strings.Join(texts, " ")
		if !strings.Contains(all, "nhắn: TRUONG "+s.Code) || !strings.Contains(all, "«Bot Hải Long Sa Đéc»") {
			t.Errorf("%s: the poster does not say what to type to whom:\n%s", name, all)
		}
		want, find := 2, false
		if name == "no link" {
			want, find = 1, true
		}
		if qrs != want || strings.Contains(all, "tìm «") != find || strings.Contains(all, "Telegram Zalo") == find {
			t.Errorf("%s: %d QR codes, text:\n%s", name, qrs, all)
		}
		if _, z := Payloads(s, o); (z == "") != find {
			t.Errorf("%s: Zalo payload %q", name, z)
		}
	}
	if _, err := PNG(s, Options{BotUsername: bot, Zalo: &Zalo{}}); err == nil {
		t.Error("a Zalo bot without a name was accepted")
	}
	if _, err := PNG(s, Options{BotUsername: bot, Zalo: &Zalo{BotName: "x", Link: "zalo.me/123"}}); err == nil {
		t.Error("a Zalo link without a scheme was accepted")
	}
}
