package web_test

import (
	"net/http"
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
	// A parent files a complaint about S1, pressing what the bot shows.
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
	press("Không có ảnh")
	press("ẩn danh")
	press("Gửi phản ánh")
	if _, found, err := db.Complaint(1); err != nil || !found {
		t.Fatalf("the parent's complaint was not filed: %v", err)
	}
	cookie := signIn(t, hq, link(t, db, "2", now))
	page := do(hq, http.MethodGet, "/complaints/1", nil, cookie, "").Body.String()
	csrf := between(page, `name="csrf" value="`, `"`)
	rec := do(hq, http.MethodPost, "/complaints/1", url.Values{"csrf": {csrf}, "verb": {"ack"}}, cookie, "")
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "chưa được thực hiện") {
		t.Errorf("an action the engine refused: %d, said %q", rec.Code, rec.Body.String())
	}
}
