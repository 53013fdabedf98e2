package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/callgate/callgate/client"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// readme is the Go block of README.md's "Go client" section, the target a parameter instead of
// "localhost:9090": TestREADMEGoClientIsThisCode holds them to the same text.
func readme(ctx context.Context, target string) error {
	c, err := client.New(ctx, target, client.WithInsecure()) // callgate dev; TLS by default
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.CreateCall(ctx, &callgatev1.CreateCallRequest{
		Targets:              []*callgatev1.CommunicationIdentifier{client.Phone("+16471234567")},
		SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: "+18005550100"},
	}, client.Wait(30*time.Second)) // answers once connected; retried without a second call
	if err != nil {
		return err
	}
	for ev, err := range c.Watch(ctx, res.GetCall().GetCallConnectionId()) { // resumes on its own
		if err != nil {
			return err
		}
		fmt.Println(ev.GetSequence(), ev.GetType()) // until CallDisconnected
	}
	return nil
}

func TestREADMEGoClientIsThisCode(t *testing.T) {
	md, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Go client\n.*?```go\n(.*?)```\n").FindSubmatch(md)
	if m == nil {
		t.Fatal("README.md has no Go block in a \"Go client\" section")
	}
	src, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile("(?s)\nfunc readme\\(ctx context.Context, target string\\) error \\{\n(.*?)\treturn nil\n\\}\n").FindSubmatch(src)[1]
	want := strings.ReplaceAll(string(bytes.ReplaceAll(body, []byte("\n\t"), []byte("\n"))), "client.New(ctx, target,", `client.New(ctx, "localhost:9090",`)
	want = strings.TrimPrefix(want, "\t")
	if got := string(m[1]); got != want {
		t.Fatalf("README.md's Go client block differs from readme() in readme_test.go:\n%s\nwant:\n%s", got, want)
	}
}

// The README's lines run: the call is placed, and its events come until the callee hangs up.
func TestREADMEGoClientRuns(t *testing.T) {
	placed := make(chan string, 1)
	// The test learns the call's ID from ACS's answer, to hang the callee up.
	front := &acsFront{match: isCreateCall, fault: func(_ int, w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var call struct {
			CallConnectionID string `json:"callConnectionId"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &call)
		placed <- call.CallConnectionID
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return true
	}}
	cl := newCluster(t, withUpstream(front.wrap))
	ctx := testContext(t)
	hungUp := make(chan error, 1)
	go func() {
		callID := <-placed
		for ev, err := range dial(t, cl.Target()).Watch(ctx, callID) {
			if err != nil {
				hungUp <- err
				return
			}
			if ev.GetParticipantsUpdated() != nil {
				hungUp <- cl.control(ctx, http.MethodPost, "/calls/"+callID+"/participants/4:+16471234567/hangUp", nil, nil)
				return
			}
		}
	}()
	if err := readme(ctx, cl.Target()); err != nil {
		t.Fatal(err)
	}
	if err := <-hungUp; err != nil {
		t.Fatal(err)
	}
}
