package flows

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
