package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/callgate/callgate/emulator"
)

// emulatorPhoneNumbers collects repeated or comma-separated --phone-number flags.
type emulatorPhoneNumbers []string

func (p *emulatorPhoneNumbers) String() string { return strings.Join(*p, ",") }

func (p *emulatorPhoneNumbers) Set(v string) error {
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); n != "" {
			*p = append(*p, n)
		}
	}
	return nil
}

// runEmulator is `callgate emulator`: the ACS Call Automation emulator alone,
// serving until ctx is done. It prints the connection string that reaches it.
func runEmulator(ctx context.Context, args []string, stdout io.Writer, log *zap.Logger) error {
	fs := flag.NewFlagSet("callgate emulator", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8090", "address to listen on (host:port; port 0 picks a free one)")
	accessKey := fs.String("access-key", "", "base64 access key of the connection string (default: a random one, printed)")
	answerDelay := fs.Duration("answer-delay", time.Second, "how long simulated endpoints ring before they answer")
	invitationTimeout := fs.Duration("invitation-timeout", 60*time.Second, "ring timeout of invitations that give none (create call, transfer, add participant)")
	incomingTimeout := fs.Duration("incoming-call-timeout", 60*time.Second, "how long a simulated incoming call waits to be answered")
	webhook := fs.String("event-grid-webhook", "", "Event Grid webhook URL that receives IncomingCall and RecordingFileStatusUpdated events")
	// The flag's former name, kept working.
	fs.StringVar(webhook, "incoming-call-webhook", "", "alias of --event-grid-webhook")
	resourceID := fs.String("resource-id", "", "GUID of the simulated resource: audience of callback tokens (default: derived from the access key)")
	var phones emulatorPhoneNumbers
	fs.Var(&phones, "phone-number", "E.164 number owned by the simulated resource (repeatable or comma-separated)")
	useTLS := fs.Bool("tls", false, "serve https with a self-signed certificate")
	certOut := fs.String("tls-cert-out", "", "with --tls, write the certificate (PEM) to this file so clients can trust it")
	insecureCallbacks := fs.Bool("allow-insecure-callbacks", false, "accept http:// callback URIs on any host (always accepted on loopback)")
	tokenReuse := fs.Duration("callback-token-reuse", 0, "let callbacks within this long share one bearer token (0: a new token per delivery, as ACS; set ~1s for load tests)")
	skipVerify := fs.Bool("callback-insecure-skip-verify", false, "trust any certificate of https callback receivers")
	repeatWindow := fs.Duration("repeatability-window", 5*time.Minute, "how long a Repeatability-Request-ID is remembered")
	throttle := fs.Float64("fault-throttle-rate", 0, "share (0..1) of REST requests answered 429 with Retry-After")
	unavailable := fs.Float64("fault-unavailable-rate", 0, "share (0..1) of REST requests answered 503 with Retry-After")
	retryAfter := fs.Duration("fault-retry-after", time.Second, "Retry-After of injected 429/503 answers")
	latency := fs.Duration("fault-latency", 0, "latency added to every REST request")
	duplicate := fs.Float64("fault-duplicate-rate", 0, "share (0..1) of callback events delivered twice")
	late := fs.Float64("fault-late-rate", 0, "share (0..1) of callback events held back so later events overtake them")
	lateDelay := fs.Duration("fault-late-delay", 500*time.Millisecond, "how long a late callback event is held back")
	reorder := fs.Float64("fault-reorder-rate", 0, "share (0..1) of callback events swapped with the call's next event")
	seed := fs.Uint64("fault-seed", 0, "seed of the fault choices (0: from the clock)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("callgate emulator: unexpected argument %q", fs.Arg(0))
	}
	if *certOut != "" && !*useTLS {
		return errors.New("callgate emulator: --tls-cert-out needs --tls")
	}

	var key []byte
	if *accessKey == "" {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("callgate emulator: making an access key: %w", err)
		}
	} else {
		var err error
		key, err = base64.StdEncoding.DecodeString(*accessKey)
		if err != nil || len(key) == 0 {
			return errors.New("callgate emulator: --access-key is not base64")
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("callgate emulator: listening on %s: %w", *addr, err)
	}
	baseURL := emulator.ListenerBaseURL(ln, *useTLS)
	em, err := emulator.New(emulator.Config{
		AccessKey:                  key,
		BaseURL:                    baseURL,
		ResourceID:                 *resourceID,
		AnswerDelay:                *answerDelay,
		InvitationTimeout:          *invitationTimeout,
		IncomingCallTimeout:        *incomingTimeout,
		EventGridWebhook:           *webhook,
		PhoneNumbers:               phones,
		RepeatabilityWindow:        *repeatWindow,
		AllowInsecureCallbacks:     *insecureCallbacks,
		CallbackInsecureSkipVerify: *skipVerify,
		CallbackTokenReuse:         *tokenReuse,
		Faults: emulator.FaultConfig{
			ThrottleRate:    *throttle,
			UnavailableRate: *unavailable,
			RetryAfter:      *retryAfter,
			Latency:         *latency,
			DuplicateRate:   *duplicate,
			LateRate:        *late,
			LateDelay:       *lateDelay,
			ReorderRate:     *reorder,
			Seed:            *seed,
		},
		Logger: log.Named("emulator"),
	})
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("callgate emulator: %w", err)
	}
	defer em.Close()

	fmt.Fprintf(stdout, "ACS Call Automation emulator on %s\n", baseURL)
	fmt.Fprintf(stdout, "connection string: %s\n", em.ConnectionString(baseURL))
	fmt.Fprintf(stdout, "callback tokens: issuer %s, audience %s, keys %s\n", em.Issuer(), em.Audience(), em.JWKSURL())
	fmt.Fprintf(stdout, "control API: %s/emulator/v1/\n", baseURL)

	if *useTLS {
		host, _, _ := net.SplitHostPort(ln.Addr().String())
		cert, pemBytes, err := emulator.SelfSignedCertificate(host, "localhost", "127.0.0.1", "::1")
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("callgate emulator: %w", err)
		}
		if *certOut != "" {
			if err := os.WriteFile(*certOut, pemBytes, 0o644); err != nil {
				_ = ln.Close()
				return fmt.Errorf("callgate emulator: writing certificate: %w", err)
			}
			fmt.Fprintf(stdout, "self-signed certificate written to %s\n", *certOut)
		}
		log.Info("emulator serving", zap.String("base_url", baseURL), zap.Bool("tls", true))
		return em.ServeTLS(ctx, ln, cert)
	}
	log.Info("emulator serving", zap.String("base_url", baseURL), zap.Bool("tls", false))
	return em.Serve(ctx, ln)
}
