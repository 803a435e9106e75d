package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

func (db *DB) day(t time.Time) string {
	loc := time.UTC
	if db.eng != nil {
		loc = db.eng.Location()
	}
	return t.In(loc).Format(time.DateOnly)
}

func dailyKey(wave, school, day string) []byte {
	return []byte(wave + "\x00" + school + "\x00" + day)
}

// countDay moves the per-day count of responses: a response counts on the
// day it was last submitted.
func (w *writer) countDay(r *flows.Response, delta int64) error {
	b := w.tx.Bucket(bDaily)
	k := dailyKey(r.Wave, r.School, w.db.day(r.At))
	var n int64
	if v := b.Get(k); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	n += delta
	if n <= 0 {
		return b.Delete(k)
	}
	return b.Put(k, u64(uint64(n)))
}

// NewResponses counts, per school, the responses of the given waves last
// submitted on a day in [from, to).
func (db *DB) NewResponses(waves []string, from, to time.Time) (map[string]int, error) {
	return db.NewResponsesOf(waves, nil, from, to)
}

// NewResponsesOf is NewResponses for some schools alone (nil: all), each
// read from the period's first day: a commune's weekly count reads a week
// of each of its schools, not the wave's every day.
func (db *DB) NewResponsesOf(waves, schools []string, from, to time.Time) (map[string]int, error) {
	out := map[string]int{}
	err := db.dailyCounts(waves, schools, db.day(from), db.day(to), func(school, _ string, n int) { out[school] += n })
	if err != nil {
		return nil, fmt.Errorf("count new responses: %w", err)
	}
	return out, nil
}

// dailyCounts calls fn with every day count (wave 0 school 0 day) of the
// waves from day lo to before hi: of every school, or of schools alone —
// few read with a seek to each one's first day, more (seekEach) in one
// pass over the wave, filtered.
func (db *DB) dailyCounts(waves, schools []string, lo, hi string, fn func(school, day string, n int)) error {
	var in map[string]bool
	if schools != nil && !db.seekEach(schools) {
		in = make(map[string]bool, len(schools))
		for _, sc := range schools {
			in[sc] = true
		}
	}
	return db.b.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bDaily).Cursor()
		// scan counts the keys under bound from seek on; wave is the
		// length of the wave's prefix.
		scan := func(wave int, bound, seek []byte) error {
			for k, v := c.Seek(seek); k != nil && bytes.HasPrefix(k, bound); k, v = c.Next() {
				school, day, ok := cut0(k[wave:])
				if !ok || len(v) != 8 {
					return fmt.Errorf("daily count %q: %w", k, errCorrupt)
				}
				switch d := string(day); {
				case d >= lo && d < hi && (in == nil || in[string(school)]):
					fn(string(school), d, int(binary.BigEndian.Uint64(v)))
				case d >= hi && len(bound) > wave:
					return nil // one school's days are in order
				}
			}
			return nil
		}
		for _, w := range waves {
			prefix := []byte(w + "\x00")
			if schools == nil || in != nil {
				if err := scan(len(prefix), prefix, prefix); err != nil {
					return err
				}
				continue
			}
			for _, sc := range schools {
				bound := []byte(w + "\x00" + sc + "\x00")
				if err := scan(len(prefix), bound, append(bound[:len(bound):len(bound)], lo...)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Snapshot returns what was recorded for a digest key, if it was sent.
func (db *DB) Snapshot(key string) ([]byte, bool, error) {
	var v []byte
	err := db.b.View(func(tx *bbolt.Tx) error {
		v = append([]byte(nil), tx.Bucket(bDigests).Get([]byte(key))...)
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("read digest %s: %w", key, err)
	}
	return v, len(v) > 0, nil
}

// SendDigest queues a digest's messages and records it as sent, in one
// transaction; false if it was sent already, so no period goes out twice.
func (db *DB) SendDigest(key string, snapshot []byte, out []flows.Outgoing) (bool, error) {
	sent := false
	err := db.b.Update(func(tx *bbolt.Tx) error {
		sent = false
		b := tx.Bucket(bDigests)
		if b.Get([]byte(key)) != nil {
			return nil
		}
		if len(snapshot) == 0 {
			snapshot = []byte("{}")
		}
		if err := b.Put([]byte(key), snapshot); err != nil {
			return err
		}
		w := writer{tx: tx, db: db, seal: db.seal}
		if err := w.enqueue(out); err != nil {
			return err
		}
		sent = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("send digest %s: %w", key, err)
	}
	if sent && len(out) > 0 {
		db.signal()
	}
	return sent, nil
}

// FirstRun returns when the bot first ran on this database, recording now
// if it never did. Digests due before it were never missed.
func (db *DB) FirstRun(now time.Time) (time.Time, error) {
	var first time.Time
	err := db.b.Update(func(tx *bbolt.Tx) error {
		m := tx.Bucket(bMeta)
		if v := m.Get([]byte("first_run")); v != nil {
			return first.UnmarshalBinary(v)
		}
		first = now
		v, err := now.MarshalBinary()
		if err != nil {
			return err
		}
		return m.Put([]byte("first_run"), v)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("first run: %w", err)
	}
	return first, nil
}

// Sizes reports the bytes in use by each bucket's keys and values, for
// measuring what a stored response costs.
func (db *DB) Sizes() (map[string]int, error) {
	out := map[string]int{}
	err := db.b.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			st := b.Stats()
			out[string(name)] = st.LeafInuse + st.BranchInuse + st.InlineBucketInuse
			return nil
		})
	})
	return out, wrap("measure the buckets", err)
}
