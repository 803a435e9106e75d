package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// Pre implements flows.Lookup.
func (w *writer) Pre(key flows.Key) flows.PreConsent {
	l, rest, _ := bytes.Cut(w.tx.Bucket(bPre).Get(key[:]), []byte{0})
	school, _, _ := bytes.Cut(rest, []byte{0})
	return flows.PreConsent{Lang: flows.Lang(l), School: string(school)}
}

// putPre keeps, or (given the zero value) removes, what a user chose
// before consent, with when: the purge drops it after preFor.
func (w *writer) putPre(key flows.Key, p flows.PreConsent, at time.Time) error {
	if p == (flows.PreConsent{}) {
		return w.tx.Bucket(bPre).Delete(key[:])
	}
	return w.tx.Bucket(bPre).Put(key[:], []byte(string(p.Lang)+"\x00"+p.School+"\x00"+strconv.FormatInt(at.Unix(), 10)))
}

func audienceKey(school string, key flows.Key) []byte {
	k := make([]byte, 0, len(school)+1+len(key))
	k = append(append(append(k, school...), 0), key[:]...)
	return k
}

func langByte(l flows.Lang) byte {
	if l == flows.English {
		return 1
	}
	return 0
}

// remember keeps where a consented parent of a school is reached. It
// writes only when the entry is missing or the language changed.
func (w *writer) remember(key flows.Key, s *flows.Session, at flows.Address) error {
	if s == nil || s.Consent == nil || s.Staff || s.School == "" {
		return nil
	}
	b := w.tx.Bucket(bAudience)
	k := audienceKey(s.School, key)
	lb := langByte(s.Lang)
	if v := b.Get(k); v != nil && v[0] == lb {
		return nil
	}
	raw, err := json.Marshal(at)
	if err != nil {
		return err
	}
	sealed, err := w.seal.seal(raw)
	if err != nil {
		return err
	}
	return b.Put(k, append([]byte{lb}, sealed...))
}

// forget removes a parent from every school's audience (/xoadulieu).
func (w *writer) forget(key flows.Key) error {
	return w.forgetAll(map[flows.Key]bool{key: true})
}

// forgetAll removes parents from every school's audience, in one pass.
func (w *writer) forgetAll(keys map[flows.Key]bool) error {
	if len(keys) == 0 {
		return nil
	}
	b := w.tx.Bucket(bAudience)
	var del [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n := len(flows.Key{})
		if len(k) > n && k[len(k)-n-1] == 0 && keys[flows.Key(k[len(k)-n:])] {
			del = append(del, append([]byte(nil), k...))
		}
	}
	for _, k := range del {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Audience implements flows.Lookup: the parents of the schools, each
// counted once.
func (w *writer) Audience(schools []string) int {
	seen := map[flows.Key]bool{}
	c := w.tx.Bucket(bAudience).Cursor()
	for _, school := range schools {
		prefix := append([]byte(school), 0)
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var key flows.Key
			copy(key[:], k[len(prefix):])
			seen[key] = true
		}
	}
	return len(seen)
}

type recipient struct {
	to   flows.Address
	lang flows.Lang
}

// announce queues an announcement to its audience at the lowest priority,
// one row per chat, remembering which rows are its own so their fate can
// be counted. Parents who said /stop are counted and skipped; chats known
// to have blocked the bot count as blocked at once.
func (w *writer) announce(a *flows.Announcement) error {
	ab := w.tx.Bucket(bAnnounce)
	id, err := ab.NextSequence()
	if err != nil {
		return err
	}
	a.ID = id
	var list []recipient
	seen := map[flows.Address]bool{}
	c := w.tx.Bucket(bAudience).Cursor()
	for _, school := range a.Schools {
		prefix := append([]byte(school), 0)
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(v) < 1 {
				return fmt.Errorf("audience %q: %w: empty", k, errCorrupt)
			}
			raw, err := w.seal.open(v[1:])
			if err != nil {
				return fmt.Errorf("audience %q: %w: %v", k, errCorrupt, err)
			}
			var to flows.Address
			if err := json.Unmarshal(raw, &to); err != nil {
				return fmt.Errorf("audience %q: %w: %v", k, errCorrupt, err)
			}
			if seen[to] {
				continue
			}
			seen[to] = true
			lang := flows.Vietnamese
			if v[0] == 1 {
				lang = flows.English
			}
			list = append(list, recipient{to, lang})
		}
	}
	rows := w.tx.Bucket(bBcRows)
	for _, r := range list {
		rk := w.db.recipientKey(r.to.Channel, r.to.Chat)
		switch {
		case w.tx.Bucket(bOptOut).Get(rk) != nil:
			a.Stopped++
			continue
		case w.tx.Bucket(bStopped).Get(rk) != nil:
			a.Queued++
			a.Blocked++
			continue
		}
		seq, err := w.enqueueOne(flows.Outgoing{Kind: flows.OutMessage, Channel: r.to.Channel, Chat: r.to.Chat,
			Reply: w.db.eng.AnnouncementFor(a, r.lang), Priority: flows.PriorityBroadcast, Created: a.Created})
		if err != nil {
			return err
		}
		if seq == 0 {
			continue // migrated into a stopped chat: nothing queued
		}
		if err := rows.Put(u64(seq), u64(id)); err != nil {
			return err
		}
		a.Queued++
	}
	return w.putAnnouncement(a, a.Created)
}

// putAnnouncement stores an announcement; once every row is settled it is
// marked finished and its author told the counts, once.
func (w *writer) putAnnouncement(a *flows.Announcement, now time.Time) error {
	if a.Settled() && a.Finished.IsZero() {
		a.Finished = now
		if err := w.enqueue([]flows.Outgoing{{Kind: flows.OutMessage, Channel: a.Author.Channel, Chat: a.Author.Chat,
			Reply: w.db.eng.AnnouncementReport(a), Priority: flows.PriorityInteractive, Created: now}}); err != nil {
			return err
		}
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	sealed, err := w.seal.seal(raw)
	if err != nil {
		return err
	}
	return w.tx.Bucket(bAnnounce).Put(u64(a.ID), sealed)
}

func (w *writer) announcement(id uint64) (*flows.Announcement, error) {
	v := w.tx.Bucket(bAnnounce).Get(u64(id))
	if v == nil {
		return nil, fmt.Errorf("announcement %d: %w: missing", id, errCorrupt)
	}
	raw, err := w.seal.open(v)
	if err != nil {
		return nil, fmt.Errorf("announcement %d: %w: %v", id, errCorrupt, err)
	}
	var a flows.Announcement
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("announcement %d: %w: %v", id, errCorrupt, err)
	}
	return &a, nil
}

// What became of an announcement's row.
type outcome int

const (
	delivered outcome = iota
	blocked
	failed
	withdrawn // the parent said /stop or erased their data before it went
)

// withdraw removes the announcement rows queued for a chat.
func (w *writer) withdraw(channel, chat string, now time.Time) error {
	all, err := w.chatRows(channel, chat, false) // announcements are not urgent
	if err != nil {
		return err
	}
	var seqs []uint64
	rows := w.tx.Bucket(bBcRows)
	for _, seq := range all {
		if rows.Get(u64(seq)) != nil {
			seqs = append(seqs, seq)
		}
	}
	for _, seq := range seqs {
		if err := w.deleteRow(seq); err != nil {
			return err
		}
		if err := w.settle(seq, withdrawn, now); err != nil {
			return err
		}
	}
	return nil
}

// settle counts what became of an outbox row if it was an announcement's;
// other rows cost one lookup.
func (w *writer) settle(seq uint64, o outcome, now time.Time) error {
	rows := w.tx.Bucket(bBcRows)
	v := rows.Get(u64(seq))
	if v == nil {
		return nil
	}
	id := binary.BigEndian.Uint64(v)
	if err := rows.Delete(u64(seq)); err != nil {
		return err
	}
	a, err := w.announcement(id)
	if err != nil {
		return err
	}
	switch o {
	case delivered:
		a.Delivered++
	case blocked:
		a.Blocked++
	case failed:
		a.Failed++
	case withdrawn:
		a.Queued--
		a.Stopped++
	}
	return w.putAnnouncement(a, now)
}

// Announcements returns the stored announcements, oldest first.
func (db *DB) Announcements() ([]flows.Announcement, error) {
	var out []flows.Announcement
	err := db.b.View(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: db, seal: db.seal}
		return tx.Bucket(bAnnounce).ForEach(func(k, _ []byte) error {
			a, err := w.announcement(binary.BigEndian.Uint64(k))
			if err != nil {
				return err
			}
			out = append(out, *a)
			return nil
		})
	})
	return out, wrap("read the announcements", err)
}
