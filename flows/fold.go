package flows

import (
	"strconv"
	"strings"
	"unicode"
)

// vnBase maps each Vietnamese letter with diacritics to its base letter, so
// that "co", "có" and "Có" all match.
var vnBase = func() map[rune]rune {
	groups := map[rune]string{
		'a': "àáảãạăằắẳẵặâầấẩẫậ",
		'e': "èéẻẽẹêềếểễệ",
		'i': "ìíỉĩị",
		'o': "òóỏõọôồốổỗộơờớởỡợ",
		'u': "ùúủũụưừứửữự",
		'y': "ỳýỷỹỵ",
		'd': "đ",
	}
	m := map[rune]rune{}
	for base, letters := range groups {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()

// Fold lower-cases s, strips Vietnamese diacritics and keeps letters and
// digits separated by single spaces: the form typed answers are compared in.
func Fold(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if base, ok := vnBase[r]; ok {
			r = base
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		} else {
			space = true
		}
	}
	return b.String()
}

// match finds the button a typed text means: by its number when the channel
// numbers options, else by its label (with or without a leading number or
// emoji) or its value.
func match(text string, buttons []Button, numbered bool) (Button, bool) {
	f := trimParticles(Fold(text))
	if f == "" {
		return Button{}, false
	}
	if numbered {
		if n, err := strconv.Atoi(f); err == nil {
			// Numbers count the options shown numbered, not the words.
			options, _ := numberedParts(Reply{Buttons: [][]Button{buttons}})
			if n >= 1 && n <= len(options) {
				return options[n-1], true
			}
			return Button{}, false
		}
	}
	for _, b := range buttons {
		label := Fold(b.Label)
		if f == label {
			return b, true
		}
		// "1 · Rất không hài lòng": the words alone, or the leading number.
		if head, rest, ok := strings.Cut(label, " "); ok {
			if _, err := strconv.Atoi(head); err == nil && (f == rest || f == head) {
				return b, true
			}
		}
	}
	return Button{}, false
}

// flat lists a keyboard's buttons row by row.
func flat(rows [][]Button) []Button {
	var out []Button
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// politeness words around an answer: "dạ có", "không ạ", "có nhé".
var (
	leadParticles  = map[string]bool{"da": true}
	trailParticles = map[string]bool{"a": true, "nhe": true, "nha": true, "ah": true, "ak": true, "oi": true, "em": true}
)

// trimParticles drops politeness words before and after a folded answer.
func trimParticles(f string) string {
	words := strings.Fields(f)
	for len(words) > 1 && leadParticles[words[0]] {
		words = words[1:]
	}
	for len(words) > 1 && trailParticles[words[len(words)-1]] {
		words = words[:len(words)-1]
	}
	if len(words) == 1 && shorthand[words[0]] != "" {
		return shorthand[words[0]]
	}
	return strings.Join(words, " ")
}

// shorthand is how parents abbreviate answers in chat.
var shorthand = map[string]string{"kb": "khong biet", "k": "khong", "ko": "khong", "hok": "khong", "hong": "khong", "dc": "duoc"}
