package bot

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"hailong/bot/telegramtest"
	"hailong/flows"
)

// BenchmarkSenderOutbound sends to 90 distinct chats at Telegram's limits
// against a fake that refuses whatever exceeds them, and reports the rate
// achieved and the refusals (which must be 0).
func BenchmarkSenderOutbound(b *testing.B) {
	const chats = 90
	for b.Loop() {
		srv := telegramtest.NewServer()
		for i := range chats {
			srv.SendText(telegramtest.User{ID: int64(20000 + i), FirstName: "P"}, "hi")
		}
		srv.EnforceLimits(telegramtest.TelegramLimits)
		st := newMemStore()
		var rows []flows.Outgoing
		for i := range chats {
			rows = append(rows, msg(strconv.Itoa(20000+i), fmt.Sprintf("digest %d", i)))
		}
		st.queue(rows...)
		stop, _ := runBotWith(b, srv, st, DefaultLimits)
		start := time.Now()
		srv.Wait(time.Minute, func() bool { return st.left() == 0 })
		elapsed := time.Since(start)
		stop()
		b.ReportMetric(float64(chats)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(float64(len(srv.Violations())), "429s")
		srv.Close()
	}
}
