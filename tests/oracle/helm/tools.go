//go:build tools

// Package tools pins the Helm CLI that the conversion compatibility tests use as their oracle.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
