package acs

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Credential authenticates requests to ACS. The client calls Authorize once
// per attempt, after every other header is set, with the exact body bytes.
type Credential interface {
	Authorize(ctx context.Context, req *http.Request, body []byte) error
}

// CredentialError reports that the gateway could not authenticate itself:
// an unusable key or a token that could not be acquired. Its text never
// holds a key or a token.
type CredentialError struct {
	Err error
}

func (e *CredentialError) Error() string { return "acs: credential: " + e.Err.Error() }
func (e *CredentialError) Unwrap() error { return e.Err }

// KeyCredential signs requests with HMAC-SHA256 from an ACS access key.
type KeyCredential struct {
	key     []byte
	signers sync.Pool // *signer: a keyed hmac.New and its scratch space cost several allocations
}

// signer is the reusable state of one signature.
type signer struct {
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// NewKeyCredential returns an HMAC credential for the decoded access key
// (the bytes of base64-decoding the connection string's accesskey). The
// slice is copied.
func NewKeyCredential(key []byte) (*KeyCredential, error) {
	if len(key) == 0 {
		return nil, &CredentialError{Err: errors.New("access key is empty")}
	}
	k := &KeyCredential{key: append([]byte(nil), key...)}
	k.signers.New = func() any { return &signer{mac: hmac.New(sha256.New, k.key), buf: make([]byte, 0, 256)} }
	return k, nil
}

// NewKeyCredentialFromBase64 decodes a base64 access key, as found in the
// connection string and the Azure portal.
func NewKeyCredentialFromBase64(accessKey string) (*KeyCredential, error) {
	key, err := base64.StdEncoding.DecodeString(accessKey)
	if err != nil {
		return nil, &CredentialError{Err: errors.New("access key is not valid base64")}
	}
	return NewKeyCredential(key)
}

// String keeps the key out of logs and %v output.
func (k *KeyCredential) String() string { return "acs.KeyCredential{key: redacted}" }

// GoString keeps the key out of %#v output.
func (k *KeyCredential) GoString() string { return k.String() }

// Authorize sets x-ms-date, x-ms-content-sha256 and the HMAC Authorization
// header. Each attempt is signed afresh, with a new date.
func (k *KeyCredential) Authorize(_ context.Context, req *http.Request, body []byte) error {
	date := time.Now().UTC().Format(http.TimeFormat)
	sum := sha256.Sum256(body)
	var hashBuf [44]byte // base64 of 32 bytes
	base64.StdEncoding.Encode(hashBuf[:], sum[:])
	contentHash := string(hashBuf[:])
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	vals := []string{date, contentHash, k.authorization(req.Method, req.URL.RequestURI(), host, date, contentHash)}
	req.Header["X-Ms-Date"] = vals[0:1:1]
	req.Header["X-Ms-Content-Sha256"] = vals[1:2:2]
	req.Header["Authorization"] = vals[2:3:3]
	return nil
}

// authorization returns the Authorization header value for the request.
func (k *KeyCredential) authorization(method, pathAndQuery, host, date, contentHash string) string {
	s := k.signers.Get().(*signer)
	s.mac.Reset()
	b := append(s.buf[:0], method...)
	b = append(b, '\n')
	b = append(b, pathAndQuery...)
	b = append(b, '\n')
	b = append(b, date...)
	b = append(b, ';')
	b = append(b, host...)
	b = append(b, ';')
	b = append(b, contentHash...)
	s.mac.Write(b)
	var sig [44]byte
	base64.StdEncoding.Encode(sig[:], s.mac.Sum(s.sum[:0]))
	s.buf = b[:0]
	k.signers.Put(s)
	return hmacAuthPrefix + string(sig[:])
}

// TokenScope is the Entra ID scope of the ACS data plane (the double slash is
// part of it, as in the official SDKs).
const TokenScope = "https://communication.azure.com//.default"

// tokenRefreshMargin is how long before expiry a cached token is replaced
// when the credential gives no RefreshOn hint.
const tokenRefreshMargin = 5 * time.Minute

// TokenCredential authorizes requests with Microsoft Entra ID bearer tokens,
// for deployments using a managed identity or a service principal. Tokens are
// cached and refreshed shortly before they expire; one refresh runs at a time.
type TokenCredential struct {
	source azcore.TokenCredential
	slot   chan struct{} // one token request at a time; a channel so waiters honour ctx

	mu    sync.Mutex
	token azcore.AccessToken
}

// NewTokenCredential wraps an azcore credential, typically from azidentity
// (NewManagedIdentityCredential, NewDefaultAzureCredential, ...).
func NewTokenCredential(source azcore.TokenCredential) (*TokenCredential, error) {
	if source == nil {
		return nil, &CredentialError{Err: errors.New("token source is nil")}
	}
	return &TokenCredential{source: source, slot: make(chan struct{}, 1)}, nil
}

// String keeps the cached token out of logs and %v output.
func (t *TokenCredential) String() string { return "acs.TokenCredential{token: redacted}" }

// GoString keeps the cached token out of %#v output.
func (t *TokenCredential) GoString() string { return t.String() }

// Authorize sets "Authorization: Bearer <token>". Bearer tokens are only sent
// over https, or plain http to a loopback host (local emulators).
func (t *TokenCredential) Authorize(ctx context.Context, req *http.Request, _ []byte) error {
	if req.URL.Scheme != "https" && !isLoopback(req.URL.Hostname()) {
		return &CredentialError{Err: errors.New("refusing to send a bearer token over plain http to a non-loopback host")}
	}
	tok, err := t.get(ctx)
	if err != nil {
		return err
	}
	req.Header["Authorization"] = []string{"Bearer " + tok}
	return nil
}

func (t *TokenCredential) cached() azcore.AccessToken {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.token
}

func refreshDue(tok azcore.AccessToken, now time.Time) bool {
	if tok.Token == "" {
		return true
	}
	if !tok.RefreshOn.IsZero() {
		return !now.Before(tok.RefreshOn)
	}
	return !now.Before(tok.ExpiresOn.Add(-tokenRefreshMargin))
}

func usable(tok azcore.AccessToken, now time.Time) bool {
	return tok.Token != "" && now.Before(tok.ExpiresOn.Add(-30*time.Second))
}

func (t *TokenCredential) get(ctx context.Context) (string, error) {
	cur := t.cached()
	now := time.Now()
	if !refreshDue(cur, now) {
		return cur.Token, nil
	}
	if usable(cur, now) {
		// Refresh early, but let nobody wait for it while the old token works.
		select {
		case t.slot <- struct{}{}:
		default:
			return cur.Token, nil
		}
	} else {
		select {
		case t.slot <- struct{}{}:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	defer func() { <-t.slot }()

	// Another caller may have refreshed while this one waited.
	if cur = t.cached(); !refreshDue(cur, time.Now()) {
		return cur.Token, nil
	}
	fresh, err := t.source.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{TokenScope}})
	if err != nil {
		if usable(cur, time.Now()) {
			return cur.Token, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return "", ctxErr
		}
		return "", &CredentialError{Err: err}
	}
	if fresh.Token == "" {
		return "", &CredentialError{Err: errors.New("token source returned an empty token")}
	}
	t.mu.Lock()
	t.token = fresh
	t.mu.Unlock()
	return fresh.Token, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
