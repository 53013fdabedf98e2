package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"github.com/callgate/callgate/auth"
)

const apikeyUsage = `usage: callgate apikey <principal> <permissions>

Makes a random API key for principal and prints it with the line to add to the key file
(--auth-api-keys-file). The file keeps only the key's SHA-256: give the key to its caller, who
sends it as "authorization: Bearer <key>". Permissions are comma-separated: %s.
`

// runAPIKey makes a key and its key file line.
func runAPIKey(args []string, stdout, stderr io.Writer) error {
	if len(args) != 2 {
		fmt.Fprintf(stderr, apikeyUsage, strings.Join(auth.Permissions(), ", "))
		return errUsage
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	key := "cgk_" + base64.RawURLEncoding.EncodeToString(b)
	line, err := auth.KeyLine(key, args[0], strings.Split(args[1], ","))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "key (give it to the caller; it is shown once): %s\nline for the key file: %s\n", key, line)
	return nil
}
