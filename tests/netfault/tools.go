//go:build tools

// Package tools pins the fault-injecting TCP proxy (toxiproxy) that the network-fault end-to-end tests put
// between tack and the API server. It lives in its own module so that its dependencies do not move the
// versions the control-plane module pins.
package tools

import (
	_ "github.com/Shopify/toxiproxy/v2/cmd/server"
)
