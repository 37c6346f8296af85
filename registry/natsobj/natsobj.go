package natsobj

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/registry"
)

// Defaults of Config.
const (
	DefaultBucket   = "riskgraph_models"
	DefaultKVBucket = "riskgraph_registry"
)

const (
	headKey   = "head"
	logPrefix = "log."
)

// Config configures a Store.
type Config struct {
	// JS is the JetStream context. Required.
	JS jetstream.JetStream
	// Bucket is the object store bucket of the artefacts. Default
	// DefaultBucket.
	Bucket string
	// KVBucket is the key-value bucket of the head and log. Default
	// DefaultKVBucket.
	KVBucket string
	// Replicas is the replication factor of buckets Open creates (existing
	// ones are used as they are). Default 1.
	Replicas int
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.JS == nil:
		return fmt.Errorf("%w: natsobj: Config.JS is nil", registry.ErrInvalid)
	case c.Replicas < 0 || c.Replicas > 5:
		return fmt.Errorf("%w: natsobj: Config.Replicas %d: want 1 to 5", registry.ErrInvalid, c.Replicas)
	case c.Bucket != "" && c.Bucket == c.KVBucket:
		return fmt.Errorf("%w: natsobj: Bucket and KVBucket are both %q", registry.ErrInvalid, c.Bucket)
	}
	return nil
}

// Store is the registry in JetStream. Safe for concurrent use.
type Store struct {
	obs jetstream.ObjectStore
	kv  jetstream.KeyValue
}

var _ registry.Backend = (*Store)(nil)

// Open binds to the buckets of cfg, creating those that do not exist.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultBucket
	}
	if cfg.KVBucket == "" {
		cfg.KVBucket = DefaultKVBucket
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	obs, err := cfg.JS.ObjectStore(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = cfg.JS.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: cfg.Bucket, Replicas: cfg.Replicas,
			Storage: jetstream.FileStorage, Description: "riskgraph model artefacts"})
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			obs, err = cfg.JS.ObjectStore(ctx, cfg.Bucket) // created meanwhile
		}
	}
	if err != nil {
		return nil, fmt.Errorf("natsobj: object store %s: %w", cfg.Bucket, err)
	}
	kv, err := cfg.JS.KeyValue(ctx, cfg.KVBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = cfg.JS.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: cfg.KVBucket, Replicas: cfg.Replicas,
			Storage: jetstream.FileStorage, Description: "riskgraph model registry head and log"})
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			kv, err = cfg.JS.KeyValue(ctx, cfg.KVBucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("natsobj: key-value bucket %s: %w", cfg.KVBucket, err)
	}
	return &Store{obs: obs, kv: kv}, nil
}

// PutModel implements registry.Backend: the weights first, the manifest
// last, so a model is visible only once it is complete.
func (s *Store) PutModel(ctx context.Context, id, dir string, files []string) error {
	if !registry.ValidID(id) {
		return fmt.Errorf("%w: model id %q", registry.ErrInvalid, id)
	}
	order := slices.Clone(files)
	slices.SortStableFunc(order, func(a, b string) int {
		return boolInt(a == artefact.ManifestFile) - boolInt(b == artefact.ManifestFile)
	})
	for _, name := range order {
		if name == "" || name != filepath.Base(name) || strings.ContainsAny(name, `/\`) || name == ".." {
			return fmt.Errorf("%w: file name %q", registry.ErrInvalid, name)
		}
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("natsobj: %w", err)
		}
		_, err = s.obs.Put(ctx, jetstream.ObjectMeta{Name: id + "/" + name}, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("natsobj: storing %s/%s: %w", id, name, err)
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// OpenModel implements registry.Backend: both files are read into memory
// (the object store checks their digests on the way).
func (s *Store) OpenModel(ctx context.Context, id string) (fs.FS, error) {
	if !registry.ValidID(id) {
		return nil, fmt.Errorf("%w: %q is not a model id", registry.ErrNotFound, id)
	}
	man, err := s.obs.GetBytes(ctx, id+"/"+artefact.ManifestFile)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("%w: %s (not in bucket)", registry.ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("natsobj: model %s: %w", id, err)
	}
	files := memFS{artefact.ManifestFile: man}
	var m struct{ Weights string }
	if json.Unmarshal(man, &m) != nil || (m.Weights != artefact.SafetensorsFile && m.Weights != artefact.NPZFile) {
		return files, nil // artefact.LoadFS reports the manifest's fault
	}
	w, err := s.obs.GetBytes(ctx, id+"/"+m.Weights)
	switch {
	case errors.Is(err, jetstream.ErrObjectNotFound):
		return files, nil // LoadFS: the weights file does not exist
	case err != nil:
		return nil, fmt.Errorf("natsobj: model %s: %s: %w", id, m.Weights, err)
	}
	files[m.Weights] = w
	return files, nil
}

// Models implements registry.Backend: the models whose manifest object
// exists.
func (s *Store) Models(ctx context.Context) ([]registry.Stored, error) {
	infos, err := s.obs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("natsobj: listing models: %w", err)
	}
	var out []registry.Stored
	for _, in := range infos {
		id, ok := strings.CutSuffix(in.Name, "/"+artefact.ManifestFile)
		if ok && !in.Deleted && registry.ValidID(id) {
			out = append(out, registry.Stored{ID: id, Time: in.ModTime})
		}
	}
	return out, nil
}

// head returns the head entry's event and revision (0 when there is none).
func (s *Store) head(ctx context.Context) (registry.Event, []byte, uint64, error) {
	e, err := s.kv.Get(ctx, headKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return registry.Event{}, nil, 0, nil
	}
	if err != nil {
		return registry.Event{}, nil, 0, fmt.Errorf("natsobj: reading the head: %w", err)
	}
	ev, err := s.decode(headKey, e.Value())
	return ev, e.Value(), e.Revision(), err
}

func (s *Store) decode(key string, b []byte) (registry.Event, error) {
	ev, err := registry.DecodeEvent(b)
	if err != nil {
		return registry.Event{}, fmt.Errorf("natsobj: key %q of bucket %s: %w", key, s.kv.Bucket(), err)
	}
	return ev, nil
}

// Head implements registry.Backend.
func (s *Store) Head(ctx context.Context) (registry.Event, error) {
	ev, _, _, err := s.head(ctx)
	return ev, err
}

func logKey(seq uint64) string { return fmt.Sprintf("%s%020d", logPrefix, seq) }

// Commit implements registry.Backend: the head is replaced only if its
// revision is still the one read (key-value compare-and-swap), then the
// event is put under its log key.
func (s *Store) Commit(ctx context.Context, ev registry.Event) error {
	line, err := registry.EncodeEvent(ev)
	if err != nil {
		return err
	}
	head, raw, rev, herr := s.head(ctx)
	switch {
	case herr != nil && !(errors.Is(herr, registry.ErrCorrupt) && ev.Action == registry.ActionRepair):
		return herr
	case herr == nil && ev.Seq != head.Seq+1:
		return fmt.Errorf("%w: head is at %d, event %d", registry.ErrConflict, head.Seq, ev.Seq)
	}
	if herr == nil && head.Seq > 0 {
		// Heal a commit interrupted between its two writes.
		if _, err := s.kv.Get(ctx, logKey(head.Seq)); errors.Is(err, jetstream.ErrKeyNotFound) {
			if _, err := s.kv.Put(ctx, logKey(head.Seq), raw); err != nil {
				return fmt.Errorf("natsobj: logging event %d: %w", head.Seq, err)
			}
		} else if err != nil {
			return fmt.Errorf("natsobj: reading the log: %w", err)
		}
	}
	if ev.Action == registry.ActionRepair {
		if _, err := s.kv.Get(ctx, logKey(ev.Seq)); err == nil {
			return fmt.Errorf("%w: the log already has event %d", registry.ErrConflict, ev.Seq)
		}
	}
	if rev == 0 {
		_, err = s.kv.Create(ctx, headKey, line)
	} else {
		_, err = s.kv.Update(ctx, headKey, line, rev)
	}
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return fmt.Errorf("%w: the head changed under event %d", registry.ErrConflict, ev.Seq)
	}
	if err != nil {
		return fmt.Errorf("natsobj: writing the head: %w", err)
	}
	if _, err := s.kv.Put(ctx, logKey(ev.Seq), line); err != nil {
		return fmt.Errorf("natsobj: event %d is in force but not yet logged (the next commit logs it): %w", ev.Seq, err)
	}
	return nil
}

// Log implements registry.Backend by watching the log keys until the
// watch has delivered them all.
func (s *Store) Log(ctx context.Context) ([]registry.Event, error) {
	w, err := s.kv.Watch(ctx, logPrefix+">", jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("natsobj: reading the log: %w", err)
	}
	defer w.Stop()
	var out []registry.Event
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("natsobj: the log watch closed early")
			}
			if e == nil {
				slices.SortFunc(out, func(a, b registry.Event) int { return cmpUint(a.Seq, b.Seq) })
				return out, nil
			}
			ev, err := s.decode(e.Key(), e.Value())
			if err != nil {
				return nil, err
			}
			out = append(out, ev)
		}
	}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Watch implements registry.Backend with a key-value watch of the head.
// It returns an error if the watch ends before ctx (the connection was
// closed).
func (s *Store) Watch(ctx context.Context, fn func(registry.Event, error)) error {
	w, err := s.kv.Watch(ctx, headKey)
	if err != nil {
		return fmt.Errorf("natsobj: watching the head: %w", err)
	}
	defer w.Stop()
	var last []byte
	seen := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			switch {
			case !ok:
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("natsobj: the head watch ended")
			case e == nil: // the initial values are delivered
				if !seen {
					fn(registry.Event{}, nil)
					seen = true
				}
			case e.Operation() != jetstream.KeyValuePut:
				last, seen = nil, true
				fn(registry.Event{}, nil)
			case !seen || !bytes.Equal(e.Value(), last):
				last, seen = e.Value(), true
				fn(s.decode(headKey, e.Value()))
			}
		}
	}
}

// memFS is an artefact held in memory: file name → content.
type memFS map[string][]byte

func (m memFS) Open(name string) (fs.File, error) {
	b, ok := m[name]
	if !ok || !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{Reader: bytes.NewReader(b), name: name, size: int64(len(b))}, nil
}

// memFile is an open memFS file: a regular, read-only file with ReadAt.
type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo{f.name, f.size}, nil }
func (f *memFile) Close() error               { return nil }

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
