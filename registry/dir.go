package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Files of a Dir registry.
const (
	PointerFile = "pointer.json" // the head event
	LogFile     = "log.jsonl"    // every event, one per line
	lockName    = ".lock"
)

// DirConfig configures a Dir backend.
type DirConfig struct {
	// Path is the registry directory, created if missing. Required.
	Path string
	// Poll is how often Watch reads the pointer file. Default 2 s.
	Poll time.Duration
}

// Validate checks the configuration.
func (c DirConfig) Validate() error {
	switch {
	case c.Path == "":
		return fmt.Errorf("%w: DirConfig.Path is empty", ErrInvalid)
	case c.Poll < 0:
		return fmt.Errorf("%w: DirConfig.Poll %v is negative", ErrInvalid, c.Poll)
	}
	return nil
}

// Dir is a Backend in a local directory: <Path>/<id>/ per model,
// pointer.json (the head, replaced atomically), log.jsonl (appended and
// fsynced) and .lock (an advisory lock held for the length of a commit or
// a put, so several processes may change one registry).
type Dir struct {
	root string
	poll time.Duration
}

var _ Backend = (*Dir)(nil)

// OpenDir opens (creating it if needed) the registry directory of cfg.
func OpenDir(cfg DirConfig) (*Dir, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Poll == 0 {
		cfg.Poll = 2 * time.Second
	}
	if err := os.MkdirAll(cfg.Path, 0o700); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return &Dir{root: cfg.Path, poll: cfg.Poll}, nil
}

// Path returns the registry directory.
func (d *Dir) Path() string { return d.root }

func (d *Dir) lock() (func(), error) {
	unlock, err := lockFile(filepath.Join(d.root, lockName))
	if err != nil {
		return nil, fmt.Errorf("registry: lock %s: %w", d.root, err)
	}
	return unlock, nil
}

// PutModel implements Backend: the files are copied and fsynced into a
// temporary directory which is then renamed to <Path>/<id>.
func (d *Dir) PutModel(ctx context.Context, id, dir string, files []string) (err error) {
	if !ValidID(id) {
		return fmt.Errorf("%w: model id %q", ErrInvalid, id)
	}
	if err := cleanFiles(files); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(d.root, ".put-")
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer os.RemoveAll(tmp) // gone after the rename; else the debris of a failure
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := copyFile(filepath.Join(dir, f), filepath.Join(tmp, f)); err != nil {
			return err
		}
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	final := filepath.Join(d.root, id)
	if _, err := os.Stat(final); err == nil {
		old, err := os.MkdirTemp(d.root, ".old-")
		if err != nil {
			return fmt.Errorf("registry: %w", err)
		}
		defer os.RemoveAll(old)
		if err := os.Rename(final, filepath.Join(old, id)); err != nil {
			return fmt.Errorf("registry: moving the damaged copy of %s aside: %w", id, err)
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return syncDir(d.root)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("registry: copying %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("registry: %w", err)
	}
	return out.Close()
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("registry: fsync %s: %w", dir, err)
	}
	return nil
}

// OpenModel implements Backend with os.DirFS.
func (d *Dir) OpenModel(_ context.Context, id string) (fs.FS, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("%w: %q is not a model id", ErrNotFound, id)
	}
	dir := filepath.Join(d.root, id)
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s (no %s)", ErrNotFound, id, dir)
	} else if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return os.DirFS(dir), nil
}

// Models implements Backend: the sub-directories named like model ids.
func (d *Dir) Models(context.Context) ([]Stored, error) {
	ents, err := os.ReadDir(d.root)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	var out []Stored
	for _, e := range ents {
		if !e.IsDir() || !ValidID(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, Stored{ID: e.Name(), Time: info.ModTime()})
	}
	return out, nil
}

// Head implements Backend: the event in pointer.json.
func (d *Dir) Head(context.Context) (Event, error) {
	b, err := os.ReadFile(filepath.Join(d.root, PointerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Event{}, nil
	}
	if err != nil {
		return Event{}, fmt.Errorf("registry: %w", err)
	}
	return d.decodeHead(b)
}

func (d *Dir) decodeHead(b []byte) (Event, error) {
	ev, err := DecodeEvent(b)
	if err != nil {
		return Event{}, fmt.Errorf("%s: %w", filepath.Join(d.root, PointerFile), err)
	}
	return ev, nil
}

// Commit implements Backend, under the directory's lock: pointer.json is
// replaced (temporary file, fsync, rename, fsync of the directory), then
// the event is appended to log.jsonl and fsynced.
func (d *Dir) Commit(ctx context.Context, ev Event) error {
	line, err := EncodeEvent(ev)
	if err != nil {
		return err
	}
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	head, herr := d.Head(ctx)
	switch {
	case herr != nil && !(errors.Is(herr, ErrCorrupt) && ev.Action == ActionRepair):
		return herr
	case herr == nil && ev.Seq != head.Seq+1:
		return fmt.Errorf("%w: head is at %d, event %d", ErrConflict, head.Seq, ev.Seq)
	}
	last, err := d.tidyLog()
	if err != nil {
		return err
	}
	if herr == nil && head.Seq > last {
		if err := d.appendLog(head); err != nil {
			return err
		}
		last = head.Seq
	}
	if ev.Seq <= last {
		return fmt.Errorf("%w: the log is at %d, event %d", ErrConflict, last, ev.Seq)
	}
	if err := writeAtomic(d.root, PointerFile, line); err != nil {
		return err
	}
	return d.appendLog(ev)
}

// writeAtomic replaces dir/name with b: temporary file, fsync, rename,
// fsync of dir.
func writeAtomic(dir, name string, b []byte) error {
	f, err := os.CreateTemp(dir, "."+name+"-")
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer os.Remove(f.Name()) // after a successful rename, a no-op
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("registry: writing %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("registry: fsync %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return syncDir(dir)
}

// tidyLog cuts a torn last line (a crash in the middle of an append) off
// the log and returns the Seq of its last event (0 for an empty log).
// Called under the lock.
func (d *Dir) tidyLog() (uint64, error) {
	path := filepath.Join(d.root, LogFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("registry: %w", err)
	}
	if n := len(b); n > 0 && b[n-1] != '\n' {
		keep := bytes.LastIndexByte(b, '\n') + 1
		if err := os.Truncate(path, int64(keep)); err != nil {
			return 0, fmt.Errorf("registry: cutting the torn last line of %s: %w", path, err)
		}
		b = b[:keep]
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	if len(b) == 0 {
		return 0, nil
	}
	lastLine := b[bytes.LastIndexByte(b, '\n')+1:]
	ev, err := DecodeEvent(lastLine)
	if err != nil {
		return 0, fmt.Errorf("registry: %s, last line: %w", path, err)
	}
	return ev.Seq, nil
}

// appendLog appends ev to the log and fsyncs it. Called under the lock.
func (d *Dir) appendLog(ev Event) error {
	line, err := EncodeEvent(ev)
	if err != nil {
		return err
	}
	path := filepath.Join(d.root, LogFile)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("registry: appending to %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("registry: fsync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		return syncDir(d.root)
	}
	return nil
}

// Log implements Backend. A torn last line (no newline) is not an event
// yet and is skipped; any other line that does not decode is ErrCorrupt
// naming its line number.
func (d *Dir) Log(context.Context) ([]Event, error) {
	path := filepath.Join(d.root, LogFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	var out []Event
	for n := 1; len(b) > 0; n++ {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break // torn
		}
		ev, err := DecodeEvent(b[:i])
		if err != nil {
			return nil, fmt.Errorf("registry: %s line %d: %w", path, n, err)
		}
		if len(out) > 0 && ev.Seq <= out[len(out)-1].Seq {
			return nil, fmt.Errorf("registry: %s line %d: %w: seq %d after %d", path, n, ErrCorrupt, ev.Seq, out[len(out)-1].Seq)
		}
		out = append(out, ev)
		b = b[i+1:]
	}
	return out, nil
}

// Watch implements Backend by reading pointer.json every Poll and calling
// fn when its bytes change.
func (d *Dir) Watch(ctx context.Context, fn func(Event, error)) error {
	var last []byte
	lastErr, first := "", true
	path := filepath.Join(d.root, PointerFile)
	tick := time.NewTicker(d.poll)
	defer tick.Stop()
	for {
		b, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if first || last != nil {
				fn(Event{}, nil)
			}
			last, lastErr = nil, ""
		case err != nil:
			if err.Error() != lastErr {
				fn(Event{}, fmt.Errorf("registry: %w", err))
			}
			lastErr = err.Error()
		case first || !bytes.Equal(b, last):
			last, lastErr = b, ""
			fn(d.decodeHead(b))
		}
		first = false
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
