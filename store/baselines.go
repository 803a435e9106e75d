package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

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

// Baselines returns the imported results of a period for the schools (nil:
// every school's). Each school's are a run of keys of their own: a report
// of one school reads its sixteen rows, not the province's.
func (db *DB) Baselines(period string, schools []string) ([]flows.Baseline, error) {
	var out []flows.Baseline
	prefixes := [][]byte{[]byte(period + "\x00")}
	if schools != nil {
		prefixes = prefixes[:0]
		for _, sc := range schools {
			prefixes = append(prefixes, []byte(period+"\x00"+sc+"\x00"))
		}
	}
	err := db.b.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bBaselines)
		if b == nil {
			return nil // a database of before, opened read-only
		}
		c := b.Cursor()
		for _, prefix := range prefixes {
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				var r flows.Baseline
				if err := json.Unmarshal(v, &r); err != nil {
					return fmt.Errorf("baseline %q: %w", k, errCorrupt)
				}
				out = append(out, r)
			}
		}
		return nil
	})
	return out, wrap("read the baselines of "+period, err)
}
