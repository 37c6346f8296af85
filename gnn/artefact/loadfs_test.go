package artefact

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestLoadFS(t *testing.T) {
	for _, format := range []Format{FormatSafetensors, FormatNPZ} {
		t.Run(format.String(), func(t *testing.T) {
			dir, _, _ := writeValid(t, format)
			want, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			mj, err := os.ReadFile(filepath.Join(dir, ManifestFile))
			if err != nil {
				t.Fatal(err)
			}
			w, err := os.ReadFile(filepath.Join(dir, format.FileName()))
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name string
				fsys fs.FS
				dir  string
			}{
				{"DirFS", os.DirFS(dir), "."},
				{"MapFS", fstest.MapFS{"a/b/" + ManifestFile: {Data: mj}, "a/b/" + format.FileName(): {Data: w}}, "a/b"},
			} {
				got, err := LoadFS(tc.fsys, tc.dir)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if got.Dir != tc.dir {
					t.Errorf("%s: Dir = %q, want %q", tc.name, got.Dir, tc.dir)
				}
				got.Dir = want.Dir
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: LoadFS differs from Load (-Load +LoadFS):\n%s", tc.name, diff)
				}
			}
			// Missing files are file system errors; a missing manifest is
			// also ErrManifest, as with Load.
			if _, err := LoadFS(fstest.MapFS{}, "."); !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, ErrManifest) {
				t.Errorf("empty FS: %v, want ErrManifest and fs.ErrNotExist", err)
			}
			if _, err := LoadFS(fstest.MapFS{ManifestFile: {Data: mj}}, "."); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("no weights: %v, want fs.ErrNotExist", err)
			}
			if _, err := LoadFS(noReaderAt{fstest.MapFS{ManifestFile: {Data: mj}, format.FileName(): {Data: w}}}, "."); err == nil {
				t.Error("weights without ReadAt: no error")
			}
		})
	}
}

// noReaderAt hides the ReadAt method of its files.
type noReaderAt struct{ fs fs.FS }

func (n noReaderAt) Open(name string) (fs.File, error) {
	f, err := n.fs.Open(name)
	if err != nil {
		return nil, err
	}
	return struct{ fs.File }{f}, nil
}
