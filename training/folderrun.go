package training

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/sampling"
)

// FolderTarget is the manifest target of models trained on a folder: its
// nodes are parties (accounts, companies).
const FolderTarget = "Account"

// scoreBatch is the rows scored per sampling.Batch.
const scoreBatch = 256

// assignFolder returns every node's split under c.
func assignFolder(f *Folder, c SplitConfig) ([]Split, error) {
	switch c.Kind {
	case SplitColumn:
		return f.Splits, nil
	case SplitRandom:
		return stratified(f.Labels, c), nil
	case SplitFile:
		out := make([]Split, len(f.IDs))
		ids := slices.Sorted(maps.Keys(c.Assign))
		for _, id := range ids {
			i, ok := f.Index(id)
			if !ok {
				return nil, fmt.Errorf("%w: the split file names %q, which is not a node", ErrData, id)
			}
			out[i] = c.Assign[id]
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: split %q does not apply to a labelled-graph folder", ErrConfig, c.Kind)
}

// folderRows returns the nodes of split s: the labelled ones, or all of
// them when all is set.
func folderRows(f *Folder, splits []Split, s Split, all bool) []int32 {
	var out []int32
	for i, sp := range splits {
		if sp == s && (all || f.Labels[i] >= 0) {
			out = append(out, int32(i))
		}
	}
	return out
}

func (g *folderGraph) source(l *layout, nodes []int32) *folderSource {
	s := &folderSource{g: g, l: l, nodes: nodes, labels: make([]float32, len(nodes))}
	for i, v := range nodes {
		s.labels[i] = float32(max(g.f.Labels[v], 0))
	}
	return s
}

// TrainFolder trains a model on the labelled-graph data set f: features
// and neighbour samples from fc, rows split by sc (default: the folder's
// split column), the loop and evaluation by cfg. It selects the epoch on
// the validation split's average precision, chooses the decision
// threshold there, and evaluates on the test split through gnn.Model,
// the serving implementation.
func TrainFolder(ctx context.Context, f *Folder, fc FolderConfig, sc SplitConfig, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	sc = sc.withDefaults(SplitColumn)
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	splits, err := assignFolder(f, sc)
	if err != nil {
		return nil, err
	}
	fitRows := make([]bool, len(f.IDs))
	for i, s := range splits {
		fitRows[i] = s == SplitTrain
	}
	if !slices.Contains(fitRows, true) {
		return nil, fmt.Errorf("%w: no training rows", ErrNoData)
	}
	g, err := newFolderGraph(f, fc, fitRows, nil)
	if err != nil {
		return nil, err
	}
	d := g.dims(cfg.Hidden)
	l := newLayout(d)
	train := g.source(l, folderRows(f, splits, SplitTrain, false))
	val := g.source(l, folderRows(f, splits, SplitVal, false))
	w, rep, err := fit(ctx, d, cfg.Fit, train, val, [3][]bool{g.dead, g.dead, g.dead}, cfg.clockSeconds(), cfg.Progress)
	if err != nil {
		return nil, err
	}
	id := cfg.ID
	if id == "" {
		id = "riskgraph-" + strings.ToLower(FolderTarget)
	}
	fp := f.Fingerprint
	if sc.Kind == SplitFile {
		sum := sha256.Sum256([]byte(f.Fingerprint + sc.FileSHA256))
		fp = hex.EncodeToString(sum[:])
	}
	r := &Result{
		Manifest: artefact.Manifest{
			FormatVersion: artefact.FormatVersion, Architecture: artefact.ArchHeteroSAGE,
			ID: id, Target: FolderTarget, Dims: d, Relations1: g.rels, Relations2: g.rels, Features: g.spec,
			Training: artefact.Training{DataFingerprint: fp, Seed: cfg.Fit.Seed, Split: sc.describe(), Trainer: TrainerName},
		},
		Weights: w, Fit: rep, Rule: cfg.Rule,
		Params: map[string]any{"data": g.cfg, "fit": cfg.Fit.withDefaults(), "dims": d, "rule": cfg.Rule.String()},
	}
	model, err := newModel(r.Manifest, w)
	if err != nil {
		return nil, err
	}
	if err := r.validation(val.labels, cfg.Rule); err != nil {
		return nil, err
	}
	if r.Test, err = scoreFolder(ctx, g, model, splits, SplitTest, true); err != nil {
		return nil, err
	}
	if err := evaluate(r.Test, r.Threshold, cfg.Replicates, cfg.Fit.Seed); err != nil {
		return nil, err
	}
	r.Counts = folderCounts(f, splits)
	r.recordMetrics()
	return r, nil
}

func folderCounts(f *Folder, splits []Split) SplitCounts {
	var c SplitCounts
	for i, s := range splits {
		y := f.Labels[i]
		pos := 0
		if y == 1 {
			pos = 1
		}
		switch {
		case s == SplitTest:
			c.TestAll++
			if y >= 0 {
				c.Test++
				c.TestPos += pos
			}
		case y < 0:
		case s == SplitTrain:
			c.Train++
			c.TrainPos += pos
		case s == SplitVal:
			c.Val++
			c.ValPos += pos
		}
	}
	return c
}

// scoreFolder scores the nodes of split s (all of them with all, else
// the labelled ones) with model, through sampling.Batch values built with
// the evaluation sample of neighbours.
func scoreFolder(ctx context.Context, g *folderGraph, model *gnn.Model, splits []Split, s Split, all bool) (*Evaluation, error) {
	nodes := folderRows(g.f, splits, s, all)
	e := &Evaluation{Split: s, Scores: make([]float32, 0, len(nodes))}
	d := model.Manifest().Dims
	var b sampling.Batch
	for lo := 0; lo < len(nodes); lo += scoreBatch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		part := nodes[lo:min(lo+scoreBatch, len(nodes))]
		g.batch(d, part, -1, &b)
		out, err := model.Score(&b, nil)
		if err != nil {
			return nil, fmt.Errorf("training: scoring: %w", err)
		}
		e.Scores = append(e.Scores, out...)
	}
	for _, v := range nodes {
		e.IDs = append(e.IDs, g.f.IDs[v])
		e.Labels = append(e.Labels, g.f.Labels[v])
	}
	return e, nil
}

// EvalFolder evaluates a model trained by TrainFolder on split which of
// the folder f, rebuilding its inputs from the manifest (feature
// transform, relations, fanouts, sampling seed) and using the recorded
// decision threshold and bootstrap seed: on the data it was trained on,
// the test metrics are those TrainFolder reported. sc overrides the
// recorded split (it must be given for a model trained with a split
// file); its zero value uses the recorded one.
func EvalFolder(ctx context.Context, f *Folder, m artefact.Manifest, w map[string][]float32, sc SplitConfig, which Split) (*Evaluation, error) {
	fs, err := decodeFolderSpec(m.Features)
	if err != nil {
		return nil, err
	}
	threshold, reps, err := storedThreshold(m)
	if err != nil {
		return nil, err
	}
	if sc.Kind == "" {
		rec, _, err := parseSplit(m.Training.Split)
		if err != nil {
			return nil, err
		}
		if rec.Kind == SplitFile {
			return nil, fmt.Errorf("%w: the model was trained with a split file (sha256 %s): give it again", ErrConfig, rec.FileSHA256)
		}
		sc = rec
	}
	sc = sc.withDefaults(SplitColumn)
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	splits, err := assignFolder(f, sc)
	if err != nil {
		return nil, err
	}
	g, err := newFolderGraph(f, fs.Config, nil, &m.Features)
	if err != nil {
		return nil, err
	}
	if got := g.dims(m.Dims.H); got != m.Dims || !slices.Equal(g.rels, m.Relations1) || !slices.Equal(g.rels, m.Relations2) {
		return nil, fmt.Errorf("%w: the data set gives dims %+v and relations %q, the model has %+v and %q", ErrModel, got, g.rels, m.Dims, m.Relations1)
	}
	model, err := newModel(m, w)
	if err != nil {
		return nil, err
	}
	e, err := scoreFolder(ctx, g, model, splits, which, true)
	if err != nil {
		return nil, err
	}
	if err := evaluate(e, threshold, reps, m.Training.Seed); err != nil {
		return nil, err
	}
	return e, nil
}
