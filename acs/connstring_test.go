package acs_test

import (
	"strings"
	"testing"

	"github.com/callgate/callgate/acs"
)

func TestParseConnectionString(t *testing.T) {
	endpoint, key, err := acs.ParseConnectionString(" Endpoint=https://res.communication.azure.com/ ; AccessKey=" + wireAccessKey + ";")
	if err != nil {
		t.Fatal(err)
	}
	if endpoint != "https://res.communication.azure.com/" || string(key) != "emulator-access-key-0123456789" {
		t.Errorf("got %q, %q", endpoint, key)
	}
}

func TestParseConnectionStringErrorsHideTheKey(t *testing.T) {
	const secret = "c2VjcmV0LWtleS1kby1ub3QtbGVhaw=="
	for name, cs := range map[string]string{
		"no endpoint":     "accesskey=" + secret,
		"no key":          "endpoint=https://res.communication.azure.com/",
		"bad base64":      "endpoint=https://res.communication.azure.com/;accesskey=" + secret + "!!",
		"bad endpoint":    "endpoint=ftp://" + secret + ";accesskey=" + secret,
		"relative":        "endpoint=/relative;accesskey=" + secret,
		"not name=value":  secret,
		"empty":           "",
		"endpoint query":  "endpoint=https://res.communication.azure.com/?x=1;accesskey=" + secret,
		"key in endpoint": "endpoint=https://user:" + secret + "@res.communication.azure.com/;accesskey=" + secret,
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := acs.ParseConnectionString(cs)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "secret-key") {
				t.Errorf("error %q leaks the key", err)
			}
		})
	}
}

func TestNewClientConfigErrors(t *testing.T) {
	cred, err := acs.NewKeyCredential([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acs.NewClient(acs.Config{Credential: cred}); err == nil {
		t.Error("missing endpoint accepted")
	}
	if _, err := acs.NewClient(acs.Config{Endpoint: "https://x.communication.azure.com"}); err == nil {
		t.Error("missing credential accepted")
	}
	if _, err := acs.NewKeyCredential(nil); err == nil {
		t.Error("empty key accepted")
	}
	if _, err := acs.NewClientFromConnectionString("endpoint=https://x/;accesskey="+wireAccessKey, acs.Config{Endpoint: "https://y/"}); err == nil {
		t.Error("conflicting endpoint accepted")
	}
	c, err := acs.NewClient(acs.Config{Endpoint: "https://x.communication.azure.com/", Credential: cred})
	if err != nil || c.Endpoint() != "https://x.communication.azure.com" {
		t.Errorf("Endpoint() = %q, err %v", c.Endpoint(), err)
	}
	if s := cred.String(); strings.Contains(s, "k}") || !strings.Contains(s, "redacted") {
		t.Errorf("String() = %q", s)
	}
}
