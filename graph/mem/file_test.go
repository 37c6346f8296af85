package mem_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/graphtest"
	"github.com/riskgraph/riskgraph/graph/mem"
)

func applyAll(t testing.TB, s *mem.Store, txns []graph.Transaction, seq0 uint64) {
	t.Helper()
	for i := range txns {
		if _, err := s.Apply(context.Background(), graph.Mutation{Seq: seq0 + uint64(i), Txn: &txns[i]}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSaveLoadFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "graph.snap")

	s := mem.New()
	if err := s.LoadFile(ctx, path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadFile(missing) = %v, want fs.ErrNotExist", err)
	}
	txns := graphtest.RandomTxns(1, 500)
	applyAll(t, s, txns[:300], 1)
	if err := s.SaveFile(ctx, path); err != nil {
		t.Fatal(err)
	}
	// A second save replaces the first; no temporary file is left behind.
	applyAll(t, s, txns[300:], 301)
	if err := s.SaveFile(ctx, path); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("snapshot dir holds %d entries, want only graph.snap", len(entries))
	}
	r := mem.New()
	if err := r.LoadFile(ctx, path); err != nil {
		t.Fatal(err)
	}
	if seq, _ := r.LastSeq(ctx); seq != 500 {
		t.Errorf("LastSeq after load = %d, want 500", seq)
	}
	want, _ := s.Stats(ctx)
	got, _ := r.Stats(ctx)
	if want.Nodes[graph.KindTransaction] != got.Nodes[graph.KindTransaction] || got.Nodes[graph.KindTransaction] != 500 {
		t.Errorf("loaded %d transactions, want 500", got.Nodes[graph.KindTransaction])
	}
}

func TestSaveFileFailureKeepsOldSnapshot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "graph.snap")
	s := mem.New()
	applyAll(t, s, graphtest.RandomTxns(2, 50), 1)
	if err := s.SaveFile(ctx, path); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)
	// A cancelled save must not touch the existing file.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	applyAll(t, s, graphtest.RandomTxns(3, 50), 100)
	if err := s.SaveFile(cctx, path); err == nil {
		t.Fatal("SaveFile with a cancelled context succeeded")
	}
	now, _ := os.ReadFile(path)
	if string(old) != string(now) {
		t.Error("a failed SaveFile changed the snapshot on disk")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("a failed SaveFile left %d files behind", len(entries)-1)
	}
	// A torn write (a crash mid-copy by some other tool) is detected.
	if err := os.WriteFile(path, old[:len(old)-100], 0o600); err != nil {
		t.Fatal(err)
	}
	if err := mem.New().LoadFile(ctx, path); !errors.Is(err, graph.ErrCorrupt) {
		t.Errorf("LoadFile(torn) = %v, want ErrCorrupt", err)
	}
}
