package jobs_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/jobs"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestMain doubles as the worker process the restart test kills: with GONGZHI_JOBS_WORKER_DSN
// set, the test binary runs a queue on that database, prints the id of the job it runs once its
// write transaction is open, and waits to be killed.
func TestMain(m *testing.M) {
	if dsn := os.Getenv("GONGZHI_JOBS_WORKER_DSN"); dsn != "" {
		os.Exit(worker(dsn))
	}
	os.Exit(m.Run())
}

func worker(dsn string) int {
	kr, err := pii.New([]pii.Key{{ID: "t1", Secret: bytes.Repeat([]byte{0x5a}, pii.KeySize)}, {ID: pii.IndexKeyID, Secret: bytes.Repeat([]byte{0xa5}, pii.KeySize)}, {ID: "audit1", Secret: bytes.Repeat([]byte{0x3c}, pii.KeySize)}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	st, err := store.Open(context.Background(), dsn, store.WithKeys(kr))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	started := make(chan int64, 1)
	q, err := jobs.New(st, quietLog(), jobs.Options{Poll: 20 * time.Millisecond, Kinds: []jobs.Kind{blockingKind(started)}})
	if err == nil {
		err = q.Start(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Printf("running %d\n", <-started)
	select {} // until killed
}

// TestRestartFailsInterruptedJob kills the process running a job in the middle of its write
// transaction (SIGKILL: no shutdown of any kind), starts a new worker, and checks that the job
// is marked failed with a reason that says so, and that nothing of its write remains.
func TestRestartFailsInterruptedJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		ctx := context.Background()
		// The job is queued by this process (an instance that only serves requests) …
		q0, err := jobs.New(st, quietLog(), jobs.Options{Kinds: []jobs.Kind{blockingKind(nil)}})
		if err != nil {
			t.Fatal(err)
		}
		j, err := q0.Submit(ctx, authz.ForUser(f.admin), "test.block", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		// … and run by another, killed once it is writing.
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "GONGZHI_JOBS_WORKER_DSN="+store.DSNOf(st))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || strings.TrimSpace(line) != fmt.Sprintf("running %d", j.ID) {
			_ = cmd.Process.Kill()
			t.Fatalf("worker said %q, %v; stderr: %s", line, err, stderr.String())
		}
		running, err := st.JobByID(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if running.Status != model.JobRunning {
			t.Fatalf("job before the kill = %s, want running", running.Status)
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()

		// A new worker starts: it finds the job without a heartbeat and fails it.
		q := mustQueue(t, st, jobs.Options{StaleAfter: time.Millisecond, Kinds: []jobs.Kind{blockingKind(nil)}})
		_ = q
		got := waitFinal(t, st, j.ID)
		if got.Status != model.JobFailed || !strings.Contains(got.Error, "服务已停止") || !strings.Contains(got.Error, "未写入任何数据") || got.FinishedAt == nil {
			t.Errorf("job after restart = %s %q", got.Status, got.Error)
		}
		if n := countTerritories(t, st, "半途而废区"); n != 0 {
			t.Errorf("territories of the killed job = %d, want 0", n)
		}
	})
}
