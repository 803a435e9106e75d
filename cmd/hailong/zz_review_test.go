package main

import (
	"net/http"
	"strings"
	"testing"

	"hailong"
)

func zzCfg(extra string, principal string) string {
	base := string(hailong.ExampleConfig)
	if principal != "" {
		base = strings.Replace(base, "    office: sadec\n", "    office: sadec\n    principals: [\""+principal+"\"]\n", 1)
		base = strings.Replace(base, `chat_id: ""`, `chat_id: "zalo:grp1"`, 1)
	}
	return base + "\n" + extra
}

func TestZZReview(t *testing.T) {
	cases := map[string]string{
		"zalo principal, no zalo section": zzCfg("", "zalo:abc123"),
		"zalo partial limits":             zzCfg("zalo:\n  limits:\n    per_second: 10\n", ""),
		"zalo path with space":            zzCfg("zalo:\n  mode: webhook\n  webhook:\n    path: \"/zalo hook\"\n", ""),
		"zalo path wildcard":              zzCfg("zalo:\n  mode: webhook\n  webhook:\n    path: \"/zalo/{x}\"\n", ""),
		"zalo neg poll":                   zzCfg("zalo:\n  poll_timeout: -5s\n", ""),
		"zalo webhook no url":             zzCfg("zalo:\n  mode: webhook\n", ""),
		"endpoint no bot prefix":          strings.Replace(zzCfg("", ""), `"https://api.telegram.org/bot%s/%s"`, `"https://tg.example/%s/%s"`, 1),
	}
	for name, data := range cases {
		if !strings.Contains(data, "principals") && strings.Contains(name, "principal") {
			t.Logf("%s: no principals key in example", name)
		}
		c, err := parseConfig([]byte(data), "config.yaml", "")
		t.Logf("%s: err=%v", name, err)
		if err == nil && c.Zalo != nil && strings.Contains(name, "path") {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Logf("%s: mux.Handle panics: %v", name, r)
					}
				}()
				http.NewServeMux().Handle(c.Zalo.Webhook.Path, http.NotFoundHandler())
				t.Logf("%s: mux accepted", name)
			}()
		}
	}
}
