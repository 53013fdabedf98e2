package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// HTTP server limits, each set on purpose.
const (
	// readHeaderTimeout bounds a client sending its headers (slowloris).
	readHeaderTimeout = 10 * time.Second
	// unaryReadTimeout bounds reading a unary request's body. Streams (WatchCall over REST) have
	// no body and no read deadline: they last as long as the call. It is set per request, not as
	// the server's ReadTimeout, which would also end long responses.
	unaryReadTimeout = 30 * time.Second
	// idleTimeout closes keep-alive connections nobody uses.
	idleTimeout = 2 * time.Minute
	// maxHeaderBytes bounds a request's headers: a bearer token and a few others.
	maxHeaderBytes = 64 << 10
)

// No WriteTimeout: WatchCall streams over REST for as long as the call lasts.
func newHTTPServer(h http.Handler, logger *zap.Logger, tlsFiles *TLSFiles) *http.Server {
	s := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          zap.NewStdLog(logger.Named("http")),
	}
	if tlsFiles != nil {
		s.TLSConfig = tlsFiles.Config()
	}
	return s
}

// rest serves the REST routes of the services through grpc-gateway, with what grpc-gateway does
// not do itself: 413 for a body over MaxRequestBytes, 405 with Allow for a wrong method, a read
// deadline for unary requests.
type rest struct {
	mux     *runtime.ServeMux
	routes  []route
	metrics *restMetrics
}

// route is one REST route of an RPC, from its google.api.http annotation.
type route struct {
	method    string
	template  string   // /v1/calls/{call_connection_id}:hangUp
	parts     []string // the template's literal text and, as "", its variables
	streaming bool
}

// restServices are the services REST serves: service.Services, or a benchmark's.
type restServices interface {
	Names() []string
	RegisterREST(ctx context.Context, mux *runtime.ServeMux, conn grpc.ClientConnInterface) error
}

func newREST(ctx context.Context, svc restServices, conn grpc.ClientConnInterface, metrics *restMetrics) (*rest, error) {
	r := &rest{metrics: metrics}
	routes, err := restRoutes(svc.Names())
	if err != nil {
		return nil, err
	}
	r.routes = routes
	r.mux = runtime.NewServeMux(
		// Participant raw IDs such as 8:acs:... arrive URL-escaped in paths and must reach the RPC
		// as written.
		runtime.WithUnescapingMode(runtime.UnescapingModeAllCharacters),
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{Marshaler: newRESTJSON()}),
		// grpc-gateway would serve a form POST to a GET route as that GET (its path length
		// fallback): POST /v1/calls/{id} must not read a call.
		runtime.WithDisablePathLengthFallback(),
		runtime.WithRoutingErrorHandler(r.routingError),
		// A REST caller's verified client certificate reaches the authorization as metadata of
		// the internal connection; one a client sends as a header is dropped.
		runtime.WithIncomingHeaderMatcher(restHeader),
		runtime.WithMetadata(func(_ context.Context, req *http.Request) metadata.MD {
			if req.TLS == nil || len(req.TLS.VerifiedChains) == 0 || len(req.TLS.VerifiedChains[0]) == 0 {
				return nil
			}
			return metadata.Pairs(clientCertMetadata, base64.StdEncoding.EncodeToString(req.TLS.VerifiedChains[0][0].Raw))
		}),
	)
	if err := svc.RegisterREST(ctx, r.mux, conn); err != nil {
		return nil, fmt.Errorf("gateway: REST routes: %w", err)
	}
	return r, nil
}

func (r *rest) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rt, known := r.match(req)
	name := "other"
	if rt != nil {
		name = rt.template
	}
	if rt != nil {
		// The route is the pattern that matched: the span's name and http.route (otelhttp
		// reads it), rather than a path full of IDs.
		req.Pattern = rt.method + " " + rt.template
	}
	r.metrics.observe(w, req, name, func(w http.ResponseWriter) { r.serve(w, req, rt, known) })
}

// match finds req's route, and says whether any route has req's path.
func (r *rest) match(req *http.Request) (rt *route, known bool) {
	path := req.URL.EscapedPath()
	for i := range r.routes {
		if r.routes[i].matches(path) {
			known = true
			if r.routes[i].method == req.Method {
				return &r.routes[i], true
			}
		}
	}
	return nil, known
}

func (r *rest) serve(w http.ResponseWriter, req *http.Request, rt *route, known bool) {
	// grpc-gateway would take GET /v1/calls/x:hangUp for GetCall of "x:hangUp": a path that only
	// other methods' routes match is a wrong method.
	if rt == nil && known {
		methodNotAllowed(w, req, r.allowed(req))
		return
	}
	if rt == nil || !rt.streaming {
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(unaryReadTimeout))
	}
	if req.Body != nil && req.Body != http.NoBody {
		if req.ContentLength > MaxRequestBytes {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", MaxRequestBytes))
			return
		}
		// Read here, bounded, so that a body over the limit is a 413 rather than whatever the
		// decoder makes of a cut-off body.
		body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxRequestBytes))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", MaxRequestBytes))
			return
		case err != nil:
			writeError(w, http.StatusBadRequest, "cannot read the body")
			return
		}
		req.Body = &readBody{Reader: bytes.NewReader(body), body: body}
	}
	r.mux.ServeHTTP(w, req)
}

// routingError answers what grpc-gateway's routing refuses: 405 with the methods the path takes
// (grpc-gateway's default says 501), otherwise its default answer.
func (r *rest) routingError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, req *http.Request, status int) {
	if status == http.StatusMethodNotAllowed || status == http.StatusNotImplemented {
		if allow := r.allowed(req); len(allow) > 0 {
			methodNotAllowed(w, req, allow)
			return
		}
	}
	runtime.DefaultRoutingErrorHandler(ctx, mux, m, w, req, status)
}

// allowed lists, sorted, the methods of the routes whose path matches req's.
func (r *rest) allowed(req *http.Request) []string {
	var allow []string
	for _, rt := range r.routes {
		if rt.matches(req.URL.EscapedPath()) && !slices.Contains(allow, rt.method) {
			allow = append(allow, rt.method)
		}
	}
	slices.Sort(allow)
	return allow
}

func methodNotAllowed(w http.ResponseWriter, req *http.Request, allow []string) {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, http.StatusMethodNotAllowed, req.Method+" is not allowed here; use "+strings.Join(allow, " or "))
}

// writeError answers as grpc-gateway does, a google.rpc.Status in JSON.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, err := protojson.Marshal(httpStatus(status, msg))
	if err != nil {
		log.Printf("gateway: encoding an error: %v", err)
		return
	}
	_, _ = w.Write(b)
}

// restRoutes reads the REST routes of the named services from their google.api.http options.
func restRoutes(services []string) ([]route, error) {
	var routes []route
	for _, name := range services {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			return nil, fmt.Errorf("gateway: service %s: %w", name, err)
		}
		sd, ok := d.(protoreflect.ServiceDescriptor)
		if !ok {
			return nil, fmt.Errorf("gateway: %s is not a service", name)
		}
		for i := range sd.Methods().Len() {
			md := sd.Methods().Get(i)
			rule, _ := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
			if rule == nil {
				continue
			}
			method, tmpl := httpRule(rule)
			if method == "" {
				continue
			}
			routes = append(routes, route{method: method, template: tmpl, parts: templateParts(tmpl), streaming: md.IsStreamingServer()})
		}
	}
	return routes, nil
}

func httpRule(r *annotations.HttpRule) (method, template string) {
	switch p := r.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return http.MethodGet, p.Get
	case *annotations.HttpRule_Post:
		return http.MethodPost, p.Post
	case *annotations.HttpRule_Put:
		return http.MethodPut, p.Put
	case *annotations.HttpRule_Delete:
		return http.MethodDelete, p.Delete
	case *annotations.HttpRule_Patch:
		return http.MethodPatch, p.Patch
	}
	return "", ""
}

// templateParts splits a path template into its literal text and its {variables} (as "").
func templateParts(tmpl string) []string {
	var parts []string
	for rest := tmpl; rest != ""; {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest[max(i, 0):], '}')
		if i < 0 || j < 0 {
			return append(parts, rest)
		}
		if i > 0 {
			parts = append(parts, rest[:i])
		}
		parts = append(parts, "")
		rest = rest[i+j+1:]
	}
	return parts
}

// matches says whether an escaped path fits the route's template: its literal text as written,
// each variable one segment without ':' (so that /v1/calls/{id} does not take /v1/calls/x:hangUp).
func (rt *route) matches(path string) bool {
	for _, part := range rt.parts {
		if part != "" {
			if !strings.HasPrefix(path, part) {
				return false
			}
			path = path[len(part):]
			continue
		}
		n := strings.IndexAny(path, "/:")
		if n < 0 {
			n = len(path)
		}
		if n == 0 {
			return false
		}
		path = path[n:]
	}
	return path == ""
}

// restHeader says which HTTP headers of a REST request reach the gRPC server as metadata:
// grpc-gateway's defaults, and the W3C trace context (for the propagation when no span is made:
// with spans, the REST side's client instrumentation writes it), but never the header that
// carries a verified client certificate: the HTTP server sets that one itself.
func restHeader(h string) (string, bool) {
	switch strings.ToLower(h) {
	case "traceparent", "tracestate":
		return strings.ToLower(h), true
	}
	key, ok := runtime.DefaultHeaderMatcher(h)
	return key, ok && !strings.EqualFold(strings.TrimPrefix(key, runtime.MetadataPrefix), clientCertMetadata)
}
