package store

import (
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

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
