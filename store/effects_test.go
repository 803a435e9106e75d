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
