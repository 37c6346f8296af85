package rules

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// rulesV returns a valid file with the given version whose velocity limit
// depends on n, so that versions differ in content and in decisions.
func rulesV(version, limit string) string {
	return "version: " + version + `
lists: {block: {cards: [bad]}}
velocity:
  - {id: V1, entity: card, window: 1h, max_count: ` + limit + `, action: decline}
bands:
  - {below: 0.5, decision: approve}
  - {decision: review}
`
}

func writeFile(t *testing.T, path, src string) {
	t.Helper()
	// Write then rename, as deploy tools do: readers never see half a file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// fixedNow is a clock long before any file's mtime, so that every poll
// distrusts mtime and hashes the file (see racyWindow).
var fixedNow = func() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }

func TestWatcherConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, good, rulesV("v1", "5"))
	writeFile(t, bad, "version: v1\n")
	tests := []struct {
		name string
		cfg  WatchConfig
		want error
	}{
		{"empty path", WatchConfig{}, ErrInvalid},
		{"interval too short", WatchConfig{Path: good, Interval: time.Millisecond}, ErrInvalid},
		{"missing file", WatchConfig{Path: filepath.Join(dir, "nope.yaml")}, os.ErrNotExist},
		{"invalid file", WatchConfig{Path: bad}, ErrInvalid},
		{"defaults", WatchConfig{Path: good}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWatcher(tt.cfg)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if err == nil && (w.Current() == nil || w.cfg.Interval != DefaultInterval) {
				t.Errorf("watcher not set up: %+v", w.cfg)
			}
		})
	}
}

// TestWatcherSwapUnderLoad reloads, rejects and reloads again while
// readers evaluate without pause; run it with -race.
func TestWatcherSwapUnderLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeFile(t, path, rulesV("v1", "5"))
	var reloads, rejects []string
	w, err := NewWatcher(WatchConfig{
		Path: path, Interval: MinInterval, Now: fixedNow,
		OnReload: func(prev, next *Set) { reloads = append(reloads, prev.Version()+"→"+next.Version()) },
		OnError:  func(err error) { rejects = append(rejects, err.Error()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := w.Status(); st.Version != "v1" || !st.LoadedAt.Equal(fixedNow()) || st.LastError != nil {
		t.Fatalf("initial status %+v", st)
	}

	// Readers: 3 is above the v2 limit (declines) and below v1's and v3's.
	var stop atomic.Bool
	var evals, failures atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			in := Input{Txn: &graph.Transaction{ID: "t", Card: "c"}, Score: 0.1, HasScore: true}
			in.Facts.Velocity[graph.KindCard][Window1h] = Counter{Count: 3}
			for !stop.Load() {
				r := w.Current().Evaluate(in)
				want := map[string]Decision{"v1": Approve, "v2": Decline, "v3": Approve}[r.Version]
				if r.Decision != want {
					failures.Add(1)
				}
				evals.Add(1)
			}
		})
	}
	waitEvals := func() { // let the readers run against each version
		for n := evals.Load(); evals.Load() < n+100; {
			time.Sleep(100 * time.Microsecond)
		}
	}

	steps := []struct {
		name     string
		src      string // "" leaves the file as it is
		reloaded bool
		err      error
		version  string
	}{
		{"unchanged", "", false, nil, "v1"},
		{"new version", rulesV("v2", "2"), true, nil, "v2"},
		{"invalid file keeps v2", "version: v3\nbands: [{below: 2, decision: review}]\n", false, ErrInvalid, "v2"},
		{"same invalid file again", "", false, ErrInvalid, "v2"},
		{"changed content, same version", rulesV("v2", "1"), false, ErrVersionReused, "v2"},
		{"back to the active bytes", rulesV("v2", "2"), false, nil, "v2"},
		{"fixed file", rulesV("v3", "10"), true, nil, "v3"},
	}
	for _, st := range steps {
		if st.src != "" {
			writeFile(t, path, st.src)
		}
		reloaded, err := w.Poll()
		if reloaded != st.reloaded || !errors.Is(err, st.err) || (err == nil) != (st.err == nil) {
			t.Errorf("%s: Poll = %v, %v; want %v, %v", st.name, reloaded, err, st.reloaded, st.err)
		}
		if got := w.Current().Version(); got != st.version {
			t.Errorf("%s: active version %s, want %s", st.name, got, st.version)
		}
		if got := w.Status(); (got.LastError == nil) != (st.err == nil) || got.Version != st.version {
			t.Errorf("%s: status %+v", st.name, got)
		}
		waitEvals()
	}
	stop.Store(true)
	wg.Wait()

	if n := failures.Load(); n != 0 {
		t.Errorf("%d of %d evaluations got the wrong decision for their version", n, evals.Load())
	}
	if want := []string{"v1→v2", "v2→v3"}; strings.Join(reloads, " ") != strings.Join(want, " ") {
		t.Errorf("reloads %v, want %v", reloads, want)
	}
	// One report per rejected file, not one per poll.
	if len(rejects) != 2 || !strings.Contains(rejects[0], "rules.yaml:2:17: bands[0].below: the last band must omit below") ||
		!strings.Contains(rejects[1], "version not bumped") {
		t.Errorf("rejections %q", rejects)
	}
}

func TestWatcherMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeFile(t, path, rulesV("v1", "5"))
	var rejects int
	w, err := NewWatcher(WatchConfig{Path: path, Now: fixedNow, OnError: func(error) { rejects++ }})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := w.Poll(); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Poll: %v, want os.ErrNotExist", err)
		}
	}
	if rejects != 1 || w.Current().Version() != "v1" {
		t.Errorf("%d rejections, version %s; want 1 and v1", rejects, w.Current().Version())
	}
	writeFile(t, path, rulesV("v1", "5"))
	if _, err := w.Poll(); err != nil || w.Status().LastError != nil {
		t.Errorf("restored file: %v, status %+v", err, w.Status())
	}
}

func TestWatcherRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeFile(t, path, rulesV("v1", "5"))
	reloaded := make(chan string, 1)
	w, err := NewWatcher(WatchConfig{Path: path, Interval: MinInterval,
		OnReload: func(_, next *Set) { reloaded <- next.Version() }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	writeFile(t, path, rulesV("v2", "6"))
	select {
	case v := <-reloaded:
		if v != "v2" {
			t.Errorf("reloaded %s, want v2", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reload within 5s")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
}
