package store

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// TestBucketsDocumented holds buckets.go's list, the buckets Open creates
// and docs/architecture.md's storage layout table to the same names.
func TestBucketsDocumented(t *testing.T) {
	var listed []string
	for _, b := range buckets {
		listed = append(listed, string(b))
	}
	if dup := duplicated(listed); dup != "" {
		t.Errorf("bucket %q is listed twice in buckets", dup)
	}
	slices.Sort(listed)

	h := newHarness(t, Options{})
	var created []string
	if err := h.db.b.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
			created = append(created, string(name))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(created)
	if !slices.Equal(created, listed) {
		t.Errorf("Open created %v\nbuckets lists %v", created, listed)
	}

	doc, err := os.ReadFile("../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "## Storage layout")
	if !ok {
		t.Fatal(`docs/architecture.md has no "## Storage layout" section`)
	}
	table, _, _ = strings.Cut(table, "\n\n## ")
	row := regexp.MustCompile(`(?m)^\| ([a-z_]+) \|`)
	var documented []string
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		if m[1] != "bucket" {
			documented = append(documented, m[1])
		}
	}
	if dup := duplicated(documented); dup != "" {
		t.Errorf("bucket %q has two rows in docs/architecture.md", dup)
	}
	slices.Sort(documented)
	if !slices.Equal(documented, listed) {
		t.Errorf("docs/architecture.md's storage layout has %v\nbuckets lists %v", documented, listed)
	}
}

// TestBucketsInOneList: no bucket is declared, nor the list extended,
// outside buckets.go (as init() functions in four files once did).
func TestBucketsInOneList(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	declared := regexp.MustCompile(`(?m)^(var |\t)?b[A-Z]\w* *= \[\]byte\("|buckets = append\(|^func init\(\)`)
	for _, f := range files {
		if f == "buckets.go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := declared.Find(src); m != nil {
			t.Errorf("%s: %q: buckets are declared in buckets.go's list alone", f, m)
		}
	}
}

func duplicated(names []string) string {
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return n
		}
		seen[n] = true
	}
	return ""
}
