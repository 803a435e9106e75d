package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"hailong"
	"hailong/flows"
	"hailong/zalo"
)

// settings lists a configuration's settings by key, for messages that say
// which key differs.
func settings(c Config) map[string]any {
	return map[string]any{
		"database":                            c.Database,
		"timezone":                            c.Timezone,
		"owner":                               c.Owner,
		"telegram.api_endpoint":               c.Telegram.APIEndpoint,
		"telegram.poll_timeout":               c.Telegram.PollTimeout,
		"telegram.delete_webhook":             c.Telegram.DeleteWebhook,
		"telegram.bot_username":               c.Telegram.BotUsername,
		"telegram.flood":                      c.Telegram.Flood,
		"telegram.limits.per_second":          c.Telegram.Limits.PerSecond,
		"telegram.limits.per_chat_per_second": c.Telegram.Limits.PerChatPerSecond,
		"telegram.limits.per_chat_burst":      c.Telegram.Limits.PerChatBurst,
		"telegram.limits.group_per_minute":    c.Telegram.Limits.GroupPerMinute,
		"telegram.max_in_flight":              c.Telegram.MaxInFlight,
		"survey.questionnaire_file":           c.Survey.QuestionnaireFile,
		"survey.session_expiry":               c.Survey.SessionExpiry,
		"survey.min_respondents":              c.Survey.MinRespondents,
		"survey.retention_months":             c.Survey.RetentionMonths,
		"survey.purge_schedule":               c.Survey.PurgeSchedule,
		"survey.class_size_caps":              c.Survey.ClassSizeCaps,
		"complaints.ack_days":                 c.Complaints.AckDays,
		"digest.schedule":                     c.Digest.Schedule,
		"info":                                c.Info,
		"digest.flag_below":                   c.Digest.FlagBelow,
		"complaints.check_schedule":           c.Complaints.CheckSchedule,
		"complaints.categories":               c.Complaints.Categories,
	}
}

// withoutDirectory keeps only the settings that have a default.
func withoutDirectory(c Config) Config {
	c.Waves, c.Offices, c.Schools, c.Admins = nil, nil, nil, nil
	c.Complaints.Holidays = nil // the example lists next year's; the default is none
	c.source, c.loc, c.questionnaire, c.directory = "", nil, nil, nil
	return c
}

func compareSettings(t *testing.T, what string, got, want Config) {
	t.Helper()
	g, w := settings(got), settings(want)
	for k, wv := range w {
		if !reflect.DeepEqual(g[k], wv) {
			t.Errorf("%s: %s is %v, defaults() has %v", what, k, g[k], wv)
		}
	}
	// Catches a setting added to Config and defaults() but not to the
	// table above.
	if !reflect.DeepEqual(withoutDirectory(got), withoutDirectory(want)) {
		t.Errorf("%s differs from defaults():\n got %+v\nwant %+v", what, withoutDirectory(got), withoutDirectory(want))
	}
}

// TestExampleStatesEveryDefault keeps config.example.yaml and defaults()
// from drifting apart: the example is decoded into an empty Config, not on
// top of the defaults, so a key it leaves out shows up as a zero.
func TestExampleStatesEveryDefault(t *testing.T) {
	var stated Config
	if err := decodeStrict(hailong.ExampleConfig, &stated); err != nil {
		t.Fatalf("decode config.example.yaml: %v", err)
	}
	compareSettings(t, "config.example.yaml", stated, defaults())
}

func TestLoadBuiltInConfig(t *testing.T) {
	c, err := loadConfig("")
	if err != nil {
		t.Fatalf("loadConfig(\"\"): %v", err)
	}
	compareSettings(t, "loadConfig(\"\")", *c, defaults())
	if c.loc == nil || c.loc.String() != "Asia/Ho_Chi_Minh" {
		t.Errorf("location %v, want Asia/Ho_Chi_Minh", c.loc)
	}
	if !reflect.DeepEqual(c.questionnaire, flows.DefaultQuestionnaire()) {
		t.Error("the built-in config does not use the default questionnaire")
	}
	d := c.directory
	if len(d.Offices) != 3 || len(d.Schools) != 6 || len(d.Waves) != 3 {
		t.Errorf("directory of %d offices, %d schools, %d waves; want 3, 6, 3", len(d.Offices), len(d.Schools), len(d.Waves))
	}
	// Wave dates are whole days in the time zone, the end inclusive.
	w, ok := d.Wave("2026-2027-hk1")
	if !ok {
		t.Fatal("no wave 2026-2027-hk1")
	}
	if want := time.Date(2026, 8, 15, 0, 0, 0, 0, c.loc); !w.Start.Equal(want) {
		t.Errorf("wave start %v, want %v", w.Start, want)
	}
	if want := time.Date(2027, 1, 18, 0, 0, 0, 0, c.loc); !w.End.Equal(want) {
		t.Errorf("wave end %v, want %v (the day after the inclusive last day)", w.End, want)
	}
	// The preschool charter's caps by age group (config.example.yaml names
	// the source).
	if want := map[string]int{"nt": 25, "mam": 25, "choi": 30, "la": 35}; !reflect.DeepEqual(c.Survey.PreschoolCaps, want) {
		t.Errorf("preschool caps %v, want %v", c.Survey.PreschoolCaps, want)
	}
	if got := w.TitleIn(flows.English); got != "Semester 1, school year 2026–2027" {
		t.Errorf("the wave's English title is %q", got)
	}
	if _, ok := d.School("mn-hongnhung"); !ok {
		t.Error("school codes are not found without case")
	}
	if _, err := c.engine(); err != nil {
		t.Errorf("engine of the built-in config: %v", err)
	}
	if got := c.limits(); got.PerSecond != 30 || got.PerChatSecond != 1 || got.PerChatBurst != 3 || got.GroupPerMinute != 20 {
		t.Errorf("limits %+v", got)
	}
}

// section is one top-level key of a test configuration.
type section struct{ key, body string }

var validSections = []section{
	{"timezone", "timezone: Asia/Ho_Chi_Minh\n"},
	{"telegram", ""},
	{"survey", ""},
	{"waves", `waves:
  - {id: w1, title: "Đợt 1", start: 2026-09-01, end: 2026-12-31}
  - {id: w2, title: "Đợt 2", start: 2027-01-01, end: 2027-05-31}
`},
	{"offices", `offices:
  - {id: o1, name: "Phòng GDĐT Một"}
`},
	{"schools", `schools:
  - {code: TH1, name: "Trường Tiểu học Một", level: th, office: o1}
  - {code: MN1, name: "Trường Mầm non Một", level: mn, office: o1}
`},
}

// configWith is a valid configuration with some sections replaced.
func configWith(over map[string]string) []byte {
	var b strings.Builder
	for _, s := range validSections {
		body, ok := over[s.key]
		if !ok {
			body = s.body
		}
		b.WriteString(body)
		if body != "" && !strings.HasSuffix(body, "\n") {
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}

const goodQuestionnaire = `questions:
  - id: Q1
    group: B
    short: Hài lòng chung
    text: "Nhìn chung, anh/chị hài lòng với nhà trường ở mức nào?"
    kind: scale
    good: ["4", "5"]
  - id: Q2
    group: A
    short: Nước uống sạch
    text: "Ở trường, học sinh có nước uống sạch không?"
    kind: choice
    options:
      - {value: "yes", label: "Có"}
      - {value: "no", label: "Không"}
    good: ["yes"]
    levels: [th]
`

const badQuestionnaire = `questions:
  - id: Q1
    text: "Một lựa chọn thôi?"
    kind: choice
    options:
      - {value: "yes", label: "Có"}
`

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValidTestConfig(t *testing.T) {
	c, err := parseConfig(configWith(nil), "test.yaml", t.TempDir())
	if err != nil {
		t.Fatalf("the base of the bad-config table does not load: %v", err)
	}
	if len(c.directory.Waves) != 2 || len(c.directory.Schools) != 2 {
		t.Errorf("directory %+v", c.directory)
	}
	// Waves may touch: w1 ends on 2026-12-31 inclusive, w2 starts the next day.
	if !c.directory.Waves[0].End.Equal(c.directory.Waves[1].Start) {
		t.Errorf("w1 ends %v, w2 starts %v", c.directory.Waves[0].End, c.directory.Waves[1].Start)
	}
	// Unset keys keep their defaults.
	compareSettings(t, "a config with no settings", *c, defaults())
}

// TestWebURLOverHTTPOnLoopbackOnly: web.url may be plain http on the
// operator's own machine, where browsers keep the Secure session cookie,
// and https anywhere (TestBadConfigs: plain http elsewhere is refused).
func TestWebURLOverHTTPOnLoopbackOnly(t *testing.T) {
	for _, u := range []string{"http://localhost:8080", "http://127.0.0.1:8080", "http://[::1]:8080", "https://k.example", "https://10.0.0.5"} {
		data := configWith(map[string]string{"telegram": fmt.Sprintf("web: {listen: \"127.0.0.1:8080\", url: %q}", u)})
		if _, err := parseConfig(data, "test.yaml", t.TempDir()); err != nil {
			t.Errorf("web.url %s: %v", u, err)
		}
	}
}

func TestBadConfigs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "bad.yaml", badQuestionnaire)
	for _, tc := range []struct {
		name string
		over map[string]string
		want []string // every one must be in the message
	}{
		{"unknown key", map[string]string{"telegram": "telegram: {api_endpont: x}"},
			[]string{"test.yaml", `unknown key "api_endpont"`}},
		{"unknown top-level key", map[string]string{"telegram": "telegarm: {api_endpoint: x}"},
			[]string{`unknown key "telegarm"`}},
		{"duplicate school code", map[string]string{"schools": `schools:
  - {code: TH1, name: "Trường Một", level: th, office: o1}
  - {code: th1, name: "Trường Hai", level: th, office: o1}`},
			[]string{`schools[1].code "th1"`, "used twice"}},
		{"school of a missing office", map[string]string{"schools": `schools:
  - {code: TH1, name: "Trường Một", level: th, office: o2}`},
			[]string{`schools[0] (TH1).office "o2"`, "no office has that id"}},
		{"overlapping waves", map[string]string{"waves": `waves:
  - {id: w1, title: "Đợt 1", start: 2026-09-01, end: 2026-12-31}
  - {id: w2, title: "Đợt 2", start: 2026-12-31, end: 2027-05-31}`},
			[]string{`waves "w1" and "w2" overlap`}},
		{"no request in flight", map[string]string{"telegram": "telegram: {max_in_flight: -1}"},
			[]string{"telegram.max_in_flight -1", "want 1 to 1024"}},
		{"bad time zone", map[string]string{"timezone": "timezone: Mars/Olympus"},
			[]string{`timezone "Mars/Olympus"`, "not a known time zone"}},
		{"bad date", map[string]string{"waves": `waves:
  - {id: w1, title: "Đợt 1", start: 2026-13-01, end: 2026-12-31}`},
			[]string{"waves[0] (w1)", "must be dates like"}},
		{"unknown preschool age group", map[string]string{"survey": `survey: {preschool_caps: {mau: 25}}`},
			[]string{`survey.preschool_caps: unknown age group "mau"`, "want nt, mam, choi, la"}},
		{"wave title too long in English", map[string]string{"waves": `waves:
  - {id: w1, title: "Đợt 1", en: "` + strings.Repeat("x", 101) + `", start: 2026-09-01, end: 2026-12-31}`},
			[]string{"waves[0] (w1).en is longer than 100 characters"}},
		{"end before start", map[string]string{"waves": `waves:
  - {id: w1, title: "Đợt 1", start: 2026-12-31, end: 2026-09-01}`},
			[]string{"waves[0] (w1)", "end is before start"}},
		{"bad level", map[string]string{"schools": `schools:
  - {code: TH1, name: "Trường Một", level: hs, office: o1}`},
			[]string{`schools[0] (TH1).level "hs"`, "want mn, th or thcs"}},
		{"endpoint without two %s", map[string]string{"telegram": `telegram: {api_endpoint: "https://example.org/bot%s"}`},
			[]string{`telegram.api_endpoint "https://example.org/bot%s"`, "want two %s"}},
		{"min_respondents 0", map[string]string{"survey": "survey: {min_respondents: 0}"},
			[]string{"survey.min_respondents 0", "want at least 1"}},
		{"questionnaire_file missing", map[string]string{"survey": "survey: {questionnaire_file: nope.yaml}"},
			[]string{"survey.questionnaire_file", filepath.Join(dir, "nope.yaml"), "no such file"}},
		{"questionnaire with an invalid question", map[string]string{"survey": "survey: {questionnaire_file: bad.yaml}"},
			[]string{"survey.questionnaire_file", "bad.yaml", "questions[0] (Q1)", "at least 2 options"}},
		{"no waves", map[string]string{"waves": ""},
			[]string{"waves: at least one survey wave is needed"}},
		{"empty wave list", map[string]string{"waves": "waves: []"},
			[]string{"waves: at least one survey wave is needed"}},
		{"class size cap of an unknown level", map[string]string{"survey": "survey: {class_size_caps: {thpt: 40}}"},
			[]string{"survey.class_size_caps", `"thpt"`}},
		{"zalo webhook path the router would read as a pattern", map[string]string{"telegram": `zalo: {mode: webhook, webhook: {path: "/zalo hook"}}`},
			[]string{`zalo.webhook.path "/zalo hook"`}},
		{"zalo webhook path with a wildcard", map[string]string{"telegram": `zalo: {mode: webhook, webhook: {path: "/zalo/{x}"}}`},
			[]string{`zalo.webhook.path "/zalo/{x}"`}},
		{"zalo bot_link not a URL", map[string]string{"telegram": `zalo: {bot_name: "Bot", bot_link: "zalo.me/123"}`},
			[]string{`zalo.bot_link "zalo.me/123"`}},
		{"zalo bot_link without its name", map[string]string{"telegram": `zalo: {bot_link: "https://zalo.me/123"}`},
			[]string{"zalo.bot_name is not"}},
		{"office staff listed twice", map[string]string{"offices": `offices:
  - {id: o1, name: "Phòng", staff: ["zalo:a1", "zalo:b2", "zalo:a1"]}`},
			[]string{`offices[0] (o1).staff[2] "zalo:a1": listed twice`}},
		{"web.listen without web.url", map[string]string{"telegram": `web: {listen: "127.0.0.1:8080"}`},
			[]string{`web.url ""`, "sign-in links point there"}},
		{"web.listen not host:port", map[string]string{"telegram": `web: {listen: "8080", url: "https://k.example"}`},
			[]string{`web.listen "8080"`, "want host:port"}},
		{"web.url not an address", map[string]string{"telegram": `web: {listen: ":8080", url: "k.example"}`},
			[]string{`web.url "k.example"`}},
		{"web.url over plain http to another host than localhost", map[string]string{"telegram": `web: {listen: "127.0.0.1:8080", url: "http://k.example"}`},
			[]string{`web.url "http://k.example": want https`, "Secure", "only from localhost"}},
		{"web.url over plain http to a LAN address", map[string]string{"telegram": `web: {listen: "0.0.0.0:8080", url: "http://192.168.1.20:8080"}`},
			[]string{`web.url "http://192.168.1.20:8080": want https`}},
		{"web session of no hours", map[string]string{"telegram": `web: {session_hours: 0}`},
			[]string{"web.session_hours 0", "want 1 to 720"}},
		{"two problems at once", map[string]string{"timezone": "timezone: Nowhere", "survey": "survey: {min_respondents: 0}"},
			[]string{`timezone "Nowhere"`, "survey.min_respondents 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := configWith(tc.over)
			c, err := parseConfig(data, "test.yaml", dir)
			if err == nil {
				t.Fatalf("parseConfig accepted:\n%s\nconfig: %+v", data, c)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			if !strings.HasPrefix(err.Error(), "test.yaml: ") {
				t.Errorf("error does not start with the file's name: %v", err)
			}
		})
	}
}

// TestUnknownNestedKeyMessage checks the message of an unknown key below
// the top level reads like the top-level one.
func TestUnknownNestedKeyMessage(t *testing.T) {
	_, err := parseConfig([]byte("bogus: 1\n"), "test.yaml", "")
	if err == nil || err.Error() != `test.yaml: line 1: unknown key "bogus"` {
		t.Errorf("top-level unknown key: %v", err)
	}
	_, err = parseConfig(configWith(map[string]string{"telegram": "telegram: {api_endpont: x}"}), "test.yaml", "")
	if err == nil {
		t.Fatal("unknown key accepted")
	}
	if msg := err.Error(); strings.Contains(msg, "struct") || strings.Contains(msg, `yaml:\"`) || strings.Contains(msg, "{") {
		t.Errorf("the message shows Go's type: %s", msg)
	}
}

func TestCustomQuestionnaire(t *testing.T) {
	dir := t.TempDir()
	abs := writeFile(t, dir, "questions.yaml", goodQuestionnaire)
	check := func(t *testing.T, c *Config) {
		t.Helper()
		q := c.questionnaire
		if len(q.Questions) != 2 || q.Questions[0].ID != "Q1" || q.Questions[1].ID != "Q2" {
			t.Fatalf("questionnaire %+v, want Q1 and Q2 from the file", q.Questions)
		}
		if got := q.Questions[1]; got.Kind != flows.Choice || !reflect.DeepEqual(got.Levels, []flows.Level{flows.Primary}) ||
			!reflect.DeepEqual(got.Options, []flows.Option{{Value: "yes", Label: "Có"}, {Value: "no", Label: "Không"}}) {
			t.Errorf("Q2 read as %+v", got)
		}
		eng, err := c.engine()
		if err != nil {
			t.Fatalf("engine: %v", err)
		}
		if n := len(eng.Questionnaire().For(flows.Primary)); n != 2 {
			t.Errorf("%d questions at a primary school, want 2", n)
		}
		if n := len(eng.Questionnaire().For(flows.Preschool)); n != 1 {
			t.Errorf("%d questions at a preschool, want 1 (Q2 is for th only)", n)
		}
		if n := len(flows.DefaultQuestionnaire().Questions); len(q.Questions) >= n {
			t.Errorf("the file's %d questions did not replace the default %d", len(q.Questions), n)
		}
	}
	t.Run("relative to the config's directory", func(t *testing.T) {
		c, err := parseConfig(configWith(map[string]string{"survey": "survey: {questionnaire_file: questions.yaml}"}), "test.yaml", dir)
		if err != nil {
			t.Fatal(err)
		}
		check(t, c)
	})
	t.Run("absolute", func(t *testing.T) {
		c, err := parseConfig(configWith(map[string]string{"survey": "survey: {questionnaire_file: " + abs + "}"}), "test.yaml", "")
		if err != nil {
			t.Fatal(err)
		}
		check(t, c)
	})
	t.Run("loadConfig from a file", func(t *testing.T) {
		path := writeFile(t, dir, "hailong.yaml", string(configWith(map[string]string{"survey": "survey: {questionnaire_file: questions.yaml}"})))
		c, err := loadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		check(t, c)
		if c.source != path {
			t.Errorf("source %q, want %q", c.source, path)
		}
	})
	t.Run("unknown key in the questionnaire", func(t *testing.T) {
		writeFile(t, dir, "typo.yaml", strings.Replace(goodQuestionnaire, "short: Hài lòng chung", "shrot: Hài lòng chung", 1))
		_, err := parseConfig(configWith(map[string]string{"survey": "survey: {questionnaire_file: typo.yaml}"}), "test.yaml", dir)
		if err == nil || !strings.Contains(err.Error(), "shrot") || !strings.Contains(err.Error(), "typo.yaml") {
			t.Errorf("questionnaire with a misspelt key: %v", err)
		}
	})
}

// TestReadmeQuestionnaire: the questionnaire example in the README loads.
func TestReadmeQuestionnaire(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\nquestions:")
	if !ok {
		t.Fatal("the README has no questionnaire example")
	}
	block, _, _ := strings.Cut(rest, "```")
	path := filepath.Join(t.TempDir(), "q.yaml")
	if err := os.WriteFile(path, []byte("questions:"+block), 0o600); err != nil {
		t.Fatal(err)
	}
	q, err := loadQuestionnaire(path)
	if err != nil {
		t.Fatalf("the README's questionnaire example does not load: %v", err)
	}
	if len(q.Questions) != 3 || q.Question("A4").Good[0] != "cap" {
		t.Errorf("loaded %+v", q.Questions)
	}
}

func TestDigestScheduleNeedsClockTimes(t *testing.T) {
	data := append(configWith(nil), "digest: {schedule: \"@every 168h\"}\n"...)
	_, err := parseConfig(data, "test.yaml", "")
	if err == nil || !strings.Contains(err.Error(), "digest.schedule") {
		t.Errorf("@every accepted: %v", err)
	}
}

// TestZaloLimitsKeyByKey: a zalo.limits key left out takes its default, as
// under telegram.limits.
func TestZaloLimitsKeyByKey(t *testing.T) {
	c, err := parseConfig(configWith(map[string]string{"telegram": "zalo: {limits: {per_second: 10}}"}), "test.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l := c.Zalo.Limits
	if l.PerSecond != 10 || l.PerChatPerSecond != zalo.DefaultLimits.PerChatSecond || l.PerChatBurst != zalo.DefaultLimits.PerChatBurst {
		t.Errorf("limits %+v", l)
	}
}

// TestOfficeStaffOnZalo: an office without a group lists its staff on Zalo
// one by one; its alerts and digests go to each.
func TestOfficeStaffOnZalo(t *testing.T) {
	c, err := parseConfig(configWith(map[string]string{"offices": `offices:
  - {id: o1, name: "Phòng", staff: ["zalo:a1", "zalo:b2", "123"]}`}), "test.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	eng, err := c.engine()
	if err != nil {
		t.Fatal(err)
	}
	got := eng.OfficeAddresses("o1")
	want := []flows.Address{{Channel: "zalo", Chat: "a1"}, {Channel: "zalo", Chat: "b2"}, {Channel: "telegram", Chat: "123"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("office addresses %+v, want %+v", got, want)
	}
}
