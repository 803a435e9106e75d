package bot

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"hailong/bot/telegramtest"
)

// TestFetchFile: a photo a user sent is downloaded (getFile, then the file
// server) with its media type; an id Telegram does not know is an error
// that does not carry the token.
func TestFetchFile(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	b, err := New(Config{Token: telegramtest.Token, Endpoint: srv.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	srv.SendPhoto(telegramtest.User{ID: 77, FirstName: "Lan"}, "")
	msgs := srv.Messages(77)
	id := msgs[len(msgs)-1].FileID
	want, ok := srv.FileData(id)
	if !ok {
		t.Fatalf("the fake does not know %s", id)
	}
	data, mime, err := b.FetchFile(context.Background(), id)
	if err != nil || !bytes.Equal(data, want) || mime != "image/jpeg" {
		t.Fatalf("FetchFile(%s) = %q, %q, %v; want %q, image/jpeg", id, data, mime, err, want)
	}
	if _, _, err := b.FetchFile(context.Background(), "no-such-file"); err == nil || !strings.Contains(err.Error(), "invalid file_id") || strings.Contains(err.Error(), telegramtest.Token) {
		t.Errorf("an unknown file: %v", err)
	}
	if fileEndpoint("https://api.telegram.org/bot%s/%s") != "https://api.telegram.org/file/bot%s/%s" || fileEndpoint("http://x/%s/%s") != "" {
		t.Error("the file endpoint is not derived from the API endpoint as Telegram's")
	}
}
