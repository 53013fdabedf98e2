package emulator

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"
)

// The control API's audio: a WAV streamed as a participant's voice, and the audio an
// application sent on its bidirectional streams, read back as WAV.
//
//	PUT /emulator/v1/calls/{id}/participants/{rawId}/audio   (body: a 16-bit PCM WAV)
//	GET /emulator/v1/calls/{id}/media/received[?minBytes=N]   (answer: a WAV)

// maxReceivedWait bounds how long a read-back waits for minBytes.
const maxReceivedWait = 30 * time.Second

func (e *Emulator) controlMediaRoutes(mux *http.ServeMux) {
	mux.HandleFunc("PUT /emulator/v1/calls/{id}/participants/{rawId}/audio", e.ctlParticipantAudio)
	mux.HandleFunc("GET /emulator/v1/calls/{id}/media/received", e.ctlReceivedAudio)
}

// ctlParticipantAudio streams a WAV as a participant's voice, after what it is already saying.
// 409 when nothing takes the call's audio (no media stream, transcription or recording runs).
func (e *Emulator) ctlParticipantAudio(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxVoiceWAV))
	if err != nil {
		writeControlError(w, http.StatusRequestEntityTooLarge, "the WAV is larger than ten minutes of 48 kHz stereo")
		return
	}
	samples, err := parseWAV(body)
	if err != nil {
		writeControlError(w, http.StatusBadRequest, "the body is not a WAV the emulator takes: "+err.Error())
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, rawID, ok := e.controlParticipantLocked(w, r, "it has no voice of its own")
	if !ok {
		return
	}
	v := c.conv
	if v.hub == nil || !v.hub.voice(rawID, samples) {
		writeControlError(w, http.StatusConflict, "nothing takes the call's audio: start media streaming, transcription or a recording first")
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"durationMs": len(samples) * 1000 / mediaRate})
}

// ctlReceivedAudio answers what the call connection's application sent on bidirectional
// streams, as a WAV at the stream's rate; with minBytes it waits (up to 30 s) until that much
// audio has come.
func (e *Emulator) ctlReceivedAudio(w http.ResponseWriter, r *http.Request) {
	minBytes := 0
	if s := r.URL.Query().Get("minBytes"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > maxReceivedBytes {
			writeControlError(w, http.StatusBadRequest, "minBytes must be a byte count of at most ten minutes of 24 kHz audio")
			return
		}
		minBytes = n
	}
	e.mu.Lock()
	c, ok := e.calls[r.PathValue("id")]
	var rec *receivedAudio
	if ok {
		rec = c.received
	}
	e.mu.Unlock()
	if !ok || rec == nil {
		writeControlError(w, http.StatusNotFound, "no such call connection")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), maxReceivedWait)
	defer cancel()
	data, rate := rec.wait(ctx, minBytes)
	if rate == 0 {
		rate = 16000
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("X-Received-Bytes", strconv.Itoa(len(data)))
	_, _ = w.Write(wavFile(pcmSamples(data), 1, rate))
}
