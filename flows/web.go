package flows

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// WebLink is a one-time sign-in link to the staff dashboard, asked for with
// /web. Only the hash of its token is stored; the token is in the link
// alone.
type WebLink struct {
	Hash    string    `json:"hash"`
	Actor   string    `json:"actor"` // "channel:user" who asked
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	Used    bool      `json:"used,omitempty"`
}

// WebSession is a staff member signed in to the dashboard. Their scope is
// not kept with it: it is worked out from the configuration and the
// bindings on every request (Engine.ActorOf).
type WebSession struct {
	Hash    string    `json:"hash"`  // WebTokenHash of the cookie's token
	Actor   string    `json:"actor"` // "channel:user"
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	Via     string    `json:"via"` // "link" or "telegram-login"
	Agent   string    `json:"agent,omitempty"`
}

// Why a sign-in link did not open a session.
var (
	ErrLinkUnknown = errors.New("sign-in link unknown")
	ErrLinkUsed    = errors.New("sign-in link already used")
	ErrLinkExpired = errors.New("sign-in link expired")
)

// Card is a complaint as staff see it in the chat: never the parent's
// identity, only the phone they chose to share.
func (e *Engine) Card(c *Complaint) string { return e.card(c, T("c.alert.view")) }

// StaffAction is an action on a complaint as the dashboard offers it: the
// card's button in the chat.
type StaffAction struct {
	Name  string // its name ("ack", "reply", …)
	Label string
	Data  string // the press, as an Envelope's Input.Data
	Asks  bool   // it takes a text (a reply, where to refer the parent…): Input.Text
	Ask   string // what the chat asks for it
	Good  bool   // it settles the complaint (resolved)
	Quiet bool   // it closes the complaint without settling it (referred, duplicate)
}

// StaffActions are the actions staff whose scope is schools may take on
// c as it is now: the dashboard offers what the chat's card does.
func StaffActions(c *Complaint, schools []string) []StaffAction {
	var out []StaffAction
	for _, row := range actions(c, schools) {
		for _, b := range row {
			p, _ := readData(b.Data)
			a, _ := staffActNamed(p.arg(0))
			x := StaffAction{Name: a.name, Label: b.Label, Data: b.Data, Asks: a.ask != "",
				Good: a.settles, Quiet: a.closes}
			if x.Asks {
				x.Ask = T(a.ask, c.Code())
			}
			out = append(out, x)
		}
	}
	return out
}

// WebLinkTTL is how long a sign-in link may be used.
const WebLinkTTL = 10 * time.Minute

// WebLinksPerHour is how many sign-in links one person may ask for in an
// hour: a stolen phone or a script cannot mint links without end.
const WebLinksPerHour = 5

// WebTokenHash is how a web token (a sign-in link's, a session's) is
// stored: never the token itself.
func WebTokenHash(token string) string {
	sum := sha256.Sum256([]byte("hailong web:" + strings.TrimSpace(token)))
	return hex.EncodeToString(sum[:])
}

// NewWebToken turns random bytes into a token fit for a URL.
func NewWebToken(random []byte) string {
	return base64.RawURLEncoding.EncodeToString(random)
}

// ActorOf is who a user ("channel:user") is to hailong now, and what they
// may see and act on: the access matrix of the chat, for the dashboard,
// which asks it on every request.
func (e *Engine) ActorOf(id string, look Lookup) Actor {
	ch, user, _ := strings.Cut(id, ":")
	return e.actor(Envelope{Channel: ch, User: user, Chat: user}, look)
}

// WebURL is the dashboard's public address, "" when it is not served.
func (e *Engine) WebURL() string { return e.webURL }

// webLink answers /web: a one-time sign-in link to the dashboard, in a
// private chat, for staff, at most WebLinksPerHour an hour.
func (t *turn) webLink() {
	switch {
	case t.in.Group:
		t.say(T("web.private"))
		return
	case t.e.webURL == "":
		t.say(T("web.off"))
		return
	case t.look.WebLinks(t.who.ID, t.in.Now.Add(-time.Hour)) >= WebLinksPerHour:
		t.say(T("web.limit", WebLinksPerHour))
		return
	case len(t.env.Random) < 16:
		t.say(ErrorText())
		return
	}
	token := NewWebToken(t.env.Random[:16])
	t.WebLinks = append(t.WebLinks, WebLink{Hash: WebTokenHash(token), Actor: t.who.ID, Created: t.in.Now,
		Expires: t.in.Now.Add(WebLinkTTL)})
	t.audit("web.link", t.who.Role.String())
	t.say(T("web.link", int(WebLinkTTL/time.Minute), strings.TrimRight(t.e.webURL, "/")+"/login?t="+token))
}
