package main

import (
	"fmt"
	"net"

	"github.com/callgate/callgate/gateway"
)

// listen binds the listeners before anything else starts, so that a busy port fails fast and the
// public URL of `dev` can name the real port.
func listen(cfg config) (gateway.Listeners, error) {
	var lns gateway.Listeners
	for _, l := range []struct {
		flag, addr string
		ln         *net.Listener
	}{{"grpc-addr", cfg.GRPCAddr, &lns.GRPC}, {"http-addr", cfg.HTTPAddr, &lns.HTTP}, {"callbacks-addr", cfg.CallbacksAddr, &lns.Callbacks}, {"admin-addr", cfg.AdminAddr, &lns.Admin}} {
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			lns.Close()
			return gateway.Listeners{}, fmt.Errorf("invalid setting %s: %w", settingName(l.flag), err)
		}
		*l.ln = ln
	}
	return lns, nil
}
