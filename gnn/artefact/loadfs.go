package artefact

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
)

// LoadFS reads the artefact in directory dir of fsys (an embed.FS, an
// os.DirFS, …): dir/manifest.json and the weights file it names, with
// every check of LoadFiles. dir is a slash-separated fs.FS path ("." for
// the root). The weights file must be a regular file that implements
// io.ReaderAt, as the files of embed.FS, os.DirFS and fstest.MapFS do.
// The returned Artefact's Dir is dir.
func LoadFS(fsys fs.FS, dir string) (*Artefact, error) {
	mpath := path.Join(dir, ManifestFile)
	mf, err := fsys.Open(mpath)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrManifest, err)
	}
	m, err := decodeManifest(mf, mpath)
	mf.Close()
	if err != nil {
		return nil, err
	}
	if _, err := formatOf(m.Weights); err != nil {
		return nil, err
	}
	wpath := path.Join(dir, m.Weights)
	wf, err := fsys.Open(wpath)
	if err != nil {
		return nil, err
	}
	defer wf.Close()
	st, err := wf.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "load", Path: wpath, Err: errors.New("not a regular file")}
	}
	ra, ok := wf.(io.ReaderAt)
	if !ok {
		return nil, &fs.PathError{Op: "load", Path: wpath, Err: errors.New("file does not implement io.ReaderAt")}
	}
	tensors, err := readWeightsAt(ra, st.Size(), wpath, &m)
	if err != nil {
		return nil, err
	}
	return &Artefact{Manifest: m, Tensors: tensors, Dir: dir}, nil
}
