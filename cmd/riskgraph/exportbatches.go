package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/training"
)

type exportFlags struct {
	data   dataFlags
	out    string
	splits string
	batch  int
	hidden int
}

func (m *Main) exportBatchesCommand(g *globals) *cobra.Command {
	f := &exportFlags{}
	cmd := &cobra.Command{
		Use:   "export-batches (--data-dir D | --dataset DIR) --out DIR",
		Short: "Write sampled, normalised training batches (npz) for the JAX trainer in training/jax",
		Long: `export-batches prepares the data exactly as train does (same split, same
features and normalisation fitted on the training split, the evaluation
sample of neighbours) and writes one npz file per batch — X0, X1, M1, X2,
M2 in the sampling.Batch layout, y (labels) and valid (0 on the padding
of a split's last batch) — named SPLIT-NNNNNN.npz, with manifest.json
giving dims, relations and the feature schema a model trained on them
must carry. training/jax/train.py reads the folder.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runExportBatches(cmd.Context(), g, f) },
	}
	fl := cmd.Flags()
	f.data.register(fl, true)
	fl.StringVar(&f.out, "out", "", "directory to write (required)")
	fl.StringVar(&f.splits, "splits", "train,val", "comma-separated splits to write")
	fl.IntVar(&f.batch, "batch-size", 256, "rows per file")
	fl.IntVar(&f.hidden, "hidden", training.DefaultHidden, "hidden width recorded in the manifest's dims")
	return cmd
}

func (m *Main) runExportBatches(ctx context.Context, g *globals, f *exportFlags) error {
	if f.out == "" {
		return usagef("--out is required")
	}
	var splits []training.Split
	for _, s := range strings.Split(f.splits, ",") {
		sp, err := training.ParseSplit(s)
		if err != nil || sp == training.SplitNone {
			return usagef("--splits: %q: want train, val or test", s)
		}
		splits = append(splits, sp)
	}
	in, err := m.openInput(ctx, g, &f.data)
	if err != nil {
		return err
	}
	defer in.close()
	var bs *training.Batches
	if in.folder != nil {
		fc, err := f.data.folderConfig()
		if err != nil {
			return err
		}
		bs, err = training.FolderBatches(in.folder, fc, f.data.folderSplit(in))
		if err != nil {
			return trainError(err)
		}
	} else {
		dc, err := f.data.datasetConfig(ctx, in)
		if err != nil {
			return err
		}
		if bs, err = training.StoreBatches(ctx, in.store, dc); err != nil {
			return trainError(err)
		}
	}
	man, err := bs.Export(ctx, f.out, training.ExportConfig{Splits: splits, BatchSize: f.batch, Hidden: f.hidden})
	if err != nil {
		return trainError(err)
	}
	counts := map[string][2]int{}
	for _, file := range man.Files {
		c := counts[file.Split]
		counts[file.Split] = [2]int{c[0] + file.Rows, c[1] + file.Positives}
	}
	fmt.Fprintf(m.Stdout, "%d batch files of %d rows in %s (dims %+v)\n", len(man.Files), man.BatchSize, f.out, man.Dims)
	for _, s := range splits {
		c := counts[s.String()]
		fmt.Fprintf(m.Stdout, "  %s: %d rows, %d positive\n", s, c[0], c[1])
	}
	return nil
}
