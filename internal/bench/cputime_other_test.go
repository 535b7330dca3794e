//go:build !linux

package bench

import "time"

// threadClock is the wall clock where the thread's CPU time is not at hand.
func threadClock() (clock func() time.Duration, release func()) {
	start := time.Now()
	return func() time.Duration { return time.Since(start) }, func() {}
}
