package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/registry"
	"github.com/riskgraph/riskgraph/registry/natsobj"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/scoring"
)

// registryDir is where a data directory keeps its model registry.
const registryDir = "models"

// openRegistry opens the model registry: in the NATS cluster js when it
// is not nil, else in dataDir/models (polled every poll by Watch).
func (m *Main) openRegistry(ctx context.Context, dataDir string, js jetstream.JetStream, poll time.Duration) (*registry.Registry, error) {
	var b registry.Backend
	switch {
	case js != nil:
		s, err := natsobj.Open(ctx, natsobj.Config{JS: js})
		if err != nil {
			return nil, err
		}
		b = s
	case dataDir != "":
		d, err := registry.OpenDir(registry.DirConfig{Path: filepath.Join(dataDir, registryDir), Poll: poll})
		if err != nil {
			return nil, err
		}
		b = d
	default:
		return nil, usagef("--data-dir or --nats-url is required to find the model registry")
	}
	return registry.New(registry.Config{Backend: b, Now: m.Now})
}

// modelSetter is what the watcher needs of the scorer; *scoring.Scorer
// is one.
type modelSetter interface {
	SetModel(m scoring.Model, mf artefact.Manifest) error
	SetShadow(m scoring.Model, mf artefact.Manifest, record func(scoring.ShadowScore)) error
}

var _ modelSetter = (*scoring.Scorer)(nil)

// modelRegistry is what serve needs of the registry; *registry.Registry
// is one.
type modelRegistry interface {
	Current(ctx context.Context) (registry.State, error)
	Load(ctx context.Context, id string) (*artefact.Artefact, error)
	Watch(ctx context.Context, fn func(registry.State, error)) error
}

var _ modelRegistry = (*registry.Registry)(nil)

// modelWatchConfig says where serve's models come from.
type modelWatchConfig struct {
	// Registry is followed for the champion and the shadow; nil for none.
	Registry modelRegistry
	// ModelDir and ShadowDir (--model, --shadow-model) pin a role to a
	// model directory: the registry is then not followed for that role.
	// With no ModelDir and no registry champion, the built-in model
	// decides.
	ModelDir, ShadowDir string
	// Scorer receives the models. Required.
	Scorer modelSetter
	// RecordShadow receives the shadow's scores.
	RecordShadow func(scoring.ShadowScore)
	// OnChange is called with the ids in use (shadow "" for none) once at
	// start and after every change: serve's model gauge.
	OnChange func(champion, shadow string)
	// Log receives swaps (info) and refused models (error). Required.
	Log *slog.Logger
	// Retry is the pause before watching again after the watch failed.
	// Default 2 s.
	Retry time.Duration
	// Engine runs the models' forward pass (zero: gnn.EngineNative).
	Engine gnn.Engine
}

// modelWatcher installs serve's models and keeps them in step with the
// registry: a promotion, a rollback or a shadow change reaches the scorer
// without a restart, and a model that does not load or does not fit is
// refused with a logged error while the current one keeps deciding.
type modelWatcher struct {
	cfg modelWatchConfig

	mu               sync.Mutex
	champion, shadow string         // ids in use
	want             registry.State // the last state acted on

	stop context.CancelFunc
	done chan struct{}
}

// startModels installs the champion and the shadow; then run follows the
// registry. At start an unreadable registry or a champion that does not
// load is an error (serve does not silently fall back to another model);
// a shadow from the registry that does not load is logged and skipped.
func startModels(ctx context.Context, cfg modelWatchConfig) (*modelWatcher, error) {
	if cfg.Scorer == nil || cfg.Log == nil {
		return nil, errors.New("modelwatch: Scorer and Log are required")
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 2 * time.Second
	}
	w := &modelWatcher{cfg: cfg}
	var cur registry.State
	if cfg.Registry != nil && (cfg.ModelDir == "" || cfg.ShadowDir == "") {
		var err error
		if cur, err = cfg.Registry.Current(ctx); err != nil {
			return nil, fmt.Errorf("model registry: %w", err)
		}
	}
	w.want = cur
	switch {
	case cfg.ModelDir != "":
		a, err := artefact.Load(cfg.ModelDir)
		if err != nil {
			return nil, fmt.Errorf("--model: %w", err)
		}
		if err := w.install(a); err != nil {
			return nil, fmt.Errorf("--model: %w", err)
		}
	case cur.Champion != "":
		if err := w.installFromRegistry(ctx, cur.Champion); err != nil {
			return nil, fmt.Errorf("model registry champion: %w (roll back with riskgraph model rollback, or pass --model)", err)
		}
	default:
		a, err := loadDefaultModel()
		if err != nil {
			return nil, err
		}
		if err := w.install(a); err != nil {
			return nil, err
		}
	}
	switch {
	case cfg.ShadowDir != "":
		a, err := artefact.Load(cfg.ShadowDir)
		if err != nil {
			return nil, fmt.Errorf("--shadow-model: %w", err)
		}
		if err := w.installShadow(a); err != nil {
			return nil, fmt.Errorf("--shadow-model: %w", err)
		}
	case cur.Shadow != "":
		if err := w.shadowFromRegistry(ctx, cur.Shadow); err != nil {
			cfg.Log.Error("shadow model refused; serving without a shadow", "model", cur.Shadow, "err", err)
		}
	}
	w.changed()
	return w, nil
}

// championID returns the id of the model deciding now.
func (w *modelWatcher) championID() string {
	c, _ := w.ids()
	return c
}

// ids returns the champion and shadow in use.
func (w *modelWatcher) ids() (champion, shadow string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.champion, w.shadow
}

func (w *modelWatcher) changed() {
	if w.cfg.OnChange != nil {
		c, s := w.ids()
		w.cfg.OnChange(c, s)
	}
}

// newModel builds a's model and runs it once on an empty batch of every
// bucket size: the graphs are compiled before the first request needs
// them (a swap under load adds no compile latency), and a model whose
// scores are not finite probabilities is refused.
func newModel(a *artefact.Artefact, e gnn.Engine) (*gnn.Model, error) {
	model, err := gnn.New(a.Manifest, a.Tensors, gnn.WithEngine(e))
	if err != nil {
		return nil, err
	}
	d := a.Manifest.Dims
	for _, n := range gnn.DefaultBuckets {
		b := &sampling.Batch{B: n, F0: d.F0, F1: d.F1, F2: d.F2, R1: d.R1, R2: d.R2, K1: d.K1, K2: d.K2,
			X0: make([]float32, n*d.F0), X1: make([]float32, d.R1*n*d.K1*d.F1), M1: make([]float32, d.R1*n*d.K1),
			X2: make([]float32, d.R1*n*d.K1*d.R2*d.K2*d.F2), M2: make([]float32, d.R1*n*d.K1*d.R2*d.K2)}
		out, err := model.Score(b, nil)
		if err != nil {
			return nil, fmt.Errorf("model %s: warm-up batch of %d: %w", a.ModelID(), n, err)
		}
		for _, s := range out {
			if !(s >= 0 && s <= 1) {
				return nil, fmt.Errorf("model %s: warm-up batch of %d scores %v, not a probability", a.ModelID(), n, s)
			}
		}
	}
	return model, nil
}

// install validates a (newModel, then the scorer's fit check) and makes
// it the champion.
func (w *modelWatcher) install(a *artefact.Artefact) error {
	model, err := newModel(a, w.cfg.Engine)
	if err != nil {
		return err
	}
	if err := w.cfg.Scorer.SetModel(model, a.Manifest); err != nil {
		return err
	}
	w.mu.Lock()
	w.champion = a.ModelID()
	w.mu.Unlock()
	return nil
}

func (w *modelWatcher) installShadow(a *artefact.Artefact) error {
	model, err := newModel(a, w.cfg.Engine)
	if err != nil {
		return err
	}
	if err := w.cfg.Scorer.SetShadow(model, a.Manifest, w.cfg.RecordShadow); err != nil {
		return err
	}
	w.mu.Lock()
	w.shadow = a.ModelID()
	w.mu.Unlock()
	return nil
}

func (w *modelWatcher) installFromRegistry(ctx context.Context, id string) error {
	a, err := w.cfg.Registry.Load(ctx, id)
	if err != nil {
		return err
	}
	return w.install(a)
}

func (w *modelWatcher) shadowFromRegistry(ctx context.Context, id string) error {
	a, err := w.cfg.Registry.Load(ctx, id)
	if err != nil {
		return err
	}
	return w.installShadow(a)
}

// start follows the registry on its own goroutine until ctx ends or
// close is called.
func (w *modelWatcher) start(ctx context.Context) {
	ctx, w.stop = context.WithCancel(ctx)
	w.done = make(chan struct{})
	go func() {
		defer close(w.done)
		w.run(ctx)
	}()
}

// run follows the registry until ctx ends; it returns at once when there
// is nothing to follow.
func (w *modelWatcher) run(ctx context.Context) {
	if w.cfg.Registry == nil || (w.cfg.ModelDir != "" && w.cfg.ShadowDir != "") {
		return
	}
	for {
		err := w.cfg.Registry.Watch(ctx, func(s registry.State, err error) { w.apply(ctx, s, err) })
		if ctx.Err() != nil {
			return
		}
		w.cfg.Log.Error("model registry watch failed; retrying", "err", err, "in", w.cfg.Retry)
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.cfg.Retry):
		}
	}
}

// apply moves the scorer to state s. Each role is acted on when the
// registry's choice for it changes: a refused model is not retried until
// the registry names another one (or names it again after another).
func (w *modelWatcher) apply(ctx context.Context, s registry.State, err error) {
	if err != nil {
		w.cfg.Log.Error("model registry unreadable; keeping the current models", "err", err)
		return
	}
	changed := false
	if w.cfg.ModelDir == "" && s.Champion != w.want.Champion {
		w.want.Champion = s.Champion
		cur, _ := w.ids()
		if s.Champion != "" && s.Champion != cur {
			if err := w.installFromRegistry(ctx, s.Champion); err != nil {
				w.cfg.Log.Error("new champion refused; keeping the current model", "model", s.Champion, "current", cur, "err", err)
			} else {
				w.cfg.Log.Info("champion model swapped", "model", s.Champion, "previous", cur)
				changed = true
			}
		}
	}
	if w.cfg.ShadowDir == "" && s.Shadow != w.want.Shadow {
		w.want.Shadow = s.Shadow
		_, cur := w.ids()
		switch {
		case s.Shadow == cur:
		case s.Shadow == "":
			if err := w.cfg.Scorer.SetShadow(nil, artefact.Manifest{}, nil); err != nil {
				w.cfg.Log.Error("clearing the shadow model", "err", err)
				break
			}
			w.mu.Lock()
			w.shadow = ""
			w.mu.Unlock()
			w.cfg.Log.Info("shadow model cleared", "previous", cur)
			changed = true
		default:
			if err := w.shadowFromRegistry(ctx, s.Shadow); err != nil {
				w.cfg.Log.Error("new shadow model refused; keeping the current one", "model", s.Shadow, "current", cur, "err", err)
			} else {
				w.cfg.Log.Info("shadow model swapped", "model", s.Shadow, "previous", cur)
				changed = true
			}
		}
	}
	if changed {
		w.changed()
	}
}

// close stops following the registry, waits for a swap in progress, and
// removes the shadow (draining its queue).
func (w *modelWatcher) close() {
	if w.stop != nil {
		w.stop()
		<-w.done
	}
	if _, shadow := w.ids(); shadow != "" {
		w.cfg.Scorer.SetShadow(nil, artefact.Manifest{}, nil)
	}
}
