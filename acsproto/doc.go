// Package acsproto is the one translation of ACS's models (package acs) into callgate.v1's
// messages, shared by the service (ACS's REST answers) and callbacks (ACS's events): identifiers,
// participants, and the list of event types, which is callgate.v1's CallEvent itself.
//
// It is a folder of its own because both service and callbacks need it and neither may import the
// other, acs imports nothing of callgate (it is usable on its own), and gen holds generated code
// only. It imports acs and gen and nothing else of callgate.
package acsproto
