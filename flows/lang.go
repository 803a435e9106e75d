package flows

import (
	"fmt"
	"strings"
)

// Lang is a language of the user-facing texts.
type Lang string

// The languages hailong speaks. Vietnamese is the default: a parent switches
// to English and back from the menu or with /english and /tiengviet.
const (
	Vietnamese Lang = "vi"
	English    Lang = "en"
)

// Langs lists the languages in the order they are offered.
var Langs = []Lang{Vietnamese, English}

// QuestionText is a question in another language than the questionnaire's
// own (Vietnamese): its text, its short name and its options' labels by
// value. Whatever is empty falls back to the Vietnamese.
type QuestionText struct {
	Text   string
	Short  string
	Labels map[string]string
}

// catalogs are the text catalogs by language; vi is complete by
// definition and a test holds en to the same keys and verbs.
var catalogs = map[Lang]map[msg]string{Vietnamese: vi, English: en}

// ParseLang reads a configured or typed language code.
func ParseLang(s string) (Lang, bool) {
	switch Lang(s) {
	case Vietnamese, English:
		return Lang(s), true
	}
	return "", false
}

// PreConsent is what a user who has not consented yet chose on a channel
// whose consent prompt cannot carry it in buttons (Zalo, the terminal): the
// school of "TRUONG <code>" and the language. Only these, under the
// pseudonym, until they answer the consent prompt.
type PreConsent struct {
	Lang   Lang
	School string
}

// or returns l, or Vietnamese when l is empty or unknown.
func (l Lang) or() Lang {
	if _, ok := catalogs[l]; ok {
		return l
	}
	return Vietnamese
}

// tr formats a catalog text in language l, falling back to Vietnamese.
func tr(l Lang, key msg, args ...any) string { return format(template(l, key), args) }

// template is a catalog text in language l, falling back to Vietnamese.
func template(l Lang, key msg) string {
	s, ok := catalogs[l.or()][key]
	if !ok {
		s, ok = vi[key]
	}
	if !ok {
		// A missing key is a bug; show the key rather than nothing.
		return string(key)
	}
	return s
}

func format(s string, args []any) string {
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// lang is the language the sender of this input reads.
func (t *turn) lang() Lang {
	if t.s != nil && t.s.Lang != "" {
		return t.s.Lang.or()
	}
	return t.pre.or()
}

// T formats a catalog text in the sender's language. Texts to others
// (principals, the office) use T, the Vietnamese; texts to the parent of a
// complaint use the complaint's language.
//
// On a channel without buttons (Input.Numbered) a text with a ".n" variant
// in the catalog takes it: the variant says "gõ" (type the number or the
// words) where the text says "bấm" (tap the button).
func (t *turn) T(key msg, args ...any) string {
	var school string
	if t.s != nil {
		school = t.s.School
	}
	return t.about(school, key, args...)
}

// about is T for a text about a school other than the sender's own (a
// complaint's): the bodies it names are those that run that school.
func (t *turn) about(school string, key msg, args ...any) string {
	return format(t.e.named(t.lang(), school, template(t.lang(), t.channelKey(key))), args)
}

// named fills in a text's template the bodies that run a school, as the
// configuration names them (no level is named in code): {unit} is the
// unit that runs the school, {units} that unit and every unit above it
// ("A or B"), {owner} who runs the survey. Without a school, or with one
// the directory does not know, each is the owner.
func (e *Engine) named(l Lang, school, s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	owner := e.ownerIn(l)
	unit, units := owner, owner
	if sc, ok := e.dir.School(school); ok {
		var names []string
		for _, o := range e.dir.Chain(sc.Office) {
			names = append(names, o.NameIn(l))
		}
		if len(names) > 0 {
			unit, units = names[0], strings.Join(names, tr(l, "or"))
		}
	}
	// Names hold no % (Directory.Validate), so a template stays one.
	return strings.NewReplacer("{unit}", unit, "{units}", units, "{owner}", owner).Replace(s)
}

// ownerIn names who runs the survey in language l: the configured owner,
// or the unit at the top of the tree.
func (e *Engine) ownerIn(l Lang) string {
	if e.owner != "" || e.dir.Top() == nil {
		return e.owner
	}
	return e.dir.Top().NameIn(l)
}

// numberedSuffix marks a catalog text's variant for channels without buttons.
const numberedSuffix = ".numbered"

// channelKey is key, or its variant for a channel without buttons.
func (t *turn) channelKey(key msg) msg {
	if t.in.Numbered {
		if _, ok := vi[key+numberedSuffix]; ok {
			return key + numberedSuffix
		}
	}
	return key
}

// TextAt is the question's text at a school of level lv in language l:
// its wording for that level if it has one, else TextIn.
func (q *Question) TextAt(lv Level, l Lang) string {
	if x := q.AtLevel[lv][l.or()]; x != "" {
		return x
	}
	return q.TextIn(l)
}

// TextIn is the question's text in language l.
func (q *Question) TextIn(l Lang) string {
	if x := q.Tr[l].Text; x != "" {
		return x
	}
	return q.Text
}

// ShortIn is the question's short name in language l, or its id.
func (q *Question) ShortIn(l Lang) string {
	if x := q.Tr[l].Short; x != "" {
		return x
	}
	if q.Short != "" {
		return q.Short
	}
	return q.ID
}

// ChoicesIn are the question's options labelled in language l.
func (q *Question) ChoicesIn(l Lang) []Option {
	opts := q.Choices()
	if l.or() == Vietnamese {
		return opts
	}
	out := make([]Option, len(opts))
	for i, o := range opts {
		out[i] = o
		if x := q.Tr[l].Labels[o.Value]; x != "" {
			out[i].Label = x
		} else if q.Kind == Scale {
			out[i].Label = tr(l, msg("scale."+o.Value))
		}
	}
	return out
}

// NameIn is the level's name in language l.
func (lv Level) NameIn(l Lang) string {
	if !lv.Valid() {
		return string(lv)
	}
	return tr(l, msg("level."+string(lv)))
}

// NameIn is the status as read in language l.
func (s Status) NameIn(l Lang) string {
	if _, ok := vi[msg("status."+string(s))]; !ok {
		return string(s)
	}
	return tr(l, msg("status."+string(s)))
}

// NameIn is the category's name in language l.
func (c *Category) NameIn(l Lang) string {
	if x := c.Tr[l]; x != "" {
		return x
	}
	return c.Name
}
