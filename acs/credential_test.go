package acs_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"go.uber.org/zap/zaptest"

	"github.com/callgate/callgate/acs"
)

// tokenSource is an azcore.TokenCredential backed by a function.
type tokenSource struct {
	getToken func(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error)
}

func (s tokenSource) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return s.getToken(ctx, opts)
}

// scriptedTokens hands out tok-1, tok-2, ... with the given lifetimes and
// records the scopes asked for.
type scriptedTokens struct {
	mu        sync.Mutex
	lifetimes []time.Duration
	scopes    [][]string
}

func (s *scriptedTokens) source() tokenSource {
	return tokenSource{getToken: func(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.scopes = append(s.scopes, opts.Scopes)
		n := len(s.scopes)
		if n > len(s.lifetimes) {
			return azcore.AccessToken{}, errors.New("no more tokens")
		}
		return azcore.AccessToken{Token: fmt.Sprintf("tok-%d", n), ExpiresOn: time.Now().Add(s.lifetimes[n-1])}, nil
	}}
}

func (s *scriptedTokens) calls() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]string(nil), s.scopes...)
}

func newTokenClient(t *testing.T, endpoint string, src tokenSource) *acs.Client {
	t.Helper()
	cred, err := acs.NewTokenCredential(src)
	if err != nil {
		t.Fatal(err)
	}
	c, err := acs.NewClient(acs.Config{Endpoint: endpoint, Credential: cred, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEntraTokenIsSentAndCached(t *testing.T) {
	body := exampleBody(t, "CallConnection_GetCall.json", 200)
	srv := newFakeACS(t, nil, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, body)
	})
	// tok-1 lives an hour, so the second request reuses it.
	tokens := &scriptedTokens{lifetimes: []time.Duration{time.Hour, time.Hour}}
	c := newTokenClient(t, srv.URL, tokens.source())
	for range 2 {
		if _, err := c.GetCall(testContext(t), &acs.GetCallRequest{CallConnectionID: "conn-1"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		r := srv.next(t)
		if got := r.Header.Get("Authorization"); got != "Bearer tok-1" {
			t.Errorf("request %d Authorization %q, want Bearer tok-1", i+1, got)
		}
		if r.Header.Get("x-ms-content-sha256") != "" {
			t.Errorf("request %d carries HMAC headers with a bearer token", i+1)
		}
	}
	calls := tokens.calls()
	if len(calls) != 1 {
		t.Fatalf("%d token requests, want 1 (cached)", len(calls))
	}
	if len(calls[0]) != 1 || calls[0][0] != "https://communication.azure.com//.default" {
		t.Errorf("scopes %v, want [https://communication.azure.com//.default]", calls[0])
	}
}

func TestEntraTokenRefreshedBeforeExpiry(t *testing.T) {
	srv := newFakeACS(t, nil, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 204, nil) })
	// tok-1 lives two minutes: inside the five-minute refresh margin.
	tokens := &scriptedTokens{lifetimes: []time.Duration{2 * time.Minute, time.Hour}}
	c := newTokenClient(t, srv.URL, tokens.source())
	for range 3 {
		if err := c.HangUp(testContext(t), &acs.HangUpRequest{CallConnectionID: "conn-1"}); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"Bearer tok-1", "Bearer tok-2", "Bearer tok-2"}
	for i, w := range want {
		if got := srv.next(t).Header.Get("Authorization"); got != w {
			t.Errorf("request %d Authorization %q, want %q", i+1, got, w)
		}
	}
	if n := len(tokens.calls()); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

func TestEntraTokenFailureIsACredentialError(t *testing.T) {
	srv := newFakeACS(t, nil, func(w http.ResponseWriter, r *http.Request, n int) {
		t.Error("request sent without a token")
		reply(w, 500, nil)
	})
	c := newTokenClient(t, srv.URL, tokenSource{getToken: func(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
		return azcore.AccessToken{}, errors.New("IMDS unreachable")
	}})
	err := c.HangUp(testContext(t), &acs.HangUpRequest{CallConnectionID: "conn-1"})
	var ce *acs.CredentialError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *acs.CredentialError", err)
	}
}

// A bearer token never travels in clear text to a remote host. No network is
// used: the client refuses before dialling.
func TestEntraTokenRefusesPlainHTTPToRemoteHost(t *testing.T) {
	called := false
	c := newTokenClient(t, "http://acs.example.invalid", tokenSource{getToken: func(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
		called = true
		return azcore.AccessToken{Token: "secret-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
	}})
	err := c.HangUp(testContext(t), &acs.HangUpRequest{CallConnectionID: "conn-1"})
	var ce *acs.CredentialError
	if !errors.As(err, &ce) || called || strings.Contains(err.Error(), "secret-token") {
		t.Fatalf("err = %v (token fetched: %v)", err, called)
	}
}
