package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/natsd"
	"github.com/riskgraph/riskgraph/natsd/natsdtest"
	"github.com/riskgraph/riskgraph/registry"
	"github.com/riskgraph/riskgraph/registry/registrytest"
	"github.com/riskgraph/riskgraph/scoring"
)

// recordingScorer records what the watcher installs; SetModel refuses the
// ids in refuse, as the real scorer refuses a model that does not fit.
type recordingScorer struct {
	mu      sync.Mutex
	refuse  map[string]bool
	model   string
	shadow  string
	history []string
}

func (s *recordingScorer) SetModel(_ scoring.Model, mf artefact.Manifest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse[mf.ModelID()] {
		return fmt.Errorf("%w: model %s does not fit", scoring.ErrConfig, mf.ModelID())
	}
	s.model = mf.ModelID()
	s.history = append(s.history, "model "+s.model)
	return nil
}

func (s *recordingScorer) SetShadow(m scoring.Model, mf artefact.Manifest, _ func(scoring.ShadowScore)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shadow = ""
	if m != nil {
		s.shadow = mf.ModelID()
	}
	s.history = append(s.history, "shadow "+s.shadow)
	return nil
}

func (s *recordingScorer) current() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.model, s.shadow
}

// syncBuffer is a log sink safe for the watcher's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// watchFixture is a data-dir registry polled every 10 ms.
type watchFixture struct {
	t    *testing.T
	data string
	reg  *registry.Registry
	log  *syncBuffer
}

func newWatchFixture(t *testing.T) *watchFixture {
	t.Helper()
	data := t.TempDir()
	reg, err := NewMain().openRegistry(context.Background(), data, nil, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return &watchFixture{t: t, data: data, reg: reg, log: &syncBuffer{}}
}

func (f *watchFixture) add(seed uint64) string {
	f.t.Helper()
	dir := f.t.TempDir()
	registrytest.Write(f.t, dir, registrytest.Model{Seed: seed})
	e, _, err := f.reg.Add(context.Background(), dir, "t", "")
	if err != nil {
		f.t.Fatal(err)
	}
	return e.ID
}

func (f *watchFixture) promote(id string) {
	f.t.Helper()
	if _, err := f.reg.Promote(context.Background(), registry.PromoteRequest{Model: id, Actor: "t", Reason: "r", Force: true}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *watchFixture) config(s *recordingScorer, changes *[]string, mu *sync.Mutex) modelWatchConfig {
	return modelWatchConfig{Registry: f.reg, Scorer: s, Log: slog.New(slog.NewTextHandler(f.log, nil)),
		OnChange: func(c, sh string) { mu.Lock(); *changes = append(*changes, c+"|"+sh); mu.Unlock() }}
}

func corruptStoredWeights(t *testing.T, data, id string) {
	t.Helper()
	p := filepath.Join(data, registryDir, id, artefact.SafetensorsFile)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 0x20
	os.WriteFile(p, b, 0o600)
}

func TestModelWatcherFollowsTheRegistry(t *testing.T) {
	f := newWatchFixture(t)
	def, err := loadDefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	a, broken, misfit, c := f.add(1), f.add(2), f.add(3), f.add(4)
	s := &recordingScorer{refuse: map[string]bool{misfit: true}}
	var changes []string
	var mu sync.Mutex
	w, err := startModels(context.Background(), f.config(s, &changes, &mu))
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	if got, _ := s.current(); got != def.ModelID() {
		t.Fatalf("with no champion the scorer got %q, want the built-in %s", got, def.ModelID())
	}
	until := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 10 s; log:\n%s", what, f.log.String())
			}
		}
	}
	logged := func(s string) func() bool { return func() bool { return strings.Contains(f.log.String(), s) } }

	// A champion whose stored weights were damaged after its promotion.
	f.promote(broken)
	corruptStoredWeights(t, f.data, broken)
	w.start(context.Background())
	until("the damaged champion is refused", logged("new champion refused"))
	if got, _ := s.current(); got != def.ModelID() {
		t.Errorf("after a refused champion the scorer has %s, want %s kept", got, def.ModelID())
	}
	f.promote(a)
	until("promotion reaches the scorer", func() bool { got, _ := s.current(); return got == a })
	f.promote(misfit)
	until("a model the scorer refuses is logged", logged(misfit))
	f.reg.SetShadow(context.Background(), registry.ShadowRequest{Model: c, Actor: "t"})
	until("the shadow is installed", func() bool { _, sh := s.current(); return sh == c })
	// An unreadable pointer: logged, models kept; repaired: nothing moves.
	os.WriteFile(filepath.Join(f.data, registryDir, registry.PointerFile), []byte("{garbage"), 0o600)
	until("the corrupt pointer is logged", logged("model registry unreadable"))
	if _, err := f.reg.Repair(context.Background(), "ops"); err != nil {
		t.Fatal(err)
	}
	f.reg.SetShadow(context.Background(), registry.ShadowRequest{Actor: "t"})
	until("the shadow is cleared", func() bool { _, sh := s.current(); return sh == "" })
	w.close()

	s.mu.Lock()
	got := s.history
	s.mu.Unlock()
	want := []string{"model " + def.ModelID(), "model " + a, "shadow " + c, "shadow "}
	if !slices.Equal(got, want) {
		t.Errorf("scorer calls = %q, want %q", got, want)
	}
	mu.Lock()
	wantChanges := []string{def.ModelID() + "|", a + "|", a + "|" + c, a + "|"}
	if !slices.Equal(changes, wantChanges) {
		t.Errorf("OnChange calls = %q, want %q", changes, wantChanges)
	}
	mu.Unlock()
}

func TestModelWatcherStart(t *testing.T) {
	ctx := context.Background()
	f := newWatchFixture(t)
	a, b := f.add(1), f.add(2)
	f.promote(a)
	f.reg.SetShadow(ctx, registry.ShadowRequest{Model: b, Actor: "t"})
	var changes []string
	var mu sync.Mutex

	// --model pins the champion; the registry's shadow still applies.
	pinned := t.TempDir()
	pm := registrytest.Write(t, pinned, registrytest.Model{Seed: 9})
	s := &recordingScorer{}
	cfg := f.config(s, &changes, &mu)
	cfg.ModelDir = pinned
	w, err := startModels(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m, sh := s.current(); m != pm.ModelID() || sh != b {
		t.Errorf("pinned start installed %s / shadow %s, want %s / %s", m, sh, pm.ModelID(), b)
	}
	w.close()
	if _, sh := s.current(); sh != "" {
		t.Errorf("close left shadow %s installed", sh)
	}

	// A damaged champion or pointer at start is an error saying what to
	// do; a damaged registry shadow is only logged.
	corruptStoredWeights(t, f.data, b)
	s = &recordingScorer{}
	w, err = startModels(ctx, f.config(s, &changes, &mu))
	if err != nil {
		t.Fatalf("start with a damaged shadow: %v", err)
	}
	w.close()
	if m, sh := s.current(); m != a || sh != "" || !strings.Contains(f.log.String(), "shadow model refused") {
		t.Errorf("damaged shadow at start: scorer %s / %s; log %s", m, sh, f.log.String())
	}
	corruptStoredWeights(t, f.data, a)
	_, err = startModels(ctx, f.config(&recordingScorer{}, &changes, &mu))
	if !errors.Is(err, artefact.ErrChecksum) || !strings.Contains(err.Error(), "model rollback") {
		t.Errorf("start with a damaged champion = %v, want ErrChecksum and the way out", err)
	}
	os.WriteFile(filepath.Join(f.data, registryDir, registry.PointerFile), []byte("{"), 0o600)
	_, err = startModels(ctx, f.config(&recordingScorer{}, &changes, &mu))
	if !errors.Is(err, registry.ErrCorrupt) || !strings.Contains(err.Error(), registry.PointerFile) {
		t.Errorf("start with a corrupt pointer = %v, want ErrCorrupt naming the file", err)
	}
	cfg = f.config(&recordingScorer{}, &changes, &mu)
	cfg.ModelDir, cfg.ShadowDir = pinned, pinned
	if w, err := startModels(ctx, cfg); err != nil {
		t.Errorf("with both roles pinned the registry is not read, yet: %v", err)
	} else {
		w.close()
	}
}

// variant writes the built-in model with head.b shifted by delta, under
// name and with the given validation metrics (same data and split as the
// built-in model, so promotion compares them), and returns its dir and id.
func variant(t *testing.T, name string, delta float32, valAUC, valAP float64) (string, string) {
	t.Helper()
	a, err := loadDefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	m := a.Manifest
	m.ID = name
	m.Training.Metrics = map[string]float64{"val_auc": valAUC, "val_ap": valAP}
	a.Tensors["head.b"][0] += delta
	dir := t.TempDir()
	out, err := artefact.Write(dir, m, a.Tensors, artefact.FormatSafetensors)
	if err != nil {
		t.Fatal(err)
	}
	return dir, out.ModelID()
}

var shadowCount = regexp.MustCompile(`riskgraph_shadow_score_gap_count (\d+)`)

// Promotion, shadow and rollback through the registry while load runs:
// every request is answered, each requester sees the champion change from
// the old model to the new one and back, never interleaved, and the shadow
// set with `model shadow` scores the same traffic.
func TestServeSwapsModelsUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	def, err := loadDefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	base, baseID := filepath.Join("..", "..", "gnn", "defaultmodel", "model"), def.ModelID()
	valAUC, valAP := def.Manifest.Training.Metrics["val_auc"], def.Manifest.Training.Metrics["val_ap"]
	betterDir, better := variant(t, "challenger", 0.25, valAUC, valAP+0.01)
	worseDir, worse := variant(t, "worse", -0.25, valAUC-0.05, valAP)
	shadowDir, shadow := variant(t, "shadow", 0.5, valAUC, valAP)
	reg := func(args ...string) (string, error) {
		out, _, err := run(t, append(append([]string{"model"}, args...), "--data-dir", dataDir, "--actor", "ops")...)
		return out, err
	}
	for _, dir := range []string{base, betterDir, worseDir, shadowDir} {
		if _, err := reg("add", dir); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reg("promote", baseID, "--reason", "initial"); err != nil {
		t.Fatal(err)
	}
	natsURL, httpAddr, stopServe := startServe(t, "--data-dir", dataDir, "--nats-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
		"--model-poll", "20ms")
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	var mu sync.Mutex
	seen := make([][]string, 4) // per requester: the models in reply order, runs collapsed
	count := map[string]int{}
	failed, degraded := 0, 0
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range seen {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf(`{"id":"m%d-%d","time":"2026-02-01T10:00:00Z","amount":10,"user":"u%d","merchant":"m1","deadline_ms":2000}`, w, i, i%7)
				msg, err := nc.Request("riskgraph.v1.authorize", []byte(body), 5*time.Second)
				var d scoring.Decision
				if err == nil && msg.Header.Get("Nats-Service-Error-Code") == "" {
					err = json.Unmarshal(msg.Data, &d)
				} else if err == nil {
					err = errors.New(msg.Header.Get("Nats-Service-Error"))
				}
				mu.Lock()
				switch {
				case err != nil:
					failed++
				case d.Model == "":
					degraded++
				default:
					count[d.Model]++
					if s := seen[w]; len(s) == 0 || s[len(s)-1] != d.Model {
						seen[w] = append(s, d.Model)
					}
				}
				mu.Unlock()
			}
		})
	}
	replies := func(id string) int { mu.Lock(); defer mu.Unlock(); return count[id] }
	waitMore := func(id string, n int) {
		t.Helper()
		before := replies(id)
		waitFor(t, func() bool { return replies(id) > before+n })
	}
	metric := func() string { return get(t, "http://"+httpAddr+"/metrics") }

	waitMore(baseID, 50)
	if _, err := reg("promote", better[:12], "--reason", "retrained: better AP"); err != nil {
		t.Fatal(err)
	}
	waitMore(better, 50)
	if m := metric(); !strings.Contains(m, `riskgraph_model_info{model="`+better+`"`) || strings.Contains(m, `model="`+baseID+`"`) {
		t.Errorf("model gauge after the promotion:\n%s", grepLines(m, "riskgraph_model_info"))
	}
	if mm := shadowCount.FindStringSubmatch(metric()); mm != nil && mm[1] != "0" {
		t.Errorf("shadow scores recorded before a shadow was set: %s", mm[0])
	}
	if _, err := reg("shadow", shadow); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { mm := shadowCount.FindStringSubmatch(metric()); return mm != nil && len(mm[1]) > 1 }) // ≥ 10 shadow scores
	if _, err := reg("promote", worse, "--reason", "try"); !errors.Is(err, registry.ErrWorse) {
		t.Errorf("promoting a worse model = %v, want ErrWorse", err)
	}
	waitMore(better, 30)
	if _, err := reg("rollback", "--reason", "complaints"); err != nil {
		t.Fatal(err)
	}
	waitMore(baseID, 50)
	// A garbled pointer while serving: logged, serving goes on unchanged.
	os.WriteFile(filepath.Join(dataDir, registryDir, registry.PointerFile), []byte(`{"seq":`), 0o600)
	waitMore(baseID, 30)
	close(stop)
	wg.Wait()
	if err := stopServe(); err != nil {
		t.Fatalf("serve exited with %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("replies by model %v, %d degraded", count, degraded)
	if failed != 0 {
		t.Errorf("%d requests failed", failed)
	}
	if count[worse] != 0 {
		t.Errorf("%d replies from the refused model", count[worse])
	}
	for w, s := range seen {
		if want := []string{baseID, better, baseID}; !slices.Equal(s, want) {
			t.Errorf("requester %d saw models %v, want %v", w, s, want)
		}
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// The cluster registry: `model --nats-url` writes it, and a watcher over
// it (a key-value watch, no polling) follows a promotion and a shadow.
func TestModelWatcherFollowsANATSRegistry(t *testing.T) {
	ctx := context.Background()
	srv, err := natsd.Start(ctx, natsd.Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	js, err := jetstream.New(natsdtest.Connect(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := NewMain().openRegistry(ctx, "", js, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := &recordingScorer{}
	w, err := startModels(ctx, modelWatchConfig{Registry: reg, Scorer: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	w.start(ctx)

	cli := func(args ...string) string {
		t.Helper()
		out, _ := mustRun(t, append(append([]string{"model"}, args...), "--nats-url", srv.ClientURL())...)
		return out
	}
	aDir, a := registryModel(t, 1, 0.9, 0.5)
	bDir, b := registryModel(t, 2, 0.9, 0.5)
	cli("add", aDir, "--actor", "ops")
	cli("add", bDir, "--actor", "ops")
	cli("promote", a, "--reason", "first", "--actor", "ops")
	cli("shadow", b, "--actor", "ops")
	waitFor(t, func() bool { m, sh := s.current(); return m == a && sh == b })
	if out := cli("list"); !strings.Contains(out, a) || !strings.Contains(out, "champion") {
		t.Errorf("model list --nats-url:\n%s", out)
	}
}
