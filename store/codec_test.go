package store

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
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
	if len(v) > 70 {
		t.Errorf("a 5-answer response takes %d bytes", len(v))
	}
	// Version 1, of before, spelled every value out.
	v1 := append([]byte{responseV1}, 2, 't', 'h', 1, '3')
	v1 = binary.AppendVarint(v1, r.At.Unix())
	v1 = binary.AppendUvarint(v1, uint64(r.At.Nanosecond()))
	v1 = append(v1, 1, 2, 'A', '4', hasAnswer|hasBucket, 2, '3', '2', 2, '3', '1')
	want := flows.Response{Wave: r.Wave, School: r.School, Level: flows.Primary, Grade: "3", At: r.At,
		Answers: map[string]string{"A4": "32"}, Buckets: map[string]string{"A4": "31"}}
	if got, err := decodeResponse(k, v1); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("a version 1 response: %+v, %v", got, err)
	}
}

// TestResponseValues: whatever the answers and buckets, they come back
// exactly — the common ones and decimal numbers coded, the rest spelled
// out.
func TestResponseValues(t *testing.T) {
	k := responseKey("w", "s", flows.Key{})
	values := []string{"", "yes", "no", "dk", "1", "5", "given", "0", "00", "032", "32", "-5", "+5", "3.5", "999999999999999999",
		"1000000000000000000", "18446744073709551615", "99999999999999999999", "Cô giáo rất tận tâm!", "yes ", "Yes", "\x00"}
	for i, a := range values {
		b := values[(i*7+3)%len(values)]
		r := flows.Response{Wave: "w", School: "s", Level: flows.Lower, Grade: "9", At: time.Unix(1_790_000_000, 5).UTC(),
			Answers: map[string]string{"Q": a, "R": a}, Buckets: map[string]string{"Q": b, "R": a, "S": b}}
		got, err := decodeResponse(k, encodeResponse(&r))
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("answer %q, bucket %q:\n got %+v, %v\nwant %+v", a, b, got, err, r)
		}
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

// fill sets every field reachable from v to a value that is not its zero
// value, so that a round trip through a codec that forgets a field — one
// added to the type later, say — fails.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strconv.Itoa(*n) + " ữ")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(*n) * -7)
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint8:
		v.SetUint(uint64(*n) * 1000003 & (math.MaxUint64 >> (64 - 8*v.Type().Size())))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), n)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, n)
			fill(e, n)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), n)
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(1_790_000_000+int64(*n), int64(*n)*1001)))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), n)
		}
	default:
		panic("fill: no filler for " + v.Type().String())
	}
}

// TestRowCodecEveryField: an outbox row with every field set comes back
// the same, and so does one with nothing optional; a JSON row of before
// still decodes.
func TestRowCodecEveryField(t *testing.T) {
	var full flows.Outgoing
	fill(reflect.ValueOf(&full).Elem(), new(int))
	bare := flows.Outgoing{Kind: flows.OutMessage, Channel: "telegram", Chat: "77", Created: time.Unix(1_790_000_000, 0),
		Reply: flows.Reply{Text: "Xin chào"}}
	for _, o := range []flows.Outgoing{full, bare} {
		got, err := decodeRow(encodeRow(&o))
		if err != nil || !reflect.DeepEqual(got, o) {
			t.Errorf("round trip: %v\n got %#v\nwant %#v", err, got, o)
		}
		old, _ := json.Marshal(o)
		if got, err := decodeRow(old); err != nil || !got.Created.Equal(o.Created) || got.Reply.Text != o.Reply.Text {
			t.Errorf("a JSON row of before: %+v, %v", got, err)
		}
	}
	if v := encodeRow(&bare); len(v) > 48 {
		t.Errorf("a short reply's row takes %d bytes", len(v))
	}
}

// TestSessionCodecEveryField: a session with every field the compact form
// holds set comes back the same; one writing a complaint or an
// announcement stays JSON and comes back too.
func TestSessionCodecEveryField(t *testing.T) {
	var s flows.Session
	fill(reflect.ValueOf(&s).Elem(), new(int))
	s.Lang = flows.English
	compact := s
	compact.Draft, compact.Target, compact.Announce = nil, 0, nil
	for _, c := range []struct {
		s    flows.Session
		json bool
	}{{compact, false}, {s, true}} {
		v, err := encodeSession(&c.s)
		if err != nil {
			t.Fatal(err)
		}
		if (v[0] == '{') != c.json {
			t.Errorf("stored as JSON: %v, want %v", v[0] == '{', c.json)
		}
		got, err := decodeSession(v)
		if err != nil {
			t.Fatal(err)
		}
		if c.json { // JSON keeps the zone's offset, not time.Local: compare as JSON
			a, _ := json.Marshal(got)
			b, _ := json.Marshal(&c.s)
			if string(a) != string(b) {
				t.Errorf("round trip:\n got %s\nwant %s", a, b)
			}
		} else if !reflect.DeepEqual(*got, c.s) {
			t.Errorf("round trip:\n got %#v\nwant %#v", *got, c.s)
		}
	}
}

// FuzzDecodeRow: a damaged row is an error, never a panic.
func FuzzDecodeRow(f *testing.F) {
	var full flows.Outgoing
	fill(reflect.ValueOf(&full).Elem(), new(int))
	f.Add(encodeRow(&full))
	f.Add([]byte{rowV1, 3, 'm', 's', 'g'})
	f.Fuzz(func(t *testing.T, v []byte) {
		decodeRow(v)
	})
}

// TestCodesFrozen: the codes already written into responses and sessions
// mean what they meant. Changing one would misread every stored value.
func TestCodesFrozen(t *testing.T) {
	want := []string{1: "yes", 2: "no", 3: "dk", 4: "1", 5: "2", 6: "3", 7: "4", 8: "5", 9: "given"}
	if !reflect.DeepEqual(commonValues[:], want) || flows.DontKnow != "dk" {
		t.Errorf("the response value codes changed: %q (don't know is %q)", commonValues, flows.DontKnow)
	}
	if responseV1 != 1 || responseV2 != 2 || sessionV1 != 2 || sessionV2 != 3 || rowV1 != 1 || valueNumber != 31 ||
		hasAnswer != 1 || hasBucket != 2 || bucketIsValue != 4 || valueShift != 3 ||
		sessConsent != 1 || sessStaff != 2 || sessOptOut != 4 || sessEnglish != 8 || sessOptions != 16 || sessProgress != 32 ||
		rowEdit != 1 || rowTyped != 2 || rowHideKeyboard != 4 || rowFile != 8 || rowImage != 16 || rowReport != 32 ||
		rowExport != 64 || rowYield != 128 {
		t.Error("a version or a flag of the stored encodings changed")
	}
	// An idle session stays version 2, which binaries of before read; one
	// in progress is version 3, which they refuse rather than misread.
	idle, _ := encodeSession(&flows.Session{School: "TH-01", Updated: time.Unix(1, 0)})
	busy, _ := encodeSession(&flows.Session{School: "TH-01", Step: flows.StepQuestion, Q: 2, Updated: time.Unix(1, 0)})
	if idle[0] != sessionV1 || busy[0] != sessionV2 {
		t.Errorf("versions %d and %d; want %d idle and %d in progress", idle[0], busy[0], sessionV1, sessionV2)
	}
}

// FuzzDecodeSession: a damaged session is an error, never a panic, and
// what decodes encodes and decodes to the same.
func FuzzDecodeSession(f *testing.F) {
	var s flows.Session
	fill(reflect.ValueOf(&s).Elem(), new(int))
	s.Lang, s.Draft, s.Target, s.Announce = flows.English, nil, 0, nil
	v, _ := encodeSession(&s)
	f.Add(v)
	idle, _ := encodeSession(&flows.Session{School: "TH-01", Done: map[string]time.Time{"w1/TH-01": time.Unix(5, 0)}})
	f.Add(idle)
	f.Add([]byte{sessionV2, sessProgress, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, v []byte) {
		if len(v) > 0 && v[0] == '{' {
			return // JSON: the standard library's
		}
		s, err := decodeSession(v)
		if err != nil {
			return
		}
		again, err := encodeSession(s)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := decodeSession(again)
		if err != nil || !reflect.DeepEqual(s, s2) {
			t.Fatalf("decoded %+v; encoded and decoded again %+v, %v", s, s2, err)
		}
	})
}
