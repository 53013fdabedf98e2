package emulator

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatUUID(b[:])
}

func formatUUID(b []byte) string {
	var u [16]byte
	copy(u[:], b)
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// newServerCallID mimics the service's server call IDs: the standard base64
// (with padding) of a conversation URL.
func newServerCallID() string {
	u := "https://emulator.callgate.local/api/v2/cp/conv-emulator/conv/" + newUUID() + "?i=10-0-0-1"
	return base64.StdEncoding.EncodeToString([]byte(u))
}
