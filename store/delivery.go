package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"hailong/flows"
	"hailong/internal/atomicfile"
)

var (
	bStopped  = []byte("stopped")  // recipient key → time: chats that blocked the bot
	bMigrated = []byte("migrated") // "channel:old chat" → new chat id
)

func init() { buckets = append(buckets, bStopped, bMigrated) }

// recipientKey names a chat without storing its id: chat ids of private
// chats are the parents' user ids.
func (db *DB) recipientKey(channel, chat string) []byte {
	sum := db.keys.Sum("recipient:", channel, ":", chat)
	return sum[:16]
}

// Stop records that a chat cannot be reached (the user blocked the bot or
// deleted their account) and drops everything queued for it; nothing more
// is queued for it until they write again.
func (db *DB) Stop(channel, chat string, at time.Time) (dropped int, err error) {
	var w writer
	err = db.b.Update(func(tx *bbolt.Tx) error {
		w = writer{tx: tx, db: db, seal: db.seal}
		dropped = 0
		v, _ := at.MarshalBinary()
		if err := tx.Bucket(bStopped).Put(db.recipientKey(channel, chat), v); err != nil {
			return err
		}
		seqs, err := w.chatRows(channel, chat, true)
		if err != nil {
			return err
		}
		for _, s := range seqs {
			if err := w.deleteRow(s); err != nil {
				return err
			}
		}
		dropped = len(seqs)
		for _, s := range seqs {
			if err := w.settle(s, blocked, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("stop sending to a chat: %w", err)
	}
	if w.queued {
		db.signal()
	}
	return dropped, nil
}

func (db *DB) openRow(v []byte) (flows.Outgoing, error) {
	var o flows.Outgoing
	plain, err := db.seal.open(v)
	if err != nil {
		return o, err
	}
	if o, err = decodeRow(plain); err != nil {
		return o, fmt.Errorf("outbox row: %w: %v", errCorrupt, err)
	}
	return o, nil
}

// Migrate records that a group chat became a supergroup with a new id and
// moves what was queued for it there.
func (db *DB) Migrate(channel, from, to string) error {
	err := db.b.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bMigrated).Put([]byte(channel+":"+from), []byte(to)); err != nil {
			return err
		}
		w := writer{tx: tx, db: db, seal: db.seal}
		seqs, err := w.chatRows(channel, from, true)
		if err != nil {
			return err
		}
		ob, ix := tx.Bucket(bOutbox), tx.Bucket(bByChat)
		oldKey, newKey := db.recipientKey(channel, from), db.recipientKey(channel, to)
		for _, seq := range seqs {
			o, err := db.openRow(ob.Get(u64(seq)))
			if err != nil {
				return err
			}
			o.Chat = to
			nv, err := db.seal.seal(encodeRow(&o))
			if err != nil {
				return err
			}
			if err := ob.Put(u64(seq), nv); err != nil {
				return err
			}
			if o.Priority < flows.PriorityDigest {
				// In the urgent rows' index, under the new chat's key.
				if err := tx.Bucket(bUrgent).Put(u64(seq), newKey); err != nil {
					return err
				}
				continue
			}
			if err := ix.Delete(append(oldKey, u64(seq)...)); err != nil {
				return err
			}
			if err := ix.Put(append(newKey, u64(seq)...), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate chat %s to %s: %w", from, to, err)
	}
	return nil
}

// Backup writes a consistent copy of the database to w while it is in use.
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.b.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// BackupFile writes a consistent copy to path, atomically: a partial
// copy never stands under the name.
func (db *DB) BackupFile(path string) (int64, error) {
	var n int64
	err := atomicfile.Write(path, 0o600, func(w io.Writer) (err error) {
		n, err = db.Backup(w)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// Check verifies the database's invariants and describes every breach:
// aggregates equal a recount of the responses, the complaint indexes match
// the complaints, and nothing is queued for a stopped recipient.
func (db *DB) Check() ([]string, error) {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	waves := map[string]bool{}
	err := db.b.View(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bResponses, bAggs} {
			if err := tx.Bucket(b).ForEach(func(k, _ []byte) error {
				w, _, _ := cut0(k)
				waves[string(w)] = true
				return nil
			}); err != nil {
				return err
			}
		}
		// Complaint indexes.
		open := map[string]bool{}
		byParent := map[string]bool{}
		if err := tx.Bucket(bOpen).ForEach(func(k, _ []byte) error { open[string(k)] = true; return nil }); err != nil {
			return err
		}
		if err := tx.Bucket(bByParent).ForEach(func(k, _ []byte) error { byParent[string(k)] = true; return nil }); err != nil {
			return err
		}
		if err := tx.Bucket(bComplaint).ForEach(func(k, v []byte) error {
			c, err := db.openComplaint(binary.BigEndian.Uint64(k), v)
			if err != nil {
				bad("%v", err)
				return nil
			}
			ok := string(openKey(c.School, c.ID))
			switch {
			case c.Status.Open() && !open[ok]:
				bad("complaint %s is open but missing from the open index", c.Code())
			case !c.Status.Open() && open[ok]:
				bad("complaint %s is closed but in the open index", c.Code())
			}
			delete(open, ok)
			if c.ReporterKey != (flows.Key{}) {
				pk := string(append(c.ReporterKey[:], u64(c.ID)...))
				if !byParent[pk] {
					bad("complaint %s is missing from the parent index", c.Code())
				}
				delete(byParent, pk)
			}
			return nil
		}); err != nil {
			return err
		}
		for range open {
			bad("the open index names a complaint that is not stored or not at that school")
		}
		for range byParent {
			bad("the parent index names a complaint that is not stored or not that parent's")
		}
		if err := checkByKey(tx, bad); err != nil {
			return err
		}
		if err := checkComments(db, tx, bad); err != nil {
			return err
		}
		// Nothing queued for a stopped recipient.
		stopped := tx.Bucket(bStopped)
		return tx.Bucket(bOutbox).ForEach(func(k, v []byte) error {
			o, err := db.openRow(v)
			if err != nil {
				bad("outbox row %d: %v", binary.BigEndian.Uint64(k), err)
				return nil
			}
			if stopped.Get(db.recipientKey(o.Channel, o.Chat)) != nil {
				bad("outbox row %d is queued for a stopped recipient", binary.BigEndian.Uint64(k))
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	// Both tallies from one transaction: a bot applying batches meanwhile
	// must not look like drift.
	err = db.b.View(func(tx *bbolt.Tx) error {
		for w := range waves {
			agg, err := aggregates(tx, w)
			if err != nil {
				return err
			}
			re, err := recount(tx, w)
			if err != nil {
				return err
			}
			for _, d := range diffTally(agg, re) {
				bad("wave %s: %s", w, d)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	return problems, nil
}

func cut0(k []byte) (head, rest []byte, ok bool) {
	for i, c := range k {
		if c == 0 {
			return k[:i], k[i+1:], true
		}
	}
	return k, nil, false
}

// diffTally describes where stored aggregates and a recount disagree.
func diffTally(agg, re Tally) []string {
	var out []string
	for school := range union(agg.Respondents, re.Respondents) {
		if a, r := agg.Respondents[school], re.Respondents[school]; a != r {
			out = append(out, fmt.Sprintf("%s: %d respondents counted, %d stored", school, a, r))
		}
	}
	for school := range union(agg.Counts, re.Counts) {
		for qid := range union(agg.Counts[school], re.Counts[school]) {
			for bucket := range union(agg.Counts[school][qid], re.Counts[school][qid]) {
				if a, r := agg.Counts[school][qid][bucket], re.Counts[school][qid][bucket]; a != r {
					out = append(out, fmt.Sprintf("%s %s=%s: %d counted, %d in the responses", school, qid, bucket, a, r))
				}
			}
		}
	}
	return out
}

func union[V any](a, b map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// Replace removes an outbox row and queues others in its place, in one
// transaction: a report request becomes the report's messages.
func (db *DB) Replace(seq uint64, out []flows.Outgoing) error {
	err := db.b.Update(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: db, seal: db.seal}
		if err := w.deleteRow(seq); err != nil {
			return err
		}
		return w.enqueue(out)
	})
	if err != nil {
		return fmt.Errorf("replace outbox row %d: %w", seq, err)
	}
	db.signal()
	return nil
}

// Compact rewrites the database file at path without the free pages that
// bulk writes and deletions (purges, delivered messages) leave behind, and
// with its pages filled: a copy is written beside it, synced, and renamed
// over it, so a failure leaves the original as it was. It needs the file to
// itself: with a bot running it fails with ErrLocked. It returns the file's
// size before and after.
func Compact(path string) (before, after int64, err error) {
	src, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return 0, 0, fmt.Errorf("compact %s: %w (stop the bot first)", path, ErrLocked)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	defer src.Close()
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	tmp := path + ".compact.tmp"
	os.Remove(tmp)
	dst, err := bbolt.Open(tmp, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		return 0, 0, fmt.Errorf("compact: create %s: %w", tmp, err)
	}
	if err := bbolt.Compact(dst, src, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		os.Remove(tmp)
		return 0, 0, fmt.Errorf("compact: write %s: %w", tmp, err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return 0, 0, fmt.Errorf("compact: write %s: %w", tmp, err)
	}
	nfi, err := os.Stat(tmp)
	if err != nil {
		return 0, 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, 0, fmt.Errorf("compact: replace %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync() // the rename itself must survive a crash
		d.Close()
	}
	return fi.Size(), nfi.Size(), nil
}

// checkByKey holds responses_by_key to the responses: one entry each
// (a database of before the index, opened read-only, has none to check).
func checkByKey(tx *bbolt.Tx, bad func(string, ...any)) error {
	idx := tx.Bucket(bByKey)
	if idx == nil || tx.Bucket(bMeta).Get([]byte(responsesIndexed)) == nil {
		return nil
	}
	rb := tx.Bucket(bResponses)
	missing, stale := 0, 0
	if err := rb.ForEach(func(k, _ []byte) error {
		if len(k) > len(flows.Key{}) && idx.Get(byKeyIndex(k)) == nil {
			missing++
		}
		return nil
	}); err != nil {
		return err
	}
	if err := idx.ForEach(func(ik, _ []byte) error {
		if len(ik) <= len(flows.Key{}) || rb.Get(responseOfIndex(ik)) == nil {
			stale++
		}
		return nil
	}); err != nil {
		return err
	}
	if missing > 0 {
		bad("%d responses are missing from the respondents' index", missing)
	}
	if stale > 0 {
		bad("the respondents' index names %d responses that are not stored", stale)
	}
	return nil
}
