//go:build tools

// Package tools pins regbot's command so `go mod tidy` keeps its dependencies.
package tools

import _ "github.com/regclient/regclient/cmd/regbot"
