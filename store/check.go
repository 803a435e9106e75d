package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// Check verifies the database's invariants and describes every breach:
// aggregates equal a recount of the responses, the complaint indexes match
// the complaints, and nothing is queued for a stopped recipient.
func (db *DB) Check() ([]string, error) {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	waves := map[string]bool{}
	err := db.b.View(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bResponses, bAggs} {
			if err := tx.Bucket(b).ForEach(func(k, _ []byte) error {
				w, _, _ := cut0(k)
				waves[string(w)] = true
				return nil
			}); err != nil {
				return err
			}
		}
		// Complaint indexes.
		open := map[string]bool{}
		byParent := map[string]bool{}
		if err := tx.Bucket(bOpen).ForEach(func(k, _ []byte) error { open[string(k)] = true; return nil }); err != nil {
			return err
		}
		if err := tx.Bucket(bByParent).ForEach(func(k, _ []byte) error { byParent[string(k)] = true; return nil }); err != nil {
			return err
		}
		// What reports count of each complaint (complaint_facts), when built.
		indexed := tx.Bucket(bMeta).Get([]byte(factsIndexed)) != nil
		facts := map[string][]byte{}
		if indexed {
			if err := tx.Bucket(bFacts).ForEach(func(k, v []byte) error { facts[string(k)] = v; return nil }); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bComplaint).ForEach(func(k, v []byte) error {
			c, err := db.openComplaint(binary.BigEndian.Uint64(k), v)
			if err != nil {
				bad("%v", err)
				return nil
			}
			ok := string(schoolIDKey(c.School, c.ID))
			switch {
			case c.Status.Open() && !open[ok]:
				bad("complaint %s is open but missing from the open index", c.Code())
			case !c.Status.Open() && open[ok]:
				bad("complaint %s is closed but in the open index", c.Code())
			}
			delete(open, ok)
			if indexed {
				fk := string(schoolIDKey(c.School, c.ID))
				if v, found := facts[fk]; !found || !bytes.Equal(v, encodeFacts(c)) {
					bad("complaint %s: what reports count of it (complaint_facts) differs from the complaint", c.Code())
				}
				delete(facts, fk)
			}
			if c.ReporterKey != (flows.Key{}) {
				pk := string(append(c.ReporterKey[:], u64(c.ID)...))
				if !byParent[pk] {
					bad("complaint %s is missing from the parent index", c.Code())
				}
				delete(byParent, pk)
			}
			return nil
		}); err != nil {
			return err
		}
		for range open {
			bad("the open index names a complaint that is not stored or not at that school")
		}
		for range byParent {
			bad("the parent index names a complaint that is not stored or not that parent's")
		}
		for range facts {
			bad("complaint_facts holds a complaint that is not stored or not at that school")
		}
		if err := checkByKey(tx, bad); err != nil {
			return err
		}
		if err := checkComments(db, tx, bad); err != nil {
			return err
		}
		// Nothing queued for a stopped recipient.
		stopped := tx.Bucket(bStopped)
		return tx.Bucket(bOutbox).ForEach(func(k, v []byte) error {
			o, err := db.openRow(v)
			if err != nil {
				bad("outbox row %d: %v", binary.BigEndian.Uint64(k), err)
				return nil
			}
			if stopped.Get(db.recipientKey(o.Channel, o.Chat)) != nil {
				bad("outbox row %d is queued for a stopped recipient", binary.BigEndian.Uint64(k))
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	// Both tallies from one transaction: a bot applying batches meanwhile
	// must not look like drift.
	err = db.b.View(func(tx *bbolt.Tx) error {
		for w := range waves {
			agg, err := aggregates(tx, w)
			if err != nil {
				return err
			}
			re, err := recount(tx, w)
			if err != nil {
				return err
			}
			for _, d := range diffTally(agg, re) {
				bad("wave %s: %s", w, d)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	return problems, nil
}

// diffTally describes where stored aggregates and a recount disagree.
func diffTally(agg, re Tally) []string {
	var out []string
	for school := range union(agg.Respondents, re.Respondents) {
		if a, r := agg.Respondents[school], re.Respondents[school]; a != r {
			out = append(out, fmt.Sprintf("%s: %d respondents counted, %d stored", school, a, r))
		}
	}
	for school := range union(agg.Counts, re.Counts) {
		for qid := range union(agg.Counts[school], re.Counts[school]) {
			for bucket := range union(agg.Counts[school][qid], re.Counts[school][qid]) {
				if a, r := agg.Counts[school][qid][bucket], re.Counts[school][qid][bucket]; a != r {
					out = append(out, fmt.Sprintf("%s %s=%s: %d counted, %d in the responses", school, qid, bucket, a, r))
				}
			}
		}
	}
	return out
}

func union[V any](a, b map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// checkByKey holds responses_by_key to the responses: one entry each
// (a database of before the index, opened read-only, has none to check).
func checkByKey(tx *bbolt.Tx, bad func(string, ...any)) error {
	idx := tx.Bucket(bByKey)
	if idx == nil || tx.Bucket(bMeta).Get([]byte(responsesIndexed)) == nil {
		return nil
	}
	rb := tx.Bucket(bResponses)
	missing, stale := 0, 0
	if err := rb.ForEach(func(k, _ []byte) error {
		if len(k) > len(flows.Key{}) && idx.Get(byKeyIndex(k)) == nil {
			missing++
		}
		return nil
	}); err != nil {
		return err
	}
	if err := idx.ForEach(func(ik, _ []byte) error {
		if len(ik) <= len(flows.Key{}) || rb.Get(responseOfIndex(ik)) == nil {
			stale++
		}
		return nil
	}); err != nil {
		return err
	}
	if missing > 0 {
		bad("%d responses are missing from the respondents' index", missing)
	}
	if stale > 0 {
		bad("the respondents' index names %d responses that are not stored", stale)
	}
	return nil
}
