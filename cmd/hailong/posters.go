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
		schools = append(schools, posters.School{Code: sc.Code, Name: sc.Name})
	}
	office := ""
	if len(cfg.directory.Offices) > 0 {
		office = cfg.directory.Offices[0].Name
	}
	paths, err := posters.Write(*out, schools, posters.Options{BotUsername: name, Office: office})
	if err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "Wrote %d files to %s: one PNG poster per school and posters.pdf with them all.\nEach QR code opens https://t.me/%s?start=<school code>.\n", len(paths), *out, name)
	return nil
}
