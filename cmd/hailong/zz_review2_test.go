package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"hailong/bot/telegramtest"
)

func TestZZFloodCallbacks(t *testing.T) {
	h := newHarness(t)
	cfg, _ := os.ReadFile(h.cfgPath)
	os.WriteFile(h.cfgPath, []byte(strings.Replace(string(cfg), "flood: {updates: 1000", "flood: {updates: 5", 1)), 0o600)
	h.start()
	u := telegramtest.User{ID: 777001, FirstName: "F"}
	h.srv.SendText(u, "/start TH-TV")
	h.expect(u, "Anh/chị có đồng ý")
	msgs := h.srv.Messages(u.ID)
	last := msgs[len(msgs)-1]
	for i := 0; i < 12; i++ {
		h.srv.PressButton(u, last.ID, last.Keyboard[len(last.Keyboard)-1][0].Data)
	}
	time.Sleep(2 * time.Second)
	t.Logf("unanswered callbacks: %d %v", len(h.srv.Unanswered()), h.srv.Unanswered())
	h.stop()
}

func TestZZCheckNoSecret(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.begin(parent, "TH-TV", "Lớp 3")
	h.answerAll(parent, 1, "Có")
	h.stop()
	s := h.sys()
	var out syncBuffer
	s.stdout, s.stderr = &out, &out
	s.getenv = func(k string) string {
		if k == "HAILONG_SECRET" {
			return ""
		}
		return h.env(k)
	}
	err := s.run(context.Background(), []string{"check", "--config", h.cfgPath, "--db", h.dbPath})
	t.Logf("check without secret: err=%v out=%s", err, out.String())
	out = syncBuffer{}
	err = s.run(context.Background(), []string{"invite", "TH-TV", "--config", h.cfgPath, "--db", h.dbPath})
	t.Logf("invite without secret: err=%v out=%s", err, out.String())
}
