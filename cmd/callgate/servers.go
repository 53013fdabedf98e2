package main

import (
	"fmt"
	"net"

	"github.com/callgate/callgate/gateway"
)

// listen binds the listeners before anything else starts, so that a busy port fails fast and the
// public URL of `dev` can name the real port.
func listen(cfg config) (gateway.Listeners, error) {
	g, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return gateway.Listeners{}, fmt.Errorf("invalid setting %s: %w", settingName("grpc-addr"), err)
	}
	h, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		_ = g.Close()
		return gateway.Listeners{}, fmt.Errorf("invalid setting %s: %w", settingName("http-addr"), err)
	}
	return gateway.Listeners{GRPC: g, HTTP: h}, nil
}
