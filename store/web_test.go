package store

import (
	"testing"
	"time"

	"hailong/flows"
)

// TestWeekly: the dashboard's weeks count what NewResponsesOf counts over
// each week, for a few schools (read school by school), many and all.
func TestWeekly(t *testing.T) {
	d, eng := provinceDirectory(t)
	db, err := Open(t.TempDir()+"/p.db", Options{Engine: eng, Secret: provinceSecret, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fillProvince(t, db, 6000)
	var many []string
	for _, sc := range d.Schools[:400] {
		many = append(many, sc.Code)
	}
	waves := []string{"w0", "w1"}
	from := testStart.AddDate(0, 0, -7*12).Add(time.Hour)
	for name, schools := range map[string][]string{"few": {"S0007", "S0127", "S1999"}, "many": many, "all": nil} {
		got, err := db.Weekly(waves, schools, from, 12)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for i := range 12 {
			want, err := db.NewResponsesOf(waves, schools, from.AddDate(0, 0, 7*i), from.AddDate(0, 0, 7*i+7))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, v := range want {
				n += v
			}
			if got[i] != n {
				t.Errorf("%s, week %d: %d, want %d", name, i, got[i], n)
			}
			total += n
		}
		if total == 0 {
			t.Errorf("%s: nothing counted: the test shows nothing", name)
		}
	}
}

// TestEndWebSession: a session is ended only by its owner, or by an admin,
// checked and deleted in one transaction: another's is refused and left
// live, with nothing audited; one's own, or any by an admin, is gone, the
// audit entry naming whose it was.
func TestEndWebSession(t *testing.T) {
	h := newHarness(t, Options{})
	db, now := h.db, testStart
	open := func(actor, token string) string {
		s, err := db.OpenWebSession(actor, "link", token, "", now, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return s.Hash
	}
	live := func(token string) bool {
		_, ok, err := db.WebSession(token, now)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	ends := func(actor string) []flows.AuditEntry {
		trail, err := db.AuditTrail(100)
		if err != nil {
			t.Fatal(err)
		}
		var out []flows.AuditEntry
		for _, a := range trail {
			if a.Action == "web.end" && a.Actor == actor {
				out = append(out, a)
			}
		}
		return out
	}
	a, b, c := open("telegram:1", "token a"), open("telegram:2", "token b"), open("telegram:3", "token c")
	by := func(actor string) flows.AuditEntry {
		return flows.AuditEntry{At: now, Actor: actor, Action: "web.end", Via: "web"}
	}

	if ended, err := db.EndWebSession(b, false, by("telegram:1")); err != nil || ended {
		t.Errorf("telegram:1 ended telegram:2's session: %v, %v", ended, err)
	}
	if !live("token b") || len(ends("telegram:1")) != 0 {
		t.Error("a refused end took the session, or was audited")
	}
	if ended, err := db.EndWebSession(a, false, by("telegram:1")); err != nil || !ended || live("token a") {
		t.Errorf("telegram:1 ending its own session: %v, %v; live after: %v", ended, err, live("token a"))
	}
	if got := ends("telegram:1"); len(got) != 1 || got[0].Record != "telegram:1" {
		t.Errorf("the end of one's own session audited as %+v", got)
	}
	if ended, err := db.EndWebSession(a, false, by("telegram:1")); err != nil || ended {
		t.Errorf("a session ended twice: %v, %v", ended, err)
	}
	if ended, err := db.EndWebSession(c, true, by("telegram:9")); err != nil || !ended || live("token c") {
		t.Errorf("an admin ending another's session: %v, %v", ended, err)
	}
	if got := ends("telegram:9"); len(got) != 1 || got[0].Record != "telegram:3" {
		t.Errorf("an admin's end audited as %+v", got)
	}
	if !live("token b") {
		t.Error("ending others' sessions took telegram:2's")
	}
}
