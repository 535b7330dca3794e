package server

import (
	"os"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"sync"
)

// GCHeapFloor is the heap the garbage collector lets the server grow to before it collects
// (TuneGC), however little of it is live. The server's live Go heap is a few megabytes, and
// some 15 MB more with the pages (web's addShared): what SQLite keeps (its page caches, its
// statements) is memory of its own, outside the Go heap. With
// the collector's default (GOGC=100: collect when the heap has doubled, at least at 4 MB) it
// collected about 60 times a second on the order flow, each cycle taking a processor of two
// for a few milliseconds; with this floor, a few times a second (docs/benchmarks.md, issue 10,
// thirteenth pass). A heap whose live part is larger than half of it is collected as before.
const GCHeapFloor = 64 << 20

var tuneGCOnce sync.Once

// TuneGC keeps the collector's heap goal at least GCHeapFloor: after each collection it sets
// the GC percentage (debug.SetGCPercent) that puts the goal at the larger of twice the live
// heap and the floor. It does nothing when GOGC is set in the environment, which then decides
// as usual, nor when called again.
func TuneGC() {
	if os.Getenv("GOGC") != "" {
		return
	}
	tuneGCOnce.Do(func() {
		t := &gcTuner{floor: GCHeapFloor, percent: 100, sample: []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}}
		t.adjust()
		t.arm()
	})
}

// gcTuner sets the GC percentage after every collection: a sentinel object's finalizer runs
// once the collection that found it unreachable ended, and arms the next.
type gcTuner struct {
	floor   uint64
	percent int
	sample  []rtmetrics.Sample
}

// gcSentinel is large enough not to share a tiny-allocator block, whose finalizers run only
// once the whole block is unreachable.
type gcSentinel struct{ _ [32]byte }

func (t *gcTuner) arm() {
	runtime.SetFinalizer(new(gcSentinel), func(*gcSentinel) {
		t.adjust()
		t.arm()
	})
}

// gcPercent is the GC percentage whose goal is the larger of twice live and floor.
func gcPercent(live, floor uint64) int {
	if live == 0 || 2*live >= floor {
		return 100
	}
	return int(min(floor*100/live-100, 10_000))
}

func (t *gcTuner) adjust() {
	rtmetrics.Read(t.sample)
	if t.sample[0].Value.Kind() != rtmetrics.KindUint64 {
		return
	}
	p := gcPercent(t.sample[0].Value.Uint64(), t.floor)
	// A change of less than a tenth is not worth the call.
	if d := p - t.percent; d*10 > t.percent || -d*10 > t.percent {
		debug.SetGCPercent(p)
		t.percent = p
	}
}
