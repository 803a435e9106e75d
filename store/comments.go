package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// commentsIndexed marks (in meta) that the comments index holds every
// response with a comment.
const commentsIndexed = "comments_v1"

func commentPrefix(wave, school string) []byte {
	return []byte(wave + "\x00" + school + "\x00")
}

func commentStamp(t time.Time) []byte {
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(ms))
	return b[:]
}

// commentKey is r's entry in the comments index; key is its respondent.
func commentKey(r *flows.Response, key []byte) []byte {
	k := commentPrefix(r.Wave, r.School)
	k = append(k, commentStamp(r.At)...)
	return append(k, key...)
}

// hasComment reports whether a response carries a comment: a free-text
// answer counted as given (sealed or not).
func hasComment(r *flows.Response) bool { return len(textIDs(r)) > 0 }

// indexComment puts (on) or deletes r's entry in the comments index; rk is
// the response's key in responses.
func (w *writer) indexComment(r *flows.Response, rk []byte, on bool) error {
	if !hasComment(r) {
		return nil
	}
	k := commentKey(r, rk[len(rk)-len(flows.Key{}):])
	if on {
		return w.tx.Bucket(bComments).Put(k, nil)
	}
	return w.tx.Bucket(bComments).Delete(k)
}

// indexComments builds the comments index once, for the responses stored
// before it existed.
func (db *DB) indexComments() error {
	return db.buildOnce(commentsIndexed, func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: db, seal: db.seal}
		return tx.Bucket(bResponses).ForEach(func(k, v []byte) error {
			if len(k) <= len(flows.Key{}) {
				return nil // not a response key: hailong check names it
			}
			r, err := decodeResponse(k, v)
			if err != nil {
				return nil // hailong check names it
			}
			return w.indexComment(&r, k, true)
		})
	})
}

// CommentCounts implements flows.Lookup: respondents from the aggregates,
// comments from the aggregates' free-text answers counted as given.
func (w *writer) CommentCounts(wave string, schools []string) map[string]flows.CommentCount {
	out, err := commentCounts(w.tx, wave, schools)
	if err != nil {
		w.fail(err)
	}
	return out
}

func commentCounts(tx *bbolt.Tx, wave string, schools []string) (map[string]flows.CommentCount, error) {
	out := map[string]flows.CommentCount{}
	c := tx.Bucket(bAggs).Cursor()
	given := []byte("\x00" + flows.TextGiven)
	for _, sc := range schools {
		var n flows.CommentCount
		prefix := commentPrefix(wave, sc)
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(v) != 8 {
				return nil, fmt.Errorf("aggregate %q: %w", k, errCorrupt)
			}
			rest := k[len(prefix):]
			switch {
			case bytes.Equal(rest, []byte(respondentsQ+"\x00")):
				n.Respondents = int(binary.BigEndian.Uint64(v))
			case bytes.HasSuffix(rest, given):
				n.Comments += int(binary.BigEndian.Uint64(v))
			}
		}
		out[sc] = n
	}
	return out, nil
}

// Comments implements flows.Lookup: newest first.
func (w *writer) Comments(wave, school string, skip, limit int) []flows.Comment {
	var out []flows.Comment
	err := w.comments(wave, school, time.Time{}, time.Time{}, skip, func(c flows.Comment) bool {
		out = append(out, c)
		return len(out) < limit
	})
	if err != nil {
		w.fail(err)
	}
	return out
}

// comments calls fn with the comments of a wave at a school submitted in
// [from, to) (zero: no bound), newest first, the skip newest comments
// passed over, until it returns false. A response may hold several (a
// questionnaire with more than one free-text question): the skipped are
// counted, not opened; only what fn takes is unsealed.
func (w *writer) comments(wave, school string, from, to time.Time, skip int, fn func(flows.Comment) bool) error {
	prefix := commentPrefix(wave, school)
	lo := prefix
	if !from.IsZero() {
		lo = append(append([]byte(nil), prefix...), commentStamp(from)...)
	}
	end := append(append([]byte(nil), prefix...), 0xff)
	if !to.IsZero() {
		end = append(append([]byte(nil), prefix...), commentStamp(to)...)
	}
	rb, idx := w.tx.Bucket(bResponses), w.tx.Bucket(bComments)
	if idx == nil {
		return nil // a database of before the index, opened read-only
	}
	c := idx.Cursor()
	k, _ := c.Seek(end)
	if k == nil {
		k, _ = c.Last()
	}
	for ; k != nil && bytes.Compare(k, end) >= 0; k, _ = c.Prev() {
	}
	for ; k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, lo) >= 0; k, _ = c.Prev() {
		if len(k) != len(prefix)+8+len(flows.Key{}) {
			return fmt.Errorf("comment index %q: %w", k, errCorrupt)
		}
		rk := responseKey(wave, school, flows.Key(k[len(prefix)+8:]))
		v := rb.Get(rk)
		if v == nil {
			continue // hailong check names an entry without its response
		}
		r, err := decodeResponse(rk, v)
		if err != nil {
			return err
		}
		ids := textIDs(&r)
		if skip >= len(ids) {
			skip -= len(ids)
			continue
		}
		ids, skip = ids[skip:], 0
		w.db.openTexts(&r)
		for _, id := range ids {
			if !fn(flows.Comment{Wave: wave, School: school, At: r.At, Grade: r.Grade, Text: r.Answers[id]}) {
				return nil
			}
		}
	}
	return nil
}

// textIDs are the ids of a response's given free-text answers, in order.
func textIDs(r *flows.Response) []string {
	var ids []string
	for id, b := range r.Buckets {
		if b == flows.TextGiven && r.Answers[id] != "" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// CommentsIn calls fn with the comments of a wave at each of the schools
// submitted in [from, to), newest first school by school, for reports.
func (db *DB) CommentsIn(wave string, schools []string, from, to time.Time, fn func(flows.Comment) error) error {
	var ferr error
	err := db.b.View(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: db, seal: db.seal}
		for _, sc := range schools {
			if err := w.comments(wave, sc, from, to, 0, func(c flows.Comment) bool {
				ferr = fn(c)
				return ferr == nil
			}); err != nil {
				return err
			}
			if ferr != nil {
				return ferr
			}
		}
		return nil
	})
	return wrap("read the comments of wave "+wave, err)
}

// CommentCounts gives each school's respondents and comments in a wave.
func (db *DB) CommentCounts(wave string, schools []string) (map[string]flows.CommentCount, error) {
	var out map[string]flows.CommentCount
	err := db.b.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = commentCounts(tx, wave, schools)
		return err
	})
	return out, wrap("count the comments of wave "+wave, err)
}

// checkComments holds the comments index to the responses: one entry for
// each response with a comment, none for another.
func checkComments(db *DB, tx *bbolt.Tx, bad func(string, ...any)) error {
	idx := tx.Bucket(bComments)
	if idx == nil || tx.Bucket(bMeta).Get([]byte(commentsIndexed)) == nil {
		return nil
	}
	want := 0
	missing := 0
	if err := tx.Bucket(bResponses).ForEach(func(k, v []byte) error {
		if len(k) <= len(flows.Key{}) {
			return nil
		}
		r, err := decodeResponse(k, v)
		if err != nil || !hasComment(&r) {
			return nil
		}
		want++
		if idx.Get(commentKey(&r, k[len(k)-len(flows.Key{}):])) == nil {
			missing++
		}
		return nil
	}); err != nil {
		return err
	}
	if n := idx.Stats().KeyN; n != want-missing {
		bad("the comments index has %d entries for %d responses with a comment", n, want)
	} else if missing > 0 {
		bad("%d responses with a comment are missing from the comments index", missing)
	}
	return nil
}
