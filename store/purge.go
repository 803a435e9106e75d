package store

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// purgeChunk is how many records one purge transaction deletes: the
// updates being applied meanwhile wait for no longer than a few of them.
const purgeChunk = 1000

// Purge deletes what is past the retention period (before cutoff): the
// responses submitted — while the aggregates stay: their counts move to
// the retired tally, so a recount still adds up —, the sessions idle since
// with their place in the announcements' audience, and the dead letters.
// A response that does not decode is left (and logged) for `hailong check`
// rather than stopping the rest. It returns how many responses went.
func (db *DB) Purge(cutoff time.Time) (int, error) {
	// What to delete is found in a read transaction, which does not hold
	// up the updates being applied meanwhile; it is deleted in short write
	// transactions that look at each again.
	var doomed, idle, dead [][]byte
	damaged := 0
	err := db.b.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bResponses).Cursor()
		for k, v := c.First(); k != nil; {
			wave, _, _ := bytes.Cut(k, []byte{0})
			if w, ok := db.waveOf(string(wave)); ok && !w.Start.Before(cutoff) {
				// Answered while the wave was open: none is old enough.
				k, v = c.Seek(append(append([]byte(nil), wave...), 1))
				continue
			}
			if r, err := decodeResponse(k, v); err != nil {
				damaged++
			} else if r.At.Before(cutoff) {
				doomed = append(doomed, append([]byte(nil), k...))
			}
			k, v = c.Next()
		}
		// Sessions idle for as long hold only consent and old choices.
		if err := tx.Bucket(bSessions).ForEach(func(k, v []byte) error {
			if s := db.openSession(v); s != nil && s.Updated.Before(cutoff) && !s.Staff {
				idle = append(idle, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bDead).ForEach(func(k, v []byte) error {
			if d, err := db.openDead(v); err != nil || d.At.Before(cutoff) {
				dead = append(dead, append([]byte(nil), k...))
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("purge before %s: %w", cutoff.Format(time.DateOnly), err)
	}
	if damaged > 0 {
		db.log.Error("responses that do not decode were left in place; run hailong check", "count", damaged)
	}
	n := 0
	for len(doomed) > 0 {
		chunk := doomed[:min(len(doomed), purgeChunk)]
		doomed = doomed[len(chunk):]
		var gone int
		err := db.b.Update(func(tx *bbolt.Tx) error {
			gone = 0
			w := writer{tx: tx, db: db, seal: db.seal}
			b := tx.Bucket(bResponses)
			for _, k := range chunk {
				v := b.Get(k)
				if v == nil {
					continue // replaced or erased meanwhile
				}
				r, err := decodeResponse(k, v)
				if err != nil || !r.At.Before(cutoff) {
					continue
				}
				if err := w.retire(&r); err != nil {
					return err
				}
				if err := w.dropResponse(k, &r); err != nil {
					return err
				}
				gone++
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("purge responses before %s: %w", cutoff.Format(time.DateOnly), err)
		}
		n += gone
	}
	gone := map[flows.Key]bool{}
	for len(idle) > 0 {
		chunk := idle[:min(len(idle), purgeChunk)]
		idle = idle[len(chunk):]
		err := db.b.Update(func(tx *bbolt.Tx) error {
			sb := tx.Bucket(bSessions)
			for _, k := range chunk {
				if s := db.openSession(sb.Get(k)); s == nil || !s.Updated.Before(cutoff) {
					continue // it wrote meanwhile
				}
				if err := sb.Delete(k); err != nil {
					return err
				}
				gone[flows.Key(k)] = true
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("purge idle sessions before %s: %w", cutoff.Format(time.DateOnly), err)
		}
	}
	// Their places in the audience: one pass over it for all of them.
	if err := db.b.Update(func(tx *bbolt.Tx) error {
		return (&writer{tx: tx, db: db, seal: db.seal}).forgetAll(gone)
	}); err != nil {
		return n, fmt.Errorf("purge idle parents from the audience: %w", err)
	}
	for len(dead) > 0 {
		chunk := dead[:min(len(dead), purgeChunk)]
		dead = dead[len(chunk):]
		err := db.b.Update(func(tx *bbolt.Tx) error {
			b := tx.Bucket(bDead)
			for _, k := range chunk {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("purge dead letters before %s: %w", cutoff.Format(time.DateOnly), err)
		}
	}
	return n, nil
}

// waveOf is a wave of the engine's directory.
func (db *DB) waveOf(id string) (*flows.Wave, bool) {
	if db.eng == nil {
		return nil, false
	}
	return db.eng.Directory().Wave(id)
}

// openSession reads a stored session, or nil when it does not open.
func (db *DB) openSession(v []byte) *flows.Session {
	if v == nil {
		return nil
	}
	plain, err := db.seal.open(v)
	if err != nil {
		return nil // set aside when its owner next writes
	}
	s, err := decodeSession(plain)
	if err != nil {
		return nil
	}
	return s
}

// retire moves a purged response's counts to the retired tally.
func (w *writer) retire(r *flows.Response) error {
	if err := w.addTo(bRetired, aggKey(r.Wave, r.School, respondentsQ, ""), 1); err != nil {
		return err
	}
	for qid, bucket := range r.Buckets {
		if err := w.addTo(bRetired, aggKey(r.Wave, r.School, qid, bucket), 1); err != nil {
			return err
		}
	}
	return nil
}

// ForgetPre removes the choices made before consent (a QR code's school,
// a language) by users who did not consent within preFor of now.
func (db *DB) ForgetPre(now time.Time) (int, error) {
	cutoff := now.Add(-preFor)
	return db.forget(bPre, func(v []byte) bool { return prePast(v, cutoff) })
}

// forget deletes a bucket's entries whose value is old.
func (db *DB) forget(bucket []byte, old func(v []byte) bool) (int, error) {
	n := 0
	err := db.b.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucket)
		var keys [][]byte
		err := b.ForEach(func(k, v []byte) error {
			if old(v) {
				keys = append(keys, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(keys)
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("forget old %s entries: %w", bucket, err)
	}
	return n, nil
}

// preFor is how long a choice made before consent (the school of a QR
// code, a language) is kept for the consent that may follow.
const preFor = 7 * 24 * time.Hour

// prePast says whether a pre-consent entry is older than cutoff; one of
// before the time was kept counts as old.
func prePast(v []byte, cutoff time.Time) bool {
	_, rest, _ := bytes.Cut(v, []byte{0})
	_, at, ok := bytes.Cut(rest, []byte{0})
	sec, err := strconv.ParseInt(string(at), 10, 64)
	return !ok || err != nil || time.Unix(sec, 0).Before(cutoff)
}
