package emulator

import "net/http"

// DefaultAPIVersion is the stable version the official 1.6.0 SDKs send.
const DefaultAPIVersion = "2026-03-12"

// knownAPIVersions are the Call Automation api-versions of
// Azure/azure-rest-api-specs (stable and preview, see
// ../shared/spec/callautomation/2026-03-12/README.md). The emulator speaks the
// 2026-03-12 wire format for all of them; older SDKs send a subset of it.
var knownAPIVersions = map[string]bool{
	"2023-03-06":         true,
	"2023-10-15":         true,
	"2024-04-15":         true,
	"2024-09-15":         true,
	"2025-05-15":         true,
	"2025-06-15":         true,
	"2026-03-12":         true,
	"2023-01-15-preview": true,
	"2023-06-15-preview": true,
	"2023-10-03-preview": true,
	"2024-01-22-preview": true,
	"2024-06-15-preview": true,
	"2024-09-01-preview": true,
	"2024-11-15-preview": true,
	"2025-03-30-preview": true,
	"2025-08-15-preview": true,
}

// KnownAPIVersions lists the api-version values the emulator accepts.
func KnownAPIVersions() []string {
	out := make([]string, 0, len(knownAPIVersions))
	for v := range knownAPIVersions {
		out = append(out, v)
	}
	return out
}

// checkAPIVersion answers like an Azure front door: a missing or unknown
// api-version is a 400 before anything else is looked at.
func checkAPIVersion(r *http.Request) *apiError {
	v := r.URL.Query().Get("api-version")
	if v == "" {
		return &apiError{status: http.StatusBadRequest, code: "MissingApiVersionParameter",
			message: "The api-version query parameter (?api-version=) is required for all requests."}
	}
	if !knownAPIVersions[v] {
		return &apiError{status: http.StatusBadRequest, code: "UnsupportedApiVersion",
			message: "The HTTP resource that matches the request URI does not support the API version '" + v + "'."}
	}
	return nil
}
