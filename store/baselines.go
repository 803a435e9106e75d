package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// bBaselines holds earlier results imported from outside the bot
// (`hailong baseline import`): period 0 school 0 indicator → Baseline JSON.
// Aggregate figures of schools, not of anyone: not sealed.
var bBaselines = []byte("baselines")

func init() { buckets = append(buckets, bBaselines) }

func baselineKey(b flows.Baseline) []byte {
	return []byte(b.Period + "\x00" + b.School + "\x00" + b.Indicator)
}

// PutBaselines stores imported results in one transaction, each replacing
// one of the same period, school and indicator.
func (db *DB) PutBaselines(rows []flows.Baseline) error {
	return wrap("store the baselines", db.b.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bBaselines)
		for _, r := range rows {
			if err := putJSON(b, baselineKey(r), r); err != nil {
				return err
			}
		}
		return nil
	}))
}

// Baselines returns the imported results of a period.
func (db *DB) Baselines(period string) ([]flows.Baseline, error) {
	var out []flows.Baseline
	prefix := []byte(period + "\x00")
	err := db.b.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bBaselines)
		if b == nil {
			return nil // a database of before, opened read-only
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var r flows.Baseline
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("baseline %q: %w", k, errCorrupt)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, wrap("read the baselines of "+period, err)
}
