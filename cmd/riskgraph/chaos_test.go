package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/ingest/stream"
)

// The short chaos run is part of make test; make chaos runs the full one
// (-chaos.txns=1000000 -chaos.kills=20).
var (
	chaosTxns  = flag.Int("chaos.txns", 200_000, "transactions the chaos test publishes")
	chaosKills = flag.Int("chaos.kills", 5, "times the chaos test SIGKILLs serve")
	chaosSeed  = flag.Uint64("chaos.seed", 1, "seed of the kill schedule")
)

// mainChildEnv turns the test binary into the riskgraph command (for
// tests that must kill a real serve process): the arguments follow "--".
const mainChildEnv = "RISKGRAPH_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainChildEnv) == "1" {
		args := os.Args[1:]
		if i := slices.Index(args, "--"); i >= 0 {
			args = args[i+1:]
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		mm := NewMain()
		err := mm.Run(ctx, args)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "riskgraph:", err)
		}
		os.Exit(mm.exitCode(err))
	}
	os.Exit(m.Run())
}

// serveProc is `riskgraph serve` in a child process.
type serveProc struct {
	cmd   *exec.Cmd
	ready time.Duration // start to ready line: restore, catch up with the log, serve
}

func startServeProc(t *testing.T, dataDir, listen string) *serveProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "serve", "--data-dir", dataDir,
		"--nats-listen", listen, "--http-listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), mainChildEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd}
	t.Cleanup(func() { p.kill() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if readyLine.MatchString(sc.Text()) {
			p.ready = time.Since(start)
			go io.Copy(io.Discard, out)
			return p
		}
	}
	t.Fatalf("serve exited before its ready line: %v", cmd.Wait())
	return nil
}

func (p *serveProc) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
	}
}

// stop asks serve to shut down (SIGTERM: drain, final snapshot) and waits.
func (p *serveProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve did not shut down cleanly: %v", err)
		}
	case <-time.After(60 * time.Second):
		p.kill()
		t.Fatal("serve did not shut down within 60 s of SIGTERM")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Crash without loss: transactions are published into serve's log (group
// messages of 100, each with a stable message id, re-sent until
// acknowledged) while serve is SIGKILLed at random moments and restarted.
// The graph ends up holding every published transaction exactly once, and
// the snapshot on disk is whole after every kill.
func TestChaosKillServeNoLossNoDuplicates(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos run; skipped with -short")
	}
	total, kills := *chaosTxns, *chaosKills
	dataDir := t.TempDir()
	listen := freeAddr(t)
	proc := startServeProc(t, dataDir, listen)
	t.Logf("serve ready in %v (empty data dir)", proc.ready)

	nc, err := nats.Connect("nats://"+listen, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.RetryOnFailedConnect(true))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}

	const group = 100
	var published atomic.Int64 // transactions acknowledged
	pubDone := make(chan error, 1)
	go func() { pubDone <- chaosPublish(js, total, group, &published) }()

	rng := rand.New(rand.NewPCG(*chaosSeed, 7))
	var restarts []time.Duration
	for k := range kills {
		// Kill at a random point of the publishing (or, once it is done,
		// of the catching up).
		target := int64(float64(total) * (float64(k) + rng.Float64()) / float64(kills+1))
		for published.Load() < target {
			select {
			case err := <-pubDone:
				pubDone <- err
				target = 0
			case <-time.After(5 * time.Millisecond):
			}
		}
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		proc.kill()
		checkSnapshot(t, dataDir)
		proc = startServeProc(t, dataDir, listen)
		restarts = append(restarts, proc.ready)
		t.Logf("kill %d at %d acknowledged: restart to caught-up-and-serving in %v", k+1, published.Load(), proc.ready)
	}
	select {
	case err := <-pubDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Minute):
		t.Fatal("publishing did not finish in 10 minutes")
	}
	// A restart replays the log to its end before the ready line; the
	// clean stop after it writes the final snapshot.
	proc.stop(t)
	proc = startServeProc(t, dataDir, listen)
	t.Logf("final restart caught up and serving in %v", proc.ready)
	proc.stop(t)
	s := mem.New()
	if err := s.LoadFile(context.Background(), filepath.Join(dataDir, snapshotFile)); err != nil {
		t.Fatalf("final snapshot: %v", err)
	}
	st, _ := s.Stats(context.Background())
	if got := st.Nodes[graph.KindTransaction]; got != int64(total) {
		t.Errorf("graph holds %d transactions, want %d exactly once", got, total)
	}
	missing := 0
	for i := range total {
		if _, err := s.Transaction(context.Background(), chaosID(i)); err != nil {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d published transactions missing from the graph", missing)
	}
	slices.Sort(restarts)
	if len(restarts) > 0 {
		t.Logf("%d transactions, %d kills: lost %d, duplicated %d; restart to caught up: median %v, max %v",
			total, kills, missing, max(0, int(st.Nodes[graph.KindTransaction])-total+missing), restarts[len(restarts)/2], restarts[len(restarts)-1])
	}
}

func chaosID(i int) string { return "chaos-" + strconv.Itoa(i) }

// chaosPublish publishes total transactions in group messages, each re-sent
// (same message id: the server drops a copy it already stored) until it is
// acknowledged, through any number of server restarts.
func chaosPublish(js jetstream.JetStream, total, group int, acked *atomic.Int64) error {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var body []byte
	for g := 0; g*group < total; g++ {
		body = body[:0]
		n := min(group, total-g*group)
		for j := range n {
			i := g*group + j
			tx := graph.Transaction{ID: chaosID(i), Time: t0.Add(time.Duration(i) * time.Millisecond), Amount: float64(i%997) + 0.5,
				Currency: "EUR", Kind: "card", User: "u" + strconv.Itoa(i%5003), Merchant: "m" + strconv.Itoa(i%211),
				Device: "d" + strconv.Itoa(i%4001)}
			if j > 0 {
				body = append(body, '\n')
			}
			body = ingest.AppendTransactionJSON(body, &tx)
		}
		msg := &nats.Msg{Subject: stream.SubjectTxn, Data: body, Header: nats.Header{}}
		msg.Header.Set(stream.HeaderRecords, strconv.Itoa(n))
		id := "chaos-group-" + strconv.Itoa(g)
		deadline := time.Now().Add(5 * time.Minute)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(stream.DefaultStream))
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("group %d not acknowledged in 5 minutes: %w", g, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		acked.Add(int64(n))
	}
	return nil
}

// checkSnapshot asserts that the snapshot serve left behind when it was
// killed (if it wrote one yet) loads whole.
func checkSnapshot(t *testing.T, dataDir string) {
	t.Helper()
	path := filepath.Join(dataDir, snapshotFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return
	}
	s := mem.New()
	defer s.Close()
	if err := s.LoadFile(context.Background(), path); err != nil {
		t.Fatalf("snapshot after SIGKILL does not load: %v", err)
	}
}
