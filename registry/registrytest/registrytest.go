// Package registrytest is the conformance suite of the registry.Backend
// contract, and a writer of small valid artefacts for registry tests.
// Every backend runs the suite from its own tests:
//
//	func TestConformance(t *testing.T) {
//		registrytest.Run(t, func(t *testing.T) (registry.Backend, func()) { … })
//	}
//
// The suite checks model storage (put, replace, open, list, not found),
// compare-and-swap commits and their log, concurrent committers (no lost or
// duplicated sequence numbers), watching the head, and a corrupt head:
// reported, refused by commits, replaced by a repair.
package registrytest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/registry"
)

// NewBackend returns an empty backend for one test, and a function that
// makes its head undecodable (writes garbage where the head lives).
type NewBackend func(t *testing.T) (b registry.Backend, corruptHead func())

// Run runs the whole suite against backends made by newBackend. Watch
// must report a change within a few seconds: give a polling backend a
// short interval.
func Run(t *testing.T, newBackend NewBackend) {
	tests := []struct {
		name string
		fn   func(*testing.T, NewBackend)
	}{
		{"Empty", testEmpty},
		{"PutAndOpen", testPutAndOpen},
		{"CommitSequence", testCommitSequence},
		{"InvalidEventRefused", testInvalidEvent},
		{"ConcurrentCommits", testConcurrentCommits},
		{"Watch", testWatch},
		{"CorruptHead", testCorruptHead},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newBackend) })
	}
}

// T0 is the time of the suite's events.
var T0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

// Model describes an artefact for Write.
type Model struct {
	// Name is the manifest id ("tiny" when empty).
	Name string
	// Seed draws the weights: different seeds, different model ids.
	Seed uint64
	// Fingerprint and Split are the manifest's training data fingerprint
	// and split; Metrics its metrics.
	Fingerprint, Split string
	Metrics            map[string]float64
}

// Write writes a small valid artefact (safetensors) described by m into
// dir and returns its manifest; it fails t on error.
func Write(t testing.TB, dir string, m Model) artefact.Manifest {
	t.Helper()
	man, err := WriteDir(dir, m)
	if err != nil {
		t.Fatalf("registrytest.Write: %v", err)
	}
	return man
}

// WriteDir is Write returning the error.
func WriteDir(dir string, m Model) (artefact.Manifest, error) {
	if m.Name == "" {
		m.Name = "tiny"
	}
	d := artefact.Dims{F0: 3, F1: 2, F2: 3, R1: 2, R2: 1, K1: 1, K2: 2, H: 4}
	r := rand.New(rand.NewPCG(m.Seed, m.Seed^0x9e3779b9))
	w := map[string][]float32{}
	for _, ts := range d.Tensors() {
		n := 1
		for _, s := range ts.Shape {
			n *= s
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		w[ts.Name] = v
	}
	stats := func(n int, prefix string) []artefact.FeatureStat {
		var out []artefact.FeatureStat
		for i := range n {
			out = append(out, artefact.FeatureStat{Name: fmt.Sprintf("%s%d", prefix, i), Std: 1})
		}
		return out
	}
	man := artefact.Manifest{
		ID: m.Name, Target: "Transaction", Dims: d,
		Relations1: []string{"BY", "AT"}, Relations2: []string{"REVERSE"},
		Features: artefact.FeatureSpec{Version: "v1", Target: stats(3, "t"), Hop1: stats(2, "e"), Hop2: stats(3, "t")},
		Training: artefact.Training{DataFingerprint: m.Fingerprint, Split: m.Split, Trainer: "registrytest", Metrics: m.Metrics},
	}
	return artefact.Write(dir, man, w, artefact.FormatSafetensors)
}

func put(t *testing.T, b registry.Backend, seed uint64) string {
	t.Helper()
	dir := t.TempDir()
	man := Write(t, dir, Model{Seed: seed})
	id := man.ModelID()
	if err := b.PutModel(context.Background(), id, dir, []string{artefact.ManifestFile, man.Weights}); err != nil {
		t.Fatalf("PutModel(%s): %v", id, err)
	}
	return id
}

func event(seq uint64, action registry.Action, after registry.State) registry.Event {
	return registry.Event{Seq: seq, Time: T0.Add(time.Duration(seq) * time.Minute), Actor: "suite", Action: action, After: after}
}

func testEmpty(t *testing.T, nb NewBackend) {
	ctx := context.Background()
	b, _ := nb(t)
	if h, err := b.Head(ctx); err != nil || h.Seq != 0 {
		t.Errorf("Head of an empty registry = seq %d, %v; want seq 0, nil", h.Seq, err)
	}
	if log, err := b.Log(ctx); err != nil || len(log) != 0 {
		t.Errorf("Log of an empty registry = %d events, %v", len(log), err)
	}
	if ms, err := b.Models(ctx); err != nil || len(ms) != 0 {
		t.Errorf("Models of an empty registry = %v, %v", ms, err)
	}
	if _, err := b.OpenModel(ctx, "tiny@0123456789ab"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("OpenModel of a missing model = %v, want ErrNotFound", err)
	}
}

func testPutAndOpen(t *testing.T, nb NewBackend) {
	ctx := context.Background()
	b, _ := nb(t)
	id1, id2 := put(t, b, 1), put(t, b, 2)
	for _, id := range []string{id1, id2} {
		fsys, err := b.OpenModel(ctx, id)
		if err != nil {
			t.Fatalf("OpenModel(%s): %v", id, err)
		}
		a, err := artefact.LoadFS(fsys, ".")
		if err != nil {
			t.Fatalf("stored %s does not load: %v", id, err)
		}
		if a.ModelID() != id {
			t.Errorf("OpenModel(%s) holds %s", id, a.ModelID())
		}
	}
	// Storing again replaces the copy; the model still loads.
	if got := put(t, b, 1); got != id1 {
		t.Fatalf("same seed gave id %s, then %s", id1, got)
	}
	fsys, err := b.OpenModel(ctx, id1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := artefact.LoadFS(fsys, "."); err != nil {
		t.Errorf("re-stored %s does not load: %v", id1, err)
	}
	ms, err := b.Models(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, m := range ms {
		got[m.ID] = true
		if m.Time.IsZero() {
			t.Errorf("Models: %s has no time", m.ID)
		}
	}
	if diff := cmp.Diff(map[string]bool{id1: true, id2: true}, got); diff != "" {
		t.Errorf("Models (-want +got):\n%s", diff)
	}
	if err := b.PutModel(ctx, "../escape@0123456789ab", t.TempDir(), []string{artefact.ManifestFile}); !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("PutModel with a path in the id = %v, want ErrInvalid", err)
	}
}

func testCommitSequence(t *testing.T, nb NewBackend) {
	ctx := context.Background()
	b, _ := nb(t)
	id := put(t, b, 3)
	evs := []registry.Event{
		event(1, registry.ActionAdd, registry.State{}),
		event(2, registry.ActionPromote, registry.State{Champion: id}),
	}
	evs[0].Model, evs[1].Model = id, id
	for _, ev := range evs {
		if err := b.Commit(ctx, ev); err != nil {
			t.Fatalf("Commit(%d): %v", ev.Seq, err)
		}
	}
	for _, seq := range []uint64{1, 2, 4} {
		if err := b.Commit(ctx, event(seq, registry.ActionShadow, registry.State{Champion: id})); !errors.Is(err, registry.ErrConflict) {
			t.Errorf("Commit(seq %d) over head 2 = %v, want ErrConflict", seq, err)
		}
	}
	head, err := b.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(evs[1], head); diff != "" {
		t.Errorf("Head (-want +got):\n%s", diff)
	}
	log, err := b.Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(evs, log); diff != "" {
		t.Errorf("Log (-want +got):\n%s", diff)
	}
}

func testInvalidEvent(t *testing.T, nb NewBackend) {
	ctx := context.Background()
	b, _ := nb(t)
	bad := []registry.Event{
		{Seq: 1, Time: T0, Action: registry.ActionAdd},                                                                 // no actor
		{Seq: 1, Time: T0, Actor: "a", Action: "delete"},                                                               // unknown action
		{Seq: 1, Time: T0, Actor: "a", Action: registry.ActionPromote, Model: "../x@0123456789ab"},                     // bad id
		{Seq: 1, Actor: "a", Action: registry.ActionAdd},                                                               // no time
		{Seq: 1, Time: T0, Actor: "a", Action: registry.ActionRollback, After: registry.State{Previous: []string{""}}}, // empty previous
	}
	for i, ev := range bad {
		if err := b.Commit(ctx, ev); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("Commit(bad event %d) = %v, want ErrInvalid", i, err)
		}
	}
	if h, err := b.Head(ctx); err != nil || h.Seq != 0 {
		t.Errorf("after refused commits Head = seq %d, %v; want 0", h.Seq, err)
	}
}

func testConcurrentCommits(t *testing.T, nb NewBackend) {
	ctx := context.Background()
	b, _ := nb(t)
	const writers, each = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for done := 0; done < each; {
				head, err := b.Head(ctx)
				if err != nil {
					errs <- err
					return
				}
				ev := event(head.Seq+1, registry.ActionShadow, registry.State{})
				ev.Actor = fmt.Sprintf("w%d", w)
				switch err := b.Commit(ctx, ev); {
				case err == nil:
					done++
				case !errors.Is(err, registry.ErrConflict):
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Commit: %v", err)
	}
	log, err := b.Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	perActor := map[string]int{}
	for i, ev := range log {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("log event %d has seq %d: sequence numbers lost or duplicated", i, ev.Seq)
		}
		perActor[ev.Actor]++
	}
	if len(log) != writers*each {
		t.Errorf("log has %d events, want %d", len(log), writers*each)
	}
	for a, n := range perActor {
		if n != each {
			t.Errorf("%s committed %d events, want %d", a, n, each)
		}
	}
}

func testWatch(t *testing.T, nb NewBackend) {
	b, _ := nb(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan registry.Event, 16)
	done := make(chan error, 1)
	go func() {
		done <- b.Watch(ctx, func(ev registry.Event, err error) {
			if err != nil {
				t.Errorf("Watch: %v", err)
			}
			seen <- ev
		})
	}()
	next := func() registry.Event {
		t.Helper()
		select {
		case ev := <-seen:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("Watch reported nothing in 10 s")
		}
		return registry.Event{}
	}
	if ev := next(); ev.Seq != 0 {
		t.Errorf("first Watch call = seq %d, want the empty head", ev.Seq)
	}
	id := put(t, b, 4)
	for seq := uint64(1); seq <= 2; seq++ {
		ev := event(seq, registry.ActionPromote, registry.State{Champion: id})
		ev.Model = id
		if err := b.Commit(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		// A polling backend may skip an intermediate head, never the last.
		for got := next(); got.Seq != seq; got = next() {
			if got.Seq > seq {
				t.Fatalf("Watch reported seq %d before %d was committed", got.Seq, seq)
			}
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Watch after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not return after its context ended")
	}
}

func testCorruptHead(t *testing.T, nb NewBackend) {
	ctx := context.Background()
	b, corrupt := nb(t)
	first := event(1, registry.ActionAdd, registry.State{})
	first.Model = put(t, b, 5)
	if err := b.Commit(ctx, first); err != nil {
		t.Fatal(err)
	}
	corrupt()
	if _, err := b.Head(ctx); !errors.Is(err, registry.ErrCorrupt) {
		t.Fatalf("Head after corruption = %v, want ErrCorrupt", err)
	}
	if err := b.Commit(ctx, event(2, registry.ActionShadow, registry.State{})); !errors.Is(err, registry.ErrCorrupt) {
		t.Errorf("Commit over a corrupt head = %v, want ErrCorrupt", err)
	}
	wctx, cancel := context.WithCancel(ctx)
	reported := make(chan error, 1)
	go b.Watch(wctx, func(_ registry.Event, err error) {
		select {
		case reported <- err:
		default:
		}
	})
	select {
	case err := <-reported:
		if !errors.Is(err, registry.ErrCorrupt) {
			t.Errorf("Watch over a corrupt head reported %v, want ErrCorrupt", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("Watch did not report the corrupt head")
	}
	cancel()
	repair := event(2, registry.ActionRepair, first.After)
	if err := b.Commit(ctx, repair); err != nil {
		t.Fatalf("repair Commit: %v", err)
	}
	if h, err := b.Head(ctx); err != nil || h.Seq != 2 || h.Action != registry.ActionRepair {
		t.Errorf("Head after repair = %+v, %v", h, err)
	}
	if log, err := b.Log(ctx); err != nil || len(log) != 2 {
		t.Errorf("Log after repair = %d events, %v; want 2", len(log), err)
	}
}

// Dir returns a Dir backend in a temporary directory polling every 10 ms,
// and the function that corrupts its pointer file: the NewBackend of the
// Dir conformance run, for other packages' tests too.
func Dir(t *testing.T) (registry.Backend, func()) {
	dir := t.TempDir()
	b, err := registry.OpenDir(registry.DirConfig{Path: dir, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return b, func() { corruptFile(t, filepath.Join(dir, registry.PointerFile)) }
}

func corruptFile(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(`{"seq":2,"time":"2026-05-01T09:0`), 0o600); err != nil {
		t.Fatal(err)
	}
}
