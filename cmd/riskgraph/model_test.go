package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/registry"
	"github.com/riskgraph/riskgraph/registry/registrytest"
)

// randomWeights returns normal(0, scale) weights for every tensor of d.
func randomWeights(d artefact.Dims, seed uint64, scale float64) map[string][]float32 {
	r := rand.New(rand.NewPCG(seed, seed))
	w := map[string][]float32{}
	for _, ts := range d.Tensors() {
		n := 1
		for _, s := range ts.Shape {
			n *= s
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64() * scale)
		}
		w[ts.Name] = v
	}
	return w
}

// smallArtefact writes a valid random-weight artefact and returns its dir.
func smallArtefact(t *testing.T, format artefact.Format) string {
	t.Helper()
	d := artefact.Dims{F0: 3, F1: 2, F2: 3, R1: 2, R2: 1, K1: 1, K2: 2, H: 4}
	w := randomWeights(d, 1, 1)
	stats := func(n int, prefix string) []artefact.FeatureStat {
		var out []artefact.FeatureStat
		for i := range n {
			out = append(out, artefact.FeatureStat{Name: prefix + string(rune('a'+i)), Mean: 0, Std: 1})
		}
		return out
	}
	m := artefact.Manifest{
		ID: "tiny", Target: "Transaction", Dims: d,
		Relations1: []string{"BY", "AT"}, Relations2: []string{"REVERSE"},
		Features: artefact.FeatureSpec{Version: "v1", Target: stats(3, "t"), Hop1: stats(2, "e"), Hop2: stats(3, "t")},
	}
	dir := t.TempDir()
	if _, err := artefact.Write(dir, m, w, format); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestModelImportAndShow(t *testing.T) {
	for _, format := range []artefact.Format{artefact.FormatSafetensors, artefact.FormatNPZ} {
		t.Run(format.String(), func(t *testing.T) {
			src := smallArtefact(t, format)
			out := filepath.Join(t.TempDir(), "model")
			stdout, _ := mustRun(t, "model", "import", "--from", filepath.Join(src, format.FileName()),
				"--manifest", filepath.Join(src, artefact.ManifestFile), "--out", out)
			if !strings.Contains(stdout, "installed tiny@") {
				t.Errorf("import output = %q", stdout)
			}
			show, _ := mustRun(t, "model", "show", out)
			if !strings.Contains(show, "hetero-sage-v1") || !strings.Contains(show, "hop 1: BY,AT") {
				t.Errorf("show output = %q", show)
			}
		})
	}
}

func TestModelImportRefusesCorruptWeights(t *testing.T) {
	src := smallArtefact(t, artefact.FormatSafetensors)
	wpath := filepath.Join(src, artefact.SafetensorsFile)
	b, _ := os.ReadFile(wpath)
	b[len(b)-3] ^= 0x01 // one bit in the last tensor's data
	os.WriteFile(wpath, b, 0o600)
	out := filepath.Join(t.TempDir(), "model")
	_, _, err := run(t, "model", "import", "--from", wpath, "--manifest", filepath.Join(src, artefact.ManifestFile), "--out", out)
	if !errors.Is(err, artefact.ErrChecksum) {
		t.Fatalf("import of a corrupt file = %v, want ErrChecksum", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused import left %s behind (stat err %v)", out, err)
	}
	if _, _, err := run(t, "model", "import", "--from", wpath); err == nil {
		t.Error("import without --manifest/--out succeeded")
	}
}

// The parity fixture (made by PyTorch, not Gorgonia) imports in every
// format it ships in.
func TestModelImportAcceptsParityFixture(t *testing.T) {
	base := filepath.Join("..", "..", "gnn", "testdata", "parity")
	cases := []struct{ dir, weights string }{
		{"txn/f32-safetensors", artefact.SafetensorsFile},
		{"txn/f32-npz", artefact.NPZFile},
		{"txn/bf16-safetensors", artefact.SafetensorsFile},
		{"account/f32-safetensors", artefact.SafetensorsFile},
		{"account/f32-npz", artefact.NPZFile},
	}
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			src := filepath.Join(base, tc.dir)
			out := filepath.Join(t.TempDir(), "m")
			stdout, _ := mustRun(t, "model", "import", "--from", filepath.Join(src, tc.weights),
				"--manifest", filepath.Join(src, artefact.ManifestFile), "--out", out)
			if !strings.Contains(stdout, "installed ") {
				t.Errorf("output = %q", stdout)
			}
			if _, err := artefact.Load(out); err != nil {
				t.Errorf("installed model does not load: %v", err)
			}
		})
	}
}

// runAt runs the program with its clock fixed at now.
func runAt(t *testing.T, now time.Time, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr, m.Stdin = &out, &errb, strings.NewReader("")
	m.Now = func() time.Time { return now }
	err := m.Run(context.Background(), args)
	return out.String(), err
}

func mustRunAt(t *testing.T, now time.Time, args ...string) string {
	t.Helper()
	out, err := runAt(t, now, args...)
	if err != nil {
		t.Fatalf("riskgraph %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// registryModel writes a small artefact with held-out metrics.
func registryModel(t *testing.T, seed uint64, auc, ap float64) (dir, id string) {
	t.Helper()
	dir = t.TempDir()
	man := registrytest.Write(t, dir, registrytest.Model{Name: "m", Seed: seed, Fingerprint: "fp", Split: "temporal 80/20",
		Metrics: map[string]float64{"test_auc": auc, "test_ap": ap}})
	return dir, man.ModelID()
}

func TestModelRegistryCommands(t *testing.T) {
	t.Setenv("USER", "eve")
	data := t.TempDir()
	t0 := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	aDir, a := registryModel(t, 1, 0.90, 0.50)
	bDir, b := registryModel(t, 2, 0.92, 0.55)
	wDir, worse := registryModel(t, 3, 0.80, 0.60)
	sDir, shadow := registryModel(t, 4, 0.91, 0.51)
	for i, dir := range []string{aDir, bDir, wDir, sDir} {
		out := mustRunAt(t, at(i), "model", "add", "--data-dir", data, dir)
		if !strings.HasPrefix(out, "added m@") {
			t.Errorf("add printed %q", out)
		}
	}
	if out := mustRunAt(t, at(9), "model", "add", "--data-dir", data, aDir); !strings.Contains(out, "already in the registry") {
		t.Errorf("adding again printed %q", out)
	}
	_, hashA, _ := strings.Cut(a, "@")
	out := mustRunAt(t, at(10), "model", "promote", "--data-dir", data, hashA[:6], "--reason", "first model", "--actor", "alice")
	if !strings.Contains(out, "promoted "+a) {
		t.Errorf("promote printed %q", out)
	}
	mustRunAt(t, at(11), "model", "promote", "--data-dir", data, b, "--reason", "retrained")
	_, err := runAt(t, at(12), "model", "promote", "--data-dir", data, worse, "--reason", "try")
	if !errors.Is(err, registry.ErrWorse) || !strings.Contains(err.Error(), "test AUC 0.8000 < 0.9200") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("promoting a worse model = %v; want ErrWorse with the numbers and --force", err)
	}
	out = mustRunAt(t, at(13), "model", "shadow", "--data-dir", data, shadow)
	if !strings.Contains(out, "shadow is "+shadow) {
		t.Errorf("shadow printed %q", out)
	}

	var entries []registry.Entry
	out = mustRunAt(t, at(14), "model", "list", "--data-dir", data, "--json")
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("list --json %q: %v", out, err)
	}
	roles := map[string]string{}
	for _, e := range entries {
		roles[e.ID] = e.Role
		if e.Eval == nil || e.Eval.AUC == nil || e.Eval.Set != "test" {
			t.Errorf("list: %s has no test metrics: %+v", e.ID, e.Eval)
		}
	}
	want := map[string]string{a: "archived", b: "champion", worse: "archived", shadow: "shadow"}
	if diff := cmp.Diff(want, roles); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	table := mustRunAt(t, at(14), "model", "list", "--data-dir", data)
	if !strings.Contains(table, b) || !strings.Contains(table, "champion") || !strings.Contains(table, "0.9200") {
		t.Errorf("list table lacks the champion and its AUC:\n%s", table)
	}

	out = mustRunAt(t, at(15), "model", "rollback", "--data-dir", data, "--reason", "alert storm")
	if !strings.Contains(out, "rolled back to "+a) {
		t.Errorf("rollback printed %q", out)
	}
	mustRunAt(t, at(16), "model", "shadow", "--data-dir", data, "--clear")
	if _, err := runAt(t, at(17), "model", "rollback", "--data-dir", data, "--reason", "again"); !errors.Is(err, registry.ErrNoPrevious) {
		t.Errorf("rollback past the first champion = %v, want ErrNoPrevious", err)
	}
	mustRunAt(t, at(18), "model", "promote", "--data-dir", data, worse, "--reason", "needed for a new market", "--force")

	var log []registry.Event
	out = mustRunAt(t, at(19), "model", "log", "--data-dir", data, "--json")
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	type line struct {
		Minute        int
		Actor, Action string
		Model, Reason string
		Forced        bool
	}
	var got []line
	for _, e := range log {
		got = append(got, line{int(e.Time.Sub(t0) / time.Minute), e.Actor, string(e.Action), e.Model, e.Reason, e.Forced})
	}
	wantLog := []line{
		{0, "eve", "add", a, "", false}, {1, "eve", "add", b, "", false}, {2, "eve", "add", worse, "", false}, {3, "eve", "add", shadow, "", false},
		{10, "alice", "promote", a, "first model", false}, {11, "eve", "promote", b, "retrained", false},
		{13, "eve", "shadow", shadow, "", false}, {15, "eve", "rollback", a, "alert storm", false},
		{16, "eve", "shadow", "", "", false}, {18, "eve", "promote", worse, "needed for a new market", true},
	}
	if diff := cmp.Diff(wantLog, got); diff != "" {
		t.Errorf("registry log (-want +got):\n%s", diff)
	}
	if table := mustRunAt(t, at(19), "model", "log", "--data-dir", data); !strings.Contains(table, "[forced: ") || !strings.Contains(table, "test AUC 0.8000 < 0.9000") {
		t.Errorf("log table does not show the forced check:\n%s", table)
	}
}

func TestModelRegistryBadInput(t *testing.T) {
	data := t.TempDir()
	aDir, a := registryModel(t, 1, 0.9, 0.5)
	mustRun(t, "model", "add", "--data-dir", data, "--actor", "x", aDir)
	bDir, _ := registryModel(t, 2, 0.9, 0.5)
	mustRun(t, "model", "add", "--data-dir", data, "--actor", "x", bDir)
	mustRun(t, "model", "promote", "--data-dir", data, "--actor", "x", a, "--reason", "r")

	usage := []struct {
		name string
		args []string
		want string
	}{
		{"promote without reason", []string{"model", "promote", "--data-dir", data, "--actor", "x", a}, "--reason"},
		{"rollback without reason", []string{"model", "rollback", "--data-dir", data, "--actor", "x"}, "--reason"},
		{"no registry", []string{"model", "list"}, "--data-dir"},
		{"two registries", []string{"model", "list", "--data-dir", data, "--nats-url", "nats://127.0.0.1:1"}, "exactly one"},
		{"shadow id and clear", []string{"model", "shadow", "--data-dir", data, "--actor", "x", a, "--clear"}, "--clear"},
		{"no actor", []string{"model", "promote", "--data-dir", data, "--actor", "", a, "--reason", "r"}, "--actor"},
	}
	for _, tc := range usage {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a usage error naming %s", err, tc.want)
			}
		})
	}
	failures := []struct {
		name string
		args []string
		want error
	}{
		{"ambiguous prefix", []string{"model", "promote", "--data-dir", data, "--actor", "x", "m@", "--reason", "r"}, registry.ErrAmbiguous},
		{"unknown model", []string{"model", "shadow", "--data-dir", data, "--actor", "x", "nope"}, registry.ErrNotFound},
		{"already champion", []string{"model", "promote", "--data-dir", data, "--actor", "x", a, "--reason", "r"}, registry.ErrNoChange},
		{"not an artefact", []string{"model", "add", "--data-dir", data, "--actor", "x", t.TempDir()}, fs.ErrNotExist},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := run(t, tc.args...); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// A damaged registry gives a clear error and a way out, never a crash.
func TestModelRegistryCorruption(t *testing.T) {
	data := t.TempDir()
	aDir, a := registryModel(t, 1, 0.9, 0.5)
	bDir, b := registryModel(t, 2, 0.95, 0.6)
	for _, dir := range []string{aDir, bDir} {
		mustRun(t, "model", "add", "--data-dir", data, "--actor", "x", dir)
	}
	mustRun(t, "model", "promote", "--data-dir", data, "--actor", "x", a, "--reason", "r")

	// A stored artefact damaged on disk cannot be promoted, even forced.
	w := filepath.Join(data, "models", b, artefact.SafetensorsFile)
	raw, _ := os.ReadFile(w)
	raw[len(raw)-1] ^= 0x40
	os.WriteFile(w, raw, 0o600)
	_, _, err := run(t, "model", "promote", "--data-dir", data, "--actor", "x", b, "--reason", "r", "--force")
	if !errors.Is(err, artefact.ErrChecksum) || !strings.Contains(err.Error(), b) {
		t.Errorf("promoting a damaged model = %v, want ErrChecksum naming %s", err, b)
	}
	list, _ := mustRun(t, "model", "list", "--data-dir", data)
	if !strings.Contains(list, b) {
		t.Errorf("list hides the damaged model:\n%s", list)
	}
	// Re-adding the good artefact restores the stored copy.
	mustRun(t, "model", "add", "--data-dir", data, "--actor", "x", bDir)
	mustRun(t, "model", "promote", "--data-dir", data, "--actor", "x", b, "--reason", "r")

	// A garbled pointer: every command says which file and how to repair.
	pointer := filepath.Join(data, "models", registry.PointerFile)
	os.WriteFile(pointer, []byte(`{"seq":5,"champion":`), 0o600)
	for _, args := range [][]string{
		{"model", "list", "--data-dir", data},
		{"model", "rollback", "--data-dir", data, "--actor", "x", "--reason", "r"},
	} {
		_, _, err := run(t, args...)
		if !errors.Is(err, registry.ErrCorrupt) || !strings.Contains(err.Error(), pointer) || !strings.Contains(err.Error(), "model repair") {
			t.Errorf("%s over a corrupt pointer = %v; want ErrCorrupt naming %s and the repair", args[1], err, pointer)
		}
	}
	out, _ := mustRun(t, "model", "repair", "--data-dir", data, "--actor", "ops")
	if !strings.Contains(out, "champion "+b) {
		t.Errorf("repair printed %q", out)
	}
	out, _ = mustRun(t, "model", "rollback", "--data-dir", data, "--actor", "x", "--reason", "r")
	if !strings.Contains(out, "rolled back to "+a) {
		t.Errorf("rollback after repair printed %q", out)
	}
}
