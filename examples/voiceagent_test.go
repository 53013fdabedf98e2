package examples_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// A call rings; the program answers it with media streaming and transcription to its own
// WebSocket server, hears the caller's audio, sends audio back (which the emulator plays into the
// call: its control API reads it back), prints what the caller says, and stops once the call
// ended.
func TestVoiceAgentAgainstCallgateDev(t *testing.T) {
	grpcAddr, emulatorURL := startDev(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const caller = "4:+14255550100"

	p := run(t, ctx, "voiceagent", "-target", grpcAddr, "-insecure", "-calls", "1")
	p.expect(`^ready: streams to ws://`)
	ring(t, ctx, emulatorURL, caller)
	call := p.expect(`^call (\S+) from ` + regexp.QuoteMeta(caller) + `: answered$`)[1]
	p.expect(`^call ` + call + `: audio at 16000 Hz$`)
	control(t, ctx, emulatorURL, http.MethodPost, "/calls/"+call+"/participants/"+url.PathEscape(caller)+"/say", map[string]string{"text": "I need help with my bill"}, nil)
	p.expect(`^call ` + call + `: sent 200 ms of audio back$`)
	p.expect(`^call ` + call + `: caller said: I need help with my bill$`)
	// What the program sent reached the call: 200 ms at 16 kHz.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, emulatorURL+"/emulator/v1/calls/"+call+"/media/received?minBytes=6400", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	wav, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(wav) != 44+6400 {
		t.Errorf("the emulator received %d bytes of the program's audio, want 6400", len(wav)-44)
	}
	control(t, ctx, emulatorURL, http.MethodPost, "/calls/"+call+"/participants/"+url.PathEscape(caller)+"/hangUp", nil, nil)
	p.expect(`^call ` + call + `: ended \(200/5002\)$`)
	p.wait()
}
