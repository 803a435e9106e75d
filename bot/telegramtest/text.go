package telegramtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// markup is a message's reply_markup as the fake keeps it.
type markup struct {
	inline   any    // {"inline_keyboard": ...} as echoed back to the bot; nil when none
	key      string // canonical JSON of inline, for the "not modified" check
	keyboard [][]Button
	reply    [][]Button
}

func badMarkup(desc string) (markup, *reply) {
	r := badRequest(desc)
	return markup{}, &r
}

// parseMarkup validates reply_markup the way Telegram does for the parts the
// bot uses. inlineOnly is set for edits, which only accept inline keyboards.
func parseMarkup(raw string, inlineOnly bool) (markup, *reply) {
	if raw == "" {
		return markup{}, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return badMarkup("can't parse reply keyboard markup JSON object")
	}
	if ik, has := obj["inline_keyboard"]; has {
		rows, valid := ik.([]any)
		if !valid {
			return badMarkup("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array")
		}
		var mk markup
		var clean []any
		for _, row := range rows {
			buttons, valid := row.([]any)
			if !valid {
				return badMarkup("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays")
			}
			var brow []Button
			for _, b := range buttons {
				obj, valid := b.(map[string]any)
				if !valid {
					return badMarkup("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
				}
				text, _ := obj["text"].(string)
				btn := Button{Text: text}
				if cd, has := obj["callback_data"]; has {
					data, _ := cd.(string)
					if data == "" || len(data) > 64 {
						return badMarkup("BUTTON_DATA_INVALID")
					}
					btn.Data = data
				} else if !hasAny(obj, "url", "login_url", "switch_inline_query", "switch_inline_query_current_chat", "callback_game", "pay", "web_app") {
					return badMarkup("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
				}
				brow = append(brow, btn)
			}
			if len(brow) > 0 {
				mk.keyboard = append(mk.keyboard, brow)
				clean = append(clean, buttons)
			}
		}
		// An empty inline keyboard is how Telegram spells "no keyboard".
		if len(mk.keyboard) > 0 {
			mk.inline = map[string]any{"inline_keyboard": clean}
			mk.key = string(marshal(mk.inline))
		}
		return mk, nil
	}
	if inlineOnly {
		return badMarkup("inline keyboard expected")
	}
	if kb, has := obj["keyboard"]; has {
		rows, valid := kb.([]any)
		if !valid {
			return badMarkup("field \"keyboard\" of the ReplyKeyboardMarkup must be an Array")
		}
		var mk markup
		for _, row := range rows {
			buttons, valid := row.([]any)
			if !valid {
				return badMarkup("field \"keyboard\" of the ReplyKeyboardMarkup must be an Array of Arrays")
			}
			var brow []Button
			for _, b := range buttons {
				switch b := b.(type) {
				case string:
					brow = append(brow, Button{Text: b})
				case map[string]any:
					text, _ := b["text"].(string)
					rc, _ := b["request_contact"].(bool)
					brow = append(brow, Button{Text: text, RequestContact: rc})
				default:
					return badMarkup("can't parse keyboard button: KeyboardButton must be a String or an Object")
				}
			}
			mk.reply = append(mk.reply, brow)
		}
		return mk, nil
	}
	// remove_keyboard and force_reply leave nothing to show on the message.
	return markup{}, nil
}

func hasAny(obj map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, has := obj[k]; has {
			return true
		}
	}
	return false
}

// checkText applies Telegram's emptiness, length and entity-parsing rules to
// a message text (required) or caption (optional), and returns the text as
// Telegram would hand it back.
func checkText(text, parseMode string, limit int, required bool) (string, *reply) {
	visible, perr := visibleText(text, parseMode)
	if perr != "" {
		r := badRequest("can't parse entities: " + perr)
		return "", &r
	}
	if required && strings.TrimSpace(visible) == "" {
		r := badRequest("message text is empty")
		return "", &r
	}
	if utf16Len(visible) > limit {
		desc := "message is too long"
		if !required {
			desc = "message caption is too long"
		}
		r := badRequest(desc)
		return "", &r
	}
	return visible, nil
}

// utf16Len counts like Telegram, so an emoji takes two of the 4096.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// visibleText returns what the user sees after entity parsing, or the parse
// error Telegram would report. Only HTML is checked: it is the mode where an
// unescaped "<" from user input breaks a send, and its grammar is small.
// Markdown texts are taken verbatim.
func visibleText(text, parseMode string) (string, string) {
	if !strings.EqualFold(parseMode, "HTML") {
		return text, ""
	}
	return parseHTML(text)
}

var htmlTags = map[string]bool{
	"a": true, "b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true, "tg-emoji": true,
	"code": true, "pre": true, "blockquote": true,
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// parseHTML mirrors the structure and messages of tdlib's parse_html.
func parseHTML(s string) (string, string) {
	var out strings.Builder
	var stack []string
	for i := 0; i < len(s); {
		switch s[i] {
		case '&':
			if r, n := htmlEntity(s[i:]); n > 0 {
				out.WriteString(r)
				i += n
			} else {
				out.WriteByte('&')
				i++
			}
		case '<':
			begin := i
			i++
			if i < len(s) && s[i] == '/' {
				if len(stack) == 0 {
					return "", fmt.Sprintf("Unexpected end tag at byte offset %d", begin)
				}
				i++
				j := i
				for j < len(s) && !isHTMLSpace(s[j]) && s[j] != '>' {
					j++
				}
				name := strings.ToLower(s[i:j])
				for j < len(s) && isHTMLSpace(s[j]) {
					j++
				}
				if j >= len(s) || s[j] != '>' {
					return "", fmt.Sprintf("Unclosed end tag at byte offset %d", begin)
				}
				want := stack[len(stack)-1]
				if name != "" && name != want {
					return "", fmt.Sprintf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", begin, want, name)
				}
				stack = stack[:len(stack)-1]
				i = j + 1
				continue
			}
			j := i
			for j < len(s) && !isHTMLSpace(s[j]) && s[j] != '>' {
				j++
			}
			if j >= len(s) {
				return "", fmt.Sprintf("Unclosed start tag at byte offset %d", begin)
			}
			name := strings.ToLower(s[i:j])
			if !htmlTags[name] {
				return "", fmt.Sprintf("Unsupported start tag \"%s\" at byte offset %d", name, begin)
			}
			var quote byte
			for ; j < len(s); j++ {
				c := s[j]
				if quote != 0 {
					if c == quote {
						quote = 0
					}
				} else if c == '"' || c == '\'' {
					quote = c
				} else if c == '>' {
					break
				}
			}
			if j >= len(s) {
				return "", fmt.Sprintf("Unclosed start tag at byte offset %d", begin)
			}
			stack = append(stack, name)
			i = j + 1
		default:
			out.WriteByte(s[i])
			i++
		}
	}
	if len(stack) > 0 {
		return "", fmt.Sprintf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1])
	}
	return out.String(), ""
}

// htmlEntity decodes the entities Telegram supports at the start of s and
// returns the replacement and its source length, or n == 0 when s does not
// start with one (the "&" is then literal).
func htmlEntity(s string) (string, int) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 12 {
		return "", 0
	}
	body := s[1:end]
	switch body {
	case "lt":
		return "<", end + 1
	case "gt":
		return ">", end + 1
	case "amp":
		return "&", end + 1
	case "quot":
		return "\"", end + 1
	}
	if body[0] != '#' || len(body) < 2 {
		return "", 0
	}
	var code uint64
	var err error
	if body[1] == 'x' || body[1] == 'X' {
		code, err = strconv.ParseUint(body[2:], 16, 32)
	} else {
		code, err = strconv.ParseUint(body[1:], 10, 32)
	}
	if err != nil || code == 0 || code > 0x10ffff {
		return "", 0
	}
	return string(rune(code)), end + 1
}

// commandEntities gives a leading command its bot_command entity so the bot
// sees commands exactly as Telegram marks them (tgbotapi's IsCommand relies on
// it). Telegram ends the command at the first character outside
// [A-Za-z0-9_], keeping an "@botname" suffix.
func commandEntities(text string) []map[string]any {
	if !strings.HasPrefix(text, "/") {
		return nil
	}
	n := 1 + wordLen(text[1:])
	if n == 1 {
		return nil
	}
	if n < len(text) && text[n] == '@' {
		if k := wordLen(text[n+1:]); k > 0 {
			n += 1 + k
		}
	}
	// The command is ASCII, so bytes equal UTF-16 units.
	return []map[string]any{{"type": "bot_command", "offset": 0, "length": n}}
}

func wordLen(s string) int {
	n := 0
	for n < len(s) {
		c := s[n]
		if c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			n++
			continue
		}
		break
	}
	return n
}
