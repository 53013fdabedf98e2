package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// DefaultServiceConfig is the gRPC service config every Client starts with
// (WithDialOptions(grpc.WithDefaultServiceConfig(...)) replaces it):
//
//   - round_robin over every address the target resolves to (a `dns:///` name with one A record
//     per replica, a Kubernetes headless service). A replica that drains for a restart still
//     serves the calls it gets; its streams end with their resume point and Watch resumes on
//     another. (No client-side health checking: its stream carries the call credentials, and a
//     token source that fails would hold every call instead of failing it.)
//   - retries of the reads (GetCall, ListParticipants, GetParticipant) after UNAVAILABLE. Calls
//     that change something are not retried by gRPC: the client retries them itself with the same
//     request_id (see RetryPolicy), and Watch and WatchIncoming resume on their own.
const DefaultServiceConfig = `{
  "loadBalancingConfig": [{"round_robin": {}}],
  "methodConfig": [{
    "name": [
      {"service": "callgate.v1.CallService", "method": "GetCall"},
      {"service": "callgate.v1.ParticipantService", "method": "ListParticipants"},
      {"service": "callgate.v1.ParticipantService", "method": "GetParticipant"}
    ],
    "retryPolicy": {
      "maxAttempts": 5,
      "initialBackoff": "0.1s",
      "maxBackoff": "2s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
}`

// Keepalive: the gateway allows a ping every 10 s at the most, with or without streams, and
// sends a GOAWAY to a client that pings more often. Every 30 s finds a connection that a NAT or
// a load balancer dropped within 40 s, including one that only carries an idle Watch.
var defaultKeepalive = keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second, PermitWithoutStream: true}

// Reconnecting to a gateway that restarts takes about a quarter second, not gRPC's default of a
// second, growing to 20 s while it stays away.
var defaultConnectParams = grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 250 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 20 * time.Second},
	MinConnectTimeout: 20 * time.Second,
}

// maxResponseBytes lets the largest answer through: ListParticipants of a full call.
const maxResponseBytes = 16 << 20

// Client is a connection to callgate (one or several replicas behind one target) with the calls
// that every service needs: typed RPCs that fill request_id and retry safely, Watch and
// WatchIncoming that resume on their own. It is safe for concurrent use; make one per target and
// share it.
type Client struct {
	conn           *grpc.ClientConn
	calls          callgatev1.CallServiceClient
	participants   callgatev1.ParticipantServiceClient
	retry          RetryPolicy
	attemptTimeout time.Duration
}

// New makes a client of the gateway at target, a gRPC target: "callgate.internal:9090" or
// "dns:///callgate.internal:9090" (every A record is a replica), "127.0.0.1:9090". It does not
// connect: the first call does, and every call reconnects as needed, so New fails only on bad
// options. ctx is checked, not kept.
//
// Without options it talks TLS with the system's roots and sends no credentials; use
// WithInsecure for `callgate dev`.
func New(ctx context.Context, target string, opts ...Option) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case cfg.insecure && cfg.tlsSet:
		cfg.errs = append(cfg.errs, errors.New("WithInsecure and WithTLS are exclusive"))
	case cfg.credentials > 1:
		cfg.errs = append(cfg.errs, errors.New("give one of WithBearerToken and WithAPIKey: both set the authorization header"))
	}
	if err := errors.Join(cfg.errs...); err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	transport := insecure.NewCredentials()
	if !cfg.insecure {
		tc := cfg.tls
		if tc == nil {
			tc = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		transport = credentials.NewTLS(tc)
	}
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(transport),
		grpc.WithDefaultServiceConfig(DefaultServiceConfig),
		grpc.WithKeepaliveParams(defaultKeepalive),
		grpc.WithConnectParams(defaultConnectParams),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxResponseBytes)),
	}
	if cfg.tokens != nil {
		dial = append(dial, grpc.WithPerRPCCredentials(bearer{tokens: cfg.tokens, insecure: cfg.insecure}))
	}
	conn, err := grpc.NewClient(target, append(dial, cfg.dial...)...)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	c := &Client{
		conn:           conn,
		calls:          callgatev1.NewCallServiceClient(conn),
		participants:   callgatev1.NewParticipantServiceClient(conn),
		retry:          cfg.retry.withDefaults(),
		attemptTimeout: cfg.attemptTimeout,
	}
	if c.attemptTimeout <= 0 {
		c.attemptTimeout = DefaultAttemptTimeout
	}
	return c, nil
}

// Close closes the connection; calls in flight fail with CANCELED.
func (c *Client) Close() error { return c.conn.Close() }

// Conn is the underlying connection, for other services the gateway serves (health, reflection).
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Calls is the generated CallService client on the same connection: every RPC as generated,
// without the client's request IDs, retries or resumption.
func (c *Client) Calls() callgatev1.CallServiceClient { return c.calls }

// Participants is the generated ParticipantService client on the same connection.
func (c *Client) Participants() callgatev1.ParticipantServiceClient { return c.participants }
