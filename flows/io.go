package flows

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// InputKind says what a parent sent.
type InputKind int

// Input kinds.
const (
	KindText    InputKind = iota // a text message that is not a command
	KindCommand                  // "/start abc": Command "start", Arg "abc"
	KindButton                   // a button press; Data holds the button's data
	KindOther                    // a sticker, photo, voice note, file…: What says which
	KindEdited                   // an edited earlier message
	KindPhoto                    // a photo: Photo holds its reference, Text its caption
	KindContact                  // a shared contact: Phone, and ContactUser when it is a user's own
	KindFlood                    // the sender sent too much too fast; later inputs are dropped a while
	KindIgnored                  // a press of a sender being ignored for flooding: only acknowledged
	// KindInline is a press on a button of a message sent inline (through
	// another chat): there is no chat of the bot's to answer in, and its
	// sender may never have written to the bot. Only acknowledged, with a
	// notice.
	KindInline
)

// Input is one thing a user sent, in channel-neutral form.
type Input struct {
	Kind    InputKind
	Text    string
	Command string // lower case, without "/" or "@botname"
	Arg     string
	Data    string // KindButton
	What    string // KindOther: "sticker", "photo", "voice", …
	Now     time.Time

	Photo       string // KindPhoto: the channel's reference to the photo
	Phone       string // KindContact
	ContactUser string // KindContact: the user the contact belongs to, if known

	// Numbered is set by channels that show options as a numbered list
	// (the terminal, Zalo): a typed number then picks an option.
	Numbered bool
	// Group is set when the message came from a group chat.
	Group bool
}

// MaxInputRunes bounds the text the engine looks at; longer texts are
// answered as too long without further parsing.
const MaxInputRunes = 4096

// ParseText turns a typed text into a command or text input.
func ParseText(text string, now time.Time) Input {
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "/") && len(t) > 1 {
		word, arg, _ := strings.Cut(t[1:], " ")
		word, _, _ = strings.Cut(word, "@")
		if word != "" && utf8.ValidString(word) {
			return Input{Kind: KindCommand, Command: strings.ToLower(word), Arg: strings.TrimSpace(arg), Text: text, Now: now}
		}
	}
	return Input{Kind: KindText, Text: text, Now: now}
}

// Envelope is an input with where it came from.
type Envelope struct {
	Channel    string // "telegram", "chat", …
	User       string // the sender's id on the channel
	Chat       string // where replies go
	MessageRef string // for a button: the message it sits on, to edit in place
	CallbackID string // for a button: the press, to acknowledge
	Input      Input
	// Key is the sender's respondent key, and Random fresh random bytes
	// (for invite codes), set by whoever applies the envelope: it holds
	// the secret and the source of randomness, which flows may not.
	Key    Key
	Random []byte
	// Name is the sender's display name, kept only for principals who
	// redeem an invite, so that staff know whom they revoke.
	Name string
	// Raw is the update as the channel sent it, kept only if handling it
	// fails.
	Raw string
	// Web marks a staff action taken on the dashboard as the staff member
	// (Channel and User are theirs): it runs exactly as their button press
	// would, but what the chat would show them is not sent (the page shows
	// the outcome), their chat's step is left as it was, and the audit
	// log records it as done on the web. A reply or referral carries its
	// text in Input.Text with the button's data.
	Web bool `json:",omitempty"`
}

// Button is an option shown to the user.
type Button struct {
	Label string
	Data  string
}

// Reply is one message to show the user.
type Reply struct {
	Text    string
	Buttons [][]Button
	// Edit asks to replace the message the button was pressed on, where
	// the channel can edit messages; otherwise the reply is sent anew.
	Edit bool
	// Typed marks a prompt that expects a typed value (a number, a
	// comment): numbered channels then show its buttons by label, so that
	// "35" is a class size and not option 35.
	Typed bool
	// Photo, when set, makes the reply a photo (a channel reference) with
	// Text as its caption.
	Photo string
	// AskContact, when set, is the label of the channel's "share my phone
	// number" button, shown with the options (on Telegram as a reply
	// keyboard, whose buttons send their labels as text); HideKeyboard
	// removes that keyboard again.
	AskContact   string
	HideKeyboard bool
	// File, when set, is sent as an attachment with Text as its caption.
	File *File `json:",omitempty"`
	// Lang is the language of the reader, for what a channel adds around
	// the text (empty: Vietnamese).
	Lang Lang `json:",omitempty"`
	// Detached marks a message the reader did not ask for (an alert, a
	// follow-up question, an announcement): a channel without buttons
	// shows this line instead of numbering its options, since a number
	// typed next answers the reader's own step.
	Detached string `json:",omitempty"`
}

// Numbered shows a reply as a channel without buttons does (the terminal,
// Zalo): its options numbered after the text, or, where a value is typed
// (a number, a comment), by their words, so that "35" is an answer and not
// option 35.
func Numbered(r Reply) string {
	var b strings.Builder
	b.WriteString(r.Text)
	if r.Detached != "" {
		b.WriteString("\n\n" + r.Detached)
		return b.String()
	}
	options, words := numberedParts(r)
	for i, btn := range options {
		if i == 0 {
			b.WriteString("\n")
		}
		b.WriteString("\n   " + NumberedLabel(i+1, btn.Label))
	}
	if len(words) > 0 {
		var quoted []string
		for _, btn := range words {
			quoted = append(quoted, "«"+Word(btn.Label)+"»")
		}
		b.WriteString("\n\n   " + tr(r.Lang, "numbered.typed", strings.Join(quoted, " · ")))
	}
	return b.String()
}

// numberedParts splits a reply's buttons as a channel without buttons
// shows them: options numbered 1, 2, … and the words to type. Where a
// value is typed (Reply.Typed) every button is words, so that "35" is an
// answer; elsewhere the survey's navigation (back, skip, send, start over)
// is words, so that its numbers are the answers' alone: "6" is never
// «Quay lại» after a 1–5 scale, nor «Gửi» above 16 answers.
func numberedParts(r Reply) (options, words []Button) {
	for _, row := range r.Buttons {
		for _, btn := range row {
			if r.Typed || navigation(btn.Data) {
				words = append(words, btn)
			} else {
				options = append(options, btn)
			}
		}
	}
	return options, words
}

// Word is a label as it is typed: without the symbols around its words
// ("◀ Quay lại" → "Quay lại").
func Word(label string) string {
	return strings.TrimFunc(label, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// File is an attachment made by hailong (a chart, a workbook).
type File struct {
	Name  string
	Data  []byte
	Image bool // shown as a picture rather than a document
}

// OutKind says what an outgoing row asks the channel to do.
type OutKind string

// Outgoing kinds.
const (
	OutMessage OutKind = "msg" // send Reply, or edit EditRef with it
	OutAck     OutKind = "ack" // acknowledge CallbackID, with Reply.Text as a short notice
	// OutReport asks for a report to be built and sent to Chat when its
	// turn comes: building needs the aggregates, which flows cannot read.
	OutReport OutKind = "report"
	// OutMenu sets the command menu of Chat to that of the role named in
	// Reply.Text.
	OutMenu OutKind = "menu"
)

// ReportRequest is a report staff asked for.
type ReportRequest struct {
	Scope   string   // who it is about: the office's or school's name
	Schools []string // the schools reported on
	// Office is the unit whose subtree the report covers, when it is one:
	// the report then sums its units one level down too.
	Office string
	From   time.Time // the period [From, To)
	To     time.Time
	Export bool // the workbook only
}

// Priorities of outgoing rows; lower is sent first.
const (
	PriorityAck         = 0
	PriorityInteractive = 1
	PriorityAlert       = 2
	PriorityDigest      = 3
	PriorityBroadcast   = 4
)

// Outgoing is one message waiting in the outbox.
type Outgoing struct {
	Kind       OutKind
	Channel    string
	Chat       string
	Reply      Reply
	EditRef    string
	CallbackID string
	Priority   int
	// Yield lets the chat's other rows of the same priority go first: a
	// complaint filed in a parent's burst must not hold up another
	// parent's alert in the office's chat, which is written slowly.
	Yield   bool `json:",omitempty"`
	Created time.Time
	Report  *ReportRequest `json:",omitempty"`
}

// Batch is one fetch of inputs from a channel, applied in one transaction
// together with the channel's new cursor.
type Batch struct {
	Channel   string
	Envelopes []Envelope
	// Dead are inputs that could not be decoded, kept for inspection.
	Dead []Dead
	// Cursor is the channel's position after this batch (Telegram's next
	// getUpdates offset); 0 leaves it unchanged.
	Cursor int64
	// Once asks the store to apply each envelope at most once by its
	// MessageRef, for channels that may hand an update out twice and have
	// no cursor (Zalo's webhook retries, a poll answered twice).
	Once bool
	// Handled, when set, is given each envelope's result once the
	// transaction that stored it has committed (a rolled-back attempt's
	// is not given; it must not block): the dashboard reads what its
	// action came to (Result.Said, Result.Complaints).
	Handled func(Envelope, Result)
}

// Dead is an input set aside: undecodable, or one whose handling failed.
type Dead struct {
	Channel string    `json:"channel"`
	Raw     string    `json:"raw"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}

// Queued is an outbox row with its sequence number.
type Queued struct {
	Seq uint64
	Outgoing
}

// NumberedLabel is how a channel without buttons shows option n: "2. Không",
// or the label alone when it already starts with its number ("4 · Hài lòng").
func NumberedLabel(n int, label string) string {
	num := strconv.Itoa(n)
	if strings.HasPrefix(strings.TrimPrefix(label, "✓ "), num+" ") {
		return label
	}
	return num + ". " + label
}

// Prompt says whether a reply shows a step's buttons: their data carry the
// session's nonce ("12:a:yes"). Only one message shows the step at a time
// that counts; once another does, a channel that can edit may take these
// buttons away, so that the parent taps where the conversation is.
func Prompt(r Reply) bool {
	for _, row := range r.Buttons {
		for _, b := range row {
			if _, ok := nonceOf(b.Data); ok {
				return true
			}
		}
	}
	return false
}

// Units is how long s is as Telegram and Zalo count their limits: in
// UTF-16 code units (an emoji outside the BMP is two; an invalid byte,
// sent as U+FFFD, one).
func Units(s string) int {
	n := 0
	for _, r := range s {
		n += RuneUnits(r)
	}
	return n
}

// RuneUnits is how many UTF-16 code units r takes (see Units).
func RuneUnits(r rune) int {
	if w := utf16.RuneLen(r); w > 0 {
		return w
	}
	return 1
}
