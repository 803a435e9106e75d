package main

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"unicode"

	"hailong/store"
)

// minSecret is the shortest HAILONG_SECRET accepted for a new database:
// 32 random bytes in base64 (43 characters, 44 with its padding). The
// secret keys every respondent's pseudonym and seals complaints: with a
// copy of the database and the secret, an anonymous complaint's chat can
// be read.
const minSecret = 43

// makeSecret is how to make a good secret, for the messages.
const makeSecret = "make one with `head -c 32 /dev/urandom | base64`"

// secretWeakness says why secret is too weak to start a database with,
// or "" when it is strong enough. It measures what the characters carry,
// not only their number: whitespace, a repeated pattern, few distinct
// characters or a walk along the alphabet are refused.
func secretWeakness(secret string) string {
	if i := strings.IndexFunc(secret, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return "it contains whitespace or a control character (an environment file's stray space or quote?)"
	}
	if len(secret) < minSecret {
		return fmt.Sprintf("it is %d characters long, and at least %d are needed", len(secret), minSecret)
	}
	for p := 1; p <= len(secret)/2; p++ {
		if strings.Repeat(secret[:p], len(secret)/p+1)[:len(secret)] == secret {
			return fmt.Sprintf("it repeats %q", secret[:p])
		}
	}
	counts := map[byte]int{}
	steps := 0 // neighbours equal or next to each other: "aaaa", "abcd", "4321"
	for i := 0; i < len(secret); i++ {
		counts[secret[i]]++
		if i > 0 {
			if d := int(secret[i]) - int(secret[i-1]); d >= -1 && d <= 1 {
				steps++
			}
		}
	}
	if len(counts) < 10 {
		return fmt.Sprintf("it uses only %d different characters", len(counts))
	}
	if steps*2 > len(secret) {
		return "it runs along the alphabet or the digits"
	}
	// The secret's own character frequencies: a lower bound on guessing
	// it, character by character, for anyone who knows them.
	bits := 0.0
	for _, n := range counts {
		p := float64(n) / float64(len(secret))
		bits -= float64(n) * math.Log2(p)
	}
	if bits < 128 {
		return fmt.Sprintf("it carries about %.0f bits, and at least 128 are needed", bits)
	}
	return ""
}

// envSecret is HAILONG_SECRET as the commands use it.
type envSecret struct {
	key  []byte // nil when unset
	weak string // why it is too weak for a new database; "" if it is not
}

func (s *system) secret() envSecret {
	v := s.getenv("HAILONG_SECRET")
	if v == "" {
		return envSecret{}
	}
	return envSecret{key: []byte(v), weak: secretWeakness(v)}
}

// options fills o's secret fields: the environment's secret, or without
// one a secret kept in the database (for the tools, the demo and chat).
func (e envSecret) options(o store.Options) store.Options {
	o.Secret, o.LocalSecret, o.Weak = e.key, e.key == nil, e.weak != ""
	return o
}

// open opens the database at path with the environment's secret; a weak
// one opens only a database already written with it, with a warning.
func (e envSecret) open(path string, o store.Options, log *slog.Logger) (*store.DB, error) {
	tooWeak := fmt.Errorf("HAILONG_SECRET is too weak: %s. It keys the pseudonyms under which parents' answers are stored and seals their complaints: whoever has a copy of the database and the secret can tell which chat filed an anonymous complaint. %s, and keep it (a new one makes every parent a new respondent)", e.weak, makeSecret)
	if _, err := os.Stat(path); e.weak != "" && errors.Is(err, os.ErrNotExist) {
		return nil, tooWeak // not even an empty file
	}
	db, err := store.Open(path, e.options(o))
	if errors.Is(err, store.ErrWeakSecret) {
		return nil, tooWeak
	}
	if err == nil && e.weak != "" && log != nil {
		log.Warn("HAILONG_SECRET is weak; it is accepted only because this database was written with it. Whoever has a copy of the database and could guess the secret could tell which chat filed an anonymous complaint: keep both well guarded. A new database needs a strong secret ("+makeSecret+")",
			"why", e.weak, "db", path)
	}
	return db, err
}
