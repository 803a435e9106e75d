package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// comments reads a page of a school's comments through the engine's Lookup.
func (h *harness) comments(school string, skip, limit int) []flows.Comment {
	h.tb.Helper()
	var out []flows.Comment
	if err := h.db.b.View(func(tx *bbolt.Tx) error {
		w := &writer{tx: tx, db: h.db, seal: h.db.seal}
		out = w.Comments(wave, school, skip, limit)
		return w.err
	}); err != nil {
		h.tb.Fatalf("Comments: %v", err)
	}
	return out
}

func (h *harness) commentCount(school string) flows.CommentCount {
	h.tb.Helper()
	n, err := h.db.CommentCounts(wave, []string{school})
	if err != nil {
		h.tb.Fatal(err)
	}
	return n[school]
}

func texts(cs []flows.Comment) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Text)
	}
	return out
}

func (h *harness) noProblems(when string) {
	h.tb.Helper()
	if problems, err := h.db.Check(); err != nil || len(problems) > 0 {
		h.tb.Errorf("check %s: %v %v", when, problems, err)
	}
}

// TestCommentsIndex: a school's comments read newest first, a page at a
// time, through the index; answering again moves a parent's comment,
// /xoadulieu and the retention purge take it out of the index too, and a
// database of before the index gets it built at open.
func TestCommentsIndex(t *testing.T) {
	h := newHarness(t, Options{})
	for i := 1; i <= 6; i++ {
		h.survey(fmt.Sprint(100+i), "TH1", "Lớp 3", answers{"C": fmt.Sprintf("góp ý số %d", i)})
	}
	h.survey("200", "TH1", "Lớp 3", answers{"C": ""})                // no comment
	h.survey("300", "THCS1", "Lớp 6", answers{"C": "ở trường khác"}) // another school
	if n := h.commentCount("TH1"); n != (flows.CommentCount{Respondents: 7, Comments: 6}) {
		t.Fatalf("TH1 counts %+v, want 7 respondents and 6 comments", n)
	}
	if got, want := texts(h.comments("TH1", 0, 4)), []string{"góp ý số 6", "góp ý số 5", "góp ý số 4", "góp ý số 3"}; !slices.Equal(got, want) {
		t.Errorf("first page %q, want %q", got, want)
	}
	if got, want := texts(h.comments("TH1", 4, 4)), []string{"góp ý số 2", "góp ý số 1"}; !slices.Equal(got, want) {
		t.Errorf("second page %q, want %q", got, want)
	}
	if c := h.comments("TH1", 0, 1)[0]; c.Grade != "3" || c.School != "TH1" || c.Wave != wave || c.At.IsZero() {
		t.Errorf("a comment reads %+v", c)
	}
	h.noProblems("after the surveys")

	// Parent 102 answers again: one comment of theirs, now the newest.
	h.survey("102", "TH1", "Lớp 3", answers{"C": "góp ý mới"})
	if got := texts(h.comments("TH1", 0, 10)); len(got) != 6 || got[0] != "góp ý mới" || slices.Contains(got, "góp ý số 2") {
		t.Errorf("after 102 answered again: %q", got)
	}
	// Parent 104 answers again without a comment: theirs goes.
	h.survey("104", "TH1", "Lớp 3", answers{"C": ""})
	if got := texts(h.comments("TH1", 0, 10)); len(got) != 5 || slices.Contains(got, "góp ý số 4") {
		t.Errorf("after 104 took their comment back: %q", got)
	}
	h.noProblems("after answering again")

	// Parent 103 erases their data.
	h.apply(h.text("103", "/xoadulieu"))
	h.apply(h.press("103", "🗑 Xoá tất cả"))
	if got := texts(h.comments("TH1", 0, 10)); len(got) != 4 || slices.Contains(got, "góp ý số 3") {
		t.Errorf("after 103 erased their data: %q", got)
	}
	if n := h.commentCount("TH1"); n != (flows.CommentCount{Respondents: 6, Comments: 4}) {
		t.Errorf("TH1 counts after erasing %+v", n)
	}
	if n := h.bucketLen(bComments); n != 5 { // 4 at TH1, 1 at THCS1
		t.Errorf("the index has %d entries, want 5", n)
	}
	h.noProblems("after erasing")

	// A period's comments: only those submitted in it.
	var got []string
	from := testStart
	to := h.comments("TH1", 0, 10)[0].At // the newest is left out
	if err := h.db.CommentsIn(wave, []string{"TH1", "THCS1"}, from, to, func(c flows.Comment) error {
		got = append(got, c.Text)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"góp ý số 6", "góp ý số 5", "góp ý số 1", "ở trường khác"}; !slices.Equal(got, want) {
		t.Errorf("CommentsIn [from, newest) = %q, want %q", got, want)
	}

	// A database of before the index: it is built at open.
	if err := h.db.b.Update(func(tx *bbolt.Tx) error {
		if err := tx.DeleteBucket(bComments); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bComments); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Delete([]byte(commentsIndexed))
	}); err != nil {
		t.Fatal(err)
	}
	h.db.Close()
	db, err := Open(h.path, Options{Engine: h.db.eng, Secret: []byte("test secret, 32 characters long!"), Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	h.db = db
	if got := texts(h.comments("TH1", 0, 10)); len(got) != 4 || got[0] != "góp ý mới" {
		t.Errorf("rebuilt index reads %q", got)
	}
	h.noProblems("after rebuilding")

	// The retention purge takes the comments with the responses.
	if _, err := h.db.Purge(h.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := h.bucketLen(bComments); n != 0 {
		t.Errorf("after the purge the index has %d entries", n)
	}
	h.noProblems("after the purge")

	// hailong check names an entry without its response.
	if err := h.db.b.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bComments).Put(commentKey(&flows.Response{Wave: wave, School: "TH1", At: h.now}, make([]byte, 16)), nil)
	}); err != nil {
		t.Fatal(err)
	}
	if problems, err := h.db.Check(); err != nil || len(problems) != 1 || !strings.Contains(problems[0], "comments index has 1 entries for 0 responses") {
		t.Errorf("check of a stale comments index: %q %v", problems, err)
	}
}

// TestCommentPagesCountComments: a page's skip counts comments, not the
// responses holding them: with two free-text questions (a questionnaire
// of its own), paging through a school's comments shows each once.
func TestCommentPagesCountComments(t *testing.T) {
	h := newHarness(t, Options{})
	at := testStart.Add(time.Hour)
	err := h.db.b.Update(func(tx *bbolt.Tx) error {
		w := &writer{tx: tx, db: h.db, seal: h.db.seal}
		for i := 1; i <= 4; i++ {
			r := &flows.Response{Wave: wave, School: "TH1", Level: flows.Primary, Grade: "3", At: at.Add(time.Duration(i) * time.Minute),
				Answers: map[string]string{"C": fmt.Sprintf("r%d-C", i), "D": fmt.Sprintf("r%d-D", i)},
				Buckets: map[string]string{"C": flows.TextGiven, "D": flows.TextGiven}}
			if err := w.saveResponse(flows.Key{byte(i)}, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for skip := 0; skip < 12; skip += 3 {
		all = append(all, texts(h.comments("TH1", skip, 3))...)
	}
	want := []string{"r4-C", "r4-D", "r3-C", "r3-D", "r2-C", "r2-D", "r1-C", "r1-D"}
	if !slices.Equal(all, want) {
		t.Errorf("pages of 3 read %q, want %q", all, want)
	}
}
