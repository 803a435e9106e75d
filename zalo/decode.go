package zalo

import (
	"strings"
	"time"
	"unicode"

	"hailong/flows"
)

// Channel is the Zalo channel's name in envelopes, outbox rows and
// respondent keys.
const Channel = "zalo"

// forStaff reports whether a group text is a complaint's code or an
// option's number (one or two digits).
func forStaff(in flows.Input) bool {
	if in.Kind != flows.KindText {
		return false
	}
	t := strings.TrimSpace(in.Text)
	if _, ok := flows.ParseComplaintCode(t); ok {
		return true
	}
	if len(t) < 1 || len(t) > 2 {
		return false
	}
	for _, r := range t {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Decode turns an update into the engine's input; false for an update that
// needs no answer: one from a bot, one without a sender or chat id, and, as
// on Telegram, group chatter that is not a command. The caller records those
// (the update is gone from Zalo once handed out).
//
// Zalo has no buttons: options are numbered, so Input.Numbered is always
// set. A text "TRƯỜNG <code>" (any case, diacritics optional, with an
// optional ':' or '-') is Zalo's form of Telegram's QR deep link and becomes
// the command start with the code as its argument. Input.Now is now, the
// local clock, not the message's date.
func Decode(u *Update, now time.Time) (flows.Envelope, bool) {
	if u == nil || u.Message == nil {
		return flows.Envelope{}, false
	}
	m := u.Message
	if m.From.IsBot || m.From.ID == "" || m.Chat.ID == "" {
		return flows.Envelope{}, false
	}
	var in flows.Input
	switch u.EventName {
	case EventText:
		switch {
		case strings.TrimSpace(m.Text) == "":
			in = flows.Input{Kind: flows.KindOther, What: "other"}
		default:
			if code, ok := schoolStart(m.Text); ok {
				in = flows.Input{Kind: flows.KindCommand, Command: "start", Arg: code, Text: m.Text}
			} else {
				in = flows.ParseText(m.Text, now)
			}
		}
	case EventImage:
		if m.PhotoURL == "" {
			in = flows.Input{Kind: flows.KindOther, What: "photo"}
		} else {
			in = flows.Input{Kind: flows.KindPhoto, Photo: m.PhotoURL, Text: m.Caption}
		}
	case EventSticker:
		in = flows.Input{Kind: flows.KindOther, What: "sticker"}
	case EventVoice:
		in = flows.Input{Kind: flows.KindOther, What: "voice"}
	default:
		// Unsupported and unknown events still get an answer.
		in = flows.Input{Kind: flows.KindOther, What: "other"}
	}
	in.Now = now
	in.Numbered = true
	in.Group = m.Chat.ChatType == "GROUP"
	if in.Group && in.Kind != flows.KindCommand && !forStaff(in) {
		// Group chatter is not for the bot; only commands get an answer,
		// and what office staff type to act on a complaint (its code, then
		// the number of an option), since a group has no buttons either.
		return flows.Envelope{}, false
	}
	return flows.Envelope{
		Channel:    Channel,
		User:       m.From.ID,
		Chat:       m.Chat.ID,
		MessageRef: m.MessageID,
		Name:       strings.TrimSpace(m.From.DisplayName),
		Input:      in,
		Raw:        string(u.Raw),
	}, true
}

// schoolStart recognises "TRƯỜNG <code>", "truong: code", "Truong - code"
// and the like: the word "trường" in any case, with or without its
// diacritics (precomposed or combining), then a space, ':' or '-', then one
// school code and nothing else. Anything longer is an ordinary text, so that
// a comment starting with "Trường …" stays a comment.
func schoolStart(text string) (string, bool) {
	t := strings.TrimSpace(text)
	end := strings.IndexFunc(t, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) })
	if end <= 0 {
		return "", false
	}
	if flows.Fold(stripMarks(t[:end])) != "truong" {
		return "", false
	}
	rest := t[end:]
	trimmed := strings.TrimLeftFunc(rest, unicode.IsSpace)
	sep := len(trimmed) < len(rest)
	if trimmed != "" && (trimmed[0] == ':' || trimmed[0] == '-') {
		trimmed, sep = strings.TrimLeftFunc(trimmed[1:], unicode.IsSpace), true
	}
	if !sep || !flows.ValidCode(trimmed) {
		return "", false
	}
	return trimmed, true
}

// stripMarks drops combining marks, so that a word typed with decomposed
// diacritics folds like its precomposed form.
func stripMarks(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
