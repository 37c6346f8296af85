package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/training"
)

type evalFlags struct {
	data        dataFlags
	model       string
	on          string
	scoresOut   string
	metricsJSON string
	jsonOut     bool
}

func (m *Main) evalCommand(g *globals) *cobra.Command {
	f := &evalFlags{}
	cmd := &cobra.Command{
		Use:   "eval --model M (--data-dir D | --dataset DIR)",
		Short: "Evaluate a trained model on a split of the data it was trained on",
		Long: `eval rebuilds the model's inputs from what its manifest records (feature
schema and normalisation, relations, fanouts, the split: cut times, the
random split's seed, or the split file given again with --split), scores
every target of the split (--on, default test) through the serving model,
and measures the labelled ones at the decision threshold chosen in
training, with the same bootstrap seed. On the data a model was trained
on, eval reproduces the metrics train reported.

--scores-out FILE writes id,score for every target of the split, labelled
or not.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runEval(cmd.Context(), g, f) },
	}
	fl := cmd.Flags()
	f.data.register(fl, false)
	fl.StringVar(&f.model, "model", "", "model directory (required)")
	fl.StringVar(&f.on, "on", "test", "split to evaluate: train, val or test")
	fl.StringVar(&f.scoresOut, "scores-out", "", "write id,score of every target of the split to this CSV file")
	fl.StringVar(&f.metricsJSON, "metrics-json", "", "also write the report as JSON to this file")
	fl.BoolVar(&f.jsonOut, "json", false, "print the report as JSON")
	return cmd
}

func (m *Main) runEval(ctx context.Context, g *globals, f *evalFlags) error {
	if f.model == "" {
		return usagef("--model is required")
	}
	which, err := training.ParseSplit(f.on)
	if err != nil || which == training.SplitNone {
		return usagef("--on %q: want train, val or test", f.on)
	}
	a, err := artefact.Load(f.model)
	if err != nil {
		return err
	}
	in, err := m.openInput(ctx, g, &f.data)
	if err != nil {
		return err
	}
	defer in.close()
	var e *training.Evaluation
	if in.folder != nil {
		e, err = training.EvalFolder(ctx, in.folder, a.Manifest, a.Tensors, in.split, which)
	} else {
		var counter feature.TypologyCounter
		if counter, err = typologyCounterFor(ctx, in.store, a.Manifest); err != nil {
			return err
		}
		e, err = training.EvalStore(ctx, in.store, a.Manifest, a.Tensors,
			training.StoreEvalConfig{Assign: in.split.Assign, FileSHA256: in.split.FileSHA256, Typology: counter}, which)
	}
	if err != nil {
		return trainError(err)
	}
	if f.scoresOut != "" {
		if err := writeScores(f.scoresOut, e); err != nil {
			return err
		}
	}
	rep := trainReport{Model: a.ModelID(), Data: in.source, Split: a.Manifest.Training.Split, Evaluated: f.on, Test: e.Summary}
	return m.printReport(rep, f.jsonOut, f.metricsJSON)
}

// writeScores writes id,score for every target of e.
func writeScores(path string, e *training.Evaluation) error {
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--scores-out: %w", err)
	}
	w := bufio.NewWriter(out)
	w.WriteString("id,score\n")
	for i, id := range e.IDs {
		w.WriteString(csvField(id))
		w.WriteByte(',')
		w.WriteString(strconv.FormatFloat(float64(e.Scores[i]), 'g', -1, 32))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return fmt.Errorf("--scores-out: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("--scores-out: %w", err)
	}
	return nil
}

// csvField quotes s when CSV needs it.
func csvField(s string) string {
	for _, r := range s {
		if r == ',' || r == '"' || r == '\n' || r == '\r' {
			return strconv.Quote(s)
		}
	}
	return s
}
