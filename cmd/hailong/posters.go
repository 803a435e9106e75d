package main

import (
	"errors"
	"fmt"
	"strings"

	"hailong/bot"
	"hailong/posters"
)

// postersCmd writes every school's printable poster with its QR code.
func (s *system) postersCmd(args []string) error {
	var c common
	fs := s.flags("posters", &c)
	out := fs.String("out", "posters", "the `folder` to write the posters to")
	username := fs.String("bot", "", "the bot's username (default: telegram.bot_username, or asked of Telegram when TELEGRAM_BOT_TOKEN is set)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(*username, "@")
	if name == "" {
		name = strings.TrimPrefix(cfg.Telegram.BotUsername, "@")
	}
	if name == "" {
		token := strings.TrimSpace(s.getenv("TELEGRAM_BOT_TOKEN"))
		if token == "" {
			return errors.New("the bot's username is needed for the QR codes: give --bot, set telegram.bot_username, or set TELEGRAM_BOT_TOKEN to ask Telegram")
		}
		b, err := bot.New(bot.Config{Token: token, Endpoint: cfg.Telegram.APIEndpoint, Store: nil})
		if err != nil {
			return err
		}
		name = b.Username()
	}
	var schools []posters.School
	for _, sc := range cfg.directory.Schools {
		// Who runs the school and who oversees it, nearest first.
		var units []string
		for _, o := range cfg.directory.Chain(sc.Office) {
			units = append(units, o.Name)
		}
		schools = append(schools, posters.School{Code: sc.Code, Name: sc.Name, Office: strings.Join(units, " · ")})
	}
	opts := posters.Options{BotUsername: name, Office: cfg.directory.Top().Name}
	if z := cfg.Zalo; z != nil && strings.TrimSpace(z.BotName) != "" {
		opts.Zalo = &posters.Zalo{BotName: z.BotName, Link: z.BotLink}
	}
	paths, err := posters.Write(*out, schools, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "Wrote %d files to %s: one PNG poster per school and posters.pdf with them all.\n", len(paths), *out)
	fmt.Fprintln(s.stdout, "What each school's QR codes hold:")
	for _, sc := range schools {
		tg, z := posters.Payloads(sc, opts)
		fmt.Fprintf(s.stdout, "  %s  Telegram: %s\n", sc.Code, tg)
		switch {
		case opts.Zalo == nil:
		case z != "":
			fmt.Fprintf(s.stdout, "  %s  Zalo: %s (then: %s)\n", sc.Code, z, posters.ZaloText(sc.Code))
		default:
			fmt.Fprintf(s.stdout, "  %s  Zalo: no QR code (Zalo documents no link that opens a bot); the poster says: find «%s», send %s\n",
				sc.Code, opts.Zalo.BotName, posters.ZaloText(sc.Code))
		}
	}
	if opts.Zalo == nil && cfg.Zalo != nil {
		fmt.Fprintln(s.stdout, "Zalo is not on the posters: set zalo.bot_name (and zalo.bot_link if you have one) to put it there.")
	}
	return nil
}
