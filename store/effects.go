package store

import "hailong/flows"

// effects store what handling one input produced, in this order, inside
// the batch's transaction: each row takes one part of a flows.Result. A
// new kind of effect is one field of flows.Result and one row here (the
// outbox rows, res.Out, are queued last, by applyOne).
var effects = []struct {
	name  string
	apply func(w *writer, env flows.Envelope, key flows.Key, res *flows.Result) error
}{
	{"session", func(w *writer, env flows.Envelope, key flows.Key, res *flows.Result) error {
		if !res.Changed {
			return nil
		}
		if err := w.putSession(key, res.Session); err != nil {
			return err
		}
		if env.Input.Group {
			return nil
		}
		return w.remember(key, res.Session, flows.Address{Channel: env.Channel, Chat: env.Chat})
	}},
	{"pre-consent choices", func(w *writer, env flows.Envelope, key flows.Key, res *flows.Result) error {
		if res.Pre == nil {
			return nil
		}
		return w.putPre(key, *res.Pre, env.Input.Now)
	}},
	{"announcement", func(w *writer, _ flows.Envelope, _ flows.Key, res *flows.Result) error {
		if res.Announce == nil {
			return nil
		}
		return w.announce(res.Announce)
	}},
	{"response", func(w *writer, _ flows.Envelope, key flows.Key, res *flows.Result) error {
		if res.Response == nil {
			return nil
		}
		return w.saveResponse(key, res.Response)
	}},
	{"complaints", func(w *writer, _ flows.Envelope, _ flows.Key, res *flows.Result) error {
		for _, c := range res.Complaints {
			if err := w.saveComplaint(c); err != nil {
				return err
			}
		}
		return nil
	}},
	{"invites, bindings, audit, sign-in links", func(w *writer, _ flows.Envelope, _ flows.Key, res *flows.Result) error {
		return w.roles(res)
	}},
	{"erasure", func(w *writer, _ flows.Envelope, key flows.Key, res *flows.Result) error {
		if !res.Erase {
			return nil
		}
		return w.erase(key)
	}},
	{"group told", func(w *writer, env flows.Envelope, _ flows.Key, res *flows.Result) error {
		if !res.GroupTold {
			return nil
		}
		return w.tx.Bucket(bGroups).Put([]byte(env.Channel+":"+env.Chat), []byte{1})
	}},
	{"stop", func(w *writer, env flows.Envelope, _ flows.Key, res *flows.Result) error {
		if res.OptOut == nil {
			return nil
		}
		return w.optOut(env.Channel, env.Chat, *res.OptOut, env.Input.Now)
	}},
	{"announcements withdrawn", func(w *writer, env flows.Envelope, _ flows.Key, res *flows.Result) error {
		if (res.OptOut == nil || !*res.OptOut) && !res.Erase {
			return nil
		}
		// Announcements still queued for them are not sent after all.
		return w.withdraw(env.Channel, env.Chat, env.Input.Now)
	}},
}
