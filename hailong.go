// Package hailong holds what the whole project shares at its root: the
// documented example configuration, which is also the built-in default.
package hailong

import _ "embed"

// ExampleConfig is config.example.yaml: every key with its default, and a
// demonstration directory of one office and six schools.
//
//go:embed config.example.yaml
var ExampleConfig []byte
