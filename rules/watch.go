package rules

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults and limits of WatchConfig.
const (
	DefaultInterval = 5 * time.Second
	MinInterval     = 10 * time.Millisecond
	// racyWindow: a file whose mtime lies this close to (or after) the
	// time it was last read is hashed again on every poll, because a write
	// within the file system's timestamp granularity leaves mtime and
	// size unchanged (the "racy git" problem).
	racyWindow = 2 * time.Second
)

// WatchConfig configures a Watcher.
type WatchConfig struct {
	// Path is the rules file (required).
	Path string
	// Interval between polls. 0 → DefaultInterval (5 s); at least
	// MinInterval (10 ms).
	Interval time.Duration
	// Now is the clock. nil → time.Now.
	Now func() time.Time
	// OnReload, when set, is called after a new set became active, with the
	// previous and the new set, from the polling goroutine.
	OnReload func(prev, next *Set)
	// OnError is called when a changed file is rejected (it fails to read
	// or validate, or reuses the active version): the previous set stays
	// active. nil → slog.Default().Error.
	OnError func(error)
}

// WithDefaults returns c with every zero field set to its default.
func (c WatchConfig) WithDefaults() WatchConfig {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.OnError == nil {
		c.OnError = func(err error) { slog.Default().Error("rules: reload rejected", "err", err) }
	}
	return c
}

// Validate checks c after defaults; the error wraps ErrInvalid.
func (c WatchConfig) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.Path == "":
		return fmt.Errorf("rules: watch: empty path: %w", ErrInvalid)
	case c.Interval < MinInterval:
		return fmt.Errorf("rules: watch: interval %v below %v: %w", c.Interval, MinInterval, ErrInvalid)
	}
	return nil
}

// WatchStatus is what a Watcher last did.
type WatchStatus struct {
	Version   string    // the active set's version
	Digest    string    // the active set's digest
	LoadedAt  time.Time // when the active set was loaded
	CheckedAt time.Time // the last poll
	// LastError is why the last changed file was rejected; nil once the
	// file on disk is accepted (or matches the active set) again.
	LastError error
}

// Watcher keeps the active rule set of a file, reloading it when the file
// changes. Current is lock-free; Poll and Run may be called concurrently.
type Watcher struct {
	cfg WatchConfig
	cur atomic.Pointer[Set]

	mu     sync.Mutex // serialises polls; guards the fields below
	size   int64
	mtime  time.Time
	readAt time.Time
	sum    [sha256.Size]byte // of the bytes last read
	active [sha256.Size]byte // of the active set's bytes
	status WatchStatus
}

// NewWatcher validates cfg and loads the file, which must be valid.
func NewWatcher(cfg WatchConfig) (*Watcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Watcher{cfg: cfg.WithDefaults()}
	fi, err := os.Stat(w.cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("rules: watch: %w", err)
	}
	now := w.cfg.Now()
	data, err := readFile(w.cfg.Path)
	if err != nil {
		return nil, err
	}
	s, err := parse(data, w.cfg.Path)
	if err != nil {
		return nil, err
	}
	w.size, w.mtime, w.readAt, w.sum = fi.Size(), fi.ModTime(), now, sha256.Sum256(data)
	w.active = w.sum
	w.cur.Store(s)
	w.status = WatchStatus{Version: s.version, Digest: s.digest, LoadedAt: now, CheckedAt: now}
	return w, nil
}

// Current returns the active set; never nil. It never blocks.
func (w *Watcher) Current() *Set { return w.cur.Load() }

// Status returns what the watcher last did.
func (w *Watcher) Status() WatchStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

// Poll checks the file once. It reports whether a new set became active;
// a rejected file returns the error (also passed to OnError) and leaves
// the active set in place. An unchanged file (same size and mtime, or
// same bytes) costs one stat (or one read).
func (w *Watcher) Poll() (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.cfg.Now()
	w.status.CheckedAt = now
	fi, err := os.Stat(w.cfg.Path)
	if err != nil {
		w.forget()
		return false, w.reject(fmt.Errorf("rules: watch: %w", err))
	}
	if fi.Size() == w.size && fi.ModTime().Equal(w.mtime) && w.mtime.Before(w.readAt.Add(-racyWindow)) {
		return false, nil
	}
	data, err := readFile(w.cfg.Path)
	if err != nil {
		w.forget()
		return false, w.reject(err)
	}
	// Record the stat taken before the read: a write during the read
	// changes mtime or size again and is picked up by the next poll.
	sum := sha256.Sum256(data)
	changed := sum != w.sum
	w.size, w.mtime, w.readAt, w.sum = fi.Size(), fi.ModTime(), now, sum
	if sum == w.active {
		w.status.LastError = nil
		return false, nil
	}
	if !changed {
		return false, w.status.LastError // the file already rejected
	}
	prev := w.cur.Load()
	next, err := parse(data, w.cfg.Path)
	switch {
	case err != nil:
		return false, w.reject(fmt.Errorf("rules: reload %s rejected, keeping version %s: %w", w.cfg.Path, prev.version, err))
	case next.version == prev.version:
		return false, w.reject(fmt.Errorf("rules: reload %s rejected: version %s: %w", w.cfg.Path, prev.version, ErrVersionReused))
	}
	w.active = sum
	w.cur.Store(next)
	w.status = WatchStatus{Version: next.version, Digest: next.digest, LoadedAt: now, CheckedAt: now}
	if w.cfg.OnReload != nil {
		w.cfg.OnReload(prev, next)
	}
	return true, nil
}

// forget drops what was last read, so the next readable file is parsed
// (and its problems reported) afresh.
func (w *Watcher) forget() {
	w.size, w.mtime, w.sum = -1, time.Time{}, [sha256.Size]byte{}
}

// reject records err and reports it, once while it repeats (a missing
// file fails every poll).
func (w *Watcher) reject(err error) error {
	last := w.status.LastError
	w.status.LastError = err
	if last == nil || last.Error() != err.Error() {
		w.cfg.OnError(err)
	}
	return err
}

// Run polls every Interval until ctx is done and returns ctx.Err().
// Rejections go to OnError.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			_, _ = w.Poll()
		}
	}
}
