package flows

// The parent's rights (Law 91/2025/QH15):
//
//	/stop, "dừng" ──▶ nothing more is sent but answers to their own
//	   messages, until /start
//	🔒 Dữ liệu của tôi, /dulieu ──▶ what is stored about them
//	/xoadulieu ──▶ "erase everything?" [🗑 Xoá tất cả] ──▶ their responses, session
//	   and identity in their complaints erased (Result.Erase)

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The parent's rights under Law 91/2025/QH15: to stop being written to, to
// see what is stored about them, to have it deleted.

// stop records the parent's /stop (or "dừng"): nothing more is sent to
// them but answers to their own messages, until they /start again.
func (t *turn) stop() {
	yes := true
	t.OptOut = &yes
	if t.s != nil && t.s.Consent != nil {
		t.s.OptOut = true
		t.s.reset()
		t.moved()
	}
	t.say(t.T("optout.done"))
}

// resume lifts a /stop; the /start then goes on as usual.
func (t *turn) resume() {
	no := false
	t.OptOut = &no
	t.s.OptOut = false
	t.changed = true
	t.say(t.T("optout.lifted"))
}

// myData shows the parent everything stored about them: each answer with
// its question's words, in as many messages as it takes.
func (t *turn) myData() {
	s := t.s
	var b strings.Builder
	b.WriteString(t.T("data.title"))
	fmt.Fprintf(&b, "\n\n"+t.T("data.consent"), t.e.when(s.Consent.At), s.Consent.Version)
	if sc, ok := t.e.dir.School(s.School); ok {
		fmt.Fprintf(&b, "\n"+t.T("data.school"), sc.Name)
	}
	if s.Grade != "" {
		fmt.Fprintf(&b, "\n"+t.T("data.grade"), gradeName(s.Grade, t.lang()))
	}
	if s.Answers != nil {
		fmt.Fprintf(&b, "\n"+t.T("data.inprogress"), len(s.Answers))
	}
	responses := t.look.ResponsesOf(t.env.Key)
	if len(responses) == 0 {
		b.WriteString("\n" + t.T("data.noresponses"))
	}
	parts := []string{b.String()}
	for _, r := range responses {
		w, _ := t.e.dir.Wave(r.Wave)
		title := r.Wave
		if w != nil {
			title = w.TitleIn(t.lang())
		}
		name := r.School
		if sc, ok := t.e.dir.School(r.School); ok {
			name = sc.Name
		}
		var a strings.Builder
		fmt.Fprintf(&a, t.T("data.response"), title, name, t.e.when(r.At))
		for _, q := range t.e.q.Questions {
			if v, ok := r.Answers[q.ID]; ok {
				a.WriteString("\n– " + t.answered(&q, r.Level, v))
			}
		}
		parts = append(parts, a.String())
	}
	for _, c := range t.look.ComplaintsBy(t.env.Key) {
		phone := t.T("c.who.anonymous")
		if !c.Anonymous && c.Phone != "" {
			phone = c.Phone
		}
		parts = append(parts, fmt.Sprintf(t.T("data.complaint"), c.Code(), c.Status.NameIn(t.lang()), t.e.day(c.Created), phone))
	}
	parts = append(parts, t.T("data.chat"), t.T("data.notstored"))
	texts := pack(parts, 4000)
	for i, text := range texts {
		r := Reply{Text: text}
		if i == len(texts)-1 {
			r.Buttons = [][]Button{{{Label: t.T("data.erase.button"), Data: menuData(menuErase)}}, {{Label: t.T("menu.back"), Data: menuData(menuMain)}}}
		}
		t.send(r)
	}
}

// pack joins paragraphs into as few messages of at most limit characters
// as it can, a paragraph never split unless it is longer than limit alone.
func pack(paragraphs []string, limit int) []string {
	var out []string
	cur := ""
	for _, p := range paragraphs {
		p = clip(p, limit)
		switch {
		case cur == "":
			cur = p
		case utf8.RuneCountInString(cur)+2+utf8.RuneCountInString(p) <= limit:
			cur += "\n\n" + p
		default:
			out = append(out, cur)
			cur = p
		}
	}
	return append(out, cur)
}

// askErase explains exactly what deletion does before asking to confirm.
func (t *turn) askErase() {
	t.moved()
	t.send(Reply{Text: t.T("erase.ask", t.e.retention), Buttons: [][]Button{
		{{Label: t.T("erase.yes"), Data: t.nonced(vErase)}},
		{{Label: t.T("erase.no"), Data: menuData(menuMain)}},
	}})
}

// eraseAll deletes the parent's data; the store does it in the same
// transaction, adjusting the aggregates.
func (t *turn) eraseAll() {
	t.Erase = true
	t.pre = t.lang() // the goodbye in the language they read
	t.s = nil
	t.changed = true
	t.send(Reply{Text: t.T("erase.done")})
}

// isStop reports whether a typed text asks to stop all messages.
func isStop(text string) bool {
	t := strings.ToLower(strings.TrimSpace(strings.Trim(text, ".! ")))
	return t == "dừng" || t == "dừng lại" || t == "stop"
}
