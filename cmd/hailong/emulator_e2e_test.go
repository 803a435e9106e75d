package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hailong/bot/telegramtest"
	"hailong/flows"
	"hailong/internal/tooltest"
)

// emulator is telegram-test-api, an independent Telegram Bot API emulator
// (npm; not written by this project), run by node from testdata/tgemu.
// Its client API stands in for the parent's Telegram app.
type emulator struct {
	url   string
	token string
	cmd   *exec.Cmd
}

// startEmulator runs it, or skips the test where it is not installed —
// except in CI, whose .ci/run installs it (npm install in testdata/tgemu).
func startEmulator(t *testing.T) *emulator {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "tgemu"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	_, missing := os.Stat(filepath.Join(dir, "node_modules", "telegram-test-api"))
	if err != nil || missing != nil {
		tooltest.Missing(t, "telegram-test-api is not installed in %s (node: %v, module: %v): cd %[1]s && npm install --no-package-lock", dir, err, missing)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	e := &emulator{url: fmt.Sprintf("http://127.0.0.1:%d", port), token: telegramtest.Token}
	e.cmd = exec.Command(node, "server.js", fmt.Sprint(port))
	e.cmd.Dir = dir
	out, err := e.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	e.cmd.Stderr = os.Stderr
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.cmd.Process.Kill(); e.cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ready <- sc.Scan() && strings.HasPrefix(sc.Text(), "listening")
		for sc.Scan() {
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("the emulator did not start")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the emulator did not start within 30 s")
	}
	return e
}

// endpoint is the Bot API address format the bot is configured with.
func (e *emulator) endpoint() string { return e.url + "/bot%s/%s" }

func (e *emulator) post(t *testing.T, path string, body any, into any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer resp.Body.Close()
	if into != nil {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
}

func (e *emulator) party(user int64) (from, chat map[string]any) {
	return map[string]any{"id": user, "first_name": "Phụ huynh", "is_bot": false},
		map[string]any{"id": user, "first_name": "Phụ huynh", "type": "private"}
}

// command sends a command from the user, as their app would.
func (e *emulator) command(t *testing.T, user int64, text string) {
	from, chat := e.party(user)
	cmd, _, _ := strings.Cut(text, " ")
	e.post(t, "/sendCommand", map[string]any{"botToken": e.token, "from": from, "chat": chat, "text": text,
		"date": time.Now().Unix(), "entities": []map[string]any{{"offset": 0, "length": len(cmd), "type": "bot_command"}}}, nil)
}

// press taps a button of one of the bot's messages.
func (e *emulator) press(t *testing.T, user int64, messageID int, data string) {
	from, chat := e.party(user)
	e.post(t, "/sendCallback", map[string]any{"botToken": e.token, "from": from, "data": data, "date": time.Now().Unix(),
		"message": map[string]any{"message_id": messageID, "chat": chat, "date": time.Now().Unix()}}, nil)
}

// screen is the bot's messages to the user as the emulator keeps them,
// edits applied, as telegramtest messages.
func (e *emulator) screen(t *testing.T, user int64) []telegramtest.Message {
	var hist struct {
		Result []struct {
			MessageID int `json:"messageId"`
			Message   struct {
				ChatID      json.Number `json:"chat_id"`
				Text        string      `json:"text"`
				ReplyMarkup *struct {
					InlineKeyboard [][]struct {
						Text         string `json:"text"`
						CallbackData string `json:"callback_data"`
					} `json:"inline_keyboard"`
				} `json:"reply_markup"`
			} `json:"message"`
		} `json:"result"`
	}
	e.post(t, "/getUpdatesHistory", map[string]any{"token": e.token}, &hist)
	var out []telegramtest.Message
	for _, r := range hist.Result {
		if r.Message.ChatID.String() != fmt.Sprint(user) {
			continue // the user's own messages, or another chat
		}
		m := telegramtest.Message{ID: r.MessageID, ChatID: user, Text: r.Message.Text, FromBot: true}
		if k := r.Message.ReplyMarkup; k != nil {
			for _, row := range k.InlineKeyboard {
				var rb []telegramtest.Button
				for _, b := range row {
					rb = append(rb, telegramtest.Button{Text: b.Text, Data: b.CallbackData})
				}
				m.Keyboard = append(m.Keyboard, rb)
			}
		}
		out = append(out, m)
	}
	return out
}

// TestIndependentEmulator: a parent tapping every 0.6–0.9 s, as people do
// through "Có, Có, Có", finishes the survey on telegram-test-api — the
// emulator on which the first version looped on the stale-button notice —
// with the configuration's own sending limits, and is never shown the
// notice.
func TestIndependentEmulator(t *testing.T) {
	emu := startEmulator(t)
	h := newHarness(t)
	cfg := testConfig(emu.endpoint())
	cfg = strings.Replace(cfg, "  limits: {per_second: 1000, per_chat_per_second: 1000, per_chat_burst: 100, group_per_minute: 6000}\n", "", 1)
	cfg = strings.Replace(cfg, "  flood: {updates: 1000, window: 10s, pause: 1m}\n", "", 1)
	if err := os.WriteFile(h.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	h.clock.run()
	h.start()
	const user = 424242
	emu.command(t, user, "/start TH-TV")
	chooser := &tapper{rnd: rand.New(rand.NewPCG(1, 2))}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	taps, done, stale := 0, false, 0
	for ctx.Err() == nil && !done {
		time.Sleep(600*time.Millisecond + time.Duration(rand.N(300))*time.Millisecond)
		msgs := emu.screen(t, user)
		var live *telegramtest.Message
		stale = 0
		for i, m := range msgs {
			if strings.HasPrefix(m.Text, savedPrefix) {
				done = true
			}
			if strings.HasPrefix(m.Text, flows.T("stale")) {
				stale++
			}
			if len(m.Keyboard) > 0 {
				live = &msgs[i]
			}
		}
		if done || live == nil {
			continue
		}
		b, ok := chooser.choose(*live)
		if !ok {
			t.Fatalf("nothing to tap on %q", live.Text)
		}
		emu.press(t, user, live.ID, b.Data)
		taps++
	}
	if !done {
		t.Fatalf("the survey was not sent after %d taps; the chat:\n%v\nlog:\n%s", taps, emu.screen(t, user), h.stderr.String())
	}
	if stale > 0 {
		t.Errorf("%d stale-button notices shown", stale)
	}
	h.stop()
	agg := checkAggregates(t, h.openDB(), "w1")
	if agg.Respondents["TH-TV"] != 1 {
		t.Errorf("respondents = %v, want the one survey", agg.Respondents)
	}
}
