package zalo

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"hailong/flows"
)

// update builds an update's JSON from an event, the message's extra fields
// and the chat type, and reads it as GetUpdates would.
func update(t *testing.T, event, chatType, extra string) *Update {
	t.Helper()
	if extra != "" {
		extra = "," + extra
	}
	raw := fmt.Sprintf(`{"event_name":%q,"message":{"message_id":"m1","date":1766619597466,
		"chat":{"id":"c1","chat_type":%q},"from":{"id":"u1","display_name":" Chị Lan ","is_bot":false}%s}}`, event, chatType, extra)
	u, err := ParseUpdate([]byte(raw))
	if err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return u
}

func TestDecode(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 30, 0, 0, time.FixedZone("ICT", 7*3600))
	type want = flows.Input
	for _, tc := range []struct {
		name            string
		event, chatType string
		extra           string
		ok              bool
		in              want
	}{
		{"text", EventText, "PRIVATE", `"text":"Rất hài lòng"`, true, want{Kind: flows.KindText, Text: "Rất hài lòng"}},
		{"number", EventText, "PRIVATE", `"text":" 2 "`, true, want{Kind: flows.KindText, Text: " 2 "}},
		{"command", EventText, "PRIVATE", `"text":"/start TH01"`, true, want{Kind: flows.KindCommand, Command: "start", Arg: "TH01", Text: "/start TH01"}},
		{"command with bot name", EventText, "PRIVATE", `"text":"/Menu@hailong"`, true, want{Kind: flows.KindCommand, Command: "menu", Text: "/Menu@hailong"}},
		{"school code", EventText, "PRIVATE", `"text":"TRƯỜNG TH01"`, true, want{Kind: flows.KindCommand, Command: "start", Arg: "TH01", Text: "TRƯỜNG TH01"}},
		{"empty text", EventText, "PRIVATE", `"text":"  "`, true, want{Kind: flows.KindOther, What: "other"}},
		{"no text", EventText, "PRIVATE", ``, true, want{Kind: flows.KindOther, What: "other"}},
		{"photo", EventImage, "PRIVATE", `"photo_url":"https://zalo.example/p.jpg","caption":"lớp 3A"`, true,
			want{Kind: flows.KindPhoto, Photo: "https://zalo.example/p.jpg", Text: "lớp 3A"}},
		{"photo without caption", EventImage, "PRIVATE", `"photo_url":"https://zalo.example/p.jpg"`, true,
			want{Kind: flows.KindPhoto, Photo: "https://zalo.example/p.jpg"}},
		{"photo without url", EventImage, "PRIVATE", `"caption":"x"`, true, want{Kind: flows.KindOther, What: "photo"}},
		{"sticker", EventSticker, "PRIVATE", `"sticker":"abc"`, true, want{Kind: flows.KindOther, What: "sticker"}},
		{"voice", EventVoice, "PRIVATE", ``, true, want{Kind: flows.KindOther, What: "voice"}},
		{"unsupported", EventUnsupported, "PRIVATE", ``, true, want{Kind: flows.KindOther, What: "other"}},
		{"unknown event", "message.location.received", "PRIVATE", `"text":"ignored"`, true, want{Kind: flows.KindOther, What: "other"}},
		// No event_name, as in a copy of the docs' getUpdates sample: the
		// fields tell.
		{"no event, text", "", "PRIVATE", `"text":"x"`, true, want{Kind: flows.KindText, Text: "x"}},
		{"no event, photo", "", "PRIVATE", `"photo":"https://zalo.example/p.jpg"`, true, want{Kind: flows.KindPhoto, Photo: "https://zalo.example/p.jpg"}},
		{"no event, sticker", "", "PRIVATE", `"sticker":"abc"`, true, want{Kind: flows.KindOther, What: "sticker"}},
		{"no event, nothing", "", "PRIVATE", ``, true, want{Kind: flows.KindOther, What: "other"}},
		{"photo field", EventImage, "PRIVATE", `"photo":"https://zalo.example/p.jpg","caption":"lớp 3A"`, true,
			want{Kind: flows.KindPhoto, Photo: "https://zalo.example/p.jpg", Text: "lớp 3A"}},
		{"photo before photo_url", EventImage, "PRIVATE", `"photo":"https://zalo.example/a.jpg","photo_url":"https://zalo.example/b.jpg"`, true,
			want{Kind: flows.KindPhoto, Photo: "https://zalo.example/a.jpg"}},
		{"photo as an object", EventImage, "PRIVATE", `"photo":{"url":"https://zalo.example/o.jpg"}`, true,
			want{Kind: flows.KindPhoto, Photo: "https://zalo.example/o.jpg"}},
		{"photo as an array", EventImage, "PRIVATE", `"photo":[{"width":1},"https://zalo.example/a.jpg"]`, true,
			want{Kind: flows.KindPhoto, Photo: "https://zalo.example/a.jpg"}},
		{"link", EventLink, "PRIVATE", `"text":"https://truong.edu.vn/thong-bao"`, true, want{Kind: flows.KindText, Text: "https://truong.edu.vn/thong-bao"}},
		{"link by url", EventLink, "PRIVATE", `"url":"https://truong.edu.vn/a"`, true, want{Kind: flows.KindText, Text: "https://truong.edu.vn/a"}},
		{"link school code", EventLink, "PRIVATE", `"text":"TRUONG TH01"`, true, want{Kind: flows.KindCommand, Command: "start", Arg: "TH01", Text: "TRUONG TH01"}},
		{"reaction", EventReaction, "PRIVATE", `"text":"❤️"`, false, want{}},
		{"group reaction", EventReaction, "GROUP", ``, false, want{}},
		{"group mention and code", EventText, "GROUP", `"text":"@Bot Hải Long  PA-000012"`, true, want{Kind: flows.KindText, Text: "PA-000012", Group: true}},
		{"group mention and number", EventText, "GROUP", `"text":"@Bot 2"`, true, want{Kind: flows.KindText, Text: "2", Group: true}},
		{"group mention and command", EventText, "GROUP", `"text":"@Bot Hải Long /baocao 01/09/2026"`, true,
			want{Kind: flows.KindCommand, Command: "baocao", Arg: "01/09/2026", Text: "/baocao 01/09/2026", Group: true}},
		{"group mention and chatter", EventText, "GROUP", `"text":"@Lan chiều nay họp nhé"`, false, want{}},
		{"group chatter ending in a number", EventText, "GROUP", `"text":"@Bot Hải Long mai họp lúc 9"`, false, want{}},
		{"group chatter ending in a code", EventText, "GROUP", `"text":"@Bot Hải Long xem giúp PA-000123"`, false, want{}},
		{"private mention kept", EventText, "PRIVATE", `"text":"@Bot 2"`, true, want{Kind: flows.KindText, Text: "@Bot 2"}},
		{"group command", EventText, "GROUP", `"text":"/danhsach"`, true, want{Kind: flows.KindCommand, Command: "danhsach", Text: "/danhsach", Group: true}},
		{"group school code", EventText, "GROUP", `"text":"truong TH01"`, true, want{Kind: flows.KindCommand, Command: "start", Arg: "TH01", Text: "truong TH01", Group: true}},
		{"group chatter", EventText, "GROUP", `"text":"chào cả nhà"`, false, want{}},
		{"group complaint code", EventText, "GROUP", `"text":"pa-000012"`, true, want{Kind: flows.KindText, Text: "pa-000012", Group: true}},
		{"group option number", EventText, "GROUP", `"text":" 3 "`, true, want{Kind: flows.KindText, Text: " 3 ", Group: true}},
		{"group number too long", EventText, "GROUP", `"text":"2026"`, false, want{}},
		{"group photo", EventImage, "GROUP", `"photo_url":"https://zalo.example/p.jpg"`, false, want{}},
		{"group sticker", EventSticker, "GROUP", `"sticker":"abc"`, false, want{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := update(t, tc.event, tc.chatType, tc.extra)
			env, ok := Decode(u, now)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			tc.in.Now, tc.in.Numbered = now, true
			if env.Input != tc.in {
				t.Errorf("Input = %+v\nwant    %+v", env.Input, tc.in)
			}
			if env.Channel != Channel || env.User != "u1" || env.Chat != "c1" || env.MessageRef != "m1" ||
				env.Name != "Chị Lan" || env.CallbackID != "" || env.Raw != string(u.Raw) || env.Raw == "" {
				t.Errorf("envelope = %+v", env)
			}
		})
	}
}

func TestDecodeIgnored(t *testing.T) {
	now := time.Now()
	for name, raw := range map[string]string{
		"from a bot":   `{"event_name":"message.text.received","message":{"message_id":"m","chat":{"id":"c","chat_type":"PRIVATE"},"from":{"id":"b","is_bot":true},"text":"hi"}}`,
		"no from id":   `{"event_name":"message.text.received","message":{"message_id":"m","chat":{"id":"c","chat_type":"PRIVATE"},"from":{"display_name":"x"},"text":"hi"}}`,
		"no from":      `{"event_name":"message.text.received","message":{"message_id":"m","chat":{"id":"c","chat_type":"PRIVATE"},"text":"hi"}}`,
		"no chat id":   `{"event_name":"message.text.received","message":{"message_id":"m","chat":{"chat_type":"PRIVATE"},"from":{"id":"u"},"text":"hi"}}`,
		"chat id null": `{"event_name":"message.text.received","message":{"message_id":"m","chat":{"id":null},"from":{"id":"u"},"text":"hi"}}`,
		"from id bool": `{"event_name":"message.text.received","message":{"message_id":"m","chat":{"id":"c"},"from":{"id":true},"text":"hi"}}`,
		"no message":   `{"event_name":"message.text.received"}`,
		"message text": `{"event_name":"message.text.received","message":"hi"}`,
	} {
		u, err := ParseUpdate([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if env, ok := Decode(u, now); ok {
			t.Errorf("%s: decoded as %+v", name, env)
		}
	}
	if _, ok := Decode(nil, now); ok {
		t.Error("a nil update decoded")
	}
	for _, raw := range []string{`[]`, `"x"`, `null`, `{`, ``} {
		if _, err := ParseUpdate([]byte(raw)); err == nil {
			t.Errorf("ParseUpdate(%q) did not fail", raw)
		}
	}
}

func TestSchoolStart(t *testing.T) {
	// "trường" with its diacritics as combining marks (NFD), as some
	// keyboards send it.
	nfd := "tru\u031bo\u0300ng"
	for _, tc := range []struct {
		text, code string
	}{
		{"TRUONG TH01", "TH01"},
		{"TRƯỜNG TH01", "TH01"},
		{"truong th01", "th01"},
		{"trường th01", "th01"},
		{"Trường THCS-NguyenDu_2", "THCS-NguyenDu_2"},
		{"TrƯờNg x", "x"},
		{"truờng x1", "x1"}, // diacritics half typed
		{"TRUONG: TH01", "TH01"},
		{"truong:TH01", "TH01"},
		{"Trường : TH01", "TH01"},
		{"TRƯỜNG - TH01", "TH01"},
		{"truong-TH01", "TH01"},
		{"truong -TH01", "TH01"},
		{"  trường \t TH01 \n", "TH01"},
		{nfd + " TH01", "TH01"},
		{strings.ToUpper(nfd) + ": TH01", "TH01"},
		{"TRUONG", ""},
		{"Trường:", ""},
		{"truongTH01", ""},
		{"truong TH01 TH02", ""},
		{"Trường rất tốt", ""},
		{"Trường học tốt", ""},
		{"trường tốt", ""},
		{"Trường ok nhưng xa", ""},
		{"truong " + strings.Repeat("a", 33), ""},
		{"truong :: TH01", ""},
		{"ta truong TH01", ""},
		{"truo TH01", ""},
		{"truongg TH01", ""},
		{"/truong TH01", ""},
	} {
		code, ok := schoolStart(tc.text)
		if code != tc.code || ok != (tc.code != "") {
			t.Errorf("schoolStart(%q) = %q, %v; want %q", tc.text, code, ok, tc.code)
		}
	}
}

// TestDecodeFromFake decodes what the fake hands out for every kind of
// message a user can send.
func TestDecodeFromFake(t *testing.T) {
	s, c := newClient(t)
	u := s.NewUser("Anh Tuấn")
	group := s.NewGroup()
	s.Text(u, "Trường: TH01")
	s.Image(u, "https://zalo.example/a.jpg", "")
	s.Sticker(u)
	s.Voice(u)
	s.Unsupported(u)
	s.GroupMention(group, u, "/start")
	s.GroupMention(group, u, "hello group")

	now := time.Now()
	want := []flows.Input{
		{Kind: flows.KindCommand, Command: "start", Arg: "TH01", Text: "Trường: TH01"},
		{Kind: flows.KindPhoto, Photo: "https://zalo.example/a.jpg"},
		{Kind: flows.KindOther, What: "sticker"},
		{Kind: flows.KindOther, What: "voice"},
		{Kind: flows.KindOther, What: "other"},
		{Kind: flows.KindCommand, Command: "start", Text: "/start", Group: true},
	}
	for i, w := range want {
		upd, err := c.GetUpdates(t.Context(), 0)
		if err != nil || upd == nil {
			t.Fatalf("update %d: %+v, %v", i, upd, err)
		}
		env, ok := Decode(upd, now)
		w.Now, w.Numbered = now, true
		if !ok || env.Input != w {
			t.Errorf("update %d (%s): %v %+v, want %+v", i, upd.EventName, ok, env.Input, w)
		}
		wantChat := u.ID
		if w.Group {
			wantChat = group
		}
		if env.User != u.ID || env.Chat != wantChat || env.MessageRef != upd.Message.MessageID || env.Name != "Anh Tuấn" {
			t.Errorf("update %d: envelope %+v", i, env)
		}
	}
	upd, _ := c.GetUpdates(t.Context(), 0)
	if _, ok := Decode(upd, now); ok {
		t.Error("group chatter decoded")
	}
	if s.Pending() != 0 {
		t.Errorf("%d updates left", s.Pending())
	}
}

func TestUpdateRoundTrip(t *testing.T) {
	u := update(t, EventImage, "GROUP", `"photo_url":"https://zalo.example/p.jpg","caption":"«ảnh»"`)
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseUpdate(b)
	if err != nil || again.EventName != u.EventName || *again.Message != *u.Message || string(again.Raw) != string(b) {
		t.Errorf("%s read back as %+v, %v", b, again, err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"event_name":"message.text.received","message":{"message_id":"m","chat":{"id":"c","chat_type":"PRIVATE"},"from":{"id":"u"},"text":"Trường: TH01"}}`)
	f.Add(`{"event_name":"message.image.received","message":{"message_id":1,"date":"x","chat":{"id":2,"chat_type":"GROUP"},"from":{"id":3,"is_bot":"true"},"photo_url":"https://a/b"}}`)
	f.Add(`{"message":{"chat":[],"from":null}}`)
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := ParseUpdate([]byte(raw))
		if err != nil {
			return
		}
		env, ok := Decode(u, time.Time{})
		if ok && (env.User == "" || env.Chat == "" || env.Channel != Channel || !env.Input.Numbered) {
			t.Errorf("%s decoded as %+v", raw, env)
		}
	})
}
