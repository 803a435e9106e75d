package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"hailong/digest"
	"hailong/store"
	"hailong/web"
	"hailong/zalo"
)

// dashboard is the staff dashboard of the configuration over db, served
// until ctx ends: web.listen (or the system's webListener, in tests and
// the demo).
func (s *system) dashboard(cfg *Config, db *store.DB, job *digest.Job, photos zalo.Fetch, telegramToken string, log *slog.Logger) (func(context.Context) error, error) {
	wc := web.Config{Store: db, Engine: db.Engine(), Job: job, Now: s.now, Log: log,
		SessionTTL: time.Duration(cfg.Web.SessionHours) * time.Hour, MinRespondents: cfg.Survey.MinRespondents, URL: cfg.Web.URL}
	if photos != nil {
		wc.Photos = web.Photos(photos)
	}
	if cfg.Web.TelegramLogin && telegramToken != "" {
		wc.TelegramBot, wc.TelegramToken = db.Engine().BotUsername(), telegramToken
	}
	srv, err := web.New(wc)
	if err != nil {
		return nil, err
	}
	l := s.webListener
	if l == nil {
		if l, err = net.Listen("tcp", cfg.Web.Listen); err != nil {
			return nil, err
		}
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	log.Info("serving the web dashboard", "listen", l.Addr().String(), "url", cfg.Web.URL)
	return func(ctx context.Context) error {
		done := make(chan error, 1)
		go func() { done <- hs.Serve(l) }()
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
		}
		shut, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		hs.Shutdown(shut)
		srv.Settle() // the reports being built again, before the database closes
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}, nil
}
