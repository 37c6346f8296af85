package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/gnn/artefact"
)

// Action names what an Event did.
type Action string

// The actions of the log.
const (
	ActionAdd      Action = "add"      // a model was stored
	ActionPromote  Action = "promote"  // a model became champion
	ActionShadow   Action = "shadow"   // the shadow was set or cleared
	ActionRollback Action = "rollback" // the previous champion was restored
	ActionRepair   Action = "repair"   // a corrupt head was rewritten from the log
)

// State is what is in force: the champion decides, the shadow scores the
// same traffic for comparison. Ids are ModelIDs; "" means none.
type State struct {
	Champion string `json:"champion,omitempty"`
	Shadow   string `json:"shadow,omitempty"`
	// Previous are the earlier champions, most recent last: rollback
	// restores the last one and drops it. At most MaxPrevious are kept.
	Previous []string `json:"previous,omitempty"`
}

// MaxPrevious bounds State.Previous; older champions stay in the log.
const MaxPrevious = 100

// Event is one committed change, as the log records it.
type Event struct {
	// Seq numbers events from 1 without gaps; the head is the event with
	// the highest Seq.
	Seq uint64 `json:"seq"`
	// Time is when it was committed (UTC, the Registry's clock).
	Time time.Time `json:"time"`
	// Actor is who asked for it.
	Actor  string `json:"actor"`
	Action Action `json:"action"`
	// Model is the model acted on: added, promoted, made shadow, or
	// restored by rollback; "" when the shadow was cleared.
	Model string `json:"model,omitempty"`
	// Replaced is the model it displaced: the champion before a promotion
	// or rollback, the shadow before a shadow change.
	Replaced string `json:"replaced,omitempty"`
	// Reason is the actor's why.
	Reason string `json:"reason,omitempty"`
	// Forced says --force overrode the metric check; Check is that check's
	// finding, in words (for a promotion).
	Forced bool   `json:"forced,omitempty"`
	Check  string `json:"check,omitempty"`
	// After is the state the event left in force.
	After State `json:"after"`
}

// Stored is a model as a Backend holds it.
type Stored struct {
	ID string
	// Time is when the backend stored it (file or object modification
	// time): used for Entry.Created when the log has no add event for it.
	Time time.Time
}

// Backend is where a registry lives. Implementations: Dir, and
// natsobj.Store. Each must pass registrytest.Run. Safe for concurrent use,
// by several processes at once.
type Backend interface {
	// PutModel stores the files (manifest.json and its weights file,
	// names relative to dir) of the artefact in directory dir under id,
	// replacing any stored copy. Readers see the whole model or none of
	// it (OpenModel fails with ErrNotFound until it is complete).
	PutModel(ctx context.Context, id, dir string, files []string) error
	// OpenModel returns model id's files, manifest.json at the root: an
	// fs.FS for artefact.LoadFS whose weights file implements io.ReaderAt.
	// A model not stored is ErrNotFound.
	OpenModel(ctx context.Context, id string) (fs.FS, error)
	// Models lists the stored models, in no particular order.
	Models(ctx context.Context) ([]Stored, error)
	// Head returns the last committed event: the zero Event (Seq 0) when
	// nothing was ever committed, ErrCorrupt when it cannot be decoded.
	Head(ctx context.Context) (Event, error)
	// Commit makes ev the head if the current head's Seq is ev.Seq-1, and
	// appends it to the log; else it fails with ErrConflict. A head that
	// cannot be decoded fails with ErrCorrupt, unless ev is a repair, which
	// replaces it whatever its Seq. Before anything else, a head missing
	// from the log (a commit interrupted between the two writes) is
	// appended to it. Every write is durable before Commit returns.
	Commit(ctx context.Context, ev Event) error
	// Log returns every logged event, oldest first.
	Log(ctx context.Context) ([]Event, error)
	// Watch calls fn with the head as it is now, then after each change,
	// until ctx ends (then it returns nil). A head that cannot be read is
	// passed as an error (once per distinct content, not at every poll).
	// fn runs on Watch's goroutine; it may be slow.
	Watch(ctx context.Context, fn func(Event, error)) error
}

// Config configures a Registry.
type Config struct {
	// Backend holds the models, head and log. Required.
	Backend Backend
	// Now is the clock stamped on events. Default time.Now.
	Now func() time.Time
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Backend == nil {
		return fmt.Errorf("%w: Config.Backend is nil", ErrInvalid)
	}
	return nil
}

// Registry is the model registry over a Backend. Safe for concurrent use.
type Registry struct {
	b   Backend
	now func() time.Time
}

// New returns the registry of cfg.
func New(cfg Config) (*Registry, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Registry{b: cfg.Backend, now: cfg.Now}, nil
}

// idPattern is what a stored model id may look like: a manifest id safe
// as a file and object name, '@', 12 hex digits.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}@[0-9a-f]{12}$`)

// ValidID reports whether id can be stored: a manifest id of letters,
// digits, '.', '_' and '-' (not starting with '.', '_' or '-', at most 128
// characters), then '@' and 12 lower-case hex digits.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Add verifies the artefact in dir (artefact.Load: every check), stores it
// under its ModelID and logs it; the stored copy is loaded back and checked
// before Add returns. Adding a model already stored (and intact) changes
// nothing and returns its entry with added false.
func (r *Registry) Add(ctx context.Context, dir, actor, reason string) (e Entry, added bool, err error) {
	if strings.TrimSpace(actor) == "" {
		return Entry{}, false, fmt.Errorf("%w: an actor is required", ErrInvalid)
	}
	a, err := artefact.Load(dir)
	if err != nil {
		return Entry{}, false, fmt.Errorf("registry: add %s: %w", dir, err)
	}
	id := a.ModelID()
	if !ValidID(id) {
		return Entry{}, false, fmt.Errorf("%w: model id %q: want letters, digits, '.', '_' or '-' before the '@'", ErrInvalid, id)
	}
	if _, err := r.Load(ctx, id); err == nil {
		e, err := r.entry(ctx, id)
		return e, false, err
	} else if !errors.Is(err, ErrNotFound) && ctx.Err() != nil {
		return Entry{}, false, err
	}
	// Absent, or stored but damaged: (re)store it.
	if err := r.b.PutModel(ctx, id, dir, []string{artefact.ManifestFile, a.Manifest.Weights}); err != nil {
		return Entry{}, false, fmt.Errorf("registry: storing %s: %w", id, err)
	}
	if _, err := r.Load(ctx, id); err != nil {
		return Entry{}, false, fmt.Errorf("registry: the stored copy of %s does not load back: %w", id, err)
	}
	if _, err := r.change(ctx, func(cur State) (Event, error) {
		return Event{Actor: actor, Action: ActionAdd, Model: id, Reason: reason, After: cur}, nil
	}); err != nil {
		return Entry{}, false, err
	}
	e, err = r.entry(ctx, id)
	return e, true, err
}

// Load returns stored model id (a full id, not a prefix), fully validated
// by artefact.LoadFS. ErrNotFound when it is not stored; an artefact error
// when it is damaged.
func (r *Registry) Load(ctx context.Context, id string) (*artefact.Artefact, error) {
	fsys, err := r.b.OpenModel(ctx, id)
	if err != nil {
		return nil, err
	}
	a, err := artefact.LoadFS(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("registry: model %s: %w", id, err)
	}
	if a.ModelID() != id {
		return nil, fmt.Errorf("registry: model %s: stored artefact is %s: %w", id, a.ModelID(), artefact.ErrChecksum)
	}
	return a, nil
}

// manifest reads stored model id's manifest without its weights.
func (r *Registry) manifest(ctx context.Context, id string) (artefact.Manifest, error) {
	var m artefact.Manifest
	fsys, err := r.b.OpenModel(ctx, id)
	if err != nil {
		return m, err
	}
	b, err := fs.ReadFile(fsys, artefact.ManifestFile)
	if err != nil {
		return m, fmt.Errorf("registry: model %s: %w", id, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("registry: model %s: %s: %w: %v", id, artefact.ManifestFile, artefact.ErrManifest, err)
	}
	return m, nil
}

// Resolve returns the stored model id that ref names: the id itself, or a
// prefix of exactly one id or of exactly one id's hash (after the '@').
func (r *Registry) Resolve(ctx context.Context, ref string) (string, error) {
	if ref == "" {
		return "", fmt.Errorf("%w: empty model id", ErrInvalid)
	}
	stored, err := r.b.Models(ctx)
	if err != nil {
		return "", err
	}
	var match []string
	for _, s := range stored {
		if s.ID == ref {
			return s.ID, nil
		}
		_, hash, _ := strings.Cut(s.ID, "@")
		if strings.HasPrefix(s.ID, ref) || strings.HasPrefix(hash, ref) {
			match = append(match, s.ID)
		}
	}
	slices.Sort(match)
	switch len(match) {
	case 0:
		return "", fmt.Errorf("%w: %q (riskgraph model list shows the stored ones)", ErrNotFound, ref)
	case 1:
		return match[0], nil
	}
	return "", fmt.Errorf("%w: %q matches %s", ErrAmbiguous, ref, strings.Join(match, ", "))
}

// Current returns the state in force.
func (r *Registry) Current(ctx context.Context) (State, error) {
	h, err := r.b.Head(ctx)
	if err != nil {
		return State{}, r.headErr(err)
	}
	return h.After, nil
}

// Log returns every logged event, oldest first.
func (r *Registry) Log(ctx context.Context) ([]Event, error) { return r.b.Log(ctx) }

// Watch calls fn with the state in force now and after every change until
// ctx ends; see Backend.Watch. fn may be called with an unchanged state
// (after an add, say): it should compare.
func (r *Registry) Watch(ctx context.Context, fn func(State, error)) error {
	return r.b.Watch(ctx, func(ev Event, err error) { fn(ev.After, err) })
}

// Repair rewrites a head that cannot be decoded from the last event of the
// log, as a repair event by actor. It fails with ErrNoChange when the head
// is sound.
func (r *Registry) Repair(ctx context.Context, actor string) (Event, error) {
	if strings.TrimSpace(actor) == "" {
		return Event{}, fmt.Errorf("%w: an actor is required", ErrInvalid)
	}
	if _, err := r.b.Head(ctx); err == nil {
		return Event{}, fmt.Errorf("%w: the head is readable", ErrNoChange)
	} else if !errors.Is(err, ErrCorrupt) {
		return Event{}, err
	}
	log, err := r.b.Log(ctx)
	if err != nil {
		return Event{}, fmt.Errorf("registry: repair needs the log: %w", err)
	}
	var last Event
	if len(log) > 0 {
		last = log[len(log)-1]
	}
	ev := Event{Seq: last.Seq + 1, Time: r.now().UTC(), Actor: actor, Action: ActionRepair,
		Reason: fmt.Sprintf("head was unreadable; restored the state after log event %d", last.Seq), After: last.After}
	if err := r.b.Commit(ctx, ev); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// change commits the event fn derives from the state in force, retrying
// when another commit got in first (fn then sees the new state).
func (r *Registry) change(ctx context.Context, fn func(cur State) (Event, error)) (Event, error) {
	for attempt := 0; ; attempt++ {
		head, err := r.b.Head(ctx)
		if err != nil {
			return Event{}, r.headErr(err)
		}
		ev, err := fn(head.After)
		if err != nil {
			return Event{}, err
		}
		ev.Seq, ev.Time = head.Seq+1, r.now().UTC()
		err = r.b.Commit(ctx, ev)
		if !errors.Is(err, ErrConflict) || attempt == 4 {
			return ev, err
		}
	}
}

// Entry is a stored model as List reports it.
type Entry struct {
	ID string `json:"id"`
	// Created is when it was added (its add event, else when the backend
	// stored it).
	Created time.Time `json:"created"`
	// Role is "champion", "shadow" or "archived".
	Role string `json:"role"`
	// Eval is its held-out evaluation from its manifest; nil when it has
	// none.
	Eval *Evaluation `json:"eval,omitempty"`
	// Problem says why the manifest cannot be read ("" when it can). The
	// weights are not checked by List; Load checks them.
	Problem string `json:"problem,omitempty"`
}

// Roles of List.
const (
	RoleChampion = "champion"
	RoleShadow   = "shadow"
	RoleArchived = "archived"
)

// List returns every stored model, newest first, with its role in the
// current state and its recorded metrics. A model whose manifest cannot
// be read is listed with Problem set.
func (r *Registry) List(ctx context.Context) ([]Entry, error) {
	cur, err := r.Current(ctx)
	if err != nil {
		return nil, err
	}
	log, err := r.b.Log(ctx)
	if err != nil {
		return nil, err
	}
	added := map[string]time.Time{}
	for _, ev := range log {
		if _, ok := added[ev.Model]; ev.Action == ActionAdd && !ok {
			added[ev.Model] = ev.Time
		}
	}
	stored, err := r.b.Models(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(stored))
	for _, s := range stored {
		e := r.describe(ctx, s.ID, cur)
		e.Created = s.Time.UTC()
		if t, ok := added[s.ID]; ok {
			e.Created = t
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (r *Registry) entry(ctx context.Context, id string) (Entry, error) {
	all, err := r.List(ctx)
	if err != nil {
		return Entry{}, err
	}
	for _, e := range all {
		if e.ID == id {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("%w: %s", ErrNotFound, id)
}

func (r *Registry) describe(ctx context.Context, id string, cur State) Entry {
	e := Entry{ID: id, Role: RoleArchived}
	switch id {
	case cur.Champion:
		e.Role = RoleChampion
	case cur.Shadow:
		e.Role = RoleShadow
	}
	m, err := r.manifest(ctx, id)
	if err != nil {
		e.Problem = err.Error()
		return e
	}
	if ev, ok := EvaluationOf(m); ok {
		e.Eval = &ev
	}
	return e
}

// cleanFiles reports whether every file name is a plain name inside the
// artefact directory.
func cleanFiles(files []string) error {
	for _, f := range files {
		if f == "" || f != path.Base(f) || f == "." || f == ".." || strings.ContainsRune(f, '\\') {
			return fmt.Errorf("%w: file name %q", ErrInvalid, f)
		}
	}
	return nil
}
