package emulator

import (
	"context"
	"strings"
	"sync"
	"time"
)

// mediaHub is the audio of one conversation: what its remote participants say (their voices),
// what applications play into it over bidirectional streams, and who takes it: media streams,
// transcriptions and recordings. Its clock ticks every 20 ms while anyone takes it, and each
// tick is one frame for all of them, so a recording is exactly as long as the frames it was
// active for, and a transcription's word offsets are where the words lie in the streamed audio.
//
// Lock order: Emulator.mu, then mediaHub.mu; the clock takes only mediaHub.mu.
type mediaHub struct {
	e *Emulator

	mu      sync.Mutex
	roster  []string              // remote participants' raw IDs, in roster order
	voices  map[string][]int16    // what each remote participant has still to say, at mediaRate
	played  map[*wsStream][]int16 // what each bidirectional stream's application plays
	streams map[*wsStream]bool    // media and transcription streams that take the audio
	recs    map[*recording]bool   // recordings that record (not paused)
	results []pendingResult       // transcription results, by the frame they are due
	frame   int64                 // frames ticked since the hub started
	running bool
	stop    chan struct{}
}

// pendingResult is a transcription result due when the clock reaches frame.
type pendingResult struct {
	frame  int64
	from   string
	text   string
	final  bool
	words  []timedWord
	start  int64 // the utterance's first sample, counted from the hub's start
	length int64 // its samples
}

type timedWord struct {
	text            string
	start, duration int64 // samples from the hub's start
}

// hubLocked is v's hub, made on first use.
func (e *Emulator) hubLocked(v *conversation) *mediaHub {
	if v.hub == nil {
		v.hub = &mediaHub{e: e, voices: map[string][]int16{}, played: map[*wsStream][]int16{}, streams: map[*wsStream]bool{}, recs: map[*recording]bool{}}
		v.hub.roster = v.remoteIDs()
	}
	return v.hub
}

func (v *conversation) remoteIDs() []string {
	var out []string
	for _, p := range v.remotes() {
		out = append(out, p.id.RawID)
	}
	return out
}

// setRoster follows the conversation's roster: the unmixed streams send a frame per remote
// participant, and a participant who left says nothing more.
func (h *mediaHub) setRoster(ids []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.roster = ids
	for id := range h.voices {
		if !containsString(ids, id) {
			delete(h.voices, id)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// addStream and the others register what takes the audio; the clock runs while anything does.
func (h *mediaHub) addStream(s *wsStream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.streams[s] = true
	s.hubStart = h.frame
	h.startLocked()
}

func (h *mediaHub) removeStream(s *wsStream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.streams, s)
	delete(h.played, s)
	h.stopIfIdleLocked()
}

func (h *mediaHub) addRecording(r *recording) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs[r] = true
	h.startLocked()
}

func (h *mediaHub) removeRecording(r *recording) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.recs, r)
	h.stopIfIdleLocked()
}

func (h *mediaHub) startLocked() {
	if h.running {
		return
	}
	stop := make(chan struct{})
	if !h.e.inBackground(func(ctx context.Context) { h.run(ctx, stop) }) {
		return
	}
	h.running, h.stop = true, stop
}

func (h *mediaHub) stopIfIdleLocked() {
	if !h.running || len(h.streams) > 0 || len(h.recs) > 0 {
		return
	}
	close(h.stop)
	h.running = false
	clear(h.voices)
	clear(h.played)
	h.results = nil
}

// maxCatchUp bounds the frames one tick makes up for when the clock fell behind (a loaded
// machine): a second, beyond which the time is lost rather than sent in a burst.
const maxCatchUp = 50

// run is the clock: frames at real-time pace, counted from its start so that a late tick
// catches up instead of drifting.
func (h *mediaHub) run(ctx context.Context, stop chan struct{}) {
	t := time.NewTicker(frameDuration)
	defer t.Stop()
	start := time.Now()
	made := int64(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-stop:
			return
		case now := <-t.C:
			due := int64(now.Sub(start) / frameDuration)
			if due-made > maxCatchUp {
				made = due - maxCatchUp
			}
			for ; made < due; made++ {
				if !h.tick() {
					return
				}
			}
		}
	}
}

// tick makes one frame: it reports false once the hub has stopped.
func (h *mediaHub) tick() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.running {
		return false
	}
	frames := make(map[string][]int16, len(h.roster))
	mixed := make([]int16, frameSamples)
	for _, id := range h.roster {
		f := take(h.voices, id)
		frames[id] = f
		mixInto(mixed, f)
	}
	all := append([]int16(nil), mixed...)
	for s, q := range h.played {
		f := q
		if len(f) > frameSamples {
			f = f[:frameSamples]
		}
		mixInto(all, f)
		if len(q) > frameSamples {
			h.played[s] = q[frameSamples:]
		} else {
			delete(h.played, s)
		}
	}
	now := time.Now()
	for s := range h.streams {
		if s.kind == streamMedia {
			s.audioFrame(now, h.roster, frames, mixed)
		}
	}
	for r := range h.recs {
		r.appendFrame(h.roster, frames, all)
	}
	h.frame++
	for len(h.results) > 0 && h.results[0].frame <= h.frame {
		res := h.results[0]
		h.results = h.results[1:]
		for s := range h.streams {
			if s.kind == streamTranscription {
				s.transcript(res)
			}
		}
	}
	return true
}

func take(voices map[string][]int16, id string) []int16 {
	q := voices[id]
	f := make([]int16, frameSamples)
	n := copy(f, q)
	if n == len(q) {
		delete(voices, id)
	} else {
		voices[id] = q[n:]
	}
	return f
}

// say queues what a participant says, and the transcription results of it: the words as they
// end (intermediate results, for the streams that take them), then the whole text as given
// (final).
func (h *mediaHub) say(from string, u utterance) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.running || !containsString(h.roster, from) {
		return
	}
	start := h.frame*frameSamples + int64(len(h.voices[from]))
	h.voices[from] = append(h.voices[from], u.samples...)
	var words []timedWord
	var said []string
	for _, w := range u.words {
		tw := timedWord{text: w.text, start: start + int64(w.start), duration: int64(w.duration)}
		words = append(words, tw)
		said = append(said, w.text)
		h.schedule(pendingResult{frame: frameAt(tw.start + tw.duration), from: from, text: strings.Join(said, " "), words: append([]timedWord(nil), words...),
			start: start, length: tw.start + tw.duration - start})
	}
	if len(words) == 0 {
		return
	}
	last := words[len(words)-1]
	h.schedule(pendingResult{frame: frameAt(last.start + last.duration), from: from, text: u.text, final: true, words: words, start: start, length: last.start + last.duration - start})
}

// frameAt is the frame by the end of which sample s has been streamed.
func frameAt(s int64) int64 { return (s + frameSamples - 1) / frameSamples }

// schedule keeps results in frame order; a final result goes after its intermediates.
func (h *mediaHub) schedule(r pendingResult) {
	i := len(h.results)
	for i > 0 && h.results[i-1].frame > r.frame {
		i--
	}
	h.results = append(h.results, pendingResult{})
	copy(h.results[i+1:], h.results[i:])
	h.results[i] = r
}

// voice queues a participant's audio (keys, a WAV).
func (h *mediaHub) voice(from string, samples []int16) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.running || !containsString(h.roster, from) {
		return false
	}
	h.voices[from] = append(h.voices[from], samples...)
	return true
}

// maxPlayQueue bounds what an application may queue to play: a minute. Beyond, its audio is
// dropped, as a real-time system would.
const maxPlayQueue = 60 * mediaRate

// play queues what the application of a bidirectional stream plays into the call; clear
// (stopAudio) drops what it queued but has not played.
func (h *mediaHub) play(s *wsStream, samples []int16) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.streams[s] || len(h.played[s])+len(samples) > maxPlayQueue {
		return
	}
	h.played[s] = append(h.played[s], samples...)
}

func (h *mediaHub) clearPlayed(s *wsStream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.played, s)
}

// dtmf tells the media streams that take tones of a key pressed.
func (h *mediaHub) dtmf(from string, key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.streams {
		if s.kind == streamMedia && s.dtmf {
			s.send(dtmfMessage(key))
		}
	}
}
