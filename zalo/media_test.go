package zalo

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRelay: a photo keeps one address while it is relayed; the address
// answers with the photo for an hour and then no more; a photo that cannot
// be fetched is a 502, not an empty 200.
func TestRelay(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	fetches := 0
	r := newRelay("https://bot.example.vn/zalo/media", func(_ context.Context, ref string) ([]byte, string, error) {
		fetches++
		if ref == "gone" {
			return nil, "", errors.New("telegram getFile: Bad Request: invalid file_id")
		}
		return []byte("photo " + ref), "image/jpeg", nil
	}, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	get := func(u string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, strings.TrimPrefix(u, "https://bot.example.vn"), nil))
		return w
	}
	a := r.url("AgAC-1")
	if !strings.HasPrefix(a, "https://bot.example.vn/zalo/media/") || len(a) != len("https://bot.example.vn/zalo/media/")+32 {
		t.Fatalf("address %q", a)
	}
	if b := r.url("AgAC-1"); b != a {
		t.Errorf("the same photo got a second address %q", b)
	}
	if b := r.url("AgAC-2"); b == a {
		t.Error("two photos share an address")
	}
	if w := get(a); w.Code != 200 || w.Body.String() != "photo AgAC-1" || w.Header().Get("Content-Type") != "image/jpeg" {
		t.Errorf("GET: %d %q", w.Code, w.Body.String())
	}
	if w := get(r.url("gone")); w.Code != http.StatusBadGateway {
		t.Errorf("a photo that cannot be fetched: %d", w.Code)
	}
	now = now.Add(relayFor + time.Second)
	if w := get(a); w.Code != http.StatusNotFound {
		t.Errorf("after an hour: %d", w.Code)
	}
	r.url("AgAC-3")
	if len(r.refs) != 1 || len(r.token) != 1 {
		t.Errorf("expired addresses are kept: %d, %d", len(r.refs), len(r.token))
	}
	if fetches != 2 {
		t.Errorf("%d fetches; want 2 (one per GET answered)", fetches)
	}
}
