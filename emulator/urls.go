package emulator

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// parseCallbackURI accepts what the service accepts (absolute https URIs) and,
// unlike the service, http on loopback hosts so a gateway on 127.0.0.1 needs
// no certificate; allowInsecure extends http to any host.
func parseCallbackURI(raw string, allowInsecure bool) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("is empty")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, errors.New("is not an absolute URI")
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		if allowInsecure || isLoopbackHost(u.Hostname()) {
			return u, nil
		}
		return nil, errors.New("must be https (http is accepted on loopback hosts only)")
	default:
		return nil, errors.New("must be an https URI")
	}
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// stripURL removes the request URL from an HTTP client error: webhook and
// callback URLs may carry secrets in their query, and errors get logged.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
