// Package emulator is a local stand-in for Azure Communication Services Call
// Automation: the same REST paths, JSON bodies, status codes and HMAC check as
// the service, simulated endpoints that answer, decline or time out, and the
// callback events ACS posts (CloudEvents signed with an RS256 bearer token), in
// the same order.
//
// It shares no wire code with the acs/ client on purpose: where both agree, the
// agreement was checked against the official SDK and the recorded service
// traffic in ../shared/spec/callautomation, not copied from one another.
//
// Beside the service API it serves a control API under /emulator/v1/ to script
// endpoints, raise incoming calls through an Event Grid webhook and make remote
// participants hang up (see README.md).
package emulator
