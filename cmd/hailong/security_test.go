package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hailong/store"
)

// TestAdminSocketPrivate: with the database in a shared directory and the
// service started under umask 000, the admin socket (which hands out
// principals' invites and copies of the database) is never reachable by
// another user: it is created inside a directory only the service's user
// may enter, not beside the database where it would be open until chmod.
func TestAdminSocketPrivate(t *testing.T) {
	h := newHarness(t)
	if err := os.Chmod(h.dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0)
	h.start()
	h.begin(parent, "TH-TV", "Lớp 3") // the bot is serving, so the socket is listening
	syscall.Umask(old)

	sock := adminSocket(h.dbPath)
	fi, err := os.Lstat(sock)
	if err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("admin socket %s: %v, %v", sock, fi, err)
	}
	dir := filepath.Dir(sock)
	if dir == filepath.Dir(h.dbPath) {
		t.Fatalf("the socket %s sits in the database's shared directory: another user can connect before it is made private", sock)
	}
	di, err := os.Lstat(dir)
	if err != nil || !di.IsDir() || di.Mode().Perm()&0o077 != 0 {
		t.Fatalf("the socket's directory %s: %v, %v; want a directory of mode 0700", dir, di, err)
	}
	// And it still serves the commands.
	var out syncBuffer
	s := h.sys()
	s.stdout = &out
	if err := s.run(context.Background(), []string{"invite", "TH-TV", "--config", h.cfgPath, "--db", h.dbPath}); err != nil || !strings.Contains(out.String(), "Invite for the principal") {
		t.Fatalf("invite through the socket: %v\n%s", err, out.String())
	}
	h.stop()
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("the socket's directory is left behind after a clean stop: %v", err)
	}
}

// TestAdminSocketPlanted: what another user put where the socket's
// directory goes keeps neither the bot from starting nor is trusted by a
// command: the bot serves without the socket and says so, and backup
// refuses to talk to a socket in someone else's directory.
func TestAdminSocketPlanted(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to plant a directory owned by another user")
	}
	h := newHarness(t)
	if err := os.Chmod(h.dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	planted := adminDir(h.dbPath)
	if err := os.Mkdir(planted, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(planted, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(planted, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.begin(parent, "TH-TV", "Lớp 3")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(h.stderr.String(), "no admin socket") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(h.stderr.String(), "no admin socket") {
		t.Errorf("the log does not say the socket is missing:\n%s", h.stderr.String())
	}
	err := h.sys().run(context.Background(), []string{"backup", filepath.Join(t.TempDir(), "b.db"), "--config", h.cfgPath, "--db", h.dbPath})
	if err == nil || !strings.Contains(err.Error(), "cannot be trusted") {
		t.Errorf("backup through another user's directory: %v, want a refusal", err)
	}
	h.stop()
	if fi, err := os.Lstat(planted); err != nil || !fi.IsDir() {
		t.Errorf("the bot removed another user's directory: %v", err)
	}
}

// TestExportRefusesDatabase: `hailong export --out` naming the database
// is refused, while the bot runs and while it is stopped, and the
// database still opens afterwards; a link planted at the temporary name the
// export once used is not followed.
func TestExportRefusesDatabase(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.begin(parent, "TH-TV", "Lớp 3")
	s := h.sys()
	export := func(out string) error {
		return s.run(context.Background(), []string{"export", "--config", h.cfgPath, "--db", h.dbPath, "--out", out})
	}
	if err := export(h.dbPath); err == nil || !strings.Contains(err.Error(), "the database itself") {
		t.Errorf("export over the running bot's database: %v, want a refusal", err)
	}
	h.stop()
	if err := export(h.dbPath); err == nil || !strings.Contains(err.Error(), "the database itself") {
		t.Errorf("export over the stopped bot's database: %v, want a refusal", err)
	}
	h.openDB().Close() // still a database

	// A second user plants <out>.tmp → a file only root may write.
	dir := t.TempDir()
	victim := filepath.Join(dir, "shadow")
	if err := os.WriteFile(victim, []byte("root:x:0:0"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "hk1.xlsx")
	if err := os.Symlink(victim, out+".tmp"); err != nil {
		t.Fatal(err)
	}
	if err := export(out); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "root:x:0:0" {
		t.Errorf("the export wrote through the planted link: the victim now holds %d bytes", len(b))
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("the export: %v, %v", fi, err)
	}
}

// TestWeakSecretRefused: `run` refuses a HAILONG_SECRET with little in it
// — whitespace, a repeated character or pattern, a walk along the
// alphabet, fewer than 32 bytes of base64 — and says how to make one; a
// strong one (32 random bytes, in base64 or hex) is never refused.
func TestWeakSecretRefused(t *testing.T) {
	h := newHarness(t)
	for _, weak := range []string{
		strings.Repeat(" ", 16),
		"aaaaaaaaaaaaaaaa",
		strings.Repeat("a", 64),
		strings.Repeat("ab", 32),
		strings.Repeat("0123456789abcdef", 4),
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
		"test-secret-0123456789abcdef",                  // 28 characters
		"qHS8MPOwhVEdh6JzZCLgg3S/ia/IUHtCTgJL",          // 36: 27 bytes of base64
		"qHS8MPOwhVEdh6JzZCLgg3S/ia/IUHtCTgJLXAIJpY0= ", // a stray space
		"\"qHS8MPOwhVEdh6JzZCLgg3S/ia/IUHtCTgJLXAIJpY0=\"\n",
	} {
		s := h.sys()
		s.getenv = func(k string) string {
			if k == "HAILONG_SECRET" {
				return weak
			}
			return h.env(k)
		}
		// Accepted, the bot would serve until the context ends.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		db := filepath.Join(t.TempDir(), "hailong.db")
		err := s.run(ctx, []string{"run", "--config", h.cfgPath, "--db", db})
		cancel()
		if err == nil || !strings.Contains(err.Error(), "too weak") || !strings.Contains(err.Error(), "head -c 32 /dev/urandom | base64") {
			t.Errorf("HAILONG_SECRET %q: err = %v, want a refusal saying how to make one", weak, err)
		}
		if _, err := os.Stat(db); !os.IsNotExist(err) {
			t.Errorf("HAILONG_SECRET %q left a database behind: %v", weak, err)
		}
	}
	r := rand.New(rand.NewPCG(16, 7))
	for i := range 2000 {
		b := make([]byte, 32)
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		for _, s := range []string{base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b), hex.EncodeToString(b)} {
			if why := secretWeakness(s); why != "" {
				t.Fatalf("strong secret %d %q refused: %s", i, s, why)
			}
		}
	}
}

// TestWeakSecretOfOldDatabase: a database written with a weak secret
// before the rule still opens with it — the bot serves, with a warning —
// while a new database is not started with it.
func TestWeakSecretOfOldDatabase(t *testing.T) {
	h := newHarness(t)
	const weak = "test secret, 32 characters long!"
	old, err := store.Open(h.dbPath, store.Options{Secret: []byte(weak)})
	if err != nil {
		t.Fatal(err)
	}
	old.Close()
	s := h.sys()
	s.getenv = func(k string) string {
		if k == "HAILONG_SECRET" {
			return weak
		}
		return h.env(k)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- s.run(ctx, []string{"run", "--config", h.cfgPath, "--db", h.dbPath}) }()
	h.begin(parent, "TH-TV", "Lớp 3")
	h.stop()
	if !strings.Contains(h.stderr.String(), "HAILONG_SECRET is weak") {
		t.Errorf("no warning:\n%s", h.stderr.String())
	}
	other := filepath.Join(t.TempDir(), "new.db")
	ctx, cancel = context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err = s.run(ctx, []string{"run", "--config", h.cfgPath, "--db", other})
	if err == nil || !strings.Contains(err.Error(), "too weak") {
		t.Errorf("a new database with the weak secret: %v, want a refusal", err)
	}
}
