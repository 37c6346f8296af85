package main

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/rules"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/scoring"
)

type rulesTestFlags struct {
	dataDir string
	against string
	model   string
	noModel bool
	limit   int
	jsonOut bool
}

func (m *Main) rulesCommand(g *globals) *cobra.Command {
	f := &rulesTestFlags{}
	test := &cobra.Command{
		Use:   "test FILE --data-dir D",
		Short: "Backtest a rule set: replay stored history and count the decisions that would change",
		Long: `rules test validates FILE (every problem with its line and column), then
replays every stored transaction through the current rules (the built-in
set, or --against FILE) and through FILE, with the model's score and the
velocity facts computed as serving computes them (as of each transaction's
time), and reports how many decisions change and how.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return m.runRulesTest(cmd.Context(), g, f, args[0]) },
	}
	fl := test.Flags()
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory of the embedded deployment")
	fl.StringVar(&f.against, "against", "", "the rule set in force (default: the built-in rules)")
	fl.StringVar(&f.model, "model", "", "model directory for scores (default: the built-in model)")
	fl.BoolVar(&f.noModel, "no-model", false, "replay without model scores (as in degraded mode)")
	fl.IntVar(&f.limit, "limit", 0, "replay at most this many transactions (0: all)")
	fl.BoolVar(&f.jsonOut, "json", false, "print the report as JSON")
	cmd := &cobra.Command{Use: "rules", Short: "Work with rule sets"}
	cmd.AddCommand(test)
	return cmd
}

func (m *Main) runRulesTest(ctx context.Context, g *globals, f *rulesTestFlags, file string) error {
	log, err := g.logger(m.Stderr)
	if err != nil {
		return err
	}
	after, err := rules.LoadFile(file)
	if err != nil {
		return usageError{err}
	}
	before, err := rules.Default()
	if f.against != "" {
		before, err = rules.LoadFile(f.against)
	}
	if err != nil {
		return usageError{err}
	}
	if f.limit < 0 {
		return usagef("--limit %d: want >= 0", f.limit)
	}
	e, err := m.openCaughtUp(ctx, log, envConfig{DataDir: f.dataDir})
	if err != nil {
		return err
	}
	defer e.close()
	var ids []string
	e.store.Nodes(ctx, graph.KindTransaction, func(n graph.Node) bool {
		ids = append(ids, n.Ref.ID)
		return f.limit == 0 || len(ids) < f.limit
	})
	slices.Sort(ids)
	inputs := make([]rules.Input, len(ids))
	for i, id := range ids {
		t, err := e.store.Transaction(ctx, id)
		if err != nil {
			return err
		}
		inputs[i] = rules.Input{Txn: &t, Facts: scoring.VelocityFacts(ctx, e.store, &t)}
	}
	if !f.noModel {
		if err := m.scoreHistory(ctx, f.model, e, inputs); err != nil {
			return err
		}
	}
	rep, err := rules.Backtest(ctx, before, after, func(yield func(rules.Input) bool) {
		for _, in := range inputs {
			if !yield(in) {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	if f.jsonOut {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(m.Stdout, "rules %s → %s over %d transactions: %d decisions change (%.2f%%)\n",
		rep.OldVersion, rep.NewVersion, rep.Total, rep.Changed, 100*float64(rep.Changed)/float64(max(rep.Total, 1)))
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	for _, tr := range slices.Sorted(mapKeys(rep.ByTransition)) {
		fmt.Fprintf(tw, "  %s\t%d\n", tr, rep.ByTransition[tr])
	}
	tw.Flush()
	for _, c := range rep.Examples {
		fmt.Fprintf(m.Stdout, "  e.g. %s: %s\n", c.TxnID, c.Transition())
	}
	return nil
}

// scoreHistory fills in model scores, each transaction sampled as of its
// own time, 64 at a time.
func (m *Main) scoreHistory(ctx context.Context, dir string, e *env, inputs []rules.Input) error {
	a, err := loadModel(dir)
	if err != nil {
		return err
	}
	model, err := gnn.New(a.Manifest, a.Tensors)
	if err != nil {
		return err
	}
	mf := a.Manifest
	s, err := sampling.New(e.store, sampling.Config{Target: graph.KindTransaction, K1: mf.Dims.K1, K2: mf.Dims.K2, Spec: &mf.Features})
	if err != nil {
		return err
	}
	if err := checkModelFits(s.Config(), mf); err != nil {
		return err
	}
	p := m.newProgress("scoring history", int64(len(inputs)))
	defer p.done()
	var b sampling.Batch
	var out []float32
	targets := make([]sampling.Target, 0, 64)
	for lo := 0; lo < len(inputs); lo += 64 {
		targets = targets[:0]
		hi := min(lo+64, len(inputs))
		for i := lo; i < hi; i++ {
			targets = append(targets, sampling.Target{Ref: graph.Ref(graph.KindTransaction, inputs[i].Txn.ID), Txn: inputs[i].Txn})
		}
		if err := s.Sample(ctx, targets, &b); err != nil {
			return err
		}
		if out, err = model.Score(&b, out); err != nil {
			return err
		}
		for i := lo; i < hi; i++ {
			inputs[i].Score, inputs[i].HasScore = float64(out[i-lo]), true
		}
		p.update(int64(hi), hi)
	}
	return nil
}

func mapKeys[K comparable, V any](m map[K]V) iter.Seq[K] {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
