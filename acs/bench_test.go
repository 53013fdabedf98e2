package acs

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

const benchKey = "ZW11bGF0b3ItYWNjZXNzLWtleS0wMTIzNDU2Nzg5"

func benchCreateCall() *CreateCallRequest {
	return &CreateCallRequest{
		Targets:              []Identifier{PhoneNumber("+18008008800"), CommunicationUser("8:acs:user-b")},
		SourceCallerIDNumber: CallerID("+18888888888"),
		SourceDisplayName:    "Contoso",
		OperationContext:     "bench",
		CallbackURI:          "https://app.example/events",
	}
}

// BenchmarkBuildAndSign covers everything CreateCall does before the bytes
// leave: validation, URL, JSON body, IDs, headers and the HMAC signature.
func BenchmarkBuildAndSign(b *testing.B) {
	cred, err := NewKeyCredentialFromBase64(benchKey)
	if err != nil {
		b.Fatal(err)
	}
	c, err := NewClient(Config{Endpoint: "https://res.communication.azure.com/", Credential: cred})
	if err != nil {
		b.Fatal(err)
	}
	req := benchCreateCall()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		u, err := c.requestURL("/calling/callConnections")
		if err != nil {
			b.Fatal(err)
		}
		cl := &call{op: "CreateCall", method: http.MethodPost, url: u, body: req, repeat: &req.Repeatability}
		body, ids, err := c.prepare(cl)
		if err != nil {
			b.Fatal(err)
		}
		r := c.newRequest(ctx, cl, body, &ids)
		if err := cred.Authorize(ctx, r, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign is the HMAC alone (pooled hasher) against ComputeSignature.
func BenchmarkSign(b *testing.B) {
	cred, _ := NewKeyCredentialFromBase64(benchKey)
	const target = "/calling/callConnections/conn-1/participants:add?api-version=2026-03-12"
	const date = "Tue, 24 Nov 2026 00:26:47 GMT"
	const hash = "gmIuBDFqgCoo76kwM+v6LOPBJ7ndYi8Xkvcf2jmTOys="
	b.Run("KeyCredential", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = cred.authorization("POST", target, "127.0.0.1:42909", date, hash)
		}
	})
	b.Run("ComputeSignature", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = ComputeSignature(cred.key, "POST", target, "127.0.0.1:42909", date, hash)
		}
	})
}

// BenchmarkRoundTrip is a whole CreateCall against a loopback server
// answering with the OpenAPI example body.
func BenchmarkRoundTrip(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "shared", "spec", "callautomation", "2026-03-12", "examples", "CreateCall.json"))
	if err != nil {
		b.Fatal(err)
	}
	var ex struct {
		Responses map[string]struct {
			Body json.RawMessage `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(data, &ex); err != nil {
		b.Fatal(err)
	}
	resp := []byte(ex.Responses["201"].Body)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(resp)
	}))
	defer srv.Close()
	c, err := NewClientFromConnectionString("endpoint="+srv.URL+"/;accesskey="+benchKey, Config{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.CreateCall(ctx, benchCreateCall()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.CreateCall(ctx, benchCreateCall()); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
