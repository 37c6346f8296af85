package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/training"
	"github.com/riskgraph/riskgraph/training/eval"
)

// dataFlags choose the training data: a data directory's graph store or
// a labelled-graph folder, and how its rows are split. train, eval and
// export-batches share them.
type dataFlags struct {
	dataDir, dataset string
	splitFile        string
	randomSplit      bool
	valFraction      float64
	testFraction     float64
	seed             uint64
	// graph store
	target    string
	negPerPos int
	statsRows int
	// folder
	relations  string
	directions string
	k1, k2     int
	noStruct   bool
	transform  string
	maxCycle   int
	// typology feeds the typology_hits_log feature from detections
	// replayed over the history (--data-dir).
	typology bool
}

func (f *dataFlags) register(fl *pflag.FlagSet, training bool) {
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory of the embedded deployment (its graph store)")
	fl.StringVar(&f.dataset, "dataset", "", "labelled-graph folder: nodes.csv[.gz] and edges_<relation>.csv[.gz]")
	fl.StringVar(&f.splitFile, "split", "", "id,split CSV assigning rows to train, val and test")
	if !training {
		return
	}
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the initialisation, the row order, the neighbour samples, the bootstrap")
	fl.BoolVar(&f.randomSplit, "random-split", false, "split the labelled rows at random, stratified by class (default: by time for --data-dir, the split column for --dataset)")
	fl.Float64Var(&f.valFraction, "val-fraction", 0.2, "share validated: of the time range (temporal split) or of the rows (--random-split)")
	fl.Float64Var(&f.testFraction, "test-fraction", 0.2, "share tested, after the validation period")
	fl.StringVar(&f.target, "target", "transaction", "--data-dir: what to score, transaction or account (accounts with an entity label)")
	fl.IntVar(&f.negPerPos, "neg-per-pos", -1, "--data-dir: keep at most this many legit training rows per positive (-1: 10 for transactions, all for accounts; 0: all)")
	fl.BoolVar(&f.typology, "typology-features", true, "--data-dir: feed the typology_hits_log feature with the typology detections replayed over the history (as known before each example); serve feeds its live detections to such a model")
	fl.IntVar(&f.statsRows, "stats-rows", 50000, "--data-dir: training rows sampled for the normalisation statistics (0: all)")
	fl.StringVar(&f.relations, "relations", "", "--dataset: comma-separated edge relations to use (default: all edge files)")
	fl.StringVar(&f.directions, "directions", "both", "--dataset: both (each relation and its reverse), out, or undirected")
	fl.IntVar(&f.k1, "k1", 0, "--dataset: hop-1 neighbours per relation (0: 10)")
	fl.IntVar(&f.k2, "k2", 0, "--dataset: hop-2 neighbours per relation (0: 5)")
	fl.BoolVar(&f.noStruct, "no-structure", false, "--dataset: no graph-derived columns (degrees, amounts, cycles, hubs)")
	fl.StringVar(&f.transform, "transform", "quantile", "--dataset: node-column transform before standardising, quantile or standard")
	fl.IntVar(&f.maxCycle, "max-cycle", 0, "--dataset: longest cycle looked for through each node (0: 6)")
}

// input is opened training data: a folder or a store.
type input struct {
	folder *training.Folder
	store  training.Graph
	source string // for the model card
	split  training.SplitConfig
	close  func()
}

func (f *dataFlags) check() error {
	switch {
	case (f.dataDir == "") == (f.dataset == ""):
		return usagef("give exactly one of --data-dir and --dataset")
	case f.randomSplit && f.splitFile != "":
		return usagef("--random-split and --split together: choose one")
	case f.target != "" && f.target != "transaction" && f.target != "account":
		return usagef("--target %q: want transaction or account", f.target)
	}
	return nil
}

// open reads the split file and opens the data.
func (m *Main) openInput(ctx context.Context, g *globals, f *dataFlags) (*input, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	in := &input{close: func() {}}
	if f.splitFile != "" {
		r, err := os.Open(f.splitFile)
		if err != nil {
			return nil, usagef("--split: %v", err)
		}
		in.split, err = training.ReadSplitFile(r)
		r.Close()
		if err != nil {
			return nil, usagef("--split %s: %v", f.splitFile, err)
		}
	}
	if f.dataset != "" {
		fo, err := training.ReadFolder(f.dataset)
		if err != nil {
			return nil, err
		}
		in.folder, in.source = fo, f.dataset
		if abs, err := filepath.Abs(f.dataset); err == nil {
			in.source = abs
		}
		return in, nil
	}
	log, err := g.logger(m.Stderr)
	if err != nil {
		return nil, err
	}
	e, err := m.openEnv(ctx, log, envConfig{DataDir: f.dataDir})
	if err != nil {
		return nil, err
	}
	if err := e.catchUp(ctx, 0); err != nil {
		e.close()
		return nil, err
	}
	in.store, in.close, in.source = e.store, e.close, "graph store of "+f.dataDir
	return in, nil
}

func (f *dataFlags) folderConfig() (training.FolderConfig, error) {
	c := training.FolderConfig{Directions: training.Directions(f.directions), K1: f.k1, K2: f.k2,
		Transform: f.transform, Seed: f.seed,
		Structure: training.StructureConfig{Off: f.noStruct, MaxCycle: f.maxCycle}}
	if f.relations != "" {
		c.Relations = strings.Split(f.relations, ",")
	}
	if err := c.Validate(); err != nil {
		return c, usageError{err}
	}
	return c, nil
}

func (f *dataFlags) folderSplit(in *input) training.SplitConfig {
	switch {
	case in.split.Kind == training.SplitFile:
		return in.split
	case f.randomSplit:
		return training.SplitConfig{Kind: training.SplitRandom, Seed: f.seed, ValFraction: f.valFraction, TestFraction: f.testFraction}
	}
	return training.SplitConfig{Kind: training.SplitColumn}
}

func (f *dataFlags) datasetConfig(ctx context.Context, in *input) (training.DatasetConfig, error) {
	var target graph.Kind
	switch f.target {
	case "transaction":
		target = graph.KindTransaction
	case "account":
		target = graph.KindAccount
	default:
		return training.DatasetConfig{}, usagef("--target %q: want transaction or account", f.target)
	}
	neg := f.negPerPos
	if neg < 0 {
		neg = 0
		if target == graph.KindTransaction {
			neg = training.DefaultNegPerPos
		}
	}
	c := training.DatasetConfig{Sampling: sampling.Config{Target: target}, ValFraction: f.valFraction, TestFraction: f.testFraction,
		NegPerPos: neg, StatsRows: f.statsRows, Seed: f.seed, Random: f.randomSplit}
	if in.split.Kind == training.SplitFile {
		c.Assign = in.split.Assign
	}
	if f.typology {
		e, err := replayTypology(ctx, in.store)
		if err != nil {
			return c, err
		}
		c.Sampling.Typology = e
	}
	if err := c.Validate(); err != nil {
		return c, usageError{err}
	}
	return c, nil
}

type trainFlags struct {
	data        dataFlags
	out, id     string
	format      string
	hidden      int
	epochs      int
	lr          float64
	wd, nd      float64
	dropout     float64
	average     float64
	patience    int
	batch       int
	posWeight   float64
	zeroNb      bool
	rule        string
	replicates  int
	metricsJSON string
	jsonOut     bool
}

func (m *Main) trainCommand(g *globals) *cobra.Command {
	f := &trainFlags{}
	cmd := &cobra.Command{
		Use:   "train (--data-dir D | --dataset DIR) --out MODEL_DIR",
		Short: "Train a model on labelled data, evaluate it on the test split and write it with its model card",
		Long: `train builds a labelled data set and fits the heterogeneous GraphSAGE model:

  --data-dir D   the graph store of a data directory: labelled transactions
                 (--target transaction, each as of its own time) or accounts
                 with an entity label (--target account, as of when the
                 label became known), with the features serving computes.
                 Split by time by default: train on the past, validate and
                 test on the future.
  --dataset DIR  a labelled-graph folder (nodes.csv[.gz] = node_id,label,
                 split,<features…>; edges_<relation>.csv[.gz] = src,dst
                 [,time][,amount]), split by its split column by default.

--split FILE (id,split) or --random-split (stratified) override the split.
Training weighs the positive class, keeps the epoch with the best
validation average precision (early stopping), chooses the decision
threshold on validation and reports the test metrics with bootstrap
intervals. The same seed gives the same model, bit for bit. MODEL_DIR gets
manifest.json, the weights, model_card.md, model_card.json, roc.png and pr.png.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runTrain(cmd.Context(), g, f) },
	}
	fl := cmd.Flags()
	f.data.register(fl, true)
	fl.StringVar(&f.out, "out", "", "model directory to write (required)")
	fl.StringVar(&f.id, "id", "", "model id (default riskgraph-<target>)")
	fl.StringVar(&f.format, "format", "safetensors", "weights format: safetensors or npz")
	fl.IntVar(&f.hidden, "hidden", training.DefaultHidden, "hidden width")
	fl.IntVar(&f.epochs, "epochs", training.DefaultFitEpochs, "most passes over the training rows")
	fl.Float64Var(&f.lr, "lr", training.DefaultLearnRate, "Adam learning rate")
	fl.Float64Var(&f.wd, "weight-decay", training.DefaultWeightDecay, "AdamW weight decay (small data sets want more)")
	fl.Float64Var(&f.nd, "neighbour-decay", 1, "weight-decay multiplier of the neighbour weights: >1 makes the graph earn its place")
	fl.Float64Var(&f.dropout, "dropout", 0, "input dropout rate during training")
	fl.Float64Var(&f.average, "average", training.DefaultAverage, "Polyak averaging of the weights, decay per epoch (0: off)")
	fl.IntVar(&f.patience, "patience", training.DefaultPatience, "stop after this many epochs without a better validation AP (0: never)")
	fl.IntVar(&f.batch, "batch-size", training.DefaultFitBatchSize, "rows per optimiser step")
	fl.Float64Var(&f.posWeight, "pos-weight", 0, "loss weight of positive rows (0: negatives/positives, capped at 100)")
	fl.BoolVar(&f.zeroNb, "zero-neighbours", false, "start the neighbour weights at 0 (the model starts from the target's own features)")
	fl.StringVar(&f.rule, "threshold-rule", "gmean", "what the validation threshold maximises: gmean or macro_f1")
	fl.IntVar(&f.replicates, "bootstrap", eval.DefaultReplicates, "bootstrap resamples for the test intervals")
	fl.StringVar(&f.metricsJSON, "metrics-json", "", "also write the report as JSON to this file")
	fl.BoolVar(&f.jsonOut, "json", false, "print the report as JSON")
	return cmd
}

func (f *trainFlags) config() (training.Config, error) {
	rule, err := eval.ParseRule(f.rule)
	if err != nil {
		return training.Config{}, usagef("--threshold-rule: %v", err)
	}
	avg := f.average
	if avg == 0 {
		avg = -1 // off
	}
	patience := f.patience
	if patience == 0 {
		patience = -1 // never stop early
	}
	wd := f.wd
	if wd == 0 {
		wd = -1
	}
	c := training.Config{ID: f.id, Hidden: f.hidden, Rule: rule, Replicates: f.replicates,
		Fit: training.FitConfig{Epochs: f.epochs, LearnRate: f.lr, WeightDecay: wd, NeighbourDecay: f.nd,
			Dropout: f.dropout, Average: avg, Patience: patience, BatchSize: f.batch, PosWeight: f.posWeight,
			ZeroNeighbours: f.zeroNb, Seed: f.data.seed}}
	if err := c.Validate(); err != nil {
		return c, usageError{err}
	}
	return c, nil
}

// trainReport is what train and eval print.
type trainReport struct {
	Model     string                `json:"model"`
	Dir       string                `json:"dir,omitempty"`
	Data      string                `json:"data"`
	Split     string                `json:"split"`
	Evaluated string                `json:"evaluated"`
	Counts    *training.SplitCounts `json:"counts,omitempty"`
	BestEpoch *int                  `json:"best_epoch,omitempty"`
	Epochs    int                   `json:"epochs,omitempty"`
	ValAUC    *float64              `json:"val_auc,omitempty"`
	ValAP     *float64              `json:"val_ap,omitempty"`
	Rule      string                `json:"threshold_rule,omitempty"`
	Test      eval.Summary          `json:"metrics"`
	Seconds   float64               `json:"seconds,omitempty"`
}

func (m *Main) runTrain(ctx context.Context, g *globals, f *trainFlags) error {
	if f.out == "" {
		return usagef("--out is required")
	}
	var format artefact.Format
	switch f.format {
	case "safetensors":
		format = artefact.FormatSafetensors
	case "npz":
		format = artefact.FormatNPZ
	default:
		return usagef("--format %q: want safetensors or npz", f.format)
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	in, err := m.openInput(ctx, g, &f.data)
	if err != nil {
		return err
	}
	defer in.close()
	bar := m.newEpochBar(cfg.Fit.Epochs)
	cfg.Progress, cfg.Clock = bar.update, m.Now
	start := m.Now()
	var r *training.Result
	if in.folder != nil {
		fc, err := f.data.folderConfig()
		if err != nil {
			return err
		}
		r, err = training.TrainFolder(ctx, in.folder, fc, f.data.folderSplit(in), cfg)
		bar.done()
		if err != nil {
			return trainError(err)
		}
	} else {
		dc, err := f.data.datasetConfig(ctx, in)
		if err != nil {
			return err
		}
		r, err = training.TrainStore(ctx, in.store, dc, in.split.FileSHA256, cfg)
		bar.done()
		if err != nil {
			return trainError(err)
		}
	}
	a, err := r.Write(f.out, format, in.source, m.Now())
	if err != nil {
		return err
	}
	best := r.Fit.BestEpoch
	rep := trainReport{Model: a.ModelID(), Dir: f.out, Data: in.source, Split: a.Manifest.Training.Split, Evaluated: "test",
		Counts: &r.Counts, BestEpoch: &best, Epochs: len(r.Fit.Epochs), ValAUC: &r.ValAUC, ValAP: &r.ValAP,
		Rule: r.Rule.String(), Test: r.Test.Summary, Seconds: m.Now().Sub(start).Seconds()}
	return m.printReport(rep, f.jsonOut, f.metricsJSON)
}

// trainError marks configuration errors as usage errors.
func trainError(err error) error {
	if errors.Is(err, training.ErrConfig) {
		return usageError{err}
	}
	return err
}

// printReport prints rep as a table or JSON, and writes it to file when
// file is set.
func (m *Main) printReport(rep trainReport, jsonOut bool, file string) error {
	raw, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	raw = append(raw, '\n')
	if file != "" {
		if err := os.WriteFile(file, raw, 0o644); err != nil {
			return fmt.Errorf("--metrics-json: %w", err)
		}
	}
	if jsonOut {
		_, err := m.Stdout.Write(raw)
		return err
	}
	return writeTable(m.Stdout, rep)
}

func writeTable(w io.Writer, rep trainReport) error {
	fmt.Fprintf(w, "model %s", rep.Model)
	if rep.Dir != "" {
		fmt.Fprintf(w, " → %s", rep.Dir)
	}
	fmt.Fprintf(w, "\ndata  %s, split %s\n", rep.Data, rep.Split)
	if c := rep.Counts; c != nil {
		fmt.Fprintf(w, "rows  train %d (%d positive), val %d (%d positive), test %d labelled (%d positive) of %d\n",
			c.Train, c.TrainPos, c.Val, c.ValPos, c.Test, c.TestPos, c.TestAll)
	}
	if rep.BestEpoch != nil {
		fmt.Fprintf(w, "fit   best epoch %d of %d, validation AUC %.4f AP %.4f\n", *rep.BestEpoch, rep.Epochs, *rep.ValAUC, *rep.ValAP)
	}
	s := rep.Test
	rule := ""
	if rep.Rule != "" {
		rule = ", maximising " + rep.Rule + " on validation"
	}
	fmt.Fprintf(w, "%s split: %d rows, %d positive; threshold %.6g%s; %.0f%% bootstrap intervals (%d resamples)\n",
		rep.Evaluated, s.Rows, s.Positives, s.Threshold, rule, 100*s.Level, s.Replicates)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  metric\tvalue\tinterval")
	for _, e := range s.Metrics() {
		fmt.Fprintf(tw, "  %s\t%s\t[%s, %s]\n", e.Name, fmtEstimate(e.Value), fmtEstimate(e.Lo), fmtEstimate(e.Hi))
	}
	return tw.Flush()
}

func fmtEstimate(x float64) string {
	if x != x {
		return "—"
	}
	return fmt.Sprintf("%.4f", x)
}

// epochBar draws training progress on a terminal: one line redrawn per
// epoch with the loss and the validation metrics.
type epochBar struct {
	w      io.Writer
	on     bool
	epochs int
}

func (m *Main) newEpochBar(epochs int) *epochBar {
	return &epochBar{w: m.Stderr, on: m.Terminal(m.Stderr), epochs: epochs}
}

func (b *epochBar) update(s training.EpochStats) {
	if !b.on {
		return
	}
	const width = 20
	n := min(width, (s.Epoch+1)*width/max(b.epochs, 1))
	fmt.Fprintf(b.w, "\r\033[Kepoch %d/%d [%s%s] loss %.4f  val AP %.4f AUC %.4f  best %d  %.1fs",
		s.Epoch+1, b.epochs, strings.Repeat("=", n), strings.Repeat(" ", width-n), s.Loss, s.ValAP, s.ValAUC, s.Best, s.Seconds)
}

func (b *epochBar) done() {
	if b.on {
		fmt.Fprint(b.w, "\r\033[K")
	}
}
