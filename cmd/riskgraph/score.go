package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/scoring"
)

type scoreFlags struct {
	dataDir string
	model   string
	txn     string
	seed    uint64
	top     int
	jsonOut bool
}

func (m *Main) scoreCommand(g *globals) *cobra.Command {
	f := &scoreFlags{}
	cmd := &cobra.Command{
		Use:   "score --data-dir D --txn ID [--model DIR]",
		Short: "Score a stored transaction with the GNN and explain the score",
		Long: `score samples the transaction's 2-hop neighbourhood as the graph knew it just
before the transaction, runs the GNN, and explains the score by occlusion:
the neighbours and features whose removal lowers the score most. The same
seed gives the same subgraph and the same score, bit for bit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runScore(cmd.Context(), g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory of the embedded deployment")
	fl.StringVar(&f.model, "model", "", "model directory (default: the model built into this binary)")
	fl.StringVar(&f.txn, "txn", "", "id of the transaction to score")
	fl.Uint64Var(&f.seed, "seed", 0, "sampling seed")
	fl.IntVar(&f.top, "top", 5, "reasons and neighbours to show")
	fl.BoolVar(&f.jsonOut, "json", false, "print JSON")
	return cmd
}

// scored is what score prints.
type scored struct {
	Txn        string            `json:"txn"`
	Score      float64           `json:"score"`
	Model      string            `json:"model"`
	Reasons    []scoring.Reason  `json:"reasons"`
	Neighbours []scoredNeighbour `json:"neighbours"`
}

type scoredNeighbour struct {
	Node     string  `json:"node"`
	Relation string  `json:"relation"`
	Delta    float64 `json:"delta"`
}

func (m *Main) runScore(ctx context.Context, g *globals, f *scoreFlags) error {
	if f.txn == "" {
		return usagef("--txn is required")
	}
	if f.top < 1 {
		return usagef("--top %d: want at least 1", f.top)
	}
	log, err := g.logger(m.Stderr)
	if err != nil {
		return err
	}
	a, err := loadModel(f.model)
	if err != nil {
		return err
	}
	mf := a.Manifest
	if mf.Target != graph.KindTransaction.String() {
		return usagef("model %s scores %s nodes; --txn needs a Transaction model", a.ModelID(), mf.Target)
	}
	model, err := gnn.New(mf, a.Tensors)
	if err != nil {
		return err
	}
	e, err := m.openCaughtUp(ctx, log, envConfig{DataDir: f.dataDir})
	if err != nil {
		return err
	}
	defer e.close()
	var b sampling.Batch
	expl, err := explainStored(ctx, e, a, model, sampling.Target{Ref: graph.Ref(graph.KindTransaction, f.txn)}, f.seed, &b)
	if err != nil {
		return err
	}
	out := scored{Txn: f.txn, Score: float64(expl.Score), Model: a.ModelID(),
		Reasons: scoring.Reasons(expl, &b, 0, mf.Features, f.top)}
	for _, c := range expl.Neighbours {
		if len(out.Neighbours) == f.top {
			break
		}
		out.Neighbours = append(out.Neighbours, scoredNeighbour{Node: c.Node.String(), Relation: c.Relation, Delta: float64(c.Delta)})
	}
	if f.jsonOut {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(m.Stdout, "transaction %s: score %.4f (model %s)\n\nreasons:\n", out.Txn, out.Score, out.Model)
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	for _, r := range out.Reasons {
		fmt.Fprintf(tw, "  %+.3f\t%s\t%s\n", r.Weight, r.Code, r.Detail)
	}
	if len(out.Reasons) == 0 {
		fmt.Fprintln(tw, "  (nothing raised the score noticeably)")
	}
	tw.Flush()
	fmt.Fprintln(m.Stdout, "\nneighbours that drove it (change in log-odds when masked out):")
	tw = tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	for _, n := range out.Neighbours {
		fmt.Fprintf(tw, "  %+.3f\t%s\t%s\n", n.Delta, n.Relation, n.Node)
	}
	return tw.Flush()
}

// explainStored samples target from the graph as model a saw such
// targets (its feature schema, fanouts and typology counts) into b, and
// scores and explains it: the path of score and explain.
func explainStored(ctx context.Context, e *env, a *artefact.Artefact, model *gnn.Model, target sampling.Target, seed uint64, b *sampling.Batch) (gnn.Explanation, error) {
	mf := a.Manifest
	cfg := sampling.Config{Target: graph.KindTransaction, K1: mf.Dims.K1, K2: mf.Dims.K2, Seed: seed, Spec: &mf.Features}
	var err error
	if cfg.Typology, err = typologyCounterFor(ctx, e.store, mf); err != nil {
		return gnn.Explanation{}, err
	}
	s, err := sampling.New(e.store, cfg)
	if err != nil {
		return gnn.Explanation{}, err
	}
	if err := checkModelFits(s.Config(), mf); err != nil {
		return gnn.Explanation{}, fmt.Errorf("model %s: %w", a.ModelID(), err)
	}
	if err := s.Sample(ctx, []sampling.Target{target}, b); err != nil {
		return gnn.Explanation{}, err
	}
	return model.Explain(b, 0)
}

// loadModel loads a model directory, or the built-in model when dir is "".
func loadModel(dir string) (*artefact.Artefact, error) {
	if dir == "" {
		return loadDefaultModel()
	}
	return artefact.Load(dir)
}

// checkModelFits refuses a model whose shapes or relations differ from
// what the sampler produces.
func checkModelFits(cfg sampling.Config, mf artefact.Manifest) error {
	if d := cfg.Dims(mf.Dims.H); d != mf.Dims {
		return fmt.Errorf("dims %+v differ from this build's sampler %+v: %w", mf.Dims, d, artefact.ErrDims)
	}
	r1, r2 := cfg.RelationNames()
	if !slices.Equal(r1, mf.Relations1) || !slices.Equal(r2, mf.Relations2) {
		return fmt.Errorf("relations %v/%v differ from this build's %v/%v: %w", mf.Relations1, mf.Relations2, r1, r2, artefact.ErrManifest)
	}
	return nil
}
