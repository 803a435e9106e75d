package zalotest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// newDeliveryClient returns the client that POSTs updates to the webhook. It
// only dials loopback addresses, so a test that sets a real URL fails its
// deliveries instead of reaching the network, and it keeps no idle
// connections, so nothing outlives Close.
func newDeliveryClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:       dialLoopback,
			DisableKeepAlives: true,
		},
		// A redirect would be a delivery somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("zalotest: webhook delivery only goes to loopback addresses, not %q", host)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// deliverLoop POSTs queued updates to the webhook while one is set: one at a
// time, oldest first, the failed one again after RetryDelay. It ends when the
// server closes.
func (s *Server) deliverLoop() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		for s.webhook == nil || len(s.queue) == 0 {
			ch := s.Changes()
			s.mu.Unlock()
			select {
			case <-ch:
			case <-s.Done():
				return
			}
			s.mu.Lock()
		}
		u := s.queue[0]
		s.queue = append([]queuedUpdate(nil), s.queue[1:]...)
		u.attempts++
		hook, opts, bare := *s.webhook, s.hookOpts, s.forms.BareWebhook
		if opts.Timeout <= 0 {
			opts.Timeout = defaultDeliveryTimeout
		}
		if opts.RetryDelay <= 0 {
			opts.RetryDelay = defaultRetryDelay
		}
		ctx, cancel := context.WithTimeout(s.ctx, opts.Timeout)
		s.inflight, s.inflightCancel = &u, cancel
		s.Notify()
		s.mu.Unlock()

		body := []byte(u.raw)
		if !bare {
			body = wrap(u.raw)
		}
		status, err := s.post(ctx, hook, body)
		cancel()
		delivered := err == nil && status >= 200 && status < 300

		s.mu.Lock()
		d := Delivery{
			URL: hook.url, Secret: hook.secret, EventName: u.event, MessageID: u.messageID,
			Body: string(body), Attempt: u.attempts, Status: status, At: time.Now(),
		}
		if err != nil {
			d.Err = err.Error()
		}
		s.deliveries.Add(d)
		s.inflight, s.inflightCancel = nil, nil
		if !delivered {
			// Back to the head of the queue: for the retry, or for
			// getUpdates once the webhook is deleted.
			s.queue = append([]queuedUpdate{u}, s.queue...)
		}
		s.Notify()
		s.mu.Unlock()

		if !delivered && !s.Sleep(s.ctx, opts.RetryDelay) {
			return
		}
	}
}

// wrap puts an update in the envelope the Webhook page shows Zalo posting.
func wrap(update json.RawMessage) []byte {
	return marshal(map[string]any{"ok": true, "result": update})
}

// post sends one update's body and returns the receiver's status.
func (s *Server) post(ctx context.Context, hook webhook, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Bot-Api-Secret-Token", hook.secret)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// Reading the answer to the end counts a receiver that fails midway.
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodySize)); err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}
