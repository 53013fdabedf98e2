package gateway

import (
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// maskPhoneNumbers hides the middle digits of every phone number in s: a '+' (or its URL escape
// %2B, as a raw ID appears in an upstream URL) followed by 7 to 15 digits. +16471234567 becomes
// +1647*****67: enough to tell numbers apart in a log, not enough to dial one.
func maskPhoneNumbers(s string) string {
	if !strings.Contains(s, "+") && !strings.Contains(s, "%2B") && !strings.Contains(s, "%2b") {
		return s
	}
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		start := -1
		switch {
		case b[i] == '+':
			start = i + 1
		case b[i] == '%' && i+2 < len(b) && b[i+1] == '2' && (b[i+2] == 'B' || b[i+2] == 'b'):
			start = i + 3
		}
		if start < 0 {
			continue
		}
		end := start
		for end < len(b) && b[end] >= '0' && b[end] <= '9' {
			end++
		}
		if n := end - start; n >= 7 && n <= 15 {
			maskDigits(b[start:end])
		}
		i = end - 1
	}
	return string(b)
}

// maskDigits keeps the first four digits (country and area code, for a ten-digit number or more)
// and the last two.
func maskDigits(d []byte) {
	head := 4
	if len(d) < 10 {
		head = len(d) - 6
	}
	for i := head; i < len(d)-2; i++ {
		d[i] = '*'
	}
}

// PhoneMaskingCore wraps a zap core so that phone numbers in the message and in string and error
// fields are masked as maskPhoneNumbers does, whoever logs them: an upstream error can quote a
// number, the acs client logs request URLs (a participant's carries its raw ID, 4:+1...), the
// event log the identity an incoming call was placed to. Wire it on the process's logger with
// zap.WrapCore(gateway.PhoneMaskingCore).
func PhoneMaskingCore(c zapcore.Core) zapcore.Core { return maskingCore{Core: c} }

type maskingCore struct{ zapcore.Core }

func (m maskingCore) With(fields []zapcore.Field) zapcore.Core {
	return maskingCore{Core: m.Core.With(maskFields(fields))}
}

func (m maskingCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if m.Enabled(e.Level) {
		return ce.AddCore(e, m)
	}
	return ce
}

func (m maskingCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	e.Message = maskPhoneNumbers(e.Message)
	return m.Core.Write(e, maskFields(fields))
}

// maskFields copies fields only when one of them changes.
func maskFields(fields []zapcore.Field) []zapcore.Field {
	var out []zapcore.Field
	for i, f := range fields {
		var text string
		switch f.Type {
		case zapcore.StringType:
			text = f.String
		case zapcore.ErrorType:
			if err, ok := f.Interface.(error); ok && err != nil {
				text = err.Error()
			}
		default:
			continue
		}
		masked := maskPhoneNumbers(text)
		if masked == text {
			continue
		}
		if out == nil {
			out = append([]zapcore.Field(nil), fields...)
		}
		out[i] = zap.String(f.Key, masked)
	}
	if out == nil {
		return fields
	}
	return out
}
