package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteIgnoresPlantedLinks: a link planted at the old fixed temporary
// name, and one at the target itself, are not written through.
func TestWriteIgnoresPlantedLinks(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("root only"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report.xlsx")
	if err := os.Symlink(victim, out+".tmp"); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(out, []byte("report"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "linked.csv")
	if err := os.Symlink(victim, other); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(other, []byte("csv"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "root only" {
		t.Fatalf("the victim was overwritten: %q", b)
	}
	if b, _ := os.ReadFile(out); string(b) != "report" {
		t.Errorf("out = %q", b)
	}
	if fi, err := os.Lstat(other); err != nil || fi.Mode()&os.ModeSymlink != 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("the link at the target is not replaced by a 0600 file: %v %v", fi, err)
	}
	// A failed write leaves the target as it was and no temporary file.
	err := Write(out, 0o600, func(w io.Writer) error { w.Write([]byte("half")); return errors.New("boom") })
	if err == nil {
		t.Fatal("no error")
	}
	if b, _ := os.ReadFile(out); string(b) != "report" {
		t.Errorf("after a failed write out = %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("files left: %v", entries)
	}
}
