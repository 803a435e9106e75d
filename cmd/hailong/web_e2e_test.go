package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"hailong/bot/telegramtest"
	"hailong/flows"
	"hailong/web"
)

// browser starts headless Chromium for a test, or skips the test where it
// is not installed — except in CI, whose .ci/run installs it (the rule of
// startEmulator).
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed: .ci/run installs it (apt-get install chromium)")
		}
		t.Skip("chromium is not installed: apt-get install chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1280, 900), chromedp.Flag("lang", "vi-VN"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// visit opens a page and returns its status, its headers and its text.
func visit(t *testing.T, ctx context.Context, u string) (int, network.Headers, string) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(u))
	if err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatalf("read %s: %v", u, err)
	}
	return int(resp.Status), resp.Headers, text
}

// webLink has u send /web and returns the link the bot answers with.
func (h *harness) webLink(u telegramtest.User) string {
	h.t.Helper()
	h.srv.SendText(u, "/web")
	m := h.expect(u, "/login?t=")
	for _, f := range strings.Fields(m.Text) {
		if strings.Contains(f, "/login?t=") {
			return f
		}
	}
	h.t.Fatalf("no link in %q", m.Text)
	return ""
}

// signIn opens a sign-in link in the browser and presses its button.
func signIn(t *testing.T, ctx context.Context, link string) string {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Navigate(link))
	if err == nil {
		_, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("#signin")))
	}
	text, err2 := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil || err2 != nil {
		t.Fatalf("sign in with %s: %v", link, err)
	}
	return text
}

// sessionCookie is the browser's session cookie, checked for its flags.
func sessionCookie(t *testing.T, ctx context.Context) *http.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == web.CookieName {
			if !c.HTTPOnly || !c.Secure || c.SameSite != network.CookieSameSiteStrict {
				t.Errorf("session cookie: HttpOnly %v, Secure %v, SameSite %v", c.HTTPOnly, c.Secure, c.SameSite)
			}
			return &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	t.Fatalf("no session cookie among %d", len(res.Cookies))
	return nil
}

// post sends a form as another site (or a script) would, with the cookie.
func post(t *testing.T, u string, cookie *http.Cookie, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookie)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestWebDashboard drives the dashboard in headless Chromium against the
// bot and the fake Telegram: sign-in by the link /web gives, every page
// with data, a principal refused another school's pages and actions, an
// action reaching the parent as from the chat, a POST without its CSRF
// token refused, the CSP and cookie flags, the audit log.
func TestWebDashboard(t *testing.T) {
	ctx := browser(t)
	h := newHarness(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.webListener = l
	base := fmt.Sprintf("http://localhost:%d", l.Addr().(*net.TCPAddr).Port)
	f, err := os.OpenFile(h.cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "web: {listen: %q, url: %q}\n", l.Addr().String(), base)
	f.Close()
	h.start()
	h.meet()
	for i := range 2 {
		p := telegramtest.User{ID: int64(5560001 + i), FirstName: "Phụ huynh", LastName: fmt.Sprint(i)}
		h.begin(p, "TH-TV", "Lớp 4")
		h.answerAllSaying(p, 1, "Có", "Sân trường thiếu bóng cây, trưa nắng các cháu không có chỗ chơi.")
	}
	parent := telegramtest.User{ID: 5550201, FirstName: "Lan", LastName: "Nguyễn Thị", Username: "lan_ng"}
	codeTV := h.fileComplaint(parent, "Cơ sở vật chất", "Quạt trần lớp 4B kêu to và rung lắc, các cháu sợ không dám ngồi bàn đầu.", 1, "")
	other := telegramtest.User{ID: 5550202, FirstName: "Minh", LastName: "Lê"}
	codeTD := h.fileComplaintAt(other, "THCS-TD", "Lớp 7", "Cơ sở vật chất", "Sân trường đọng nước mỗi khi mưa, học sinh trượt ngã.", 0, "")
	idTV, _ := flows.ParseComplaintCode(codeTV)
	idTD, _ := flows.ParseComplaintCode(codeTD)

	// Sign-in by link, as the principal of TH-TV: their school's page.
	link := h.webLink(principalTV)
	if !strings.HasPrefix(link, base+"/login?t=") {
		t.Fatalf("link %q is not the dashboard's", link)
	}
	text := signIn(t, ctx, link)
	if !strings.Contains(text, "Trường Tiểu học Trưng Vương") || !strings.Contains(text, "phiếu trả lời") {
		t.Errorf("the principal's first page:\n%s", text)
	}
	cookie := sessionCookie(t, ctx)
	// The link is spent.
	if status, _, _ := visit(t, ctx, link); status != http.StatusOK {
		t.Errorf("the sign-in page answered %d", status)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("#signin"))); err != nil {
		t.Fatal(err)
	}
	text = bodyText(t, ctx)
	if !strings.Contains(text, "đã được dùng") {
		t.Errorf("a used link signed in again:\n%s", text)
	}

	// Every page of their scope, with the CSP on each.
	pages := map[string]string{
		"/":                              "Trưng Vương",
		"/school/TH-TV":                  "Các chỉ số",
		"/complaints":                    codeTV,
		"/complaints?status=all":         codeTV,
		fmt.Sprint("/complaints/", idTV): "Quạt trần lớp 4B",
		"/sessions":                      "phiên này",
	}
	for path, want := range pages {
		status, headers, text := visit(t, ctx, base+path)
		if status != http.StatusOK || !strings.Contains(text, want) {
			t.Errorf("%s: %d, want 200 with %q:\n%s", path, status, want, text)
		}
		csp := fmt.Sprint(headers["Content-Security-Policy"])
		if !strings.Contains(csp, "script-src 'none'") || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		for _, secret := range identity(parent, "") {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows the anonymous parent's %q", path, secret)
			}
		}
		if strings.Contains(text, codeTD) {
			t.Errorf("%s shows another school's complaint %s", path, codeTD)
		}
	}
	// Small-n: two parents answered at TH-TV (min_respondents is 5): no
	// share in the page's text nor in its charts.
	share := regexp.MustCompile(`\d+,\d%`)
	if _, _, text := visit(t, ctx, base+"/school/TH-TV"); share.MatchString(text) || !strings.Contains(text, "chưa đủ mẫu") ||
		strings.Contains(text, "bóng cây") || !strings.Contains(text, "2 góp ý của trường có dưới 5") {
		t.Errorf("the school of two respondents shows shares or comments:\n%s", text)
	}
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("img.chart")).map(i => i.src)`))
	if err != nil || len(charts) < 2 {
		t.Fatalf("charts: %v %d", err, len(charts))
	}
	for _, src := range charts {
		svg, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(src, "data:image/svg+xml;base64,"))
		if err != nil || !strings.Contains(string(svg), "<svg") {
			t.Fatalf("chart %.60q: %v", src, err)
		}
		if m := share.Find(svg); m != nil {
			t.Errorf("a chart of two respondents shows %s", m)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprint(base, "/complaints/", idTV))); err != nil {
		t.Fatal(err)
	}
	photos, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".photos img")).map(i => i.src)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(photos) != 1 {
		t.Fatalf("%d photos shown, want 1", len(photos))
	}
	if status, typ := get(t, photos[0], cookie); status != http.StatusOK || !strings.HasPrefix(typ, "image/") {
		t.Errorf("the photo: %d %s", status, typ)
	}

	// Another school's pages and actions: 403, nothing done.
	for _, path := range []string{"/school/THCS-TD", fmt.Sprint("/complaints/", idTD), "/complaints?school=THCS-TD", "/unit/sadec", "/export?school=THCS-TD"} {
		if status, _, text := visit(t, ctx, base+path); status != http.StatusForbidden || strings.Contains(text, "Sân trường") {
			t.Errorf("%s: %d, want 403:\n%s", path, status, text)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprint(base, "/complaints/", idTV))); err != nil {
		t.Fatal(err)
	}
	csrf, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`input[name="csrf"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := post(t, fmt.Sprint(base, "/complaints/", idTD), cookie, url.Values{"csrf": {csrf}, "verb": {"done"}}); status != http.StatusForbidden {
		t.Errorf("an action on another school's complaint: %d", status)
	}
	// A POST without the CSRF token (or with another's) is refused.
	if status, _ := post(t, fmt.Sprint(base, "/complaints/", idTV), cookie, url.Values{"verb": {"done"}}); status != http.StatusForbidden {
		t.Errorf("a POST without its CSRF token: %d", status)
	}
	if status, _ := post(t, fmt.Sprint(base, "/complaints/", idTV), cookie, url.Values{"verb": {"done"}, "csrf": {strings.Repeat("0", 32)}}); status != http.StatusForbidden {
		t.Errorf("a POST with a wrong CSRF token: %d", status)
	}

	// Acknowledge and reply on the page: the parent is told in Telegram
	// exactly as from the chat; the principal's chat gets nothing.
	beforeTV := h.srv.Activity(principalTV.ID)
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("#act-ack"))); err != nil {
		t.Fatal(err)
	}
	h.expect(parent, flows.T("c.told.acked", codeTV))
	reply := "Nhà trường đã cho thợ kiểm tra quạt lớp 4B chiều nay."
	if _, err := chromedp.RunResponse(ctx, chromedp.SendKeys(chromedp.CSS(`form.act textarea`), reply),
		chromedp.Click(chromedp.CSS("#act-reply"))); err != nil {
		t.Fatal(err)
	}
	text = bodyText(t, ctx)
	h.expect(parent, reply)
	if !strings.Contains(text, reply) || !strings.Contains(text, "Đang xử lý") {
		t.Errorf("the complaint's page after the reply:\n%s", text)
	}
	if got := h.srv.Activity(principalTV.ID); got != beforeTV {
		t.Errorf("the principal's chat changed (%d → %d) for actions taken on the web", beforeTV, got)
	}
	// The queue, read before, shows the change and a complaint filed since.
	third := telegramtest.User{ID: 5550203, FirstName: "Hoa", LastName: "Phạm"}
	codeNew := h.fileComplaintAt(third, "TH-TV", "Lớp 2", "Cơ sở vật chất", "Cổng trường bị gãy bản lề, sáng nay suýt đổ vào học sinh.", 0, "")
	if _, _, text := visit(t, ctx, base+"/complaints"); !strings.Contains(text, codeNew) || !strings.Contains(text, codeTV+"\tTrường Tiểu học Trưng Vương") || !strings.Contains(text, "Đang xử lý") {
		t.Errorf("the queue after the reply and a new complaint:\n%s", text)
	}

	// The admin's /nhatky in the chat shows what was done on the web.
	h.srv.SendText(adminUser, "/nhatky")
	h.expect(adminUser, "ack · "+codeTV+" · web")
	h.stop()
	db := h.openDB()
	trail, err := db.AuditTrail(100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range trail {
		if a.Via == "web" {
			seen[a.Action+" "+a.Record] = true
		}
	}
	for _, want := range []string{"ack " + codeTV, "reply " + codeTV, "reply.text " + codeTV, "view " + codeTV, "web.signin link"} {
		if !seen[want] {
			t.Errorf("audit log has no web %q: %v", want, seen)
		}
	}
}

// get fetches a URL with the session cookie: its status and content type.
func get(t *testing.T, u string, cookie *http.Cookie) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type")
}

func bodyText(t *testing.T, ctx context.Context) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestWebDemo runs `hailong demo --web` and signs in with the link it
// prints, as a newcomer would: the overview, a school page and the
// complaint queue show the demo's data, and fit a phone's width. With
// HAILONG_SCREENSHOTS=1 it writes them to docs/img/ for the README.
func TestWebDemo(t *testing.T) {
	ctx := browser(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var out, errs syncBuffer
	s := &system{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &out, stderr: &errs,
		now: func() time.Time { return time.Date(2026, 11, 26, 9, 0, 0, 0, mustLoc("Asia/Ho_Chi_Minh")) }, webListener: l}
	dctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.run(dctx, []string{"demo", "--web", "--db", filepath.Join(t.TempDir(), "demo.db")}) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("demo: %v\n%s", err, errs.String())
		}
	}()
	var link string
	deadline := time.Now().Add(2 * time.Minute)
	for link == "" && time.Now().Before(deadline) {
		for _, f := range strings.Fields(out.String()) {
			if strings.Contains(f, "/login?t=") {
				link = f
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if link == "" {
		t.Fatalf("demo --web printed no link:\n%s\n%s", out.String(), errs.String())
	}
	base, _, _ := strings.Cut(link, "/login")
	if text := signIn(t, ctx, link); !strings.Contains(text, "Xếp hạng") && !strings.Contains(text, "Các trường") {
		t.Errorf("overview:\n%s", text)
	}
	shots := os.Getenv("HAILONG_SCREENSHOTS") != ""
	pages := []struct{ path, want, file string }{
		{"/", "Các chỉ số", "web-overview.png"},
		{"/school/TH-TRUNGVUONG", "Ngày\tLớp\tGóp ý", "web-school.png"},
		{"/complaints?status=all", "PA-000004", "web-queue.png"},
		{"/complaints/1", "Lịch sử", ""},
		{"/unit/sadec", "Các trường", ""},
	}
	for _, p := range pages {
		status, _, text := visit(t, ctx, base+p.path)
		if status != http.StatusOK || !strings.Contains(text, p.want) {
			t.Errorf("%s: %d, want %q:\n%s", p.path, status, p.want, text)
			continue
		}
		if strings.Contains(text, "Lỗi") {
			t.Errorf("%s shows an error:\n%s", p.path, text)
		}
		imgs, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`Array.from(document.querySelectorAll("img.chart")).map(i => i.naturalWidth)`))
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range imgs {
			if w == 0 {
				t.Errorf("%s: chart %d does not render", p.path, i)
			}
		}
		if shots && p.file != "" {
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "..", "docs", "img", p.file), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// On a phone: nothing wider than the screen.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+p.path)); err != nil {
			t.Fatal(err)
		}
		over, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if err != nil {
			t.Fatal(err)
		}
		if over {
			t.Errorf("%s is wider than a phone's screen", p.path)
		}
		if shots && p.file == "web-school.png" {
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "..", "docs", "img", "web-school-phone.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
