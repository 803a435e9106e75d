package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"hailong/bot/telegramtest"
	"hailong/zalo"
	"hailong/zalo/zalotest"
)

const zaloSecret = "webhook-secret-0123456789"

var (
	zaloParent    = zalotest.User{ID: "9f00000000000001", DisplayName: "Phụ huynh Zalo"}
	zaloPrincipal = zalotest.User{ID: "9f000000000000aa", DisplayName: "Hiệu trưởng THCS Trần Hưng Đạo"}
)

// zaloHarness is the harness with a fake Zalo beside the fake Telegram:
// the same bot serves both.
type zaloHarness struct {
	*harness
	z    *zalotest.Server
	mode string
	ln   net.Listener // webhook mode: where the bot listens
}

func newZaloHarness(t *testing.T, mode string) *zaloHarness {
	t.Helper()
	h := &zaloHarness{harness: newHarness(t), z: zalotest.NewServer(), mode: mode}
	t.Cleanup(h.z.Close)
	cfg, err := os.ReadFile(h.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	section := fmt.Sprintf("zalo:\n  api_base: %q\n  mode: %s\n  poll_timeout: 1s\n"+
		"  limits: {per_second: 1000, per_chat_per_second: 1000, per_chat_burst: 100}\n", h.z.URL(), mode)
	if mode == "webhook" {
		h.z.SetWebhookOptions(zalotest.WebhookOptions{RetryDelay: 20 * time.Millisecond})
		section += "  webhook:\n    path: /zalo\n    url: \"WEBHOOK_URL\"\n"
	}
	text := string(cfg) + section
	// THCS-TD's principal is on Zalo.
	text = strings.Replace(text, fmt.Sprintf(`principals: ["%d"]}`, principalTD.ID),
		fmt.Sprintf(`principals: ["%d", "zalo:%s"]}`, principalTD.ID, zaloPrincipal.ID), 1)
	h.zaloConfig = text
	return h
}

// start runs the bot; in webhook mode on a fresh loopback listener each
// time, whose address is the webhook's URL.
func (h *zaloHarness) start() {
	h.t.Helper()
	text := h.zaloConfig
	if h.mode == "webhook" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			h.t.Fatal(err)
		}
		h.ln = ln
		text = strings.Replace(text, "WEBHOOK_URL", "http://"+ln.Addr().String()+"/zalo", 1)
		h.listener = ln
	}
	if err := os.WriteFile(h.cfgPath, []byte(text), 0o600); err != nil {
		h.t.Fatal(err)
	}
	h.harness.start()
}

// say sends a text as the Zalo user and waits for the bot's newest message
// to them to contain want.
func (h *zaloHarness) say(u zalotest.User, text, want string) zalotest.Message {
	h.t.Helper()
	h.z.Text(u, text)
	return h.zexpect(u, want)
}

func (h *zaloHarness) zexpect(u zalotest.User, want string) zalotest.Message {
	h.t.Helper()
	var last zalotest.Message
	if !h.z.Wait(10*time.Second, func() bool {
		m, ok := h.z.Last(u.ID)
		last = m
		return ok && strings.Contains(m.Text, want)
	}) {
		h.t.Fatalf("the bot's last Zalo message to %s does not contain %q; it is:\n%s\nlog:\n%s", u.ID, want, last.Text, h.stderr.String())
	}
	return last
}

var numbered = regexp.MustCompile(`(?m)^\s*(\d+)\. (.*)$`)

// number is the number a Zalo message gives the option starting with label.
func number(t *testing.T, m zalotest.Message, label string) string {
	t.Helper()
	for _, g := range numbered.FindAllStringSubmatch(m.Text, -1) {
		if strings.HasPrefix(g[2], label) {
			return g[1]
		}
	}
	t.Fatalf("no option %q in:\n%s", label, m.Text)
	return ""
}

// zaloSurvey answers the whole primary-school survey on Zalo, by number
// and by words with and without diacritics, with a number out of range on
// the way.
func (h *zaloHarness) zaloSurvey(u zalotest.User) {
	t := h.t
	t.Helper()
	m := h.say(u, "TRUONG TH-TV", "Anh/chị có đồng ý")
	if !strings.Contains(m.Text, "1. ✅ Đồng ý") || !strings.Contains(m.Text, "3. 🌐 English") {
		t.Errorf("the consent prompt is not numbered:\n%s", m.Text)
	}
	h.say(u, "1", "Trường Tiểu học Trưng Vương")
	h.say(u, "lop 4", "Câu 1/16")
	h.say(u, "co", "Câu 2/16")
	h.say(u, "Có", "Câu 3/16")
	h.say(u, "9", "số thứ tự") // out of range: the same question again
	if m, _ := h.z.Last(u.ID); !strings.Contains(m.Text, "Câu 3/16") {
		t.Errorf("after an out-of-range number the question is not asked again:\n%s", m.Text)
	}
	h.say(u, "khong", "Câu 4/16")
	m = h.say(u, "32", "Câu 5/16")
	h.say(u, number(t, m, "Không"), "Câu 6/16")
	h.say(u, "KHÔNG", "Câu 7/16")
	h.say(u, "1", "Câu 8/16")
	h.say(u, "có ạ", "Câu 9/16")
	h.say(u, "kb", "Câu 10/16")
	for i, a := range []string{"4", "5", "3", "4", "2", "5"} {
		h.say(u, a, fmt.Sprintf("Câu %d/16", 11+i))
	}
	m = h.say(u, "bo qua", "xem lại câu trả lời")
	// The review's numbers are the answers: "5" opens answer 5, and its
	// answer leads back to the review; sending is typed in words.
	if number(t, m, "Năm học này lớp của con có phải học ca ba") != "5" {
		t.Fatalf("answer 5 is not option 5:\n%s", m.Text)
	}
	h.say(u, "5", "Câu 5/16")
	h.say(u, "2", "xem lại câu trả lời")
	h.say(u, "gửi câu trả lời", "✅ Đã ghi nhận")
}

// zaloComplaint files an anonymous complaint as the Zalo parent u, in
// category, with one photo, by numbers; it returns its code.
func (h *zaloHarness) zaloComplaint(u zalotest.User, category, text, photo string) string {
	t := h.t
	t.Helper()
	m := h.say(u, "/phananh", "Phản ánh của anh/chị về việc gì?")
	h.say(u, number(t, m, category), "mô tả vấn đề")
	h.say(u, text, "tối đa 5 ảnh")
	h.z.Image(u, photo, "")
	m = h.zexpect(u, "Đã nhận 1 ảnh")
	m = h.say(u, number(t, m, "Xong (1 ảnh)"), "gửi ẩn danh")
	m = h.say(u, number(t, m, "🕶 Gửi ẩn danh"), "Anh/chị xem lại phản ánh")
	m = h.say(u, number(t, m, "✅ Gửi phản ánh"), "Mã phản ánh của anh/chị: PA-")
	return regexp.MustCompile(`PA-\d{6}`).FindString(m.Text)
}

// TestZaloParentEndToEnd: a Zalo parent (polling, then webhook) answers the survey and
// files a complaint with a photo; the Telegram principal gets it, the
// photo by URL, and their reply comes back to Zalo. The parent restarts in
// the middle of a second survey and goes on where they were.
func TestZaloParentEndToEnd(t *testing.T) {
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) { zaloParentEndToEnd(t, mode) })
	}
}

func zaloParentEndToEnd(t *testing.T, mode string) {
	h := newZaloHarness(t, mode)
	h.start()
	h.meet()
	u := zaloParent
	h.zaloSurvey(u)

	code := h.zaloComplaint(u, "Cơ sở vật chất", "Mái tôn phòng học lớp 4B bị dột, mưa là nước chảy xuống bàn các cháu.",
		"https://cdn.example.vn/zalo/mai-ton.jpg")

	alert := h.expect(principalTV, code)
	if strings.Contains(alert.Text, u.ID) || strings.Contains(alert.Text, u.DisplayName) {
		t.Errorf("the principal's alert names the Zalo parent:\n%s", alert.Text)
	}
	if !h.srv.Wait(10*time.Second, func() bool {
		for _, msg := range h.srv.Messages(principalTV.ID) {
			if msg.Kind == "photo" && strings.Contains(msg.Text, code) {
				return true
			}
		}
		return false
	}) {
		t.Errorf("the principal did not get the parent's photo")
	}
	h.press(principalTV, "✍️ Trả lời")
	h.expect(principalTV, "Thầy/cô gõ nội dung trả lời")
	h.srv.SendText(principalTV, "Nhà trường đã cho thợ lợp lại mái trong tuần này. Cảm ơn anh/chị.")
	h.zexpect(u, "đã cho thợ lợp lại mái")

	// Restart in the middle of the survey: it resumes.
	h.say(u, "/khaosat", "Câu 1/16")
	h.say(u, "co", "Câu 2/16")
	h.stop()
	h.start()
	h.say(u, "khong", "Câu 3/16")

	h.stop()
	db := h.openDB()
	agg := checkAggregates(t, db, "w1")
	if agg.Respondents["TH-TV"] != 1 {
		t.Errorf("respondents at TH-TV: %v", agg.Respondents)
	}
	if dead, _ := db.DeadLetters(); len(dead) != 0 {
		t.Errorf("dead letters: %+v", dead)
	}
	for _, msg := range h.z.Messages(u.ID) {
		if n := utf8.RuneCountInString(msg.Text); n > 2000 {
			t.Errorf("a Zalo message of %d characters", n)
		}
	}
}

// TestZaloWebhook: the same bot on Zalo's webhook: a parent consents and
// answers through deliveries; a wrong or missing secret gets 403 and
// changes nothing, an oversized body 413, and an update delivered twice is
// applied once.
func TestZaloWebhook(t *testing.T) {
	h := newZaloHarness(t, "webhook")
	h.start()
	u := zaloParent
	h.say(u, "TRUONG TH-TV", "Anh/chị có đồng ý")
	h.say(u, "1", "học lớp nào")
	h.say(u, "4", "Câu 1/16")
	for _, d := range h.z.Deliveries() {
		if d.Secret != zaloSecret {
			t.Errorf("a delivery carried secret %q", d.Secret)
		}
	}
	url := "http://" + h.ln.Addr().String() + "/zalo"
	update := func(id, text string) []byte {
		return fmt.Appendf(nil, `{"event_name":"message.text.received","message":{"message_id":%q,"date":%d,`+
			`"chat":{"id":%q,"chat_type":"PRIVATE"},"from":{"id":%q,"display_name":"x","is_bot":false},"text":%q}}`,
			id, time.Now().UnixMilli(), u.ID, u.ID, text)
	}
	post := func(secret string, body []byte) int {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	before := len(h.z.Messages(u.ID))
	if code := post("", update("forged-1", "co")); code != http.StatusForbidden {
		t.Errorf("no secret: %d, want 403", code)
	}
	if code := post("wrong-secret-000000000", update("forged-2", "co")); code != http.StatusForbidden {
		t.Errorf("wrong secret: %d, want 403", code)
	}
	if code := post(zaloSecret, append(update("big", "co"), bytes.Repeat([]byte(" "), 100<<10)...)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", code)
	}
	if code := post(zaloSecret, []byte(`[1,2,3]`)); code != http.StatusBadRequest {
		t.Errorf("not an update: %d, want 400", code)
	}
	time.Sleep(200 * time.Millisecond) // nothing must follow; give it the chance
	if n := len(h.z.Messages(u.ID)); n != before {
		t.Errorf("refused calls made the bot write %d messages", n-before)
	}
	// Delivered twice (Zalo retried after a lost 200): applied once.
	for range 2 {
		if code := post(zaloSecret, update("dup-1", "co")); code != http.StatusOK {
			t.Fatalf("a good update: %d", code)
		}
	}
	h.zexpect(u, "Câu 2/16")
	time.Sleep(200 * time.Millisecond)
	n := 0
	for _, msg := range h.z.Messages(u.ID) {
		if strings.Contains(msg.Text, "Câu 2/16") || strings.Contains(msg.Text, "Câu 3/16") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("an update delivered twice gave %d replies, want 1", n)
	}
	// A restart keeps the survey where it was.
	h.stop()
	h.start()
	h.say(u, "khong", "Câu 3/16")
	h.stop()
	db := h.openDB()
	dead, _ := db.DeadLetters()
	if len(dead) != 1 || !strings.Contains(dead[0].Raw, "[1,2,3]") {
		t.Errorf("dead letters: %+v, want the body that was not an update", dead)
	}
}

// TestZaloPrincipalLongComplaint: a Telegram parent's long complaint about
// a school whose principal is on Zalo reaches them split under Zalo's 2000
// characters, whole.
func TestZaloPrincipalLongComplaint(t *testing.T) {
	h := newZaloHarness(t, "polling")
	h.start()
	h.z.Text(zaloPrincipal, "/start")
	h.zexpect(zaloPrincipal, "phản ánh")
	parent := telegramtest.User{ID: 6900001, FirstName: "PH"}
	long := string([]rune(strings.Repeat("Căng tin bán đồ ăn không rõ nguồn gốc, các cháu bị đau bụng. ", 40))[:1990])
	h.fileComplaintAt(parent, "THCS-TD", "Lớp 7", "Khác", long, 0, "")
	if !h.z.Wait(10*time.Second, func() bool {
		var all strings.Builder
		for _, m := range h.z.Messages(zaloPrincipal.ID) {
			all.WriteString(m.Text + "\n") // a cut drops the space it was made at
		}
		return strings.Contains(strings.Join(strings.Fields(all.String()), " "), strings.Join(strings.Fields(long), " "))
	}) {
		t.Fatalf("the Zalo principal did not get the whole complaint; log:\n%s", h.stderr.String())
	}
	parts := 0
	for _, m := range h.z.Messages(zaloPrincipal.ID) {
		if n := utf8.RuneCountInString(m.Text); n > 2000 {
			t.Errorf("a Zalo message of %d characters", n)
		}
		parts++
	}
	if parts < 3 {
		t.Errorf("%d messages to the Zalo principal; the card should have been split", parts)
	}
}

// TestZaloOfficeGroupReport: an office whose chat is a Zalo group asks for
// a report there; it arrives as text (Zalo's bot API sends no files, so
// the chart and the workbook are named with where to get them), each part
// under 2000 characters.
func TestZaloOfficeGroupReport(t *testing.T) {
	h := newZaloHarness(t, "polling")
	group := h.z.NewGroup()
	h.zaloConfig = strings.Replace(h.zaloConfig, fmt.Sprintf(`chat_id: "%d"`, officeChat), fmt.Sprintf(`chat_id: "zalo:%s"`, group), 1)
	h.start()
	h.zaloSurvey(zaloParent)
	if log := h.stderr.String(); !strings.Contains(log, "an office's chat is a Zalo group") || !strings.Contains(log, "zalo:"+group) {
		t.Errorf("no warning that Zalo groups are coming soon:\n%s", log)
	}
	staff := zalotest.User{ID: "9f000000000000bb", DisplayName: "Chuyên viên"}
	h.z.GroupMention(group, staff, "/baocao")
	if !h.z.Wait(10*time.Second, func() bool {
		for _, m := range h.z.Messages(group) {
			if strings.Contains(m.Text, "chỉ gửi được qua Telegram") {
				return true
			}
		}
		return false
	}) {
		var got []string
		for _, m := range h.z.Messages(group) {
			got = append(got, m.Text)
		}
		t.Fatalf("the Zalo group got no report with the files named; it got:\n%s\nlog:\n%s", strings.Join(got, "\n---\n"), h.stderr.String())
	}
	report := false
	for _, m := range h.z.Messages(group) {
		report = report || strings.Contains(m.Text, "Trường Tiểu học Trưng Vương")
		if n := utf8.RuneCountInString(m.Text); n > 2000 {
			t.Errorf("a Zalo message of %d characters", n)
		}
	}
	if !report {
		t.Errorf("the report does not name the school that was answered")
	}
}

// TestZaloAlone: without TELEGRAM_BOT_TOKEN the bot serves Zalo alone; a
// school code typed alone picks the school, before consent and from the
// menu.
func TestZaloAlone(t *testing.T) {
	h := newZaloHarness(t, "polling")
	h.noTelegram = true
	h.start()
	u := zaloParent
	h.say(u, "th-tv", "Anh/chị có đồng ý")
	h.say(u, "dong y", "Trường Tiểu học Trưng Vương")
	h.say(u, "/cancel", "Anh/chị muốn làm gì?")
	h.say(u, "THCS-TD", "Trường THCS Trần Hưng Đạo")
	h.stop()
	for _, c := range h.srv.Calls() {
		if c.Method != "" {
			t.Fatalf("the bot called Telegram (%s) without a Telegram token", c.Method)
		}
	}
	if !strings.Contains(h.stderr.String(), "serving Zalo") || strings.Contains(h.stderr.String(), "polling Telegram") {
		t.Errorf("log:\n%s", h.stderr.String())
	}
}

// TestZaloFloodControl: a Zalo user sending faster than the flood limit
// gets 20 answers and one warning, then is ignored for a while; another
// parent is answered meanwhile.
func TestZaloFloodControl(t *testing.T) {
	h := newZaloHarness(t, "polling")
	h.zaloConfig = strings.Replace(h.zaloConfig, "flood: {updates: 1000", "flood: {updates: 20", 1)
	h.start()
	flooder := zalotest.User{ID: "9f00000000000f10", DisplayName: "Nhanh"}
	for i := range 30 {
		h.z.Text(flooder, fmt.Sprintf("xin chào %d", i))
	}
	h.say(zaloParent, "/start", "Anh/chị có đồng ý")
	h.z.Wait(5*time.Second, func() bool { return h.z.Pending() == 0 })
	time.Sleep(300 * time.Millisecond) // the last answers go out
	warnings, replies := 0, 0
	for _, m := range h.z.Messages(flooder.ID) {
		replies++
		if strings.Contains(m.Text, "gửi nhanh quá") {
			warnings++
		}
	}
	if warnings != 1 || replies != 21 {
		t.Errorf("the flooder got %d replies with %d warnings, want 20 answers and 1 warning", replies, warnings)
	}
}

// TestZaloPrincipalGetsTelegramPhotos: a Telegram parent's complaint photos
// reach the school's principal on Zalo — on the webhook as photos at an
// address of the bot's (which answers with the Telegram photo, and only
// for what it relays), on polling, with no address Zalo could fetch, as a
// note.
func TestZaloPrincipalGetsTelegramPhotos(t *testing.T) {
	for _, mode := range []string{"webhook", "polling"} {
		t.Run(mode, func(t *testing.T) {
			h := newZaloHarness(t, mode)
			h.start()
			h.z.Text(zaloPrincipal, "/start")
			h.zexpect(zaloPrincipal, "phản ánh")
			parent := telegramtest.User{ID: 6900002, FirstName: "PH"}
			h.fileComplaintAt(parent, "THCS-TD", "Lớp 7", "Cơ sở vật chất", "Mái tôn phòng học lớp 7A bị dột, nước chảy xuống bàn học khi mưa.", 2, "")
			var sent []string // the photos' file ids, in order
			for _, m := range h.srv.Messages(parent.ID) {
				if !m.FromBot && m.Kind == "photo" {
					sent = append(sent, m.FileID)
				}
			}

			if mode == "polling" {
				h.zexpect(zaloPrincipal, "chỉ xem được trên Telegram")
				for _, m := range h.z.Messages(zaloPrincipal.ID) {
					if m.Kind == "photo" {
						t.Errorf("a photo Zalo cannot fetch was sent as %q", m.PhotoURL)
					}
				}
				return
			}
			var photos []zalotest.Message
			if !h.z.Wait(10*time.Second, func() bool {
				photos = photos[:0]
				for _, m := range h.z.Messages(zaloPrincipal.ID) {
					if m.Kind == "photo" {
						photos = append(photos, m)
					}
				}
				return len(photos) == 2
			}) {
				t.Fatalf("the Zalo principal got %d photos; log:\n%s", len(photos), h.stderr.String())
			}
			base := "http://" + h.ln.Addr().String() + "/zalo/media/"
			for i, m := range photos {
				if !strings.HasPrefix(m.PhotoURL, base) || !strings.Contains(m.Text, "PA-") {
					t.Fatalf("photo %d: %q at %q", i+1, m.Text, m.PhotoURL)
				}
				want, _ := h.srv.FileData(sent[i])
				resp, err := http.Get(m.PhotoURL)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !bytes.Equal(got, want) || resp.Header.Get("Content-Type") != "image/jpeg" {
					t.Errorf("photo %d at its address: %d %s %q; want the Telegram photo %q", i+1, resp.StatusCode, resp.Header.Get("Content-Type"), got, want)
				}
			}
			for _, u := range []string{base + "0123456789abcdef0123456789abcdef", base, "http://" + h.ln.Addr().String() + "/zalo/media"} {
				resp, err := http.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode == 200 {
					t.Errorf("GET %s answered 200; only relayed photos are served", u)
				}
			}
			if resp, err := http.Post(photos[0].PhotoURL, "text/plain", strings.NewReader("x")); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("POST to a photo's address: %v %v", resp.StatusCode, err)
			}
			// Zalo refusing the relayed photo for good (it could not
			// fetch it): the text still goes, with the note.
			h.z.Inject(func(method string, _ map[string]string) *zalotest.Fault {
				if method == "sendPhoto" {
					return &zalotest.Fault{Status: 400, Description: "Bad Request: cannot download the photo"}
				}
				return nil
			})
			h.fileComplaintAt(telegramtest.User{ID: 6900003, FirstName: "PH"}, "THCS-TD", "Lớp 6", "Cơ sở vật chất",
				"Quạt trần phòng 6B bị lỏng ốc, lắc mạnh khi quay, rất nguy hiểm.", 1, "")
			h.zexpect(zaloPrincipal, "chỉ xem được trên Telegram")
			h.stop()
		})
	}
}

// TestZaloStopFinishesTheSendInFlight: stopped while Zalo is taking a
// message, the bot waits for the answer and marks it sent: nothing is left
// queued to be sent again after the restart.
func TestZaloStopFinishesTheSendInFlight(t *testing.T) {
	h := newZaloHarness(t, "polling")
	h.z.Inject(func(method string, _ map[string]string) *zalotest.Fault {
		if method == "sendMessage" {
			return &zalotest.Fault{Delay: 700 * time.Millisecond}
		}
		return nil
	})
	h.start()
	h.z.Text(zaloParent, "/start")
	if !h.z.Wait(10*time.Second, func() bool {
		for _, c := range h.z.Calls() {
			if c.Method == "sendMessage" {
				return true
			}
		}
		return false
	}) {
		t.Fatal("nothing was sent")
	}
	h.stop() // while the fake holds the request
	if n := len(h.z.Messages(zaloParent.ID)); n != 1 {
		t.Fatalf("%d messages to the parent after the stop; want the one in flight", n)
	}
	db := h.openDB()
	if rows, _ := db.Pending("zalo", 10); len(rows) != 0 {
		t.Errorf("%d rows still queued: the message Zalo took would go again", len(rows))
	}
	db.Close()
}

// TestWarnsOfUnservedRecipients: a principal on Zalo in a bot that serves
// only Telegram is named at start: their alerts would wait unseen.
func TestWarnsOfUnservedRecipients(t *testing.T) {
	h := newHarness(t)
	cfg, err := os.ReadFile(h.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(cfg), fmt.Sprintf(`principals: ["%d"]}`, principalTD.ID),
		fmt.Sprintf(`principals: ["%d", "zalo:%s"]}`, principalTD.ID, zaloPrincipal.ID), 1)
	if err := os.WriteFile(h.cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.stop()
	log := h.stderr.String()
	if !strings.Contains(log, "does not serve") || !strings.Contains(log, "zalo:"+zaloPrincipal.ID) || !strings.Contains(log, "schools[THCS-TD].principals") {
		t.Errorf("no warning naming the Zalo principal:\n%s", log)
	}
	if strings.Contains(log, fmt.Sprintf("telegram:%d", principalTD.ID)) {
		t.Errorf("a Telegram principal was named as unserved:\n%s", log)
	}
}

// TestZaloWebhookOnFileLogged: at start the bot asks Zalo what webhook it
// has on file (getWebhookInfo) and says so: the URL and whether a secret is
// set; polling over a webhook left on file warns and deletes it.
func TestZaloWebhookOnFileLogged(t *testing.T) {
	t.Run("webhook", func(t *testing.T) {
		h := newZaloHarness(t, "webhook")
		h.start()
		h.say(zaloParent, "/start", "Anh/chị có đồng ý")
		// The webhook serves while the bot asks Zalo what it has on file:
		// a parent may be answered first (under -race in CI they were, and
		// stopping then cancelled the question).
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !strings.Contains(h.stderr.String(), "Zalo's webhook on file"); {
			time.Sleep(10 * time.Millisecond)
		}
		h.stop()
		log := h.stderr.String()
		want := "url=http://" + h.ln.Addr().String() + "/zalo"
		if !strings.Contains(log, "Zalo's webhook on file") || !strings.Contains(log, want) || !strings.Contains(log, `secret="set`) {
			t.Errorf("the log does not say what Zalo has on file (%s, a secret):\n%s", want, log)
		}
	})
	t.Run("polling over a webhook", func(t *testing.T) {
		h := newZaloHarness(t, "polling")
		c := &zalo.Client{Base: h.z.URL(), Token: zalotest.Token}
		if err := c.SetWebhook(t.Context(), "https://truong.example/zalo", "secret-0123456789"); err != nil {
			t.Fatal(err)
		}
		h.start()
		h.say(zaloParent, "/start", "Anh/chị có đồng ý") // polling works: the webhook went
		h.stop()
		log := h.stderr.String()
		if !strings.Contains(log, "Zalo has a webhook on file") || !strings.Contains(log, "url=https://truong.example/zalo") {
			t.Errorf("no warning of the webhook on file:\n%s", log)
		}
	})
	t.Run("webhook mode, none set", func(t *testing.T) {
		h := newZaloHarness(t, "webhook")
		h.zaloConfig = strings.Replace(h.zaloConfig, `    url: "WEBHOOK_URL"`+"\n", "", 1)
		h.start()
		time.Sleep(300 * time.Millisecond)
		h.stop()
		if log := h.stderr.String(); !strings.Contains(log, "Zalo has no webhook on file") || !strings.Contains(log, `secret=none`) {
			t.Errorf("no warning that Zalo has no webhook:\n%s", log)
		}
	})
}
