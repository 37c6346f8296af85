package registry_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/registry"
	"github.com/riskgraph/riskgraph/registry/registrytest"
)

func TestDirConformance(t *testing.T) {
	registrytest.Run(t, registrytest.Dir)
}

func openDir(t *testing.T) (*registry.Dir, string) {
	t.Helper()
	dir := t.TempDir()
	d, err := registry.OpenDir(registry.DirConfig{Path: dir, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return d, dir
}

func ev(seq uint64, action registry.Action) registry.Event {
	return registry.Event{Seq: seq, Time: registrytest.T0.Add(time.Duration(seq) * time.Second), Actor: "t", Action: action}
}

// A crash in the middle of an append leaves a torn last line: reads skip
// it, and the next commit cuts it off before appending.
func TestDirTornLogLine(t *testing.T) {
	ctx := context.Background()
	d, dir := openDir(t)
	if err := d.Commit(ctx, ev(1, registry.ActionShadow)); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(filepath.Join(dir, registry.LogFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"seq":2,"time":"2026-05-01T`)
	f.Close()
	if log, err := d.Log(ctx); err != nil || len(log) != 1 {
		t.Fatalf("Log with a torn last line = %d events, %v; want 1", len(log), err)
	}
	if err := d.Commit(ctx, ev(2, registry.ActionShadow)); err != nil {
		t.Fatal(err)
	}
	if log, err := d.Log(ctx); err != nil || len(log) != 2 || log[1].Seq != 2 {
		t.Fatalf("Log after the next commit = %+v, %v; want events 1 and 2", log, err)
	}
}

// A commit interrupted after the pointer was replaced but before the log
// append: the next commit appends the missing event first.
func TestDirHealsLogBehindHead(t *testing.T) {
	ctx := context.Background()
	d, dir := openDir(t)
	for seq := uint64(1); seq <= 2; seq++ {
		if err := d.Commit(ctx, ev(seq, registry.ActionShadow)); err != nil {
			t.Fatal(err)
		}
	}
	logPath := filepath.Join(dir, registry.LogFile)
	b, _ := os.ReadFile(logPath)
	lines := strings.SplitAfter(string(b), "\n")
	os.WriteFile(logPath, []byte(lines[0]), 0o600) // event 2 only in the pointer
	if err := d.Commit(ctx, ev(3, registry.ActionShadow)); err != nil {
		t.Fatal(err)
	}
	log, err := d.Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, e := range log {
		seqs = append(seqs, e.Seq)
	}
	if len(seqs) != 3 || seqs[1] != 2 || seqs[2] != 3 {
		t.Errorf("log seqs = %v, want [1 2 3]", seqs)
	}
}

func TestDirCorruptLogLine(t *testing.T) {
	ctx := context.Background()
	d, dir := openDir(t)
	for seq := uint64(1); seq <= 2; seq++ {
		d.Commit(ctx, ev(seq, registry.ActionShadow))
	}
	logPath := filepath.Join(dir, registry.LogFile)
	b, _ := os.ReadFile(logPath)
	os.WriteFile(logPath, append([]byte("not json\n"), b...), 0o600)
	_, err := d.Log(ctx)
	if !errors.Is(err, registry.ErrCorrupt) || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("Log with a bad first line = %v, want ErrCorrupt naming line 1", err)
	}
}

func TestDirConfigValidate(t *testing.T) {
	for _, c := range []registry.DirConfig{{}, {Path: "x", Poll: -time.Second}} {
		if _, err := registry.OpenDir(c); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("OpenDir(%+v) = %v, want ErrInvalid", c, err)
		}
	}
}
