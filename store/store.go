// Package store keeps hailong's state in one bbolt file: sessions, survey
// responses and their aggregates, the outbox, channel cursors and dead
// letters.
package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"hailong/flows"
)

// ErrLocked means another process holds the database file.
var ErrLocked = errors.New("the database is in use by another hailong process")

// ErrWrongSecret means the database was written under another secret.
var ErrWrongSecret = errors.New("HAILONG_SECRET is not the secret this database was written with")

// ErrWeakSecret means a secret too weak for a new database was given for a
// database not written with it.
var ErrWeakSecret = errors.New("a weak secret opens only a database already written with it")

// checkSecret compares the secret with the check value the database keeps
// (an HMAC of a constant under it), writing one on first use. Opened with
// another secret, the queued messages would not open and be set aside, and
// every returning parent would be a new respondent: refuse instead.
//
// A weak secret (Options.Weak) opens only a database already written with
// it: one whose check value it matches, or one of before the check whose
// sealed records open with it; a new database is refused (ErrWeakSecret).
func checkSecret(b *bbolt.DB, secret []byte, readOnly, weak bool) error {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("hailong secret check v1"))
	want := m.Sum(nil)[:16]
	var stored []byte
	if err := b.View(func(tx *bbolt.Tx) error {
		if mb := tx.Bucket(bMeta); mb != nil {
			stored = append(stored, mb.Get([]byte("secret_check"))...)
		}
		return nil
	}); err != nil {
		return err
	}
	wrong := fmt.Errorf("%w: with it the queued messages could not be read and returning parents would count as new; start with the secret it was created with (keep it apart from the backups)", ErrWrongSecret)
	switch {
	case stored != nil && !hmac.Equal(stored, want):
		return wrong
	case stored == nil:
		// A database of before the check value: the secret must open what
		// it sealed before it is recorded as the right one.
		var sample []byte
		if err := b.View(func(tx *bbolt.Tx) error { sample = sealedSample(tx); return nil }); err != nil {
			return err
		}
		if sample == nil && weak {
			return ErrWeakSecret
		}
		if sample != nil {
			seal, err := newSealer(secret)
			if err != nil {
				return err
			}
			if _, err := seal.open(sample); err != nil {
				return wrong
			}
		}
		if !readOnly {
			return b.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bMeta).Put([]byte("secret_check"), want) })
		}
	}
	return nil
}

// sealedSample is a copy of one sealed record of the database — an
// outbox row, a complaint, a session — or nil when there is none.
func sealedSample(tx *bbolt.Tx) []byte {
	for _, name := range [][]byte{bOutbox, bComplaint, bSessions} {
		if b := tx.Bucket(name); b != nil {
			if _, v := b.Cursor().First(); v != nil {
				return append([]byte(nil), v...)
			}
		}
	}
	return nil
}

// DB is hailong's database.
type DB struct {
	b      *bbolt.DB
	eng    *flows.Engine
	secret []byte
	keys   *flows.Keyer // HMACs under secret: pseudonyms and recipient keys
	seal   *sealer
	log    *slog.Logger

	mu      sync.Mutex
	changed chan struct{}
	// complaintsVer counts the commits that changed a complaint, for
	// readers that keep complaints decoded (the dashboard).
	complaintsVer atomic.Uint64
}

// Options configure Open.
type Options struct {
	// Engine handles the inputs that Apply is given; it may be nil for
	// tools that only read.
	Engine *flows.Engine
	// Secret keys the respondent keys.
	Secret []byte
	// LockTimeout bounds the wait for another process to let go of the
	// file; default 1s.
	LockTimeout time.Duration
	ReadOnly    bool
	Logger      *slog.Logger
	// LocalSecret, with no Secret, makes Open use a random secret kept in
	// the database itself: fine for the demo and the terminal chat, not
	// for real parents, whose pseudonyms would then sit beside the key.
	LocalSecret bool
	// Weak marks Secret as too weak to start a database with: Open then
	// accepts it only for a database already written with it, so that
	// those of before the rule stay readable (ErrWeakSecret otherwise).
	Weak bool
}

// Open opens or creates the database at path.
func Open(path string, o Options) (*DB, error) {
	if o.LockTimeout == 0 {
		o.LockTimeout = time.Second
	}
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: o.LockTimeout, ReadOnly: o.ReadOnly})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w (waited %s for its lock; stop the other process or use another --db)", path, ErrLocked, o.LockTimeout)
	}
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) && pe.Path == path {
		return nil, err // it names the file already
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if !o.ReadOnly {
		err = b.Update(func(tx *bbolt.Tx) error {
			for _, name := range buckets {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return fmt.Errorf("create bucket %s: %w", name, err)
				}
			}
			return nil
		})
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	if o.Secret == nil && o.LocalSecret {
		if o.Secret, err = localSecret(b, o.ReadOnly); err != nil {
			b.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	if o.Secret != nil {
		if err := checkSecret(b, o.Secret, o.ReadOnly, o.Weak); err != nil {
			b.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	seal, err := newSealer(o.Secret)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{b: b, eng: o.Engine, secret: o.Secret, keys: flows.NewKeyer(o.Secret), seal: seal, log: log, changed: make(chan struct{})}
	if !o.ReadOnly && o.Secret != nil {
		if err := db.indexChats(); err != nil {
			b.Close()
			return nil, fmt.Errorf("open %s: index the outbox by chat: %w", path, err)
		}
	}
	if !o.ReadOnly {
		if err := db.indexResponses(); err != nil {
			b.Close()
			return nil, fmt.Errorf("open %s: index the responses by respondent: %w", path, err)
		}
		if err := db.indexComments(); err != nil {
			b.Close()
			return nil, fmt.Errorf("open %s: index the comments: %w", path, err)
		}
	}
	if !o.ReadOnly && o.Secret != nil {
		if err := db.indexFacts(); err != nil {
			b.Close()
			return nil, fmt.Errorf("open %s: index the complaints' facts: %w", path, err)
		}
	}
	return db, nil
}

// ErrNoSecret means the database was written under a secret of the
// environment and none was given.
var ErrNoSecret = errors.New("HAILONG_SECRET is not set, and this database was written with one: set it as the bot has it")

func localSecret(b *bbolt.DB, readOnly bool) ([]byte, error) {
	var secret []byte
	// A database written under HAILONG_SECRET has a check value of it
	// and no local secret: without the secret it is refused, not given
	// a local one.
	external := func(tx *bbolt.Tx) bool {
		m := tx.Bucket(bMeta)
		return m != nil && m.Get([]byte("local_secret")) == nil && (m.Get([]byte("secret_check")) != nil || sealedSample(tx) != nil)
	}
	if readOnly {
		err := b.View(func(tx *bbolt.Tx) error {
			m := tx.Bucket(bMeta)
			if external(tx) {
				return ErrNoSecret
			}
			if m != nil {
				secret = append([]byte(nil), m.Get([]byte("local_secret"))...)
			}
			return nil
		})
		return secret, err
	}
	err := b.Update(func(tx *bbolt.Tx) error {
		m := tx.Bucket(bMeta)
		if external(tx) {
			return ErrNoSecret
		}
		if v := m.Get([]byte("local_secret")); len(v) == 32 {
			secret = append([]byte(nil), v...)
			return nil
		}
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return err
		}
		return m.Put([]byte("local_secret"), secret)
	})
	if err != nil {
		return nil, fmt.Errorf("local secret: %w", err)
	}
	return secret, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.b.Close() }

// WithEngine returns the database with eng for reading tools: read-only
// opens carry no engine.
func (db *DB) WithEngine(eng *flows.Engine) *DB {
	return &DB{b: db.b, eng: eng, secret: db.secret, keys: db.keys, seal: db.seal, log: db.log, changed: make(chan struct{})}
}

// Engine is the engine the database applies inputs with.
func (db *DB) Engine() *flows.Engine { return db.eng }

// Path is the database file's path.
func (db *DB) Path() string { return db.b.Path() }

// Changed returns a channel closed at the next commit that queued
// outgoing messages. Take it before reading the outbox, so no wake-up is
// missed between the read and the wait.
func (db *DB) Changed() <-chan struct{} {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.changed
}

func (db *DB) signal() {
	db.mu.Lock()
	close(db.changed)
	db.changed = make(chan struct{})
	db.mu.Unlock()
}

// Apply handles a batch of inputs in one transaction: each input's session
// is loaded, handled by the engine, and the new session, any submitted
// response with its aggregates, the outgoing messages, the dead letters and
// the channel's cursor are committed together. An input whose handling
// panics is set aside as a dead letter and its sender gets an apology; the
// rest of the batch goes on.
func (db *DB) Apply(b flows.Batch) error {
	if db.eng == nil {
		return errors.New("apply: the database was opened without an engine")
	}
	queued := 0
	// Inputs whose writes failed deterministically are set aside on the
	// next attempt, so one bad input never stalls those behind it.
	skip := map[int]string{}
	var err error
	for attempt := 0; attempt <= len(b.Envelopes); attempt++ {
		err = db.b.Update(func(tx *bbolt.Tx) error {
			queued = 0
			w := writer{tx: tx, db: db, seal: db.seal}
			for _, d := range b.Dead {
				if err := w.dead(d); err != nil {
					return err
				}
			}
			for i, env := range b.Envelopes {
				var n int
				var err error
				if b.Once {
					if again, err := w.seen(b.Channel, env.MessageRef); err != nil {
						return err
					} else if again {
						db.log.Info("an update already applied came again; skipped", "channel", b.Channel)
						continue
					}
				}
				if reason, bad := skip[i]; bad {
					n, err = w.setAside(env, reason)
				} else {
					n, err = db.applyOne(&w, env, b.Handled)
				}
				if err != nil {
					return &envError{i, err}
				}
				queued += n
			}
			if b.Cursor != 0 {
				if err := w.setCursor(b.Channel, b.Cursor, time.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		var ee *envError
		if errors.As(err, &ee) {
			if _, done := skip[ee.i]; !done {
				db.log.Error("an input's writes failed; setting it aside", "err", ee.err)
				skip[ee.i] = "write: " + ee.err.Error()
				continue
			}
		}
		break
	}
	if err != nil {
		return fmt.Errorf("apply batch of %d from %s: %w", len(b.Envelopes), b.Channel, err)
	}
	if queued > 0 {
		db.signal()
	}
	return nil
}

// applyOne handles one input. Errors of the database abort the batch;
// a panic in handling sets the input aside.
func (db *DB) applyOne(w *writer, env flows.Envelope, told func(flows.Envelope, flows.Result)) (queued int, err error) {
	key := db.keys.Key(env.Channel, env.User)
	env.Key = key
	env.Random = randomBytes()
	w.err = nil
	if !env.Input.Group && !env.Web {
		// Whoever writes to the bot can be written to again (not who
		// acts on the dashboard: that says nothing of their chat).
		if err := w.tx.Bucket(bStopped).Delete(db.recipientKey(env.Channel, env.Chat)); err != nil {
			return 0, err
		}
	}
	var res flows.Result
	handled := func() (failure any) {
		defer func() {
			if r := recover(); r != nil {
				failure = r
			}
		}()
		sess, err := w.session(key)
		if err != nil {
			return err
		}
		res = db.eng.Handle(sess, env, w)
		if w.err != nil {
			return w.err
		}
		return nil
	}()
	if handled != nil {
		// Whatever went wrong with this one input — a panic, a record that
		// does not decode — it is set aside and the batch goes on.
		db.log.Error("handle input", "channel", env.Channel, "failure", handled)
		if err, ok := handled.(error); ok && errors.Is(err, errCorrupt) {
			// A damaged session would fail every later input too: the
			// parent starts afresh instead.
			if err := w.tx.Bucket(bSessions).Delete(key[:]); err != nil {
				return 0, err
			}
		}
		return w.setAside(env, fmt.Sprint(handled))
	}
	for _, e := range effects {
		if err := e.apply(w, env, key, &res); err != nil {
			return 0, err
		}
	}
	if told != nil {
		// Only a result that was stored is told: an attempt rolled back
		// (the batch is applied again, this input perhaps set aside) is not.
		w.tx.OnCommit(func() { told(env, res) })
	}
	return len(res.Out), w.enqueue(res.Out)
}

// errCorrupt marks stored data that does not decode: a bug or damage, not
// something to skip silently.
var errCorrupt = errors.New("stored record does not decode")

// setAside records an input as a dead letter and queues the fixed apology.
func (w *writer) setAside(env flows.Envelope, reason string) (int, error) {
	if err := w.dead(flows.Dead{Channel: env.Channel, Raw: env.Raw, Reason: reason, At: env.Input.Now}); err != nil {
		return 0, err
	}
	out := flows.Fallback(env)
	return len(out), w.enqueue(out)
}

// envError is a write that failed for one input; the batch is applied
// again with that input set aside.
type envError struct {
	i   int
	err error
}

func (e *envError) Error() string { return fmt.Sprintf("input %d: %v", e.i, e.err) }
func (e *envError) Unwrap() error { return e.err }

// writer does the writes of one transaction.
type writer struct {
	tx   *bbolt.Tx
	db   *DB
	seal *sealer
	// err is the first failure of a read the engine asked for; the
	// engine's Lookup cannot return errors, so Apply checks it after.
	err error
	// queued is set when a row was queued, for the sender to be woken.
	queued bool
}

func (w *writer) session(key flows.Key) (*flows.Session, error) {
	v := w.tx.Bucket(bSessions).Get(key[:])
	if v == nil {
		return nil, nil
	}
	plain, err := w.seal.open(v)
	if err != nil {
		return nil, fmt.Errorf("session %x: %w: %v", key[:4], errCorrupt, err)
	}
	s, err := decodeSession(plain)
	if err != nil {
		return nil, fmt.Errorf("session %x: %w: %v", key[:4], errCorrupt, err)
	}
	return s, nil
}

func (w *writer) putSession(key flows.Key, s *flows.Session) error {
	b := w.tx.Bucket(bSessions)
	if s == nil {
		return b.Delete(key[:])
	}
	v, err := encodeSession(s)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	// Sealed: a session mid-complaint holds the draft and the phone.
	if v, err = w.seal.seal(v); err != nil {
		return err
	}
	return b.Put(key[:], v)
}

func responseKey(wave, school string, key flows.Key) []byte {
	k := make([]byte, 0, len(wave)+len(school)+2+len(key))
	k = append(k, wave...)
	k = append(k, 0)
	k = append(k, school...)
	k = append(k, 0)
	return append(k, key[:]...)
}

// byKeyIndex is a response's entry in responses_by_key: the respondent key
// first, so that /dulieu and /xoadulieu find a parent's responses with one
// seek rather than a scan of them all. k is the response's key.
func byKeyIndex(k []byte) []byte {
	rest, key := k[:len(k)-len(flows.Key{})-1], k[len(k)-len(flows.Key{}):]
	return append(append([]byte(nil), key...), rest...)
}

// responseOfIndex is the response key of an entry of responses_by_key.
func responseOfIndex(ik []byte) []byte {
	n := len(flows.Key{})
	return append(append(append([]byte(nil), ik[n:]...), 0), ik[:n]...)
}

// responsesIndexed marks (in meta) that responses_by_key holds every
// response.
const responsesIndexed = "responses_by_key_v1"

// indexResponses builds responses_by_key once, for the responses stored
// before it existed.
func (db *DB) indexResponses() error {
	var buf []byte // the entries, one after another
	var at []int   // where each starts
	if err := db.b.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bMeta).Get([]byte(responsesIndexed)) != nil {
			return nil
		}
		return tx.Bucket(bResponses).ForEach(func(k, _ []byte) error {
			if len(k) > len(flows.Key{}) { // else not a response key: hailong check names it
				at = append(at, len(buf))
				buf = append(buf, byKeyIndex(k)...)
			}
			return nil
		})
	}); err != nil {
		return err
	}
	marked := func(*bbolt.Tx) error { return nil } // the entries are put
	if at == nil {
		return db.buildOnce(responsesIndexed, marked) // built, or nothing to index
	}
	key := func(i int) []byte {
		end := len(buf)
		if i+1 < len(at) {
			end = at[i+1]
		}
		return buf[at[i]:end]
	}
	// Put in order and in chunks: bbolt splits a bucket's pages only at
	// commit, so a million entries put at random in one transaction each
	// move half of one growing page (minutes, and all of it in memory);
	// in order each is appended. Opened by this process alone, the
	// database changes between the chunks only here; a crash before the
	// mark builds it again, putting what is there already.
	order := make([]int, len(at))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return bytes.Compare(key(a), key(b)) })
	const chunk = 100_000
	for len(order) > 0 {
		part := order[:min(chunk, len(order))]
		order = order[len(part):]
		if err := db.b.Update(func(tx *bbolt.Tx) error {
			idx := tx.Bucket(bByKey)
			idx.FillPercent = 0.9 // appended in order: full pages, room for a few more
			for _, i := range part {
				if err := idx.Put(key(i), nil); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return db.buildOnce(responsesIndexed, marked)
}

// respondentsQ is the aggregate "question" counting respondents; question
// ids cannot contain '#'.
const respondentsQ = "#"

func aggKey(wave, school, qid, bucket string) []byte {
	return []byte(wave + "\x00" + school + "\x00" + qid + "\x00" + bucket)
}

// dropResponse deletes the response r stored under k with its entries in
// every index of responses (by respondent, comments); its counts are the
// caller's to move (erased: taken out; purged: kept as retired).
func (w *writer) dropResponse(k []byte, r *flows.Response) error {
	if err := w.indexComment(r, k, false); err != nil {
		return err
	}
	if err := w.tx.Bucket(bResponses).Delete(k); err != nil {
		return err
	}
	return w.tx.Bucket(bByKey).Delete(byKeyIndex(k))
}

// saveResponse stores r, replacing the respondent's earlier response for
// the same wave and school, and moves the aggregates by the difference.
func (w *writer) saveResponse(key flows.Key, r *flows.Response) error {
	rb := w.tx.Bucket(bResponses)
	k := responseKey(r.Wave, r.School, key)
	if old := rb.Get(k); old != nil {
		prev, err := decodeResponse(k, old)
		if err != nil {
			return fmt.Errorf("response being replaced: %w", err)
		}
		if err := w.count(&prev, -1); err != nil {
			return err
		}
		if err := w.indexComment(&prev, k, false); err != nil {
			return err
		}
		if err := w.countDay(&prev, -1); err != nil {
			return err
		}
	} else if err := w.add(aggKey(r.Wave, r.School, respondentsQ, ""), 1); err != nil {
		return err
	} else if err := w.tx.Bucket(bByKey).Put(byKeyIndex(k), nil); err != nil {
		return err
	}
	if err := w.count(r, 1); err != nil {
		return err
	}
	if err := w.countDay(r, 1); err != nil {
		return err
	}
	if err := w.indexComment(r, k, true); err != nil {
		return err
	}
	sealed, err := w.sealTexts(r)
	if err != nil {
		return fmt.Errorf("save response: %w", err)
	}
	if err := rb.Put(k, encodeResponse(sealed)); err != nil {
		return fmt.Errorf("save response: %w", err)
	}
	return nil
}

// sealedText marks a free-text answer stored sealed: what a parent writes
// may name them or others, so it is kept like the rest of their words
// (complaints, the outbox), not in the clear beside the pseudonym. A typed
// answer cannot start with a NUL.
const sealedText = "\x00"

// sealTexts returns r with its free-text answers (counted as "given")
// sealed.
func (w *writer) sealTexts(r *flows.Response) (*flows.Response, error) {
	out := *r
	out.Answers = maps.Clone(r.Answers)
	for id, v := range r.Answers {
		if v == "" || r.Buckets[id] != flows.TextGiven {
			continue
		}
		b, err := w.seal.seal([]byte(v))
		if err != nil {
			return nil, err
		}
		out.Answers[id] = sealedText + string(b)
	}
	return &out, nil
}

// openTexts opens the sealed free-text answers of a stored response; one
// that does not open (another secret) is left out.
func (db *DB) openTexts(r *flows.Response) {
	for id, v := range r.Answers {
		if rest, ok := strings.CutPrefix(v, sealedText); ok {
			if plain, err := db.seal.open([]byte(rest)); err == nil {
				r.Answers[id] = string(plain)
			} else {
				delete(r.Answers, id)
			}
		}
	}
}

func (w *writer) count(r *flows.Response, delta int64) error {
	for qid, bucket := range r.Buckets {
		if err := w.add(aggKey(r.Wave, r.School, qid, bucket), delta); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) add(k []byte, delta int64) error { return w.addTo(bAggs, k, delta) }

// addTo moves a big-endian counter of a bucket by delta, deleting it at 0.
func (w *writer) addTo(bucket, k []byte, delta int64) error {
	b := w.tx.Bucket(bucket)
	var n int64
	if v := b.Get(k); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	n += delta
	if n < 0 {
		return fmt.Errorf("count %q in %s would go negative", k, bucket)
	}
	if n == 0 {
		return b.Delete(k)
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(n))
	return b.Put(k, v[:])
}

func (w *writer) enqueue(out []flows.Outgoing) error {
	for _, o := range out {
		if _, err := w.enqueueOne(o); err != nil {
			return err
		}
	}
	return nil
}

// clearOptions forgets the options a user of a channel without buttons was
// last shown, when a message they did not ask for reaches them (an alert,
// a follow-up): a number they type next must not act on what they saw
// before it. A private chat's id is its user's.
func (w *writer) clearOptions(channel, chat string) error {
	key := w.db.keys.Key(channel, chat)
	s, err := w.session(key)
	if err != nil || s == nil || s.Options == nil {
		return err
	}
	s.Options = nil
	return w.putSession(key, s)
}

// enqueueOne queues a row and returns its sequence number, or 0 when the
// chat is not to be written to.
func (w *writer) enqueueOne(o flows.Outgoing) (uint64, error) {
	if to := w.tx.Bucket(bMigrated).Get([]byte(o.Channel + ":" + o.Chat)); to != nil {
		o.Chat = string(to)
	}
	rk := w.db.recipientKey(o.Channel, o.Chat)
	if w.tx.Bucket(bStopped).Get(rk) != nil {
		return 0, nil // they blocked the bot; their next message lifts this
	}
	if o.Priority > flows.PriorityInteractive && w.tx.Bucket(bOptOut).Get(rk) != nil {
		return 0, nil // they said /stop: only answers to their own messages
	}
	if o.Reply.Detached != "" && len(o.Reply.Buttons) > 0 && o.Priority <= flows.PriorityAlert {
		// Alerts and follow-ups: one recipient each. An announcement's
		// thousands of rows are left alone — a number typed after it can
		// only pick from the parent's own last menu, which does no harm.
		if err := w.clearOptions(o.Channel, o.Chat); err != nil {
			return 0, err
		}
	}
	b := w.tx.Bucket(bOutbox)
	seq, err := b.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("outbox sequence: %w", err)
	}
	v, err := w.seal.seal(encodeRow(&o))
	if err != nil {
		return 0, err
	}
	if err := b.Put(u64(seq), v); err != nil {
		return 0, fmt.Errorf("queue outgoing: %w", err)
	}
	// Urgent rows are indexed in their order, with their chat's key
	// (sent within seconds, they are many only in a burst, and appending
	// keeps few pages in memory); the others — digests, announcements: the
	// long queues — by chat.
	ix, ik, iv := w.tx.Bucket(bUrgent), u64(seq), rk
	if o.Priority >= flows.PriorityDigest {
		ix, ik, iv = w.tx.Bucket(bByChat), append(rk, ik...), nil
	}
	if err := ix.Put(ik, iv); err != nil {
		return 0, fmt.Errorf("queue outgoing: %w", err)
	}
	w.queued = true
	return seq, nil
}

// deleteRow removes an outbox row, and its places in the indexes: among
// the urgent rows and its chat's.
func (w *writer) deleteRow(seq uint64) error {
	ob, ub, k := w.tx.Bucket(bOutbox), w.tx.Bucket(bUrgent), u64(seq)
	if ub.Get(k) != nil {
		if err := ub.Delete(k); err != nil {
			return err
		}
	} else if v := ob.Get(k); v != nil {
		// A digest or announcement row: its chat's index entry goes too.
		// One that does not open leaves it, for the chat's next Stop or
		// withdrawal to drop.
		if o, err := w.db.openRow(v); err == nil {
			if err := w.tx.Bucket(bByChat).Delete(append(w.db.recipientKey(o.Channel, o.Chat), k...)); err != nil {
				return err
			}
		}
	}
	return ob.Delete(k)
}

// chatRows are the sequence numbers of a chat's outbox rows, in order:
// its digests and announcements from the chats' index (entries whose row is
// gone are dropped on the way), and with urgent its urgent rows, found by
// opening each of theirs (few, but all of a burst of replies).
func (w *writer) chatRows(channel, chat string, urgent bool) ([]uint64, error) {
	rk := w.db.recipientKey(channel, chat)
	var seqs []uint64
	var stale [][]byte
	c, ob := w.tx.Bucket(bByChat).Cursor(), w.tx.Bucket(bOutbox)
	for k, _ := c.Seek(rk); k != nil && bytes.HasPrefix(k, rk) && len(k) == len(rk)+8; k, _ = c.Next() {
		if ob.Get(k[len(rk):]) == nil {
			stale = append(stale, append([]byte(nil), k...))
			continue
		}
		seqs = append(seqs, binary.BigEndian.Uint64(k[len(rk):]))
	}
	for _, k := range stale {
		if err := w.tx.Bucket(bByChat).Delete(k); err != nil {
			return nil, err
		}
	}
	uc := w.tx.Bucket(bUrgent).Cursor()
	for k, v := uc.First(); urgent && k != nil; k, v = uc.Next() {
		if bytes.Equal(v, rk) && ob.Get(k) != nil {
			seqs = append(seqs, binary.BigEndian.Uint64(k))
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

// indexesBuilt marks (in meta) that the outbox's indexes hold every row.
const indexesBuilt = "outbox_indexes_v3"

// indexChats builds the outbox's indexes once, for rows queued before
// they existed.
func (db *DB) indexChats() error {
	return db.buildOnce(indexesBuilt, func(tx *bbolt.Tx) error {
		// Built afresh: an earlier build may have indexed differently.
		for _, name := range [][]byte{bByChat, bUrgent} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		chats, urgent := tx.Bucket(bByChat), tx.Bucket(bUrgent)
		return tx.Bucket(bOutbox).ForEach(func(k, v []byte) error {
			o, err := db.openRow(v)
			switch {
			case err != nil:
				return nil // set aside when the sender reaches it
			case o.Priority >= flows.PriorityDigest:
				return chats.Put(append(db.recipientKey(o.Channel, o.Chat), k...), nil)
			default:
				return urgent.Put(k, db.recipientKey(o.Channel, o.Chat))
			}
		})
	})
}

// buildOnce runs build in a write transaction and sets mark in meta with
// it, unless mark is set: an index of records written before it existed
// is built once. A start that finds it built commits nothing.
func (db *DB) buildOnce(mark string, build func(*bbolt.Tx) error) error {
	built := false
	if err := db.b.View(func(tx *bbolt.Tx) error {
		built = tx.Bucket(bMeta).Get([]byte(mark)) != nil
		return nil
	}); err != nil || built {
		return err
	}
	return db.b.Update(func(tx *bbolt.Tx) error {
		m := tx.Bucket(bMeta)
		if m.Get([]byte(mark)) != nil {
			return nil
		}
		if err := build(tx); err != nil {
			return err
		}
		return m.Put([]byte(mark), []byte{1})
	})
}

func (w *writer) dead(d flows.Dead) error {
	b := w.tx.Bucket(bDead)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("dead letter sequence: %w", err)
	}
	v, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode dead letter: %w", err)
	}
	if v, err = w.seal.seal(v); err != nil {
		return err
	}
	return b.Put(u64(seq), v)
}

type cursor struct {
	Offset int64     `json:"offset"`
	At     time.Time `json:"at"`
}

func (w *writer) setCursor(channel string, offset int64, at time.Time) error {
	v, _ := json.Marshal(cursor{offset, at})
	return w.tx.Bucket(bMeta).Put([]byte("cursor/"+channel), v)
}

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// Cursor returns a channel's stored position and when it was stored.
func (db *DB) Cursor(channel string) (int64, time.Time, error) {
	var c cursor
	err := db.b.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bMeta).Get([]byte("cursor/" + channel))
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &c)
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read cursor of %s: %w", channel, err)
	}
	return c.Offset, c.At, nil
}

// Pending returns up to limit outbox rows of a channel in commit order.
func (db *DB) Pending(channel string, limit int) ([]flows.Queued, error) {
	rows, _, err := db.PendingAfter(channel, 0, limit)
	return rows, err
}

// PendingAfter returns up to limit outbox rows of a channel committed after
// row after, in commit order: a sender reads only what is new to it. upTo
// is the last row it looked at, of any channel: the next read can start
// there, so that a long queue of another channel's rows is not read again
// and again.
func (db *DB) PendingAfter(channel string, after uint64, limit int) (out []flows.Queued, upTo uint64, err error) {
	upTo = after
	bad := map[uint64]string{}
	// The rows are copied in a short read transaction and opened after it:
	// a long one would hold up a writer that must grow the file (bbolt
	// remaps it only once every reader is done).
	type raw struct {
		seq uint64
		v   []byte
	}
	for len(out) < limit {
		var rows []raw
		more := false
		err := db.b.View(func(tx *bbolt.Tx) error {
			c := tx.Bucket(bOutbox).Cursor()
			k, v := c.Seek(u64(after + 1))
			for ; k != nil && len(rows) < limit-len(out); k, v = c.Next() {
				rows = append(rows, raw{binary.BigEndian.Uint64(k), append([]byte(nil), v...)})
			}
			more = k != nil
			return nil
		})
		if err != nil {
			return nil, upTo, fmt.Errorf("read outbox: %w", err)
		}
		for _, r := range rows {
			upTo = r.seq
			o, err := db.openRow(r.v)
			if err != nil {
				// Sealed under another secret, or damaged: it cannot be
				// sent, and must not stop the rows behind it.
				bad[r.seq] = err.Error()
				continue
			}
			if o.Channel == channel {
				out = append(out, flows.Queued{Seq: r.seq, Outgoing: o})
			}
		}
		if !more || len(rows) == 0 {
			break
		}
		after = rows[len(rows)-1].seq
	}
	if len(bad) > 0 {
		db.log.Error("outbox rows that do not open were set aside", "rows", len(bad))
		err := db.b.Update(func(tx *bbolt.Tx) error {
			w := writer{tx: tx, db: db, seal: db.seal}
			for seq, reason := range bad {
				if err := w.dead(flows.Dead{Reason: "outbox row " + strconv.FormatUint(seq, 10) + ": " + reason, At: time.Now()}); err != nil {
					return err
				}
				if err := w.deleteRow(seq); err != nil {
					return err
				}
				if err := w.settle(seq, failed, time.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, upTo, fmt.Errorf("set aside unreadable outbox rows: %w", err)
		}
	}
	return out, upTo, nil
}

// PendingUrgent returns up to limit of a channel's rows that go before
// digests and announcements — acknowledgements, replies, alerts —
// committed after row after, in commit order, and the last urgent row it
// looked at, of any channel (the next read starts there). A sender whose
// window is full of a long backlog reads them here, so that they need not
// wait for the backlog to drain. It looks at no more than a few hundred
// rows at a time, in a short transaction.
func (db *DB) PendingUrgent(channel string, after uint64, limit int) (out []flows.Queued, upTo uint64, err error) {
	upTo = after
	scan := 4*limit + 200
	err = db.b.View(func(tx *bbolt.Tx) error {
		c, ob := tx.Bucket(bUrgent).Cursor(), tx.Bucket(bOutbox)
		for k, _ := c.Seek(u64(after + 1)); k != nil && len(out) < limit && scan > 0; k, _ = c.Next() {
			scan--
			upTo = binary.BigEndian.Uint64(k)
			v := ob.Get(k)
			if v == nil {
				continue
			}
			// One that does not open is set aside when the window
			// reaches it.
			if o, err := db.openRow(v); err == nil && o.Channel == channel {
				out = append(out, flows.Queued{Seq: upTo, Outgoing: o})
			}
		}
		return nil
	})
	if err != nil {
		return nil, upTo, fmt.Errorf("read the urgent outbox rows: %w", err)
	}
	return out, upTo, nil
}

// Queued reports whether an outbox row is still there.
func (db *DB) Queued(seq uint64) (bool, error) {
	var ok bool
	err := db.b.View(func(tx *bbolt.Tx) error {
		ok = tx.Bucket(bOutbox).Get(u64(seq)) != nil
		return nil
	})
	return ok, wrap("look for outbox row "+strconv.FormatUint(seq, 10), err)
}

// wrap says what was being done when err happened; nil stays nil.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Done removes sent rows from the outbox (and counts an announcement's
// rows as delivered).
func (db *DB) Done(seqs ...uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	now := time.Now()
	var w writer
	err := db.b.Update(func(tx *bbolt.Tx) error {
		w = writer{tx: tx, db: db, seal: db.seal}
		for _, s := range seqs {
			if err := w.deleteRow(s); err != nil {
				return err
			}
			if err := w.settle(s, delivered, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove %d sent rows from the outbox: %w", len(seqs), err)
	}
	if w.queued {
		db.signal()
	}
	return nil
}

// Fail moves an outbox row that can never be sent to the dead letters.
func (db *DB) Fail(q flows.Queued, reason string, at time.Time) error {
	raw, _ := json.Marshal(q.Outgoing)
	var w writer
	err := db.b.Update(func(tx *bbolt.Tx) error {
		w = writer{tx: tx, db: db, seal: db.seal}
		if err := w.dead(flows.Dead{Channel: q.Channel, Raw: string(raw), Reason: reason, At: at}); err != nil {
			return err
		}
		if err := w.settle(q.Seq, failed, at); err != nil {
			return err
		}
		return w.deleteRow(q.Seq)
	})
	if err == nil && w.queued {
		db.signal()
	}
	if err != nil {
		return fmt.Errorf("dead-letter outbox row %d: %w", q.Seq, err)
	}
	return nil
}

// DeadLetters returns the dead letters in the order they were set aside.
func (db *DB) DeadLetters() ([]flows.Dead, error) {
	var out []flows.Dead
	err := db.b.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bDead).ForEach(func(_, v []byte) error {
			d, err := db.openDead(v)
			if err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	})
	return out, wrap("read the dead letters", err)
}

// openDead reads a stored dead letter.
func (db *DB) openDead(v []byte) (flows.Dead, error) {
	var d flows.Dead
	plain, err := db.seal.open(v)
	if err != nil {
		return d, fmt.Errorf("dead letter: %w", err)
	}
	if err := json.Unmarshal(plain, &d); err != nil {
		return d, fmt.Errorf("dead letter: %w: %v", errCorrupt, err)
	}
	return d, nil
}

// Tally is the aggregate state of one wave: per school, the respondents
// and the answer counts.
type Tally = flows.WaveCounts

func newTally() Tally {
	return Tally{Respondents: map[string]int{}, Counts: map[string]flows.Counts{}}
}

func add(t Tally, school, qid, bucket string, n int) {
	if qid == respondentsQ {
		t.Respondents[school] += n
		return
	}
	c := t.Counts[school]
	if c == nil {
		c = flows.Counts{}
		t.Counts[school] = c
	}
	if c[qid] == nil {
		c[qid] = map[string]int{}
	}
	c[qid][bucket] += n
}

// Aggregates reads the incremental aggregates of a wave.
func (db *DB) Aggregates(wave string) (Tally, error) {
	var t Tally
	err := db.b.View(func(tx *bbolt.Tx) error {
		var err error
		t, err = aggregates(tx, wave)
		return err
	})
	if err != nil {
		return Tally{}, fmt.Errorf("read aggregates of wave %s: %w", wave, err)
	}
	return t, nil
}

// Recount computes a wave's aggregates afresh from the stored responses
// and the tally of those purged after the retention period; it must equal
// Aggregates.
func (db *DB) Recount(wave string) (Tally, error) {
	var t Tally
	err := db.b.View(func(tx *bbolt.Tx) error {
		var err error
		t, err = recount(tx, wave)
		return err
	})
	if err != nil {
		return Tally{}, fmt.Errorf("recount wave %s: %w", wave, err)
	}
	return t, nil
}

// seekEach says whether to read some schools' records by a seek to each
// one's prefix rather than in one pass over the wave, filtered: up to a
// quarter of all the schools, seeks are cheaper (a commune's report reads
// its own); past it, the pass. AggregatesOf and the day counts ask it.
func (db *DB) seekEach(schools []string) bool {
	return db.eng != nil && len(schools)*4 <= len(db.eng.Directory().Schools)
}

// AggregatesOf is Aggregates for some schools alone, each read under its
// own prefix (seekEach), else the wave's whole and the other schools'
// counts come along.
func (db *DB) AggregatesOf(wave string, schools []string) (Tally, error) {
	if !db.seekEach(schools) {
		return db.Aggregates(wave)
	}
	t := newTally()
	err := db.b.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bAggs)
		for _, sc := range schools {
			if err := countsUnder(t, b, []byte(wave+"\x00"), []byte(wave+"\x00"+sc+"\x00")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Tally{}, fmt.Errorf("read aggregates of wave %s: %w", wave, err)
	}
	return t, nil
}

// counts adds up a bucket of aggregate-shaped keys under a wave's prefix.
func counts(t Tally, b *bbolt.Bucket, prefix []byte) error { return countsUnder(t, b, prefix, prefix) }

// countsUnder adds up the keys under seek, a longer prefix than the wave's.
func countsUnder(t Tally, b *bbolt.Bucket, prefix, seek []byte) error {
	c := b.Cursor()
	for k, v := c.Seek(seek); k != nil && bytes.HasPrefix(k, seek); k, v = c.Next() {
		parts := bytes.SplitN(k[len(prefix):], []byte{0}, 3)
		if len(parts) != 3 || len(v) != 8 {
			return fmt.Errorf("count %q: %w", k, errCorrupt)
		}
		add(t, string(parts[0]), string(parts[1]), string(parts[2]), int(binary.BigEndian.Uint64(v)))
	}
	return nil
}

func aggregates(tx *bbolt.Tx, wave string) (Tally, error) {
	t := newTally()
	return t, counts(t, tx.Bucket(bAggs), []byte(wave+"\x00"))
}

func recount(tx *bbolt.Tx, wave string) (Tally, error) {
	t := newTally()
	prefix := []byte(wave + "\x00")
	c := tx.Bucket(bResponses).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		r, err := decodeResponse(k, v)
		if err != nil {
			return t, err
		}
		add(t, r.School, respondentsQ, "", 1)
		for qid, bucket := range r.Buckets {
			add(t, r.School, qid, bucket, 1)
		}
	}
	// Responses purged after the retention period count as retired.
	return t, counts(t, tx.Bucket(bRetired), prefix)
}

// Responses calls fn with every stored response of a wave.
func (db *DB) Responses(wave string, fn func(flows.Response) error) error {
	prefix := []byte(wave + "\x00")
	return wrap("read the responses of wave "+wave, db.b.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bResponses).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			r, err := decodeResponse(k, v)
			if err != nil {
				return err
			}
			db.openTexts(&r)
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}))
}

// Session returns the stored session of a user on a channel, for tools
// and tests.
func (db *DB) Session(channel, user string) (*flows.Session, error) {
	var s *flows.Session
	err := db.b.View(func(tx *bbolt.Tx) error {
		var err error
		s, err = (&writer{tx: tx, db: db, seal: db.seal}).session(db.keys.Key(channel, user))
		return err
	})
	return s, wrap("read a session", err)
}
