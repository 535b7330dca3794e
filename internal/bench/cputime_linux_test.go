package bench

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// clockThreadCPUTimeID is CLOCK_THREAD_CPUTIME_ID of clock_gettime(2).
const clockThreadCPUTimeID = 3

// threadClock pins the goroutine to its thread and returns a clock of that thread's CPU time
// (on a shared machine, the time a request waits for a core is not counted against it) and the
// function that unpins it.
func threadClock() (clock func() time.Duration, release func()) {
	runtime.LockOSThread()
	return func() time.Duration {
		var ts syscall.Timespec
		// #nosec G103 -- clock_gettime writes the timespec it is given, nothing else
		if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
			panic(errno)
		}
		return time.Duration(ts.Nano())
	}, runtime.UnlockOSThread
}
