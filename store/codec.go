package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"time"

	"hailong/flows"
)

// Responses are the bulk of the database, so they are stored compactly:
// the wave and school are already in the key; the answers follow as
// id/value pairs, with the aggregate bucket only where it differs from the
// value. A version byte leads; version 1 (values always spelled out) and
// JSON (starting with '{') of before still decode.
//
// Version 2 writes a value as a code in the answer's flags: one of
// commonValues, a number in decimal as a uvarint, or the string itself —
// "yes" takes no byte instead of four.
const (
	responseV1 = 1
	responseV2 = 2
)

const (
	hasAnswer = 1 << iota
	hasBucket
	bucketIsValue
	valueShift = iota // the value's code sits above the flags
)

// commonValues are the answers nearly every response holds. Frozen: the
// stored codes are indexes into it, so it may only grow at the end (at most
// to valueNumber-1).
var commonValues = [...]string{1: "yes", 2: "no", 3: "dk", 4: "1", 5: "2", 6: "3", 7: "4", 8: "5", 9: "given"}

const (
	valueInline = 0  // the string follows
	valueNumber = 31 // a canonical non-negative decimal, as a uvarint
)

// valueCode is how v is written: its code, and the number for valueNumber.
func valueCode(v string) (code byte, n uint64) {
	for i, c := range commonValues {
		if i > 0 && c == v {
			return byte(i), 0
		}
	}
	if len(v) > 0 && len(v) <= 18 && (v == "0" || v[0] != '0') {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			return valueNumber, n
		}
	}
	return valueInline, 0
}

func appendValue(b []byte, code byte, n uint64, v string) []byte {
	switch code {
	case valueInline:
		return appendStr(b, v)
	case valueNumber:
		return binary.AppendUvarint(b, n)
	}
	return b
}

func (r *reader) value(code byte) string {
	switch {
	case code == valueInline:
		return r.str()
	case code == valueNumber:
		return strconv.FormatUint(r.uvarint(), 10)
	case int(code) < len(commonValues):
		return commonValues[code]
	}
	r.fail()
	return ""
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func encodeResponse(r *flows.Response) []byte {
	b := make([]byte, 0, 96)
	b = append(b, responseV2)
	b = appendStr(b, string(r.Level))
	b = appendStr(b, r.Grade)
	b = binary.AppendVarint(b, r.At.Unix())
	b = binary.AppendUvarint(b, uint64(r.At.Nanosecond()))
	ids := make([]string, 0, len(r.Answers))
	for id := range r.Answers {
		ids = append(ids, id)
	}
	for id := range r.Buckets {
		if _, ok := r.Answers[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		v, okV := r.Answers[id]
		bk, okB := r.Buckets[id]
		var flags byte
		if okV {
			flags |= hasAnswer
		}
		if okB {
			flags |= hasBucket
			if okV && bk == v {
				flags |= bucketIsValue
			}
		}
		code, n := valueCode(v)
		if okV {
			flags |= code << valueShift
		}
		b = appendStr(b, id)
		b = append(b, flags)
		if okV {
			b = appendValue(b, code, n, v)
		}
		if okB && flags&bucketIsValue == 0 {
			code, n := valueCode(bk)
			b = append(b, code)
			b = appendValue(b, code, n, bk)
		}
	}
	return b
}

var errShort = errors.New("truncated")

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

// varint undoes binary.AppendVarint's zig-zag on top of uvarint.
func (r *reader) varint() int64 {
	u := r.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func (r *reader) str() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errShort
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) byte1() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errShort
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// decodeResponse reads a stored response; its key gives the wave and
// school.
func decodeResponse(k, v []byte) (flows.Response, error) {
	var out flows.Response
	if len(v) > 0 && v[0] == '{' {
		if err := json.Unmarshal(v, &out); err != nil {
			return out, fmt.Errorf("response %q: %w: %v", k, errCorrupt, err)
		}
		return out, nil
	}
	wave, rest, _ := cut0(k)
	school, _, _ := cut0(rest)
	out.Wave, out.School = string(wave), string(school)
	r := reader{b: v}
	version := r.byte1()
	if version != responseV1 && version != responseV2 {
		return out, fmt.Errorf("response %q: %w: unknown version", k, errCorrupt)
	}
	out.Level = flows.Level(r.str())
	out.Grade = r.str()
	sec := r.varint()
	nsec := r.uvarint()
	out.At = time.Unix(sec, int64(nsec)).UTC()
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		// Each answer takes at least a byte: a count beyond the bytes left
		// is damage, not a reason to allocate.
		return out, fmt.Errorf("response %q: %w: %d answers in %d bytes", k, errCorrupt, n, len(r.b))
	}
	out.Answers, out.Buckets = make(map[string]string, n), make(map[string]string, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		id := r.str()
		flags := r.byte1()
		var val string
		if flags&hasAnswer != 0 {
			if version == responseV1 {
				val = r.str()
			} else {
				val = r.value(flags >> valueShift)
			}
			out.Answers[id] = val
		}
		if flags&hasBucket != 0 {
			switch {
			case flags&bucketIsValue != 0:
				out.Buckets[id] = val
			case version == responseV1:
				out.Buckets[id] = r.str()
			default:
				out.Buckets[id] = r.value(r.byte1())
			}
		}
	}
	if r.err != nil {
		return out, fmt.Errorf("response %q: %w: %v", k, errCorrupt, r.err)
	}
	return out, nil
}

// Sessions are stored compactly too: consent, school, grade, the waves
// answered, the nonce and the last activity, and — for a parent in the
// middle of choosing a school or answering the survey, the hot path — the
// step, the wave and the answers so far. A session writing a complaint or
// an announcement (rarer, and with more to it) stays JSON.
//
// Version 2 holds an idle session; version 3 adds the step in progress, so
// that a binary of before, which knows only version 2, refuses such a
// session (the parent starts afresh) instead of reading it as idle.
const (
	sessionV1 = 2
	sessionV2 = 3
)

// compactSession says whether s fits the compact form.
func compactSession(s *flows.Session) bool {
	return s.Draft == nil && s.Target == 0 && s.Announce == nil && (s.Lang == "" || s.Lang == flows.English)
}

// inProgress says whether a compact session has a step in progress.
func inProgress(s *flows.Session) bool {
	return s.Step != flows.StepMenu || s.Intent != flows.StepMenu || s.Level != "" || s.Page != 0 || s.Wave != "" ||
		s.Q != 0 || s.Answers != nil
}

const (
	sessConsent = 1 << iota
	sessStaff
	sessOptOut
	sessEnglish
	sessOptions  // the options last shown on a channel without buttons follow
	sessProgress // the step in progress follows
)

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

func (r *reader) time() time.Time {
	sec := r.varint()
	nsec := r.uvarint()
	return time.Unix(sec, int64(nsec))
}

func encodeSession(s *flows.Session) ([]byte, error) {
	if !compactSession(s) {
		return json.Marshal(s)
	}
	b := make([]byte, 0, 96)
	if inProgress(s) {
		b = append(b, sessionV2)
	} else {
		b = append(b, sessionV1)
	}
	var flags byte
	if s.Consent != nil {
		flags |= sessConsent
	}
	if s.Staff {
		flags |= sessStaff
	}
	if s.OptOut {
		flags |= sessOptOut
	}
	if s.Lang == flows.English {
		flags |= sessEnglish
	}
	if len(s.Options) > 0 {
		flags |= sessOptions
	}
	if inProgress(s) {
		flags |= sessProgress
	}
	b = append(b, flags)
	if s.Consent != nil {
		b = appendTime(b, s.Consent.At)
		b = appendStr(b, s.Consent.Version)
	}
	b = appendStr(b, s.School)
	b = appendStr(b, s.Grade)
	keys := slices.Sorted(maps.Keys(s.Done))
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendStr(b, k)
		b = appendTime(b, s.Done[k])
	}
	b = binary.AppendUvarint(b, uint64(s.Nonce))
	b = appendTime(b, s.Updated)
	if len(s.Options) > 0 {
		b = binary.AppendUvarint(b, uint64(len(s.Options)))
		for _, o := range s.Options {
			b = appendStr(b, o)
		}
	}
	if flags&sessProgress != 0 {
		b = appendStr(b, string(s.Step))
		b = appendStr(b, string(s.Intent))
		b = appendStr(b, string(s.Level))
		b = binary.AppendVarint(b, int64(s.Page))
		b = appendStr(b, s.Wave)
		b = binary.AppendVarint(b, int64(s.Q))
		b = appendStrMap(b, s.Answers)
	}
	return b, nil
}

// appendStrMap appends a map's size and its pairs in key order; a nil map
// and an empty one are both written as 0 and read back as nil.
func appendStrMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b = appendStr(b, k)
		b = appendStr(b, m[k])
	}
	return b
}

func (r *reader) strMap() map[string]string {
	n := r.count()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := r.str()
		m[k] = r.str()
	}
	return m
}

// count reads the number of items that follow, each of at least a byte: a
// count beyond the bytes left is damage, not a reason to allocate.
func (r *reader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errShort
	}
}

func decodeSession(v []byte) (*flows.Session, error) {
	var s flows.Session
	if len(v) > 0 && v[0] == '{' {
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, err
		}
		return &s, nil
	}
	r := reader{b: v}
	version := r.byte1()
	if version != sessionV1 && version != sessionV2 {
		return nil, errors.New("unknown session version")
	}
	flags := r.byte1()
	if flags&sessConsent != 0 {
		s.Consent = &flows.Consent{At: r.time()}
		s.Consent.Version = r.str()
	}
	s.Staff, s.OptOut = flags&sessStaff != 0, flags&sessOptOut != 0
	if flags&sessEnglish != 0 {
		s.Lang = flows.English
	}
	s.School = r.str()
	s.Grade = r.str()
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		return nil, fmt.Errorf("%d answered waves in %d bytes", n, len(r.b))
	}
	if n > 0 {
		s.Done = make(map[string]time.Time, n)
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.str()
		s.Done[k] = r.time()
	}
	s.Nonce = uint32(r.uvarint())
	s.Updated = r.time()
	if flags&sessOptions != 0 {
		n := r.uvarint()
		if n > uint64(len(r.b)) {
			return nil, fmt.Errorf("%d options in %d bytes", n, len(r.b))
		}
		for i := uint64(0); i < n && r.err == nil; i++ {
			s.Options = append(s.Options, r.str())
		}
	}
	if flags&sessProgress != 0 {
		s.Step, s.Intent, s.Level = flows.Step(r.str()), flows.Step(r.str()), flows.Level(r.str())
		s.Page = int(r.varint())
		s.Wave = r.str()
		s.Q = int(r.varint())
		s.Answers = r.strMap()
	}
	if r.err != nil {
		return nil, r.err
	}
	return &s, nil
}

// Outbox rows — one for every reply, read again by the sender — are stored
// compactly as well. A version byte leads; a JSON row of before ('{')
// still decodes.
const rowV1 = 1

const (
	rowEdit = 1 << iota
	rowTyped
	rowHideKeyboard
	rowFile
	rowImage
	rowReport
	rowExport
	rowYield
)

func encodeRow(o *flows.Outgoing) []byte {
	r := &o.Reply
	b := make([]byte, 0, 64+len(r.Text))
	b = append(b, rowV1)
	b = appendStr(b, string(o.Kind))
	b = appendStr(b, o.Channel)
	b = appendStr(b, o.Chat)
	b = appendStr(b, o.EditRef)
	b = appendStr(b, o.CallbackID)
	b = binary.AppendVarint(b, int64(o.Priority))
	b = appendTime(b, o.Created)
	flags := bit(r.Edit, rowEdit) | bit(r.Typed, rowTyped) | bit(r.HideKeyboard, rowHideKeyboard) |
		bit(r.File != nil, rowFile) | bit(r.File != nil && r.File.Image, rowImage) |
		bit(o.Report != nil, rowReport) | bit(o.Report != nil && o.Report.Export, rowExport) | bit(o.Yield, rowYield)
	b = append(b, flags)
	b = appendStr(b, r.Text)
	b = binary.AppendUvarint(b, uint64(len(r.Buttons)))
	for _, row := range r.Buttons {
		b = binary.AppendUvarint(b, uint64(len(row)))
		for _, btn := range row {
			b = appendStr(b, btn.Label)
			b = appendStr(b, btn.Data)
		}
	}
	b = appendStr(b, r.Photo)
	b = appendStr(b, r.AskContact)
	b = appendStr(b, string(r.Lang))
	b = appendStr(b, r.Detached)
	if r.File != nil {
		b = appendStr(b, r.File.Name)
		b = appendStr(b, string(r.File.Data))
	}
	if rep := o.Report; rep != nil {
		b = appendStr(b, rep.Scope)
		b = binary.AppendUvarint(b, uint64(len(rep.Schools)))
		for _, sc := range rep.Schools {
			b = appendStr(b, sc)
		}
		b = appendTime(b, rep.From)
		b = appendTime(b, rep.To)
		b = appendStr(b, rep.Office) // last: a row written before it ends at To
	}
	return b
}

func bit(on bool, b byte) byte {
	if on {
		return b
	}
	return 0
}

func decodeRow(v []byte) (flows.Outgoing, error) {
	var o flows.Outgoing
	if len(v) > 0 && v[0] == '{' {
		err := json.Unmarshal(v, &o)
		return o, err
	}
	rd := reader{b: v}
	if rd.byte1() != rowV1 {
		return o, errors.New("unknown outbox row version")
	}
	o.Kind = flows.OutKind(rd.str())
	o.Channel, o.Chat, o.EditRef, o.CallbackID = rd.str(), rd.str(), rd.str(), rd.str()
	o.Priority = int(rd.varint())
	o.Created = rd.time()
	flags := rd.byte1()
	r := &o.Reply
	r.Edit, r.Typed, r.HideKeyboard = flags&rowEdit != 0, flags&rowTyped != 0, flags&rowHideKeyboard != 0
	o.Yield = flags&rowYield != 0
	r.Text = rd.str()
	if n := rd.count(); n > 0 {
		r.Buttons = make([][]flows.Button, n)
		for i := range r.Buttons {
			row := make([]flows.Button, rd.count())
			for j := range row {
				row[j] = flows.Button{Label: rd.str(), Data: rd.str()}
			}
			r.Buttons[i] = row
		}
	}
	r.Photo, r.AskContact, r.Lang, r.Detached = rd.str(), rd.str(), flows.Lang(rd.str()), rd.str()
	if flags&rowFile != 0 {
		r.File = &flows.File{Name: rd.str(), Image: flags&rowImage != 0}
		if data := rd.str(); data != "" {
			r.File.Data = []byte(data)
		}
	}
	if flags&rowReport != 0 {
		o.Report = &flows.ReportRequest{Scope: rd.str(), Export: flags&rowExport != 0}
		if n := rd.count(); n > 0 {
			o.Report.Schools = make([]string, n)
			for i := range o.Report.Schools {
				o.Report.Schools[i] = rd.str()
			}
		}
		o.Report.From, o.Report.To = rd.time(), rd.time()
		if len(rd.b) > 0 {
			o.Report.Office = rd.str()
		}
	}
	return o, rd.err
}
