package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
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
	body, _ := json.Marshal(map[string]any{"targets": []any{acsUser("8:acs:bench")}, "callbackUri": cb})
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
			body, _ := json.Marshal(map[string]any{"targets": []any{acsUser("8:acs:bench")}, "callbackUri": cb})
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
