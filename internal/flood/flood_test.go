package flood

import (
	"testing"
	"time"
)

// TestGuard: the update over the limit is handled with a warning, the
// next ones within the pause are ignored, others are not, and after the
// pause the user is counted afresh.
func TestGuard(t *testing.T) {
	g := New(3, 10*time.Second, time.Minute)
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		if ok, warn := g.Check("a", t0.Add(time.Duration(i)*time.Second)); !ok || warn {
			t.Fatalf("update %d: ok %v warn %v", i+1, ok, warn)
		}
	}
	if ok, warn := g.Check("a", t0.Add(3*time.Second)); !ok || !warn {
		t.Errorf("the fourth update: ok %v warn %v, want handled with a warning", ok, warn)
	}
	if ok, _ := g.Check("a", t0.Add(30*time.Second)); ok {
		t.Errorf("an update within the pause was handled")
	}
	if ok, warn := g.Check("b", t0.Add(30*time.Second)); !ok || warn {
		t.Errorf("another user was held up: ok %v warn %v", ok, warn)
	}
	if ok, warn := g.Check("a", t0.Add(3*time.Second+time.Minute+time.Millisecond)); !ok || warn {
		t.Errorf("after the pause: ok %v warn %v", ok, warn)
	}
	// Spread out, any number of updates is fine.
	for i := range 20 {
		if ok, warn := g.Check("c", t0.Add(time.Duration(i)*5*time.Second)); !ok || warn {
			t.Fatalf("a steady user was stopped at update %d", i+1)
		}
	}
}
