package zalo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fetch downloads a photo another channel holds by reference (a Telegram
// file_id): its bytes and media type.
type Fetch func(ctx context.Context, ref string) (data []byte, mediaType string, err error)

// relayFor is how long a relayed photo's address answers: Zalo fetches a
// photo when it is sent, well within it.
const relayFor = time.Hour

// relay lets Zalo fetch photos it cannot be handed by URL — a Telegram
// parent's complaint photos for a principal on Zalo, a Telegram
// announcement's picture for Zalo parents: each gets an unguessable
// address under the webhook's public URL for relayFor, and is fetched from
// its channel when Zalo asks. Nothing is kept but the references.
type relay struct {
	base  string // public URL the addresses start with, ending in "/"
	fetch Fetch
	now   func() time.Time
	log   *slog.Logger
	mu    sync.Mutex
	refs  map[string]relayed // by token
	token map[string]string  // by reference: a photo sent twice keeps its address
}

type relayed struct {
	ref   string
	until time.Time
}

func newRelay(base string, fetch Fetch, now func() time.Time, log *slog.Logger) *relay {
	return &relay{base: strings.TrimSuffix(base, "/") + "/", fetch: fetch, now: now, log: log,
		refs: map[string]relayed{}, token: map[string]string{}}
}

// url is the address Zalo can fetch the photo ref from for relayFor.
func (r *relay) url(ref string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for t, e := range r.refs {
		if now.After(e.until) {
			delete(r.refs, t)
			delete(r.token, e.ref)
		}
	}
	t, ok := r.token[ref]
	if !ok {
		var b [16]byte
		rand.Read(b[:])
		t = hex.EncodeToString(b[:])
		r.token[ref] = t
	}
	r.refs[t] = relayed{ref: ref, until: now.Add(relayFor)}
	return r.base + t
}

// ServeHTTP answers GET and HEAD of a relayed photo's address: the photo,
// or 404 for an address unknown or past its time, 502 when the photo
// cannot be fetched.
func (r *relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	t := req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]
	r.mu.Lock()
	e, ok := r.refs[t]
	r.mu.Unlock()
	if !ok || r.now().After(e.until) {
		http.NotFound(w, req)
		return
	}
	data, mediaType, err := r.fetch(req.Context(), e.ref)
	if err != nil {
		r.log.Error("a photo relayed to Zalo could not be fetched", "err", err)
		http.Error(w, "the photo cannot be fetched now", http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if req.Method == http.MethodGet {
		w.Write(data)
	}
}
