package fakeapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// text is a toy answer: its status, and the body "status text".
type text struct {
	code int
	body string
}

func (a text) Status() int { return a.code }
func (a text) Write(w http.ResponseWriter) {
	w.WriteHeader(a.code)
	io.WriteString(w, a.body)
}

// toy is a fake with one method that answers its "say" parameter, and a
// long poll, "wait", that waits for the fake to change.
type toy struct {
	Core
	polls atomic.Int64
}

func newToy(t *testing.T) *toy {
	t.Helper()
	f := &toy{}
	f.Start(Handler(&f.Core, API[map[string]string]{Token: "T", LongPoll: "wait",
		NotFound: text{http.StatusNotFound, "no such method"}, Unauthorized: text{http.StatusUnauthorized, "who"},
		Read: func(_ http.ResponseWriter, r *http.Request, _ string) (map[string]string, map[string]string, Answer) {
			p := map[string]string{"say": r.URL.Query().Get("say")}
			if p["say"] == "" {
				return p, p, text{http.StatusBadRequest, "say what"}
			}
			return p, p, nil
		},
		Dispatch: func(p map[string]string) Answer {
			if p["say"] == "wait" {
				f.polls.Add(1)
				select {
				case <-f.Changes():
				case <-f.Done():
				}
			}
			return text{http.StatusOK, p["say"]}
		}}), nil)
	t.Cleanup(f.Close)
	return f
}

// call POSTs (a GET would be sent again after a lost answer) to a fake.
func call(f *Core, token, method, say string) (int, string, error) {
	resp, err := http.Post(f.URL()+"/bot"+token+"/"+method+"?say="+say, "text/plain", nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestCore: a call goes through the token's check, the parameters' and
// the method's, is recorded with its status, and faults injected delay,
// drop, answer instead, or lose the answer of a call handled.
func TestCore(t *testing.T) {
	f := newToy(t)
	for _, c := range []struct {
		token, path, say string
		code             int
		body             string
	}{
		{"T", "echo", "hi", 200, "hi"},
		{"X", "echo", "hi", 401, "who"},
		{"T", "echo", "", 400, "say what"},
		{"X", "echo", "", 401, "who"}, // the token is checked first
		{"T", "a/b", "hi", 404, "no such method"},
	} {
		code, body, err := call(&f.Core, c.token, c.path, c.say)
		if err != nil || code != c.code || body != c.body {
			t.Errorf("/bot%s/%s?say=%s: %d %q %v, want %d %q", c.token, c.path, c.say, code, body, err, c.code, c.body)
		}
	}
	calls := f.Calls()
	if len(calls) != 4 || calls[0].Method != "echo" || calls[0].Params["say"] != "hi" || calls[0].Status != 200 || calls[1].Status != 401 {
		t.Errorf("calls recorded: %+v", calls)
	}
	if p := f.PeakInFlight(); p != 1 {
		t.Errorf("calls one after another: %d in flight at most, want 1", p)
	}

	var handled atomic.Int64
	f2 := &toy{}
	f2.Start(Handler(&f2.Core, API[string]{Token: "T", NotFound: text{404, ""}, Unauthorized: text{401, ""},
		Read: func(_ http.ResponseWriter, r *http.Request, _ string) (string, map[string]string, Answer) {
			return r.URL.Query().Get("say"), nil, nil
		},
		Dispatch: func(string) Answer { handled.Add(1); return text{200, "done"} }}), nil)
	defer f2.Close()
	toyFault := func(f *Fault) *Fault { return f }
	Inject(&f2.Core, func(method string, _ map[string]string) *Fault {
		switch method {
		case "slow":
			return &Fault{Delay: 60 * time.Millisecond}
		case "drop":
			return &Fault{Drop: true}
		case "busy":
			return &Fault{Answer: text{http.StatusTooManyRequests, "later"}}
		case "lost":
			return &Fault{DropReply: true}
		}
		return nil
	}, toyFault)
	start := time.Now()
	if code, body, err := call(&f2.Core, "T", "slow", "x"); err != nil || code != 200 || body != "done" || time.Since(start) < 60*time.Millisecond {
		t.Errorf("delayed call: %d %q %v after %s", code, body, err, time.Since(start))
	}
	if _, _, err := call(&f2.Core, "T", "drop", "x"); err == nil {
		t.Error("a dropped call was answered")
	}
	if code, body, _ := call(&f2.Core, "T", "busy", "x"); code != 429 || body != "later" {
		t.Errorf("a faulted call answered %d %q", code, body)
	}
	before := handled.Load()
	if _, _, err := call(&f2.Core, "T", "lost", "x"); err == nil || handled.Load() != before+1 {
		t.Errorf("a call whose answer is lost: %v, handled %d times", err, handled.Load()-before)
	}
	want := map[string]int{"slow": 200, "drop": 0, "busy": 429, "lost": 0}
	for _, c := range f2.Calls() {
		if c.Status != want[c.Method] {
			t.Errorf("%s recorded with status %d, want %d", c.Method, c.Status, want[c.Method])
		}
	}
	Inject[Fault](&f2.Core, nil, toyFault)
	if code, _, _ := call(&f2.Core, "T", "busy", "x"); code != 200 {
		t.Errorf("with the faults removed, answered %d", code)
	}
}

// TestCoreWait: Wait sees a change; a long poll is not counted in
// PeakInFlight; Close ends it.
func TestCoreWait(t *testing.T) {
	f := newToy(t)
	var set atomic.Bool
	go func() {
		time.Sleep(50 * time.Millisecond)
		set.Store(true)
		f.Notify()
	}()
	if !f.Wait(2*time.Second, set.Load) {
		t.Fatal("Wait missed the change")
	}
	if f.Wait(50*time.Millisecond, func() bool { return false }) {
		t.Fatal("Wait of a false condition returned true")
	}
	errc := make(chan error, 1)
	go func() {
		_, _, err := call(&f.Core, "T", "wait", "wait")
		errc <- err
	}()
	if !f.Wait(2*time.Second, func() bool { return f.polls.Load() == 1 }) {
		t.Fatal("the long poll did not arrive")
	}
	if p := f.PeakInFlight(); p != 0 {
		t.Errorf("a long poll counted in flight: %d", p)
	}
	go f.Close()
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "EOF") {
			t.Logf("the long poll ended with %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Close did not end the long poll")
	}
}

// TestMethods: methods match whatever their case; a waiting method runs
// without the fake's lock and the others under it; a limited method is
// refused by the limit before anything else, one the fake does not have
// too; other unknown methods are not found.
func TestMethods(t *testing.T) {
	type fake struct {
		mu      sync.Mutex
		refuse  bool
		limited []string
	}
	held := func(f *fake) bool {
		if f.mu.TryLock() {
			f.mu.Unlock()
			return false
		}
		return true
	}
	m := Methods[*fake, string, text]{
		Waiting: map[string]func(*fake, string) text{"poll": func(f *fake, q string) text {
			return text{200, fmt.Sprint("poll locked=", held(f))}
		}},
		Locked: map[string]func(*fake, string) text{"send": func(f *fake, q string) text {
			return text{200, fmt.Sprint("send locked=", held(f))}
		}},
		Limited: map[string]bool{"send": true, "sendvideo": true},
		Limit: func(f *fake, name, q string) *text {
			f.limited = append(f.limited, name)
			if f.refuse {
				return &text{429, "slow down"}
			}
			return nil
		},
		NotFound: text{404, "no"},
	}
	f := &fake{}
	for _, c := range []struct {
		method string
		refuse bool
		want   text
	}{
		{"Poll", false, text{200, "poll locked=false"}},
		{"sendMessage", false, text{404, "no"}},
		{"SEND", false, text{200, "send locked=true"}},
		{"send", true, text{429, "slow down"}},
		{"sendVideo", true, text{429, "slow down"}},
		{"sendVideo", false, text{404, "no"}},
	} {
		f.refuse = c.refuse
		if got := m.Dispatch(f, &f.mu, c.method, ""); got != c.want {
			t.Errorf("%s (refusing %v): %+v, want %+v", c.method, c.refuse, got, c.want)
		}
	}
	if want := []string{"send", "send", "sendvideo", "sendvideo"}; !slices.Equal(f.limited, want) {
		t.Errorf("the limit was asked of %v, want %v", f.limited, want)
	}
}
