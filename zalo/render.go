package zalo

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"hailong/flows"
)

// MaxText is the most characters Zalo takes in a message's text or a
// photo's caption: "1–2000 ký tự" (sendMessage, sendPhoto), no unit given.
// Public clients count UTF-16 code units (openclaw truncates captions to
// 2000 of them), and so does this package.
const MaxText = 2000

// PartLimit is how much Render puts in one message, in UTF-16 code units:
// MaxText less a margin, in case Zalo counts a little differently (a
// guess; an emoji outside the BMP is two units, one code point).
const PartLimit = 1900

// Text is one Zalo message: a text (sendMessage), or, when Photo is set, a
// photo by URL with Body as its caption (sendPhoto; Body may be empty).
type Text struct {
	Body  string
	Photo string
}

// What Render adds for what Zalo cannot carry. They are not catalog keys:
// they belong to this channel, not to the conversation.
const (
	photoNoteVi = "(Ảnh đính kèm chỉ xem được trên Telegram.)"
	photoNoteEn = "(The attached photo can only be seen on Telegram.)"
	fileNoteVi  = "(Tệp «%s» chỉ gửi được qua Telegram; dùng lệnh hailong export để lấy bảng tính.)"
	fileNoteEn  = "(The file «%s» can only be sent through Telegram; use the command hailong export to get the workbook.)"
)

// maxFileName bounds the file name quoted in the file note.
const maxFileName = 100

// Render shows a reply as Zalo messages, in order; none for a reply with
// neither text nor photo.
//
// Options are numbered after the text (flows.Numbered), since Zalo has no
// buttons. A text over PartLimit is split between paragraphs, else lines, else
// words, keeping the options together in the last message when they fit. A
// photo given by an http(s) URL is sent with the first part as its caption
// (the transport first gives a Telegram photo one, when it can relay it);
// any other photo reference (a Telegram file_id) cannot reach Zalo, and
// neither can a file: the text then goes alone with a note in the reader's
// language — except a picture made by hailong (a report's chart), which is
// left out: its numbers are in the report's text. Zalo cannot edit messages or show keyboards, so Edit,
// AskContact and HideKeyboard change nothing: the reply is sent anew.
func Render(r flows.Reply) []Text {
	if r.File != nil && r.File.Image {
		// A chart: its numbers are in the report's text already, and a
		// note for each of its pictures would only crowd the chat.
		return nil
	}
	var photo string
	head := r.Text
	if r.Photo != "" {
		if isHTTPURL(r.Photo) {
			photo = r.Photo
		} else {
			head = paragraphs(head, pick(r.Lang, photoNoteVi, photoNoteEn))
		}
	}
	if r.File != nil {
		head = paragraphs(head, fmt.Sprintf(pick(r.Lang, fileNoteVi, fileNoteEn), fileName(r.File.Name)))
	}
	parts := body(head, options(r))
	if photo == "" {
		out := make([]Text, len(parts))
		for i, p := range parts {
			out[i] = Text{Body: p}
		}
		return out
	}
	out := []Text{{Photo: photo}}
	if len(parts) > 0 {
		out[0].Body = parts[0]
		for _, p := range parts[1:] {
			out = append(out, Text{Body: p})
		}
	}
	return out
}

// options is what flows.Numbered puts after the text: the numbered options,
// or the words of a typed prompt's buttons, starting with a blank line; ""
// when there are none.
func options(r flows.Reply) string {
	r.Text = ""
	return flows.Numbered(r)
}

// body cuts head followed by opts into messages of at most PartLimit UTF-16
// units, the options together in the last one when they fit in one.
func body(head, opts string) []string {
	if blank(head) {
		return split(strings.TrimLeft(opts, "\n"), PartLimit)
	}
	full := head + opts
	alone := strings.TrimLeft(opts, "\n")
	if flows.Units(full) <= PartLimit || opts == "" || flows.Units(alone) > PartLimit {
		return split(full, PartLimit)
	}
	parts := split(head, PartLimit)
	if last := len(parts) - 1; flows.Units(parts[last]+opts) <= PartLimit {
		parts[last] += opts
		return parts
	}
	return append(parts, alone)
}

// split cuts s into parts of at most limit UTF-16 units, none of them blank:
// at the last blank line within the limit, else the last line break, else
// the last space, and inside a word only when one word is longer than
// limit. The whitespace at a cut is dropped: the separator, what ends the
// part before it and the line breaks that start the next. A blank s gives
// none.
func split(s string, limit int) []string {
	var parts []string
	for !blank(s) {
		if flows.Units(s) <= limit {
			return append(parts, s)
		}
		end := offset(s, limit)
		if end == 0 {
			// A limit smaller than the first code point (an emoji, two
			// units, against a limit of one): it goes alone.
			_, end = utf8.DecodeRuneInString(s)
		}
		cut, next := cutAt(s, end)
		if cut < 0 {
			cut = hardCut(s, end)
			next = cut
			if blank(s[:cut]) {
				// A run of whitespace longer than a message before a
				// word: it is all separator.
				s = strings.TrimLeftFunc(s, unicode.IsSpace)
				continue
			}
		}
		parts = append(parts, strings.TrimRightFunc(s[:cut], unicode.IsSpace))
		s = strings.TrimLeft(s[next:], "\r\n")
	}
	return parts
}

// cutAt finds where to end a part that may not go past byte end of s (the
// first code point over the limit): the separator's start and the byte after
// it, or -1, -1 when there is no separator after some text. A separator
// starting at end itself is fine: the part before it is full.
func cutAt(s string, end int) (cut, next int) {
	for _, sep := range []string{"\n\n", "\n"} {
		w := s[:min(len(s), end+len(sep))]
		if i := strings.LastIndex(w, sep); i >= 0 && !blank(s[:i]) {
			return i, i + len(sep)
		}
	}
	i := end
	if i < len(s) {
		// The code point just over the limit may be the space itself.
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
		if unicode.IsSpace(r) && !blank(s[:i]) {
			return i, i + size
		}
	}
	return -1, -1
}

// hardCut cuts a word longer than a message at byte end, or before the
// combining marks that belong to the letter there.
func hardCut(s string, end int) int {
	i := end
	for i > 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		if !unicode.Is(unicode.Mn, r) {
			break
		}
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	if i == 0 {
		return end
	}
	return i
}

// offset is the byte offset of the code point holding UTF-16 unit n of s,
// or of the one after it when n falls inside a surrogate pair (len(s) when
// s is shorter): the first n units of s are s[:offset(s, n)], never half a
// code point.
func offset(s string, n int) int {
	for i, r := range s {
		w := flows.RuneUnits(r)
		if n < w {
			return i
		}
		n -= w
	}
	return len(s)
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// paragraphs puts note after text as a paragraph of its own.
func paragraphs(text, note string) string {
	if blank(text) {
		return note
	}
	return text + "\n\n" + note
}

func pick(l flows.Lang, vi, en string) string {
	if l == flows.English {
		return en
	}
	return vi
}

// fileName is a file's name fit to quote: on one line, not too long.
func fileName(name string) string {
	name = strings.Join(strings.Fields(name), " ")
	if flows.Units(name) > maxFileName {
		name = name[:offset(name, maxFileName-1)] + "…"
	}
	return name
}

// isHTTPURL tells a photo Zalo can fetch from a channel's own reference,
// such as a Telegram file_id.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
