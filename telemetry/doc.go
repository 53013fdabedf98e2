// Package telemetry is what callgate shows of itself: the Prometheus registry every component
// registers its metrics on (with the Go runtime, process and build collectors), and the
// OpenTelemetry tracer provider and propagator, configured from the standard OTEL_* environment
// variables. It also adapts package acs's Observer to Prometheus, since acs, usable on its own,
// imports no metrics library.
//
// It is a folder of its own because observability cuts across every component and belongs to
// none of them; cmd builds one Telemetry and hands it down.
package telemetry
