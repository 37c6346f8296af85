package registry_test

import (
	"context"
	"errors"
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

const split = "temporal 80/20"

// fixture is a registry in a temporary directory with a clock that ticks
// one minute per reading.
type fixture struct {
	t   *testing.T
	reg *registry.Registry
	dir string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d, dir := openDir(t)
	now := registrytest.T0
	reg, err := registry.New(registry.Config{Backend: d, Now: func() time.Time { now = now.Add(time.Minute); return now }})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, reg: reg, dir: dir}
}

// add writes and adds a model; it returns its id.
func (f *fixture) add(m registrytest.Model) string {
	f.t.Helper()
	src := f.t.TempDir()
	registrytest.Write(f.t, src, m)
	e, added, err := f.reg.Add(context.Background(), src, "alice", "")
	if err != nil || !added {
		f.t.Fatalf("Add: %v (added %v)", err, added)
	}
	return e.ID
}

func (f *fixture) promote(id string, force bool) (registry.Event, error) {
	return f.reg.Promote(context.Background(), registry.PromoteRequest{Model: id, Actor: "bob", Reason: "monthly retrain", Force: force})
}

func metrics(kv ...float64) map[string]float64 {
	names := []string{"test_auc", "test_ap"}
	m := map[string]float64{}
	for i, v := range kv {
		m[names[i]] = v
	}
	return m
}

func TestPromoteComparesOnTheSameHeldOutSet(t *testing.T) {
	champion := registrytest.Model{Name: "champ", Seed: 1, Fingerprint: "fp1", Split: split, Metrics: metrics(0.90, 0.50)}
	tests := []struct {
		name       string
		challenger registrytest.Model
		wantErr    error  // without --force
		wantCheck  string // in the error, and in the forced event's Check
	}{
		{"better", registrytest.Model{Seed: 2, Fingerprint: "fp1", Split: split, Metrics: metrics(0.92, 0.55)}, nil, "test AUC 0.9200 ≥ 0.9000, test AP 0.5500 ≥ 0.5000"},
		{"equal", registrytest.Model{Seed: 3, Fingerprint: "fp1", Split: split, Metrics: metrics(0.90, 0.50)}, nil, "≥ 0.9000"},
		{"lower AUC", registrytest.Model{Seed: 4, Fingerprint: "fp1", Split: split, Metrics: metrics(0.85, 0.60)}, registry.ErrWorse, "test AUC 0.8500 < 0.9000"},
		{"lower AP", registrytest.Model{Seed: 5, Fingerprint: "fp1", Split: split, Metrics: metrics(0.95, 0.40)}, registry.ErrWorse, "test AP 0.4000 < 0.5000"},
		{"other data", registrytest.Model{Seed: 6, Fingerprint: "fp2", Split: split, Metrics: metrics(0.99, 0.99)}, registry.ErrIncomparable, "different held-out sets"},
		{"other split", registrytest.Model{Seed: 7, Fingerprint: "fp1", Split: "random 90/10", Metrics: metrics(0.99, 0.99)}, registry.ErrIncomparable, "different held-out sets"},
		{"val not test", registrytest.Model{Seed: 8, Fingerprint: "fp1", Split: split, Metrics: map[string]float64{"val_auc": 0.99}}, registry.ErrIncomparable, "different held-out sets"},
		{"no metrics", registrytest.Model{Seed: 9, Fingerprint: "fp1", Split: split}, registry.ErrIncomparable, "records no held-out metrics"},
		{"no fingerprint", registrytest.Model{Seed: 10, Split: split, Metrics: metrics(0.99, 0.99)}, registry.ErrIncomparable, "not identified"},
		{"no common metric", registrytest.Model{Seed: 11, Fingerprint: "fp1", Split: split, Metrics: map[string]float64{"test_ap": 0.9}}, nil, "test AP 0.9000 ≥ 0.5000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			champ := f.add(champion)
			if _, err := f.promote(champ, false); err != nil {
				t.Fatalf("first promotion: %v", err)
			}
			id := f.add(tc.challenger)
			ev, err := f.promote(id, false)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Promote = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tc.wantCheck) || !strings.Contains(err.Error(), "--force") {
					t.Errorf("refusal %q does not say %q and how to force", err, tc.wantCheck)
				}
				if cur, _ := f.reg.Current(context.Background()); cur.Champion != champ {
					t.Fatalf("a refused promotion changed the champion to %s", cur.Champion)
				}
				if ev, err = f.promote(id, true); err != nil {
					t.Fatalf("forced Promote: %v", err)
				}
				if !ev.Forced {
					t.Error("the forced promotion is not logged as forced")
				}
			} else if ev.Forced {
				t.Error("an unforced promotion is logged as forced")
			}
			if !strings.Contains(ev.Check, tc.wantCheck) {
				t.Errorf("logged check %q lacks %q", ev.Check, tc.wantCheck)
			}
			want := registry.State{Champion: id, Previous: []string{champ}}
			if diff := cmp.Diff(want, ev.After); diff != "" {
				t.Errorf("state after promotion (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPromoteRollbackAndLog(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m := func(seed uint64, auc float64) registrytest.Model {
		return registrytest.Model{Name: "m", Seed: seed, Fingerprint: "fp", Split: split, Metrics: metrics(auc)}
	}
	a, b, c := f.add(m(1, 0.80)), f.add(m(2, 0.85)), f.add(m(3, 0.90))
	for _, id := range []string{a, b, c} {
		if _, err := f.promote(id, false); err != nil {
			t.Fatalf("promote %s: %v", id, err)
		}
	}
	if _, err := f.promote(c, false); !errors.Is(err, registry.ErrNoChange) {
		t.Errorf("promoting the champion again = %v, want ErrNoChange", err)
	}
	if _, err := f.reg.Rollback(ctx, "carol", ""); !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("rollback without a reason = %v, want ErrInvalid", err)
	}
	for _, want := range []string{b, a} {
		ev, err := f.reg.Rollback(ctx, "carol", "alert storm")
		if err != nil {
			t.Fatal(err)
		}
		if ev.After.Champion != want || ev.Action != registry.ActionRollback {
			t.Errorf("rollback restored %s, want %s", ev.After.Champion, want)
		}
	}
	if _, err := f.reg.Rollback(ctx, "carol", "again"); !errors.Is(err, registry.ErrNoPrevious) {
		t.Errorf("rollback past the first champion = %v, want ErrNoPrevious", err)
	}
	log, err := f.reg.Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type line struct {
		Seq              uint64
		Actor            string
		Action           registry.Action
		Model, Replaced  string
		Reason, Champion string
		Minute           int
	}
	var got []line
	for _, e := range log {
		got = append(got, line{e.Seq, e.Actor, e.Action, e.Model, e.Replaced, e.Reason, e.After.Champion, int(e.Time.Sub(registrytest.T0) / time.Minute)})
	}
	want := []line{
		{1, "alice", registry.ActionAdd, a, "", "", "", 1},
		{2, "alice", registry.ActionAdd, b, "", "", "", 2},
		{3, "alice", registry.ActionAdd, c, "", "", "", 3},
		{4, "bob", registry.ActionPromote, a, "", "monthly retrain", a, 4},
		{5, "bob", registry.ActionPromote, b, a, "monthly retrain", b, 5},
		{6, "bob", registry.ActionPromote, c, b, "monthly retrain", c, 6},
		{7, "carol", registry.ActionRollback, b, c, "alert storm", b, 7},
		{8, "carol", registry.ActionRollback, a, b, "alert storm", a, 8},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestShadow(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := f.add(registrytest.Model{Seed: 1})
	b := f.add(registrytest.Model{Seed: 2})
	f.promote(a, true)
	shadow := func(id string) (registry.Event, error) {
		return f.reg.SetShadow(ctx, registry.ShadowRequest{Model: id, Actor: "dan"})
	}
	if _, err := shadow(a); !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("champion as shadow = %v, want ErrInvalid", err)
	}
	if ev, err := shadow(b); err != nil || ev.After.Shadow != b {
		t.Fatalf("SetShadow = %+v, %v", ev.After, err)
	}
	if _, err := shadow(b); !errors.Is(err, registry.ErrNoChange) {
		t.Errorf("same shadow again = %v, want ErrNoChange", err)
	}
	if ev, err := shadow(""); err != nil || ev.After.Shadow != "" || ev.Replaced != b {
		t.Fatalf("clearing the shadow = %+v, %v", ev, err)
	}
	if _, err := shadow(""); !errors.Is(err, registry.ErrNoChange) {
		t.Errorf("clearing no shadow = %v, want ErrNoChange", err)
	}
	// Promoting the shadow makes it champion and leaves no shadow.
	shadow(b)
	ev, err := f.promote(b, true)
	if err != nil || ev.After.Champion != b || ev.After.Shadow != "" {
		t.Errorf("promoting the shadow = %+v, %v", ev.After, err)
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := f.add(registrytest.Model{Name: "alpha", Seed: 1})
	b1 := f.add(registrytest.Model{Name: "beta", Seed: 2})
	b2 := f.add(registrytest.Model{Name: "beta", Seed: 3})
	_, hash, _ := strings.Cut(b1, "@")
	tests := []struct {
		ref, want string
		err       error
	}{
		{a, a, nil},
		{"alp", a, nil},
		{b1, b1, nil},
		{hash[:8], b1, nil},
		{"beta", "", registry.ErrAmbiguous},
		{"gamma", "", registry.ErrNotFound},
		{"", "", registry.ErrInvalid},
	}
	for _, tc := range tests {
		got, err := f.reg.Resolve(ctx, tc.ref)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("Resolve(%q) = %q, %v; want %q, %v", tc.ref, got, err, tc.want, tc.err)
		}
		if errors.Is(err, registry.ErrAmbiguous) && (!strings.Contains(err.Error(), b1) || !strings.Contains(err.Error(), b2)) {
			t.Errorf("ambiguity error %q does not list the candidates", err)
		}
	}
}

func corruptWeights(t *testing.T, dir string) {
	t.Helper()
	p := filepath.Join(dir, artefact.SafetensorsFile)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-2] ^= 0x10
	os.WriteFile(p, b, 0o600)
}

func TestBrokenArtefacts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	src := t.TempDir()
	registrytest.Write(t, src, registrytest.Model{Seed: 1})
	bad := t.TempDir()
	registrytest.Write(t, bad, registrytest.Model{Seed: 2})
	corruptWeights(t, bad)
	if _, _, err := f.reg.Add(ctx, bad, "alice", ""); !errors.Is(err, artefact.ErrChecksum) {
		t.Errorf("adding a corrupt artefact = %v, want ErrChecksum", err)
	}
	e, added, err := f.reg.Add(ctx, src, "alice", "")
	if err != nil || !added {
		t.Fatal(err)
	}
	if _, added, err := f.reg.Add(ctx, src, "alice", ""); err != nil || added {
		t.Errorf("adding it again = added %v, %v; want a no-op", added, err)
	}
	// Damage the stored copy: it cannot be promoted, List still lists it,
	// and adding the artefact again restores it.
	corruptWeights(t, filepath.Join(f.dir, e.ID))
	if _, err := f.promote(e.ID, true); !errors.Is(err, artefact.ErrChecksum) {
		t.Errorf("promoting a damaged model = %v, want ErrChecksum even forced", err)
	}
	if _, err := f.reg.SetShadow(ctx, registry.ShadowRequest{Model: e.ID, Actor: "a"}); !errors.Is(err, artefact.ErrChecksum) {
		t.Errorf("shadowing a damaged model = %v, want ErrChecksum", err)
	}
	if _, added, err := f.reg.Add(ctx, src, "alice", "restore"); err != nil || !added {
		t.Fatalf("re-adding over a damaged copy = added %v, %v", added, err)
	}
	if _, err := f.promote(e.ID, false); err != nil {
		t.Errorf("promoting the restored copy: %v", err)
	}
	os.WriteFile(filepath.Join(f.dir, e.ID, artefact.ManifestFile), []byte("{"), 0o600)
	list, err := f.reg.List(ctx)
	if err != nil || len(list) != 1 || !strings.Contains(list[0].Problem, "manifest") {
		t.Errorf("List with a broken manifest = %+v, %v; want the model with its problem", list, err)
	}
}

func TestListRolesAndMetrics(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := f.add(registrytest.Model{Name: "a", Seed: 1, Fingerprint: "fp", Split: split, Metrics: metrics(0.9, 0.4)})
	b := f.add(registrytest.Model{Name: "b", Seed: 2, Fingerprint: "fp", Split: split, Metrics: metrics(0.95, 0.5)})
	c := f.add(registrytest.Model{Name: "c", Seed: 3})
	f.promote(a, false)
	f.promote(b, false)
	f.reg.SetShadow(ctx, registry.ShadowRequest{Model: c, Actor: "x"})
	list, err := f.reg.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID, Role string
		Minute   int
		AUC      float64
	}
	var got []row
	for _, e := range list {
		r := row{e.ID, e.Role, int(e.Created.Sub(registrytest.T0) / time.Minute), -1}
		if e.Eval != nil && e.Eval.AUC != nil {
			r.AUC = *e.Eval.AUC
		}
		got = append(got, r)
	}
	want := []row{{c, "shadow", 3, -1}, {b, "champion", 2, 0.95}, {a, "archived", 1, 0.9}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func TestRepairCorruptHead(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := f.add(registrytest.Model{Seed: 1})
	b := f.add(registrytest.Model{Seed: 2})
	f.promote(a, true)
	f.reg.SetShadow(ctx, registry.ShadowRequest{Model: b, Actor: "x"})
	if _, err := f.reg.Repair(ctx, "ops"); !errors.Is(err, registry.ErrNoChange) {
		t.Errorf("Repair of a sound head = %v, want ErrNoChange", err)
	}
	os.WriteFile(filepath.Join(f.dir, registry.PointerFile), []byte("\x00\x00garbage"), 0o600)
	_, err := f.promote(b, true)
	if !errors.Is(err, registry.ErrCorrupt) || !strings.Contains(err.Error(), registry.PointerFile) || !strings.Contains(err.Error(), "repair") {
		t.Errorf("Promote over a corrupt head = %v, want ErrCorrupt naming the file and the repair", err)
	}
	if _, err := f.reg.List(ctx); !errors.Is(err, registry.ErrCorrupt) {
		t.Errorf("List over a corrupt head = %v, want ErrCorrupt", err)
	}
	ev, err := f.reg.Repair(ctx, "ops")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(registry.State{Champion: a, Shadow: b}, ev.After); diff != "" {
		t.Errorf("repaired state (-want +got):\n%s", diff)
	}
	if _, err := f.promote(b, true); err != nil {
		t.Errorf("Promote after repair: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := registry.New(registry.Config{}); !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("New without a backend = %v, want ErrInvalid", err)
	}
}
