package zalo

import (
	"errors"
	"testing"
	"time"

	"hailong/outbox"
)

// TestVerdict: which errors pause all sending and which concern one message
// or one recipient. Before, every 404 paused everything, so one principal's
// id that Zalo does not know stopped every parent's replies.
func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		err     error
		outcome outbox.Outcome
		blocked bool
	}{
		{&APIError{Code: 401, Description: "Unauthorized"}, outbox.Later, true},
		{&APIError{Code: 404, Description: "Not Found"}, outbox.Later, true},
		{&APIError{Code: 404, Description: "Not Found: chat not found"}, outbox.Failed, false},
		{&APIError{Code: 404, Description: "User not found"}, outbox.Failed, false},
		{&APIError{Code: 400, Description: "chat not found"}, outbox.Failed, false},
		{&APIError{Code: 403, Description: "Forbidden"}, outbox.Dropped, false},
		{&APIError{Code: 400, Description: "Bad Request: user blocked the bot"}, outbox.Dropped, false},
		{&APIError{Code: 500, Description: "Internal Server Error"}, outbox.Later, false},
		{&APIError{Code: 408, Description: "Request Timeout"}, outbox.Later, false},
		{&APIError{Code: 400, Description: "text is too long"}, outbox.Failed, false},
		{errors.New("connection reset"), outbox.Later, false},
	} {
		v := verdict(tc.err)
		if v.Outcome != tc.outcome || v.Blocked != tc.blocked || v.Err != tc.err {
			t.Errorf("%v: outcome %v blocked %v, want %v %v", tc.err, v.Outcome, v.Blocked, tc.outcome, tc.blocked)
		}
	}
	v := verdict(&APIError{Code: 429, Description: "Too Many Requests", RetryAfter: 7 * time.Second})
	if v.Outcome != outbox.Later || !v.Throttled || v.RetryAfter != 7*time.Second || v.Blocked {
		t.Errorf("429: %+v", v)
	}
}
