package acs

import (
	"encoding/base64"
	"errors"
	"strings"
)

// ParseConnectionString splits an ACS connection string
// ("endpoint=https://<resource>.communication.azure.com/;accesskey=<base64>")
// into the endpoint and the decoded access key. Keys are matched without
// regard to case and values may contain '='. Errors name the faulty part
// but never repeat the key or the string.
func ParseConnectionString(s string) (endpoint string, accessKey []byte, err error) {
	var rawKey string
	var haveEndpoint, haveKey bool
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return "", nil, errors.New("acs: connection string: a segment is not name=value")
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "endpoint":
			endpoint, haveEndpoint = strings.TrimSpace(value), true
		case "accesskey":
			rawKey, haveKey = strings.TrimSpace(value), true
		}
	}
	if !haveEndpoint || endpoint == "" {
		return "", nil, errors.New("acs: connection string: endpoint is missing")
	}
	if !haveKey || rawKey == "" {
		return "", nil, errors.New("acs: connection string: accesskey is missing")
	}
	if _, err := parseEndpoint(endpoint); err != nil {
		return "", nil, err
	}
	key, decErr := base64.StdEncoding.DecodeString(rawKey)
	if decErr != nil || len(key) == 0 {
		return "", nil, errors.New("acs: connection string: accesskey is not valid base64")
	}
	return endpoint, key, nil
}
