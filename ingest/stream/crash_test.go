package stream_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/natsd"
)

// helperDirEnv, when set, turns the test binary into a NATS server process
// for TestCrashRestartNoLossNoDup: it serves JetStream from $dir/js,
// writes its URL to $dir/url and runs until killed or until its stdin
// closes (the parent test died).
const helperDirEnv = "RISKGRAPH_STREAM_TEST_SERVER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperDirEnv); dir != "" {
		os.Exit(serveForParent(dir))
	}
	os.Exit(m.Run())
}

func serveForParent(dir string) int {
	srv, err := natsd.Start(context.Background(), natsd.Config{StoreDir: filepath.Join(dir, "js"), Listen: "127.0.0.1:0", SyncInterval: testSync})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tmp := filepath.Join(dir, "url.tmp")
	if err := os.WriteFile(tmp, []byte(srv.ClientURL()), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := os.Rename(tmp, filepath.Join(dir, "url")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	io.Copy(io.Discard, os.Stdin) //nolint:errcheck // returns when the parent goes away
	srv.Shutdown()
	return 0
}

// serverProcess is a NATS server in a child process, so that the test can
// kill it with SIGKILL: no shutdown, no flush, no clean close of the store.
type serverProcess struct {
	cmd   *exec.Cmd
	stdin io.Closer
	url   string
}

func startServerProcess(t *testing.T, dir string) *serverProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, stdin: stdin}
	t.Cleanup(p.kill)
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(dir, "url"))
		if err == nil {
			p.url = string(b)
			return p
		}
		if !errors.Is(err, fs.ErrNotExist) || time.Now().After(deadline) {
			t.Fatalf("server process did not come up: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *serverProcess) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Kill() //nolint:errcheck // already dead is fine
	p.cmd.Wait()         //nolint:errcheck // killed: the error says so
	p.stdin.Close()
}

// TestCrashRestartNoLossNoDup is the acceptance test of the log and its
// materialised view. A producer publishes N transactions while a consumer
// applies them with periodic snapshots; midway the server process is
// killed with SIGKILL and the consumer abandoned (no final snapshot, store
// dropped). Then: a new server on the same store directory, the producer
// re-sends everything (it cannot know what was stored), a new store loads
// the last snapshot and a new consumer replays from its LastSeq+1. The
// store must hold exactly the N ids, the log must hold each id once, and
// every publish acknowledged before the crash must have survived it.
func TestCrashRestartNoLossNoDup(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 20_000
	}
	ctx := t.Context()
	began := time.Now()
	dir := t.TempDir()
	snap := filepath.Join(dir, "graph.snapshot")
	ms := txnMutations(0, n)

	// Phase 1: publish and consume until the crash.
	proc := startServerProcess(t, dir)
	nc1, err := nats.Connect(proc.url, nats.MaxReconnects(0))
	if err != nil {
		t.Fatal(err)
	}
	defer nc1.Close()
	js1, err := jetstream.New(nc1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.EnsureStream(ctx, js1, stream.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	store1 := mem.New()
	var snapSeq atomic.Uint64 // LastSeq of the latest snapshot
	c1 := runConsumer(t, js1, store1, stream.ConsumerConfig{
		Checkpoint: func(ctx context.Context) error {
			seq, err := store1.LastSeq(ctx)
			if err != nil {
				return err
			}
			if err := store1.SaveFile(ctx, snap); err != nil {
				return err
			}
			snapSeq.Store(seq)
			return nil
		},
		CheckpointEvery: n / 8,
	})

	pub1, err := stream.NewPublisher(js1, stream.PublisherConfig{AckTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := make(map[string]bool) // ids acknowledged before the crash
	lastAcked := -1                // largest index in ms acknowledged
	pubCtx, stopPub := context.WithCancel(ctx)
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		b := pub1.NewBatch(func(r stream.Result) {
			if r.Err == nil {
				mu.Lock()
				acked[r.ID] = true
				lastAcked = max(lastAcked, r.Index)
				mu.Unlock()
			}
		})
		for i, m := range ms {
			// Stay at most n/5 ahead of the consumer, so that the crash
			// comes while publishing is still going.
			for i%1000 == 0 && int64(i)-c1.Stats().Applied > int64(n/5) && pubCtx.Err() == nil {
				time.Sleep(2 * time.Millisecond)
			}
			if b.Add(pubCtx, m) != nil {
				break
			}
		}
		wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		b.Wait(wctx) //nolint:errcheck // failures after the crash are expected
	}()

	// Crash half way, between two checkpoints, so that the restarted
	// consumer has to replay messages the lost store had applied.
	deadline := time.Now().Add(90 * time.Second)
	for st := c1.Stats(); st.Applied < int64(n/2) || snapSeq.Load() == 0 || st.Resolved < snapSeq.Load()+uint64(n/50); st = c1.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("consumer did not get half way and past a checkpoint in 90s: %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
	proc.kill()
	c1.cancel()
	stopPub()
	<-pubDone
	<-c1.done
	nc1.Close()
	store1.Close()
	before := c1.Stats()
	// The batch's collector is done unless its Wait timed out; lock anyway.
	mu.Lock()
	defer mu.Unlock()
	if len(acked) == n {
		t.Logf("warning: publishing had finished before the crash")
	}
	t.Logf("%v: crash: %d acked publishes, consumer %+v", time.Since(began), len(acked), before)

	// Phase 2: restart on the same store directory.
	srv2, err := natsd.Start(ctx, natsd.Config{StoreDir: filepath.Join(dir, "js"), SyncInterval: testSync})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Shutdown()
	js2 := connectJS(t, srv2)
	st, err := stream.EnsureStream(ctx, js2, stream.StreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// The producer re-sends what it has no acknowledgement for, and, to
	// check deduplication across the crash, the last 2,000 it has one for:
	// those were the likeliest to be lost.
	const recheck = 2000
	var resend []graph.Mutation
	for i, m := range ms {
		if !acked[m.Txn.ID] || i > lastAcked-recheck {
			resend = append(resend, m)
		}
	}
	res, err := newPublisher(t, js2).PublishBatch(ctx, resend)
	if err != nil {
		t.Fatalf("re-publish: %v", err)
	}
	lost := 0
	for _, r := range res {
		if acked[r.ID] && !r.Duplicate {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d publishes acknowledged before the crash were not in the log after it", lost)
	}
	t.Logf("%v: re-published %d", time.Since(began), len(resend))
	// Every id once in the log. (An acknowledged message lost in the crash
	// and not re-sent would also show up below, as missing from the store.)
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := info.State.LastSeq
	if info.State.Msgs != uint64(n) || last != uint64(n) {
		t.Errorf("log holds %d messages up to seq %d, want %d up to %d", info.State.Msgs, last, n, n)
	}

	store2 := mem.New()
	defer store2.Close()
	if err := store2.LoadFile(ctx, snap); err != nil {
		t.Fatalf("load snapshot: %v", err)
	}
	from, err := store2.LastSeq(ctx)
	if err != nil || from == 0 {
		t.Fatalf("snapshot LastSeq = %d, %v; want > 0", from, err)
	}
	c2 := runConsumer(t, js2, store2, stream.ConsumerConfig{})
	waitFor(t, c2, last)
	t.Logf("%v: restart: snapshot at seq %d, replayed to %d: %+v", time.Since(began), from, last, c2.Stats())

	if got := txnCount(t, store2); got != int64(n) {
		t.Errorf("store holds %d transactions, want %d", got, n)
	}
	missing := 0
	for _, m := range ms {
		if _, err := store2.Transaction(ctx, m.Txn.ID); err != nil {
			if !errors.Is(err, graph.ErrNotFound) {
				t.Fatal(err)
			}
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d published ids missing from the store", missing, n)
	}
	if got, _ := store2.LastSeq(ctx); got != last {
		t.Errorf("store LastSeq = %d, want %d", got, last)
	}
	// The replay starts right after the snapshot: nothing is applied twice.
	if st := c2.Stats(); st.Duplicates != 0 || st.DeadLettered != 0 || st.Resubscribes != 0 || st.Applied != int64(last-from) {
		t.Errorf("replay stats = %+v, want %d applied, no duplicates, no dead letters", st, last-from)
	}
}
