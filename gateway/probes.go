package gateway

import (
	"fmt"
	"net/http"

	"github.com/callgate/callgate/gen/openapi"
)

// apiRoutes are the API's HTTP paths: REST and the OpenAPI document.
func (g *Gateway) apiRoutes(rest http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.JSON)
	})
	mux.Handle("/v1/", rest)
	return mux
}

// callbackRoutes serve /callbacks/ and nothing else: this listener faces the internet.
func (g *Gateway) callbackRoutes() http.Handler {
	mux := http.NewServeMux()
	if g.parts.Callbacks != nil {
		mux.Handle("/callbacks/", g.parts.Callbacks)
	}
	return mux
}

// adminRoutes are the probes, the metrics and pprof.
func (g *Gateway) adminRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", g.readyz)
	adminObservability(mux, g.cfg.Telemetry)
	return mux
}

func (g *Gateway) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if g.stopping.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("shutting down\n"))
		return
	}
	for _, ready := range g.parts.Ready {
		if err := ready(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
	}
	_, _ = w.Write([]byte("ok\n"))
}
