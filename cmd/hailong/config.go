package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"hailong"
	"hailong/bot"
	"hailong/flows"
	"hailong/outbox"
	"hailong/web"
	"hailong/zalo"
)

// Config is the operator's configuration, as in config.example.yaml.
type Config struct {
	Database string   `yaml:"database"`
	Timezone string   `yaml:"timezone"`
	Owner    string   `yaml:"owner"`
	Admins   []string `yaml:"admins"`
	Telegram struct {
		APIEndpoint   string        `yaml:"api_endpoint"`
		BotUsername   string        `yaml:"bot_username"`
		PollTimeout   time.Duration `yaml:"poll_timeout"`
		DeleteWebhook bool          `yaml:"delete_webhook"`
		// MaxInFlight bounds the Bot API requests outstanding at once.
		MaxInFlight int `yaml:"max_in_flight"`
		Flood       struct {
			Updates int           `yaml:"updates"`
			Window  time.Duration `yaml:"window"`
			Pause   time.Duration `yaml:"pause"`
		} `yaml:"flood"`
		Limits struct {
			PerSecond        float64 `yaml:"per_second"`
			PerChatPerSecond float64 `yaml:"per_chat_per_second"`
			PerChatBurst     int     `yaml:"per_chat_burst"`
			GroupPerMinute   float64 `yaml:"group_per_minute"`
		} `yaml:"limits"`
	} `yaml:"telegram"`
	// Zalo is set when the configuration has a zalo section.
	Zalo *zaloYAML `yaml:"zalo"`
	// Web is the staff dashboard (package web).
	Web    webYAML `yaml:"web"`
	Survey struct {
		QuestionnaireFile string         `yaml:"questionnaire_file"`
		SessionExpiry     time.Duration  `yaml:"session_expiry"`
		MinRespondents    int            `yaml:"min_respondents"`
		RetentionMonths   int            `yaml:"retention_months"`
		PurgeSchedule     string         `yaml:"purge_schedule"`
		ClassSizeCaps     map[string]int `yaml:"class_size_caps"`
		// PreschoolCaps are the caps by age group (the grade a preschool's
		// parent picks), which the preschool charter sets apart.
		PreschoolCaps map[string]int `yaml:"preschool_caps"`
	} `yaml:"survey"`
	Info struct {
		infoYAML `yaml:",inline"`
		// En is the menu in English; what it leaves empty is shown as
		// above, or as the built-in English.
		En infoYAML `yaml:"en"`
	} `yaml:"info"`
	Digest struct {
		Schedule  string  `yaml:"schedule"`
		FlagBelow float64 `yaml:"flag_below"`
	} `yaml:"digest"`
	Complaints struct {
		AckDays       int            `yaml:"ack_days"`
		PerParentDay  int            `yaml:"per_parent_per_day"`
		CheckSchedule string         `yaml:"check_schedule"`
		Holidays      []string       `yaml:"holidays"`
		Categories    []categoryYAML `yaml:"categories"`
		// EscalateAfter is the working days a complaint escalated to its
		// school's unit may stay overdue before it goes to the unit above
		// (and so on up the tree).
		EscalateAfter int `yaml:"escalate_after_days"`
		// UrgentAllLevels sends an urgent category's complaint to every
		// unit above the school at once, not only to the school's own.
		UrgentAllLevels bool `yaml:"urgent_all_levels"`
	} `yaml:"complaints"`
	Waves []struct {
		ID    string `yaml:"id"`
		Title string `yaml:"title"`
		// En is the title parents reading English see.
		En    string `yaml:"en"`
		Start string `yaml:"start"`
		End   string `yaml:"end"`
	} `yaml:"waves"`
	Offices []struct {
		ID     string   `yaml:"id"`
		Name   string   `yaml:"name"`
		En     string   `yaml:"en"`
		Parent string   `yaml:"parent"`
		ChatID string   `yaml:"chat_id"`
		Staff  []string `yaml:"staff"`
	} `yaml:"offices"`
	// SchoolsFile is a CSV of schools (readSchools), besides those listed
	// under schools.
	SchoolsFile string `yaml:"schools_file"`
	// EnrolmentOf says what schools' enrolment counts: families or pupils.
	EnrolmentOf string `yaml:"enrolment_of"`
	Schools     []struct {
		Code       string   `yaml:"code"`
		Name       string   `yaml:"name"`
		Level      string   `yaml:"level"`
		Office     string   `yaml:"office"`
		Enrolment  int      `yaml:"enrolment"`
		Principals []string `yaml:"principals"`
	} `yaml:"schools"`

	// Derived by load.
	source        string
	loc           *time.Location
	questionnaire *flows.Questionnaire
	directory     *flows.Directory
}

// maxInFlight bounds the requests a channel may keep outstanding: each is
// a connection and a goroutine; far more than the platform's limits can
// use only hides a misconfiguration.
const maxInFlight = 1024

// webYAML is the web section: the staff dashboard.
type webYAML struct {
	// Listen is where the dashboard is served ("127.0.0.1:8080"); empty:
	// not served.
	Listen string `yaml:"listen"`
	// URL is its public https address, for the sign-in links /web sends.
	URL string `yaml:"url"`
	// SessionHours is how long a sign-in lasts.
	SessionHours int `yaml:"session_hours"`
	// TelegramLogin offers the Telegram Login Widget on the sign-in page
	// (set the bot's domain with @BotFather's /setdomain first).
	TelegramLogin bool `yaml:"telegram_login"`
}

// zaloYAML is the zalo section: the Zalo Bot Platform channel.
type zaloYAML struct {
	APIBase string `yaml:"api_base"`
	// BotName is the bot's name as Zalo's search finds it, printed on the
	// posters; BotLink an address that opens the bot in Zalo, if the
	// operator has one (Zalo documents none), for a second QR code.
	BotName     string        `yaml:"bot_name"`
	BotLink     string        `yaml:"bot_link"`
	Mode        string        `yaml:"mode"`
	PollTimeout time.Duration `yaml:"poll_timeout"`
	MaxInFlight int           `yaml:"max_in_flight"`
	Webhook     struct {
		Listen string `yaml:"listen"`
		Path   string `yaml:"path"`
		URL    string `yaml:"url"`
	} `yaml:"webhook"`
	Limits struct {
		PerSecond        float64 `yaml:"per_second"`
		PerChatPerSecond float64 `yaml:"per_chat_per_second"`
		PerChatBurst     int     `yaml:"per_chat_burst"`
	} `yaml:"limits"`
}

// defaults fills what the zalo section leaves out.
func (z *zaloYAML) defaults() {
	if z.APIBase == "" {
		z.APIBase = "https://bot-api.zaloplatforms.com"
	}
	if z.Mode == "" {
		z.Mode = zalo.Polling
	}
	if z.PollTimeout == 0 {
		z.PollTimeout = 30 * time.Second
	}
	if z.MaxInFlight == 0 {
		z.MaxInFlight = outbox.DefaultMaxInFlight
	}
	if z.Webhook.Path == "" {
		z.Webhook.Path = "/zalo"
	}
	if z.Webhook.Listen == "" {
		z.Webhook.Listen = "127.0.0.1:8080"
	}
	l := &z.Limits
	// Each key left out takes its default, as under telegram.limits.
	if l.PerSecond == 0 {
		l.PerSecond = zalo.DefaultLimits.PerSecond
	}
	if l.PerChatPerSecond == 0 {
		l.PerChatPerSecond = zalo.DefaultLimits.PerChatSecond
	}
	if l.PerChatBurst == 0 {
		l.PerChatBurst = zalo.DefaultLimits.PerChatBurst
	}
}

// webhookPath is a path the webhook can be served at: http.ServeMux reads
// spaces, braces and the like as a pattern.
var webhookPath = regexp.MustCompile(`^/[A-Za-z0-9._~/-]*$`)

type infoYAML struct {
	Hotline  []string `yaml:"hotline"`
	Plan     string   `yaml:"plan"`
	Policies string   `yaml:"policies"`
	Services string   `yaml:"services"`
	FAQ      []qaYAML `yaml:"faq"`
}

type qaYAML struct {
	Q string `yaml:"q"`
	A string `yaml:"a"`
}

type categoryYAML struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	Days   int    `yaml:"days"`
	Urgent bool   `yaml:"urgent"`
	En     string `yaml:"en"` // the name in English
}

func defaults() Config {
	var c Config
	c.Info.Hotline, c.Info.FAQ = []string{}, []qaYAML{}
	c.Info.En.Hotline, c.Info.En.FAQ = []string{}, []qaYAML{}
	c.Digest.Schedule = "0 7 * * 1"
	c.Digest.FlagBelow = 70
	c.Complaints.AckDays = 1
	c.Complaints.EscalateAfter = 5
	c.Complaints.PerParentDay = flows.DefaultPerParentDaily
	c.Complaints.CheckSchedule = "*/10 * * * *"
	for _, k := range flows.DefaultCategories() {
		c.Complaints.Categories = append(c.Complaints.Categories, categoryYAML{ID: k.ID, Name: k.Name, Days: k.Days, Urgent: k.Urgent, En: k.Tr[flows.English]})
	}
	c.Database = "hailong.db"
	c.Timezone = "Asia/Ho_Chi_Minh"
	c.Telegram.APIEndpoint = "https://api.telegram.org/bot%s/%s"
	c.Telegram.PollTimeout = 30 * time.Second
	c.Telegram.Flood.Updates = 40
	c.Telegram.Flood.Window = 10 * time.Second
	c.Telegram.Flood.Pause = time.Minute
	c.Telegram.Limits.PerSecond = bot.DefaultLimits.PerSecond
	c.Telegram.Limits.PerChatPerSecond = bot.DefaultLimits.PerChatSecond
	c.Telegram.Limits.PerChatBurst = bot.DefaultLimits.PerChatBurst
	c.Telegram.Limits.GroupPerMinute = bot.DefaultLimits.GroupPerMinute
	c.Telegram.MaxInFlight = outbox.DefaultMaxInFlight
	c.Survey.SessionExpiry = 72 * time.Hour
	c.Web.SessionHours = 12
	c.Survey.MinRespondents = 5
	c.Survey.RetentionMonths = 12
	c.Survey.PurgeSchedule = "30 3 * * *"
	c.Survey.ClassSizeCaps = map[string]int{"mn": 35, "th": 35, "thcs": 45}
	// Điều lệ trường mầm non (Thông tư 52/2020/TT-BGDĐT, Điều 15): nhóm trẻ
	// 25 (the oldest group, 25–36 months; the bot does not ask for months),
	// mẫu giáo 3–4 tuổi 25, 4–5 tuổi 30, 5–6 tuổi 35.
	c.Survey.PreschoolCaps = map[string]int{"nt": 25, "mam": 25, "choi": 30, "la": 35}
	return c
}

// loadConfig reads the configuration at path, or the built-in example when
// path is empty.
func loadConfig(path string) (*Config, error) { return loadConfigWith(path, nil) }

// loadConfigWith is loadConfig with edit applied to what was read before it
// is validated: `hailong schools check` names its file so, to read it
// exactly as `hailong run` would.
func loadConfigWith(path string, edit func(*Config)) (*Config, error) {
	data, source := hailong.ExampleConfig, "built-in config.example.yaml"
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		source = path
	}
	c, err := parseConfigWith(data, source, filepath.Dir(path), edit)
	if err != nil {
		return nil, err
	}
	return c, nil
}

var yamlField = regexp.MustCompile(`field (\S+) not found in type [^\n]*`)

// decodeStrict decodes YAML rejecting unknown keys, with messages that
// name the key.
func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
	msg = yamlField.ReplaceAllString(msg, `unknown key "$1"`)
	return errors.New(msg)
}

func parseConfig(data []byte, source, dir string) (*Config, error) {
	return parseConfigWith(data, source, dir, nil)
}

// parseConfigWith is parseConfig with edit (if any) applied after decoding.
func parseConfigWith(data []byte, source, dir string, edit func(*Config)) (*Config, error) {
	c := defaults()
	if err := decodeStrict(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if edit != nil {
		edit(&c)
	}
	c.source = source
	if err := c.resolve(dir); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return &c, nil
}

// resolve validates the configuration and builds the domain values.
func (c *Config) resolve(dir string) error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil || c.Timezone == "" {
		bad("timezone %q: not a known time zone (e.g. Asia/Ho_Chi_Minh)", c.Timezone)
		loc = time.UTC
	}
	c.loc = loc
	if c.Database == "" {
		bad("database: empty")
	}
	if strings.Count(c.Telegram.APIEndpoint, "%s") != 2 {
		bad("telegram.api_endpoint %q: want two %%s, for the token and the method", c.Telegram.APIEndpoint)
	}
	if c.Telegram.PollTimeout < time.Second || c.Telegram.PollTimeout > 50*time.Second {
		bad("telegram.poll_timeout %s: want 1s to 50s", c.Telegram.PollTimeout)
	}
	if f := c.Telegram.Flood; f.Updates < 1 || f.Window < time.Second || f.Pause < time.Second {
		bad("telegram.flood: updates must be at least 1, window and pause at least 1s")
	}
	l := c.Telegram.Limits
	if l.PerSecond <= 0 || l.PerChatPerSecond <= 0 || l.PerChatBurst < 1 || l.GroupPerMinute <= 0 {
		bad("telegram.limits: every rate must be above 0 and per_chat_burst at least 1")
	}
	if c.Telegram.MaxInFlight < 1 || c.Telegram.MaxInFlight > maxInFlight {
		bad("telegram.max_in_flight %d: want 1 to %d", c.Telegram.MaxInFlight, maxInFlight)
	}
	if c.Web.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Web.Listen); err != nil {
			bad("web.listen %q: want host:port, e.g. 127.0.0.1:8080", c.Web.Listen)
		}
		if u, err := url.Parse(c.Web.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("web.url %q: want the dashboard's public address, e.g. https://khaosat.example.gov.vn (sign-in links point there)", c.Web.URL)
		} else if u.Scheme == "http" && !web.LoopbackHost(u.Hostname()) {
			bad("web.url %q: want https (the address of the TLS reverse proxy in front of the dashboard): the session cookie is Secure, and browsers keep it over plain http only from localhost, 127.0.0.1 or [::1], so signing in over %s would fail", c.Web.URL, u.Host)
		}
	}
	if c.Web.SessionHours < 1 || c.Web.SessionHours > 24*30 {
		bad("web.session_hours %d: want 1 to 720", c.Web.SessionHours)
	}
	if c.Survey.SessionExpiry < time.Minute {
		bad("survey.session_expiry %s: want at least 1m", c.Survey.SessionExpiry)
	}
	if c.Survey.MinRespondents < 1 {
		bad("survey.min_respondents %d: want at least 1", c.Survey.MinRespondents)
	}
	if c.Survey.RetentionMonths < 1 || c.Survey.RetentionMonths > 120 {
		bad("survey.retention_months %d: want 1 to 120", c.Survey.RetentionMonths)
	}
	for k, v := range c.Survey.ClassSizeCaps {
		if !flows.Level(k).Valid() {
			bad("survey.class_size_caps: unknown level %q (want mn, th or thcs)", k)
		}
		if v < 1 || v > 100 {
			bad("survey.class_size_caps.%s %d: want 1 to 100", k, v)
		}
	}
	for k, v := range c.Survey.PreschoolCaps {
		if !slices.Contains(flows.Grades(flows.Preschool), k) {
			bad("survey.preschool_caps: unknown age group %q (want %s)", k, strings.Join(flows.Grades(flows.Preschool), ", "))
		}
		if v < 1 || v > 100 {
			bad("survey.preschool_caps.%s %d: want 1 to 100", k, v)
		}
	}
	c.questionnaire = flows.DefaultQuestionnaire()
	if f := c.Survey.QuestionnaireFile; f != "" {
		if !filepath.IsAbs(f) && dir != "" {
			f = filepath.Join(dir, f)
		}
		q, err := loadQuestionnaire(f)
		if err != nil {
			bad("survey.questionnaire_file: %w", err)
		} else {
			c.questionnaire = q
		}
	}
	if sch, err := cron.ParseStandard(c.Digest.Schedule); err != nil {
		bad("digest.schedule %q: %v", c.Digest.Schedule, err)
	} else if _, clock := sch.(*cron.SpecSchedule); !clock {
		// "@every" runs relative to start-up: each restart would name a
		// new week and send its digest again.
		bad("digest.schedule %q: want clock times (like \"0 7 * * 1\"), not @every", c.Digest.Schedule)
	}
	if c.Digest.FlagBelow < 0 || c.Digest.FlagBelow > 100 {
		bad("digest.flag_below %v: want a percentage, 0 to 100", c.Digest.FlagBelow)
	}
	if c.Complaints.PerParentDay < 1 || c.Complaints.PerParentDay > 100 {
		bad("complaints.per_parent_per_day %d: want 1 to 100 complaints", c.Complaints.PerParentDay)
	}
	if c.Complaints.AckDays < 1 || c.Complaints.AckDays > 10 {
		bad("complaints.ack_days %d: want 1 to 10 working days", c.Complaints.AckDays)
	}
	if _, err := cron.ParseStandard(c.Complaints.CheckSchedule); err != nil {
		bad("complaints.check_schedule %q: %v", c.Complaints.CheckSchedule, err)
	}
	for i, h := range c.Complaints.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			bad("complaints.holidays[%d] %q: want a date like 2027-01-01", i, h)
		}
	}
	for prefix, info := range map[string]*infoYAML{"info": &c.Info.infoYAML, "info.en": &c.Info.En} {
		for i, qa := range info.FAQ {
			if strings.TrimSpace(qa.Q) == "" || strings.TrimSpace(qa.A) == "" {
				bad("%s.faq[%d]: both q and a are needed", prefix, i)
			}
			if len([]rune(qa.A)) > 3500 {
				bad("%s.faq[%d].a: longer than 3500 characters", prefix, i)
			}
		}
		for name, text := range map[string]string{"plan": info.Plan, "policies": info.Policies, "services": info.Services} {
			if len([]rune(text)) > 3500 {
				bad("%s.%s: longer than 3500 characters (a Telegram message holds 4096)", prefix, name)
			}
		}
	}
	if z := c.Zalo; z != nil {
		z.defaults()
		if z.Mode != zalo.Polling && z.Mode != zalo.Webhook {
			bad("zalo.mode %q: want polling or webhook", z.Mode)
		}
		if u, err := url.Parse(z.APIBase); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("zalo.api_base %q: want a URL like https://bot-api.zaloplatforms.com", z.APIBase)
		}
		if u, err := url.Parse(z.Webhook.URL); z.Webhook.URL != "" && (err != nil || u.Host == "" ||
			(u.Scheme != "https" && !(u.Scheme == "http" && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost")))) {
			bad("zalo.webhook.url %q: want the public https address Zalo posts to", z.Webhook.URL)
		}
		if u, err := url.Parse(z.BotLink); z.BotLink != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
			bad("zalo.bot_link %q: want the http(s) address that opens the bot in Zalo, or nothing", z.BotLink)
		}
		if z.BotLink != "" && strings.TrimSpace(z.BotName) == "" {
			bad("zalo.bot_link is set but zalo.bot_name is not: the posters name the bot beside its QR code")
		}
		if n := len([]rune(z.BotName)); n > 60 {
			bad("zalo.bot_name: %d characters, want at most 60", n)
		}
		if !webhookPath.MatchString(z.Webhook.Path) {
			bad("zalo.webhook.path %q: want a path such as /zalo (a / first, then letters, digits and . _ ~ - /)", z.Webhook.Path)
		}
		if z.Limits.PerSecond <= 0 || z.Limits.PerChatPerSecond <= 0 || z.Limits.PerChatBurst < 1 {
			bad("zalo.limits: per_second and per_chat_per_second must be positive, per_chat_burst at least 1")
		}
		if z.MaxInFlight < 1 || z.MaxInFlight > maxInFlight {
			bad("zalo.max_in_flight %d: want 1 to %d", z.MaxInFlight, maxInFlight)
		}
	}
	if _, err := cron.ParseStandard(c.Survey.PurgeSchedule); err != nil {
		bad("survey.purge_schedule %q: %v", c.Survey.PurgeSchedule, err)
	}
	d := &flows.Directory{}
	for i, u := range c.Admins {
		id, err := userID(u)
		if err != nil {
			bad("admins[%d]: %v", i, err)
		}
		d.Admins = append(d.Admins, id)
	}
	for i, o := range c.Offices {
		off := flows.Office{ID: o.ID, Name: o.Name, Parent: o.Parent}
		if o.En != "" {
			off.Tr = map[flows.Lang]string{flows.English: o.En}
		}
		if o.ChatID != "" {
			if id, ok := strings.CutPrefix(o.ChatID, "zalo:"); ok && zaloID.MatchString(id) {
				off.Chat = o.ChatID
			} else if _, err := strconv.ParseInt(strings.TrimPrefix(o.ChatID, "telegram:"), 10, 64); err != nil {
				bad("offices[%d] (%s).chat_id %q: want a Telegram chat id, a number like -1001234567890, or zalo:<group id>", i, o.ID, o.ChatID)
			} else {
				off.Chat = "telegram:" + strings.TrimPrefix(o.ChatID, "telegram:")
			}
		}
		for j, u := range o.Staff {
			id, err := userID(u)
			if err != nil {
				bad("offices[%d] (%s).staff[%d]: %v", i, o.ID, j, err)
			} else if slices.Contains(off.Staff, id) {
				bad("offices[%d] (%s).staff[%d] %q: listed twice", i, o.ID, j, u)
				continue
			}
			off.Staff = append(off.Staff, id)
		}
		d.Offices = append(d.Offices, off)
	}
	for i, s := range c.Schools {
		sc := flows.School{Code: s.Code, Name: s.Name, Level: flows.Level(s.Level), Office: s.Office, Enrolment: s.Enrolment}
		for j, u := range s.Principals {
			id, err := userID(u)
			if err != nil {
				bad("schools[%d] (%s).principals[%d]: %v", i, s.Code, j, err)
			}
			sc.Principals = append(sc.Principals, id)
		}
		d.Schools = append(d.Schools, sc)
	}
	of := c.EnrolmentOf // what enrolment counts; the schools file may say
	if c.SchoolsFile != "" {
		path := c.SchoolsFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		f, err := os.Open(path)
		if err != nil {
			bad("schools_file: %v", err)
		} else {
			sf, err := readSchools(f, c.SchoolsFile)
			f.Close()
			switch {
			case err != nil:
				errs = append(errs, err)
			case sf.Of != "" && of != "" && sf.Of != of:
				bad("schools_file counts %s, enrolment_of says %s", sf.Of, of)
			default:
				d.Schools = append(d.Schools, sf.Schools...)
				if of == "" {
					of = sf.Of
				}
			}
		}
	}
	switch of {
	case "":
		of = "families"
	case "families", "pupils":
	default:
		bad("enrolment_of %q: want families or pupils", of)
	}
	d.EnrolmentOf = of
	if c.Complaints.EscalateAfter < 1 || c.Complaints.EscalateAfter > 60 {
		bad("complaints.escalate_after_days %d: want 1 to 60 working days", c.Complaints.EscalateAfter)
	}
	for i, w := range c.Waves {
		start, err1 := time.ParseInLocation(time.DateOnly, w.Start, loc)
		end, err2 := time.ParseInLocation(time.DateOnly, w.End, loc)
		if err1 != nil || err2 != nil {
			bad("waves[%d] (%s): start and end must be dates like 2026-09-05", i, w.ID)
			continue
		}
		wave := flows.Wave{ID: w.ID, Title: w.Title, Start: start, End: end.AddDate(0, 0, 1)}
		if w.En != "" {
			wave.Tr = map[flows.Lang]string{flows.English: w.En}
		}
		d.Waves = append(d.Waves, wave)
	}
	if len(c.Waves) == 0 {
		bad("waves: at least one survey wave is needed")
	}
	if err := d.Validate(); err != nil {
		errs = append(errs, err)
	}
	c.directory = d
	return errors.Join(errs...)
}

// zaloID is the shape of a Zalo user or chat id.
var zaloID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// userID reads a staff member's id: a Telegram user id, as "123456789" or
// "telegram:123456789"; "zalo:<id>"; or "chat:<name>", a user of `hailong
// chat --user <name>`, to try the staff's side in the terminal.
func userID(s string) (string, error) {
	if id, ok := strings.CutPrefix(strings.TrimSpace(s), chatChannel+":"); ok {
		if !zaloID.MatchString(id) {
			return "", fmt.Errorf("%q: want chat:<the name given to hailong chat --user>", s)
		}
		return chatChannel + ":" + id, nil
	}
	if id, ok := strings.CutPrefix(strings.TrimSpace(s), "zalo:"); ok {
		if !zaloID.MatchString(id) {
			return "", fmt.Errorf("%q: want zalo:<the user's Zalo id, as the bot's /id command shows it>", s)
		}
		return "zalo:" + id, nil
	}
	id := strings.TrimPrefix(strings.TrimSpace(s), "telegram:")
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
		return "", fmt.Errorf("%q: want a Telegram user id, a positive number, or zalo:<id> (the user gets theirs by sending /id to the bot)", s)
	}
	return "telegram:" + id, nil
}

// engine builds the conversation engine of the configuration.
func (c *Config) engine() (*flows.Engine, error) {
	caps := map[flows.Level]int{}
	for k, v := range c.Survey.ClassSizeCaps {
		caps[flows.Level(k)] = v
	}
	return flows.New(flows.Settings{
		Questionnaire: c.questionnaire, Directory: c.directory, ClassSizeCaps: caps, GradeCaps: c.Survey.PreschoolCaps,
		SessionExpiry: c.Survey.SessionExpiry, RetentionMonths: c.Survey.RetentionMonths,
		Location: c.loc, Owner: c.Owner,
		Categories: c.categories(), Holidays: c.Complaints.Holidays, AckDays: c.Complaints.AckDays,
		PerParentDaily: c.Complaints.PerParentDay, EscalateAfter: c.Complaints.EscalateAfter, UrgentAllLevels: c.Complaints.UrgentAllLevels,
		MinRespondents: c.Survey.MinRespondents, WebURL: c.webURL(),
		Info: c.Info.infoYAML.flows(), InfoTr: map[flows.Lang]flows.Info{flows.English: c.Info.En.flows()},
	})
}

// webURL is where sign-in links point: the dashboard's, when it is served.
func (c *Config) webURL() string {
	if c.Web.Listen == "" {
		return ""
	}
	return c.Web.URL
}

func (y *infoYAML) flows() flows.Info {
	i := flows.Info{Hotline: y.Hotline, Plan: y.Plan, Policies: y.Policies, Services: y.Services}
	for _, qa := range y.FAQ {
		i.FAQ = append(i.FAQ, flows.QA{Q: qa.Q, A: qa.A})
	}
	return i
}

func (c *Config) categories() []flows.Category {
	var out []flows.Category
	for _, k := range c.Complaints.Categories {
		cat := flows.Category{ID: k.ID, Name: k.Name, Days: k.Days, Urgent: k.Urgent}
		if k.En != "" {
			cat.Tr = map[flows.Lang]string{flows.English: k.En}
		}
		out = append(out, cat)
	}
	return out
}

func (c *Config) limits() bot.Limits {
	l := c.Telegram.Limits
	return bot.Limits{PerSecond: l.PerSecond, PerChatSecond: l.PerChatPerSecond, PerChatBurst: l.PerChatBurst, GroupPerMinute: l.GroupPerMinute}
}

// questionnaireFile is the YAML form of a questionnaire.
type questionnaireFile struct {
	Questions []struct {
		ID      string `yaml:"id"`
		Group   string `yaml:"group"`
		Short   string `yaml:"short"`
		Text    string `yaml:"text"`
		Kind    string `yaml:"kind"`
		Options []struct {
			Value string `yaml:"value"`
			Label string `yaml:"label"`
		} `yaml:"options"`
		Min      int      `yaml:"min"`
		Max      int      `yaml:"max"`
		MaxLen   int      `yaml:"max_len"`
		Levels   []string `yaml:"levels"`
		Good     []string `yaml:"good"`
		Optional bool     `yaml:"optional"`
		// En is the question in English: text, short and option labels
		// by value; what is left out is shown in Vietnamese.
		En struct {
			Text   string            `yaml:"text"`
			Short  string            `yaml:"short"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"en"`
	} `yaml:"questions"`
}

func loadQuestionnaire(path string) (*flows.Questionnaire, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f questionnaireFile
	if err := decodeStrict(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	q := &flows.Questionnaire{}
	for _, fq := range f.Questions {
		x := flows.Question{ID: fq.ID, Group: fq.Group, Short: fq.Short, Text: fq.Text, Kind: flows.Kind(fq.Kind),
			Min: fq.Min, Max: fq.Max, MaxLen: fq.MaxLen, Good: fq.Good, Optional: fq.Optional}
		for _, o := range fq.Options {
			x.Options = append(x.Options, flows.Option{Value: o.Value, Label: o.Label})
		}
		for _, l := range fq.Levels {
			x.Levels = append(x.Levels, flows.Level(l))
		}
		if en := fq.En; en.Text != "" || en.Short != "" || len(en.Labels) > 0 {
			x.Tr = map[flows.Lang]flows.QuestionText{flows.English: {Text: en.Text, Short: en.Short, Labels: en.Labels}}
		}
		q.Questions = append(q.Questions, x)
	}
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return q, nil
}
