package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestVerifyTelegramLogin checks the widget's fields as Telegram documents
// (https://core.telegram.org/widgets/login#checking-authorization) against
// a fixture computed here by that recipe: the data-check-string is the
// fields but hash, sorted, as key=value joined by "\n"; the key is SHA-256
// of the bot token; the hash its hex HMAC-SHA-256.
func TestVerifyTelegramLogin(t *testing.T) {
	const token = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
	now := time.Unix(1795000000, 0)
	q := url.Values{"id": {"7000001"}, "first_name": {"Hiệu trưởng"}, "username": {"ht_tv"},
		"auth_date": {"1794999900"}, "photo_url": {"https://t.me/i/userpic/320/x.jpg"}}
	check := "auth_date=1794999900\nfirst_name=Hiệu trưởng\nid=7000001\nphoto_url=https://t.me/i/userpic/320/x.jpg\nusername=ht_tv"
	key := sha256.Sum256([]byte(token))
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(check))
	q.Set("hash", hex.EncodeToString(m.Sum(nil)))

	if id, ok := VerifyTelegramLogin(q, token, now, 10*time.Minute); !ok || id != "7000001" {
		t.Fatalf("a valid login: %q %v", id, ok)
	}
	bad := func(name string, f func(url.Values) url.Values, tok string, at time.Time) {
		t.Helper()
		c := url.Values{}
		for k, v := range q {
			c[k] = append([]string(nil), v...)
		}
		if _, ok := VerifyTelegramLogin(f(c), tok, at, 10*time.Minute); ok {
			t.Errorf("%s: accepted", name)
		}
	}
	same := func(v url.Values) url.Values { return v }
	bad("another bot's token", same, token+"x", now)
	bad("too old", same, token, now.Add(time.Hour))
	bad("from the future", same, token, now.Add(-10*time.Minute))
	bad("id changed", func(v url.Values) url.Values { v.Set("id", "7000002"); return v }, token, now)
	bad("field added", func(v url.Values) url.Values { v.Set("last_name", "X"); return v }, token, now)
	bad("no hash", func(v url.Values) url.Values { v.Del("hash"); return v }, token, now)
	bad("hash upper-cased garbage", func(v url.Values) url.Values { v.Set("hash", strings.Repeat("Z", 64)); return v }, token, now)
}

func TestCSP(t *testing.T) {
	p := csp(false)
	for _, want := range []string{"default-src 'none'", "script-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "style-src 'self'"} {
		if !strings.Contains(p, want) {
			t.Errorf("CSP %q lacks %q", p, want)
		}
	}
	if strings.Contains(p, "unsafe-inline") || strings.Contains(csp(true), "unsafe") {
		t.Errorf("CSP allows inline code: %q", p)
	}
	if !strings.Contains(csp(true), "script-src https://telegram.org") {
		t.Errorf("the widget's CSP: %q", csp(true))
	}
}
