// Package terms finds what parents talk about in their comments: the most
// frequent meaningful words and phrases of one, two and three syllables.
//
// Vietnamese is written in syllables separated by spaces, and its words are
// one to four of them ("nhà vệ sinh", "học thêm", "thu chi"). Rather than a
// word segmenter (no maintained one exists for Go; those that exist are
// Python, Java or C++ with trained models), the counter takes every run of
// one to three syllables within a clause that holds no stop word. A phrase
// seen inside a longer one at least four times in five ("nhà" and "vệ sinh",
// mostly in "nhà vệ sinh") is left out for the longer one, so the compound
// words come out whole.
//
// Counting is by comment, not by occurrence: a parent who writes "bẩn" five
// times counts once. A phrase must account for more than half the uses of
// the shorter phrases it is made of, or it is a chance meeting of them.
// Syllables are compared with diacritics folded ("nha ve
// sinh" typed without them is "nhà vệ sinh") and each term is shown in the
// spelling the comments use most, one with diacritics before one without.
package terms

import (
	"cmp"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"hailong/flows"
)

// MaxN is the longest phrase counted, in syllables.
const MaxN = 3

// MinCount is how many comments a term must appear in to be listed: one
// parent's word is not yet what parents talk about.
const MinCount = 2

// Term is a word or phrase and how many comments use it.
type Term struct {
	Text  string `json:"text"`  // as most comments spell it, lower case
	Count int    `json:"count"` // comments that use it
	N     int    `json:"n"`     // syllables
}

// Counter counts the terms of comments added one by one.
type Counter struct {
	grams map[string]*gram
}

type gram struct {
	count int
	n     int
	forms map[string]int // spellings seen, by how many comments
}

// Add counts the terms of one comment.
func (c *Counter) Add(comment string) {
	if c.grams == nil {
		c.grams = map[string]*gram{}
	}
	seen := map[string]string{} // folded → spelling in this comment
	for _, clause := range clauses(comment) {
		for i := range clause {
			for n := 1; n <= MaxN && i+n <= len(clause); n++ {
				if clause[i+n-1].stop {
					break // no phrase holds a stop word
				}
				words := clause[i : i+n]
				if n == 1 && (len([]rune(words[0].text)) < 2 || isNumber(words[0].text)) {
					continue
				}
				key, text := join(words)
				if _, ok := seen[key]; !ok {
					seen[key] = text
				}
			}
		}
	}
	for key, text := range seen {
		g := c.grams[key]
		if g == nil {
			g = &gram{n: strings.Count(key, " ") + 1, forms: map[string]int{}}
			c.grams[key] = g
		}
		g.count++
		g.forms[text]++
	}
}

// Top returns at most n terms, most used first: those used in at least
// MinCount comments, without the ones seen inside a longer one at least
// four times in five ("vệ sinh" when it mostly comes as "nhà vệ sinh").
func (c *Counter) Top(n int) []Term {
	// The most comments any longer phrase holding each phrase is used in:
	// a phrase used in hardly more comments than one holding it is (nearly)
	// always inside it.
	within := map[string]int{}
	for k, g := range c.grams {
		if g.n < 2 || g.count < MinCount || !c.phrase(k, g) {
			continue
		}
		sub := strings.Fields(k)
		for _, part := range []string{strings.Join(sub[1:], " "), strings.Join(sub[:len(sub)-1], " ")} {
			within[part] = max(within[part], g.count)
		}
	}
	var keys []string
	for k, g := range c.grams {
		if g.count >= MinCount && 5*within[k] < 4*g.count && c.phrase(k, g) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		ga, gb := c.grams[a], c.grams[b]
		return cmp.Or(cmp.Compare(gb.count, ga.count), cmp.Compare(gb.n, ga.n), cmp.Compare(a, b))
	})
	out := make([]Term, 0, min(n, len(keys)))
	for _, k := range keys[:min(n, len(keys))] {
		g := c.grams[k]
		out = append(out, Term{Text: spelling(k, g.forms), Count: g.count, N: g.n})
	}
	return out
}

// phrase reports whether a gram of two or three syllables is a phrase
// rather than a chance meeting of others: it accounts for more than half
// the uses of each shorter phrase it is made of. "học thêm buổi" (2), cut
// from "học thêm buổi tối" where "học thêm" is used 4 times, is not.
func (c *Counter) phrase(k string, g *gram) bool {
	if g.n < 2 {
		return true
	}
	sub := strings.Fields(k)
	for _, part := range []string{strings.Join(sub[1:], " "), strings.Join(sub[:len(sub)-1], " ")} {
		if p := c.grams[part]; p != nil && 2*g.count <= p.count {
			return false
		}
	}
	return true
}

// spelling picks the form most comments use, one with diacritics before
// one without (typed on a phone without a Vietnamese keyboard).
func spelling(folded string, forms map[string]int) string {
	best, bestN, bestMarked := "", -1, false
	for f, n := range forms {
		marked := f != folded
		switch {
		case marked && !bestMarked, marked == bestMarked && (n > bestN || n == bestN && f < best):
			best, bestN, bestMarked = f, n, marked
		}
	}
	return best
}

type word struct {
	text   string // lower case, as written
	folded string
	stop   bool
}

// clauses splits a comment into runs of words between punctuation: a
// phrase does not run across a comma or a full stop.
func clauses(s string) [][]word {
	s = strings.ToLower(norm.NFC.String(s))
	var out [][]word
	var cur []word
	var b strings.Builder
	end := func() {
		if len(cur) > 0 {
			markStopPhrases(cur)
			out = append(out, cur)
			cur = nil
		}
	}
	flush := func() {
		if b.Len() > 0 {
			t := b.String()
			f := flows.Fold(t)
			// Typed without diacritics, a word is a stop word only if
			// nothing meaningful is written so ("chi" may be chị or chi).
			stop := stopWords[t]
			if t == f {
				stop = stopFolded[f]
			}
			cur = append(cur, word{text: t, folded: f, stop: stop})
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		case unicode.IsSpace(r):
			flush()
		default: // punctuation, symbols, emoji: the clause ends
			flush()
			end()
		}
	}
	flush()
	end()
	return out
}

// markStopPhrases makes the words of a stop phrase stop words where they
// come together ("cảm ơn nhà trường"), and only there ("sân trường").
func markStopPhrases(ws []word) {
	for i := 0; i+1 < len(ws); i++ {
		if stopPhrases[ws[i].folded+" "+ws[i+1].folded] {
			ws[i].stop, ws[i+1].stop = true, true
		}
	}
}

func join(ws []word) (key, text string) {
	keys, texts := make([]string, len(ws)), make([]string, len(ws))
	for i, w := range ws {
		keys[i], texts[i] = w.folded, w.text
	}
	return strings.Join(keys, " "), strings.Join(texts, " ")
}

func isNumber(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// stopWordList are the function words, pronouns and particles of parents'
// comments, which say nothing of what a comment is about. Written with
// their diacritics: folded, "dơ" (dirty) would be "do" (because).
const stopWordList = `à ạ ai anh ấy bao bây bị bởi cả các cái cần cháu chỉ chị chiếc cho chứ chưa chúng có con còn cũng
dạ đã đang đâu để đến đều đi điều do đó được em gì giờ hay hãy hết hơn họ hoặc khi không kia là lại lắm làm lên lúc
luôn mà mấy mỗi mọi mới mình một muốn nào này nên nếu nha nhé nhỉ những nhưng nó nữa ơi ở phải qua quá rằng rất
rồi sao sẽ sự tại thế thì thôi theo thấy tôi trên trong từ tuy và vào vẫn vậy về vì với vừa xin`

// foldedOnly are stop words also taken out when typed without diacritics,
// where nothing meaningful folds to them.
const foldedOnly = `anh cac cho chung con cung dang den deu do duoc em hay het hon khi khong la len luc luon ma mot nay nen
neu nhung nua phai qua rat roi se the theo trong va vao van vay vi voi`

// stopPhraseList are two-syllable phrases in nearly every comment, which
// tell nothing of its subject: whom it addresses, who writes, thanks.
var stopPhraseList = []string{"nhà trường", "phụ huynh", "học sinh", "con em", "góp ý", "ý kiến", "cảm ơn"}

var stopWords, stopFolded, stopPhrases = func() (map[string]bool, map[string]bool, map[string]bool) {
	sw, sf, sp := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, w := range strings.Fields(stopWordList) {
		sw[norm.NFC.String(w)] = true
	}
	for _, w := range strings.Fields(foldedOnly) {
		sf[w] = true
	}
	for _, p := range stopPhraseList {
		sp[flows.Fold(p)] = true
	}
	return sw, sf, sp
}()
