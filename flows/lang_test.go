package flows

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// verbRe finds printf verbs (with flags, width and precision) and %%.
var verbRe = regexp.MustCompile(`%[-+# 0]*[0-9]*(?:\.[0-9]+)?[a-zA-Z%]`)

// TestCatalogComplete holds every language to the Vietnamese catalog: the
// same keys, and the same printf verbs in the same order (the same
// arguments are passed whatever the language).
func TestCatalogComplete(t *testing.T) {
	for l, cat := range catalogs {
		for key, vs := range vi {
			s, ok := cat[key]
			if !ok {
				t.Errorf("%s: key %q is missing", l, key)
				continue
			}
			if want, got := verbRe.FindAllString(vs, -1), verbRe.FindAllString(s, -1); !slices.Equal(want, got) {
				t.Errorf("%s: %q has verbs %v, the Vietnamese %v", l, key, got, want)
			}
			if strings.TrimSpace(s) == "" {
				t.Errorf("%s: %q is empty", l, key)
			}
		}
		for key := range cat {
			if _, ok := vi[key]; !ok {
				t.Errorf("%s: key %q is not in the Vietnamese catalog", l, key)
			}
		}
	}
}

// fill formats a catalog text with arguments n runes long and 6-digit
// numbers.
func fill(s string, n int) string {
	var args []any
	for _, v := range verbRe.FindAllString(s, -1) {
		switch v[len(v)-1] {
		case 'd':
			args = append(args, 999999)
		case '%':
		default:
			args = append(args, string([]rune(strings.Repeat("Trường THCS Nguyễn Thị Minh Khai ", 5))[:n]))
		}
	}
	return fmt.Sprintf(s, args...)
}

// TestCatalogLimits keeps every text inside Telegram's limits once filled
// in, and every text used as a button label short enough to read on a
// phone.
func TestCatalogLimits(t *testing.T) {
	for l, cat := range catalogs {
		for key, s := range cat {
			if f := fill(s, 80); strings.Contains(f, "%!") {
				t.Errorf("%s: %q does not format: %s", l, key, f)
			} else if n := utf8.RuneCountInString(f); n > 4096-100 {
				t.Errorf("%s: %q is %d characters filled in, too close to Telegram's 4096", l, key, n)
			}
		}
	}
	labels := buttonKeys(t)
	if len(labels) < 30 {
		t.Fatalf("found only %d keys used as button labels; the pattern no longer matches the code", len(labels))
	}
	for _, key := range labels {
		for l, cat := range catalogs {
			s, ok := cat[msg(key)]
			if !ok {
				t.Errorf("%s: button key %q is missing", l, key)
				continue
			}
			// Labels take codes and names clipped short (16 runes).
			if n := utf8.RuneCountInString(fill(s, 16)); n > 64 {
				t.Errorf("%s: button %q is %d characters filled in; keep labels under 64", l, key, n)
			}
		}
	}
	// An announcement with a photo goes as one caption (at most 1024).
	e := testEngine(t)
	a := &Announcement{Scope: strings.Repeat("Phòng GDĐT thành phố Sa Đéc ", 3), Photo: "p",
		Text: strings.Repeat("ạ", MaxAnnouncementCaption)}
	for _, l := range Langs {
		if n := utf8.RuneCountInString(e.AnnouncementFor(a, l).Text); n > 1024 {
			t.Errorf("%s: an announcement with a photo is %d characters, over Telegram's caption limit", l, n)
		}
	}
}

// buttonKeys finds the catalog keys the code uses as button labels.
func buttonKeys(t *testing.T) []string {
	re := regexp.MustCompile(`Label:\s*(?:t\.T|T|tr\([^,]+,)\(?\s*"([a-z0-9.]+)"`)
	files, _ := filepath.Glob("*.go")
	var keys []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			if !slices.Contains(keys, m[1]) {
				keys = append(keys, m[1])
			}
		}
	}
	return keys
}
