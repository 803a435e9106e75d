package store

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// GroupTold implements flows.Lookup.
func (w *writer) GroupTold(id string) bool { return w.tx.Bucket(bGroups).Get([]byte(id)) != nil }

// PrincipalOf implements flows.Lookup.
func (w *writer) PrincipalOf(id string) (string, bool) {
	v := w.tx.Bucket(bPrincipals).Get([]byte(id))
	if v == nil {
		return "", false
	}
	var p flows.Principal
	if err := json.Unmarshal(v, &p); err != nil {
		w.fail(fmt.Errorf("principal: %w: %v", errCorrupt, err))
		return "", false
	}
	return p.School, true
}

// Principals implements flows.Lookup.
func (w *writer) Principals(school string) []flows.Principal {
	out, err := principals(w.tx, school)
	if err != nil {
		w.fail(err)
	}
	return out
}

func principals(tx *bbolt.Tx, school string) ([]flows.Principal, error) {
	var out []flows.Principal
	err := tx.Bucket(bPrincipals).ForEach(func(_, v []byte) error {
		var p flows.Principal
		if err := json.Unmarshal(v, &p); err != nil {
			return fmt.Errorf("principal: %w: %v", errCorrupt, err)
		}
		if school == "" || p.School == school {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// Principals returns the principals bound to a school by invites; every
// school's when school is "".
func (db *DB) Principals(school string) ([]flows.Principal, error) {
	var out []flows.Principal
	err := db.b.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = principals(tx, school)
		return err
	})
	return out, wrap("read the principals", err)
}

// Invite implements flows.Lookup.
func (w *writer) Invite(hash string) (*flows.Invite, bool) {
	v := w.tx.Bucket(bInvites).Get([]byte(hash))
	if v == nil {
		return nil, false
	}
	var inv flows.Invite
	if err := json.Unmarshal(v, &inv); err != nil {
		w.fail(fmt.Errorf("invite: %w: %v", errCorrupt, err))
		return nil, false
	}
	return &inv, true
}

// ResponsesOf implements flows.Lookup: every response stored under key.
func (w *writer) ResponsesOf(key flows.Key) []flows.Response {
	_, rs, err := w.responsesOf(key)
	if err != nil {
		w.fail(err)
	}
	return rs
}

// responsesOf finds a respondent's responses and their keys, through
// responses_by_key.
func (w *writer) responsesOf(key flows.Key) (keys [][]byte, rs []flows.Response, err error) {
	rb := w.tx.Bucket(bResponses)
	c := w.tx.Bucket(bByKey).Cursor()
	for ik, _ := c.Seek(key[:]); ik != nil && bytes.HasPrefix(ik, key[:]); ik, _ = c.Next() {
		k := responseOfIndex(ik)
		v := rb.Get(k)
		if v == nil {
			continue // hailong check names an entry without its response
		}
		r, err := decodeResponse(k, v)
		if err != nil {
			return nil, nil, err
		}
		w.db.openTexts(&r)
		keys, rs = append(keys, k), append(rs, r)
	}
	return keys, rs, nil
}

// Audit implements flows.Lookup: newest first.
func (w *writer) Audit(limit int) []flows.AuditEntry {
	var out []flows.AuditEntry
	c := w.tx.Bucket(bAudit).Cursor()
	for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
		var a flows.AuditEntry
		if err := json.Unmarshal(v, &a); err != nil {
			w.fail(fmt.Errorf("audit: %w: %v", errCorrupt, err))
			return nil
		}
		out = append(out, a)
	}
	return out
}

// AuditTrail returns the latest staff actions, newest first.
func (db *DB) AuditTrail(limit int) ([]flows.AuditEntry, error) {
	var out []flows.AuditEntry
	err := db.b.View(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: db, seal: db.seal}
		out = w.Audit(limit)
		return w.err
	})
	return out, wrap("read the audit trail", err)
}

func putJSON(b *bbolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

// roles stores what a result did to invites, principals and the audit log.
func (w *writer) roles(res *flows.Result) error {
	for _, inv := range res.Invites {
		if err := putJSON(w.tx.Bucket(bInvites), []byte(inv.Hash), inv); err != nil {
			return fmt.Errorf("save invite: %w", err)
		}
	}
	if p := res.Bind; p != nil {
		if err := putJSON(w.tx.Bucket(bPrincipals), []byte(p.ID), p); err != nil {
			return fmt.Errorf("bind principal: %w", err)
		}
	}
	if res.Unbind != "" {
		if err := w.tx.Bucket(bPrincipals).Delete([]byte(res.Unbind)); err != nil {
			return fmt.Errorf("revoke principal: %w", err)
		}
	}
	if err := w.webLinks(res.WebLinks); err != nil {
		return err
	}
	return w.audit(res.Audit...)
}

// optOut records or lifts a parent's /stop for their chat.
func (w *writer) optOut(channel, chat string, on bool, at time.Time) error {
	k := w.db.recipientKey(channel, chat)
	if !on {
		return w.tx.Bucket(bOptOut).Delete(k)
	}
	v, _ := at.MarshalBinary()
	return w.tx.Bucket(bOptOut).Put(k, v)
}

// erase deletes everything stored under a respondent key: their responses
// (with the aggregates and day counts adjusted), their session, and their
// identity in their complaints, whose record stays with the office.
func (w *writer) erase(key flows.Key) error {
	ks, rs, err := w.responsesOf(key)
	if err != nil {
		return err
	}
	for i := range rs {
		if err := w.count(&rs[i], -1); err != nil {
			return err
		}
		if err := w.countDay(&rs[i], -1); err != nil {
			return err
		}
		if err := w.add(aggKey(rs[i].Wave, rs[i].School, respondentsQ, ""), -1); err != nil {
			return err
		}
		if err := w.dropResponse(ks[i], &rs[i]); err != nil {
			return err
		}
	}
	if err := w.tx.Bucket(bSessions).Delete(key[:]); err != nil {
		return err
	}
	if err := w.forget(key); err != nil {
		return err
	}
	if err := w.putPre(key, flows.PreConsent{}, time.Time{}); err != nil {
		return err
	}
	for _, c := range w.ComplaintsBy(key) {
		if err := w.tx.Bucket(bByParent).Delete(append(key[:], u64(c.ID)...)); err != nil {
			return err
		}
		c.ReporterKey, c.Reporter, c.Phone = flows.Key{}, flows.Address{}, ""
		c.History = append(c.History, flows.Event{At: time.Now(), Actor: "parent", Action: "identity erased"})
		if err := w.saveComplaint(c); err != nil {
			return err
		}
	}
	return w.err
}

// randomBytes are fresh random bytes for an envelope (invite codes).
func randomBytes() []byte {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's randomness failing is not survivable
	}
	return b
}

// CreateInvite stores a new invite for a school (from the shell) and
// returns its code; only the code's hash is kept.
func (db *DB) CreateInvite(school, issuer string, now time.Time) (string, flows.Invite, error) {
	code := flows.NewInviteCode(randomBytes())
	inv := flows.Invite{Hash: flows.InviteHash(code), School: school, Issuer: issuer, Expires: now.AddDate(0, 0, flows.InviteDays)}
	err := db.b.Update(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: db, seal: db.seal}
		return w.roles(&flows.Result{Invites: []flows.Invite{inv},
			Audit: []flows.AuditEntry{{At: now, Actor: issuer, Role: "admin", Action: "invite", Record: school}}})
	})
	if err != nil {
		return "", inv, fmt.Errorf("create invite: %w", err)
	}
	return code, inv, nil
}
