package gateway

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/callgate/callgate/auth"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// clientCertMetadata carries a REST caller's verified client certificate (DER, base64) from the
// HTTP server to the gRPC server over the internal connection. It is believed from that
// connection only, and the REST side drops any such header a client sends.
const clientCertMetadata = "x-callgate-client-certificate"

// RateLimit bounds how many calls one principal places: a token bucket of Count calls refilled
// over Per (60 a minute: bursts of 60, then one a second).
type RateLimit struct {
	Count int
	Per   time.Duration
}

// authorizer is the one check of who calls what, for gRPC and REST alike (REST runs the same chain).
type authorizer struct {
	auth  *auth.Authenticator // nil: authentication is off (--auth-disabled, or dev)
	limit RateLimit
	log   *zap.Logger

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// maxLimiters bounds the principals whose buckets are kept; past it, full (idle) buckets go.
const maxLimiters = 10_000

func (a *authorizer) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, access, err := a.check(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	resp, err := handler(ctx, req)
	if access != nil && access.GetPermission() != auth.PermCallsRead {
		audit(a.log, ctx, info.FullMethod, req, resp, err)
	}
	return resp, err
}

func (a *authorizer) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, _, err := a.check(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	return handler(srv, contextStream{ServerStream: ss, ctx: ctx})
}

type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s contextStream) Context() context.Context { return s.ctx }

// check authenticates the caller of a callgate.v1 RPC and checks the permission the RPC declares,
// and for an RPC that places calls, the caller's rate of them. Other RPCs (health, reflection)
// pass.
func (a *authorizer) check(ctx context.Context, method string) (context.Context, *callgatev1.Access, error) {
	access, protected := auth.AccessOf(method)
	if !protected {
		return ctx, nil, nil
	}
	if access == nil {
		return ctx, nil, status.Error(codes.PermissionDenied, "this RPC declares no permission, so no caller may call it")
	}
	p := &auth.Principal{Name: "anonymous", Via: "none"}
	if a.auth != nil {
		var err error
		if p, err = a.auth.Authenticate(ctx, credentialsOf(ctx)); err != nil {
			a.log.Info("caller not authenticated", zap.String("method", method), zap.Error(err))
			msg := auth.ErrInvalidCredentials.Error()
			if errors.Is(err, auth.ErrNoCredentials) {
				msg = auth.ErrNoCredentials.Error()
			}
			return ctx, access, status.Error(codes.Unauthenticated, msg)
		}
		if !p.Has(access.GetPermission()) {
			a.log.Info("caller lacks the permission", zap.String("method", method), zap.String("principal", p.Name), zap.String("permission", access.GetPermission()))
			return ctx, access, status.Errorf(codes.PermissionDenied, "%s may not call this RPC: it needs the permission %s", p.Name, access.GetPermission())
		}
	}
	ctx = auth.WithPrincipal(ctx, p)
	if access.GetPlacesCalls() {
		if err := a.allow(p.Name); err != nil {
			return ctx, access, err
		}
	}
	return ctx, access, nil
}

// credentialsOf reads a request's bearer token and verified client certificate: from the TLS
// connection, or for a REST request from what the HTTP server passed on over the internal
// connection.
func credentialsOf(ctx context.Context) auth.Credentials {
	var c auth.Credentials
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		if token, ok := cutBearer(v); ok {
			c.Bearer = token
		}
	}
	pr, ok := peer.FromContext(ctx)
	if !ok {
		return c
	}
	if isInternal(pr.Addr) {
		if der := md.Get(clientCertMetadata); len(der) == 1 {
			if b, err := base64.StdEncoding.DecodeString(der[0]); err == nil {
				c.Certificate, _ = x509.ParseCertificate(b)
			}
		}
		return c
	}
	if info, ok := pr.AuthInfo.(credentials.TLSInfo); ok && len(info.State.VerifiedChains) > 0 && len(info.State.VerifiedChains[0]) > 0 {
		c.Certificate = info.State.VerifiedChains[0][0]
	}
	return c
}

func cutBearer(v string) (string, bool) {
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:]), true
	}
	return "", false
}

// allow takes one call from the principal's bucket, or says when there will be one.
func (a *authorizer) allow(principal string) error {
	if a.limit.Count <= 0 {
		return nil
	}
	a.mu.Lock()
	lim, ok := a.limiters[principal]
	if !ok {
		if len(a.limiters) >= maxLimiters {
			for name, l := range a.limiters {
				if l.Tokens() >= float64(a.limit.Count) {
					delete(a.limiters, name)
				}
			}
		}
		if a.limiters == nil {
			a.limiters = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(rate.Every(a.limit.Per/time.Duration(a.limit.Count)), a.limit.Count)
		a.limiters[principal] = lim
	}
	a.mu.Unlock()
	r := lim.Reserve()
	if delay := r.Delay(); delay > 0 {
		r.Cancel()
		st, err := status.New(codes.ResourceExhausted, "too many calls placed: the rate limit of calls per principal is reached").
			WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)})
		if err != nil {
			return status.Error(codes.ResourceExhausted, "too many calls placed")
		}
		return st.Err()
	}
	return nil
}
