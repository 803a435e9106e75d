package store

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"hailong/flows"
)

func TestResponseCodecRoundTrip(t *testing.T) {
	k := responseKey("2026-2027-hk1", "TH-TRUNGVUONG", flows.RespondentKey([]byte("s"), "telegram", "1"))
	r := flows.Response{Wave: "2026-2027-hk1", School: "TH-TRUNGVUONG", Level: flows.Primary, Grade: "3",
		Answers: map[string]string{"A1": "yes", "A4": "32", "B6": "5", "C": "Cô giáo rất tận tâm!", "X": ""},
		Buckets: map[string]string{"A1": "yes", "A4": "32", "B6": "5", "C": "given"},
		At:      time.Date(2026, 11, 26, 2, 3, 4, 567891234, time.UTC)}
	v := encodeResponse(&r)
	got, err := decodeResponse(k, v)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, r)
	}
	old, _ := json.Marshal(r)
	if got, err := decodeResponse(k, old); err != nil || !reflect.DeepEqual(got, r) {
		t.Errorf("a JSON response of before the compact encoding: %+v, %v", got, err)
	}
	if len(v) > 90 {
		t.Errorf("a 5-answer response takes %d bytes", len(v))
	}
}

// FuzzDecodeResponse: a damaged value is an error, never a panic.
func FuzzDecodeResponse(f *testing.F) {
	r := flows.Response{Level: flows.Primary, Grade: "3", Answers: map[string]string{"A1": "yes"}, Buckets: map[string]string{"A1": "yes"}, At: time.Unix(1, 0)}
	f.Add(encodeResponse(&r))
	f.Add([]byte{1, 200, 1})
	f.Fuzz(func(t *testing.T, v []byte) {
		decodeResponse([]byte("w\x00s\x00k"), v)
	})
}

func TestSessionCodecRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 5, 123, time.UTC)
	for _, s := range []*flows.Session{
		{Consent: &flows.Consent{At: at, Version: "2026-11-v1"}, School: "TH-01", Grade: "3",
			Done: map[string]time.Time{"w1/TH-01": at.Add(time.Hour)}, Nonce: 23, Updated: at.Add(2 * time.Hour)},
		{Staff: true, Updated: at},
		{Consent: &flows.Consent{At: at, Version: "v"}, OptOut: true, Updated: at},
		{Consent: &flows.Consent{At: at, Version: "v"}, School: "TH-02", Lang: flows.English, Updated: at},
		{Consent: &flows.Consent{At: at, Version: "v"}, School: "TH-02", Options: []string{"m:s", "i:h", "7:a:yes"}, Updated: at},
		{Consent: &flows.Consent{At: at, Version: "v"}, Step: flows.StepQuestion, Wave: "w1", Q: 3, Answers: map[string]string{"A1": "yes"}, Updated: at},
	} {
		v, err := encodeSession(s)
		if err != nil {
			t.Fatal(err)
		}
		if s.Step == flows.StepMenu && v[0] == '{' {
			t.Errorf("an idle session was stored as JSON: %+v", s)
		}
		got, err := decodeSession(v)
		if err != nil {
			t.Fatal(err)
		}
		// Times come back in the local zone; compare instants.
		eq := got.Updated.Equal(s.Updated) && (s.Consent == nil) == (got.Consent == nil)
		if s.Consent != nil {
			eq = eq && got.Consent.At.Equal(s.Consent.At) && got.Consent.Version == s.Consent.Version
		}
		for k, d := range s.Done {
			eq = eq && got.Done[k].Equal(d)
		}
		if !eq || got.School != s.School || got.Grade != s.Grade || got.Nonce != s.Nonce || got.Staff != s.Staff ||
			got.OptOut != s.OptOut || got.Lang != s.Lang || !reflect.DeepEqual(got.Options, s.Options) || got.Step != s.Step || got.Q != s.Q || len(got.Done) != len(s.Done) || !reflect.DeepEqual(got.Answers, s.Answers) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
		}
	}
}

func TestReaderVarintMatchesBinary(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 63, -64, 1 << 40, -(1 << 40), math.MaxInt64, math.MinInt64, -86400 * 365 * 100} {
		r := reader{b: binary.AppendVarint(nil, v)}
		if got := r.varint(); got != v || r.err != nil || len(r.b) != 0 {
			t.Errorf("varint(%d) = %d, %v, %d bytes left", v, got, r.err, len(r.b))
		}
	}
	r := reader{b: []byte{0x80}}
	if r.varint(); r.err == nil {
		t.Error("a truncated varint reads without error")
	}
}
