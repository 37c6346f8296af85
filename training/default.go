package training

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/synth"
)

// Defaults of DefaultConfig: about 75,000 generated transactions, trained
// in about a minute on two cores.
const (
	DefaultUsers     = 3000
	DefaultDays      = 30
	DefaultHidden    = 32
	DefaultEpochs    = 8
	DefaultNegPerPos = 10
	DefaultL2        = 1e-2
	// DefaultModelID is the manifest ID of the default model.
	DefaultModelID = "riskgraph-default"
)

// DefaultConfig configures TrainDefault. Zero fields take the documented
// defaults.
type DefaultConfig struct {
	// Seed seeds the generator, the negative sub-sampling, the batch order
	// and the weight initialisation: the same DefaultConfig gives the same
	// weights file, byte for byte.
	Seed uint64
	// Users and Days size the synthetic data (0 → DefaultUsers, 3000, and
	// DefaultDays, 30: about 75,000 transactions).
	Users, Days int
	// Hidden is the model's hidden width (0 → DefaultHidden, 32).
	Hidden int
	// Epochs is the number of passes over the training split (0 →
	// DefaultEpochs, 8).
	Epochs int
	// NegPerPos is DatasetConfig.NegPerPos (0 → DefaultNegPerPos, 10;
	// negative keeps every legit row).
	NegPerPos int
	// L2 is Adam's weight decay (0 → DefaultL2, 0.01; negative → none). It
	// keeps the logits moderate, so that scores rank rather than saturate
	// at float32's 1 (a saturated score also leaves gnn.Model.Explain
	// nothing to attribute).
	L2 float64
	// OutDir is where the artefact is written (required).
	OutDir string
	// Store is an empty graph store to generate the data into (required:
	// the embedded graph/mem in practice; the caller wires and closes it).
	Store graph.Store
}

func (c DefaultConfig) withDefaults() DefaultConfig {
	if c.Users == 0 {
		c.Users = DefaultUsers
	}
	if c.Days == 0 {
		c.Days = DefaultDays
	}
	if c.Hidden == 0 {
		c.Hidden = DefaultHidden
	}
	if c.Epochs == 0 {
		c.Epochs = DefaultEpochs
	}
	switch {
	case c.L2 == 0:
		c.L2 = DefaultL2
	case c.L2 < 0:
		c.L2 = 0
	}
	switch {
	case c.NegPerPos == 0:
		c.NegPerPos = DefaultNegPerPos
	case c.NegPerPos < 0:
		c.NegPerPos = 0
	}
	return c
}

// Validate reports the first field out of range, wrapping ErrConfig.
func (c DefaultConfig) Validate() error {
	d := c.withDefaults()
	switch {
	case d.Users < 1 || d.Days < 1:
		return fmt.Errorf("%w: %d users × %d days", ErrConfig, c.Users, c.Days)
	case d.Hidden < 1 || d.Hidden > 4096:
		return fmt.Errorf("%w: hidden %d: want 1..4096", ErrConfig, c.Hidden)
	case d.Epochs < 1 || d.Epochs > 10000:
		return fmt.Errorf("%w: epochs %d: want 1..10000", ErrConfig, c.Epochs)
	case !(d.L2 < 1):
		return fmt.Errorf("%w: L2 %v: want < 1", ErrConfig, c.L2)
	case d.OutDir == "":
		return fmt.Errorf("%w: no output directory", ErrConfig)
	case d.Store == nil:
		return fmt.Errorf("%w: no graph store", ErrConfig)
	}
	return nil
}

// Report summarises a TrainDefault run.
type Report struct {
	// Rows is the number of generated transactions; Train and Val the
	// examples of each split (Train after sub-sampling), TrainPos and
	// ValPos their positives.
	Rows, Train, Val, TrainPos, ValPos int
	// Cut is the start of the validation period.
	Cut time.Time
	// ValAUC and ValAP are the ROC AUC and average precision on the
	// validation split; TrainAUC the ROC AUC on the training split.
	ValAUC, ValAP, TrainAUC float64
	// ValSaturated counts the validation scores that are exactly 0 or 1
	// in float32: ties the ranking can no longer break.
	ValSaturated int
	// Trainer is the trainer's report (loss per epoch, class weight).
	Trainer gnn.TrainReport
	// DataFingerprint is the hex SHA-256 of the generated rows' ids and
	// labels, as recorded in the manifest.
	DataFingerprint string
}

// TrainDefault generates cfg's synthetic data, trains the default
// Transaction model on it with a temporal 80/20 split, and writes the
// artefact (ID DefaultModelID, safetensors) to cfg.OutDir, returning it
// as loaded back from there. Card numbers are tokenised with a key derived
// from the seed: the model never sees a PAN, and no feature depends on the
// token values themselves.
func TrainDefault(ctx context.Context, cfg DefaultConfig) (*artefact.Artefact, Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, Report{}, err
	}
	cfg = cfg.withDefaults()
	var rep Report

	store := cfg.Store
	fp, rows, err := generate(ctx, store, cfg)
	if err != nil {
		return nil, rep, err
	}
	rep.Rows, rep.DataFingerprint = rows, fp

	ds, err := NewDataset(ctx, store, DatasetConfig{
		Sampling:  sampling.Config{Target: graph.KindTransaction, Seed: cfg.Seed},
		NegPerPos: cfg.NegPerPos,
		Seed:      cfg.Seed,
	})
	if err != nil {
		return nil, rep, err
	}
	rep.Cut, rep.Train, rep.Val = ds.Cut, len(ds.Train), len(ds.Val)
	rep.TrainPos, rep.ValPos = positives(ds.Train), positives(ds.Val)
	if rep.ValPos == 0 {
		return nil, rep, fmt.Errorf("%w: no positive in the validation split", ErrNoData)
	}

	// Shuffle once so every batch mixes periods, then vary the batch order
	// by epoch.
	train := slices.Clone(ds.Train)
	rand.New(rand.NewPCG(cfg.Seed, 0x73687566)).Shuffle(len(train), func(i, j int) { train[i], train[j] = train[j], train[i] })
	bs, ls, err := ds.Batches(ctx, train)
	if err != nil {
		return nil, rep, err
	}
	scfg := ds.SamplingConfig()
	dims := scfg.Dims(cfg.Hidden)
	order := make([]int, len(bs))
	ebs, els := make([]*sampling.Batch, len(bs)), make([][]float32, len(bs))
	w, trep, err := gnn.Train(ctx, gnn.TrainConfig{Dims: dims, Epochs: cfg.Epochs, L2: cfg.L2, Seed: cfg.Seed},
		func(epoch int) ([]*sampling.Batch, [][]float32, error) {
			for i := range order {
				order[i] = i
			}
			rand.New(rand.NewPCG(cfg.Seed, uint64(epoch))).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			for i, j := range order {
				ebs[i], els[i] = bs[j], ls[j]
			}
			return ebs, els, nil
		})
	if err != nil {
		return nil, rep, err
	}
	rep.Trainer, rep.TrainAUC = trep, trep.TrainAUC
	bs, ls = nil, nil // free the training batches before validation

	r1, r2 := scfg.RelationNames()
	man := artefact.Manifest{
		FormatVersion: artefact.FormatVersion,
		Architecture:  artefact.ArchHeteroSAGE,
		ID:            DefaultModelID,
		Target:        graph.KindTransaction.String(),
		Dims:          dims,
		Relations1:    r1,
		Relations2:    r2,
		Features:      ds.Spec,
	}
	model, err := gnn.New(man, w)
	if err != nil {
		return nil, rep, err
	}
	scores, labels, err := ds.Score(ctx, model, ds.Val)
	if err != nil {
		return nil, rep, err
	}
	rep.ValAUC, rep.ValAP = gnn.AUC(scores, labels), AveragePrecision(scores, labels)
	for _, s := range scores {
		if s <= 0 || s >= 1 {
			rep.ValSaturated++
		}
	}

	man.Training = artefact.Training{
		DataFingerprint: fp,
		Seed:            cfg.Seed,
		Split:           "temporal 80/20",
		Trainer:         "gorgonia",
		Metrics:         map[string]float64{"val_auc": rep.ValAUC, "val_ap": rep.ValAP, "train_auc": rep.TrainAUC},
	}
	if _, err := artefact.Write(cfg.OutDir, man, w, artefact.FormatSafetensors); err != nil {
		return nil, rep, fmt.Errorf("training: writing the artefact: %w", err)
	}
	a, err := artefact.Load(cfg.OutDir)
	if err != nil {
		return nil, rep, fmt.Errorf("training: reloading the artefact: %w", err)
	}
	return a, rep, nil
}

// Scorer is what Dataset.Score needs of a model; *gnn.Model satisfies it.
type Scorer interface {
	Score(b *sampling.Batch, out []float32) ([]float32, error)
}

var _ Scorer = (*gnn.Model)(nil)

// scoreChunk is the number of examples Score samples at a time, bounding
// its memory (about 15 KB a row for the Transaction tree).
const scoreChunk = 4096

// Score samples ex normalised with the data set's Spec, as serving does,
// and returns the model's scores and the labels, in ex's order.
func (d *Dataset) Score(ctx context.Context, m Scorer, ex []Example) (scores, labels []float32, err error) {
	for lo := 0; lo < len(ex); lo += scoreChunk {
		bs, ls, err := d.Batches(ctx, ex[lo:min(lo+scoreChunk, len(ex))])
		if err != nil {
			return nil, nil, err
		}
		for i, b := range bs {
			s, err := m.Score(b, nil)
			if err != nil {
				return nil, nil, fmt.Errorf("training: scoring: %w", err)
			}
			scores, labels = append(scores, s...), append(labels, ls[i]...)
		}
	}
	return scores, labels, nil
}

func positives(ex []Example) int {
	var n int
	for _, e := range ex {
		n += int(e.Label)
	}
	return n
}

// generate fills store with cfg's synthetic rows, cards tokenised, and
// returns the data fingerprint and the row count.
func generate(ctx context.Context, store graph.Store, cfg DefaultConfig) (string, int, error) {
	key := sha256.Sum256(fmt.Appendf(nil, "riskgraph default model PAN key, seed %d", cfg.Seed))
	tok, err := ingest.NewTokenizer(key[:])
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	const flush = 1024
	txs := make([]graph.Transaction, 0, flush)
	muts := make([]graph.Mutation, 0, flush)
	apply := func() error {
		muts = muts[:0]
		for i := range txs {
			muts = append(muts, graph.Mutation{Txn: &txs[i]})
		}
		_, err := store.Apply(ctx, muts...)
		txs = txs[:0]
		return err
	}
	sum, err := synth.Generate(ctx, synth.Config{Seed: cfg.Seed, Users: cfg.Users, Days: cfg.Days}, func(t *graph.Transaction) error {
		tx := *t
		tx.Card = tok.Card(tx.Card)
		fmt.Fprintf(h, "%s\t%s\n", tx.ID, tx.Label)
		txs = append(txs, tx)
		if len(txs) == flush {
			return apply()
		}
		return nil
	})
	if err == nil {
		err = apply()
	}
	if err != nil {
		return "", 0, fmt.Errorf("training: generating: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), int(sum.Txns), nil
}
