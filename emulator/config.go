package emulator

import (
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"time"

	"go.uber.org/zap"
)

// Config configures an Emulator. The zero value of every field but AccessKey
// has a working default.
type Config struct {
	// AccessKey is the raw HMAC key (the connection string carries its base64).
	AccessKey []byte

	// BaseURL is where clients reach the emulator ("http://127.0.0.1:8090").
	// When empty, Serve takes it from its listener, or the first request
	// sets it from its Host; SetBaseURL fixes it explicitly.
	BaseURL string

	// ResourceID is the GUID of the simulated Communication Services
	// resource: the audience of callback tokens and the prefix of the
	// resource's own ACS user IDs ("8:acs:<ResourceID>_..."). Default: derived
	// from the access key, so it is stable across restarts with the same key.
	ResourceID string

	// Issuer and Audience of the callback JWTs. Defaults: the base URL and
	// the resource ID (the live service uses its own host and the resource's
	// immutable ID the same way).
	Issuer, Audience string

	// AnswerDelay is how long a simulated endpoint rings before it answers
	// (or declines, or is busy) unless the control API scripts another
	// delay. Zero answers at once.
	AnswerDelay time.Duration

	// InvitationTimeout is the ring timeout of an invitation that gives none:
	// create call targets, transfers, and add participant without
	// invitationTimeoutInSeconds. Default 60s.
	InvitationTimeout time.Duration

	// IncomingCallTimeout is how long a simulated incoming call waits to be
	// answered, rejected or redirected before the caller gives up. Default 60s.
	IncomingCallTimeout time.Duration

	// EventGridWebhook is the Event Grid subscription endpoint that receives
	// Microsoft.Communication.IncomingCall and RecordingFileStatusUpdated events (optional).
	EventGridWebhook string
	// IncomingCallWebhook is EventGridWebhook under its former name; EventGridWebhook wins.
	IncomingCallWebhook string

	// PhoneNumbers are the numbers the simulated resource owns. A redirect to
	// one of them (or to an ACS user of the resource) raises a new
	// IncomingCall, as the service does.
	PhoneNumbers []string

	// RepeatabilityWindow is how long a Repeatability-Request-ID is
	// remembered. Default 5 minutes.
	RepeatabilityWindow time.Duration

	// AllowInsecureCallbacks accepts http:// callback URIs on any host. The
	// service accepts only https://; the emulator always accepts http:// on
	// loopback hosts, and on others only with this set.
	AllowInsecureCallbacks bool

	// CallbackTimeout bounds one callback POST. Default 10s.
	CallbackTimeout time.Duration
	// CallbackMaxAttempts bounds the deliveries of one event. Default 5.
	CallbackMaxAttempts int
	// CallbackRetryBackoff is the wait before the first retry; it doubles
	// up to 16 times that. Default 250ms.
	CallbackRetryBackoff time.Duration
	// CallbackTokenReuse lets deliveries within this long share one bearer
	// token. Zero (the default) signs a new token per delivery, as the
	// service does; RSA signing costs about 1-2 ms of CPU, so load tests
	// that push thousands of callbacks a second set a second or so here to
	// keep the emulator from being their bottleneck.
	CallbackTokenReuse time.Duration
	// CallbackInsecureSkipVerify trusts any certificate on https callbacks
	// (a gateway on a self-signed certificate).
	CallbackInsecureSkipVerify bool

	// Faults makes the emulator misbehave the way networks and throttled
	// services do.
	Faults FaultConfig

	// Logger receives structured logs; nil logs nothing.
	Logger *zap.Logger

	// signingKey replaces the key made at start-up (tests share one:
	// RSA key generation dominates their run time under -race).
	signingKey *rsa.PrivateKey
}

// FaultConfig injects failures. Rates are shares between 0 and 1.
type FaultConfig struct {
	// ThrottleRate of REST requests is answered 429 with Retry-After.
	ThrottleRate float64
	// UnavailableRate of REST requests is answered 503 with Retry-After.
	UnavailableRate float64
	// RetryAfter is the Retry-After of those answers (whole seconds,
	// rounded up). Default 1s.
	RetryAfter time.Duration
	// Latency is added before every REST answer.
	Latency time.Duration

	// DuplicateRate of callback events is delivered twice (same event id).
	DuplicateRate float64
	// LateRate of callback events is held back for LateDelay while the
	// call's later events go ahead, so it arrives after them.
	LateRate float64
	// LateDelay is how long a late event is held. Default 500ms.
	LateDelay time.Duration
	// ReorderRate of callback events swaps places with the call's next
	// queued event, when there is one.
	ReorderRate float64

	// Seed makes the fault choices reproducible; zero seeds from the clock.
	Seed uint64
}

func (c *Config) applyDefaults() error {
	if len(c.AccessKey) == 0 {
		return errors.New("emulator: AccessKey is required")
	}
	if c.ResourceID == "" {
		c.ResourceID = derivedUUID(c.AccessKey, "resource")
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("emulator: BaseURL %q is not an http(s) URL", c.BaseURL)
		}
	}
	if c.AnswerDelay < 0 {
		return errors.New("emulator: AnswerDelay is negative")
	}
	if c.InvitationTimeout <= 0 {
		c.InvitationTimeout = 60 * time.Second
	}
	if c.IncomingCallTimeout <= 0 {
		c.IncomingCallTimeout = 60 * time.Second
	}
	if c.RepeatabilityWindow <= 0 {
		c.RepeatabilityWindow = 5 * time.Minute
	}
	if c.CallbackTimeout <= 0 {
		c.CallbackTimeout = 10 * time.Second
	}
	if c.CallbackMaxAttempts <= 0 {
		c.CallbackMaxAttempts = 5
	}
	if c.CallbackTokenReuse < 0 || c.CallbackTokenReuse > time.Minute {
		return errors.New("emulator: CallbackTokenReuse must be between 0 and 1m")
	}
	if c.CallbackRetryBackoff <= 0 {
		c.CallbackRetryBackoff = 250 * time.Millisecond
	}
	if c.EventGridWebhook == "" {
		c.EventGridWebhook = c.IncomingCallWebhook
	}
	if c.EventGridWebhook != "" {
		if _, err := parseCallbackURI(c.EventGridWebhook, true); err != nil {
			return fmt.Errorf("emulator: EventGridWebhook: %w", err)
		}
	}
	for _, n := range c.PhoneNumbers {
		if !validPhoneNumber(n) {
			return fmt.Errorf("emulator: phone number %q is not E.164", n)
		}
	}
	f := &c.Faults
	for name, v := range map[string]float64{
		"ThrottleRate": f.ThrottleRate, "UnavailableRate": f.UnavailableRate,
		"DuplicateRate": f.DuplicateRate, "LateRate": f.LateRate, "ReorderRate": f.ReorderRate,
	} {
		if v < 0 || v > 1 {
			return fmt.Errorf("emulator: Faults.%s %v is not between 0 and 1", name, v)
		}
	}
	if f.ThrottleRate+f.UnavailableRate > 1 {
		return errors.New("emulator: Faults.ThrottleRate + UnavailableRate exceed 1")
	}
	if f.RetryAfter <= 0 {
		f.RetryAfter = time.Second
	}
	if f.LateDelay <= 0 {
		f.LateDelay = 500 * time.Millisecond
	}
	if f.Latency < 0 {
		return errors.New("emulator: Faults.Latency is negative")
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return nil
}

// derivedUUID makes a stable, UUID-shaped value from the key, so the resource
// ID and the application identity survive a restart with the same key
// without revealing anything about it.
func derivedUUID(key []byte, purpose string) string {
	h := sha256.New()
	h.Write([]byte("callgate-emulator/" + purpose + "/"))
	h.Write(key)
	return formatUUID(h.Sum(nil))
}
