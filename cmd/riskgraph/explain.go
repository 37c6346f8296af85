package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/rules"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/scoring"
	"github.com/riskgraph/riskgraph/scoring/decisionlog"
)

// explainTolerance is how close a replayed score must be to the recorded
// one. Serving scores rows in micro-batches whose float32 sums may round
// differently from a batch of one; 1e-6 is far above that and far below
// anything that changes a decision.
const explainTolerance = 1e-6

type explainFlags struct {
	dataDir string
	top     int
	jsonOut bool
}

// explained is what explain prints.
type explained struct {
	Txn          string           `json:"txn"`
	Recorded     scoring.Decision `json:"recorded"`
	Score        float64          `json:"score"`
	Decision     string           `json:"decision"`
	ScoreDiff    float64          `json:"score_diff"`
	Reproduced   bool             `json:"reproduced"`
	Model        string           `json:"model"`
	Rules        string           `json:"rules"`
	Reasons      []scoring.Reason `json:"reasons"`
	Explanations []scoring.Reason `json:"explanations"`
}

func (m *Main) explainCommand(g *globals) *cobra.Command {
	f := &explainFlags{}
	cmd := &cobra.Command{
		Use:   "explain TXN --data-dir D",
		Short: "Replay a past authorization decision and show why it was made",
		Long: `explain finds the decision serve recorded for transaction TXN (the decision
log in the data dir), rebuilds what the model saw — the transaction's 2-hop
neighbourhood as the graph knew it just before the transaction, its features —
loads the same model (the registry, or the built-in one) and the same rules
version (the rules archive), and replays both. It reports whether the score
is reproduced within 1e-6 and the decision is the same, and what drove the
score. A transaction that reached the graph late (timestamped before TXN but
stored after the decision) can make the replay differ; explain says so.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return m.runExplain(cmd.Context(), g, f, args[0]) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory of the embedded deployment")
	fl.IntVar(&f.top, "top", 5, "feature contributions to show")
	fl.BoolVar(&f.jsonOut, "json", false, "print JSON")
	return cmd
}

func (m *Main) runExplain(ctx context.Context, g *globals, f *explainFlags, txnID string) error {
	if f.top < 1 {
		return usagef("--top %d: want at least 1", f.top)
	}
	log, err := g.logger(m.Stderr)
	if err != nil {
		return err
	}
	e, err := m.openCaughtUp(ctx, log, envConfig{DataDir: f.dataDir})
	if err != nil {
		return err
	}
	defer e.close()
	rec, err := decisionlog.Find(ctx, e.js, "", txnID)
	if err != nil {
		return err
	}
	tx, err := e.store.Transaction(ctx, txnID)
	if err != nil {
		return fmt.Errorf("transaction %s is not in the graph: %w", txnID, err)
	}
	set, err := m.rulesVersion(f.dataDir, rec.Rules)
	if err != nil {
		return err
	}
	live := tx
	live.Label = "" // not known when it was authorized
	out := explained{Txn: txnID, Recorded: rec.Decision, Rules: set.Version()}
	var score float32
	if !rec.Degraded {
		a, err := m.modelByID(ctx, f.dataDir, rec.Model)
		if err != nil {
			return err
		}
		mf := a.Manifest
		model, err := gnn.New(mf, a.Tensors)
		if err != nil {
			return err
		}
		// As the scorer samples: the transaction as it arrived, its
		// neighbourhood strictly before its time.
		var b sampling.Batch
		expl, err := explainStored(ctx, e, a, model, sampling.Target{Ref: graph.Ref(graph.KindTransaction, txnID), Txn: &live}, 0, &b)
		if err != nil {
			return err
		}
		score = expl.Score
		out.Model = a.ModelID()
		out.Score = float64(score)
		out.ScoreDiff = math.Abs(float64(score) - rec.Score)
		out.Explanations = scoring.Reasons(expl, &b, 0, mf.Features, f.top)
	}
	res := set.Evaluate(rules.Input{Txn: &live, Score: float64(score), HasScore: !rec.Degraded,
		Facts: scoring.VelocityFacts(ctx, e.store, &live)})
	out.Decision = res.Decision.String()
	for _, h := range res.Hits {
		out.Reasons = append(out.Reasons, scoring.Reason{Code: h.Code, Detail: h.Detail})
	}
	out.Reproduced = out.ScoreDiff <= explainTolerance && out.Decision == rec.Decision.Decision
	if f.jsonOut {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		m.printExplained(out)
	}
	if !out.Reproduced {
		return fmt.Errorf("%w: recorded %s at %.6f, replayed %s at %.6f", errNotReproduced, rec.Decision.Decision, rec.Score, out.Decision, out.Score)
	}
	return nil
}

// errNotReproduced: explain's replay differs from the recorded decision.
var errNotReproduced = errors.New("the replay does not reproduce the recorded decision (a late-arriving transaction or a changed label before its time?)")

func (m *Main) printExplained(out explained) {
	w := m.Stdout
	verdict := "reproduced"
	if !out.Reproduced {
		verdict = "NOT reproduced"
	}
	fmt.Fprintf(w, "transaction %s: %s\n", out.Txn, verdict)
	fmt.Fprintf(w, "  recorded  %s, score %.6f (model %s, rules %s, degraded %v)\n", out.Recorded.Decision, out.Recorded.Score,
		orDash(out.Recorded.Model), out.Recorded.Rules, out.Recorded.Degraded)
	fmt.Fprintf(w, "  replayed  %s, score %.6f (|Δ| %.1e, tolerance %.0e)\n", out.Decision, out.Score, out.ScoreDiff, explainTolerance)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(out.Explanations) > 0 {
		fmt.Fprintln(tw, "\nwhat drove the score (change in log-odds when masked out):")
		for _, r := range out.Explanations {
			fmt.Fprintf(tw, "  %+.3f\t%s\t%s\n", r.Weight, r.Code, r.Detail)
		}
	}
	if len(out.Reasons) > 0 {
		fmt.Fprintln(tw, "\nrules that fired:")
		for _, r := range out.Reasons {
			fmt.Fprintf(tw, "  %s\t%s\n", r.Code, r.Detail)
		}
	}
	tw.Flush()
}

// rulesVersion returns the archived rule set of version, or the built-in
// set when that is the version.
func (m *Main) rulesVersion(dataDir, version string) (*rules.Set, error) {
	if set, err := archivedRules(dataDir, version); err == nil {
		return set, nil
	}
	def, err := rules.Default()
	if err != nil {
		return nil, err
	}
	if def.Version() == version {
		return def, nil
	}
	return nil, fmt.Errorf("rules version %q is neither archived in %s nor built in", version, rulesArchivePath(dataDir, version))
}

// modelByID loads the model that made a decision: the built-in one, or
// the registry's artefact with that id.
func (m *Main) modelByID(ctx context.Context, dataDir, id string) (*artefact.Artefact, error) {
	if def, err := loadDefaultModel(); err == nil && def.ModelID() == id {
		return def, nil
	}
	reg, err := m.openRegistry(ctx, dataDir, nil, 0)
	if err != nil {
		return nil, err
	}
	a, err := reg.Load(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("model %s of the recorded decision: %w", id, err)
	}
	return a, nil
}
