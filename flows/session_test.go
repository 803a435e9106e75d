package flows

import (
	"crypto/hmac"
	"crypto/sha256"
	"strconv"
	"sync"
	"testing"
)

// TestKeyer: a kept HMAC state gives what a new one gives — pseudonyms and
// recipient keys of databases written before must still match — also when
// many goroutines share it.
func TestKeyer(t *testing.T) {
	secret := []byte("a secret of the office, 32 bytes")
	want := func(msg string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	k := NewKeyer(secret)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				user := strconv.Itoa(g*1000 + i)
				if got := k.Key("telegram", user); string(got[:]) != string(want("telegram:" + user)[:16]) {
					t.Errorf("Key(telegram, %s) = %x", user, got)
					return
				}
				if got := RespondentKey(secret, "zalo", user); string(got[:]) != string(want("zalo:" + user)[:16]) {
					t.Errorf("RespondentKey(zalo, %s) = %x", user, got)
					return
				}
				if got := k.Sum("recipient:", "telegram", ":", user); string(got[:]) != string(want("recipient:telegram:"+user)) {
					t.Errorf("Sum(recipient… %s) = %x", user, got)
					return
				}
			}
		})
	}
	wg.Wait()
}
