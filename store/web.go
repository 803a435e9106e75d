package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// WebLinks implements flows.Lookup: the links an actor asked for since a
// time. The bucket holds only the last day's links (older ones are dropped
// as new ones are stored), so the scan stays short.
func (w *writer) WebLinks(actor string, since time.Time) int {
	n := 0
	err := w.tx.Bucket(bWebLinks).ForEach(func(_, v []byte) error {
		var l flows.WebLink
		if err := json.Unmarshal(v, &l); err != nil {
			return fmt.Errorf("web link: %w: %v", errCorrupt, err)
		}
		if l.Actor == actor && !l.Created.Before(since) {
			n++
		}
		return nil
	})
	if err != nil {
		w.fail(err)
	}
	return n
}

// webLinks stores a result's new sign-in links, and drops those a day
// past their expiry.
func (w *writer) webLinks(links []flows.WebLink) error {
	if len(links) == 0 {
		return nil
	}
	b := w.tx.Bucket(bWebLinks)
	var old [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var l flows.WebLink
		if json.Unmarshal(v, &l) != nil || links[0].Created.Sub(l.Expires) > 24*time.Hour {
			old = append(old, k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	for _, l := range links {
		if err := putJSON(b, []byte(l.Hash), l); err != nil {
			return fmt.Errorf("save web link: %w", err)
		}
	}
	return nil
}

// audit appends entries to the audit log.
func (w *writer) audit(entries ...flows.AuditEntry) error {
	b := w.tx.Bucket(bAudit)
	for _, a := range entries {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := putJSON(b, u64(seq), a); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	return nil
}

// RedeemWebLink opens a dashboard session with a sign-in link's token,
// once: the link is marked used in the same transaction that stores the
// session (under the hash of sessionToken) and the audit entry.
func (db *DB) RedeemWebLink(token, sessionToken, agent string, now time.Time, ttl time.Duration) (flows.WebSession, error) {
	var s flows.WebSession
	err := db.b.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bWebLinks)
		hash := flows.WebTokenHash(token)
		v := b.Get([]byte(hash))
		if v == nil {
			return flows.ErrLinkUnknown
		}
		var l flows.WebLink
		if err := json.Unmarshal(v, &l); err != nil {
			return fmt.Errorf("web link: %w: %v", errCorrupt, err)
		}
		switch {
		case l.Used:
			return flows.ErrLinkUsed
		case now.After(l.Expires):
			return flows.ErrLinkExpired
		}
		l.Used = true
		if err := putJSON(b, []byte(hash), l); err != nil {
			return err
		}
		var err error
		s, err = db.openWebSession(tx, l.Actor, "link", sessionToken, agent, now, ttl)
		return err
	})
	if errors.Is(err, flows.ErrLinkUnknown) || errors.Is(err, flows.ErrLinkUsed) || errors.Is(err, flows.ErrLinkExpired) {
		return s, err
	}
	return s, wrap("redeem a sign-in link", err)
}

// OpenWebSession opens a dashboard session for an actor proven otherwise
// (the Telegram Login Widget).
func (db *DB) OpenWebSession(actor, via, sessionToken, agent string, now time.Time, ttl time.Duration) (flows.WebSession, error) {
	var s flows.WebSession
	err := db.b.Update(func(tx *bbolt.Tx) error {
		var err error
		s, err = db.openWebSession(tx, actor, via, sessionToken, agent, now, ttl)
		return err
	})
	return s, wrap("open a web session", err)
}

func (db *DB) openWebSession(tx *bbolt.Tx, actor, via, token, agent string, now time.Time, ttl time.Duration) (flows.WebSession, error) {
	if len(agent) > 200 {
		agent = agent[:200]
	}
	s := flows.WebSession{Hash: flows.WebTokenHash(token), Actor: actor, Created: now, Expires: now.Add(ttl), Via: via, Agent: agent}
	b := tx.Bucket(bWebSessions)
	// Sessions long expired are dropped as new ones open.
	var old [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var x flows.WebSession
		if json.Unmarshal(v, &x) != nil || now.After(x.Expires) {
			old = append(old, k)
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return s, err
		}
	}
	if err := putJSON(b, []byte(s.Hash), s); err != nil {
		return s, err
	}
	w := writer{tx: tx, db: db, seal: db.seal}
	return s, w.audit(flows.AuditEntry{At: now, Actor: actor, Role: "web", Action: "web.signin", Record: via, Via: "web"})
}

// WebSession returns the live session of a cookie's token, false if there
// is none or it has expired.
func (db *DB) WebSession(token string, now time.Time) (flows.WebSession, bool, error) {
	var s flows.WebSession
	found := false
	err := db.b.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bWebSessions).Get([]byte(flows.WebTokenHash(token)))
		if v == nil {
			return nil
		}
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("web session: %w: %v", errCorrupt, err)
		}
		found = !now.After(s.Expires)
		return nil
	})
	return s, found, wrap("read a web session", err)
}

// WebSessions lists the live dashboard sessions, for admins.
func (db *DB) WebSessions(now time.Time) ([]flows.WebSession, error) {
	var out []flows.WebSession
	err := db.b.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bWebSessions).ForEach(func(_, v []byte) error {
			var s flows.WebSession
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("web session: %w: %v", errCorrupt, err)
			}
			if !now.After(s.Expires) {
				out = append(out, s)
			}
			return nil
		})
	})
	return out, wrap("list web sessions", err)
}

// EndWebSession ends the session hash if by.Actor owns it, or — admin —
// whoever does: the session is read, its owner checked, it is deleted and
// by recorded (its Record the session's owner) in one transaction. It says
// whether it ended one; false for a session not there or not by.Actor's.
func (db *DB) EndWebSession(hash string, admin bool, by flows.AuditEntry) (bool, error) {
	ended := false
	err := db.b.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bWebSessions)
		v := b.Get([]byte(hash))
		if v == nil {
			return nil
		}
		var s flows.WebSession
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("web session: %w: %v", errCorrupt, err)
		}
		if !admin && s.Actor != by.Actor {
			return nil
		}
		if err := b.Delete([]byte(hash)); err != nil {
			return err
		}
		by.Record = s.Actor
		w := writer{tx: tx, db: db, seal: db.seal}
		ended = true
		return w.audit(by)
	})
	if err != nil {
		return false, wrap("end a web session", err)
	}
	return ended, nil
}

// Audit records actions taken outside the engine (the dashboard's views,
// exports and sign-outs) in the audit log.
func (db *DB) Audit(entries ...flows.AuditEntry) error {
	return wrap("audit", db.b.Update(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: db, seal: db.seal}
		return w.audit(entries...)
	}))
}

// Actor is who a user ("channel:user") is now, with the schools and offices
// they may see: the chat's access matrix, from the configuration and the
// stored bindings.
func (db *DB) Actor(id string) (flows.Actor, error) {
	var a flows.Actor
	err := db.b.View(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: db, seal: db.seal}
		a = db.eng.ActorOf(id, &w)
		return w.err
	})
	return a, wrap("who is "+id, err)
}

// Complaint returns a complaint with its whole history, false if there is
// none.
func (db *DB) Complaint(id uint64) (*flows.Complaint, bool, error) {
	var c *flows.Complaint
	err := db.b.View(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: db, seal: db.seal}
		var err error
		if c, err = w.complaint(id); err != nil || c == nil {
			return err
		}
		// In the same read: the record is opened once, and its history
		// is of that record.
		c.History, err = db.history(tx, c)
		return err
	})
	if err != nil || c == nil {
		return nil, false, wrap("read a complaint", err)
	}
	return c, true, nil
}

// Weekly counts the responses submitted in each of weeks weeks of seven
// days from from (a day as the store keeps days), of the given waves and
// schools (every school's with nil): the dashboard's week-by-week trend.
// Few schools are read with a seek to each one's days; more, in one pass
// over the waves' day counts.
func (db *DB) Weekly(waves, schools []string, from time.Time, weeks int) ([]int, error) {
	out := make([]int, weeks)
	week := map[string]int{} // day → its week
	for i := range weeks * 7 {
		week[db.day(from.AddDate(0, 0, i))] = i / 7
	}
	err := db.dailyCounts(waves, schools, db.day(from), db.day(from.AddDate(0, 0, 7*weeks)), func(_, day string, n int) { out[week[day]] += n })
	return out, wrap("count responses by week", err)
}

// ComplaintsVersion changes after every commit that changed a complaint: a
// reader that keeps complaints decoded reads them again when it differs
// from the one it read them under (read before reading them).
func (db *DB) ComplaintsVersion() uint64 { return db.complaintsVer.Load() }
