package auth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// The API key file grants permissions, one line each (# starts a comment):
//
//	sha256:<hex SHA-256 of the key>  <principal>  <permissions>
//	principal:<principal>            <permissions>
//
// A sha256 line is an API key: the key itself is never in the file, only its digest, and
// `callgate apikey` makes a key and its line. A principal line grants permissions to a principal
// proven another way: a token whose claims carry none (a Kubernetes service-account token), or a
// client certificate. Permissions are comma-separated: calls.create,calls.read.

// Bounds of a key file, so that a wrong path (a log file, a device) cannot take the process down.
const (
	maxKeyFileBytes = 1 << 20
	maxKeyFileLines = 10_000
	// keyFileCheck is how often the file's modification is looked at: on use, not by a goroutine.
	keyFileCheck = time.Second
)

type keyGrant struct {
	principal string
	perms     []string
}

// keyFile is the API key file, reloaded when it changes (a Kubernetes Secret is replaced by a
// rename, which changes the modification time). A file that stops parsing keeps the last good
// grants and logs why.
type keyFile struct {
	path string
	log  *zap.Logger

	mu        sync.Mutex
	checked   time.Time
	stamp     fileStamp
	keys      map[[sha256.Size]byte]keyGrant
	principal map[string][]string
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func openKeyFile(path string, log *zap.Logger) (*keyFile, error) {
	k := &keyFile{path: path, log: log}
	if err := k.reload(); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *keyFile) reload() error {
	fi, err := os.Stat(k.path)
	if err != nil {
		return fmt.Errorf("API key file: %w", err)
	}
	if fi.Size() > maxKeyFileBytes {
		return fmt.Errorf("API key file: larger than %d bytes", maxKeyFileBytes)
	}
	data, err := os.ReadFile(k.path)
	if err != nil {
		return fmt.Errorf("API key file: %w", err)
	}
	keys, principals, err := parseKeyFile(data)
	if err != nil {
		return fmt.Errorf("API key file %s: %w", k.path, err)
	}
	k.stamp = fileStamp{mod: fi.ModTime(), size: fi.Size()}
	k.keys, k.principal = keys, principals
	return nil
}

// current reloads the file if it changed since it was last looked at (at most every second).
// Called with k.mu held.
func (k *keyFile) current() {
	now := time.Now()
	if now.Sub(k.checked) < keyFileCheck {
		return
	}
	k.checked = now
	fi, err := os.Stat(k.path)
	if err == nil && (fileStamp{mod: fi.ModTime(), size: fi.Size()}) == k.stamp {
		return
	}
	if err := k.reload(); err != nil {
		k.log.Error("API key file not reloaded; the last good one stays in force", zap.Error(err))
		return
	}
	k.log.Info("API key file reloaded", zap.Int("keys", len(k.keys)), zap.Int("principals", len(k.principal)))
}

// key is the grant of an API key, if the file has it.
func (k *keyFile) key(key string) (keyGrant, bool) {
	sum := sha256.Sum256([]byte(key))
	k.mu.Lock()
	defer k.mu.Unlock()
	k.current()
	g, ok := k.keys[sum]
	return g, ok
}

// granted is the permissions the file grants a principal proven another way.
func (k *keyFile) granted(principal string) []string {
	if k == nil {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.current()
	return k.principal[principal]
}

// parseKeyFile reads a key file; an error names the line.
func parseKeyFile(data []byte) (map[[sha256.Size]byte]keyGrant, map[string][]string, error) {
	keys := map[[sha256.Size]byte]keyGrant{}
	principals := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	n := 0
	for sc.Scan() {
		n++
		if n > maxKeyFileLines {
			return nil, nil, fmt.Errorf("more than %d lines", maxKeyFileLines)
		}
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d: "+format, append([]any{n}, args...)...)
		}
		switch {
		case strings.HasPrefix(fields[0], "sha256:"):
			if len(fields) != 3 {
				return nil, nil, fail("want sha256:<digest> <principal> <permissions>")
			}
			digest, err := hex.DecodeString(strings.TrimPrefix(fields[0], "sha256:"))
			if err != nil || len(digest) != sha256.Size {
				return nil, nil, fail("the digest is not 64 hex digits")
			}
			perms, err := parsePermissions(fields[2])
			if err != nil {
				return nil, nil, fail("%v", err)
			}
			var sum [sha256.Size]byte
			copy(sum[:], digest)
			if _, dup := keys[sum]; dup {
				return nil, nil, fail("the key is listed twice")
			}
			keys[sum] = keyGrant{principal: fields[1], perms: perms}
		case strings.HasPrefix(fields[0], "principal:"):
			name := strings.TrimPrefix(fields[0], "principal:")
			if name == "" || len(fields) != 2 {
				return nil, nil, fail("want principal:<name> <permissions>")
			}
			perms, err := parsePermissions(fields[1])
			if err != nil {
				return nil, nil, fail("%v", err)
			}
			principals[name] = append(principals[name], perms...)
		default:
			return nil, nil, fail("a line starts with sha256: or principal:")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	return keys, principals, nil
}

func parsePermissions(s string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if !isPermission(p) {
			return nil, fmt.Errorf("%q is not a permission (%s)", p, strings.Join(Permissions(), ", "))
		}
		out = append(out, p)
	}
	return out, nil
}

// KeyLine is the key file line of a key: what `callgate apikey` prints.
func KeyLine(key, principal string, perms []string) (string, error) {
	if principal == "" || strings.ContainsAny(principal, " \t#\n") {
		return "", errors.New("a principal is one word")
	}
	if _, err := parsePermissions(strings.Join(perms, ",")); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:]) + " " + principal + " " + strings.Join(perms, ","), nil
}
