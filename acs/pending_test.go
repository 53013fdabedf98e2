package acs_test

import (
	"slices"
	"testing"
)

// pendingWire are the sdk-wire captures of operations this client does not send yet, by the
// issue that adds them. The wire test fails for a capture that is neither covered nor listed
// here, and for one listed here that a test case covers: the list only shrinks.
var pendingWire = map[string]string{}

// contentWireFiles are the captures of recording content requests: signed the way recording
// content is (x-ms-host, the path without its query) and covered by
// TestRecordingContentEqualsSDK.
var contentWireFiles = []string{"downloadRecording-toPath.json", "downloadRecording-range.json", "downloadRecording-query.json", "deleteRecording.json"}

func contentSigning(name string) bool { return slices.Contains(contentWireFiles, name) }

func checkWireCoverage(t *testing.T, names []string, covered map[string]bool) {
	t.Helper()
	for _, name := range names {
		_, pending := pendingWire[name]
		switch {
		case covered[name] && pending:
			t.Errorf("sdk-wire file %s is covered now: remove it from pendingWire", name)
		case !covered[name] && !pending:
			t.Errorf("sdk-wire file %s has no wire test case", name)
		}
	}
}
