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
	text := m.Text
	group := m.Chat.ChatType == "GROUP"
	if group {
		text = unmention(text)
	}
	var in flows.Input
	switch u.EventName {
	case EventText, EventLink:
		// A link a parent sends is text to them (public clients treat
		// message.link.received as text); its text, else its url.
		if u.EventName == EventLink && strings.TrimSpace(text) == "" {
			text = m.URL
		}
		switch {
		case strings.TrimSpace(text) == "":
			in = flows.Input{Kind: flows.KindOther, What: "other"}
		default:
			if code, ok := schoolStart(text); ok {
				in = flows.Input{Kind: flows.KindCommand, Command: "start", Arg: code, Text: text}
			} else {
				in = flows.ParseText(text, now)
			}
		}
	case EventReaction:
		// A reaction to one of the bot's messages is not an input: no
		// answer, and certainly no "I did not understand".
		return flows.Envelope{}, false
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
	in.Group = group
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

// unmention takes a leading mention off a group text: "@Bot Hailong
// PA-000123" is "PA-000123". GUESS: the docs mark groups "coming soon" and
// say nothing of mentions; public clients report that a bot in a group sees
// only the messages that mention it, with the mention in the text. A
// mention is "@" and a name that may hold spaces, so the text is cut at the
// first space after which what is left is a command, a complaint's code or
// an option's number: what staff type in a group. The name is at most
// mentionWords words, so that "@Bot Hải Long mai họp lúc 9" stays chatter
// rather than becoming option 9. Anything else is left as it is (and,
// being group chatter, not answered).
func unmention(text string) string {
	t := strings.TrimSpace(text)
	if !strings.HasPrefix(t, "@") {
		return text
	}
	words := 0
	for i, r := range t {
		if !unicode.IsSpace(r) {
			continue
		}
		if words++; words > mentionWords {
			break
		}
		rest := strings.TrimSpace(t[i:])
		if strings.HasPrefix(rest, "/") || forStaff(flows.Input{Kind: flows.KindText, Text: rest}) {
			return rest
		}
	}
	return text
}

// mentionWords bounds the words of a bot's name in a mention (GUESS: a
// bot's display name is a few words, "Bot Hải Long").
const mentionWords = 4

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
