//go:build tools

// Package tools pins the conformance command so `go mod tidy` keeps its dependencies.
package tools

import _ "github.com/opencontainers/distribution-spec/conformance"
