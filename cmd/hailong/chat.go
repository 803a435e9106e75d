package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"hailong/flows"
	"hailong/store"
)

func (s *system) chatCmd(ctx context.Context, args []string) error {
	var c common
	fs := s.flags("chat", &c)
	user := fs.String("user", "local", "who you are, so that several people can be tried on one database")
	if err := parse(fs, args); err != nil {
		return err
	}
	log := s.logger(slog.LevelWarn)
	cfg, db, err := s.open(c, log)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(s.stdout, "hailong chat — database %s, config %s.\nGõ /start để bắt đầu; gõ số để chọn; Ctrl-D để thoát.\n\n", cfg.Database, cfg.source)
	// What was sent to this user while they were away (an alert, a
	// reply to their complaint) comes first.
	if err := drainChat(db, s.stdout, *user); err != nil {
		return err
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(s.stdin)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		if err := sc.Err(); err != nil {
			fmt.Fprintln(s.stderr, "hailong chat: reading the terminal:", err)
		}
	}()
	for {
		fmt.Fprint(s.stdout, "> ")
		var line string
		select {
		case <-ctx.Done():
			return nil
		case l, ok := <-lines:
			if !ok {
				fmt.Fprintln(s.stdout)
				return nil
			}
			line = l
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		in := flows.ParseText(line, s.now())
		in.Numbered = true
		env := flows.Envelope{Channel: chatChannel, User: *user, Chat: *user, Input: in}
		if err := db.Apply(flows.Batch{Channel: chatChannel, Envelopes: []flows.Envelope{env}}); err != nil {
			return err
		}
		if err := drainChat(db, s.stdout, *user); err != nil {
			return err
		}
	}
}

// drainChat prints and removes the terminal's queued messages for user;
// those for other users (a principal's alert, a parent's answer) wait for
// them to open the chat with their --user.
func drainChat(db *store.DB, w io.Writer, user string) error {
	rows, err := db.Pending(chatChannel, 1000)
	if err != nil {
		return err
	}
	var done []uint64
	for _, q := range rows {
		if q.Chat != user {
			continue
		}
		done = append(done, q.Seq)
		if q.Kind == flows.OutAck {
			continue
		}
		fmt.Fprintln(w, flows.Numbered(q.Reply))
		fmt.Fprintln(w)
	}
	return db.Done(done...)
}
