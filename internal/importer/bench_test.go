package importer

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// benchTree adds 20 buildings of 5 stairwells under the test tree's grid.
// It returns the community.
func benchTree(tb testing.TB, st *store.Store) *model.Territory {
	tb.Helper()
	tr := mustTree(tb, st)
	ctx := context.Background()
	for b := 1; b <= 20; b++ {
		bld := tr.building
		if b > 1 {
			var err error
			bld, err = st.CreateTerritory(ctx, authz.System(), model.TerritoryInput{ParentID: tr.grid.ID, Kind: model.KindBuilding, Name: fmt.Sprintf("%d栋", b)})
			if err != nil {
				tb.Fatal(err)
			}
		}
		for s := 1; s <= 5; s++ {
			if b == 1 && s == 1 {
				continue // the test tree has 1栋/1单元
			}
			if _, err := st.CreateTerritory(ctx, authz.System(), model.TerritoryInput{ParentID: bld.ID, Kind: model.KindStairwell, Name: fmt.Sprintf("%d单元", s)}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return tr.community
}

// writeBenchCSV writes n residents in households of 1–5 at the bench tree's stairwells, named
// by path, streaming so the generator does not hold the file either.
func writeBenchCSV(tb testing.TB, path string, n int) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	w := csv.NewWriter(bw)
	_ = w.Write(layout())
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	given := []string{"建国", "秀英", "桂兰", "志强", "海燕", "俊杰", "丽娟", "文博", "雨涵", "子轩"}
	relations := []string{"户主", "配偶", "子女", "子女", "父母"}
	base := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC)
	row := make([]string, numColumns)
	for i, hh := 0, 0; i < n; hh++ {
		size := 1 + hh%5
		stair := fmt.Sprintf("天宝社区/第一网格/%d栋/%d单元", 1+hh%20, 1+(hh/20)%5)
		for m := 0; m < size && i < n; m, i = m+1, i+1 {
			clear(row)
			birth := base.AddDate(0, 0, i/100)
			first17 := fmt.Sprintf("510781%s%03d", birth.Format("20060102"), i%100*2+(m+hh)%2)
			row[colKey] = fmt.Sprint(hh + 1)
			if m == 0 {
				row[colTerritory], row[colAddress] = stair, fmt.Sprintf("%d室", 101+hh%600)
				row[colElderly] = map[bool]string{true: "是", false: "否"}[hh%17 == 0]
			}
			row[colName] = string(surnames[(hh+m)%len(surnames)]) + given[(i*7)%len(given)]
			row[colRelation] = relations[m]
			row[colIDNumber] = first17 + string(model.IDCheckDigit(first17))
			row[colPolitical] = []string{"群众", "群众", "群众", "中共党员", "共青团员"}[i%5]
			if i%3 == 0 {
				row[colPhone] = fmt.Sprintf("138%08d", i)
			}
			_ = w.Write(row)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		tb.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return fi.Size()
}

// heapPeak samples the heap every few milliseconds until stopped: peak is the most allocated
// at once, garbage included; live the most the collector found reachable.
type heapPeak struct {
	peak, live atomic.Uint64
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startHeapPeak() *heapPeak {
	p := &heapPeak{stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		var m runtime.MemStats
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > p.peak.Load() {
				p.peak.Store(m.HeapAlloc)
			}
			metrics.Read(live)
			if v := live[0].Value.Uint64(); v > p.live.Load() {
				p.live.Store(v)
			}
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *heapPeak) end() (peak, live uint64) {
	close(p.stop)
	p.wg.Wait()
	return p.peak.Load(), p.live.Load()
}

// BenchmarkImport100k imports a generated 100,000-row CSV into a fresh SQLite database per
// iteration and reports rows/s, the peak heap (garbage included) and the peak live heap next
// to the file's size: the importer streams the file twice and keeps per household and per ID
// number only what the second pass needs, so the heap stays far under what holding the parsed
// rows would take (each row is 16 strings: several times the file's size).
//
//	go test ./internal/importer -run '^$' -bench Import100k -benchtime 1x
func BenchmarkImport100k(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "households-100k.csv")
	size := writeBenchCSV(b, path, n)
	var peak, live uint64
	var elapsed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := storetest.Open(b, "sqlite")
		scope := scopeOf(benchTree(b, st))
		runtime.GC()
		start := time.Now()
		b.StartTimer()
		p := startHeapPeak()
		rep, err := ImportHouseholds(context.Background(), st, path, Options{Scope: scope})
		pk, lv := p.end()
		b.StopTimer()
		elapsed += time.Since(start)
		if err != nil {
			b.Fatalf("import: %v\n%s", err, errorStrings(rep.Errors[:min(len(rep.Errors), 10)]))
		}
		if rep.Residents != n || !rep.Written {
			b.Fatalf("report = %+v", rep)
		}
		peak, live = max(peak, pk), max(live, lv)
		st.Close()
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(live)/(1<<20), "peak-live-MB")
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
}
