//go:build tools

// Package tools pins the kwok binary that the test environment builds. kwok
// lives in its own module so that its newer client-go does not raise the
// versions that k8s.io/kubernetes pins in the parent module.
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
