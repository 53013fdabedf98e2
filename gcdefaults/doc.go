// Package gcdefaults sets the garbage collector's defaults of a gateway process from the memory it
// may use. A replica with 1,000 streams allocates a little for every callback and every delivery;
// at Go's default GOGC=100 its small live heap makes it collect dozens of times a second, and the
// delivery latency's tail follows the collections (BENCHMARKS.md). With a memory limit known, the
// collector can run less often and still never let the heap approach the limit.
//
// It is a folder of its own because it belongs to no concern of the gateway's: it is the process's
// runtime setting, applied by cmd/callgate before anything starts and by the pipeline benchmarks'
// replica so that they measure what is shipped; cmd cannot be imported by a benchmark, and service
// should not change a process's runtime when imported.
package gcdefaults
