package server

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// TuneProcs gives the Go scheduler one processor (P) more than its default, the machine's or
// its container's CPUs, so that goroutines waiting to run are not the only ones that wait:
// with as many Ps as CPUs, a goroutine woken (a batch's leader handed the one SQLite writer,
// a reader back from a pread of the pure-Go driver) queues for a P behind every runnable
// goroutine, and while the writer queues, every write request waits for it with the CPUs busy
// elsewhere. One P more lets the operating system share the CPUs among the threads instead,
// and it runs a thread just woken soon. On the order flow of issue 10 with 8 clients on 2 CPUs
// it made a fifth to a third more orders a second at the same CPU an order; with 32 clients,
// which keep both CPUs busy either way, as many (docs/benchmarks.md, fifteenth pass).
// It does nothing when GOMAXPROCS is set in the environment, which then decides as usual, nor
// when called again. Setting it ends the runtime's own updates of the default should the
// container's CPU limit change; a restart follows such a change.
func TuneProcs() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	tuneProcsOnce.Do(func() {
		n := runtime.GOMAXPROCS(0)
		cpus.Store(int64(n))
		runtime.GOMAXPROCS(n + 1)
	})
}

var (
	tuneProcsOnce sync.Once
	cpus          atomic.Int64 // the default TuneProcs added to (0: not tuned)
)

// CPUs is how many CPUs the process runs on: GOMAXPROCS as it was before TuneProcs added its
// P. What sizes work by the machine (the benchmark's clients) asks this, not GOMAXPROCS.
func CPUs() int {
	if n := cpus.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}
