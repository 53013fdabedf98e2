// Package emulator is a local stand-in for Azure Communication Services Call
// Automation: the same REST paths, JSON bodies, status codes and HMAC check as
// the service, simulated endpoints that answer, decline or time out, simulated
// media (plays, recognizes, DTMF, hold), and the callback events ACS posts (CloudEvents signed with an RS256 bearer token), in
// the same order.
//
// It shares no wire code with the acs/ client on purpose: where both agree, the
// agreement was checked against the official SDK and the recorded service
// traffic in ../shared/spec/callautomation, not copied from one another.
//
// Beside the service API it serves a control API under /emulator/v1/ to script
// endpoints (their answers to recognizes included), script audio files, raise
// incoming calls through an Event Grid webhook and make remote participants hang
// up, press keys or speak (see README.md).
package emulator
