// Package gateway assembles callgate's servers: the gRPC server with its one interceptor chain,
// the REST mux that runs unary calls through that chain in process and dials it for streams, the HTTP server with the callbacks and probes beside the REST
// routes, their limits, and the graceful stop. `callgate serve`, `callgate dev` and every test
// build their servers here, so what the tests check is what ships.
//
// It is a folder of its own because cmd/callgate is a main package (nothing can import it) and
// the service package holds the handlers, not the servers around them.
package gateway
