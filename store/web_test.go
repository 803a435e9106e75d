package store

import (
	"testing"
	"time"
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
