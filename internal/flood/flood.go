// Package flood keeps one user from crowding out the others: a user who
// sends more than a number of updates within a window is warned once and
// ignored for a pause. Telegram's poller and Zalo's receiver share it; the
// clock is real time, since flooding is about how fast updates arrive.
package flood

import (
	"sync"
	"time"
)

// Guard counts each user's recent updates. Its zero value is not usable:
// make one with New. It is safe for concurrent use (Zalo's webhook).
type Guard struct {
	updates       int
	window, pause time.Duration
	mu            sync.Mutex
	users         map[string]*state
}

type state struct {
	times []time.Time
	until time.Time // ignored until then
}

// New returns a guard allowing updates per window, pausing a user who
// sends more; zero values take 40 in 10 s and a minute's pause.
func New(updates int, window, pause time.Duration) *Guard {
	if updates <= 0 {
		updates = 40
	}
	if window <= 0 {
		window = 10 * time.Second
	}
	if pause <= 0 {
		pause = time.Minute
	}
	return &Guard{updates: updates, window: window, pause: pause, users: map[string]*state{}}
}

// Pause is how long a flooding user is ignored.
func (g *Guard) Pause() time.Duration { return g.pause }

// Check counts an update of user at now: ok if it is to be handled; warn
// if it is the one that crossed the limit and gets the warning.
func (g *Guard) Check(user string, now time.Time) (ok, warn bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.users[user]
	if st == nil {
		st = &state{}
		g.users[user] = st
	}
	if now.Before(st.until) {
		return false, false
	}
	cut := now.Add(-g.window)
	keep := st.times[:0]
	for _, t := range st.times {
		if t.After(cut) {
			keep = append(keep, t)
		}
	}
	st.times = append(keep, now)
	if len(st.times) > g.updates {
		st.times, st.until = nil, now.Add(g.pause)
		return true, true
	}
	if len(g.users) > 10000 {
		// Forget users who went quiet, so the map stays small.
		for u, s := range g.users {
			if (len(s.times) == 0 || s.times[len(s.times)-1].Before(cut)) && now.After(s.until) {
				delete(g.users, u)
			}
		}
	}
	return true, false
}
