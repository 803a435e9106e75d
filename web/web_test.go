package web_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hailong/digest"
	"hailong/flows"
	"hailong/store"
	"hailong/web"
)

var now = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// fixture is the dashboard over a real store: an admin (telegram:1), a
// unit's staff member (telegram:3) and the principal of S1 (telegram:2).
func fixture(t *testing.T, opts ...func(*web.Config)) (*store.DB, http.Handler, *time.Time) {
	t.Helper()
	d := &flows.Directory{
		Admins:  []string{"telegram:1"},
		Offices: []flows.Office{{ID: "so", Name: "Sở GDĐT"}, {ID: "x1", Name: "UBND xã Một", Parent: "so", Staff: []string{"telegram:3"}}},
		Waves:   []flows.Wave{{ID: "w1", Title: "Học kì I", Start: now.AddDate(0, -2, 0), End: now.AddDate(0, 2, 0)}},
		Schools: []flows.School{
			{Code: "S1", Name: "Trường Một", Level: flows.Primary, Office: "x1", Principals: []string{"telegram:2"}},
			{Code: "S2", Name: "Trường Hai", Level: flows.Primary, Office: "x1"},
		},
	}
	eng, err := flows.New(flows.Settings{Questionnaire: flows.DefaultQuestionnaire(), Directory: d, SessionExpiry: time.Hour,
		ClassSizeCaps: map[flows.Level]int{flows.Primary: 35}, WebURL: "https://hailong.example"})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "h.db"), store.Options{Engine: eng, Secret: []byte("test secret, 32 characters long!"),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := now
	cfg := web.Config{Store: db, Engine: eng, Job: &digest.Job{Store: db, Engine: eng, MinRespondents: 5, FlagBelow: 70},
		Now: func() time.Time { return clock }, MinRespondents: 5, URL: "https://hailong.example"}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return db, srv, &clock
}

// link has user ask the bot for a sign-in link, through the store as any
// update, and returns its token.
func link(t *testing.T, db *store.DB, user string, at time.Time) string {
	t.Helper()
	env := flows.Envelope{Channel: "telegram", User: user, Chat: user, Input: flows.ParseText("/web", at)}
	if err := db.Apply(flows.Batch{Channel: "telegram", Envelopes: []flows.Envelope{env}}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Pending("telegram", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(rows) - 1; i >= 0; i-- {
		if _, tok, ok := strings.Cut(rows[i].Reply.Text, "/login?t="); ok && rows[i].Chat == user {
			return strings.Fields(tok)[0]
		}
	}
	t.Fatalf("no link for %s", user)
	return ""
}

func do(h http.Handler, method, path string, form url.Values, cookie *http.Cookie, remote string) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	// Over https, as behind the office's TLS proxy: a browser keeps the
	// Secure session cookie from such a page alone (TestSignInOverPlainHTTP).
	req := httptest.NewRequest(method, "https://hailong.example"+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	if remote != "" {
		req.RemoteAddr = remote
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func signIn(t *testing.T, h http.Handler, token string) *http.Cookie {
	t.Helper()
	rec := do(h, http.MethodPost, "/login", url.Values{"t": {token}}, nil, "")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", rec.Code, rec.Body.String())
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == web.CookieName {
			if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" {
				t.Errorf("cookie flags: %+v", c)
			}
			return &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	t.Fatal("no session cookie")
	return nil
}

// TestSignIn: a link opens one session, once, within its ten minutes;
// opening it (a link preview) spends nothing; a session ends when asked
// and when it expires.
func TestSignIn(t *testing.T) {
	db, h, clock := fixture(t)
	token := link(t, db, "2", now)
	if rec := do(h, http.MethodGet, "/login?t="+token, nil, nil, ""); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), token) {
		t.Fatalf("the link's page: %d", rec.Code)
	}
	cookie := signIn(t, h, token)
	if rec := do(h, http.MethodPost, "/login", url.Values{"t": {token}}, nil, ""); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "đã được dùng") {
		t.Errorf("a spent link: %d", rec.Code)
	}
	if rec := do(h, http.MethodGet, "/", nil, cookie, ""); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Trường Một") {
		t.Errorf("the principal's page: %d", rec.Code)
	}
	late := link(t, db, "2", now)
	*clock = now.Add(flows.WebLinkTTL + time.Second)
	if rec := do(h, http.MethodPost, "/login", url.Values{"t": {late}}, nil, ""); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "hết hạn") {
		t.Errorf("an expired link: %d", rec.Code)
	}
	if rec := do(h, http.MethodPost, "/login", url.Values{"t": {"made-up"}}, nil, ""); rec.Code != http.StatusForbidden {
		t.Errorf("a made-up link: %d", rec.Code)
	}
	// Ended from the page: the cookie opens nothing more.
	page := do(h, http.MethodGet, "/sessions", nil, cookie, "").Body.String()
	csrf := between(page, `name="csrf" value="`, `"`)
	if rec := do(h, http.MethodPost, "/logout", url.Values{"csrf": {csrf}}, cookie, ""); rec.Code != http.StatusSeeOther {
		t.Fatalf("sign out: %d", rec.Code)
	}
	if rec := do(h, http.MethodGet, "/", nil, cookie, ""); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Errorf("an ended session: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	// Expired.
	*clock = now
	cookie = signIn(t, h, link(t, db, "2", now.Add(time.Minute)))
	*clock = now.Add(13 * time.Hour)
	if rec := do(h, http.MethodGet, "/", nil, cookie, ""); rec.Code != http.StatusSeeOther {
		t.Errorf("an expired session: %d", rec.Code)
	}
}

// TestSignInOverPlainHTTP: a sign-in from a page over plain http on another
// host than localhost is refused with a sentence — the browser would drop
// the Secure cookie and nothing would say why — before the link is spent,
// so it still signs in over https; plain http to localhost (the demo) and
// https behind a proxy that rewrites Host sign in.
func TestSignInOverPlainHTTP(t *testing.T) {
	db, h, _ := fixture(t)
	post := func(target, token string, header map[string]string, remote string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(url.Values{"t": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		if remote != "" {
			req.RemoteAddr = remote
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	token := link(t, db, "2", now)
	for name, rec := range map[string]*httptest.ResponseRecorder{
		"plain http":            post("http://hailong.example/login", token, nil, ""),
		"plain http, by Origin": post("http://hailong.example/login", token, map[string]string{"Origin": "http://hailong.example"}, ""),
		// A client's own X-Forwarded-Proto is not believed.
		"forwarded proto from afar": post("http://hailong.example/login", token, map[string]string{"X-Forwarded-Proto": "https"}, ""),
	} {
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "https://") || !strings.Contains(rec.Body.String(), "chưa bị dùng") {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body.String())
		}
	}
	// The link was not spent.
	if rec := post("https://hailong.example/login", token, nil, ""); rec.Code != http.StatusSeeOther {
		t.Errorf("the link over https after the refusals: %d %s", rec.Code, rec.Body.String())
	}
	// (Five links an hour a person: the three staff members share them.)
	for name, rec := range map[string]*httptest.ResponseRecorder{
		"http on localhost": post("http://localhost:8080/login", link(t, db, "2", now), map[string]string{"Origin": "http://localhost:8080"}, "127.0.0.1:5000"),
		"http on 127.0.0.1": post("http://127.0.0.1:8080/login", link(t, db, "2", now), nil, "127.0.0.1:5000"),
		"http on [::1]":     post("http://[::1]:8080/login", link(t, db, "3", now), nil, "[::1]:5000"),
		"the proxy's https": post("http://hailong.example/login", link(t, db, "3", now), map[string]string{"X-Forwarded-Proto": "https"}, "127.0.0.1:5000"),
		"https by Origin":   post("http://hailong.example/login", link(t, db, "1", now), map[string]string{"Origin": "https://hailong.example"}, "127.0.0.1:5000"),
	} {
		if rec.Code != http.StatusSeeOther {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body.String())
		}
	}
}

// TestOriginBehindAProxy: behind a reverse proxy that rewrites Host (to
// the dashboard's listen address), a POST whose Origin is the configured
// public address is the dashboard's own; another site's is refused and
// logged, saying what it was compared with.
func TestOriginBehindAProxy(t *testing.T) {
	var logged syncBuffer
	db, h, _ := fixture(t, func(c *web.Config) { c.Log = slog.New(slog.NewTextHandler(&logged, nil)) })
	proxied := func(method, path, origin string, form url.Values, cookie *http.Cookie) *httptest.ResponseRecorder {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, body)
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("X-Forwarded-Proto", "https")
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := proxied(http.MethodPost, "/login", "https://hailong.example", url.Values{"t": {link(t, db, "2", now)}}, nil)
	if rec.Code != http.StatusSeeOther || len(rec.Result().Cookies()) == 0 {
		t.Fatalf("sign-in through the proxy: %d %s", rec.Code, rec.Body.String())
	}
	cookie := &http.Cookie{Name: web.CookieName, Value: rec.Result().Cookies()[0].Value}
	csrf := between(proxied(http.MethodGet, "/sessions", "", nil, cookie).Body.String(), `name="csrf" value="`, `"`)
	if rec := proxied(http.MethodPost, "/logout", "https://hailong.example:443", url.Values{"csrf": {csrf}}, cookie); rec.Code != http.StatusSeeOther {
		t.Errorf("a POST through the proxy: %d %s", rec.Code, rec.Body.String())
	}
	if logged.String() != "" {
		t.Errorf("logged: %s", logged.String())
	}
	if rec := proxied(http.MethodPost, "/login", "https://evil.example", url.Values{"t": {link(t, db, "2", now)}}, nil); rec.Code != http.StatusForbidden {
		t.Errorf("another site's POST: %d", rec.Code)
	}
	for _, want := range []string{"Origin", "origin=https://evil.example", "host=127.0.0.1:8080", "url=https://hailong.example"} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("the refusal's log lacks %q: %s", want, logged.String())
		}
	}
}

// syncBuffer is a buffer a logger and a test share.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSignInRateLimited: one address trying links is slowed down.
func TestSignInRateLimited(t *testing.T) {
	_, h, _ := fixture(t)
	limited := false
	for range 30 {
		rec := do(h, http.MethodPost, "/login", url.Values{"t": {"guess"}}, nil, "203.0.113.9:5555")
		limited = limited || rec.Code == http.StatusTooManyRequests
	}
	if !limited {
		t.Error("30 attempts from one address were never refused")
	}
	if rec := do(h, http.MethodPost, "/login", url.Values{"t": {"guess"}}, nil, "198.51.100.1:4444"); rec.Code == http.StatusTooManyRequests {
		t.Error("another address is refused too")
	}
	// Behind the reverse proxy on the same host: by the address it
	// forwards, not its own; a client's own X-Forwarded-For is not
	// believed.
	proxied := func(forwarded string) int {
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader("t=guess"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", forwarded)
		req.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	limited = false
	for range 30 {
		limited = limited || proxied("192.0.2.7") == http.StatusTooManyRequests
	}
	if !limited || proxied("192.0.2.8") == http.StatusTooManyRequests {
		t.Error("proxied clients are not limited one by one")
	}
	if rec := do(h, http.MethodPost, "/login", url.Values{"t": {"guess"}}, nil, "203.0.113.9:5555"); rec.Code != http.StatusTooManyRequests {
		t.Error("a limited client got through")
	}
}

// TestSessionsListed: an admin lists everyone's sessions and may end any;
// others see and end only their own.
func TestSessionsListed(t *testing.T) {
	db, h, _ := fixture(t)
	admin := signIn(t, h, link(t, db, "1", now))
	principal := signIn(t, h, link(t, db, "2", now))
	staff := signIn(t, h, link(t, db, "3", now))
	all := do(h, http.MethodGet, "/sessions", nil, admin, "").Body.String()
	for _, who := range []string{"telegram:1", "telegram:2", "telegram:3"} {
		if !strings.Contains(all, who) {
			t.Errorf("the admin's list lacks %s", who)
		}
	}
	mine := do(h, http.MethodGet, "/sessions", nil, principal, "").Body.String()
	if strings.Contains(mine, "telegram:3") || strings.Contains(mine, "telegram:1") {
		t.Error("a principal sees others' sessions")
	}
	// The principal cannot end the staff member's session; the admin can.
	staffHash := flows.WebTokenHash(staff.Value)
	csrf := between(mine, `name="csrf" value="`, `"`)
	if rec := do(h, http.MethodPost, "/sessions/end", url.Values{"csrf": {csrf}, "session": {staffHash}}, principal, ""); rec.Code != http.StatusForbidden {
		t.Errorf("a principal ended another's session: %d", rec.Code)
	}
	csrf = between(all, `name="csrf" value="`, `"`)
	if rec := do(h, http.MethodPost, "/sessions/end", url.Values{"csrf": {csrf}, "session": {staffHash}}, admin, ""); rec.Code != http.StatusSeeOther {
		t.Errorf("the admin could not end a session: %d", rec.Code)
	}
	if rec := do(h, http.MethodGet, "/", nil, staff, ""); rec.Code != http.StatusSeeOther {
		t.Errorf("an ended session still opens pages: %d", rec.Code)
	}
	trail, _ := db.AuditTrail(50)
	found := false
	for _, a := range trail {
		found = found || (a.Action == "web.end" && a.Record == "telegram:3" && a.Actor == "telegram:1" && a.Via == "web")
	}
	if !found {
		t.Errorf("ending a session is not in the audit log: %+v", trail)
	}
}

// TestEndOwnSessionOnly: a principal asking to end a staff member's
// session is refused and the session stays open; ending their own signs
// them out.
func TestEndOwnSessionOnly(t *testing.T) {
	db, h, _ := fixture(t)
	principal := signIn(t, h, link(t, db, "2", now))
	staff := signIn(t, h, link(t, db, "3", now))
	csrf := between(do(h, http.MethodGet, "/sessions", nil, principal, "").Body.String(), `name="csrf" value="`, `"`)
	end := func(hash string) *httptest.ResponseRecorder {
		return do(h, http.MethodPost, "/sessions/end", url.Values{"csrf": {csrf}, "session": {hash}}, principal, "")
	}
	if rec := end(flows.WebTokenHash(staff.Value)); rec.Code != http.StatusForbidden {
		t.Errorf("a principal ending another's session: %d", rec.Code)
	}
	if rec := do(h, http.MethodGet, "/", nil, staff, ""); rec.Code != http.StatusOK {
		t.Errorf("the refused session no longer opens pages: %d", rec.Code)
	}
	if rec := end(flows.WebTokenHash(principal.Value)); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Errorf("a principal ending their own session: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if rec := do(h, http.MethodGet, "/", nil, principal, ""); rec.Code != http.StatusSeeOther {
		t.Errorf("an ended session still opens pages: %d", rec.Code)
	}
	if _, ok, err := db.WebSession(staff.Value, now); err != nil || !ok {
		t.Errorf("the staff member's session: %v, %v", ok, err)
	}
}

// TestScope: a unit's staff member sees their unit and its schools, a
// principal their school alone; every answer carries the CSP.
func TestScope(t *testing.T) {
	db, h, _ := fixture(t)
	staff := signIn(t, h, link(t, db, "3", now))
	principal := signIn(t, h, link(t, db, "2", now))
	cases := []struct {
		who  *http.Cookie
		path string
		want int
	}{
		{staff, "/", 200}, {staff, "/unit/x1", 200}, {staff, "/unit/so", 403}, {staff, "/school/S2", 200},
		{staff, "/export?unit=x1", 200}, {staff, "/export?unit=so", 403},
		{principal, "/", 200}, {principal, "/school/S1", 200}, {principal, "/school/S2", 403}, {principal, "/unit/x1", 403},
		{principal, "/complaints?school=S2", 403}, {principal, "/export?school=S2", 403}, {principal, "/export?school=S1&format=csv", 200},
		{principal, "/complaints/1", 403},
	}
	for _, c := range cases {
		rec := do(h, http.MethodGet, c.path, nil, c.who, "")
		if rec.Code != c.want {
			t.Errorf("%s: %d, want %d", c.path, rec.Code, c.want)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'none'") {
			t.Errorf("%s: CSP %q", c.path, csp)
		}
	}
	if rec := do(h, http.MethodGet, "/", nil, nil, ""); rec.Code != http.StatusSeeOther {
		t.Errorf("no cookie: %d", rec.Code)
	}
	if rec := do(h, http.MethodGet, "/", nil, &http.Cookie{Name: web.CookieName, Value: "forged"}, ""); rec.Code != http.StatusSeeOther {
		t.Errorf("a forged cookie: %d", rec.Code)
	}
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}

// TestWideReportsCached: a scope of 100 schools or more is read once a
// minute, and the page says when.
func TestWideReportsCached(t *testing.T) {
	d := &flows.Directory{
		Admins:  []string{"telegram:1"},
		Offices: []flows.Office{{ID: "so", Name: "Sở GDĐT"}},
		Waves:   []flows.Wave{{ID: "w1", Title: "Học kì I", Start: now.AddDate(0, -2, 0), End: now.AddDate(0, 2, 0)}},
	}
	for i := range 120 {
		d.Schools = append(d.Schools, flows.School{Code: "S" + strings.Repeat("0", 3-len(itoa(i))) + itoa(i), Name: "Trường " + itoa(i), Level: flows.Primary, Office: "so"})
	}
	eng, err := flows.New(flows.Settings{Questionnaire: flows.DefaultQuestionnaire(), Directory: d, SessionExpiry: time.Hour,
		ClassSizeCaps: map[flows.Level]int{flows.Primary: 35}, WebURL: "https://hailong.example", Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "h.db"), store.Options{Engine: eng, Secret: []byte("test secret, 32 characters long!"),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := now
	h, err := web.New(web.Config{Store: db, Engine: eng, Job: &digest.Job{Store: db, Engine: eng, MinRespondents: 5, FlagBelow: 70},
		Now: func() time.Time { return clock }, MinRespondents: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Settle()
	admin := signIn(t, h, link(t, db, "1", now))
	readAt := func() string {
		return between(do(h, http.MethodGet, "/", nil, admin, "").Body.String(), "số liệu lúc ", " ")
	}
	at := func(sec int, want string) {
		t.Helper()
		clock = now.Add(time.Duration(sec) * time.Second)
		if got := readAt(); got != want {
			t.Errorf("%d s on: read at %q, want %s", sec, got, want)
		}
		h.Settle()
	}
	at(0, "09:00:00")
	at(20, "09:00:00")  // cached
	at(50, "09:00:00")  // cached, and read again in the background
	at(55, "09:00:50")  // what was read again
	at(200, "09:03:20") // too old: read before the page
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestExportLinks: a page's export links carry its unit or school and its
// period, and give the workbook of that scope.
func TestExportLinks(t *testing.T) {
	db, h, _ := fixture(t)
	staff := signIn(t, h, link(t, db, "3", now))
	for page, want := range map[string]string{
		"/unit/x1?from=2026-10-01&to=2026-11-20":   "/export?unit=x1&amp;from=2026-10-01&amp;to=2026-11-20",
		"/school/S2?from=2026-10-01&to=2026-11-20": "/export?school=S2&amp;from=2026-10-01&amp;to=2026-11-20",
		"/?from=2026-10-01&to=2026-11-20":          "/export?from=2026-10-01&amp;to=2026-11-20",
	} {
		body := strings.ReplaceAll(do(h, http.MethodGet, page, nil, staff, "").Body.String(), "&amp;", "&")
		want = strings.ReplaceAll(want, "&amp;", "&")
		if !strings.Contains(body, `href="`+want+`"`) {
			t.Errorf("%s has no link %s", page, want)
			continue
		}
		rec := do(h, http.MethodGet, want, nil, staff, "")
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), "PK") ||
			!strings.Contains(rec.Header().Get("Content-Disposition"), "bao-cao-2026-10-01_2026-11-20.xlsx") {
			t.Errorf("%s: %d %q", want, rec.Code, rec.Header().Get("Content-Disposition"))
		}
	}
}

// TestExportNamedByReport: an export's file is named by Report.FileName,
// as the chat sends it and `hailong export` saves it, and the audit log
// names the file exported.
func TestExportNamedByReport(t *testing.T) {
	db, h, _ := fixture(t)
	principal := signIn(t, h, link(t, db, "2", now))
	loc := db.Engine().Location()
	from, to := time.Date(2026, 10, 1, 0, 0, 0, 0, loc), time.Date(2026, 11, 21, 0, 0, 0, 0, loc)
	for format, ext := range map[string]string{"csv": ".csv", "xlsx": ".xlsx"} {
		want := (&digest.Report{From: from, To: to, Location: loc}).FileName(digest.FileReport, ext)
		rec := do(h, http.MethodGet, "/export?school=S1&from=2026-10-01&to=2026-11-20&format="+format, nil, principal, "")
		if got := rec.Header().Get("Content-Disposition"); rec.Code != http.StatusOK || got != `attachment; filename="`+want+`"` {
			t.Errorf("%s: %d %q, want %s", format, rec.Code, got, want)
		}
		trail, err := db.AuditTrail(50)
		if err != nil {
			t.Fatal(err)
		}
		if a := trail[0]; a.Action != "export" || a.Record != "Trường Một "+want || a.Via != "web" {
			t.Errorf("%s: the audit log's latest entry: %+v", format, a)
		}
	}
}

// TestTelegramLoginWidget: with the bot's token and name configured, the
// sign-in page offers Telegram's widget (its script allowed on that page
// alone), and its signed answer opens a session for staff only.
func TestTelegramLoginWidget(t *testing.T) {
	const token = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
	_, h, _ := fixture(t, func(c *web.Config) { c.TelegramBot, c.TelegramToken = "hailong_bot", token })
	rec := do(h, http.MethodGet, "/login", nil, nil, "")
	body := rec.Body.String()
	if !strings.Contains(body, `data-telegram-login="hailong_bot"`) || !strings.Contains(body, `data-auth-url="https://hailong.example/login/telegram"`) {
		t.Errorf("no widget on the sign-in page:\n%s", body)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src https://telegram.org") {
		t.Errorf("the sign-in page's CSP: %q", csp)
	}
	signed := func(id string, at time.Time) string {
		q := url.Values{"id": {id}, "first_name": {"Cán bộ"}, "auth_date": {strconv.FormatInt(at.Unix(), 10)}}
		check := "auth_date=" + q.Get("auth_date") + "\nfirst_name=Cán bộ\nid=" + id
		key := sha256.Sum256([]byte(token))
		m := hmac.New(sha256.New, key[:])
		m.Write([]byte(check))
		q.Set("hash", hex.EncodeToString(m.Sum(nil)))
		return "/login/telegram?" + q.Encode()
	}
	rec = do(h, http.MethodGet, signed("3", now.Add(-time.Minute)), nil, nil, "")
	if rec.Code != http.StatusSeeOther || len(rec.Result().Cookies()) == 0 {
		t.Fatalf("the unit's staff member through the widget: %d", rec.Code)
	}
	cookie := rec.Result().Cookies()[0]
	if page := do(h, http.MethodGet, "/", nil, &http.Cookie{Name: cookie.Name, Value: cookie.Value}, ""); page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "UBND xã Một") {
		t.Errorf("their page: %d", page.Code)
	}
	if rec := do(h, http.MethodGet, signed("42", now), nil, nil, ""); rec.Code != http.StatusForbidden {
		t.Errorf("a parent through the widget: %d", rec.Code)
	}
	if rec := do(h, http.MethodGet, strings.Replace(signed("3", now), "id=3", "id=1", 1), nil, nil, ""); rec.Code != http.StatusForbidden {
		t.Errorf("a forged id: %d", rec.Code)
	}
	if rec := do(h, http.MethodGet, signed("3", now.Add(-time.Hour)), nil, nil, ""); rec.Code != http.StatusForbidden {
		t.Errorf("an hour-old answer: %d", rec.Code)
	}
}

// TestScopeReadOnEveryRequest: a principal bound by an invite signs in;
// once an admin revokes them in the chat, their open session opens nothing.
func TestScopeReadOnEveryRequest(t *testing.T) {
	db, h, _ := fixture(t)
	code, _, err := db.CreateInvite("S2", "telegram:1", now)
	if err != nil {
		t.Fatal(err)
	}
	apply := func(user string, in flows.Input) {
		t.Helper()
		env := flows.Envelope{Channel: "telegram", User: user, Chat: user, Input: in}
		if err := db.Apply(flows.Batch{Channel: "telegram", Envelopes: []flows.Envelope{env}}); err != nil {
			t.Fatal(err)
		}
	}
	apply("50", flows.ParseText("/start inv_"+strings.ReplaceAll(code, "-", ""), now))
	cookie := signIn(t, h, link(t, db, "50", now))
	if rec := do(h, http.MethodGet, "/school/S2", nil, cookie, ""); rec.Code != http.StatusOK {
		t.Fatalf("the bound principal's school: %d", rec.Code)
	}
	apply("1", flows.Input{Kind: flows.KindButton, Data: "rv:telegram:50", Now: now})
	for _, path := range []string{"/", "/school/S2", "/complaints"} {
		if rec := do(h, http.MethodGet, path, nil, cookie, ""); rec.Code != http.StatusForbidden {
			t.Errorf("%s after the revocation: %d", path, rec.Code)
		}
	}
}
