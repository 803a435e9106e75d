package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"hailong/digest"
	"hailong/flows"
	"hailong/store"
)

// The admin socket lets `hailong backup` and `hailong check` reach a running
// bot: bbolt locks the file, so while `run` holds it no other process may
// open it, not even to read.
//
// The socket gives a principal's invite and a copy of the database to
// whoever connects, so it lives in a directory of its own that only the
// service's user may enter (<db>.admin, mode 0700): it is private from the
// moment it is created, whatever the umask, and a file another user plants
// beside a database in a shared directory cannot take its place.

func adminDir(dbPath string) string    { return dbPath + ".admin" }
func adminSocket(dbPath string) string { return filepath.Join(adminDir(dbPath), "sock") }

// privateDir makes dir a directory that only this process's user may use:
// it creates it with mode 0700, or takes one this user owns and closes it
// to everyone else. Anything else at that path (another user's directory,
// a file, a symbolic link) is refused.
func privateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	// Opened without following a link, so the checks and the chmod are of
	// the directory itself.
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%s is not a directory: %w", dir, err)
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return err
	}
	if int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s belongs to user %d, not to this one (%d)", dir, st.Uid, os.Geteuid())
	}
	if st.Mode&0o077 != 0 {
		return syscall.Fchmod(fd, 0o700)
	}
	return nil
}

// checkPrivate verifies, before a command talks to the socket, that its
// directory is a private one of the database's owner (or of this user):
// another user's socket is not the bot.
func checkPrivate(dbPath string) error {
	dir := adminDir(dbPath)
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	owner := func(fi os.FileInfo) int { return int(fi.Sys().(*syscall.Stat_t).Uid) }
	dbi, err := os.Stat(dbPath)
	if err != nil {
		return err
	}
	switch {
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case owner(fi) != owner(dbi) && owner(fi) != os.Geteuid():
		return fmt.Errorf("%s belongs to user %d, not to the database's owner (%d)", dir, owner(fi), owner(dbi))
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%s is open to other users (mode %v)", dir, fi.Mode().Perm())
	}
	return nil
}

type adminReply struct {
	OK       bool     `json:"ok"`
	Code     string   `json:"code,omitempty"`
	Name     string   `json:"name,omitempty"`
	Expires  string   `json:"expires,omitempty"`
	Bytes    int64    `json:"bytes,omitempty"`
	Problems []string `json:"problems,omitempty"`
	// Unreached are the schools whose complaints would reach nobody
	// (unreachedSchools), told by check beside its problems.
	Unreached []string `json:"unreached,omitempty"`
	// Published is what publish wrote.
	Published *publishResult `json:"published,omitempty"`
	Error     string         `json:"error,omitempty"`
}

// check is what `hailong check` asks: the store's problems, and the
// schools whose complaints would reach nobody under eng's configuration.
func check(db *store.DB, eng *flows.Engine) (adminReply, error) {
	problems, err := db.Check()
	if err != nil {
		return adminReply{}, err
	}
	unreached, err := unreachedSchools(db, eng)
	if err != nil {
		return adminReply{}, err
	}
	return adminReply{OK: true, Problems: problems, Unreached: unreached}, nil
}

// unreachedSchools names ("CODE (name)") the schools whose complaints would
// reach nobody: no principal, configured or bound by an invite, and an
// office with neither a chat nor staff.
func unreachedSchools(db *store.DB, eng *flows.Engine) ([]string, error) {
	// Every bound principal in one read, not a transaction per school: it
	// runs at every start, with 1,500 schools in a province.
	all, err := db.Principals("")
	if err != nil {
		return nil, err
	}
	bySchool := map[string][]flows.Principal{}
	for _, p := range all {
		bySchool[p.School] = append(bySchool[p.School], p)
	}
	codes := eng.Unreached(func(school string) []flows.Principal { return bySchool[school] })
	var out []string
	for _, code := range codes {
		sc, _ := eng.Directory().School(code)
		out = append(out, code+" ("+sc.Name+")")
	}
	return out, nil
}

// serveAdmin answers backup and check requests on the database's socket
// until ctx ends.
func serveAdmin(ctx context.Context, db *store.DB, job *digest.Job, log *slog.Logger) (stop func(), err error) {
	path := adminSocket(db.Path())
	if len(path) > 100 {
		log.Warn("the database path is too long for the admin socket; backup and check need the bot stopped", "socket", path)
		return func() {}, nil
	}
	if err := privateDir(adminDir(db.Path())); err != nil {
		// Someone else's file where the socket's directory goes must not
		// keep the bot from serving parents: it serves without the socket.
		log.Warn("no admin socket: its directory cannot be made private, so backup, check, export and invite need the bot stopped (remove what is there, or keep the database in a directory only the service can write)", "err", err)
		return func() {}, nil
	}
	// We hold the database lock, so a socket left here is a dead one's.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	// Already unreachable through its directory; 0600 as well.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go handleAdmin(conn, db, job, log)
		}
	}()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	return func() {
		ln.Close()
		<-done
		os.Remove(path)
		os.Remove(adminDir(db.Path()))
	}, nil
}

func handleAdmin(conn net.Conn, db *store.DB, job *digest.Job, log *slog.Logger) {
	defer conn.Close()
	// The request must come at once; the answer (a backup) may take long.
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return
	}
	cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	var r adminReply
	switch cmd {
	case "backup":
		if !filepath.IsAbs(arg) {
			r.Error = "backup: the path must be absolute"
			break
		}
		if same(arg, db.Path()) {
			r.Error = "backup: that is the database itself"
			break
		}
		n, err := db.BackupFile(arg)
		if err != nil {
			r.Error = err.Error()
			break
		}
		log.Info("backup written", "path", arg, "bytes", n)
		r.OK, r.Bytes = true, n
	case "export":
		var req exportRequest
		if err := json.Unmarshal([]byte(arg), &req); err != nil {
			r.Error = "export: " + err.Error()
			break
		}
		n, err := req.write(job, db.Path())
		if err != nil {
			r.Error = err.Error()
			break
		}
		r.OK, r.Bytes = true, n
	case "publish":
		var req publishRequest
		if err := json.Unmarshal([]byte(arg), &req); err != nil {
			r.Error = "publish: " + err.Error()
			break
		}
		res, err := req.write(job)
		if err != nil {
			r.Error = err.Error()
			break
		}
		log.Info("published", "unit", res.Unit, "wave", req.Wave, "dir", req.Out, "files", len(res.Files))
		r.OK, r.Published = true, &res
	case "invite":
		r = makeInvite(db, arg)
	case "baseline":
		var rows []flows.Baseline
		if err := json.Unmarshal([]byte(arg), &rows); err != nil {
			r.Error = "baseline: " + err.Error()
			break
		}
		r = importBaselines(db, rows)
	case "check":
		var err error
		if r, err = check(db, db.Engine()); err != nil {
			r.Error = err.Error()
		}
	default:
		r.Error = "unknown request " + cmd
	}
	json.NewEncoder(conn).Encode(r)
}

// askAdmin sends a request to the running bot.
func askAdmin(dbPath, request string) (adminReply, error) {
	var r adminReply
	if err := checkPrivate(dbPath); errors.Is(err, os.ErrNotExist) {
		return r, fmt.Errorf("the database is in use, but the running bot has no admin socket at %s (its log says why): stop it first", adminSocket(dbPath))
	} else if err != nil {
		return r, fmt.Errorf("the database is in use, but the running bot's admin socket cannot be trusted: %w", err)
	}
	conn, err := net.DialTimeout("unix", adminSocket(dbPath), 2*time.Second)
	if err != nil {
		return r, fmt.Errorf("the database is in use, but the running bot does not answer on %s: %w", adminSocket(dbPath), err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintln(conn, request); err != nil {
		return r, err
	}
	if err := json.NewDecoder(conn).Decode(&r); err != nil {
		return r, fmt.Errorf("reading the bot's answer: %w", err)
	}
	if r.Error != "" {
		return r, errors.New(r.Error)
	}
	return r, nil
}

// withDB runs local on the database opened read-only when no bot holds
// it, else asks the running bot with request.
func (s *system) withDB(c common, request string, local func(*store.DB) (adminReply, error)) (adminReply, *Config, error) {
	cfg, err := c.load()
	if err != nil {
		return adminReply{}, nil, err
	}
	r, err := s.withDBOf(cfg, request, local)
	return r, cfg, err
}

// withDBOf is withDB with the configuration loaded.
func (s *system) withDBOf(cfg *Config, request string, local func(*store.DB) (adminReply, error)) (adminReply, error) {
	if err := existingDB(cfg.Database); err != nil {
		return adminReply{}, err
	}
	db, err := s.secret().open(cfg.Database, store.Options{ReadOnly: true, LockTimeout: 300 * time.Millisecond}, s.logger(slog.LevelWarn))
	if errors.Is(err, store.ErrLocked) {
		return askAdmin(cfg.Database, request)
	}
	if err != nil {
		return adminReply{}, err
	}
	defer db.Close()
	return local(db)
}

// withWritableDB runs local on the database opened for writing (with the
// engine eng, if any) when no bot holds it, else asks the running bot with
// request over the admin socket. A database that does not exist is
// refused: opened, a mistyped --db would be created empty and the command
// would report success on it.
func (s *system) withWritableDB(cfg *Config, eng *flows.Engine, request string, local func(*store.DB) adminReply) (adminReply, error) {
	if err := existingDB(cfg.Database); err != nil {
		return adminReply{}, err
	}
	db, err := s.secret().open(cfg.Database, store.Options{Engine: eng, LockTimeout: 300 * time.Millisecond}, s.logger(slog.LevelWarn))
	switch {
	case errors.Is(err, store.ErrLocked):
		return askAdmin(cfg.Database, request)
	case err != nil:
		return adminReply{}, err
	}
	r := local(db)
	if err := db.Close(); err != nil && r.Error == "" {
		return r, err
	}
	if r.Error != "" {
		return r, errors.New(r.Error)
	}
	return r, nil
}

// loadEngine is how a report command (export, publish) begins: the
// configuration loaded (--db applied) and its engine made.
func (c common) loadEngine() (*Config, *flows.Engine, error) {
	cfg, err := c.load()
	if err != nil {
		return nil, nil, err
	}
	eng, err := cfg.engine()
	if err != nil {
		return nil, nil, err
	}
	return cfg, eng, nil
}

// withJob does a report command's request with a digest job over the
// database: here, on the database opened read-only with the engine eng;
// or, while the bot runs and holds it, in the bot, asked over the admin
// socket with verb and req as JSON, which handleAdmin does with the bot's
// own job.
func (s *system) withJob(cfg *Config, eng *flows.Engine, verb string, req any, do func(*digest.Job, *store.DB) (adminReply, error)) (adminReply, error) {
	spec, err := json.Marshal(req)
	if err != nil {
		return adminReply{}, err
	}
	return s.withDBOf(cfg, verb+" "+string(spec), func(db *store.DB) (adminReply, error) {
		job, err := digestJob(cfg, db.WithEngine(eng), nil)
		if err != nil {
			return adminReply{}, err
		}
		job.Now = s.now
		return do(job, db)
	})
}

func (s *system) backupCmd(args []string) error {
	var c common
	fs := s.flags("backup", &c)
	// FILE may come before or after the flags.
	file, err := s.parseOne(fs, args, "hailong backup FILE [--config FILE] [--db PATH]")
	if err != nil {
		return err
	}
	target, err := filepath.Abs(file)
	if err == nil && c.db != "" && same(target, c.db) {
		return errors.New("backup: the target is the database itself; choose another file")
	}
	if err != nil {
		return err
	}
	r, cfg, err := s.withDB(c, "backup "+target, func(db *store.DB) (adminReply, error) {
		if same(target, db.Path()) {
			return adminReply{}, errors.New("backup: the target is the database itself; choose another file")
		}
		n, err := db.BackupFile(target)
		return adminReply{OK: err == nil, Bytes: n}, err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "Backed up %s to %s (%d bytes).\n", cfg.Database, target, r.Bytes)
	return nil
}

func (s *system) checkCmd(args []string) error {
	var c common
	fs := s.flags("check", &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	// The database is opened without an engine; the configuration's says
	// who receives each school's complaints.
	conf, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	eng, err := conf.engine()
	if err != nil {
		return err
	}
	r, cfg, err := s.withDB(c, "check", func(db *store.DB) (adminReply, error) { return check(db, eng) })
	if err != nil {
		return err
	}
	for _, sc := range r.Unreached {
		fmt.Fprintf(s.stdout, "warning: school %s: its complaints reach nobody (no principal in schools[].principals or bound by an invite, and its office has neither chat_id nor staff); parents who file one are told so\n", sc)
	}
	if len(r.Problems) == 0 {
		fmt.Fprintf(s.stdout, "%s: no problems found (aggregates equal a recount, indexes match, nothing queued for stopped recipients).\n", cfg.Database)
		return nil
	}
	for _, p := range r.Problems {
		fmt.Fprintln(s.stdout, "problem:", p)
	}
	return fmt.Errorf("%s: %d problems found", cfg.Database, len(r.Problems))
}

// makeInvite creates an invite for a school from the shell.
func makeInvite(db *store.DB, school string) adminReply {
	sc, ok := db.Engine().Directory().School(school)
	if !ok {
		return adminReply{Error: fmt.Sprintf("no school has the code %q", school)}
	}
	code, inv, err := db.CreateInvite(sc.Code, "shell", time.Now())
	if err != nil {
		return adminReply{Error: err.Error()}
	}
	return adminReply{OK: true, Code: code, Name: sc.Name, Expires: inv.Expires.In(db.Engine().Location()).Format("02/01/2006 15:04")}
}

func (s *system) inviteCmd(args []string) error {
	var c common
	fs := s.flags("invite", &c)
	school, err := s.parseOne(fs, args, "hailong invite SCHOOL_CODE [--config FILE] [--db PATH]")
	if err != nil {
		return err
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	eng, err := cfg.engine()
	if err != nil {
		return err
	}
	r, err := s.withWritableDB(cfg, eng, "invite "+school, func(db *store.DB) adminReply { return makeInvite(db, school) })
	if err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "Invite for the principal of %s: %s (one use, valid until %s).\n", r.Name, r.Code, r.Expires)
	fmt.Fprintf(s.stdout, "They send the bot: /start inv_%s\nor open: https://t.me/<bot username>?start=inv_%s\n",
		strings.ReplaceAll(r.Code, "-", ""), strings.ReplaceAll(r.Code, "-", ""))
	return nil
}

// same reports whether two paths name the same file.
func same(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(fa, fb)
	}
	aa, _ := filepath.Abs(a)
	bb, _ := filepath.Abs(b)
	return aa == bb
}

// compactCmd rewrites the stopped bot's database without its free pages.
func (s *system) compactCmd(args []string) error {
	var c common
	fs := s.flags("compact", &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	before, after, err := store.Compact(cfg.Database)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "Compacted %s: %d bytes → %d bytes (%.0f%%).\n", cfg.Database, before, after, 100*float64(after)/float64(max(1, before)))
	return nil
}
