package server

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestGCPercent(t *testing.T) {
	t.Parallel()
	const floor = 64 << 20
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 100},           // nothing measured yet: the default
		{4 << 20, 1500},    // 4 MiB live: the goal is the floor, 16 times the live heap
		{16 << 20, 300},    // 16 MiB: four times
		{32 << 20, 100},    // twice the live heap is the floor
		{200 << 20, 100},   // a large heap: as GOGC=100
		{1 << 10, 10_000},  // a tiny heap: bounded
		{floor/2 - 1, 100}, // just under half the floor: 100 (integer division)
	} {
		if got := gcPercent(c.live, floor); got != c.want {
			t.Errorf("gcPercent(%d, %d) = %d, want %d", c.live, floor, got, c.want)
		}
	}
}

// TestTuneGC: after a collection, a process with a live heap far below the floor runs with a
// GC percentage above the default.
func TestTuneGC(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	TuneGC()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		runtime.GC() // the sentinel's finalizer runs after the cycle that found it
		time.Sleep(10 * time.Millisecond)
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		if p > 100 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GC percentage %d after collections with a live heap far below %d bytes, want more than 100", p, GCHeapFloor)
		}
	}
}
