package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// The writer is the engine's Lookup: reads in the transaction being
// applied, so what one input of a batch changed, the next one sees.
var _ flows.Lookup = (*writer)(nil)

func (w *writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *writer) complaint(id uint64) (*flows.Complaint, error) {
	v := w.tx.Bucket(bComplaint).Get(u64(id))
	if v == nil {
		return nil, nil
	}
	return w.db.openComplaint(id, v)
}

// Complaints are sealed: they hold the chat to relay replies to, which is
// the parent's Telegram id, and words that may identify them.
func (db *DB) openComplaint(id uint64, v []byte) (*flows.Complaint, error) {
	plain, err := db.seal.open(v)
	if err != nil {
		return nil, fmt.Errorf("complaint %d: %w", id, err)
	}
	var c flows.Complaint
	if err := json.Unmarshal(plain, &c); err != nil {
		return nil, fmt.Errorf("complaint %d: %w: %v", id, errCorrupt, err)
	}
	if c.Added == nil {
		// Written before the history was kept apart: the parent's
		// additions were only in it. Its History goes to the history
		// bucket when the complaint is next saved.
		for _, ev := range c.History {
			if ev.Action == "info" {
				c.Added = append(c.Added, ev)
			}
		}
	}
	return &c, nil
}

// historyKey is an event's key in complaint_history: the complaint's id,
// then a sequence, so that a complaint's events are read in order.
func historyKey(id, seq uint64) []byte { return append(u64(id), u64(seq)...) }

// appendHistory stores the events not yet stored, each once: an event
// costs the same however long the history is.
func (w *writer) appendHistory(id uint64, events []flows.Event) error {
	b := w.tx.Bucket(bHistory)
	for _, ev := range events {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		v, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if v, err = w.seal.seal(v); err != nil {
			return err
		}
		if err := b.Put(historyKey(id, seq), v); err != nil {
			return fmt.Errorf("complaint history: %w", err)
		}
	}
	return nil
}

// ComplaintHistory returns everything that happened to a complaint, in
// order: the events kept apart, after those of a record written before
// they were.
func (db *DB) ComplaintHistory(id uint64) ([]flows.Event, error) {
	var out []flows.Event
	err := db.b.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bComplaint).Get(u64(id))
		if v == nil {
			return fmt.Errorf("no complaint %s", flows.ComplaintCode(id))
		}
		c, err := db.openComplaint(id, v)
		if err != nil {
			return err
		}
		out, err = db.history(tx, c)
		return err
	})
	return out, wrap("read a complaint's history", err)
}

// history is c's whole history: the events its record holds (one written
// before they were kept apart), then those kept apart, read in tx.
func (db *DB) history(tx *bbolt.Tx, c *flows.Complaint) ([]flows.Event, error) {
	out := c.History
	hb := tx.Bucket(bHistory)
	if hb == nil {
		return out, nil // a database of before it, opened read-only
	}
	prefix := u64(c.ID)
	cur := hb.Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		plain, err := db.seal.open(v)
		if err != nil {
			return nil, fmt.Errorf("complaint %s history: %w", c.Code(), err)
		}
		var ev flows.Event
		if err := json.Unmarshal(plain, &ev); err != nil {
			return nil, fmt.Errorf("complaint %s history: %w: %v", c.Code(), errCorrupt, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// Complaint implements flows.Lookup.
func (w *writer) Complaint(id uint64) (*flows.Complaint, bool) {
	c, err := w.complaint(id)
	if err != nil {
		w.fail(err)
	}
	return c, c != nil
}

// ComplaintsBy implements flows.Lookup: newest first.
func (w *writer) ComplaintsBy(key flows.Key) []*flows.Complaint {
	var out []*flows.Complaint
	c := w.tx.Bucket(bByParent).Cursor()
	for k, _ := c.Seek(key[:]); k != nil && bytes.HasPrefix(k, key[:]); k, _ = c.Next() {
		x, err := w.complaint(binary.BigEndian.Uint64(k[len(key):]))
		if err != nil {
			w.fail(err)
			return nil
		}
		if x != nil {
			out = append([]*flows.Complaint{x}, out...)
		}
	}
	return out
}

// OpenComplaints implements flows.Lookup: oldest first, school by school.
func (w *writer) OpenComplaints(schools []string) []*flows.Complaint {
	var out []*flows.Complaint
	c := w.tx.Bucket(bOpen).Cursor()
	for _, school := range schools {
		prefix := []byte(school + "\x00")
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			x, err := w.complaint(binary.BigEndian.Uint64(k[len(prefix):]))
			if err != nil {
				w.fail(err)
				return nil
			}
			if x != nil {
				out = append(out, x)
			}
		}
	}
	return out
}

// NextComplaintID implements flows.Lookup.
func (w *writer) NextComplaintID() uint64 {
	id, err := w.tx.Bucket(bComplaint).NextSequence()
	if err != nil {
		w.fail(fmt.Errorf("complaint sequence: %w", err))
	}
	return id
}

// schoolIDKey is "school 0 id": the key of a complaint in the open index
// and in its facts, so that a school's (or a commune's) are one run each.
func schoolIDKey(school string, id uint64) []byte {
	return append([]byte(school+"\x00"), u64(id)...)
}

// saveComplaint stores a complaint and keeps its indexes in step.
func (w *writer) saveComplaint(c *flows.Complaint) error {
	old, err := w.complaint(c.ID)
	if err != nil {
		return err
	}
	if err := w.appendHistory(c.ID, c.History); err != nil {
		return err
	}
	rec := *c
	rec.History = nil // kept apart, appended above
	v, err := json.Marshal(&rec)
	if err != nil {
		return fmt.Errorf("encode complaint %s: %w", c.Code(), err)
	}
	if v, err = w.seal.seal(v); err != nil {
		return err
	}
	if err := w.tx.Bucket(bComplaint).Put(u64(c.ID), v); err != nil {
		return fmt.Errorf("save complaint %s: %w", c.Code(), err)
	}
	if old != nil && old.School != c.School {
		if err := w.tx.Bucket(bFacts).Delete(schoolIDKey(old.School, old.ID)); err != nil {
			return err
		}
	}
	if err := w.tx.Bucket(bFacts).Put(schoolIDKey(c.School, c.ID), encodeFacts(c)); err != nil {
		return fmt.Errorf("save complaint %s: %w", c.Code(), err)
	}
	w.tx.OnCommit(func() { w.db.complaintsVer.Add(1) })
	if old != nil {
		if err := w.tx.Bucket(bOpen).Delete(schoolIDKey(old.School, old.ID)); err != nil {
			return err
		}
		if old.ReporterKey != c.ReporterKey {
			if err := w.tx.Bucket(bByParent).Delete(append(old.ReporterKey[:], u64(c.ID)...)); err != nil {
				return err
			}
		}
	}
	if c.Status.Open() {
		if err := w.tx.Bucket(bOpen).Put(schoolIDKey(c.School, c.ID), nil); err != nil {
			return err
		}
	}
	if c.ReporterKey != (flows.Key{}) {
		if err := w.tx.Bucket(bByParent).Put(append(c.ReporterKey[:], u64(c.ID)...), nil); err != nil {
			return err
		}
	}
	return nil
}

// Sweep escalates every open complaint past a deadline, each deadline
// once: the escalation messages and the mark that they were sent commit
// together. It returns how many complaints were escalated.
func (db *DB) Sweep(now time.Time) (int, error) {
	if db.eng == nil {
		return 0, fmt.Errorf("sweep: the database was opened without an engine")
	}
	n, queued := 0, 0
	err := db.b.Update(func(tx *bbolt.Tx) error {
		n, queued = 0, 0
		w := writer{tx: tx, db: db, seal: db.seal}
		var ids []uint64
		err := tx.Bucket(bOpen).ForEach(func(k, _ []byte) error {
			ids = append(ids, binary.BigEndian.Uint64(k[len(k)-8:]))
			return nil
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			c, err := w.complaint(id)
			if err != nil {
				db.log.Error("sweep: skip a complaint that does not decode", "id", id, "err", err)
				continue
			}
			if c == nil {
				continue
			}
			changed, out := db.sweepOne(c, now)
			if changed == nil {
				continue
			}
			if err := w.saveComplaint(changed); err != nil {
				return err
			}
			if err := w.enqueue(out); err != nil {
				return err
			}
			n++
			queued += len(out)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sweep complaints: %w", err)
	}
	if queued > 0 {
		db.signal()
	}
	return n, nil
}

// Complaints calls fn with every complaint, in filing order.
func (db *DB) Complaints(fn func(*flows.Complaint) error) error {
	return wrap("read the complaints", db.b.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bComplaint).ForEach(func(k, v []byte) error {
			c, err := db.openComplaint(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			return fn(c)
		})
	}))
}

// A report counts complaints by school, status and deadlines, and a
// province has tens of thousands: opening each (decrypting and decoding
// it, text and all) made a department's digest take half a second. So
// what reports count is kept apart, compact and unsealed — the school, the
// status and the times, nothing a parent wrote or who they are — written
// with the complaint, under school 0 id so that a commune reads its own.
const factsV1 = 1

func encodeFacts(c *flows.Complaint) []byte {
	b := make([]byte, 0, 48)
	b = append(b, factsV1)
	b = appendStr(b, string(c.Status))
	for _, t := range []time.Time{c.Created, c.AckDue, c.ResolveDue, c.AckedAt, c.ResolvedAt} {
		b = appendTime(b, t)
	}
	return b
}

// decodeFacts reads the facts of a complaint into c.
func decodeFacts(k, v []byte, c *flows.Complaint) error {
	school, id, ok := bytes.Cut(k, []byte{0})
	rd := reader{b: v}
	if !ok || len(id) != 8 || rd.byte1() != factsV1 {
		return fmt.Errorf("complaint facts %q: %w", k, errCorrupt)
	}
	*c = flows.Complaint{ID: binary.BigEndian.Uint64(id), School: string(school), Status: flows.Status(rd.str())}
	c.Created, c.AckDue, c.ResolveDue, c.AckedAt, c.ResolvedAt = rd.time(), rd.time(), rd.time(), rd.time(), rd.time()
	return rd.err
}

// factsIndexed marks (in meta) that complaint_facts holds every complaint.
const factsIndexed = "complaint_facts_v2"

// indexFacts writes the facts of the complaints stored before they were
// kept (or kept under another layout), once.
func (db *DB) indexFacts() error {
	return db.buildOnce(factsIndexed, func(tx *bbolt.Tx) error {
		if err := tx.DeleteBucket(bFacts); err != nil {
			return err
		}
		facts, err := tx.CreateBucket(bFacts)
		if err != nil {
			return err
		}
		return tx.Bucket(bComplaint).ForEach(func(k, v []byte) error {
			c, err := db.openComplaint(binary.BigEndian.Uint64(k), v)
			if err != nil {
				db.log.Error("index complaint facts: skip a complaint that does not open", "id", binary.BigEndian.Uint64(k), "err", err)
				return nil
			}
			return facts.Put(schoolIDKey(c.School, c.ID), encodeFacts(c))
		})
	})
}

// ComplaintFacts calls fn with what a report of [from, to) counts of the
// complaints of schools (nil: every school): their id, school, status and
// times, nothing else; those it would not count (Complaint.CountedIn) are skipped. A
// database whose facts are not indexed (opened read-only before they were)
// is read in full.
func (db *DB) ComplaintFacts(schools []string, from, to time.Time, fn func(*flows.Complaint) error) error {
	indexed := false
	err := db.b.View(func(tx *bbolt.Tx) error {
		if indexed = tx.Bucket(bMeta).Get([]byte(factsIndexed)) != nil; !indexed {
			return nil
		}
		var c flows.Complaint
		each := func(k, v []byte) error {
			if err := decodeFacts(k, v, &c); err != nil {
				return err
			}
			if !c.CountedIn(from, to) {
				return nil
			}
			x := c
			return fn(&x)
		}
		if schools == nil {
			return tx.Bucket(bFacts).ForEach(each)
		}
		cur := tx.Bucket(bFacts).Cursor()
		for _, sc := range schools {
			prefix := []byte(sc + "\x00")
			for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
				if err := each(k, v); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil || indexed {
		return wrap("read the complaints' facts", err)
	}
	in := map[string]bool{}
	for _, sc := range schools {
		in[sc] = true
	}
	return db.Complaints(func(c *flows.Complaint) error {
		x := &flows.Complaint{ID: c.ID, School: c.School, Status: c.Status, Created: c.Created, AckDue: c.AckDue,
			ResolveDue: c.ResolveDue, AckedAt: c.AckedAt, ResolvedAt: c.ResolvedAt}
		if (schools != nil && !in[c.School]) || !x.CountedIn(from, to) {
			return nil
		}
		return fn(x)
	})
}

// sweepOne checks one complaint; a failure in it is logged and skips it,
// so one bad record cannot stop the others' escalations or the start-up.
func (db *DB) sweepOne(c *flows.Complaint, now time.Time) (changed *flows.Complaint, out []flows.Outgoing) {
	defer func() {
		if r := recover(); r != nil {
			db.log.Error("sweep: skip a complaint", "code", c.Code(), "failure", r)
			changed, out = nil, nil
		}
	}()
	return db.eng.Sweep(c, now)
}
