//go:build tools

// Package tools pins the OCI registry that tack's end-to-end tests push charts to and pull them from.
package tools

import (
	_ "github.com/distribution/distribution/v3/cmd/registry"
)
