package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"hailong/flows"
	"hailong/store"
	"hailong/web"
)

// quietStore applies nothing: the engine refusing an action (the complaint
// changed, or the person's rights did, after the page checked them).
type quietStore struct{ *store.DB }

func (quietStore) Apply(flows.Batch) error { return nil }

// TestRefusedActionIsSaid: an action the engine does not take is told as
// such on the page, not reported done.
func TestRefusedActionIsSaid(t *testing.T) {
	db, hq, _ := fixture(t, func(c *web.Config) { c.Store = quietStore{c.Store.(*store.DB)} })
	fileComplaint(t, db)
	cookie := signIn(t, hq, link(t, db, "2", now))
	page := do(hq, http.MethodGet, "/complaints/1", nil, cookie, "").Body.String()
	csrf := between(page, `name="csrf" value="`, `"`)
	rec := do(hq, http.MethodPost, "/complaints/1", url.Values{"csrf": {csrf}, "verb": {"ack"}}, cookie, "")
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "chưa được thực hiện") {
		t.Errorf("an action the engine refused: %d, said %q", rec.Code, rec.Body.String())
	}
}

// racingStore applies a dashboard's batch, then, before the page reads
// anything more, what happened meanwhile in the chat.
type racingStore struct {
	*store.DB
	meanwhile func()
}

func (s racingStore) Apply(b flows.Batch) error {
	if err := s.DB.Apply(b); err != nil {
		return err
	}
	if len(b.Envelopes) == 1 && b.Envelopes[0].Web {
		s.meanwhile()
	}
	return nil
}

// TestRefusedActionRacingAChange: an action the engine did not take is
// said as such even when the complaint changed in the chat just after
// (the principal acknowledged it): the page goes by what the engine made
// of the press, not by whether the complaint's history grew.
func TestRefusedActionRacingAChange(t *testing.T) {
	var db *store.DB
	ack := func() {
		c, _, err := db.Complaint(1)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range flows.StaffActions(c, []string{"S1"}) {
			if a.Name == "ack" {
				env := flows.Envelope{Channel: "telegram", User: "2", Chat: "2", CallbackID: "cb", MessageRef: "9",
					Input: flows.Input{Kind: flows.KindButton, Data: a.Data, Now: now.Add(time.Hour)}}
				if err := db.Apply(flows.Batch{Channel: "telegram", Envelopes: []flows.Envelope{env}}); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
		t.Fatal("no acknowledgement for the principal")
	}
	db, hq, _ := fixture(t, func(c *web.Config) { c.Store = racingStore{DB: c.Store.(*store.DB), meanwhile: ack} })
	fileComplaint(t, db)
	staff := signIn(t, hq, link(t, db, "3", now))
	page := do(hq, http.MethodGet, "/complaints/1", nil, staff, "").Body.String()
	csrf := between(page, `name="csrf" value="`, `"`)
	rec := do(hq, http.MethodPost, "/complaints/1", url.Values{"csrf": {csrf}, "verb": {"move"}, "text": {"S9"}}, staff, "")
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "«S9» không phải mã của một trường") {
		t.Errorf("a move the engine refused, the complaint acknowledged meanwhile: %d %s", rec.Code, rec.Body.String())
	}
	if c, _, err := db.Complaint(1); err != nil || c.School != "S1" || c.Status != flows.StatusAcked {
		t.Fatalf("the complaint: %+v, %v", c, err)
	}
}

// fileComplaint has a parent file a complaint about S1 (PA-000001),
// pressing what the bot shows them.
func fileComplaint(t *testing.T, db *store.DB) { fileComplaintWith(t, db) }

// fileComplaintWith is fileComplaint with photos sent, by their channel
// references.
func fileComplaintWith(t *testing.T, db *store.DB, photos ...string) {
	t.Helper()
	parent, at := "77", now
	send := func(in flows.Input) {
		at = at.Add(time.Second)
		in.Now = at
		env := flows.Envelope{Channel: "telegram", User: parent, Chat: parent, Input: in}
		if in.Kind == flows.KindButton {
			env.CallbackID, env.MessageRef = "cb", "1"
		}
		if err := db.Apply(flows.Batch{Channel: "telegram", Envelopes: []flows.Envelope{env}}); err != nil {
			t.Fatal(err)
		}
	}
	press := func(label string) {
		rows, err := db.Pending("telegram", 5000)
		if err != nil {
			t.Fatal(err)
		}
		for i := len(rows) - 1; i >= 0; i-- {
			if rows[i].Chat != parent {
				continue
			}
			for _, row := range rows[i].Reply.Buttons {
				for _, b := range row {
					if strings.Contains(b.Label, label) {
						send(flows.Input{Kind: flows.KindButton, Data: b.Data})
						return
					}
				}
			}
		}
		t.Fatalf("no button %q for the parent", label)
	}
	send(flows.ParseText("/start S1", at))
	press("Đồng ý")
	press("Lớp 3")
	send(flows.ParseText("/phananh", at))
	press("Cơ sở vật chất")
	send(flows.ParseText("Quạt trần lớp 3A kêu to và rung lắc, các cháu sợ không dám ngồi bàn đầu.", at))
	if len(photos) == 0 {
		press("Không có ảnh")
	}
	for _, ref := range photos {
		send(flows.Input{Kind: flows.KindPhoto, Photo: ref})
	}
	if len(photos) > 0 {
		press("Xong (")
	}
	press("ẩn danh")
	press("Gửi phản ánh")
	if _, found, err := db.Complaint(1); err != nil || !found {
		t.Fatalf("the parent's complaint was not filed: %v", err)
	}
}

// TestPhotosShownOrCounted: a complaint's page shows the photos the server
// can fetch (by a Telegram file id) and counts the others (a Zalo photo is
// stored by its address, which the server does not fetch) as to be seen in
// the chat, rather than showing them as broken images; without a way to
// fetch photos, all are counted.
func TestPhotosShownOrCounted(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n")
	fetch := func(_ context.Context, ref string) ([]byte, string, error) {
		if strings.Contains(ref, "://") {
			return nil, "", fmt.Errorf("fetched %s", ref)
		}
		return png, "image/png", nil
	}
	photos := []string{"AgACAgUAAxkBAAI-tg-file-1", "https://photo-stal.zadn.vn/2026/11/26/a1b2.jpg", "AgACAgUAAxkBAAI-tg-file-2"}
	db, hq, _ := fixture(t, func(c *web.Config) { c.Photos = fetch })
	fileComplaintWith(t, db, photos...)
	if c, _, err := db.Complaint(1); err != nil || len(c.Photos) != 3 {
		t.Fatalf("the complaint's photos: %+v, %v", c, err)
	}
	cookie := signIn(t, hq, link(t, db, "2", now))
	page := do(hq, http.MethodGet, "/complaints/1", nil, cookie, "").Body.String()
	for _, n := range []string{"0", "2"} {
		if !strings.Contains(page, `<img src="/complaints/1/photo/`+n+`"`) {
			t.Errorf("photo %s is not shown:\n%s", n, page)
		}
		if rec := do(hq, http.MethodGet, "/complaints/1/photo/"+n, nil, cookie, ""); rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" {
			t.Errorf("photo %s: %d %s", n, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	if strings.Contains(page, "/complaints/1/photo/1") {
		t.Error("the Zalo photo is shown as an image the server will not serve")
	}
	if rec := do(hq, http.MethodGet, "/complaints/1/photo/1", nil, cookie, ""); rec.Code != http.StatusNotFound {
		t.Errorf("the Zalo photo served: %d", rec.Code)
	}
	if !strings.Contains(page, "Thêm 1 ảnh khác (xem trong chat).") {
		t.Errorf("the Zalo photo is not counted:\n%s", page)
	}

	db, hq, _ = fixture(t)
	fileComplaintWith(t, db, photos...)
	cookie = signIn(t, hq, link(t, db, "2", now))
	page = do(hq, http.MethodGet, "/complaints/1", nil, cookie, "").Body.String()
	if strings.Contains(page, "/photo/") || !strings.Contains(page, "3 ảnh (xem trong chat).") {
		t.Errorf("without Config.Photos:\n%s", page)
	}
}

// TestMoveOnDashboard: a unit's staff member moves a complaint filed about
// the wrong school from its page, typing the school's code as in the chat
// (a code that is none is refused with the chat's words);
// a principal, whose scope is one school, is not offered the move, and no
// longer sees the complaint once it has gone to another school.
func TestMoveOnDashboard(t *testing.T) {
	db, hq, _ := fixture(t)
	fileComplaint(t, db)
	principal := signIn(t, hq, link(t, db, "2", now))
	if page := do(hq, http.MethodGet, "/complaints/1", nil, principal, "").Body.String(); strings.Contains(page, `id="act-move"`) {
		t.Error("the principal of one school is offered the move")
	}
	staff := signIn(t, hq, link(t, db, "3", now))
	if q := do(hq, http.MethodGet, "/complaints?school=S1", nil, staff, "").Body.String(); !strings.Contains(q, "PA-000001") {
		t.Fatalf("the queue does not list the complaint under S1:\n%s", q)
	}
	page := do(hq, http.MethodGet, "/complaints/1", nil, staff, "").Body.String()
	if !strings.Contains(page, `id="act-move"`) {
		t.Fatalf("the unit's staff are not offered the move:\n%s", page)
	}
	csrf := between(page, `name="csrf" value="`, `"`)
	move := func(code string) *httptest.ResponseRecorder {
		return do(hq, http.MethodPost, "/complaints/1", url.Values{"csrf": {csrf}, "verb": {"move"}, "text": {code}}, staff, "")
	}
	// Not taken: the page says why, as the chat would have.
	if rec := move("S9"); rec.Code == http.StatusSeeOther || !strings.Contains(rec.Body.String(), "«S9» không phải mã của một trường") {
		t.Errorf("a move to a school that does not exist: %d %s", rec.Code, rec.Body.String())
	}
	if rec := move("S2"); rec.Code != http.StatusSeeOther {
		t.Fatalf("the move: %d %s", rec.Code, rec.Body.String())
	}
	c, _, err := db.Complaint(1)
	if err != nil || c.School != "S2" || c.Office != "x1" || c.History[len(c.History)-1].Action != "moved" {
		t.Fatalf("after the move: %+v, %v", c, err)
	}
	// The queue (its cache read before the move) files it under S2 now.
	if q := do(hq, http.MethodGet, "/complaints?school=S2", nil, staff, "").Body.String(); !strings.Contains(q, "PA-000001") {
		t.Error("the queue does not list the moved complaint under its new school")
	}
	if q := do(hq, http.MethodGet, "/complaints?school=S1", nil, staff, "").Body.String(); strings.Contains(q, "PA-000001") {
		t.Error("the queue still lists the moved complaint under its old school")
	}
	if code := do(hq, http.MethodGet, "/complaints/1", nil, principal, "").Code; code == http.StatusOK {
		t.Error("S1's principal still sees the complaint moved to S2")
	}
}
