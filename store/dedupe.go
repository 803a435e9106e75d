package store

// Dedupe: a channel that may hand an update out twice (Zalo's webhook,
// retried when its 200 was lost; flows.Batch.Once) has each update's id
// recorded in the seen bucket in the transaction that applies it, and
// Apply skips an update whose id is already there.

import "time"

// SeenFor is how long the ids of applied updates are kept.
const SeenFor = 48 * time.Hour

// seen records an update's id, reporting whether it was already applied.
func (w *writer) seen(channel, id string) (bool, error) {
	if id == "" {
		return false, nil
	}
	b := w.tx.Bucket(bSeen)
	k := []byte(channel + ":" + id)
	if b.Get(k) != nil {
		return true, nil
	}
	v, _ := time.Now().MarshalBinary()
	return false, b.Put(k, v)
}

// ForgetSeen deletes the ids of updates applied before cutoff (at least
// SeenFor ago); it returns how many went.
func (db *DB) ForgetSeen(cutoff time.Time) (int, error) {
	return db.forget(bSeen, func(v []byte) bool {
		var at time.Time
		return at.UnmarshalBinary(v) != nil || at.Before(cutoff)
	})
}
