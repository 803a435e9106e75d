package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MaxFile is the largest file FetchFile downloads: Telegram hands bots
// files of up to 20 MB.
const MaxFile = 20 << 20

// fileEndpoint is where the files of an API endpoint are downloaded from:
// Telegram's is https://api.telegram.org/file/bot<token>/<path> beside
// https://api.telegram.org/bot<token>/<method>.
func fileEndpoint(api string) string {
	if prefix, ok := strings.CutSuffix(api, "/bot%s/%s"); ok {
		return prefix + "/file/bot%s/%s"
	}
	return ""
}

// FetchFile downloads a file a user sent (a photo's file_id) from Telegram:
// its bytes and their media type. Another channel uses it to pass on what
// it can only take by URL. Safe to call at any time, from any goroutine.
func (b *Bot) FetchFile(ctx context.Context, fileID string) ([]byte, string, error) {
	files := fileEndpoint(b.cfg.Endpoint)
	if files == "" {
		return nil, "", errors.New("telegram: no file download address for this api_endpoint")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var got struct {
		OK          bool   `json:"ok"`
		Description string `json:"description"`
		Result      struct {
			FilePath string `json:"file_path"`
		} `json:"result"`
	}
	if err := b.fileCall(ctx, "getFile", http.MethodPost, fmt.Sprintf(b.cfg.Endpoint, b.cfg.Token, "getFile"), url.Values{"file_id": {fileID}}, func(r io.Reader) error {
		return json.NewDecoder(io.LimitReader(r, 1<<16)).Decode(&got)
	}); err != nil {
		return nil, "", err
	}
	if !got.OK || got.Result.FilePath == "" {
		return nil, "", fmt.Errorf("telegram getFile: %s", got.Description)
	}
	var data []byte
	err := b.fileCall(ctx, "file download", http.MethodGet, fmt.Sprintf(files, b.cfg.Token, got.Result.FilePath), nil, func(r io.Reader) error {
		var err error
		data, err = io.ReadAll(io.LimitReader(r, MaxFile+1))
		if err == nil && len(data) > MaxFile {
			err = fmt.Errorf("telegram file over %d MB", MaxFile>>20)
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return data, http.DetectContentType(data), nil
}

// fileCall makes one request of FetchFile and reads its answer; errors
// never carry the token (it is in the URL).
func (b *Bot) fileCall(ctx context.Context, what, method, u string, form url.Values, read func(io.Reader) error) error {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return b.clean(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.fileHTTP.Do(req)
	if err != nil {
		return b.clean(err)
	}
	defer resp.Body.Close()
	// getFile answers 400 with a description in JSON; a download, 404.
	if resp.StatusCode != http.StatusOK && (form == nil || resp.StatusCode != http.StatusBadRequest) {
		return fmt.Errorf("telegram %s: HTTP %d", what, resp.StatusCode)
	}
	return b.clean(read(resp.Body))
}
