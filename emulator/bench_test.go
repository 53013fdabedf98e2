package emulator

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// benchEnv is an emulator on loopback with a client sized for parallel
// load and a callback receiver that only answers 200.
func benchEnv(b *testing.B, tokenReuse time.Duration) (*Server, []byte, *http.Client, string) {
	b.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	srv, err := Start(Config{AccessKey: key, CallbackTokenReuse: tokenReuse}, "127.0.0.1:0", false)
	if err != nil {
		b.Fatal(err)
	}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 256
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	b.Cleanup(func() {
		_ = srv.Close()
		sink.Close()
		client.CloseIdleConnections()
	})
	return srv, key, client, sink.URL + "/cb"
}

func benchDo(b *testing.B, client *http.Client, key []byte, method, url string, body []byte, want int) []byte {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	signRequest(req, body, key, time.Now())
	resp, err := client.Do(req)
	if err != nil {
		b.Error(err)
		return nil
	}
	out, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != want {
		b.Errorf("%s %s: %d %s", method, url, resp.StatusCode, out)
	}
	return out
}

// BenchmarkGetCall measures signed GET /calling/callConnections/{id}
// requests per second over loopback, from parallel clients.
func BenchmarkGetCall(b *testing.B) {
	srv, key, client, cb := benchEnv(b, 0)
	body, _ := json.Marshal(map[string]any{"targets": []any{acsUser(user("bench"))}, "callbackUri": cb})
	out := benchDo(b, client, key, http.MethodPost, srv.URL+"/calling/callConnections?api-version="+DefaultAPIVersion, body, http.StatusCreated)
	var props callConnectionProperties
	if err := json.Unmarshal(out, &props); err != nil {
		b.Fatal(err)
	}
	url := srv.URL + "/calling/callConnections/" + props.CallConnectionID + "?api-version=" + DefaultAPIVersion
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchDo(b, client, key, http.MethodGet, url, nil, http.StatusOK)
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkCreateCall measures signed POST /calling/callConnections requests
// per second over loopback; every call rings, connects and posts
// CallConnected and ParticipantsUpdated to a loopback receiver meanwhile.
// "new-token" signs a token per delivery (the default, as ACS does);
// "token-reuse" shares one per second (Config.CallbackTokenReuse).
func BenchmarkCreateCall(b *testing.B) {
	for _, bc := range []struct {
		name  string
		reuse time.Duration
	}{{"new-token", 0}, {"token-reuse", time.Second}} {
		b.Run(bc.name, func(b *testing.B) {
			srv, key, client, cb := benchEnv(b, bc.reuse)
			body, _ := json.Marshal(map[string]any{"targets": []any{acsUser(user("bench"))}, "callbackUri": cb})
			url := srv.URL + "/calling/callConnections?api-version=" + DefaultAPIVersion
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					benchDo(b, client, key, http.MethodPost, url, body, http.StatusCreated)
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}

// BenchmarkCallbackToken is the CPU cost of one callback bearer token.
func BenchmarkCallbackToken(b *testing.B) {
	s, err := newTokenSigner(nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.sign("http://127.0.0.1:8090", "aud", time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// sunk is one callback a benchmark's receiver got.
type sunk struct {
	kind, callID string
	size         int
}

// BenchmarkCreateCallTargets measures one create call to n targets that all
// answer, its CallConnected and ParticipantsUpdated delivered, then its hang
// up and CallDisconnected: allocations and bytes of the whole process
// (emulator and receiver), and the callbacks' size per call. Both should
// grow linearly with n.
func BenchmarkCreateCallTargets(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			// One call is in flight at a time, with three callbacks; the
			// buffer only spares the receiver a wait on the benchmark.
			events := make(chan sunk, 16)
			sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				var evs []struct {
					Type string `json:"type"`
					Data struct {
						CallConnectionID string `json:"callConnectionId"`
					} `json:"data"`
				}
				if err := json.Unmarshal(body, &evs); err != nil || len(evs) != 1 {
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				select {
				case events <- sunk{kind: strings.TrimPrefix(evs[0].Type, eventTypePrefix), callID: evs[0].Data.CallConnectionID, size: len(body)}:
				case <-r.Context().Done():
				}
			}))
			b.Cleanup(sink.Close)
			key := make([]byte, 32)
			_, _ = rand.Read(key)
			srv, err := Start(Config{AccessKey: key, CallbackTokenReuse: time.Second}, "127.0.0.1:0", false)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = srv.Close() })
			client := &http.Client{Timeout: 30 * time.Second}
			targets := make([]any, n)
			for i := range targets {
				targets[i] = acsUser(user(fmt.Sprintf("t%d", i)))
			}
			body, _ := json.Marshal(map[string]any{"targets": targets, "callbackUri": sink.URL + "/cb"})
			base := srv.URL + "/calling/callConnections"
			query := "?api-version=" + DefaultAPIVersion

			await := func(ctx context.Context, callID string, want ...string) int {
				size := 0
				for _, kind := range want {
					select {
					case ev := <-events:
						if ev.callID != callID || ev.kind != kind {
							b.Fatalf("callback %s of %s, want %s of %s", ev.kind, ev.callID, kind, callID)
						}
						size += ev.size
					case <-ctx.Done():
						b.Fatalf("waiting for %s: %v", kind, ctx.Err())
					}
				}
				return size
			}
			calls, callbackBytes := 0, 0
			b.ReportAllocs()
			for b.Loop() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				var props callConnectionProperties
				if err := json.Unmarshal(benchDo(b, client, key, http.MethodPost, base+query, body, http.StatusCreated), &props); err != nil {
					b.Fatal(err)
				}
				callbackBytes += await(ctx, props.CallConnectionID, evCallConnected, evParticipantsUpdated)
				benchDo(b, client, key, http.MethodDelete, base+"/"+props.CallConnectionID+query, nil, http.StatusNoContent)
				callbackBytes += await(ctx, props.CallConnectionID, evCallDisconnected)
				cancel()
				calls++
			}
			// await took exactly three callbacks a call; their size is what grows.
			b.ReportMetric(float64(callbackBytes)/float64(calls), "callback-B/call")
		})
	}
}
