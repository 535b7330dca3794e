package server

import (
	"runtime"
	"strconv"
	"testing"
)

// TestTuneProcs: TuneProcs leaves a GOMAXPROCS set in the environment alone, otherwise adds one
// P, once; CPUs stays the count before it.
func TestTuneProcs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	n := runtime.GOMAXPROCS(0)
	t.Setenv("GOMAXPROCS", strconv.Itoa(n))
	TuneProcs()
	if got := runtime.GOMAXPROCS(0); got != n || CPUs() != n {
		t.Fatalf("GOMAXPROCS set in the environment: %d Ps, CPUs %d, want %d and %d", got, CPUs(), n, n)
	}
	t.Setenv("GOMAXPROCS", "")
	TuneProcs()
	TuneProcs()
	if got := runtime.GOMAXPROCS(0); got != n+1 || CPUs() != n {
		t.Fatalf("tuned twice: %d Ps, CPUs %d, want %d and %d", got, CPUs(), n+1, n)
	}
}
