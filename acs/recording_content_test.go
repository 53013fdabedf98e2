package acs_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/callgate/callgate/acs"
)

const storageLocation = "https://us-storage.asm.skype.com/v1/objects/0-eus-d2-3cca2175891f21c6c9a5975a12c0141c"

// The sdk-wire content captures are HMAC vectors too, for the content rule: the path without
// its query, and x-ms-host (the endpoint) where the host goes.
func TestContentSignatureMatchesSDKWireVectors(t *testing.T) {
	key := wireKey(t)
	for _, name := range contentWireFiles {
		w := loadWire(t, name)
		h := w.Headers
		path, _, _ := strings.Cut(w.URL, "?")
		sig := acs.ComputeSignature(key, w.Method, path, h["x-ms-host"], h["x-ms-date"], h["x-ms-content-sha256"])
		if got := acs.AuthorizationHeader(sig); got != h["authorization"] {
			t.Errorf("%s: Authorization = %s, SDK sent %s", name, got, h["authorization"])
		}
		if withQuery := acs.AuthorizationHeader(acs.ComputeSignature(key, w.Method, w.URL, h["x-ms-host"], h["x-ms-date"], h["x-ms-content-sha256"])); path != w.URL && withQuery == h["authorization"] {
			t.Errorf("%s: signing with the query gives the SDK's signature too; the vector proves nothing", name)
		}
	}
}

// contentServer is a TLS server standing in for ACS's storage host: the client's transport
// dials it whatever the host, as the SDK captures re-targeted the storage host.
type contentServer struct {
	*httptest.Server
	reqs chan recorded
}

func newContentServer(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) *contentServer {
	t.Helper()
	s := &contentServer{reqs: make(chan recorded, 16)}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.reqs <- recorded{Method: r.Method, RequestURI: r.RequestURI, Host: r.Host, Header: r.Header.Clone()}
		respond(w, r)
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// client is an acs client on endpoint whose every connection goes to the content server.
func (s *contentServer) client(t *testing.T, endpoint string) *acs.Client {
	t.Helper()
	transport := s.Client().Transport.(*http.Transport).Clone()
	addr := s.Listener.Addr().String()
	// The test certificate names example.com; the storage host is the point of the test.
	transport.TLSClientConfig.ServerName = "example.com"
	transport.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	hc := &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c, err := acs.NewClientFromConnectionString("endpoint="+endpoint+"/;accesskey="+wireAccessKey,
		acs.Config{HTTPClient: hc, Logger: zaptest.NewLogger(t), Retry: acs.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (s *contentServer) next(t *testing.T) recorded {
	t.Helper()
	select {
	case r := <-s.reqs:
		return r
	default:
		t.Fatal("no request reached the storage server")
		return recorded{}
	}
}

// The download and delete requests equal the SDK's: the storage URL's path and query, the
// storage host, OriginalUrl, x-ms-host the endpoint's host, Range for an offset, and a signature
// of the endpoint's rule.
func TestRecordingContentEqualsSDK(t *testing.T) {
	const endpointHost = "127.0.0.1:36317" // the captures' endpoint
	wav := []byte("RIFF....WAVEfmt ")
	srv := newContentServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusOK)
		case r.Header.Get("Range") != "":
			w.Header().Set("Content-Type", "audio/wav")
			w.Header().Set("Content-Range", "bytes 100-149/1000")
			w.WriteHeader(http.StatusPartialContent)
			_, _ = w.Write(wav)
		default:
			w.Header().Set("Content-Type", "audio/wav")
			_, _ = w.Write(wav)
		}
	})
	c := srv.client(t, "http://"+endpointHost)
	key := wireKey(t)
	for _, tc := range []struct {
		file string
		call func(ctx context.Context) error
	}{
		{"downloadRecording-toPath.json", func(ctx context.Context) error {
			d, err := c.DownloadRecording(ctx, &acs.DownloadRequest{Location: storageLocation + "/content/audio"})
			if err != nil {
				return err
			}
			defer d.Body.Close()
			got, err := io.ReadAll(d.Body)
			if string(got) != string(wav) || d.ContentType != "audio/wav" || d.Partial {
				t.Errorf("download read %q (%s, partial %v): %v", got, d.ContentType, d.Partial, err)
			}
			return err
		}},
		{"downloadRecording-range.json", func(ctx context.Context) error {
			d, err := c.DownloadRecording(ctx, &acs.DownloadRequest{Location: storageLocation + "/content/audio", Offset: 100, Length: 50})
			if err == nil {
				if !d.Partial {
					t.Error("a 206 is not reported partial")
				}
				d.Body.Close()
			}
			return err
		}},
		{"downloadRecording-query.json", func(ctx context.Context) error {
			d, err := c.DownloadRecording(ctx, &acs.DownloadRequest{Location: storageLocation + "/content/audio?sv=2024&sig=abc%2Bdef"})
			if err == nil {
				d.Body.Close()
			}
			return err
		}},
		{"deleteRecording.json", func(ctx context.Context) error { return c.DeleteRecording(ctx, storageLocation) }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			want := loadWire(t, tc.file)
			if err := tc.call(testContext(t)); err != nil {
				t.Fatal(err)
			}
			got := srv.next(t)
			if got.Method != want.Method || got.RequestURI != want.URL || got.Host != want.Headers["host"] {
				t.Errorf("%s %s (Host %s), SDK %s %s (Host %s)", got.Method, got.RequestURI, got.Host, want.Method, want.URL, want.Headers["host"])
			}
			for _, name := range []string{"originalurl", "x-ms-host", "accept", "range", "x-ms-content-sha256"} {
				if g, w := got.Header.Get(name), want.Headers[name]; g != w {
					t.Errorf("%s %q, SDK %q", name, g, w)
				}
			}
			for _, name := range []string{"content-length", "content-type", "repeatability-request-id"} {
				if g := got.Header.Get(name); g != "" {
					t.Errorf("%s %q sent, the SDK sends none", name, g)
				}
			}
			path, _, _ := strings.Cut(want.URL, "?")
			sig := acs.ComputeSignature(key, want.Method, path, endpointHost, got.Header.Get("x-ms-date"), got.Header.Get("x-ms-content-sha256"))
			if a := got.Header.Get("authorization"); a != acs.AuthorizationHeader(sig) {
				t.Errorf("Authorization %s is not the endpoint-host signature", a)
			}
		})
	}
}

// Only ACS's storage hosts (https) and the endpoint's own origin get the gateway's credentials.
func TestRecordingContentStaysOnACS(t *testing.T) {
	srv := newContentServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	c := srv.client(t, "http://127.0.0.1:36317")
	for _, loc := range []string{
		"https://evil.example/v1/objects/x/content/audio",
		"http://us-storage.asm.skype.com/v1/objects/x/content/audio",
		"https://user:pw@us-storage.asm.skype.com/v1/objects/x",
		"https://asm.skype.com.evil.example/v1/objects/x",
		"http://127.0.0.1:36318/v1/objects/x",
		"/v1/objects/x",
	} {
		_, err := c.DownloadRecording(testContext(t), &acs.DownloadRequest{Location: loc})
		if !errors.Is(err, acs.ErrForeignLocation) {
			t.Errorf("%s: %v, want ErrForeignLocation", loc, err)
		}
		if err := c.DeleteRecording(testContext(t), loc); !errors.Is(err, acs.ErrForeignLocation) {
			t.Errorf("delete %s: %v", loc, err)
		}
	}
	select {
	case r := <-srv.reqs:
		t.Errorf("a request went out: %s %s", r.Method, r.RequestURI)
	default:
	}
	// The endpoint's own origin (an emulator) is fine.
	u, _ := url.Parse(srv.URL)
	own := srv.client(t, srv.URL)
	if err := own.DeleteRecording(testContext(t), "https://"+u.Host+"/v1/objects/x"); err != nil {
		t.Errorf("the endpoint's origin: %v", err)
	}
}

// A delete answered 204 is an error, as it is to the SDK; a 404 is ACS's error.
func TestDeleteRecordingWantsOK(t *testing.T) {
	status := http.StatusNoContent
	srv := newContentServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) })
	c := srv.client(t, "http://127.0.0.1:36317")
	if err := c.DeleteRecording(testContext(t), storageLocation); acs.StatusCode(err) != http.StatusNoContent {
		t.Errorf("204: %v", err)
	}
	status = http.StatusNotFound
	if err := c.DeleteRecording(testContext(t), storageLocation); !acs.IsNotFound(err) {
		t.Errorf("404: %v", err)
	}
}

// A storage server that ignores Range and sends the whole file still gives the caller the bytes
// it asked for: the download never starts at the file's beginning as if it were at the offset.
func TestDownloadRangeIgnored(t *testing.T) {
	file := []byte("0123456789abcdefghij")
	srv := newContentServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(file) })
	c := srv.client(t, "http://127.0.0.1:36317")
	for _, tc := range []struct {
		offset, length int64
		want           string
	}{{0, 0, string(file)}, {5, 0, "56789abcdefghij"}, {5, 4, "5678"}, {18, 10, "ij"}} {
		d, err := c.DownloadRecording(testContext(t), &acs.DownloadRequest{Location: storageLocation, Offset: tc.offset, Length: tc.length})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(d.Body)
		_ = d.Body.Close()
		if err != nil || string(got) != tc.want || d.Partial || d.Size != int64(len(tc.want)) {
			t.Errorf("offset %d length %d: %q (size %d, partial %v, %v), want %q", tc.offset, tc.length, got, d.Size, d.Partial, err, tc.want)
		}
		if rng := srv.next(t).Header.Get("Range"); (tc.offset > 0) != (rng != "") {
			t.Errorf("offset %d: Range %q", tc.offset, rng)
		}
	}
	// Beyond the file's end is an error, not an empty success.
	if _, err := c.DownloadRecording(testContext(t), &acs.DownloadRequest{Location: storageLocation, Offset: 100}); err == nil {
		t.Error("offset past the end: no error")
	}
}
