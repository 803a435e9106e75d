package tooltest

import (
	"fmt"
	"testing"
)

// recorder is a testing.TB that records whether it was failed or skipped.
type recorder struct {
	testing.TB
	failed, skipped string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Fatalf(format string, a ...any) { r.failed = fmt.Sprintf(format, a...) }
func (r *recorder) Skipf(format string, a ...any)  { r.skipped = fmt.Sprintf(format, a...) }

// TestMissingFailsInCI: a missing tool skips a test on a developer's
// machine and fails it in CI, which is meant to have installed it.
func TestMissingFailsInCI(t *testing.T) {
	for _, ci := range []string{"", "1"} {
		t.Setenv("CI", ci)
		r := &recorder{TB: t}
		Need(r, "hailong-no-such-tool", "no-such-package")
		if ci != "" && (r.failed == "" || r.skipped != "") {
			t.Errorf("CI=%q: failed %q, skipped %q; want a failure", ci, r.failed, r.skipped)
		}
		if ci == "" && (r.skipped == "" || r.failed != "") {
			t.Errorf("CI unset: failed %q, skipped %q; want a skip", r.failed, r.skipped)
		}
	}
}
