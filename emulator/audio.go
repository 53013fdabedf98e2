package emulator

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"
)

// The emulator's audio is real PCM: what a simulated participant says is synthesised as a tone
// sequence (one tone per word, its pitch from the word), keys they press as DTMF's dual tones, and
// a WAV given through the control API is their voice as it is. Audio runs at mediaRate inside the
// emulator, 16-bit mono, in frames of 20 ms; streams and recordings get it at their own rate.

const (
	mediaRate     = 48000                      // Hz: 16 and 24 kHz are whole fractions of it
	frameDuration = 20 * time.Millisecond      // what ACS streams and the emulator ticks
	frameSamples  = mediaRate / 50             // samples of one frame at mediaRate
	ticksPerFrame = int64(frameDuration / 100) // 100 ns ticks (transcription offsets)

	// Synthesis: a word lasts 60 ms a letter within [240 ms, 900 ms] and is followed by 80 ms
	// of silence; a key is 100 ms of its DTMF pair and 60 ms of silence.
	wordPerLetter = 60 * time.Millisecond
	minWord       = 240 * time.Millisecond
	maxWord       = 900 * time.Millisecond
	wordGap       = 80 * time.Millisecond
	keyTone       = 100 * time.Millisecond
	keyGap        = 60 * time.Millisecond
	voiceLevel    = 0.3 // of full scale: clearly audible, no clipping when a few mix
)

func samplesOf(d time.Duration) int { return int(d * mediaRate / time.Second) }

// utterance is speech synthesised for a `say`: its samples and where each word lies in them.
type utterance struct {
	text    string
	samples []int16
	words   []spokenWord
}

type spokenWord struct {
	text            string
	start, duration int // in samples
}

// synthesize makes the tones of text: each word a sine whose pitch (300 to 900 Hz) comes from
// the word, with a short fade in and out so that it does not click.
func synthesize(text string) utterance {
	u := utterance{text: text}
	for _, w := range strings.Fields(text) {
		d := min(max(time.Duration(runeCount(w))*wordPerLetter, minWord), maxWord)
		h := fnv.New32a()
		h.Write([]byte(strings.ToLower(w)))
		freq := 300 + float64(h.Sum32()%600)
		n := samplesOf(d)
		u.words = append(u.words, spokenWord{text: w, start: len(u.samples), duration: n})
		u.samples = appendTone(u.samples, n, freq, 0)
		u.samples = append(u.samples, make([]int16, samplesOf(wordGap))...)
	}
	return u
}

// dtmfPairs are the row and column frequencies of each key (ITU-T Q.23).
var dtmfPairs = map[string][2]float64{
	"one": {697, 1209}, "two": {697, 1336}, "three": {697, 1477}, "a": {697, 1633},
	"four": {770, 1209}, "five": {770, 1336}, "six": {770, 1477}, "b": {770, 1633},
	"seven": {852, 1209}, "eight": {852, 1336}, "nine": {852, 1477}, "c": {852, 1633},
	"asterisk": {941, 1209}, "zero": {941, 1336}, "pound": {941, 1477}, "d": {941, 1633},
}

// keyTones synthesises pressed keys (tone names) as DTMF.
func keyTones(tones []string) []int16 {
	var out []int16
	for _, t := range tones {
		p := dtmfPairs[t]
		out = appendTone(out, samplesOf(keyTone), p[0], p[1])
		out = append(out, make([]int16, samplesOf(keyGap))...)
	}
	return out
}

func appendTone(out []int16, n int, f1, f2 float64) []int16 {
	fade := min(n/8, samplesOf(10*time.Millisecond))
	for i := range n {
		t := float64(i) / mediaRate
		v := math.Sin(2 * math.Pi * f1 * t)
		if f2 > 0 {
			v = (v + math.Sin(2*math.Pi*f2*t)) / 2
		}
		g := 1.0
		if i < fade {
			g = float64(i) / float64(fade)
		} else if n-i < fade {
			g = float64(n-i) / float64(fade)
		}
		out = append(out, int16(v*g*voiceLevel*math.MaxInt16))
	}
	return out
}

// resample converts mono PCM between rates by linear interpolation: good enough for speech
// made of tones, and for the rates ACS uses.
func resample(in []int16, from, to int) []int16 {
	if from == to || len(in) == 0 {
		return in
	}
	n := int(int64(len(in)) * int64(to) / int64(from))
	out := make([]int16, n)
	for i := range out {
		pos := float64(i) * float64(from) / float64(to)
		j := int(pos)
		frac := pos - float64(j)
		a := float64(in[min(j, len(in)-1)])
		b := float64(in[min(j+1, len(in)-1)])
		out[i] = int16(a + (b-a)*frac)
	}
	return out
}

// decimate takes a frame at mediaRate down to rate (16 or 24 kHz) by averaging.
func decimate(frame []int16, rate int) []int16 {
	step := mediaRate / rate
	out := make([]int16, len(frame)/step)
	for i := range out {
		sum := 0
		for _, s := range frame[i*step : (i+1)*step] {
			sum += int(s)
		}
		out[i] = int16(sum / step)
	}
	return out
}

// mixInto adds src to dst, clipping.
func mixInto(dst, src []int16) {
	for i := range min(len(dst), len(src)) {
		dst[i] = clip(int(dst[i]) + int(src[i]))
	}
}

func clip(v int) int16 {
	return int16(max(math.MinInt16, min(math.MaxInt16, v)))
}

func isSilent(frame []int16) bool {
	for _, s := range frame {
		if s != 0 {
			return false
		}
	}
	return true
}

func pcmBytes(samples []int16) []byte {
	b := make([]byte, 2*len(samples))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}

func pcmSamples(b []byte) []int16 {
	out := make([]int16, len(b)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return out
}

// wavFile encodes 16-bit PCM as a WAV file (RIFF, fmt, data), channels interleaved.
func wavFile(interleaved []int16, channels, rate int) []byte {
	var b bytes.Buffer
	data := 2 * len(interleaved)
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	_ = binary.Write(&b, binary.LittleEndian, struct {
		Size                   uint32
		Format, Channels       uint16
		Rate, ByteRate         uint32
		BlockAlign, BitsPerSmp uint16
	}{16, 1, uint16(channels), uint32(rate), uint32(rate * channels * 2), uint16(channels * 2), 16})
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(data))
	b.Write(pcmBytes(interleaved))
	return b.Bytes()
}

// maxVoiceWAV bounds a WAV given as a participant's voice: ten minutes of 48 kHz stereo.
const maxVoiceWAV = 10 * 60 * 48000 * 4

// parseWAV reads a 16-bit PCM WAV (any rate, mono or stereo, mixed down) as mono at mediaRate.
func parseWAV(b []byte) ([]int16, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errors.New("not a RIFF WAVE file")
	}
	var channels, bits int
	var rate int
	var data []byte
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		p += 8
		if size < 0 || p+size > len(b) {
			size = len(b) - p // a streamed WAV may say 0 or too much
		}
		chunk := b[p : p+size]
		switch id {
		case "fmt ":
			if len(chunk) < 16 {
				return nil, errors.New("short fmt chunk")
			}
			if f := binary.LittleEndian.Uint16(chunk); f != 1 && f != 0xFFFE {
				return nil, fmt.Errorf("WAV format %d is not PCM", f)
			}
			channels = int(binary.LittleEndian.Uint16(chunk[2:]))
			rate = int(binary.LittleEndian.Uint32(chunk[4:]))
			bits = int(binary.LittleEndian.Uint16(chunk[14:]))
		case "data":
			data = chunk
		}
		p += size + size%2
	}
	switch {
	case data == nil:
		return nil, errors.New("no data chunk")
	case bits != 16:
		return nil, fmt.Errorf("%d-bit samples: only 16-bit PCM is taken", bits)
	case channels != 1 && channels != 2:
		return nil, fmt.Errorf("%d channels: mono or stereo only", channels)
	case rate < 8000 || rate > 48000:
		return nil, fmt.Errorf("rate %d Hz: 8 to 48 kHz only", rate)
	}
	s := pcmSamples(data)
	if channels == 2 {
		mono := make([]int16, len(s)/2)
		for i := range mono {
			mono[i] = int16((int(s[2*i]) + int(s[2*i+1])) / 2)
		}
		s = mono
	}
	return resample(s, rate, mediaRate), nil
}
