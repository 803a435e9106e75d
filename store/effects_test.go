package store

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"hailong/flows"
)

// TestResultFieldsStored: every field of flows.Result is read by the
// store (a field no effect takes would be an effect silently dropped).
func TestResultFieldsStored(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	var src strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	// Handed back, not stored: what the chat would have said, given to
	// the dashboard through Batch.Handled.
	handedBack := map[string]bool{"Said": true}
	rt := reflect.TypeFor[flows.Result]()
	for i := range rt.NumField() {
		name := rt.Field(i).Name
		if !handedBack[name] && !strings.Contains(src.String(), "res."+name) {
			t.Errorf("flows.Result.%s is stored by no effect (store/effects.go)", name)
		}
	}
}

// TestHandledAfterCommit: Batch.Handled is given an input's result once it
// is stored — what it reports can be read back — and once.
func TestHandledAfterCommit(t *testing.T) {
	h := newHarness(t, Options{})
	var calls int
	var stored bool
	env := h.text("42", "/start TH1")
	err := h.db.Apply(flows.Batch{Channel: env.Channel, Envelopes: []flows.Envelope{env}, Handled: func(e flows.Envelope, res flows.Result) {
		calls++
		rows, err := h.db.Pending("telegram", 100)
		stored = err == nil && len(rows) > 0 && len(rows) == len(res.Out)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || !stored {
		t.Errorf("Handled called %d times; its result's messages stored when it ran: %v", calls, stored)
	}
}
