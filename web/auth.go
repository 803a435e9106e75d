package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"hailong/flows"
)

// loginPage explains how to sign in; with a link's token it asks to press
// a button, since opening the link must not spend it: chat apps fetch a
// link to show its preview.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	widget := s.cfg.TelegramBot != "" && s.cfg.TelegramToken != ""
	if widget {
		w.Header().Set("Content-Security-Policy", csp(true))
	}
	s.render(w, r, "login.html", map[string]any{"Title": "Đăng nhập", "Token": r.URL.Query().Get("t"),
		"Widget": widget, "Bot": s.cfg.TelegramBot, "AuthURL": strings.TrimRight(s.cfg.URL, "/") + "/login/telegram"})
}

// login opens a session with a sign-in link's token.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.allow(r) {
		s.refuse(w, r, http.StatusTooManyRequests, "Quá nhiều lần đăng nhập. Xin đợi một phút rồi thử lại.")
		return
	}
	if !s.sameOrigin(r) {
		s.refuse(w, r, http.StatusForbidden, "Yêu cầu không hợp lệ.")
		return
	}
	if !secureContext(r) {
		// Refused before the link is redeemed: it stays usable over https.
		s.cfg.Log.Warn("web: sign-in over plain http refused (the browser would drop the Secure session cookie); serve the dashboard over https", "host", r.Host)
		s.refuse(w, r, http.StatusForbidden, plainHTTP+" Đường dẫn đăng nhập chưa bị dùng: xin mở lại nó qua https://.")
		return
	}
	token := newToken()
	sess, err := s.cfg.Store.RedeemWebLink(r.PostFormValue("t"), token, r.UserAgent(), s.cfg.Now(), s.cfg.SessionTTL)
	switch {
	case errors.Is(err, flows.ErrLinkUsed):
		s.refuse(w, r, http.StatusForbidden, "Đường dẫn này đã được dùng. Xin nhắn /web cho bot để nhận đường dẫn mới.")
		return
	case errors.Is(err, flows.ErrLinkExpired):
		s.refuse(w, r, http.StatusForbidden, "Đường dẫn này đã hết hạn. Xin nhắn /web cho bot để nhận đường dẫn mới.")
		return
	case errors.Is(err, flows.ErrLinkUnknown):
		s.refuse(w, r, http.StatusForbidden, "Đường dẫn không đúng. Xin nhắn /web cho bot để nhận đường dẫn mới.")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	setCookie(w, token, sess.Expires.Sub(s.cfg.Now()))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// telegramLogin takes the Telegram Login Widget's answer: signed with the
// bot's token as Telegram documents, at most WebLinkTTL old, of someone who
// is staff.
func (s *Server) telegramLogin(w http.ResponseWriter, r *http.Request) {
	if !s.allow(r) {
		s.refuse(w, r, http.StatusTooManyRequests, "Quá nhiều lần đăng nhập. Xin đợi một phút rồi thử lại.")
		return
	}
	if s.cfg.TelegramBot == "" || s.cfg.TelegramToken == "" {
		http.NotFound(w, r)
		return
	}
	if !secureContext(r) {
		s.cfg.Log.Warn("web: sign-in over plain http refused (the browser would drop the Secure session cookie); serve the dashboard over https", "host", r.Host)
		s.refuse(w, r, http.StatusForbidden, plainHTTP)
		return
	}
	id, ok := VerifyTelegramLogin(r.URL.Query(), s.cfg.TelegramToken, s.cfg.Now(), flows.WebLinkTTL)
	if !ok {
		s.refuse(w, r, http.StatusForbidden, "Không xác minh được đăng nhập qua Telegram. Xin thử lại, hoặc nhắn /web cho bot.")
		return
	}
	actor := "telegram:" + id
	a, err := s.cfg.Store.Actor(actor)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if a.Role < flows.RolePrincipal {
		s.refuse(w, r, http.StatusForbidden, "Trang này dành cho hiệu trưởng và cán bộ quản lí giáo dục.")
		return
	}
	token := newToken()
	sess, err := s.cfg.Store.OpenWebSession(actor, "telegram-login", token, r.UserAgent(), s.cfg.Now(), s.cfg.SessionTTL)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setCookie(w, token, sess.Expires.Sub(s.cfg.Now()))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// VerifyTelegramLogin checks the fields the Telegram Login Widget hands
// over, as https://core.telegram.org/widgets/login#checking-authorization
// says: the hash is the hex HMAC-SHA-256 of the other fields as sorted
// "key=value" lines joined by "\n", keyed with SHA-256 of the bot's token.
// It returns the user's id.
func VerifyTelegramLogin(q url.Values, botToken string, now time.Time, maxAge time.Duration) (string, bool) {
	got, err := hex.DecodeString(q.Get("hash"))
	if err != nil || len(got) != sha256.Size {
		return "", false
	}
	var lines []string
	for k, v := range q {
		if k != "hash" && len(v) == 1 {
			lines = append(lines, k+"="+v[0])
		}
	}
	sort.Strings(lines)
	key := sha256.Sum256([]byte(botToken))
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(strings.Join(lines, "\n")))
	if !hmac.Equal(m.Sum(nil), got) {
		return "", false
	}
	at, err := strconv.ParseInt(q.Get("auth_date"), 10, 64)
	if err != nil || now.Sub(time.Unix(at, 0)) > maxAge || time.Unix(at, 0).Sub(now) > time.Minute {
		return "", false
	}
	id := q.Get("id")
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		return "", false
	}
	return id, true
}

// logout ends the session of the request.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, u *who) {
	if _, err := s.cfg.Store.EndWebSession(u.session.Hash, false, s.entry(u, "web.signout", "")); err != nil {
		s.fail(w, r, err)
		return
	}
	clearCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// sessions lists one's own sessions; an admin's, everyone's.
func (s *Server) sessions(w http.ResponseWriter, r *http.Request, u *who) {
	all, err := s.cfg.Store.WebSessions(s.cfg.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var shown []flows.WebSession
	for _, x := range all {
		if u.Role == flows.RoleAdmin || x.Actor == u.ID {
			shown = append(shown, x)
		}
	}
	sort.Slice(shown, func(i, j int) bool { return shown[i].Created.After(shown[j].Created) })
	s.page(w, r, u, "sessions.html", map[string]any{"Title": "Phiên đăng nhập", "Sessions": shown, "Mine": u.session.Hash})
}

// endSession ends a session: one's own, or any for an admin. The store
// looks it up, checks whose it is and ends it in one transaction.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request, u *who) {
	hash := r.PostFormValue("session")
	ended, err := s.cfg.Store.EndWebSession(hash, u.Role == flows.RoleAdmin, s.entry(u, "web.end", ""))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ended {
		s.refuse(w, r, http.StatusForbidden, "Không thể kết thúc phiên này.")
		return
	}
	if hash == u.session.Hash {
		clearCookie(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/sessions", http.StatusSeeOther)
}

// entry is an audit entry of a web action.
func (s *Server) entry(u *who, action, record string) flows.AuditEntry {
	return flows.AuditEntry{At: s.cfg.Now(), Actor: u.ID, Role: u.Role.String(), Action: action, Record: record, Via: "web"}
}
