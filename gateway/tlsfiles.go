package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"
)

// tlsCheck is how often the files are looked at, on a handshake: no goroutine watches them.
const tlsCheck = time.Second

// TLSFiles serves a certificate pair, and with a client CA requires client certificates signed by
// it (mTLS). The files are read again when they change, as cert-manager rotates them: a handshake
// that finds them modified (at most every second) loads them; a pair that does not load keeps the
// last good one and logs why.
type TLSFiles struct {
	certFile, keyFile, caFile string
	log                       *zap.Logger

	mu      sync.Mutex
	checked time.Time
	stamps  [3]fileStamp
	config  *tls.Config
}

type fileStamp struct {
	mod  time.Time
	size int64
}

// LoadTLS reads the pair (and the client CA when caFile is not empty).
func LoadTLS(certFile, keyFile, caFile string, log *zap.Logger) (*TLSFiles, error) {
	if log == nil {
		log = zap.NewNop()
	}
	t := &TLSFiles{certFile: certFile, keyFile: keyFile, caFile: caFile, log: log}
	if err := t.load(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *TLSFiles) stampsNow() ([3]fileStamp, error) {
	var s [3]fileStamp
	for i, f := range []string{t.certFile, t.keyFile, t.caFile} {
		if f == "" {
			continue
		}
		fi, err := os.Stat(f)
		if err != nil {
			return s, err
		}
		s[i] = fileStamp{mod: fi.ModTime(), size: fi.Size()}
	}
	return s, nil
}

func (t *TLSFiles) load() error {
	stamps, err := t.stampsNow()
	if err != nil {
		return fmt.Errorf("TLS files: %w", err)
	}
	pair, err := tls.LoadX509KeyPair(t.certFile, t.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate and key: %w", err)
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
		// gRPC needs HTTP/2; REST clients may speak either.
		NextProtos: []string{"h2", "http/1.1"},
	}
	if t.caFile != "" {
		pem, err := os.ReadFile(t.caFile)
		if err != nil {
			return fmt.Errorf("TLS client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return errors.New("TLS client CA: no certificate in the file")
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	t.stamps, t.config = stamps, cfg
	return nil
}

// Config is the server side's tls.Config: each handshake gets the current files' config.
func (t *TLSFiles) Config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return t.current(), nil
		},
	}
}

// RequiresClientCertificates reports whether a client CA is configured.
func (t *TLSFiles) RequiresClientCertificates() bool { return t.caFile != "" }

func (t *TLSFiles) current() *tls.Config {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if now.Sub(t.checked) >= tlsCheck {
		t.checked = now
		if stamps, err := t.stampsNow(); err == nil && stamps != t.stamps {
			if err := t.load(); err != nil {
				t.log.Error("TLS files changed but do not load; the last good ones stay in use", zap.Error(err))
			} else {
				t.log.Info("TLS files reloaded", zap.String("cert_file", t.certFile))
			}
		}
	}
	return t.config
}
