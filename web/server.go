// Package web is the staff dashboard: an HTTP handler served by `hailong
// run` (web.listen) from the same process and database as the bot.
//
// Sign-in is without passwords: /web in the chat gives a one-time link
// (flows), and opening it starts a session whose scope is the chat's
// access matrix, worked out again on every request. Actions on complaints
// are applied as the staff member's button press (flows.Envelope with Web
// set, through Store.Apply), so the parent is told as from the chat and the
// audit log records them. Pages are rendered on the server, charts as SVG;
// no script runs in the browser.
package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"hailong/digest"
	"hailong/flows"
)

// Store is what the dashboard needs of the database (*store.DB).
type Store interface {
	digest.Store
	Apply(b flows.Batch) error
	Actor(id string) (flows.Actor, error)
	Complaint(id uint64) (*flows.Complaint, bool, error)
	ComplaintsVersion() uint64
	// Weekly counts the responses of each of weeks weeks from from, of
	// the given schools (every school's with nil).
	Weekly(waves, schools []string, from time.Time, weeks int) ([]int, error)
	Complaints(fn func(*flows.Complaint) error) error
	RedeemWebLink(token, sessionToken, agent string, now time.Time, ttl time.Duration) (flows.WebSession, error)
	OpenWebSession(actor, via, sessionToken, agent string, now time.Time, ttl time.Duration) (flows.WebSession, error)
	WebSession(token string, now time.Time) (flows.WebSession, bool, error)
	WebSessions(now time.Time) ([]flows.WebSession, error)
	// EndWebSession ends a session if by.Actor owns it or admin says any
	// may be ended, checked and deleted at once; false if it did not.
	EndWebSession(hash string, admin bool, by flows.AuditEntry) (bool, error)
	Audit(entries ...flows.AuditEntry) error
}

// Photos fetches a complaint's photo by its channel reference (Telegram's
// file id, Zalo's URL): its bytes and content type.
type Photos func(ctx context.Context, ref string) ([]byte, string, error)

// Config configures the dashboard.
type Config struct {
	Store  Store
	Engine *flows.Engine
	Job    *digest.Job // builds the reports, as for /baocao
	Now    func() time.Time
	Log    *slog.Logger
	// SessionTTL is how long a session lasts; 0 means 12 hours.
	SessionTTL time.Duration
	// Photos, when set, shows complaints' photos.
	Photos Photos
	// TelegramBot and TelegramToken, when both set, offer the Telegram
	// Login Widget on the sign-in page (the bot's domain must be set with
	// @BotFather's /setdomain).
	TelegramBot   string
	TelegramToken string
	// URL is the dashboard's public address (web.url): the widget sends
	// the browser back to URL/login/telegram.
	URL string
	// MinRespondents is small-n suppression: no share, bar or count of a
	// group answered by fewer parents.
	MinRespondents int
}

// Server is the dashboard.
type Server struct {
	cfg   Config
	pages *template.Template
	mux   *http.ServeMux

	// publicHost is the host (and port) of Config.URL, where browsers
	// reach the dashboard.
	publicHost string

	mu      sync.Mutex
	perIP   map[string]*rate.Limiter
	signins *rate.Limiter
	cache   complaintCache
	reports reportCache
}

// CookieName is the session cookie: __Host- makes the browser keep it only
// if it is Secure, for this host alone, on every path.
const CookieName = "__Host-hailong"

//go:embed assets
var assets embed.FS

// New makes the dashboard.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Engine == nil || cfg.Job == nil {
		return nil, errors.New("web: store, engine and job are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	pages, err := template.New("").Funcs(funcs(cfg.Engine)).ParseFS(assets, "assets/*.html")
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, pages: pages, perIP: map[string]*rate.Limiter{}, signins: rate.NewLimiter(20, 100)}
	if u, err := url.Parse(cfg.URL); err == nil && u.Host != "" {
		s.publicHost = originHost(u)
	}
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler: every answer carries the security
// headers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp(false))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	h.Set("Strict-Transport-Security", "max-age=31536000") // heeded over https only
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)        // a reply is at most 3,000 characters
	s.mux.ServeHTTP(w, r)
}

// csp is the Content-Security-Policy: nothing but this site's own
// stylesheet and images (charts are data: SVG), no script at all — except,
// on the sign-in page when the Telegram Login Widget is configured,
// Telegram's widget script and frame.
func csp(widget bool) string {
	script, frame := "'none'", "'none'"
	if widget {
		script, frame = "https://telegram.org", "https://oauth.telegram.org"
	}
	return "default-src 'none'; script-src " + script + "; frame-src " + frame +
		"; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}

// who is the signed-in staff member of a request.
type who struct {
	flows.Actor
	session flows.WebSession
	token   string
}

// csrf is the session's CSRF token: derived from the cookie's secret, which
// another site can neither read nor send (SameSite=Strict).
func (u *who) csrf() string {
	sum := sha256.Sum256([]byte("hailong csrf:" + u.token))
	return hex.EncodeToString(sum[:16])
}

// handler is a page for signed-in staff.
type handler func(w http.ResponseWriter, r *http.Request, u *who)

// staff wraps a page: it needs a live session of someone who is staff now
// (their role and scope read afresh), and a valid CSRF token on every
// request that changes anything.
func (s *Server) staff(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(CookieName)
		if err != nil || c.Value == "" {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		sess, ok, err := s.cfg.Store.WebSession(c.Value, s.cfg.Now())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !ok {
			clearCookie(w)
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		a, err := s.cfg.Store.Actor(sess.Actor)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if a.Role < flows.RolePrincipal {
			s.refuse(w, r, http.StatusForbidden, "Tài khoản này không còn là cán bộ quản lí trên hệ thống.")
			return
		}
		u := &who{Actor: a, session: sess, token: c.Value}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !s.sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(u.csrf())) != 1 {
				s.refuse(w, r, http.StatusForbidden, "Yêu cầu không hợp lệ (thiếu mã chống giả mạo). Xin tải lại trang rồi thử lại.")
				return
			}
		}
		h(w, r, u)
	}
}

// sameOrigin refuses a request another site's page sent: the browser names
// the page's origin in Origin (or Sec-Fetch-Site) on a POST. The page's
// host is the request's Host or, behind a reverse proxy that rewrites
// Host, that of the configured public address (Config.URL). A refusal is
// logged: the page only says the request was not valid.
func (s *Server) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		s.cfg.Log.Warn("web: a request sent from another site's page refused", "path", r.URL.Path, "sec_fetch_site", site, "origin", r.Header.Get("Origin"))
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		// No origin to compare (an older browser, or one that hides it):
		// the CSRF token and the SameSite cookie remain.
		return true
	}
	if u, err := url.Parse(o); err == nil && u.Host != "" {
		host := originHost(u)
		if strings.EqualFold(host, r.Host) || (s.publicHost != "" && strings.EqualFold(host, s.publicHost)) {
			return true
		}
	}
	s.cfg.Log.Warn("web: a request whose Origin is neither its Host nor web.url's refused (a proxy that rewrites Host needs web.url to be the address browsers use)",
		"path", r.URL.Path, "origin", o, "host", r.Host, "url", s.cfg.URL)
	return false
}

// originHost is the host and port of an origin or address, without the
// scheme's default port (browsers leave it out of Origin).
func originHost(u *url.URL) string {
	if p := u.Port(); (u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80") {
		return strings.TrimSuffix(u.Host, ":"+p)
	}
	return u.Host
}

// LoopbackHost reports whether host (a host name or address without its
// port; an IPv6 address with or without brackets) is the browser's own
// machine: "localhost" or a loopback address. Over plain http, browsers
// keep a Secure cookie — the session's — from such a host only.
func LoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// secureContext reports whether the browser that sent r will keep the
// session cookie: it does from an https page, or over plain http from a
// loopback host alone, and drops it silently otherwise. The page is the
// one the browser names in Origin (sent with a POST); without it, the
// request's own: https when it came over TLS or from the reverse proxy on
// this host saying so (X-Forwarded-Proto), and its Host.
func secureContext(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			return u.Scheme == "https" || LoopbackHost(u.Hostname())
		}
	}
	if r.TLS != nil || (fromLoopback(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")) {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return LoopbackHost(host)
}

// fromLoopback reports whether r came from this host (the reverse proxy).
func fromLoopback(r *http.Request) bool {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	a := net.ParseIP(ip)
	return a != nil && a.IsLoopback()
}

// plainHTTP is what a sign-in over plain http to another host than
// localhost is told: the browser would drop the session's cookie and the
// sign-in would fail without a word.
const plainHTTP = "Không thể đăng nhập qua địa chỉ http:// này: trình duyệt chỉ giữ phiên đăng nhập khi trang được " +
	"mở qua https:// (hoặc trên chính máy này, localhost). Xin báo quản trị đặt trang sau một máy chủ https " +
	"(web.url là địa chỉ https://)."

func setCookie(w http.ResponseWriter, token string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

func clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

// newToken is a session's secret: 32 random bytes.
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return flows.NewWebToken(b)
}

// client is the address a request came from: behind the reverse proxy on
// the same host (a request from loopback), the last address the proxy put
// in X-Forwarded-For; a client cannot forge that one.
func client(r *http.Request) string {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	if fromLoopback(r) {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			hops := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(hops[len(hops)-1]); net.ParseIP(last) != nil {
				return last
			}
		}
	}
	return ip
}

// allow rate-limits sign-in attempts: per client address, and in all.
func (s *Server) allow(r *http.Request) bool {
	ip := client(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.perIP[ip]
	if l == nil {
		if len(s.perIP) > 10000 {
			s.perIP = map[string]*rate.Limiter{}
		}
		l = rate.NewLimiter(rate.Every(6*time.Second), 10)
		s.perIP[ip] = l
	}
	return l.Allow() && s.signins.Allow()
}

// fail answers a request the server could not serve.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Log.Error("web", "path", r.URL.Path, "err", err)
	s.refuse(w, r, http.StatusInternalServerError, "Có lỗi khi đọc dữ liệu. Xin thử lại sau.")
}

// refuse answers with a status and a sentence.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, text string) {
	w.WriteHeader(status)
	s.render(w, r, "message.html", map[string]any{"Title": fmt.Sprintf("Lỗi %d", status), "Text": text})
}

// render executes a page template.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data map[string]any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	if err := s.pages.ExecuteTemplate(w, name, data); err != nil {
		s.cfg.Log.Error("web: render", "page", name, "err", err)
	}
}
